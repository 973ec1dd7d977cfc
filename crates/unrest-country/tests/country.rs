//! The country layer end to end: determinism whatever the thread count, and
//! each mechanism switched on through the spec having its effect.

use unrest_core::Params;
use unrest_country::spec::{EventSpec, PolicySpec};
use unrest_country::{example_spec, Action, Country, CountrySpec, Metric, Outcome, Targets};

fn event(at: &str, action: Action, regions: &[&str]) -> EventSpec {
    EventSpec {
        at: at.into(),
        regions: regions.iter().map(|s| s.to_string()).collect(),
        constituencies: vec![],
        source: String::new(),
        note: String::new(),
        action,
    }
}

fn run(spec: CountrySpec, seed: u64) -> Country {
    let mut c = Country::new(spec, Params::epstein(), seed).unwrap();
    c.run();
    c
}

/// A country that protests: low legitimacy, a hardship shock on day 2.
fn restless() -> CountrySpec {
    let mut s = example_spec();
    s.constituencies[0].legitimacy = 0.85;
    s.events.push(event(
        "2020-01-02",
        Action::HardshipShock {
            factor: 1.8,
            ramp_hours: 0.0,
        },
        &[],
    ));
    s
}

#[test]
fn thread_count_never_changes_the_result() {
    let spec = restless();
    let in_pool = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let c = run(spec.clone(), 42);
            (c.region_rows().to_vec(), c.national().to_vec(), c.fired().to_vec())
        })
    };
    let one = in_pool(1);
    let two = in_pool(2);
    assert_eq!(one, two);
    assert!(one.1.iter().any(|n| n.active > 0), "the restless country protests");
    let other_seed = run(spec, 43);
    assert_ne!(one.0, other_seed.region_rows().to_vec());
}

#[test]
fn regions_are_sized_from_population_and_scale() {
    let c = Country::new(example_spec(), Params::epstein(), 1).unwrap();
    let citizens = |r: usize| {
        let k = c.world(r).unwrap().counts();
        k.quiet + k.active + k.jailed
    };
    assert_eq!((citizens(0), citizens(1)), (900, 600));
    let mut fine = example_spec();
    fine.scale = 100.0;
    let c = Country::new(fine, Params::epstein(), 1).unwrap();
    let k = c.world(1).unwrap().counts();
    assert_eq!(k.quiet + k.active, 6000);
    // Police: 300 per 100k × 0.25 deployable × 600,000 people / 100 = 4.5, rounded.
    assert_eq!(k.cops, 5);
}

#[test]
fn a_hardship_shock_starts_a_protest_and_its_reversal_ends_it() {
    let mut s = example_spec();
    // Without contagion, so that the protest cannot sustain itself (hysteresis).
    s.information.enabled = false;
    s.events.push(event(
        "2020-01-02",
        Action::HardshipShock {
            factor: 2.0,
            ramp_hours: 0.0,
        },
        &["Province"],
    ));
    s.events.push(event(
        "2020-01-04",
        Action::HardshipReversal { ramp_hours: 0.0 },
        &["Province"],
    ));
    let c = run(s, 7);
    let rows = c.region_rows();
    let active = |step: usize, r: usize| rows[step * 2 + r].active;
    assert_eq!(active(3, 1), 0, "quiet before the shock");
    assert!(active(6, 1) > 20, "the shocked province protests: {}", active(6, 1));
    assert!(active(6, 1) > active(6, 0), "more than the unshocked capital");
    assert!(active(28, 1) < active(6, 1) / 4, "the rollback calms it");
}

#[test]
fn emergency_foreign_troops_and_lethal_force_do_what_they_say() {
    // Loyalty off: an officer who defects before the emergency would make
    // "three times the police" ambiguous; defection has its own tests.
    let mut spec = restless();
    spec.loyalty.enabled = false;
    let mut c = Country::new(spec, Params::epstein(), 3).unwrap();
    for _ in 0..8 {
        c.step();
    }
    let police = |c: &Country, r: usize| c.world(r).unwrap().domestic_cops();
    let before = police(&c, 0);
    let t = Targets {
        regions: vec!["Capital".into()],
        constituencies: vec![],
    };
    c.fire(
        &Action::Emergency {
            police_factor: 3.0,
            jail_factor: 2.0,
            k_factor: 1.5,
            arrest_factor: 1.0,
        },
        &t,
    )
    .unwrap();
    assert!(before > 0, "the capital has police on the lattice");
    assert_eq!(police(&c, 0), before * 3);
    c.fire(&Action::ForeignTroopsIn { troops: 20_000.0 }, &t).unwrap();
    assert_eq!(c.world(0).unwrap().foreign_cops(), 20);
    c.fire(&Action::LethalForce { lethality: 1.0 }, &Targets::default())
        .unwrap();
    for _ in 0..6 {
        c.step();
    }
    let last = *c.national().last().unwrap();
    assert!(last.killed > 0, "every arrest kills under lethality 1");
    c.fire(&Action::ForeignTroopsOut { troops: None }, &t).unwrap();
    c.fire(&Action::EmergencyEnd, &t).unwrap();
    assert_eq!(c.world(0).unwrap().foreign_cops(), 0);
    assert!(police(&c, 0) <= before);
    assert_eq!(c.fired().iter().filter(|e| e.origin == "api").count(), 5);
    assert!(c.fire(&Action::LethalForce { lethality: 2.0 }, &t).is_err());
    assert!(c
        .fire(
            &Action::EmergencyEnd,
            &Targets {
                regions: vec!["Atlantis".into()],
                constituencies: vec![]
            }
        )
        .is_err());
}

#[test]
fn an_internet_shutdown_weakens_the_coupling_between_regions() {
    let mut s = restless();
    s.information.national_weight = 2.0;
    let connected = run(s.clone(), 11);
    s.events
        .push(event("2020-01-01", Action::InternetShutdown { remaining: 0.0 }, &[]));
    s.information.offline_share = 0.0;
    let cut = run(s, 11);
    let total = |c: &Country| c.national().iter().map(|n| n.active).sum::<u64>();
    assert!(
        total(&cut) < total(&connected),
        "{} vs {}",
        total(&cut),
        total(&connected)
    );
}

#[test]
fn a_policy_rule_fires_when_its_condition_holds() {
    let mut s = restless();
    s.policy.push(PolicySpec {
        when: Metric::ActiveShare,
        region: "capital".into(),
        above: 0.01,
        once: true,
        after: None,
        regions: vec![],
        constituencies: vec![],
        note: "declare emergency".into(),
        action: Action::Emergency {
            police_factor: 2.0,
            jail_factor: 1.0,
            k_factor: 1.0,
            arrest_factor: 1.0,
        },
    });
    let c = run(s, 5);
    let fired: Vec<_> = c.fired().iter().filter(|e| e.origin == "policy 1").collect();
    assert_eq!(fired.len(), 1, "fires once");
    assert_eq!(fired[0].kind, "emergency");
    let step = fired[0].step as usize;
    let share = |i: usize| {
        let n = c.national()[i];
        let cap = &c.region_rows()[i * 2];
        (n.step, cap.active as f64 / 900.0)
    };
    assert!(
        share(step - 1).1 > 0.01,
        "the capital was above the line before it fired"
    );
}

#[test]
fn police_that_lose_faith_defect_and_the_regime_falls() {
    let mut s = restless();
    s.constituencies[0].legitimacy = 0.5;
    s.loyalty.crowd_per_officer = 2.0;
    s.loyalty.defection_threshold = 0.1;
    let c = run(s.clone(), 9);
    let (outcome, at) = c.outcome();
    assert_eq!(outcome, Outcome::Collapsed);
    assert_eq!(Some(at), c.collapsed_at());
    // The same country with loyalty switched off survives.
    s.loyalty.enabled = false;
    assert_ne!(run(s, 9).outcome().0, Outcome::Collapsed);
}

/// The largest active count of one region over a run.
fn region_peak(c: &Country, region: usize) -> u32 {
    c.region_rows()
        .iter()
        .filter(|r| r.region == region)
        .map(|r| r.active)
        .max()
        .unwrap_or(0)
}

#[test]
fn the_seat_of_power_raises_thresholds_outside_the_capital_only() {
    let base = run(restless(), 11);
    let mut s = restless();
    s.information.provincial_threshold = 0.05;
    let away = run(s, 11);
    let (cap0, prov0) = (region_peak(&base, 0), region_peak(&base, 1));
    let (cap1, prov1) = (region_peak(&away, 0), region_peak(&away, 1));
    assert!(prov0 > 0 && cap0 > 0, "the restless country protests: {cap0} {prov0}");
    assert!(prov1 < prov0, "the province turns out less: {prov0} -> {prov1}");
    // The capital's thresholds are untouched; it changes only through the news
    // of the province, so it loses relatively less.
    let (rel_cap, rel_prov) = (f64::from(cap1) / f64::from(cap0), f64::from(prov1) / f64::from(prov0));
    assert!(
        rel_cap > rel_prov,
        "capital {cap0} -> {cap1}, province {prov0} -> {prov1}"
    );
}

#[test]
fn a_provinces_criterion_sums_every_region_but_the_capital() {
    use unrest_country::CriterionSpec;
    let mut s = restless();
    for region in ["provinces", "Province"] {
        s.criteria.push(CriterionSpec::PeakSize {
            label: region.into(),
            min: 0.0,
            max: 1e12,
            region: Some(region.into()),
        });
    }
    let c = run(s, 3);
    let v = unrest_country::judge(&c);
    // Two regions: the provinces are the one province, step by step.
    assert_eq!(v[0].measured, v[1].measured);
    let peak = f64::from(region_peak(&c, 1)) * c.spec().scale;
    assert!(
        v[0].measured.starts_with(&format!("{peak:.0} at")),
        "{} vs {peak}",
        v[0].measured
    );
    // An unknown region is named in the error.
    let mut bad = restless();
    bad.criteria.push(CriterionSpec::PeakSize {
        label: "x".into(),
        min: 0.0,
        max: 1.0,
        region: Some("Provinces".into()),
    });
    let e = Country::new(bad, Params::epstein(), 1)
        .err()
        .expect("an unknown region is refused");
    assert!(e.to_string().contains("\"provinces\""), "{e}");
}

#[test]
fn check_warns_when_regional_shares_exceed_the_national_one() {
    let mut s = example_spec();
    s.constituencies.push(unrest_country::spec::ConstituencySpec {
        name: "few".into(),
        share: 0.01,
        ..s.constituencies[0].clone()
    });
    s.constituencies[0].share = 0.99;
    s.regions[1].shares.insert("few".into(), 0.5);
    let w = unrest_country::warnings(&s);
    assert!(
        w.iter()
            .any(|e| e.path == "constituencies[1].share" && e.message.contains("none elsewhere")),
        "{w:?}"
    );
    // It still runs, with none of the group in the capital.
    let c = run(s, 1);
    assert!(c.region_rows().iter().any(|r| r.region == 0));
}

#[test]
fn a_repeated_sham_election_adds_no_second_shock() {
    let election = |at: &str| event(at, Action::ShamElection { delta: -0.05 }, &[]);
    let mut once = example_spec();
    once.events.push(election("2020-01-02"));
    let mut twice = once.clone();
    twice.events.push(election("2020-01-05"));
    let mut worse = once.clone();
    worse
        .events
        .push(event("2020-01-05", Action::ShamElection { delta: -0.08 }, &[]));
    let (a, b, c) = (run(once, 5), run(twice, 5), run(worse, 5));
    let legit = |c: &Country| c.region_rows().iter().map(|r| r.legitimacy).collect::<Vec<_>>();
    assert_eq!(
        legit(&a),
        legit(&b),
        "the same result confirmed again is the same fraud"
    );
    assert!(
        legit(&c).last().unwrap() < legit(&a).last().unwrap(),
        "a larger fraud adds what goes beyond the first"
    );
}

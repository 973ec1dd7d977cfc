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

//! The shared model (`model = "script"`) responds to its inputs in the
//! directions the literature gives (docs/mechanisms.md, "What the loyalty
//! mechanism is anchored to"), and over the documented range of inputs below
//! neither "always survives" nor "always collapses" holds.
//!
//! The country is synthetic (`validation/model-fit/anchor.toml`, the same
//! file the fit scores): a capital and a province of 400,000 people each,
//! police at 400 per 100,000, a disbelieved election on day 2 — so that only
//! the inputs under test differ between variants. Every variant runs the same
//! seeds.

use unrest_country::{Country, Outcome};
use unrest_scenario::CountryScenario;

fn anchor() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../validation/model-fit/anchor.toml");
    std::fs::read_to_string(path).expect("validation/model-fit/anchor.toml is in the repository")
}

/// The anchor with the opposition's share set and extra dated actions appended.
fn scenario(opposition: f64, extra_events: &str) -> (String, Vec<(String, String)>) {
    let sets = vec![
        ("constituencies.opposition.share".to_string(), format!("{opposition}")),
        (
            "constituencies.others.share".to_string(),
            format!("{}", 1.0 - opposition),
        ),
    ];
    (format!("{}\n{extra_events}", anchor()), sets)
}

const FIRE: &str = r#"
[[events]]
at = "2021-01-04T00:00"
kind = "lethal_force"
regions = ["Capital"]
force = "live_fire"
"#;

const ALLY: &str = r#"
[[events]]
at = "2021-01-03T00:00"
kind = "foreign_troops_in"
regions = ["Capital"]
troops = 1500
"#;

const SEEDS: u64 = 12;

/// Share of seeds that end `collapsed`; the scenario sets inputs only.
fn collapse_rate((text, sets): (String, Vec<(String, String)>)) -> f64 {
    let sc = CountryScenario::parse_with(&text, "anchor.toml", &sets).expect("the anchor scenario parses");
    assert!(sc.overrides.is_empty(), "inputs only: {:?}", sc.overrides);
    collapsed_share(&sc)
}

/// Share of the same seeds (`seeds::derive(7, s)`, run side by side) that end `collapsed`.
fn collapsed_share(sc: &CountryScenario) -> f64 {
    let collapsed = Country::run_seeds(&sc.spec, &sc.lattice, 7, SEEDS, |_, c| {
        c.outcome().0 == Outcome::Collapsed
    })
    .unwrap()
    .into_iter()
    .filter(|&collapsed| collapsed)
    .count();
    collapsed as f64 / SEEDS as f64
}

/// The documented range of the mobilisable constituency: the opposition's share.
const SHARES: [f64; 4] = [0.02, 0.1, 0.3, 0.6];

#[test]
fn outcomes_follow_the_inputs_in_the_documented_directions() {
    let rates: Vec<f64> = SHARES.iter().map(|&s| collapse_rate(scenario(s, ""))).collect();
    eprintln!("collapse rate by opposition share {SHARES:?}: {rates:?}");
    assert!(
        rates.windows(2).all(|w| w[1] + 1e-9 >= w[0]) && rates[SHARES.len() - 1] > rates[0],
        "a larger mobilisable constituency raises the chance of collapse: {rates:?}"
    );
    // Compare the other inputs where the outcome is most open.
    let (k, base) = rates
        .iter()
        .copied()
        .enumerate()
        .min_by(|a, b| (a.1 - 0.5).abs().total_cmp(&(b.1 - 0.5).abs()))
        .unwrap();
    let fired_on = collapse_rate(scenario(SHARES[k], FIRE));
    let with_ally = collapse_rate(scenario(SHARES[k], ALLY));
    eprintln!(
        "at share {}: {base}, fired on {fired_on}, with an ally {with_ally}",
        SHARES[k]
    );
    assert!(fired_on >= base, "an order to fire on a large crowd does not lower it");
    assert!(
        with_ally <= base && (base == 0.0 || with_ally < base),
        "loyal foreign forces lower it"
    );
    assert!(rates.iter().any(|&r| r < 1.0), "not always collapses: {rates:?}");
    assert!(rates.iter().any(|&r| r > 0.0), "not always survives: {rates:?}");
}

/// Mean national active share over the calendar's last third, averaged over
/// the same seeds, with `extra` settings on top of a 30% opposition.
fn late_activity(extra: &[(&str, &str)]) -> f64 {
    let (text, mut sets) = scenario(0.3, "");
    sets.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let sc = CountryScenario::parse_with(&text, "anchor.toml", &sets).expect("the anchor scenario parses");
    let shares = Country::run_seeds(&sc.spec, &sc.lattice, 7, 4, |_, c| {
        let rows = c.national();
        let late = &rows[rows.len() * 2 / 3..];
        late.iter()
            .map(|r| r.active as f64 / r.citizens.max(1) as f64)
            .sum::<f64>()
            / late.len() as f64
    })
    .unwrap();
    shares.iter().sum::<f64>() / shares.len() as f64
}

#[test]
fn a_protest_tires_under_demobilisation_and_not_without_it() {
    // The same country, seeds and dated actions; only φ_F differs. No collapse
    // (loyalty off), so what is left on the street is the crowd's own staying power.
    let off = [("loyalty.enabled", "false"), ("information.fatigue", "0")];
    let on = [("loyalty.enabled", "false"), ("information.fatigue", "0.3")];
    let (without, with) = (late_activity(&off), late_activity(&on));
    eprintln!("late active share: without demobilisation {without}, with {with}");
    assert!(
        without > 0.0,
        "the protest is still out without demobilisation: {without}"
    );
    assert!(
        with < without,
        "demobilisation thins the late crowd: {with} vs {without}"
    );
}

/// Share of the same seeds that collapse, with `extra` settings (which may
/// depart from the model) on top of a 60% opposition whose disbelieved
/// election is in the capital alone (`capital_only`) or everywhere.
fn collapse_rate_with(capital_only: bool, extra: &[(&str, &str)]) -> f64 {
    let (mut text, mut sets) = scenario(0.6, "");
    if capital_only {
        text = text.replace(
            "kind = \"sham_election\"",
            "kind = \"sham_election\"\nregions = [\"Capital\"]",
        );
    }
    sets.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let sc = CountryScenario::parse_with(&text, "anchor.toml", &sets).expect("the anchor scenario parses");
    collapsed_share(&sc)
}

#[test]
fn reinforcement_from_quiet_provinces_steadies_the_capital() {
    // A protest confined to the capital: with the provinces' spare police
    // brought in, fewer runs end with the capital's police going over.
    let alone = collapse_rate_with(true, &[("loyalty.reinforcement", "0")]);
    let reinforced = collapse_rate_with(true, &[("loyalty.reinforcement", "1")]);
    // The same crowd with the province out too: nothing to spare.
    let national = collapse_rate_with(false, &[("loyalty.reinforcement", "1")]);
    eprintln!("capital only: alone {alone}, reinforced {reinforced}; national wave, reinforced {national}");
    assert!(alone > 0.0, "the capital's police alone can be overwhelmed: {alone}");
    assert!(
        reinforced < alone,
        "reinforcement lowers P(collapse): {reinforced} vs {alone}"
    );
    assert!(
        national > reinforced,
        "a national wave ties the provinces' police down: {national} vs {reinforced}"
    );
}

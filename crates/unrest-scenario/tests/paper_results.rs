//! The paper's headline results, in brief, on the built-in `epstein-run*` scenarios.
//!
//! The full reproduction, with 20 seeds per figure and the numbers compared with the
//! paper, is `validation/paper.py` (results in `validation/paper.md`). These checks
//! guard the scenario files' choice of conventions against drift: each asserts a
//! qualitative result of the paper on three fixed seeds, with wide margins around
//! what the 20-seed runs show (quoted in each test). Seeds are fixed, so the tests
//! are deterministic.

use unrest_core::{outbursts, Counts, World};
use unrest_scenario::Scenario;

const SEEDS: [u64; 3] = [1, 2, 3];

/// Runs a built-in scenario with overrides; returns the counts of steps 0..=steps.
fn run(name: &str, steps: u64, seed: u64, sets: &[(&str, &str)]) -> Vec<Counts> {
    let sets: Vec<(String, String)> = sets.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let sc = Scenario::load(name, &sets).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut w = World::new(sc.params, sc.schedule, seed).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut series = vec![w.counts()];
    w.run(steps, |c| series.push(*c));
    series
}

fn after(series: &[Counts], t: u64) -> Vec<Counts> {
    series.iter().filter(|c| c.step > t).copied().collect()
}

/// Figs 3–4: long calm broken by outbursts of more than 50 actives (20 seeds × 3000
/// steps: 26 outbursts per 1000 steps, 21 actives on average); the literal
/// real-valued C/A gives none (0.9 actives on average).
#[test]
fn run2_shows_punctuated_equilibrium_and_the_literal_rule_does_not() {
    for seed in SEEDS {
        let s = after(&run("epstein-run2", 1000, seed, &[]), 20);
        let n = outbursts(&s, 50).len();
        let mean = s.iter().map(|c| f64::from(c.active)).sum::<f64>() / s.len() as f64;
        assert!(n >= 10, "seed {seed}: only {n} outbursts in 1000 steps");
        assert!(mean < 40.0, "seed {seed}: mean active {mean:.1}: unrest, not calm");
        let literal = after(&run("epstein-run2", 1000, seed, &[("ratio_rule", "real")]), 20);
        assert!(
            outbursts(&literal, 50).is_empty(),
            "seed {seed}: literal rule had an outburst"
        );
    }
}

/// Figs 9–10: one drop of legitimacy at t = 77 explodes (peak 529), the larger
/// reduction in small steps does not (peak 90).
#[test]
fn one_jump_explodes_where_salami_tactics_do_not() {
    for seed in SEEDS {
        let peak = |name| {
            after(&run(name, 300, seed, &[]), 76)
                .iter()
                .map(|c| c.active)
                .max()
                .unwrap()
        };
        let (salami, jump) = (peak("epstein-run3"), peak("epstein-run4"));
        assert!(
            jump > 300 && salami < 200,
            "seed {seed}: salami peak {salami}, jump peak {jump}"
        );
    }
}

/// Fig 11: cutting cops tips society into rebellion (18 of 20 seeds tip, at cop
/// density ~0.043); without the cuts it stays calm.
#[test]
fn cutting_cops_tips_society() {
    let tipped = SEEDS
        .iter()
        .filter(|&&seed| {
            after(&run("epstein-run5", 400, seed, &[]), 50)
                .iter()
                .any(|c| c.active > 50)
        })
        .count();
    assert!(tipped >= 2, "only {tipped} of 3 seeds tipped");
    for seed in SEEDS {
        let calm = run("epstein-run5", 250, seed, &[]);
        assert!(
            calm.iter().filter(|c| c.step <= 100).all(|c| c.active <= 50),
            "seed {seed}: unrest before the cuts"
        );
    }
}

/// Figs 12–13 (Model II): peace at L = 0.9; at L = 0.8 without cops killing goes
/// on until nobody of the other group is in anyone's reach (genocide at step ~99).
#[test]
fn model_ii_coexistence_and_genocide() {
    for seed in SEEDS {
        let peace = run("epstein-run6", 300, seed, &[]);
        assert_eq!(
            peace.iter().map(|c| c.kills).sum::<u32>(),
            0,
            "seed {seed}: killing at L = 0.9"
        );
        let war = run("epstein-run7", 600, seed, &[]);
        let kills: u32 = war.iter().map(|c| c.kills).sum();
        let late: u32 = after(&war, 400).iter().map(|c| c.kills).sum();
        let actives = war.last().unwrap().active;
        assert!(kills > 500, "seed {seed}: only {kills} killed at L = 0.8");
        assert!(
            late == 0 && actives > 100,
            "seed {seed}: {late} killed after t = 400, {actives} active"
        );
    }
}

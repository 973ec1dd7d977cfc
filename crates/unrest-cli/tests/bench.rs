//! `unrest bench-case` (the measuring child of `unrest bench`) and tiled runs from the CLI.
//! The full `unrest bench` takes minutes and is run by hand (docs/performance.md).

use std::process::Output;

mod common;
use common::unrest;

fn case(args: &[&str]) -> serde_json::Value {
    let o = unrest(args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)))
}

#[test]
fn bench_case_reports_a_lattice_case() {
    let r = case(&[
        "bench-case",
        "epstein-run2",
        "--steps",
        "5",
        "--set",
        "activation=tiled",
        "--set",
        "width=80",
    ]);
    assert_eq!(r["sites"], 80 * 40);
    assert_eq!(r["steps"], 5);
    let agents = r["agents"].as_u64().unwrap();
    assert_eq!(agents, 2240 + 128, "citizens at 0.7 and cops at 0.04 of 3200 sites");
    assert_eq!(r["state_bytes"].as_u64().unwrap(), agents * 22 + 3200 * 8);
    assert!(r["peak_rss_bytes"].as_u64().unwrap() > 0);
    assert!(r["step_seconds"].as_f64().unwrap() > 0.0 && r["step_cpu_seconds"].as_f64().unwrap() >= 0.0);
}

#[test]
fn bench_case_steps_a_country() {
    let r = case(&["bench-case", "kazakhstan-2022", "--steps", "2", "--set", "scale=2000"]);
    assert_eq!(r["steps"], 2);
    let (agents, sites) = (r["agents"].as_u64().unwrap(), r["sites"].as_u64().unwrap());
    assert!(
        agents > 9_000 && agents < sites,
        "≈ 9,600 citizens at 1:2000 plus police: {agents} on {sites} sites"
    );
}

#[test]
fn bench_case_names_a_bad_override() {
    let o = unrest(&[
        "bench-case",
        "epstein-run2",
        "--steps",
        "1",
        "--set",
        "activation=tilted",
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("activation"), "{err}");
}

#[test]
fn tiled_runs_are_reproducible_from_the_cli() {
    let run = || {
        unrest(&[
            "run",
            "epstein-run2",
            "--steps",
            "30",
            "--set",
            "activation=tiled",
            "--set",
            "width=100",
        ])
    };
    let (a, b) = (run(), run());
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    let strip = |o: &Output| {
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter(|l| !l.starts_with("steps"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        strip(&a),
        strip(&b),
        "same seed, same summary (apart from the wall time)"
    );
}

#[test]
fn bench_case_runs_model_two() {
    // `unrest bench` times epstein-run7 (births and deaths of old age) to a
    // tenth of its steps and to all of them; the child must run such a case.
    let r = case(&["bench-case", "epstein-run7", "--steps", "50"]);
    assert_eq!(r["steps"], 50);
    assert!(r["agents"].as_u64().unwrap() > 0 && r["peak_rss_bytes"].as_u64().unwrap() > 0);
}

//! The `unrest` binary end to end: outputs, determinism, and bad input.

use std::path::Path;

mod common;
use common::{ok, unrest};

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn run_writes_csv_summary_and_plot() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run2");
    let o = unrest(&[
        "run",
        "epstein-run2",
        "--steps",
        "60",
        "--seed",
        "3",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = String::from_utf8(read(&out.join("timeseries.csv"))).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("step,quiet,active,jailed,dead,cops,arrests,kills,alive_b")
    );
    let rows: Vec<Vec<u64>> = lines
        .map(|l| l.split(',').map(|x| x.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 61, "step 0 plus 60 steps");
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r[0], i as u64);
        assert_eq!(r[1] + r[2] + r[3] + r[4], 1120, "conservation at step {i}");
    }
    let summary: serde_json::Value = serde_json::from_slice(&read(&out.join("summary.json"))).unwrap();
    assert_eq!(summary["seed"], 3);
    assert_eq!(summary["scenario"], "epstein-run2");
    assert_eq!(summary["steps"], 60);
    assert_eq!(summary["scenario_hash"].as_str().unwrap().len(), 16);
    assert!(summary["version"].is_string() && summary["wall_seconds"].is_number());
    let svg = String::from_utf8(read(&out.join("timeseries.svg"))).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("epstein-run2") && svg.contains("active"));
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left behind");
}

#[test]
fn same_seed_same_bytes_different_seed_different() {
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, seed: &str| {
        let out = dir.path().join(name);
        let o = unrest(&[
            "run",
            "mesa-default",
            "--steps",
            "80",
            "--seed",
            seed,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success());
        read(&out.join("timeseries.csv"))
    };
    let (a, b, c) = (run("a", "5"), run("b", "5"), run("c", "6"));
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn bad_scenario_fails_cleanly_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "name = \"bad\"\n[params]\ncitizen_density = -0.5\n").unwrap();
    let out = dir.path().join("out");
    let o = unrest(&["run", bad.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad.toml:3:19") && err.contains("citizen_density") || err.contains("between 0 and 1"),
        "{err}"
    );
    assert!(!out.exists(), "output directory created for a failed run");

    let o = unrest(&[
        "run",
        "epstein-run2",
        "--set",
        "legitimacy",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("KEY=VALUE"));
    let o = unrest(&["run", "no-such-scenario"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("epstein-run1"));
    assert!(!out.exists());
}

#[test]
fn existing_outputs_survive_a_failed_rerun() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("keep");
    assert!(
        unrest(&["run", "epstein-run1", "--steps", "10", "--out", out.to_str().unwrap()])
            .status
            .success()
    );
    let before = read(&out.join("timeseries.csv"));
    let o = unrest(&["run", "epstein-run1", "--set", "k=-1", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(read(&out.join("timeseries.csv")), before);
}

#[test]
fn list_names_every_builtin_and_check_validates() {
    let o = unrest(&["list"]);
    let text = String::from_utf8_lossy(&o.stdout);
    for name in unrest_scenario::builtin_names() {
        assert!(text.contains(name), "{name} missing from `unrest list`");
    }
    assert!(unrest(&["check", "epstein-run4"]).status.success());
    assert_eq!(
        unrest(&["check", "epstein-run4", "--set", "threshold=nan"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn summary_without_out_is_printed() {
    let o = unrest(&["run", "epstein-run1", "--steps", "20"]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("epstein-run1") && text.contains("outbursts"), "{text}");
}

/// Seeds above `i64::MAX` (half of those `validate` prints) replay a country
/// run; a malformed seed is a clear error.
#[test]
fn country_runs_take_any_64_bit_seed() {
    let big = "15129150045654849479";
    let o = unrest(&[
        "run",
        "kazakhstan-2022",
        "--seed",
        big,
        "--set",
        "calendar.end=2021-12-28",
    ]);
    let out = ok(&o);
    assert!(out.contains(&format!("seed {big}")), "{out}");
    let o = unrest(&["run", "kazakhstan-2022", "--set", "seed=-3"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("seed=-3"));
}

/// Issue 12 §7: a country run's plot overlays the record its criteria state
/// (crowd bands, date windows, tolls), so a reader sees model and record together.
#[test]
fn country_plot_overlays_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("kz");
    ok(&unrest(&[
        "run",
        "kazakhstan-2022",
        "--set",
        "scale=400",
        "--set",
        "calendar.end=2022-01-08",
        "--out",
        out.to_str().unwrap(),
    ]));
    let svg = std::fs::read_to_string(out.join("timeseries.svg")).unwrap();
    for want in [
        "record: national peak 25000–100000",
        "record: national peak<",
        "(record 119–476)",
        "(record 4950–19800)",
        "shaded: the record",
    ] {
        assert!(svg.contains(want), "{want:?} missing from the plot");
    }
}

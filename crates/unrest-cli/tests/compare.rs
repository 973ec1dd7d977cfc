//! `unrest compare` end to end: the baseline and its variants on the same
//! seeds, the same bytes whatever the thread count, edits that name the
//! scenario's own events, and bad variants refused with the reason.

use std::path::Path;
use std::process::Command;

mod common;
use common::{ok, unrest};

fn anchor() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../validation/model-fit/anchor.toml")
        .to_string_lossy()
        .into_owned()
}

const ALLY: &str =
    r#"with an ally: events.add={at = "2021-01-03", kind = "foreign_troops_in", regions = ["Capital"], troops = 1500}"#;

fn compare_in(dir: &Path, threads: &str) -> (String, Vec<u8>, Vec<u8>) {
    let a = anchor();
    let out = dir.to_str().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_unrest"))
        .env("RAYON_NUM_THREADS", threads)
        .args(["compare", &a, "--seeds", "3", "--set", "scale=400", "--variant", ALLY])
        .args(["--variant", "no election: events.drop=sham_election", "--out", out])
        .output()
        .unwrap();
    let text = ok(&o);
    (
        text,
        std::fs::read(dir.join("compare.csv")).unwrap(),
        std::fs::read(dir.join("runs.csv")).unwrap(),
    )
}

#[test]
fn variants_run_on_the_same_seeds_and_give_the_same_bytes_on_any_thread_count() {
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (text, csv, runs) = compare_in(one.path(), "1");
    let (_, csv2, runs2) = compare_in(two.path(), "2");
    assert_eq!(csv, csv2, "compare.csv: same bytes on 1 and 2 threads");
    assert_eq!(runs, runs2, "runs.csv: same bytes on 1 and 2 threads");
    assert!(one.path().join("compare.svg").exists());
    assert!(
        text.contains("as recorded") && text.contains("with an ally") && text.contains("vs as recorded"),
        "{text}"
    );
    let runs = String::from_utf8(runs).unwrap();
    let seeds = |label: &str| -> Vec<String> {
        runs.lines()
            .filter(|l| l.starts_with(label))
            .map(|l| l.split(',').nth(1).unwrap().to_string())
            .collect()
    };
    assert_eq!(seeds("as recorded").len(), 3);
    assert_eq!(seeds("as recorded"), seeds("with an ally"), "common random numbers");
    assert_eq!(seeds("as recorded"), seeds("no election"));
    // Without the trigger fewer turn out, seed by seed: the variant changed something.
    let peaks = |label: &str| -> Vec<f64> {
        runs.lines()
            .filter(|l| l.starts_with(label))
            .map(|l| l.split(',').nth(4).unwrap().parse().unwrap())
            .collect()
    };
    let (base, quiet) = (peaks("as recorded"), peaks("no election"));
    assert!(base.iter().zip(&quiet).all(|(b, q)| q < b), "{runs}");
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with("variant,measure,value,lo,hi,diff,diff_lo,diff_hi\n"));
    assert!(csv.lines().any(|l| l.starts_with("with an ally,p_collapsed,")));
}

#[test]
fn bad_variants_are_refused_with_the_reason() {
    let a = anchor();
    let o = unrest(&["compare", &a, "--variant", "no colon"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("LABEL: KEY=VALUE"));
    let o = unrest(&["compare", &a, "--variant", "typo: events.drop=foreign_troops"]);
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && e.contains("variant \"typo\"") && e.contains("sham_election"),
        "{e}"
    );
    let o = unrest(&["compare", &a]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("at least one --variant"));
}

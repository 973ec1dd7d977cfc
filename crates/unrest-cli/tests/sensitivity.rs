//! `unrest sensitivity` end to end: the same bytes however many threads and
//! however often killed, the country outputs, and errors that name the place.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{ok, unrest};

const FILES: [&str; 4] = ["runs.parquet", "sensitivity.csv", "sensitivity.md", "sensitivity.svg"];

/// 64 × 4 points × 2 seeds = 512 lattice runs of 60 steps on a 20×20 torus:
/// a second or two, long enough to be killed in the middle.
fn lattice_args(out: &Path, jobs: &str) -> Vec<String> {
    [
        "sensitivity",
        "epstein-run1",
        "--param",
        "legitimacy=0.6:0.95",
        "--param",
        "threshold=0.02:0.3,log",
        "--n",
        "64",
        "--seeds",
        "2",
        "--seed",
        "7",
        "--bootstrap",
        "100",
        "--set",
        "steps=60",
        "--set",
        "width=20",
        "--set",
        "height=20",
        "--jobs",
        jobs,
        "--out",
        out.to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn run(args: &[String]) -> String {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(&unrest(&refs))
}

fn parts_in(journal: &Path) -> usize {
    std::fs::read_dir(journal).map_or(0, |d| {
        d.flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("runs-"))
            .count()
    })
}

#[test]
fn killed_and_resumed_on_two_threads_gives_the_one_thread_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    let out = run(&lattice_args(&whole, "1"));
    assert!(
        out.contains("2 factors, N = 64, 256 points × 2 seeds = 512 runs (0 resumed"),
        "{out}"
    );
    assert!(
        out.contains("### mean_active") && out.contains("### log10_peak_active"),
        "{out}"
    );

    let killed = dir.path().join("killed");
    let journal = killed.join(".journal");
    let mut kills = 0;
    for _ in 0..2 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_unrest"))
            .args(lattice_args(&killed, "2"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let before = parts_in(&journal);
        let t = Instant::now();
        while parts_in(&journal) <= before + 1 && t.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        if !killed.join("runs.parquet").exists() {
            kills += 1;
        }
    }
    assert!(
        kills >= 1,
        "the analysis finished before it could be killed: make it longer"
    );
    assert!(
        !killed.join("sensitivity.csv").exists(),
        "no results before the runs are all done"
    );
    let out = run(&lattice_args(&killed, "2"));
    assert!(!out.contains("(0 resumed"), "{out}");
    for f in FILES {
        let (a, b) = (
            std::fs::read(whole.join(f)).unwrap(),
            std::fs::read(killed.join(f)).unwrap(),
        );
        assert!(a == b, "{f} differs between the uninterrupted and the killed analysis");
    }
    let csv = std::fs::read_to_string(whole.join("sensitivity.csv")).unwrap();
    assert_eq!(csv.lines().count(), 5, "{csv}");
    assert!(csv.contains("\nmean_active,legitimacy,"), "{csv}");
    // Legitimacy moves the mean number active far more than nothing does.
    let st: f64 = csv
        .lines()
        .find(|l| l.starts_with("mean_active,legitimacy,"))
        .and_then(|l| l.split(',').nth(5))
        .and_then(|x| x.parse().ok())
        .unwrap();
    assert!(st > 0.1, "{csv}");
}

#[test]
fn a_country_scenario_reports_collapse_and_log_peak() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("kaz");
    let o = ok(&unrest(&[
        "sensitivity",
        "kazakhstan-2022",
        "--param",
        "loyalty.collapse_share=0.2:0.6",
        "--param",
        "information.contagion=2:20",
        "--n",
        "4",
        "--bootstrap",
        "20",
        "--set",
        "scale=2000",
        "--out",
        out.to_str().unwrap(),
    ]));
    assert!(o.contains("### collapse: probability of collapse"), "{o}");
    assert!(o.contains("### log10_peak: log10 of the national peak"), "{o}");
    assert!(o.contains("scale 2000"), "{o}");
    let md = std::fs::read_to_string(out.join("sensitivity.md")).unwrap();
    assert!(
        md.contains("| `loyalty.collapse_share` | 0.2 | 0.6 | uniform |"),
        "{md}"
    );
    assert!(md.contains("Fixed for every run: `scale=2000`."), "{md}");
    let svg = std::fs::read_to_string(out.join("sensitivity.svg")).unwrap();
    assert!(svg.contains("information.contagion"), "{}", &svg[..300.min(svg.len())]);
}

#[test]
fn bad_input_is_refused_before_any_run_with_the_place_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x");
    let o = out.to_str().unwrap();
    let plan = dir.path().join("plan.toml");
    std::fs::write(&plan, "[[params]]\nkey = \"legitimacy\"\nmin = 0.9\nmax = 0.5\n").unwrap();
    let plan = plan.to_str().unwrap();
    for (args, want) in [
        (vec!["epstein-run1", "--out", o], "no factors: give --param"),
        (
            vec!["epstein-run1", "--param", "legitimacy=0.9", "--out", o],
            "--param \"legitimacy=0.9\": no `:`",
        ),
        (
            vec!["epstein-run1", "--params-from", plan, "--out", o],
            "plan.toml: [[params]] number 1: `legitimacy`: need finite min < max",
        ),
        (
            vec!["epstein-run1", "--params-from", "/nonexistent/plan.toml", "--out", o],
            "/nonexistent/plan.toml",
        ),
        (
            vec![
                "epstein-run1",
                "--param",
                "legitimacy=0.5:0.9",
                "--output",
                "outcome=collapsed",
                "--out",
                o,
            ],
            "--output outcome=collapsed: runs of epstein-run1 report no `outcome`",
        ),
        (
            vec!["epstein-run1", "--param", "legitimacy=0.5:0.9", "--n", "1", "--out", o],
            "need N from 2 to 65536",
        ),
        (
            vec![
                "epstein-run1",
                "--param",
                "legitimacy=0.5:0.9",
                "--level",
                "1.5",
                "--out",
                o,
            ],
            "--level 1.5",
        ),
        (
            vec![
                "epstein-run1",
                "--param",
                "legitimacy=0.5:0.9",
                "--param",
                "legitimacy=0.6:0.9",
                "--out",
                o,
            ],
            "factor `legitimacy` is given twice",
        ),
        (
            vec!["epstein-run1", "--param", "no_such_key=0.5:0.9", "--n", "2", "--out", o],
            "no_such_key",
        ),
    ] {
        let mut full = vec!["sensitivity"];
        full.extend(args);
        let r = unrest(&full);
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{full:?}: {err}");
        assert!(err.contains(want), "{full:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    assert!(!out.join("runs.parquet").exists());
}

//! Resuming, sharding and merging give the bytes of one uninterrupted sweep.

use std::sync::atomic::{AtomicU64, Ordering};
use unrest_sweep::merge::merge;
use unrest_sweep::table::{column_values, read_parquet};
use unrest_sweep::{
    run_sweep, Kind, MetricDef, RunOutput, Runner, Series, SeriesColumn, Shard, SweepOptions, SweepSpec, Value,
};

/// A model with typed metrics and a series, deterministic in (params, seed);
/// it fails once `fail_after` runs have been started (a stand-in for a crash).
struct Toy {
    fail_after: u64,
    started: AtomicU64,
}

impl Toy {
    fn new(fail_after: u64) -> Self {
        Toy {
            fail_after,
            started: AtomicU64::new(0),
        }
    }
}

impl Runner for Toy {
    fn metrics(&self, _: &str) -> Result<Vec<MetricDef>, String> {
        Ok(vec![
            MetricDef::new("y", Kind::F64, "a number"),
            MetricDef::new("n", Kind::I64, "a count"),
            MetricDef::new("outcome", Kind::Str, "a category"),
        ])
    }

    fn check(&self, _: &str, o: &[(String, String)]) -> Result<(), String> {
        match o.iter().find(|(k, _)| k == "a") {
            Some((_, v)) if v.parse::<f64>().map_or(true, |a| a < 0.0) => Err(format!("a = {v} must be >= 0")),
            _ => Ok(()),
        }
    }

    fn run(&self, _: &str, o: &[(String, String)], seed: u64, keep: bool) -> Result<RunOutput, String> {
        if self.started.fetch_add(1, Ordering::SeqCst) >= self.fail_after {
            return Err("simulated crash".into());
        }
        let a: f64 = o.iter().find(|(k, _)| k == "a").unwrap().1.parse().unwrap();
        let n = (seed % 7) as i64;
        Ok(RunOutput {
            metrics: vec![
                ("y".into(), Value::F64(a * (seed % 1000) as f64 / 3.0)),
                ("n".into(), Value::I64(n)),
                (
                    "outcome".into(),
                    if n == 0 {
                        Value::Null
                    } else {
                        Value::Str(if n > 3 { "collapsed" } else { "survived" }.into())
                    },
                ),
            ],
            series: keep.then(|| Series {
                columns: vec![
                    ("step".into(), SeriesColumn::I64((0..5).collect())),
                    (
                        "x".into(),
                        SeriesColumn::F64((0..5).map(|s| a + s as f64 + n as f64).collect()),
                    ),
                ],
            }),
        })
    }
}

const SPEC: &str = r#"
scenario = "toy"
seed = 99
replicates = 3
keep_series = true
[vary]
a = { from = 0.0, to = 1.0, count = 5 }
b = ["p", "q"]
[sample]
method = "lhs"
size = 4
ranges = { c = { min = 1, max = 9 } }
"#;

fn opts(dir: &std::path::Path, jobs: usize, shard: Option<Shard>) -> SweepOptions {
    SweepOptions {
        out: dir.to_path_buf(),
        jobs: Some(jobs),
        shard,
        csv: false,
        progress: false,
        cancel: None,
    }
}

#[test]
fn interrupted_sweeps_resume_to_the_same_bytes() {
    let plan = SweepSpec::parse(SPEC, "spec.toml").unwrap().plan().unwrap();
    assert_eq!(plan.total_runs(), 5 * 2 * 4 * 3);
    let whole = tempfile::tempdir().unwrap();
    let r = run_sweep(&plan, &Toy::new(u64::MAX), &opts(whole.path(), 2, None)).unwrap();
    assert_eq!((r.runs, r.ran, r.resumed), (120, 120, 0));

    let broken = tempfile::tempdir().unwrap();
    // Three crashes after 17, 40 and 3 more runs: 60 runs journalled.
    for fail_after in [17, 40, 3] {
        let e = run_sweep(&plan, &Toy::new(fail_after), &opts(broken.path(), 1, None)).unwrap_err();
        assert!(e.contains("simulated crash"), "{e}");
        assert!(!broken.path().join("runs.parquet").exists());
        let r = run_sweep(&plan, &Toy::new(0), &opts(broken.path(), 1, None)).unwrap_err();
        assert!(r.contains("simulated crash"));
    }
    let r = run_sweep(&plan, &Toy::new(u64::MAX), &opts(broken.path(), 2, None)).unwrap();
    assert_eq!(r.resumed, 60);
    assert_eq!(r.ran, 60);
    for f in ["runs.parquet", "series.parquet"] {
        let a = std::fs::read(whole.path().join(f)).unwrap();
        let b = std::fs::read(broken.path().join(f)).unwrap();
        assert!(a == b, "{f} differs after resuming");
    }
    assert!(!broken.path().join(".journal").exists());

    let again = run_sweep(&plan, &Toy::new(0), &opts(broken.path(), 1, None)).unwrap();
    assert!(again.already_complete);

    let f = read_parquet(&whole.path().join("runs.parquet")).unwrap();
    assert_eq!(f.batch.num_rows(), 120);
    let runs: Vec<Value> = column_values(&f.batch, "run").unwrap();
    assert_eq!(runs, (0..120).map(Value::I64).collect::<Vec<_>>());
    let s = read_parquet(&whole.path().join("series.parquet")).unwrap();
    assert_eq!(s.batch.num_rows(), 600);
}

#[test]
fn shards_merge_into_the_single_machine_file() {
    let plan = SweepSpec::parse(SPEC, "spec.toml").unwrap().plan().unwrap();
    let whole = tempfile::tempdir().unwrap();
    run_sweep(&plan, &Toy::new(u64::MAX), &opts(whole.path(), 1, None)).unwrap();
    let parts = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let mut series = Vec::new();
    for i in [2, 0, 1] {
        let shard = Shard { index: i, count: 3 };
        let r = run_sweep(&plan, &Toy::new(u64::MAX), &opts(parts.path(), 2, Some(shard))).unwrap();
        assert_eq!(r.runs, 40);
        files.push(r.runs_file);
        series.push(r.series_file.unwrap());
    }
    let merged = parts.path().join("merged.parquet");
    let e = merge(&files[..2], &merged).unwrap_err();
    assert!(e.contains("hold 80 of the sweep's 120 runs"), "{e}");
    merge(&files, &merged).unwrap();
    assert!(std::fs::read(&merged).unwrap() == std::fs::read(whole.path().join("runs.parquet")).unwrap());
    merge(&series, &merged).unwrap();
    assert!(std::fs::read(&merged).unwrap() == std::fs::read(whole.path().join("series.parquet")).unwrap());
    let e = merge(&[files[0].clone(), series[0].clone()], &merged).unwrap_err();
    assert!(e.contains("merge each table on its own"), "{e}");
}

#[test]
fn a_different_spec_or_a_bad_point_is_refused() {
    let plan = SweepSpec::parse(SPEC, "spec.toml").unwrap().plan().unwrap();
    let dir = tempfile::tempdir().unwrap();
    run_sweep(&plan, &Toy::new(5), &opts(dir.path(), 1, None)).unwrap_err();
    let other = SweepSpec::parse(&SPEC.replace("seed = 99", "seed = 98"), "spec.toml")
        .unwrap()
        .plan()
        .unwrap();
    let e = run_sweep(&other, &Toy::new(u64::MAX), &opts(dir.path(), 1, None)).unwrap_err();
    assert!(e.contains("unfinished sweep of a different spec"), "{e}");

    let bad = SweepSpec::parse(&SPEC.replace("from = 0.0", "from = -1.0"), "spec.toml")
        .unwrap()
        .plan()
        .unwrap();
    let e = run_sweep(&bad, &Toy::new(u64::MAX), &opts(dir.path(), 1, None)).unwrap_err();
    assert!(e.starts_with("point 0 (a=-1, b=p, c="), "{e}");

    let unknown = SweepSpec::parse(&format!("metrics = [\"y\", \"z\"]\n{SPEC}"), "spec.toml")
        .unwrap()
        .plan()
        .unwrap();
    let e = run_sweep(&unknown, &Toy::new(u64::MAX), &opts(dir.path(), 1, None)).unwrap_err();
    assert!(
        e.starts_with("spec.toml:1:11: unknown metric `z`; runs of toy report: y, n, outcome"),
        "{e}"
    );
}

#[test]
fn a_spec_hashes_alike_from_any_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("specs")).unwrap();
    std::fs::write(dir.path().join("specs/base.toml"), "name = \"b\"\n").unwrap();
    let spec = dir.path().join("specs/spec.toml");
    std::fs::write(&spec, "scenario = \"base.toml\"\n[vary]\nlegitimacy = [0.7]\n").unwrap();
    let direct = SweepSpec::load(&spec).unwrap();
    assert_eq!(
        direct.scenario,
        dir.path().join("specs/base.toml").display().to_string()
    );
    // The same file reached another way resolves the base differently but is the same sweep.
    let roundabout = SweepSpec::load(&dir.path().join("specs/../specs/spec.toml")).unwrap();
    assert_ne!(direct.scenario, roundabout.scenario);
    let hash = direct.plan().unwrap().hash;
    assert_eq!(hash, roundabout.plan().unwrap().hash);
    std::fs::write(dir.path().join("specs/base.toml"), "name = \"c\"\n").unwrap();
    assert_ne!(hash, direct.plan().unwrap().hash, "the base file's content counts");
}

/// A journal left by a crash after `runs` runs, in a fresh directory.
fn broken_journal(plan: &unrest_sweep::Plan, runs: u64) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let e = run_sweep(plan, &Toy::new(runs), &opts(dir.path(), 1, None)).unwrap_err();
    assert!(e.contains("simulated crash"), "{e}");
    dir
}

fn parts_of(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir.join(".journal"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("runs-"))
        .collect();
    v.sort();
    v
}

#[test]
fn a_foreign_or_damaged_journal_part_is_set_aside_and_its_runs_redone() {
    let plan = SweepSpec::parse(SPEC, "spec.toml").unwrap().plan().unwrap();
    let whole = tempfile::tempdir().unwrap();
    run_sweep(&plan, &Toy::new(u64::MAX), &opts(whole.path(), 1, None)).unwrap();
    let other = SweepSpec::parse(&SPEC.replace("seed = 99", "seed = 98"), "spec.toml")
        .unwrap()
        .plan()
        .unwrap();
    let foreign = tempfile::tempdir().unwrap();
    run_sweep(&other, &Toy::new(u64::MAX), &opts(foreign.path(), 1, None)).unwrap();

    let dir = broken_journal(&plan, 40);
    let parts = parts_of(dir.path());
    assert!(!parts.is_empty());
    // A truncated part, a part of another sweep (all 120 runs, same columns)
    // and a part of zeros.
    let first = std::fs::read(&parts[0]).unwrap();
    std::fs::write(&parts[0], &first[..first.len() / 2]).unwrap();
    let journal = dir.path().join(".journal");
    std::fs::copy(
        foreign.path().join("runs.parquet"),
        journal.join("runs-99999999.parquet"),
    )
    .unwrap();
    std::fs::write(journal.join("runs-99999998.parquet"), vec![0u8; 4096]).unwrap();

    let r = run_sweep(&plan, &Toy::new(u64::MAX), &opts(dir.path(), 2, None)).unwrap();
    assert_eq!(r.set_aside.len(), 3, "{:?}", r.set_aside);
    assert!(r.resumed < 40 && r.resumed + r.ran == 120, "{r:?}");
    let why: Vec<&str> = r.set_aside.iter().map(|(_, w)| w.as_str()).collect();
    assert!(
        why.iter()
            .any(|w| w.contains("runs-99999999") && w.contains("another sweep")),
        "{why:?}"
    );
    for (kept, _) in &r.set_aside {
        assert!(
            kept.exists() && kept.starts_with(dir.path().join("journal-set-aside")),
            "{kept:?}"
        );
    }
    for f in ["runs.parquet", "series.parquet"] {
        let a = std::fs::read(whole.path().join(f)).unwrap();
        let b = std::fs::read(dir.path().join(f)).unwrap();
        assert!(a == b, "{f} differs from the uninterrupted sweep's");
    }
}

#[test]
fn a_part_with_rows_of_other_runs_is_set_aside() {
    let plan = SweepSpec::parse(SPEC, "spec.toml").unwrap().plan().unwrap();
    let dir = broken_journal(&plan, 30);
    // A part of this very sweep, but relabelled as shard 1/2 of it: identity
    // check; and the same part's rows under a shard's run numbers.
    let shard = Shard { index: 1, count: 2 };
    let e = run_sweep(&plan, &Toy::new(5), &opts(dir.path(), 1, Some(shard))).unwrap_err();
    assert!(e.contains("simulated crash"), "{e}");
    let shard_journal = dir.path().join(".journal.shard-1-of-2");
    let part = std::fs::read_dir(&shard_journal)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("runs-"))
        .unwrap();
    std::fs::copy(&part, dir.path().join(".journal/runs-00009999.parquet")).unwrap();
    let r = run_sweep(&plan, &Toy::new(u64::MAX), &opts(dir.path(), 1, None)).unwrap();
    assert_eq!(r.set_aside.len(), 1, "{:?}", r.set_aside);
    assert!(r.set_aside[0].1.contains("unrest.sweep.shard"), "{:?}", r.set_aside);
    assert_eq!(r.resumed + r.ran, 120);
}

#[test]
fn a_second_process_is_kept_out_by_the_lock() {
    let plan = SweepSpec::parse(SPEC, "spec.toml").unwrap().plan().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.path().join(".sweep.lock"))
        .unwrap();
    lock.try_lock().unwrap();
    std::fs::write(dir.path().join(".sweep.lock"), "4242").unwrap();
    let e = run_sweep(&plan, &Toy::new(u64::MAX), &opts(dir.path(), 1, None)).unwrap_err();
    assert!(e.contains("another unrest sweep (pid 4242) is writing"), "{e}");
    assert!(
        !dir.path().join(".journal").exists(),
        "nothing written under another's lock"
    );
    // Another shard has its own lock.
    let shard = Shard { index: 0, count: 2 };
    run_sweep(&plan, &Toy::new(u64::MAX), &opts(dir.path(), 1, Some(shard))).unwrap();
    drop(lock);
    run_sweep(&plan, &Toy::new(u64::MAX), &opts(dir.path(), 1, None)).unwrap();
}

#[test]
fn two_sweeps_started_together_never_mix() {
    let spec_a = SweepSpec::parse(SPEC, "spec.toml").unwrap().plan().unwrap();
    let spec_b = SweepSpec::parse(&SPEC.replace("seed = 99", "seed = 98"), "spec.toml")
        .unwrap()
        .plan()
        .unwrap();
    let refs: Vec<Vec<u8>> = [&spec_a, &spec_b]
        .iter()
        .map(|p| {
            let d = tempfile::tempdir().unwrap();
            run_sweep(p, &Toy::new(u64::MAX), &opts(d.path(), 1, None)).unwrap();
            std::fs::read(d.path().join("runs.parquet")).unwrap()
        })
        .collect();
    for round in 0..10 {
        let dir = tempfile::tempdir().unwrap();
        let same = round % 2 == 0;
        let plans = [&spec_a, if same { &spec_a } else { &spec_b }];
        let results: Vec<Result<_, String>> = std::thread::scope(|s| {
            let handles: Vec<_> = plans
                .iter()
                .map(|p| s.spawn(|| run_sweep(p, &Toy::new(u64::MAX), &opts(dir.path(), 1, None))))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(results.iter().any(|r| r.is_ok()), "round {round}: {results:?}");
        for r in results.iter().filter_map(|r| r.as_ref().err()) {
            assert!(
                r.contains("is writing")
                    || r.contains("unfinished sweep of a different spec")
                    || r.contains("results of a different sweep"),
                "round {round}: {r}"
            );
        }
        let got = std::fs::read(dir.path().join("runs.parquet")).unwrap();
        assert!(got == refs[0] || got == refs[1], "round {round}: a mixed runs.parquet");
    }
}

#[test]
fn temporaries_a_killed_process_left_are_removed() {
    let plan = SweepSpec::parse(SPEC, "spec.toml").unwrap().plan().unwrap();
    let dir = broken_journal(&plan, 10);
    let stale = dir.path().join(".runs.parquet.999999.tmp");
    std::fs::write(&stale, b"half a file").unwrap();
    let other = dir.path().join(".notes.txt.5.tmp");
    std::fs::write(&other, b"not ours").unwrap();
    run_sweep(&plan, &Toy::new(u64::MAX), &opts(dir.path(), 1, None)).unwrap();
    assert!(!stale.exists());
    assert!(
        other.exists(),
        "only the temporaries of our own result files are removed"
    );
}

/// Sets a cancel flag once `after` runs have finished (a stand-in for Ctrl-C).
struct Cancelling {
    toy: Toy,
    after: u64,
    done: AtomicU64,
    flag: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Runner for Cancelling {
    fn metrics(&self, b: &str) -> Result<Vec<MetricDef>, String> {
        self.toy.metrics(b)
    }
    fn check(&self, b: &str, o: &[(String, String)]) -> Result<(), String> {
        self.toy.check(b, o)
    }
    fn run(&self, b: &str, o: &[(String, String)], seed: u64, keep: bool) -> Result<RunOutput, String> {
        let out = self.toy.run(b, o, seed, keep);
        if self.done.fetch_add(1, Ordering::SeqCst) + 1 >= self.after {
            self.flag.store(true, Ordering::SeqCst);
        }
        out
    }
}

#[test]
fn a_cancelled_sweep_stops_writes_no_results_and_resumes_to_the_same_bytes() {
    let plan = SweepSpec::parse(SPEC, "spec.toml").unwrap().plan().unwrap();
    let whole = tempfile::tempdir().unwrap();
    run_sweep(&plan, &Toy::new(u64::MAX), &opts(whole.path(), 2, None)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let runner = Cancelling {
        toy: Toy::new(u64::MAX),
        after: 10,
        done: AtomicU64::new(0),
        flag: flag.clone(),
    };
    let mut o = opts(dir.path(), 2, None);
    o.cancel = Some(flag);
    let e = run_sweep(&plan, &runner, &o).unwrap_err();
    assert_eq!(e, unrest_sweep::exec::INTERRUPTED);
    // At most the runs in flight when the flag was set ran after it.
    assert!(
        runner.done.load(Ordering::SeqCst) <= 12,
        "{}",
        runner.done.load(Ordering::SeqCst)
    );
    assert!(!dir.path().join("runs.parquet").exists());
    let r = run_sweep(&plan, &Toy::new(u64::MAX), &opts(dir.path(), 1, None)).unwrap();
    assert!(r.resumed >= 10 && r.resumed < 120, "{}", r.resumed);
    let read = |d: &std::path::Path| std::fs::read(d.join("runs.parquet")).unwrap();
    assert!(read(whole.path()) == read(dir.path()));
}

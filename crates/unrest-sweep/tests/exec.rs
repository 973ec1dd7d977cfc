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

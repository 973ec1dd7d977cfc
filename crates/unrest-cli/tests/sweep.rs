//! `unrest sweep` end to end: kill -9 and resume, shards and merge, files a
//! reader other than ours (pyarrow) accepts, the Slurm script, heat maps,
//! and spec errors.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{ok, unrest};

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// 240 lattice runs of 80 steps on a 20×20 torus: long enough (a second or
/// two) to be killed in the middle.
const SPEC: &str = r#"# legitimacy × cop density on a small lattice
scenario = "epstein-run2"
seed = 2026
replicates = 4
keep_series = true
metrics = ["mean_active", "peak_active", "outbursts", "mean_waiting_time", "arrests"]
[set]
steps = 80
width = 20
height = 20
[vary]
legitimacy = { from = 0.6, to = 0.95, step = 0.05 }
cop_density = [0.02, 0.04, 0.06, 0.08]
[sample]
method = "lhs"
size = 2
ranges = { threshold = { min = 0.05, max = 0.15 } }
"#;

fn write_spec(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join("spec.toml");
    std::fs::write(&p, text).unwrap();
    p
}

fn parts_in(journal: &Path) -> usize {
    std::fs::read_dir(journal)
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("runs-"))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn kill_9_mid_sweep_then_rerun_gives_the_uninterrupted_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write_spec(dir.path(), SPEC);
    let spec = spec.to_str().unwrap();
    let whole = dir.path().join("whole");
    let out = ok(&unrest(&[
        "sweep",
        spec,
        "--out",
        whole.to_str().unwrap(),
        "--jobs",
        "2",
    ]));
    assert!(
        out.contains("sweep: 256 runs (0 resumed from the journal, 256 run now)"),
        "{out}"
    );

    let killed = dir.path().join("killed");
    let journal = killed.join(".journal");
    let mut kills = 0;
    for _ in 0..2 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_unrest"))
            .args(["sweep", spec, "--out", killed.to_str().unwrap(), "--jobs", "2"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait until this process has journalled something new, then SIGKILL it.
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
        "the sweep finished before it could be killed: make it longer"
    );
    assert!(parts_in(&journal) > 0);
    let out = ok(&unrest(&[
        "sweep",
        spec,
        "--out",
        killed.to_str().unwrap(),
        "--jobs",
        "1",
    ]));
    let resumed: u64 = out
        .split(" runs (")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no resumed count in {out}"));
    assert!(resumed > 0 && resumed < 256, "{out}");
    assert!(read(&whole.join("runs.parquet")) == read(&killed.join("runs.parquet")));
    assert!(read(&whole.join("series.parquet")) == read(&killed.join("series.parquet")));
    assert!(!journal.exists());
    let again = ok(&unrest(&["sweep", spec, "--out", killed.to_str().unwrap()]));
    assert!(again.contains("already complete"), "{again}");
}

#[test]
fn shards_merge_to_the_single_machine_file_and_slurm_script_uses_them() {
    let dir = tempfile::tempdir().unwrap();
    let small = SPEC
        .replace("step = 0.05", "step = 0.15")
        .replace("steps = 80", "steps = 20");
    let spec = write_spec(dir.path(), &small);
    let spec = spec.to_str().unwrap();
    let whole = dir.path().join("whole");
    ok(&unrest(&["sweep", spec, "--out", whole.to_str().unwrap(), "--csv"]));
    let sharded = dir.path().join("sharded");
    let mut parts = Vec::new();
    for i in 0..3 {
        let o = ok(&unrest(&[
            "sweep",
            spec,
            "--out",
            sharded.to_str().unwrap(),
            "--shard",
            &format!("{i}/3"),
        ]));
        assert!(o.contains(&format!("(shard {i}/3)")), "{o}");
        parts.push(sharded.join(format!("runs.shard-{i}-of-3.parquet")));
    }
    let merged = dir.path().join("merged.parquet");
    let mut args = vec!["merge"];
    args.extend(parts.iter().map(|p| p.to_str().unwrap()));
    args.extend(["--out", merged.to_str().unwrap()]);
    ok(&unrest(&args));
    assert!(read(&merged) == read(&whole.join("runs.parquet")));

    let o = ok(&unrest(&[
        "sweep",
        spec,
        "--out",
        sharded.to_str().unwrap(),
        "--slurm",
        "--tasks",
        "3",
    ]));
    assert!(o.contains("sweep.sbatch"), "{o}");
    let script = String::from_utf8(read(&sharded.join("sweep.sbatch"))).unwrap();
    assert!(script.contains("#SBATCH --array=0-2"));
    assert!(script.contains("--shard \"${SLURM_ARRAY_TASK_ID}/3\""));

    let svg = dir.path().join("h.svg");
    ok(&unrest(&[
        "sweep-plot",
        merged.to_str().unwrap(),
        "--x",
        "legitimacy",
        "--y",
        "cop_density",
        "--metric",
        "mean_active",
        "--out",
        svg.to_str().unwrap(),
    ]));
    let svg = String::from_utf8(read(&svg)).unwrap();
    assert!(svg.contains("mean mean_active by legitimacy and cop_density"));
    let o = unrest(&[
        "sweep-plot",
        merged.to_str().unwrap(),
        "--x",
        "legitimacy",
        "--y",
        "nope",
        "--metric",
        "arrests",
    ]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("no column `nope`"));
}

/// Reads the files with pyarrow, the reader pandas uses. Python comes from
/// $UNREST_PYTHON (set by .ci/run to a venv with pyarrow) or `python3`; with
/// neither able to import pyarrow the test says so and does nothing.
#[test]
fn pyarrow_reads_the_files_as_they_are() {
    let python = std::env::var("UNREST_PYTHON").unwrap_or_else(|_| "python3".into());
    let probe = Command::new(&python).args(["-c", "import pyarrow"]).output();
    if !probe.as_ref().is_ok_and(|o| o.status.success()) {
        eprintln!(
            "SKIPPED pyarrow_reads_the_files_as_they_are: {python} cannot import pyarrow \
             (.ci/run installs it into a venv and sets UNREST_PYTHON)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let small = SPEC
        .replace("step = 0.05", "step = 0.15")
        .replace("steps = 80", "steps = 20");
    let spec = write_spec(dir.path(), &small);
    let out = dir.path().join("out");
    ok(&unrest(&[
        "sweep",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--csv",
    ]));
    let script = r#"
import csv, sys
import pyarrow.parquet as pq
out = sys.argv[1]
runs = pq.read_table(out + "/runs.parquet")
series = pq.read_table(out + "/series.parquet")
cols = runs.column_names
assert cols[:6] == ["run", "point", "replicate", "seed", "legitimacy", "cop_density"], cols
assert cols[6:] == ["threshold", "mean_active", "peak_active", "outbursts", "mean_waiting_time", "arrests"], cols
assert runs.num_rows == 96, runs.num_rows
assert runs.column("run").to_pylist() == list(range(96))
assert str(runs.schema.field("seed").type) == "uint64"
meta = runs.schema.metadata
file_meta = pq.read_metadata(out + "/runs.parquet").metadata
assert meta == {k: v for k, v in file_meta.items() if k != b"ARROW:schema"}, (meta, file_meta)
assert meta[b"unrest.sweep.table"] == b"runs" and len(meta[b"unrest.sweep.spec_hash"]) == 24
with open(out + "/runs.csv") as f:
    rows = list(csv.DictReader(f))
for r, row in zip(runs.to_pylist(), rows):
    assert str(r["seed"]) == row["seed"]
    assert r["mean_active"] == float(row["mean_active"])
    assert (r["mean_waiting_time"] is None) == (row["mean_waiting_time"] == "")
assert series.num_rows == 96 * 21, series.num_rows
assert series.column_names == ["run", "step", "quiet", "active", "jailed", "dead", "cops", "arrests", "kills"]
print("pyarrow ok", runs.num_rows, series.num_rows)
"#;
    let o = Command::new(&python)
        .args(["-c", script, out.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = ok(&o);
    assert!(stdout.contains("pyarrow ok 96 2016"), "{stdout}");
}

#[test]
fn spec_errors_name_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write_spec(dir.path(), &SPEC.replace("replicates = 4", "replicates = 0"));
    let o = unrest(&[
        "sweep",
        spec.to_str().unwrap(),
        "--out",
        dir.path().join("o").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("spec.toml:4:14: replicates must be a whole number from 1 to 1000000"),
        "{err}"
    );
    let spec = write_spec(dir.path(), &SPEC.replace("cop_density = [", "cop_densty = ["));
    let o = unrest(&[
        "sweep",
        spec.to_str().unwrap(),
        "--out",
        dir.path().join("o").to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("unknown parameter `cop_densty`"), "{err}");
    assert!(
        err.contains("spec.toml:13:14: point 0 (legitimacy=0.6, cop_densty=0.02, threshold="),
        "{err}"
    );
    let o = unrest(&["sweep", spec.to_str().unwrap(), "--shard", "3/3"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("expected I/N with 0 <= I < N"));
}

/// Issue 15: a country sweep's `[set]` value that the scenario refuses is
/// blamed on that line of the spec, not on the built-in's line holding the
/// value it replaced; a value of the wrong type likewise.
#[test]
fn a_bad_set_value_of_a_country_sweep_is_located_in_the_spec() {
    let dir = tempfile::tempdir().unwrap();
    for (value, expected) in [
        ("4294967295", "4294967295 is out of range"),
        ("\"NaN\"", "invalid type: string \"NaN\", expected f64"),
    ] {
        let text = format!(
            "scenario = \"kazakhstan-2022\"\nseed = 1\n[set]\nscale = {value}\n[vary]\n\"loyalty.wavering\" = [1.0, 2.0]\n"
        );
        let spec = write_spec(dir.path(), &text);
        let o = unrest(&[
            "sweep",
            spec.to_str().unwrap(),
            "--out",
            dir.path().join("o").to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("spec.toml:4:9: point 0 (loyalty.wavering=1): --set scale="),
            "{err}"
        );
        assert!(err.contains(expected), "{err}");
        assert!(!err.contains("<built-in kazakhstan-2022>"), "{err}");
    }
}

//! `unrest calibrate` recovers a known legitimacy from synthetic data.
//!
//! The synthetic "observations" are made by the model itself: an `unrest
//! sweep` at legitimacy 0.75 (8 replicates), averaged. ABC rejection with a
//! flat prior on [0.6, 0.95], averaging 4 runs per draw like the target
//! averages its replicates, must then put the truth inside its 90% interval
//! and its posterior mean near it, and write a best-fit scenario that
//! `unrest check` accepts.

mod common;
use common::{ok, unrest};

const TRUE_LEGITIMACY: f64 = 0.75;

#[test]
fn abc_recovers_legitimacy_from_synthetic_mean_active_and_jailed() {
    let dir = tempfile::tempdir().unwrap();
    let d = |p: &str| dir.path().join(p).to_str().unwrap().to_string();
    let spec = format!(
        "scenario = \"epstein-run2\"\nseed = 5\nreplicates = 8\nmetrics = [\"mean_active\", \"mean_jailed\"]\n\
         [set]\nsteps = 60\nwidth = 20\nheight = 20\n[vary]\nlegitimacy = [{TRUE_LEGITIMACY}]\n"
    );
    std::fs::write(d("synth.toml"), spec).unwrap();
    ok(&unrest(&["sweep", &d("synth.toml"), "--out", &d("synth"), "--csv"]));
    let csv = std::fs::read_to_string(d("synth/runs.csv")).unwrap();
    let rows: Vec<Vec<f64>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').skip(5).map(|x| x.parse().unwrap()).collect())
        .collect();
    let mean = |j: usize| rows.iter().map(|r| r[j]).sum::<f64>() / rows.len() as f64;
    std::fs::write(
        d("target.toml"),
        format!(
            "name = \"synthetic\"\n[stats]\nmean_active = {}\nmean_jailed = {}\n",
            mean(0),
            mean(1)
        ),
    )
    .unwrap();

    let out = ok(&unrest(&[
        "calibrate",
        "epstein-run2",
        "--target",
        &d("target.toml"),
        "--param",
        "legitimacy=0.6:0.95",
        "--set",
        "steps=60",
        "--set",
        "width=20",
        "--set",
        "height=20",
        "--replicates",
        "4",
        "--draws",
        "250",
        "--accept",
        "0.05",
        "--out",
        &d("cal"),
    ]));
    let line = out.lines().find(|l| l.trim_start().starts_with("legitimacy")).unwrap();
    let nums: Vec<f64> = line
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter_map(|s| s.parse().ok())
        .collect();
    let (post_mean, lo, hi) = (nums[0], nums[2], nums[3]);
    assert!(
        (post_mean - TRUE_LEGITIMACY).abs() < 0.05,
        "posterior mean {post_mean}: {out}"
    );
    assert!(lo <= TRUE_LEGITIMACY && TRUE_LEGITIMACY <= hi, "{out}");
    assert!(hi - lo < 0.25, "the posterior should be narrower than the prior: {out}");
    for f in ["draws.parquet", "posterior.parquet", "posterior.svg", "best.toml"] {
        assert!(dir.path().join("cal").join(f).exists(), "{f}");
    }
    let check = ok(&unrest(&["check", &d("cal/best.toml")]));
    assert!(check.contains("epstein-run2-calibrated: ok (60 steps"), "{check}");

    let e = unrest(&[
        "calibrate",
        "epstein-run2",
        "--target",
        &d("target.toml"),
        "--param",
        "legitimacy=1:0",
    ]);
    assert!(String::from_utf8_lossy(&e.stderr).contains("expected NAME=MIN:MAX"));
    std::fs::write(d("bad.toml"), "[stats]\npeak = 3\n").unwrap();
    let e = unrest(&[
        "calibrate",
        "epstein-run2",
        "--target",
        &d("bad.toml"),
        "--param",
        "legitimacy=0.5:0.9",
    ]);
    assert!(String::from_utf8_lossy(&e.stderr).contains("target statistic `peak` is not reported"));
}

/// The episode path end to end, as small as it gets (two draws of the full
/// kazakhstan-2022 country scenario): the built-in KAZ-2022 target (dates,
/// outcome, scaled deaths and detentions), dotted country parameters, and a
/// best-fit country scenario that `unrest check` accepts.
#[test]
fn episode_calibration_writes_a_valid_country_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("kaz");
    let o = ok(&unrest(&[
        "calibrate",
        "kazakhstan-2022",
        "--target",
        "KAZ-2022",
        "--param",
        "information.contagion=8.0:16.0",
        "--draws",
        "2",
        "--accept",
        "0.5",
        "--out",
        out.to_str().unwrap(),
    ]));
    assert!(o.contains("calibrate: 2 draws, 1 accepted"), "{o}");
    let best = std::fs::read_to_string(out.join("best.toml")).unwrap();
    assert!(best.starts_with("# Best fit of `unrest calibrate kazakhstan-2022` against KAZ-2022"));
    let check = ok(&unrest(&["check", out.join("best.toml").to_str().unwrap()]));
    assert!(check.contains("kazakhstan-2022-calibrated: ok"), "{check}");
}

/// `calibrate --plan`: ABC-SMC over a country episode. A small plan (a
/// coarse Kazakhstan) must write the posterior, its
/// table, figure and tolerance path; give the same bytes with one thread as
/// with all; resume a torn journal to the same bytes; and refuse a plan with
/// an unknown key, naming the file.
#[test]
fn smc_plan_writes_a_posterior_reproducibly_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let d = |p: &str| dir.path().join(p).to_str().unwrap().to_string();
    // Kazakhstan at 1:2000 (about 9,500 agents): its criteria give a graded
    // miss, so the tolerance has somewhere to fall (an outcome-only anchor
    // scores 0 or 3 and stops as soon as half the particles reach it).
    let plan = "particles = 6\ngenerations = 2\nseeds = 1\nseed = 3\n\
         [[episodes]]\nscenario = \"kazakhstan-2022\"\nname = \"kz\"\nset = [\"scale=2000\"]\n\
         [[params]]\nkey = \"loyalty.crowd_per_officer\"\nmin = 2.0\nmax = 60.0\nlog = true\n\
         [[params]]\nkey = \"information.contagion\"\nmin = 4.0\nmax = 30.0\n"
        .to_string();
    std::fs::write(d("plan.toml"), &plan).unwrap();
    let out = ok(&unrest(&["calibrate", "--plan", &d("plan.toml"), "--out", &d("a")]));
    assert!(out.contains("generation  2"), "{out}");
    for f in [
        "journal.csv",
        "generations.csv",
        "posterior.parquet",
        "posterior.csv",
        "posterior.svg",
    ] {
        assert!(std::path::Path::new(&d(&format!("a/{f}"))).exists(), "{f} missing");
    }
    let gens = std::fs::read_to_string(d("a/generations.csv")).unwrap();
    let eps: Vec<f64> = gens
        .lines()
        .skip(2)
        .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
        .collect();
    assert!(eps.windows(2).all(|w| w[1] <= w[0]), "tolerances fall: {gens}");
    let post = std::fs::read_to_string(d("a/posterior.csv")).unwrap();
    assert_eq!(post.lines().count(), 7, "a header and 6 particles: {post}");
    assert!(post
        .lines()
        .next()
        .unwrap()
        .contains("distance_kz,loyalty.crowd_per_officer,information.contagion"));
    assert_eq!(&std::fs::read(d("a/posterior.parquet")).unwrap()[..4], b"PAR1");

    // One thread, another directory: the same posterior, byte for byte.
    ok(&unrest(&[
        "calibrate",
        "--plan",
        &d("plan.toml"),
        "--out",
        &d("b"),
        "--jobs",
        "1",
    ]));
    assert_eq!(post, std::fs::read_to_string(d("b/posterior.csv")).unwrap());

    // A torn journal (a kill mid-line) and no outputs: the resumed run ends where the first did.
    let journal = std::fs::read_to_string(d("b/journal.csv")).unwrap();
    std::fs::write(d("b/journal.csv"), &journal[..journal.len() - 7]).unwrap();
    std::fs::remove_file(d("b/posterior.csv")).unwrap();
    let resumed = ok(&unrest(&["calibrate", "--plan", &d("plan.toml"), "--out", &d("b")]));
    assert!(resumed.contains("resuming"), "{resumed}");
    assert_eq!(post, std::fs::read_to_string(d("b/posterior.csv")).unwrap());

    // Another plan into the same directory is refused; so is a misspelt key.
    std::fs::write(d("plan2.toml"), plan.replace("seed = 3", "seed = 4")).unwrap();
    let o = unrest(&["calibrate", "--plan", &d("plan2.toml"), "--out", &d("b")]);
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("another calibration"));
    std::fs::write(d("bad.toml"), plan.replace("particles", "particels")).unwrap();
    let o = unrest(&["calibrate", "--plan", &d("bad.toml")]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("bad.toml") && err.contains("particels"),
        "{err}"
    );
}

/// `validate --posterior` and `compare --posterior`: each run draws its
/// fitted values from a calibration's posterior.csv. The draws follow the
/// weights (a zero-weight particle is never used), the output is a function
/// of the seed, and a malformed table is refused at its line.
#[test]
fn validate_and_compare_draw_parameters_from_a_posterior() {
    let dir = tempfile::tempdir().unwrap();
    let d = |p: &str| dir.path().join(p).to_str().unwrap().to_string();
    // Two particles; the second, with no weight, would stop all arrests.
    let post = "particle,weight,distance,distance_kz,loyalty.crowd_per_officer,police.arrests_per_day\n\
                0,1,0.5,0.5,12.5,0.004\n\
                1,0,0.9,0.9,12.5,0\n";
    std::fs::write(d("posterior.csv"), post).unwrap();
    let args = [
        "validate",
        "kazakhstan-2022",
        "--set",
        "scale=2000",
        "--seeds",
        "3",
        "--json",
        "--posterior",
    ];
    let run = |p: &str| {
        let mut a: Vec<&str> = args.to_vec();
        a.push(p);
        unrest(&a)
    };
    let a = run(&d("posterior.csv"));
    let text = String::from_utf8_lossy(&a.stdout).to_string();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(v["posterior"]["particles_drawn"], 1, "{text}");
    let mut again: serde_json::Value = serde_json::from_slice(&run(&d("posterior.csv")).stdout).unwrap();
    let mut first = v.clone();
    for x in [&mut first, &mut again] {
        x.as_object_mut().unwrap().remove("wall_seconds");
    }
    assert_eq!(first, again, "same seed, same results (all but the wall time)");
    // Only the weighted particle runs: the same as setting its values by hand.
    let by_hand = unrest(&[
        "validate",
        "kazakhstan-2022",
        "--set",
        "scale=2000",
        "--seeds",
        "3",
        "--json",
        "--set",
        "loyalty.crowd_per_officer=12.5",
        "--set",
        "police.arrests_per_day=0.004",
    ]);
    let h: serde_json::Value = serde_json::from_slice(&by_hand.stdout).unwrap();
    assert_eq!(v["criteria"], h["criteria"]);
    assert_eq!(v["outcomes"], h["outcomes"]);

    let c = ok(&unrest(&[
        "compare",
        "kazakhstan-2022",
        "--set",
        "scale=2000",
        "--seeds",
        "3",
        "--variant",
        "no CSTO: events.drop=foreign_troops_in",
        "--posterior",
        &d("posterior.csv"),
    ]));
    assert!(c.contains("fitted parameters drawn from"), "{c}");

    std::fs::write(
        d("bad.csv"),
        "particle,weight,loyalty.crowd_per_officer\n0,1,12\n1,x,3\n",
    )
    .unwrap();
    let e = run(&d("bad.csv"));
    let err = String::from_utf8_lossy(&e.stderr);
    assert!(
        !e.status.success() && err.contains("bad.csv:3") && err.contains("weight"),
        "{err}"
    );
    std::fs::write(d("nokey.csv"), "particle,weight,loyalty.crowd_per_officr\n0,1,12\n").unwrap();
    let e = run(&d("nokey.csv"));
    let err = String::from_utf8_lossy(&e.stderr);
    assert!(!e.status.success() && err.contains("crowd_per_officr"), "{err}");
}

/// `validate --ppc`: each criterion with a number (sizes, tolls, dates) gets
/// the runs' median and 90% interval and whether the record lies inside,
/// in the table and in the JSON; the record is the middle of the criterion's band.
#[test]
fn validate_prints_a_predictive_check_against_the_record() {
    let base = ["validate", "kazakhstan-2022", "--set", "scale=2000", "--seeds", "3"];
    let mut json_args = base.to_vec();
    json_args.push("--json");
    let o = unrest(&json_args);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let crit = v["criteria"].as_array().unwrap();
    let size = crit
        .iter()
        .find(|c| c["label"].as_str().unwrap().starts_with("national peak within"))
        .unwrap();
    let p = &size["predictive"];
    // The band is 25,000–100,000 around the official 50,000.
    assert!((p["record"].as_f64().unwrap() - 50_000.0).abs() < 1e-6, "{p}");
    assert_eq!(p["unit"], "people");
    let (lo, mid, hi) = (
        p["q05"].as_f64().unwrap(),
        p["median"].as_f64().unwrap(),
        p["q95"].as_f64().unwrap(),
    );
    assert!(lo <= mid && mid <= hi, "{p}");
    assert_eq!(p["inside"].as_bool().unwrap(), lo <= 50_000.0 && 50_000.0 <= hi);
    // A judgement such as "spreads" has no number to check.
    let spreads = crit
        .iter()
        .find(|c| c["label"].as_str().unwrap().starts_with("active protest in most"))
        .unwrap();
    assert!(spreads["predictive"].is_null());
    let mut table_args = base.to_vec();
    table_args.push("--ppc");
    let t = String::from_utf8_lossy(&unrest(&table_args).stdout).to_string();
    assert!(t.contains("predictive check (3 runs)"), "{t}");
    assert!(
        t.contains("national peak within x2 of 50,000") && t.contains("50000"),
        "{t}"
    );
}

/// `calibrate --plan --shard I/N`, `--merge`: a calibration sharded
/// generation by generation (two shards, then three) ends with the
/// posterior of the unsharded run, byte for byte; a shard killed midway
/// (kill -9) resumes from its journal; a merge before the shards are done
/// says which generation is pending; `--slurm` writes the scripts.
#[test]
fn sharded_calibration_merges_to_the_unsharded_posterior() {
    let dir = tempfile::tempdir().unwrap();
    let d = |p: &str| dir.path().join(p).to_str().unwrap().to_string();
    let plan = "particles = 6\ngenerations = 2\nseeds = 1\nseed = 3\n\
         [[episodes]]\nscenario = \"kazakhstan-2022\"\nname = \"kz\"\nset = [\"scale=2000\"]\n\
         [[params]]\nkey = \"loyalty.crowd_per_officer\"\nmin = 2.0\nmax = 60.0\nlog = true\n\
         [[params]]\nkey = \"information.contagion\"\nmin = 4.0\nmax = 30.0\n";
    std::fs::write(d("plan.toml"), plan).unwrap();
    ok(&unrest(&["calibrate", "--plan", &d("plan.toml"), "--out", &d("full")]));

    let cal = |extra: &[&str]| {
        let (plan_path, out) = (d("plan.toml"), d("sh"));
        let mut a = vec!["calibrate", "--plan", &plan_path, "--out", &out, "--jobs", "1"];
        a.extend_from_slice(extra);
        ok(&unrest(&a))
    };
    let mut killed = false;
    let mut rounds = 0;
    loop {
        rounds += 1;
        assert!(rounds <= 4, "the sharded calibration never completes");
        let n = if rounds == 2 { 3 } else { 2 };
        for i in 0..n {
            let shard = format!("{i}/{n}");
            if rounds == 1 && i == 1 {
                // Killed as soon as its first evaluation is journaled.
                let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_unrest"))
                    .args([
                        "calibrate",
                        "--plan",
                        &d("plan.toml"),
                        "--out",
                        &d("sh"),
                        "--jobs",
                        "1",
                        "--shard",
                        &shard,
                    ])
                    .stdout(std::process::Stdio::null())
                    .spawn()
                    .unwrap();
                let file = d(&format!("sh/journal.shard-{i}-of-{n}.csv"));
                let t0 = std::time::Instant::now();
                while child.try_wait().unwrap().is_none() && t0.elapsed().as_secs() < 300 {
                    let lines = std::fs::read_to_string(&file).map_or(0, |t| t.lines().count());
                    if lines >= 2 {
                        child.kill().unwrap(); // SIGKILL
                        killed = true;
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                child.wait().unwrap();
                let o = cal(&["--shard", &shard]);
                if killed {
                    assert!(o.contains("resuming: 1 evaluations"), "{o}");
                }
                assert!(o.contains("this shard's evaluations are done"), "{o}");
                continue;
            }
            let o = cal(&["--shard", &shard]);
            assert!(o.contains(&format!("(shard {i}/{n})")), "{o}");
            if rounds == 2 && i == 0 {
                // A merge before the other shards are done: nothing to write yet.
                let m = cal(&["--merge"]);
                assert!(m.contains("generation 1 is pending"), "{m}");
                assert!(!m.contains("wrote"), "{m}");
            }
        }
        let m = cal(&["--merge"]);
        let merged = if rounds == 2 { n - 1 } else { n };
        assert!(m.contains(&format!("merged {merged} shard journals")), "{m}");
        if m.contains("posterior-pairs.svg") {
            break;
        }
        assert!(m.contains(&format!("generation {rounds} is pending")), "{m}");
    }
    assert!(killed, "the shard was killed before it finished");
    assert_eq!(rounds, 3, "a round of shards for each of the 3 generations");
    for f in ["posterior.csv", "posterior.parquet", "generations.csv"] {
        assert_eq!(
            std::fs::read(d(&format!("full/{f}"))).unwrap(),
            std::fs::read(d(&format!("sh/{f}"))).unwrap(),
            "{f}: sharded = unsharded, byte for byte"
        );
    }
    let pairs = std::fs::read_to_string(d("sh/posterior-pairs.svg")).unwrap();
    assert!(pairs.contains("\ncrowd_per_officer\n") && pairs.contains("\ncontagion\n"));
    assert!(std::fs::read_dir(d("sh"))
        .unwrap()
        .flatten()
        .all(|e| !e.file_name().to_string_lossy().starts_with("journal.shard-")));
    // A plain rerun finds everything in the journal.
    let again = cal(&[]);
    assert!(again.contains("resuming"), "{again}");
    assert_eq!(
        std::fs::read(d("full/posterior.csv")).unwrap(),
        std::fs::read(d("sh/posterior.csv")).unwrap()
    );

    let s = cal(&["--slurm", "--tasks", "3"]);
    assert!(s.contains("3 generations × 3 array tasks"), "{s}");
    let array = std::fs::read_to_string(d("sh/calibrate.sbatch")).unwrap();
    assert!(array.contains("#SBATCH --array=0-2") && array.contains("--shard \"${SLURM_ARRAY_TASK_ID}/3\""));
    assert!(std::fs::read_to_string(d("sh/calibrate-merge.sbatch"))
        .unwrap()
        .contains("--merge"));
    assert!(std::fs::read_to_string(d("sh/calibrate-submit.sh"))
        .unwrap()
        .contains("afterok"));
}

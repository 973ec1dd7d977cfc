//! Quick docking test: unrest's `mesa` preset against 30 runs of Mesa 3.5.1's
//! `epstein_civil_violence` example (the full version, with more statistics and
//! the commands, is `validation/dock.sh`; method and results in
//! `validation/README.md`).
//!
//! The reference runs live outside the repository, in
//! `validation/mesa/reference/mesa_run2like_seed{1..30}.csv` beside the clone
//! (override with `UNREST_REFERENCE_DIR`). They were made at cop density 0.04,
//! legitimacy 0.82, max jail term 30, 500 steps. Here the built-in `mesa-default`
//! scenario runs at the same setting for seeds 1..=30, in process.
//!
//! The two programs draw different random numbers, so runs are compared as
//! distributions over seeds, one value per run (independent across runs): mean
//! active and mean jailed after a 100-step burn-in, and the number of outbursts
//! (runs of more than 50 actives) after the burn-in. Each must pass a two-sample
//! Kolmogorov–Smirnov test at α = 0.01 (exact permutation p-value), and the
//! Welch 95% confidence interval of the difference of means must contain 0.
//!
//! Why the Welch interval and not "each mean lies inside the other's 95% CI":
//! for two samples from one distribution the latter fails about 17% of the time
//! per metric (the difference of means has √2 times the spread of one mean), so
//! it would flag harmless changes of the random stream. The Welch interval is the
//! calibrated form of the same question (a 5% false-alarm rate). Per-run means
//! of 400 steps and counts of ~9 outbursts are close enough to normal for it.
//!
//! Seeds are fixed, so the test is deterministic; it fails only if the model (or
//! its random stream) changes. Runs are spread over threads; results do not
//! depend on the thread count.

use std::path::{Path, PathBuf};

use unrest_core::World;
use unrest_scenario::Scenario;

const SEEDS: u64 = 30;
const STEPS: u64 = 500;
const BURN_IN: u64 = 100;
const OUTBURST: u32 = 50;
const ALPHA: f64 = 0.01;

/// Per-run summaries after the burn-in.
#[derive(Debug, Clone, Copy)]
struct RunStats {
    mean_active: f64,
    mean_jailed: f64,
    outbursts: f64,
}

/// Summaries of one series of (step, active, jailed), same definitions as
/// `validation/dock.py`: steps after the burn-in only; an outburst is a maximal
/// run of consecutive steps with active > 50 (one open at the boundary counts).
fn summarise(rows: &[(u64, u32, u32)]) -> RunStats {
    let kept: Vec<_> = rows.iter().filter(|r| r.0 > BURN_IN).collect();
    assert!(!kept.is_empty(), "no steps after the burn-in of {BURN_IN}");
    let n = kept.len() as f64;
    let mut outbursts = 0;
    let mut inside = false;
    for r in &kept {
        let above = r.1 > OUTBURST;
        if above && !inside {
            outbursts += 1;
        }
        inside = above;
    }
    RunStats {
        mean_active: kept.iter().map(|r| f64::from(r.1)).sum::<f64>() / n,
        mean_jailed: kept.iter().map(|r| f64::from(r.2)).sum::<f64>() / n,
        outbursts: f64::from(outbursts),
    }
}

fn reference_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("UNREST_REFERENCE_DIR") {
        return PathBuf::from(d);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../validation/mesa/reference")
}

/// Reads one Mesa reference CSV (`step,quiet,active,jailed,...`).
fn read_reference(path: &Path) -> Vec<(u64, u32, u32)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").trim().split(',').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("{}: no column {name:?} in header {header:?}", path.display()))
    };
    let (cs, ca, cj) = (col("step"), col("active"), col("jailed"));
    lines
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(k, l)| {
            let f: Vec<&str> = l.trim().split(',').collect();
            let num = |c: usize| -> u64 {
                f.get(c)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| panic!("{} line {}: bad number in column {c}", path.display(), k + 2))
            };
            (num(cs), num(ca) as u32, num(cj) as u32)
        })
        .collect()
}

fn mesa_runs() -> Vec<RunStats> {
    let dir = reference_dir();
    assert!(
        dir.is_dir(),
        "docking reference runs not found at {}: this test needs Mesa's 30 reference runs \
         (validation/mesa/reference in the repository), or set \
         UNREST_REFERENCE_DIR to a directory holding mesa_run2like_seed1..30.csv",
        dir.display()
    );
    (1..=SEEDS)
        .map(|s| {
            let rows = read_reference(&dir.join(format!("mesa_run2like_seed{s}.csv")));
            assert_eq!(
                rows.last().map(|r| r.0),
                Some(STEPS),
                "reference seed {s} does not run to step {STEPS}"
            );
            summarise(&rows)
        })
        .collect()
}

fn unrest_run(seed: u64) -> RunStats {
    let sets: Vec<(String, String)> = [("cop_density", "0.04"), ("legitimacy", "0.82"), ("max_jail_term", "30")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let sc = Scenario::load("mesa-default", &sets).expect("built-in mesa-default loads");
    let mut world = World::new(sc.params, sc.schedule, seed).expect("valid parameters");
    let mut rows = vec![(0, 0, 0)];
    world.run(STEPS, |c| rows.push((c.step, c.active, c.jailed)));
    summarise(&rows)
}

fn unrest_runs() -> Vec<RunStats> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8) as u64;
    let mut out: Vec<(u64, RunStats)> = std::thread::scope(|sc| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                sc.spawn(move || {
                    (1..=SEEDS)
                        .filter(|s| s % threads == t)
                        .map(|s| (s, unrest_run(s)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    out.sort_by_key(|r| r.0);
    out.into_iter().map(|r| r.1).collect()
}

// ----- statistics -------------------------------------------------------------

/// Two-sample KS statistic as an integer: max over the pooled values of
/// |i·m − j·n| (i, j = points of each sample ≤ value), so D = that / (n·m).
fn ks_numerator(x: &[f64], y: &[f64]) -> u64 {
    let (mut xs, mut ys) = (x.to_vec(), y.to_vec());
    xs.sort_by(f64::total_cmp);
    ys.sort_by(f64::total_cmp);
    let (n, m) = (xs.len(), ys.len());
    let (mut i, mut j, mut best) = (0usize, 0usize, 0u64);
    while i < n || j < m {
        let v = if j >= m || (i < n && xs[i] <= ys[j]) {
            xs[i]
        } else {
            ys[j]
        };
        while i < n && xs[i] == v {
            i += 1;
        }
        while j < m && ys[j] == v {
            j += 1;
        }
        best = best.max((i * m).abs_diff(j * n) as u64);
    }
    best
}

/// Exact two-sided p-value P(D ≥ observed) under the permutation null, by
/// counting the lattice paths from (0,0) to (n,m) that stay strictly inside
/// |i·m − j·n| < dnum (Hodges 1958). With ties in the data it is conservative.
fn ks_exact_p(n: usize, m: usize, dnum: u64) -> f64 {
    if dnum == 0 {
        return 1.0;
    }
    let mut row = vec![0u128; m + 1];
    for i in 0..=n {
        for j in 0..=m {
            if (i * m).abs_diff(j * n) as u64 >= dnum {
                row[j] = 0;
            } else if i == 0 && j == 0 {
                row[j] = 1;
            } else if j > 0 {
                row[j] += row[j - 1]; // row[j] still holds the count from i − 1
            }
        }
    }
    let total = (0..n).fold(1u128, |c, k| c * (m + n - k) as u128 / (k + 1) as u128);
    (total - row[m]) as f64 / total as f64
}

fn mean_var(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mu = v.iter().sum::<f64>() / n;
    (mu, v.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / (n - 1.0))
}

/// t(0.975, df) for df ≥ 1, from a table with linear interpolation in 1/df.
fn t975(df: f64) -> f64 {
    const T: [(f64, f64); 12] = [
        (1.0, 12.706),
        (2.0, 4.303),
        (3.0, 3.182),
        (5.0, 2.571),
        (10.0, 2.228),
        (20.0, 2.086),
        (30.0, 2.042),
        (40.0, 2.021),
        (60.0, 2.000),
        (120.0, 1.980),
        (1e9, 1.960),
        (f64::INFINITY, 1.960),
    ];
    let df = df.max(1.0);
    for w in T.windows(2) {
        let ((d1, t1), (d2, t2)) = (w[0], w[1]);
        if df <= d2 {
            let (u, u1, u2) = (1.0 / df, 1.0 / d1, 1.0 / d2);
            return t2 + (u - u2) / (u1 - u2) * (t1 - t2);
        }
    }
    1.960
}

/// Welch 95% CI of mean(b) − mean(a).
fn welch_ci(a: &[f64], b: &[f64]) -> (f64, f64, f64) {
    let ((ma, va), (mb, vb)) = (mean_var(a), mean_var(b));
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let se2 = va / na + vb / nb;
    let df = se2 * se2 / ((va / na).powi(2) / (na - 1.0) + (vb / nb).powi(2) / (nb - 1.0));
    let h = t975(df) * se2.sqrt();
    let d = mb - ma;
    (d, d - h, d + h)
}

#[test]
fn statistics_helpers_are_right() {
    // D = 0.6 for {1,2,3,4} vs {3,...,7}: numerator 12 = 0.6 · 4 · 5
    assert_eq!(ks_numerator(&[1., 2., 3., 4.], &[3., 4., 5., 6., 7.]), 12);
    // fully separated samples of 5: 2 of the C(10,5) = 252 orderings reach D = 1
    assert!((ks_exact_p(5, 5, 25) - 2.0 / 252.0).abs() < 1e-15);
    // scipy.stats.ks_2samp(method="exact") for n = m = 40, D = 0.175: 0.5786001416508443
    assert!((ks_exact_p(40, 40, 280) - 0.578_600_141_650_844_3).abs() < 1e-12);
    assert_eq!(ks_exact_p(30, 30, 0), 1.0);
    assert!((t975(10.0) - 2.228).abs() < 1e-12);
    assert!((t975(4.0) - 2.776).abs() < 0.03, "interpolated t(4) = {}", t975(4.0));
    // equal samples of 3 (variance 1 each): se² = 2/3, Welch df = 4
    let (d, lo, hi) = welch_ci(&[1., 2., 3.], &[1., 2., 3.]);
    assert_eq!(d, 0.0);
    assert!((hi - t975(4.0) * (2.0f64 / 3.0).sqrt()).abs() < 1e-6 && lo == -hi);
}

#[test]
fn mesa_preset_docks_with_mesa_reference_runs() {
    let t0 = std::time::Instant::now();
    let mesa = mesa_runs();
    let ours = unrest_runs();
    eprintln!(
        "unrest: {SEEDS} runs × {STEPS} steps in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    type Pick = fn(&RunStats) -> f64;
    let metrics: [(&str, Pick); 3] = [
        ("per-run mean active", |r| r.mean_active),
        ("per-run mean jailed", |r| r.mean_jailed),
        ("outbursts per run", |r| r.outbursts),
    ];
    let mut failures = Vec::new();
    for (name, pick) in metrics {
        let a: Vec<f64> = mesa.iter().map(pick).collect();
        let b: Vec<f64> = ours.iter().map(pick).collect();
        let dnum = ks_numerator(&a, &b);
        let p = ks_exact_p(a.len(), b.len(), dnum);
        let (d, lo, hi) = welch_ci(&a, &b);
        let line = format!(
            "{name}: mesa {:.2}, unrest {:.2}, difference {d:.2} [95% CI {lo:.2}, {hi:.2}], KS D {:.3} p {p:.3}",
            mean_var(&a).0,
            mean_var(&b).0,
            dnum as f64 / (a.len() * b.len()) as f64
        );
        eprintln!("{line}");
        if p < ALPHA {
            failures.push(format!("{line}: KS rejects at α = {ALPHA}"));
        }
        if !(lo <= 0.0 && 0.0 <= hi) {
            failures.push(format!("{line}: the 95% CI of the difference excludes 0"));
        }
    }
    assert!(
        failures.is_empty(),
        "the mesa preset no longer docks with Mesa:\n{}",
        failures.join("\n")
    );
}

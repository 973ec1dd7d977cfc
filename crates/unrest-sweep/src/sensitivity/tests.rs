use super::*;
use std::f64::consts::PI;

const BOOT: Bootstrap = Bootstrap {
    replicates: 200,
    level: 0.95,
    seed: 11,
};

fn keys(k: usize) -> Vec<String> {
    (1..=k).map(|i| format!("x{i}")).collect()
}

/// Ishigami & Homma (1990) with a = 7, b = 0.1 on [−π, π]³, and its indices
/// from the partial variances (Sobol' & Levitan 1999):
/// V1 = 1/2 (1 + bπ⁴/5)², V2 = a²/8, V13 = b²π⁸ (1/18 − 1/50), V3 = 0.
fn ishigami(x: &[f64]) -> f64 {
    let (a, b) = (7.0, 0.1);
    x[0].sin() + a * x[1].sin().powi(2) + b * x[2].powi(4) * x[0].sin()
}

fn ishigami_truth() -> ([f64; 3], [f64; 3]) {
    let (a, b) = (7.0f64, 0.1f64);
    let v1 = 0.5 * (1.0 + b * PI.powi(4) / 5.0).powi(2);
    let v2 = a * a / 8.0;
    let v13 = b * b * PI.powi(8) * (1.0 / 18.0 - 1.0 / 50.0);
    let v = v1 + v2 + v13;
    ([v1 / v, v2 / v, 0.0], [(v1 + v13) / v, v2 / v, v13 / v])
}

fn ishigami_indices(n: usize, seed: u64) -> OutputIndices {
    let f: Vec<Factor> = (1..=3)
        .map(|i| Factor::new(&format!("x{i}"), -PI, PI, false).unwrap())
        .collect();
    let y: Vec<f64> = design(&f, n, seed).unwrap().iter().map(|x| ishigami(x)).collect();
    indices("ishigami", &y, &keys(3), &BOOT).unwrap()
}

#[test]
fn the_truth_is_the_published_ishigami_indices() {
    let (s1, st) = ishigami_truth();
    for (got, want) in s1.iter().chain(&st).zip([0.314, 0.442, 0.0, 0.558, 0.442, 0.244]) {
        assert!((got - want).abs() < 0.001, "{got} vs {want}");
    }
}

#[test]
fn ishigami_indices_are_recovered_at_n_2048() {
    let (s1, st) = ishigami_truth();
    let r = ishigami_indices(2048, 1);
    assert_eq!(r.n, 2048);
    for (i, f) in r.factors.iter().enumerate() {
        assert!((f.s1 - s1[i]).abs() < 0.03, "S1 of x{}: {} vs {}", i + 1, f.s1, s1[i]);
        assert!((f.st - st[i]).abs() < 0.03, "ST of x{}: {} vs {}", i + 1, f.st, st[i]);
        // The 95% intervals cover the truth (and the estimate).
        assert!(f.s1_low <= s1[i] && s1[i] <= f.s1_high, "{f:?}");
        assert!(f.st_low <= st[i] && st[i] <= f.st_high, "{f:?}");
        assert!(f.s1_low <= f.s1 && f.s1 <= f.s1_high, "{f:?}");
    }
    assert_eq!(r.resamples_used, 200);
}

#[test]
fn intervals_narrow_as_n_grows() {
    let small = ishigami_indices(128, 2);
    let large = ishigami_indices(4096, 2);
    for (s, l) in small.factors.iter().zip(&large.factors) {
        assert!(l.st_high - l.st_low < 0.5 * (s.st_high - s.st_low), "{s:?} {l:?}");
        assert!(l.s1_high - l.s1_low < 0.5 * (s.s1_high - s.s1_low), "{s:?} {l:?}");
    }
}

#[test]
fn additive_linear_model_has_equal_first_order_and_total_indices() {
    // y = x1 + 2 x2 + 3 x3 + 0 x4 on the unit cube: S_i = ST_i = a_i² / Σ a².
    let a = [1.0, 2.0, 3.0, 0.0];
    let f: Vec<Factor> = (1..=4)
        .map(|i| Factor::new(&format!("x{i}"), 0.0, 1.0, false).unwrap())
        .collect();
    let y: Vec<f64> = design(&f, 512, 5)
        .unwrap()
        .iter()
        .map(|x| x.iter().zip(a).map(|(x, a)| a * x).sum())
        .collect();
    let r = indices("linear", &y, &keys(4), &BOOT).unwrap();
    let total: f64 = a.iter().map(|a| a * a).sum();
    for (f, a) in r.factors.iter().zip(a) {
        let want = a * a / total;
        assert!((f.s1 - want).abs() < 0.02, "{f:?} vs {want}");
        assert!((f.st - want).abs() < 0.02, "{f:?} vs {want}");
    }
    // A factor the output ignores has AB_i = A exactly: its ST is 0, no noise.
    assert_eq!(r.factors[3].st, 0.0);
    assert_eq!((r.factors[3].st_low, r.factors[3].st_high), (0.0, 0.0));
    assert!((r.mean - 3.0).abs() < 0.01, "{}", r.mean);
}

#[test]
fn design_rows_share_columns_as_saltelli_requires() {
    let (k, n) = (5, 16);
    let d = unit_design(k, n, 9).unwrap();
    assert_eq!(d.len(), n * (k + 2));
    for j in 0..n {
        let (a, b) = (&d[row(k, j, Matrix::A)], &d[row(k, j, Matrix::B)]);
        for i in 0..k {
            let ab = &d[row(k, j, Matrix::AB(i))];
            for c in 0..k {
                assert_eq!(ab[c], if c == i { b[c] } else { a[c] });
            }
            assert!((0.0..1.0).contains(&a[i]) && (0.0..1.0).contains(&b[i]));
        }
    }
    // A and B are balanced (Sobol'): half of each column below 1/2.
    for c in 0..k {
        let low = (0..n).filter(|&j| d[row(k, j, Matrix::A)][c] < 0.5).count();
        assert_eq!(low, n / 2);
    }
    assert_eq!(d, unit_design(k, n, 9).unwrap());
    assert_ne!(d, unit_design(k, n, 10).unwrap());
}

#[test]
fn log_factors_are_uniform_on_the_logarithm() {
    let f = Factor::parse("police.arrests_per_day=0.001:0.1,log").unwrap();
    assert!(f.log);
    assert!((f.at(0.5) - 0.01).abs() < 1e-12);
    assert!((f.at(0.0) - 0.001).abs() < 1e-15);
    let g = Factor::parse(" x = 2:4 ").unwrap();
    assert_eq!((g.key.as_str(), g.min, g.max, g.log), ("x", 2.0, 4.0, false));
    assert_eq!(g.at(0.25), 2.5);
}

#[test]
fn bad_factors_are_refused_with_the_reason() {
    for (s, why) in [
        ("x", "no `=`"),
        ("x=1", "no `:`"),
        ("x=a:2", "`a` is not a number"),
        ("x=2:1", "need finite min < max"),
        ("x=0:1,log", "needs min > 0"),
        ("x=1:2,lin", "unknown option `lin`"),
        ("=1:2", "needs a parameter key"),
        ("seed=1:2", "not a model parameter"),
    ] {
        let e = Factor::parse(s).unwrap_err();
        assert!(e.contains(why) && e.contains(&format!("{s:?}")), "{s}: {e}");
    }
}

#[test]
fn a_constant_output_has_no_indices_and_says_so() {
    let y = vec![1.0; 10 * 5];
    let r = indices("collapse", &y, &keys(3), &BOOT).unwrap();
    assert!(!r.has_variance());
    assert_eq!(r.variance, 0.0);
    assert!(r.factors.iter().all(|f| f.s1.is_nan() && f.st_high.is_nan()));
    assert_eq!(r.resamples_used, 0);
    let e = indices("collapse", &y[..49], &keys(3), &BOOT).unwrap_err();
    assert!(e.contains("49 values do not fill a design of 3 factors"), "{e}");
    let mut bad = y.clone();
    bad[7] = f64::NAN;
    let e = indices("peak", &bad, &keys(3), &BOOT).unwrap_err();
    assert!(e.contains("design point 7 is NaN"), "{e}");
}

#[test]
fn same_seed_same_indices() {
    let a = ishigami_indices(64, 3);
    assert_eq!(a, ishigami_indices(64, 3));
    assert_ne!(a.factors, ishigami_indices(64, 4).factors);
}

#[test]
fn factors_are_read_from_the_model_fit_plan() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../validation/model-fit/plan.toml");
    let text = std::fs::read_to_string(path).unwrap();
    let f = factors_from_toml(&text, "plan.toml").unwrap();
    assert!(f.len() >= 10, "{f:?}");
    assert!(f.iter().any(|f| f.log) && f.iter().any(|f| !f.log));
    let e = factors_from_toml("[[params]]\nkey = \"a\"\nmin = 1\n", "p.toml").unwrap_err();
    assert_eq!(e, "p.toml: [[params]] number 1: `a` needs a number `max`");
    let e = factors_from_toml("[[params]]\nkey = \"a\"\nmin = 0\nmax = 1\nlog = true\n", "p.toml").unwrap_err();
    assert!(e.starts_with("p.toml: [[params]] number 1: `a`: a log-uniform"), "{e}");
    let e = factors_from_toml("particles = 3\n", "p.toml").unwrap_err();
    assert!(e.starts_with("p.toml: no [[params]]"), "{e}");
}

#[test]
fn the_plan_runs_every_point_on_the_same_seeds() {
    let sp = SensitivityPlan {
        scenario: "epstein-run1".into(),
        set: vec![("steps".into(), "20".into()), ("activation".into(), "tiled".into())],
        factors: vec![
            Factor::parse("legitimacy=0.7:0.9").unwrap(),
            Factor::parse("threshold=0.05:0.2").unwrap(),
        ],
        n: 8,
        seeds: 3,
        seed: 4,
    };
    let plan = sp.plan().unwrap();
    assert_eq!(plan.total_runs(), 8 * 4 * 3);
    assert_eq!(plan.params, ["legitimacy", "threshold"]);
    let (a, b) = (plan.run_id(0), plan.run_id(3 * 5 + 2));
    assert_eq!((b.point, b.replicate), (5, 2));
    assert_eq!(a.seed, derive(4, 0));
    assert_eq!(b.seed, derive(4, 2));
    assert_eq!(
        plan.overrides(0)[..2],
        [("steps".into(), "20".into()), ("activation".into(), "\"tiled\"".into())]
    );
    let mut other = sp.clone();
    other.n = 16;
    assert_ne!(plan.hash, other.plan().unwrap().hash);
    other = sp.clone();
    other.set.push(("legitimacy".into(), "0.8".into()));
    assert!(other.plan().unwrap_err().contains("both a factor and a fixed --set"));
    other = sp.clone();
    other.set = vec![("events.drop".into(), "[\"a\"]".into())];
    assert!(other
        .plan()
        .unwrap_err()
        .starts_with("--set events.drop=[\"a\"]: a fixed value"));
}

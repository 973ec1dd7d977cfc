//! Space-filling designs: Latin hypercube and scrambled Sobol points in a box.
//!
//! Both are deterministic functions of the sweep seed, so a resumed sweep or a
//! shard on another machine sees the same points.

use crate::spec::{Method, Sample};
use crate::Value;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use unrest_core::seeds::derive;

/// Sub-stream of the sweep seed reserved for the design (run seeds use the run
/// index, which never reaches this value).
const DESIGN_STREAM: u64 = u64::MAX;

/// The `size` points of a design, each with one value per range (in order).
pub fn design(sample: &Sample, sweep_seed: u64) -> Vec<Vec<Value>> {
    let n = sample.size as usize;
    let dims = sample.ranges.len();
    let base = derive(sweep_seed, DESIGN_STREAM);
    // Unit-cube coordinates u[point][dim] in [0, 1).
    let mut u = vec![vec![0.0f64; dims]; n];
    match sample.method {
        Method::Lhs => {
            for d in 0..dims {
                let mut rng = Pcg64::seed_from_u64(derive(base, d as u64));
                let mut strata: Vec<usize> = (0..n).collect();
                // Fisher–Yates: each stratum [k/n, (k+1)/n) used by exactly one point.
                for i in (1..n).rev() {
                    let j = rng.random_range(0..=i);
                    strata.swap(i, j);
                }
                for (i, point) in u.iter_mut().enumerate() {
                    point[d] = (strata[i] as f64 + rng.random::<f64>()) / n as f64;
                }
            }
        }
        Method::Sobol => {
            let scramble = (base ^ (base >> 32)) as u32;
            for (i, point) in u.iter_mut().enumerate() {
                for (d, x) in point.iter_mut().enumerate() {
                    *x = f64::from(sobol_burley::sample(i as u32, d as u32, scramble));
                }
            }
        }
    }
    u.into_iter()
        .map(|point| {
            point
                .into_iter()
                .zip(&sample.ranges)
                .map(|(x, (_, lo, hi))| scale(x, lo, hi))
                .collect()
        })
        .collect()
}

/// Maps `x` in [0, 1) into `[lo, hi)`; integer ranges are inclusive, each
/// integer getting an equal share of the unit interval.
fn scale(x: f64, lo: &Value, hi: &Value) -> Value {
    match (lo, hi) {
        (Value::I64(a), Value::I64(b)) => {
            let span = (b - a + 1) as f64;
            Value::I64((*a + (x * span).floor() as i64).min(*b))
        }
        _ => {
            let (a, b) = (lo.as_f64().unwrap_or(0.0), hi.as_f64().unwrap_or(1.0));
            Value::F64(a + x * (b - a))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(method: Method, size: u32) -> Sample {
        Sample {
            method,
            size,
            ranges: vec![
                ("a".into(), Value::F64(0.0), Value::F64(1.0)),
                ("b".into(), Value::F64(10.0), Value::F64(20.0)),
            ],
        }
    }

    #[test]
    fn latin_hypercube_uses_each_stratum_once_per_dimension() {
        let pts = design(&sample(Method::Lhs, 50), 3);
        for d in 0..2 {
            let mut strata: Vec<usize> = pts
                .iter()
                .map(|p| {
                    let (lo, hi) = if d == 0 { (0.0, 1.0) } else { (10.0, 20.0) };
                    ((p[d].as_f64().unwrap() - lo) / (hi - lo) * 50.0).floor() as usize
                })
                .collect();
            strata.sort();
            assert_eq!(strata, (0..50).collect::<Vec<_>>());
        }
        assert_eq!(pts, design(&sample(Method::Lhs, 50), 3));
        assert_ne!(pts, design(&sample(Method::Lhs, 50), 4));
    }

    #[test]
    fn sobol_points_are_balanced_in_halves() {
        let pts = design(&sample(Method::Sobol, 64), 1);
        let low = pts.iter().filter(|p| p[0].as_f64().unwrap() < 0.5).count();
        assert_eq!(low, 32);
        let low_b = pts.iter().filter(|p| p[1].as_f64().unwrap() < 15.0).count();
        assert_eq!(low_b, 32);
    }
}

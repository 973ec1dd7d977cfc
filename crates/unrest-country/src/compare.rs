//! What if: a scenario and its variants run over the **same seeds** (common
//! random numbers), so that a difference between two variants is the effect
//! of what the variant changed, not of the draw. For each variant: the
//! probability of each outcome with its Wilson 95% interval, and the mean
//! peak crowd, killed and detained (people at 1:1) with a 95% interval; for
//! each variant against the first (the baseline), the paired differences with
//! their 95% intervals (mean ± 1.96 standard errors of the per-seed
//! differences).
//!
//! The intervals are over runs: over seeds, and over parameter sets too when
//! each run draws its own from a posterior ([`run_variant_setups`]).

use crate::mechanisms::Outcome;
use crate::{Country, CountryError, CountrySpec};
use unrest_core::Params;

/// One run's measurements.
#[derive(Debug, Clone, PartialEq)]
pub struct RunMeasures {
    pub seed: u64,
    pub outcome: Outcome,
    /// The outcome's date label (calendar).
    pub outcome_at: String,
    /// National peak of active citizens, in people at 1:1.
    pub peak_people: f64,
    pub killed: f64,
    pub detained: f64,
}

/// A value with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub value: f64,
    pub lo: f64,
    pub hi: f64,
}

/// One variant's runs and summaries.
#[derive(Debug, Clone)]
pub struct VariantResult {
    pub label: String,
    pub runs: Vec<RunMeasures>,
    /// Per outcome in `Outcome::NAMES` order: the share of runs, Wilson 95%.
    pub outcome_shares: Vec<Estimate>,
    pub peak: Estimate,
    pub killed: Estimate,
    pub detained: Estimate,
    /// Against the baseline (the first variant); `None` for the baseline.
    pub versus_baseline: Option<Differences>,
}

impl VariantResult {
    /// The measures as rows of the compare table: `p_<outcome>` for each
    /// outcome, then `peak_people`, `killed`, `detained`; each with its
    /// estimate and, except for the baseline, the paired difference.
    pub fn rows(&self) -> Vec<(String, Estimate, Option<Estimate>)> {
        let d = self.versus_baseline.as_ref();
        let mut rows: Vec<(String, Estimate, Option<Estimate>)> = Outcome::NAMES
            .iter()
            .enumerate()
            .map(|(k, o)| (format!("p_{o}"), self.outcome_shares[k], d.map(|d| d.outcome_shares[k])))
            .collect();
        rows.push(("peak_people".into(), self.peak, d.map(|d| d.peak)));
        rows.push(("killed".into(), self.killed, d.map(|d| d.killed)));
        rows.push(("detained".into(), self.detained, d.map(|d| d.detained)));
        rows
    }
}

/// Paired differences, variant minus baseline, seed by seed.
#[derive(Debug, Clone)]
pub struct Differences {
    /// Per outcome in `Outcome::NAMES` order.
    pub outcome_shares: Vec<Estimate>,
    pub peak: Estimate,
    pub killed: Estimate,
    pub detained: Estimate,
}

/// Runs one variant over `seeds` seeds (`seeds::derive(base_seed, i)`), in
/// parallel; the result does not depend on the thread count.
pub fn run_variant(
    spec: &CountrySpec,
    lattice: &Params,
    base_seed: u64,
    seeds: u64,
) -> Result<Vec<RunMeasures>, CountryError> {
    run_variant_setups(&vec![(spec, lattice); seeds as usize], base_seed)
}

/// [`run_variant`] with each run's own parameters (`Country::run_setups`):
/// run i of every variant gets the same seed and, drawn from a posterior, the
/// same parameter set, so differences between variants are paired.
pub fn run_variant_setups(
    setups: &[(&CountrySpec, &Params)],
    base_seed: u64,
) -> Result<Vec<RunMeasures>, CountryError> {
    Country::run_setups(setups, base_seed, RunMeasures::of)
}

impl RunMeasures {
    /// What a finished run of seed `seed` is compared by.
    pub fn of(seed: u64, c: &Country) -> RunMeasures {
        let (outcome, at) = c.outcome();
        let last = c.national().last().copied().unwrap_or_default();
        RunMeasures {
            seed,
            outcome,
            outcome_at: c.calendar().label(at),
            peak_people: c.national_peak().active as f64 * c.spec().scale,
            killed: last.killed as f64,
            detained: last.detained as f64,
        }
    }
}

/// Summarises the variants' runs; the first is the baseline. Every variant
/// must have been run on the same seeds.
pub fn summarise(variants: Vec<(String, Vec<RunMeasures>)>) -> Vec<VariantResult> {
    let base: Option<Vec<RunMeasures>> = variants.first().map(|v| v.1.clone());
    variants
        .into_iter()
        .enumerate()
        .map(|(k, (label, runs))| {
            let versus_baseline = match (&base, k) {
                (Some(b), k) if k > 0 => Some(differences(b, &runs)),
                _ => None,
            };
            VariantResult {
                label,
                outcome_shares: Outcome::NAMES
                    .iter()
                    .map(|o| wilson(count(&runs, o), runs.len()))
                    .collect(),
                peak: count_interval(runs.iter().map(|r| r.peak_people)),
                killed: count_interval(runs.iter().map(|r| r.killed)),
                detained: count_interval(runs.iter().map(|r| r.detained)),
                versus_baseline,
                runs,
            }
        })
        .collect()
}

fn count(runs: &[RunMeasures], outcome: &str) -> usize {
    runs.iter().filter(|r| r.outcome.as_str() == outcome).count()
}

fn differences(base: &[RunMeasures], runs: &[RunMeasures]) -> Differences {
    let paired = |f: &dyn Fn(&RunMeasures) -> f64| -> Estimate {
        let d: Vec<f64> = base.iter().zip(runs).map(|(b, r)| f(r) - f(b)).collect();
        mean_interval(&d)
    };
    Differences {
        outcome_shares: Outcome::NAMES
            .iter()
            .map(|o| {
                // A difference of probabilities lies in [-1, 1] whatever the normal approximation says.
                let e = paired(&|r: &RunMeasures| f64::from(u8::from(r.outcome.as_str() == *o)));
                Estimate {
                    lo: e.lo.max(-1.0),
                    hi: e.hi.min(1.0),
                    ..e
                }
            })
            .collect(),
        peak: paired(&|r| r.peak_people),
        killed: paired(&|r| r.killed),
        detained: paired(&|r| r.detained),
    }
}

/// The Wilson score interval (95%) of `k` successes in `n` trials: unlike
/// the normal interval it stays inside [0, 1] and is not empty at 0 or n.
pub fn wilson(k: usize, n: usize) -> Estimate {
    if n == 0 {
        return Estimate {
            value: f64::NAN,
            lo: 0.0,
            hi: 1.0,
        };
    }
    let (z, n, p) = (1.96_f64, n as f64, k as f64 / n as f64);
    let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / (1.0 + z * z / n);
    Estimate {
        value: p,
        lo: (centre - half).max(0.0),
        hi: (centre + half).min(1.0),
    }
}

/// [`mean_interval`] of a count: a crowd or a toll is never negative, so
/// neither is its interval's lower end.
fn count_interval(xs: impl Iterator<Item = f64>) -> Estimate {
    let e = mean_interval(&xs.collect::<Vec<_>>());
    Estimate { lo: e.lo.max(0.0), ..e }
}

/// The mean with mean ± 1.96 standard errors (95%, normal approximation).
pub fn mean_interval(xs: &[f64]) -> Estimate {
    let n = xs.len() as f64;
    if xs.is_empty() {
        return Estimate {
            value: f64::NAN,
            lo: f64::NAN,
            hi: f64::NAN,
        };
    }
    let mean = xs.iter().sum::<f64>() / n;
    let var = if xs.len() > 1 {
        xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    let half = 1.96 * (var / n).sqrt();
    Estimate {
        value: mean,
        lo: mean - half,
        hi: mean + half,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_its_formula_and_stays_in_bounds() {
        let w = wilson(0, 20);
        assert_eq!(w.value, 0.0);
        assert_eq!(w.lo, 0.0);
        assert!((w.hi - 0.1611).abs() < 1e-3, "{w:?}");
        let w = wilson(10, 20);
        assert!((w.lo - 0.2993).abs() < 1e-3 && (w.hi - 0.7007).abs() < 1e-3, "{w:?}");
        assert_eq!(wilson(20, 20).hi, 1.0);
    }

    #[test]
    fn mean_interval_of_known_values() {
        let e = mean_interval(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(e.value, 2.5);
        // sd = 1.291, se = 0.6455
        assert!((e.hi - e.value - 1.96 * 0.645_497).abs() < 1e-5);
        assert_eq!(mean_interval(&[5.0]).lo, 5.0);
    }

    #[test]
    fn the_same_runs_differ_by_nothing() {
        let spec = crate::example_spec();
        let runs = run_variant(&spec, &Params::epstein(), 3, 3).unwrap();
        let out = summarise(vec![("a".into(), runs.clone()), ("b".into(), runs)]);
        let d = out[1].versus_baseline.as_ref().unwrap();
        assert_eq!((d.peak.value, d.peak.lo, d.peak.hi), (0.0, 0.0, 0.0));
        assert!(out[0].versus_baseline.is_none());
        let total: f64 = out[0].outcome_shares.iter().map(|e| e.value).sum();
        assert!((total - 1.0).abs() < 1e-12, "the outcome shares sum to 1");
    }
}

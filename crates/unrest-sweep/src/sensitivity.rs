//! Global sensitivity analysis: Sobol' first-order and total indices.
//!
//! The design is Saltelli's (Saltelli et al. 2010, *Variance based
//! sensitivity analysis of model output. Design and estimator for the total
//! sensitivity index*, Comput. Phys. Commun. 181, 259–270): one
//! 2k-dimensional scrambled Sobol' sequence of `n` points gives two n × k
//! matrices, A (its first k coordinates) and B (its last k); for each factor
//! i, AB_i is A with its column i taken from B. The model is run at the
//! n·(k + 2) rows. Base row j of the design is the `k + 2` consecutive points
//! `A_j, B_j, AB_1,j … AB_k,j` ([`row`]).
//!
//! With f the model output and V the variance of the 2n values f(A), f(B):
//!
//! * first order (Saltelli 2010, table 2, estimator b):
//!   S_i = (1/n) Σ_j f(B)_j · (f(AB_i)_j − f(A)_j) / V
//! * total (Jansen 1999; Saltelli 2010, table 2, estimator f):
//!   S_Ti = (1/2n) Σ_j (f(A)_j − f(AB_i)_j)² / V
//!
//! Intervals are bootstrap percentiles: the n base rows are resampled with
//! replacement (a row's A, B and AB_i values move together) and the indices
//! recomputed on each resample. Everything is a function of the seed.
//!
//! A stochastic model is made a function of its parameters by common random
//! numbers: every point is run on the same seeds, its output averaged over
//! them ([`SensitivityPlan::plan`] sets `common_seeds`). The indices are then
//! those of that average; the seeds' own share of the variance is not
//! among them.

use crate::spec::{Plan, SweepSpec};
use crate::{Kind, Value};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use unrest_core::seeds::derive;

/// Sub-streams of the seed: the design's scramble and the bootstrap's
/// resamples (the runs' seeds use the replicate number, far below these).
const DESIGN_STREAM: u64 = u64::MAX - 1;
const BOOTSTRAP_STREAM: u64 = u64::MAX - 2;

/// Most factors: the Sobol' sequence has `sobol_burley::NUM_DIMENSIONS`
/// dimensions and the design takes two per factor.
pub const MAX_FACTORS: usize = sobol_burley::NUM_DIMENSIONS as usize / 2;
/// Most base rows: the length of the Sobol' sequence.
pub const MAX_N: usize = 1 << 16;

/// A factor and its range: uniform on `[min, max]`, or log-uniform.
#[derive(Debug, Clone, PartialEq)]
pub struct Factor {
    pub key: String,
    pub min: f64,
    pub max: f64,
    pub log: bool,
}

impl Factor {
    /// A factor, its range checked: finite, `min < max`, and `min > 0` when
    /// log-uniform. Errors start with `key`.
    pub fn new(key: &str, min: f64, max: f64, log: bool) -> Result<Factor, String> {
        let key = key.trim();
        if key.is_empty() {
            return Err("a factor needs a parameter key".into());
        }
        if key == "seed" {
            return Err("`seed` is not a model parameter; give the analysis a seed instead".into());
        }
        if !(min.is_finite() && max.is_finite() && min < max) {
            return Err(format!("`{key}`: need finite min < max, got {min} and {max}"));
        }
        if log && min <= 0.0 {
            return Err(format!("`{key}`: a log-uniform range needs min > 0, got {min}"));
        }
        Ok(Factor {
            key: key.to_string(),
            min,
            max,
            log,
        })
    }

    /// Parses `KEY=MIN:MAX` or `KEY=MIN:MAX,log` (log-uniform).
    pub fn parse(s: &str) -> Result<Factor, String> {
        let bad = |why: String| format!("--param {s:?}: {why} (expected KEY=MIN:MAX or KEY=MIN:MAX,log)");
        let (key, range) = s.split_once('=').ok_or_else(|| bad("no `=`".into()))?;
        let (range, log) = match range.split_once(',') {
            Some((r, "log")) => (r, true),
            Some((_, other)) => return Err(bad(format!("unknown option `{other}`"))),
            None => (range, false),
        };
        let (lo, hi) = range
            .split_once(':')
            .ok_or_else(|| bad("no `:` between min and max".into()))?;
        let num = |t: &str| {
            t.trim()
                .parse::<f64>()
                .map_err(|_| bad(format!("`{}` is not a number", t.trim())))
        };
        Factor::new(key, num(lo)?, num(hi)?, log).map_err(bad)
    }

    /// The value at `u` in [0, 1): `min + u (max − min)`, or the same on
    /// the logarithms.
    pub fn at(&self, u: f64) -> f64 {
        if self.log {
            (self.min.ln() + u * (self.max.ln() - self.min.ln())).exp()
        } else {
            self.min + u * (self.max - self.min)
        }
    }
}

/// The `[[params]]` tables of a TOML file (key, min, max, optional log), as
/// in a calibration plan: the factors of an analysis over the same ranges.
/// Other keys of the file are ignored; errors name the file and the entry.
pub fn factors_from_toml(text: &str, origin: &str) -> Result<Vec<Factor>, String> {
    let doc: toml::Table = toml::from_str(text).map_err(|e| format!("{origin}: {}", e.message()))?;
    let list = doc
        .get("params")
        .and_then(toml::Value::as_array)
        .ok_or_else(|| format!("{origin}: no [[params]] tables (key, min, max, log) to take the factors from"))?;
    let mut out = Vec::with_capacity(list.len());
    for (i, p) in list.iter().enumerate() {
        let at = |why: String| format!("{origin}: [[params]] number {}: {why}", i + 1);
        let t = p.as_table().ok_or_else(|| at("not a table".into()))?;
        let key = t
            .get("key")
            .and_then(toml::Value::as_str)
            .ok_or_else(|| at("needs key = \"...\"".into()))?;
        let num = |name: &str| {
            t.get(name)
                .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|n| n as f64)))
                .ok_or_else(|| at(format!("`{key}` needs a number `{name}`")))
        };
        let log = match t.get("log") {
            None => false,
            Some(v) => v
                .as_bool()
                .ok_or_else(|| at(format!("`{key}`: log must be true or false")))?,
        };
        out.push(Factor::new(key, num("min")?, num("max")?, log).map_err(at)?);
    }
    Ok(out)
}

/// Which matrix a design point comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matrix {
    A,
    B,
    /// A with factor i's column from B.
    AB(usize),
}

/// The index in the design of base row `j`'s point from `m`, with `k` factors.
pub fn row(k: usize, j: usize, m: Matrix) -> usize {
    j * (k + 2)
        + match m {
            Matrix::A => 0,
            Matrix::B => 1,
            Matrix::AB(i) => 2 + i,
        }
}

/// Checks a design's size: 1 to [`MAX_FACTORS`] factors, 2 to [`MAX_N`] rows.
pub fn check_size(k: usize, n: usize) -> Result<(), String> {
    if k == 0 || k > MAX_FACTORS {
        return Err(format!("need 1 to {MAX_FACTORS} factors, got {k}"));
    }
    if !(2..=MAX_N).contains(&n) {
        return Err(format!("need N from 2 to {MAX_N} base rows, got {n}"));
    }
    Ok(())
}

/// The Saltelli design in the unit cube: n·(k + 2) points of k coordinates
/// in [0, 1), in the order of [`row`].
pub fn unit_design(k: usize, n: usize, seed: u64) -> Result<Vec<Vec<f64>>, String> {
    check_size(k, n)?;
    let base = derive(seed, DESIGN_STREAM);
    let scramble = (base ^ (base >> 32)) as u32;
    let mut points = Vec::with_capacity(n * (k + 2));
    for j in 0..n {
        let coord = |d: usize| f64::from(sobol_burley::sample(j as u32, d as u32, scramble));
        let a: Vec<f64> = (0..k).map(coord).collect();
        let b: Vec<f64> = (k..2 * k).map(coord).collect();
        points.push(a.clone());
        points.push(b.clone());
        for i in 0..k {
            let mut ab = a.clone();
            ab[i] = b[i];
            points.push(ab);
        }
    }
    Ok(points)
}

/// The design in the factors' ranges.
pub fn design(factors: &[Factor], n: usize, seed: u64) -> Result<Vec<Vec<f64>>, String> {
    Ok(unit_design(factors.len(), n, seed)?
        .into_iter()
        .map(|u| u.iter().zip(factors).map(|(x, f)| f.at(*x)).collect())
        .collect())
}

/// Point estimates over a set of base rows (repeats allowed): the variance
/// and each factor's first-order and total index (NaN when V is 0).
fn estimate(y: &[f64], k: usize, rows: &[usize]) -> (f64, Vec<f64>, Vec<f64>) {
    let n = rows.len() as f64;
    let at = |j: usize, m: Matrix| y[row(k, j, m)];
    let mean = rows.iter().map(|&j| at(j, Matrix::A) + at(j, Matrix::B)).sum::<f64>() / (2.0 * n);
    let var = rows
        .iter()
        .map(|&j| (at(j, Matrix::A) - mean).powi(2) + (at(j, Matrix::B) - mean).powi(2))
        .sum::<f64>()
        / (2.0 * n);
    // Below this the output is constant up to rounding: no variance to share out.
    if var <= 1e-12 * mean.abs().max(1.0).powi(2) {
        return (var, vec![f64::NAN; k], vec![f64::NAN; k]);
    }
    let mut s1 = Vec::with_capacity(k);
    let mut st = Vec::with_capacity(k);
    for i in 0..k {
        let (mut first, mut total) = (0.0, 0.0);
        for &j in rows {
            let (a, b, ab) = (at(j, Matrix::A), at(j, Matrix::B), at(j, Matrix::AB(i)));
            first += b * (ab - a);
            total += (a - ab).powi(2);
        }
        s1.push(first / n / var);
        st.push(total / (2.0 * n) / var);
    }
    (var, s1, st)
}

/// The bootstrap's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bootstrap {
    /// Resamples (0: no intervals).
    pub replicates: usize,
    /// Coverage of the percentile intervals, e.g. 0.95.
    pub level: f64,
    pub seed: u64,
}

/// One factor's indices with their bootstrap intervals (NaN when undefined:
/// no variance, or no resample with variance).
#[derive(Debug, Clone, PartialEq)]
pub struct FactorIndices {
    pub key: String,
    pub s1: f64,
    pub s1_low: f64,
    pub s1_high: f64,
    pub st: f64,
    pub st_low: f64,
    pub st_high: f64,
}

/// The indices of one output.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputIndices {
    pub output: String,
    /// Base rows.
    pub n: usize,
    /// Mean and variance of the output over A and B.
    pub mean: f64,
    pub variance: f64,
    pub bootstrap: Bootstrap,
    /// Resamples with variance (those the intervals are made of).
    pub resamples_used: usize,
    pub factors: Vec<FactorIndices>,
}

impl OutputIndices {
    /// Whether the output varied over the design at all.
    pub fn has_variance(&self) -> bool {
        self.factors.first().is_some_and(|f| f.s1.is_finite())
    }
}

/// The `q` quantile of sorted values (linear between order statistics).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        len => {
            let h = q * (len - 1) as f64;
            let (lo, frac) = (h.floor() as usize, h - h.floor());
            let hi = (lo + 1).min(len - 1);
            sorted[lo] + frac * (sorted[hi] - sorted[lo])
        }
    }
}

/// Sobol' indices of one output: `y` holds its value at each design point
/// (in the order of [`row`]), `keys` names the k factors.
pub fn indices(output: &str, y: &[f64], keys: &[String], boot: &Bootstrap) -> Result<OutputIndices, String> {
    let k = keys.len();
    if k == 0 || y.len() % (k + 2) != 0 {
        return Err(format!(
            "{output}: {} values do not fill a design of {k} factors (k + 2 per base row)",
            y.len()
        ));
    }
    let n = y.len() / (k + 2);
    check_size(k, n)?;
    if let Some(p) = y.iter().position(|v| !v.is_finite()) {
        return Err(format!("{output}: the value at design point {p} is {}", y[p]));
    }
    if !(boot.level > 0.0 && boot.level < 1.0) {
        return Err(format!(
            "the interval level must be between 0 and 1, got {}",
            boot.level
        ));
    }
    let all: Vec<usize> = (0..n).collect();
    let (variance, s1, st) = estimate(y, k, &all);
    let mean = all
        .iter()
        .map(|&j| y[row(k, j, Matrix::A)] + y[row(k, j, Matrix::B)])
        .sum::<f64>()
        / (2 * n) as f64;
    let mut draws_s1 = vec![Vec::with_capacity(boot.replicates); k];
    let mut draws_st = vec![Vec::with_capacity(boot.replicates); k];
    let stream = derive(boot.seed, BOOTSTRAP_STREAM);
    for b in 0..boot.replicates {
        let mut rng = Pcg64::seed_from_u64(derive(stream, b as u64));
        let rows: Vec<usize> = (0..n).map(|_| rng.random_range(0..n)).collect();
        let (_, bs1, bst) = estimate(y, k, &rows);
        if bs1.first().is_some_and(|x| x.is_finite()) {
            for i in 0..k {
                draws_s1[i].push(bs1[i]);
                draws_st[i].push(bst[i]);
            }
        }
    }
    let tail = (1.0 - boot.level) / 2.0;
    let interval = |d: &mut Vec<f64>| {
        d.sort_by(f64::total_cmp);
        (quantile(d, tail), quantile(d, 1.0 - tail))
    };
    let resamples_used = draws_s1.first().map_or(0, Vec::len);
    let factors = (0..k)
        .map(|i| {
            let (s1_low, s1_high) = interval(&mut draws_s1[i]);
            let (st_low, st_high) = interval(&mut draws_st[i]);
            FactorIndices {
                key: keys[i].clone(),
                s1: s1[i],
                s1_low,
                s1_high,
                st: st[i],
                st_low,
                st_high,
            }
        })
        .collect();
    Ok(OutputIndices {
        output: output.to_string(),
        n,
        mean,
        variance,
        bootstrap: *boot,
        resamples_used,
        factors,
    })
}

/// An analysis of one scenario: what to run.
#[derive(Debug, Clone, PartialEq)]
pub struct SensitivityPlan {
    /// Base scenario: built-in name or file.
    pub scenario: String,
    /// Fixed overrides (key, TOML value text), before the factors'.
    pub set: Vec<(String, String)>,
    pub factors: Vec<Factor>,
    /// Base rows.
    pub n: usize,
    /// Runs per point (common seeds), their outputs averaged.
    pub seeds: u32,
    pub seed: u64,
}

impl SensitivityPlan {
    /// The sweep plan of the design: point p is design point p, each run
    /// `seeds` times with seeds `derive(seed, r)`, r = 0..seeds (the same for
    /// every point). Its hash covers the design, so a changed N, range or
    /// seed never resumes another analysis's journal.
    pub fn plan(&self) -> Result<Plan, String> {
        if self.seeds == 0 {
            return Err("--seeds must be at least 1".into());
        }
        for (i, f) in self.factors.iter().enumerate() {
            if self.factors[..i].iter().any(|g| g.key == f.key) {
                return Err(format!("factor `{}` is given twice", f.key));
            }
            if self.set.iter().any(|(k, _)| *k == f.key) {
                return Err(format!("`{}` is both a factor and a fixed --set", f.key));
            }
        }
        let points: Vec<Vec<Value>> = design(&self.factors, self.n, self.seed)?
            .into_iter()
            .map(|p| p.into_iter().map(Value::F64).collect())
            .collect();
        let set = self
            .set
            .iter()
            .map(|(k, v)| {
                value_of_text(v)
                    .map(|v| (k.clone(), v))
                    .map_err(|e| format!("--set {k}={v}: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let spec = SweepSpec {
            scenario: self.scenario.clone(),
            scenario_as_written: self.scenario.clone(),
            seed: self.seed,
            replicates: self.seeds,
            metrics: Vec::new(),
            keep_series: false,
            common_seeds: true,
            set,
            vary: Vec::new(),
            sample: None,
            text: self.to_toml(),
            origin: "sensitivity".into(),
        };
        let keys = self.factors.iter().map(|f| f.key.clone()).collect();
        Plan::from_points(spec, keys, vec![Kind::F64; self.factors.len()], points)
    }

    /// The analysis as TOML (kept in the result files' metadata).
    pub fn to_toml(&self) -> String {
        let mut t = toml::Table::new();
        t.insert("scenario".into(), self.scenario.clone().into());
        t.insert("n".into(), (self.n as i64).into());
        t.insert("seeds".into(), i64::from(self.seeds).into());
        t.insert("seed".into(), toml::Value::String(self.seed.to_string()));
        let set: toml::Table = self.set.iter().map(|(k, v)| (k.clone(), v.clone().into())).collect();
        t.insert("set".into(), set.into());
        let params: Vec<toml::Value> = self
            .factors
            .iter()
            .map(|f| {
                let mut p = toml::Table::new();
                p.insert("key".into(), f.key.clone().into());
                p.insert("min".into(), f.min.into());
                p.insert("max".into(), f.max.into());
                p.insert("log".into(), f.log.into());
                p.into()
            })
            .collect();
        t.insert("params".into(), params.into());
        toml::to_string(&t).unwrap_or_default()
    }
}

/// A `--set` value's text as a typed value (so that it is written back the
/// same): a TOML number, boolean or string; a bare word is a string.
fn value_of_text(text: &str) -> Result<Value, String> {
    match toml::from_str::<toml::Table>(&format!("v = {text}"))
        .ok()
        .and_then(|t| t.get("v").cloned())
    {
        Some(toml::Value::Integer(n)) => Ok(Value::I64(n)),
        Some(toml::Value::Float(x)) => Ok(Value::F64(x)),
        Some(toml::Value::Boolean(b)) => Ok(Value::Bool(b)),
        Some(toml::Value::String(s)) => Ok(Value::Str(s)),
        Some(_) => Err("a fixed value of a sensitivity analysis is a number, boolean or string".into()),
        None => Ok(Value::Str(text.to_string())),
    }
}

#[cfg(feature = "run")]
pub mod report;
#[cfg(test)]
mod tests;

//! Approximate Bayesian computation by rejection (Pritchard et al. 1999;
//! Beaumont, Zhang & Balding 2002 for the quantile form used here).
//!
//! 1. Draw `draws` parameter sets θᵢ from independent uniform priors.
//! 2. Run the model once per θᵢ (seed `derive(seed, i)`), or `replicates`
//!    times (seeds `derive(derive(seed, i), r)`), and compute its summary
//!    statistics sᵢ (metrics of the run; with replicates, numeric ones
//!    averaged and categorical ones by majority).
//! 3. Distance to the target statistics t:
//!    `d(sᵢ, t) = sqrt( Σⱼ wⱼ · ((sᵢⱼ − tⱼ) / scaleⱼ)² )`, where `scaleⱼ` is
//!    the median absolute deviation of statistic j over all draws (×1.4826,
//!    so it estimates a standard deviation; robust to the outliers a prior
//!    predictive has), falling back to |tⱼ| or 1 when the MAD is 0. A
//!    categorical statistic (e.g. outcome) contributes 0 when equal, else 1
//!    (before its weight). A missing simulated value (e.g. no date of
//!    collapse) counts as far off as the farthest simulated value of that
//!    statistic, and at least 3 scale units.
//! 4. Accept the `accept` fraction of draws closest to the target: their θ
//!    approximate the posterior p(θ | d(s, t) ≤ ε) with ε the quantile.
//!
//! Everything is a deterministic function of the seed and the number of
//! draws, whatever the number of threads.

use crate::{Kind, Runner, Value};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use plotters::prelude::*;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use rayon::prelude::*;
use std::io::IsTerminal;
use unrest_core::seeds::derive;

/// A uniform prior on `[min, max]` (integers if both are, inclusive).
#[derive(Debug, Clone, PartialEq)]
pub struct Prior {
    pub name: String,
    pub min: f64,
    pub max: f64,
    pub integer: bool,
}

impl Prior {
    /// Parses `name=min:max` (e.g. `legitimacy=0.5:0.95`).
    pub fn parse(s: &str) -> Result<Prior, String> {
        let bad = || format!("--param {s:?}: expected NAME=MIN:MAX, e.g. --param legitimacy=0.5:0.95");
        let (name, range) = s.split_once('=').ok_or_else(bad)?;
        let (lo, hi) = range.split_once(':').ok_or_else(bad)?;
        let integer = lo.trim().parse::<i64>().is_ok() && hi.trim().parse::<i64>().is_ok();
        let (min, max): (f64, f64) = (
            lo.trim().parse().map_err(|_| bad())?,
            hi.trim().parse().map_err(|_| bad())?,
        );
        if name.trim().is_empty() || !(min.is_finite() && max.is_finite() && min <= max) {
            return Err(bad());
        }
        Ok(Prior {
            name: name.trim().to_string(),
            min,
            max,
            integer,
        })
    }

    fn draw(&self, rng: &mut Pcg64) -> Value {
        if self.integer {
            Value::I64(rng.random_range(self.min as i64..=self.max as i64))
        } else {
            Value::F64(self.min + rng.random::<f64>() * (self.max - self.min))
        }
    }
}

/// Target summary statistics with optional weights (default 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub name: String,
    pub stats: Vec<(String, Value)>,
    pub weights: Vec<f64>,
}

impl Target {
    /// Parses a target file: `name = "..."`, `[stats]` name = number or
    /// string, and optionally `[weights]` name = number.
    pub fn parse(text: &str, origin: &str) -> Result<Target, String> {
        let doc: toml::Table = toml::from_str(text).map_err(|e| {
            let loc = e
                .span()
                .map(|r| unrest_scenario::Location::of_offset(text, r.start).with_origin(origin))
                .unwrap_or_default();
            unrest_scenario::ScenarioError::at(loc, e.message().trim()).to_string()
        })?;
        let at = |path: &[&str], msg: String| {
            unrest_scenario::ScenarioError::at(
                unrest_scenario::Location::of_key(text, path, false).with_origin(origin),
                msg,
            )
            .to_string()
        };
        for k in doc.keys() {
            if !["name", "stats", "weights", "description"].contains(&k.as_str()) {
                return Err(at(
                    &[k],
                    format!("unknown key `{k}`; a target has name, description, [stats], [weights]"),
                ));
            }
        }
        let stats_t = doc
            .get("stats")
            .and_then(|s| s.as_table())
            .ok_or_else(|| format!("{origin}: a target needs a [stats] table of statistic = value"))?;
        let mut stats = Vec::new();
        for (k, v) in stats_t {
            let value = match v {
                toml::Value::Float(x) => Value::F64(*x),
                toml::Value::Integer(n) => Value::F64(*n as f64),
                toml::Value::String(s) => Value::Str(s.clone()),
                // A date (`onset_date = 2022-01-02`): compared as days apart.
                toml::Value::Datetime(d) => Value::Str(d.to_string()),
                _ => return Err(at(&["stats", k], format!("`{k}` must be a number, a string or a date"))),
            };
            stats.push((k.clone(), value));
        }
        if stats.is_empty() {
            return Err(format!("{origin}: [stats] is empty"));
        }
        let mut weights = vec![1.0; stats.len()];
        if let Some(w) = doc.get("weights").and_then(|w| w.as_table()) {
            for (k, v) in w {
                let i = stats
                    .iter()
                    .position(|(s, _)| s == k)
                    .ok_or_else(|| at(&["weights", k], format!("weight for `{k}`, which is not in [stats]")))?;
                weights[i] = v
                    .as_float()
                    .or(v.as_integer().map(|n| n as f64))
                    .filter(|x| *x >= 0.0 && x.is_finite())
                    .ok_or_else(|| at(&["weights", k], "a weight must be a number >= 0".into()))?;
            }
        }
        Ok(Target {
            name: doc.get("name").and_then(|n| n.as_str()).unwrap_or(origin).to_string(),
            stats,
            weights,
        })
    }
}

/// Targets shipped with unrest: (name, file text). Each cites its source.
pub const BUILTIN_TARGETS: &[(&str, &str)] = &[("KAZ-2022", include_str!("../targets/kaz-2022.toml"))];

impl Target {
    /// A built-in target by name (case does not matter), e.g. `KAZ-2022`.
    pub fn builtin(name: &str) -> Option<Result<Target, String>> {
        BUILTIN_TARGETS
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(n, text)| Target::parse(text, &format!("<built-in target {n}>")))
    }
}

/// Days since 1970-01-01 of `YYYY-MM-DD`, optionally followed by `THH:MM`
/// (or a space and `HH:MM[:SS]`), as a fractional day count.
pub fn epoch_days(s: &str) -> Option<f64> {
    let s = s.trim();
    let (date, time) = match s.find(['T', ' ']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mut it = date.split('-');
    let (y, m, d): (i64, i64, i64) = (
        it.next()?.parse().ok()?,
        it.next()?.parse().ok()?,
        it.next()?.parse().ok()?,
    );
    if it.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) || date.len() != 10 {
        return None;
    }
    // Count from 1 March of year 0 so that the leap day ends a year, then
    // shift to the Unix epoch: 400-year eras of 146097 days.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = (m + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + d - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    let fraction = match time {
        Some(t) => {
            let mut hm = t.split(':');
            let h: f64 = hm.next()?.parse().ok()?;
            let min: f64 = hm.next().map_or(Some(0.0), |m| m.parse().ok())?;
            (h * 60.0 + min) / 1440.0
        }
        None => 0.0,
    };
    Some(days as f64 + fraction)
}

/// How to run the calibration.
#[derive(Debug, Clone)]
pub struct AbcOptions {
    pub draws: u64,
    /// Fraction of draws accepted, in (0, 1].
    pub accept: f64,
    pub seed: u64,
    /// Runs per draw; numeric statistics are averaged over them (use with a
    /// target that is itself an average), categorical ones take the mode.
    pub replicates: u64,
    pub jobs: Option<usize>,
    pub progress: bool,
    /// Set from elsewhere (the Python package's Ctrl-C) to stop: no new draw
    /// is run and the calibration returns `exec::INTERRUPTED`.
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

/// One prior draw and its simulation.
#[derive(Debug, Clone, PartialEq)]
pub struct Draw {
    pub index: u64,
    pub seed: u64,
    pub params: Vec<Value>,
    pub stats: Vec<Value>,
    pub distance: f64,
}

/// All draws, the accepted ones (closest first) and the scales used.
#[derive(Debug, Clone)]
pub struct AbcResult {
    pub priors: Vec<Prior>,
    pub target: Target,
    pub draws: Vec<Draw>,
    /// Indices into `draws`, by increasing distance.
    pub accepted: Vec<usize>,
    pub scales: Vec<f64>,
}

impl AbcResult {
    pub fn best(&self) -> &Draw {
        &self.draws[self.accepted[0]]
    }

    /// Posterior mean of parameter `p` over the accepted draws.
    pub fn posterior_mean(&self, p: usize) -> f64 {
        let xs: Vec<f64> = self
            .accepted
            .iter()
            .filter_map(|&i| self.draws[i].params[p].as_f64())
            .collect();
        xs.iter().sum::<f64>() / xs.len().max(1) as f64
    }
}

/// Runs ABC rejection of `priors` against `target` with `base` + `fixed`
/// overrides as the model.
pub fn abc_rejection(
    runner: &dyn Runner,
    base: &str,
    fixed: &[(String, String)],
    priors: &[Prior],
    target: &Target,
    opts: &AbcOptions,
) -> Result<AbcResult, String> {
    if priors.is_empty() {
        return Err("no parameters to calibrate: give --param NAME=MIN:MAX".into());
    }
    if !(opts.accept > 0.0 && opts.accept <= 1.0) || opts.draws == 0 {
        return Err("need draws >= 1 and an acceptance fraction in (0, 1]".into());
    }
    if opts.replicates == 0 {
        return Err("--replicates must be at least 1 (runs per draw)".into());
    }
    // The same cap as a sweep's: every draw is held in memory, and a typo
    // must not plan 2^64 runs (it overflowed the allocation, a panic).
    let runs = opts.draws.saturating_mul(opts.replicates);
    if runs > crate::spec::MAX_RUNS {
        return Err(format!(
            "--draws {} × --replicates {} = {runs} runs; at most {} are allowed",
            opts.draws,
            opts.replicates,
            crate::spec::MAX_RUNS
        ));
    }
    for (i, p) in priors.iter().enumerate() {
        if p.name == "seed" {
            return Err("--param seed: the seed is not a model parameter; give --seed instead".into());
        }
        if priors[..i].iter().any(|q| q.name == p.name) {
            return Err(format!(
                "--param {} is given twice; give each parameter one prior",
                p.name
            ));
        }
    }
    let metrics = runner.metrics(base)?;
    for (s, v) in &target.stats {
        let def = metrics.iter().find(|m| &m.name == s).ok_or_else(|| {
            format!(
                "target statistic `{s}` is not reported by runs of {base}; they report: {}",
                metrics.iter().map(|m| m.name.as_str()).collect::<Vec<_>>().join(", ")
            )
        })?;
        if (def.kind == Kind::Str) != matches!(v, Value::Str(_)) {
            return Err(format!(
                "target statistic `{s}`: the model reports a {:?}, the target gives {v:?}",
                def.kind
            ));
        }
    }
    // Date statistics become day numbers, target and simulations alike.
    let is_date: Vec<bool> = target
        .stats
        .iter()
        .map(|(_, v)| matches!(v, Value::Str(s) if epoch_days(s).is_some()))
        .collect();
    let mut target = target.clone();
    for ((_, v), date) in target.stats.iter_mut().zip(&is_date) {
        if *date {
            if let Value::Str(s) = v {
                *v = epoch_days(s).map_or(Value::Null, Value::F64);
            }
        }
    }
    let target = &target;
    let overrides_of = |params: &[Value]| {
        let mut o = fixed.to_vec();
        o.extend(
            priors
                .iter()
                .zip(params)
                .map(|(p, v)| (p.name.clone(), v.to_override())),
        );
        o
    };
    let param_seed = derive(opts.seed, u64::MAX);
    let mut draws: Vec<Draw> = (0..opts.draws)
        .map(|i| {
            let mut rng = Pcg64::seed_from_u64(derive(param_seed, i));
            Draw {
                index: i,
                // 63 bits, so that the seed fits a scenario file's TOML integer
                // (the best-fit file carries it).
                seed: derive(opts.seed, i) & (i64::MAX as u64),
                params: priors.iter().map(|p| p.draw(&mut rng)).collect(),
                stats: Vec::new(),
                distance: f64::INFINITY,
            }
        })
        .collect();
    // Bounds are checked once, on the corners' midpoint, before any run.
    let mid: Vec<Value> = priors
        .iter()
        .map(|p| {
            if p.integer {
                Value::I64(p.min as i64)
            } else {
                Value::F64(p.min)
            }
        })
        .collect();
    runner.check(base, &overrides_of(&mid))?;

    let target_draw = if opts.progress && std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(opts.draws), target_draw);
    if let Ok(style) =
        ProgressStyle::with_template("{elapsed_precise} [{wide_bar}] {pos}/{len} draws  {per_sec}  ETA {eta}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.unwrap_or(0))
        .build()
        .map_err(|e| e.to_string())?;
    let replicates = opts.replicates;
    let cancel = opts.cancel.as_deref();
    let results: Vec<Result<Vec<Value>, String>> = pool.install(|| {
        draws
            .par_iter()
            .map(|d| {
                let mut runs = Vec::with_capacity(replicates as usize);
                for r in 0..replicates {
                    if cancel.is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed)) {
                        return Err(crate::exec::INTERRUPTED.to_string());
                    }
                    // One replicate keeps the draw's own seed; more derive from it.
                    let seed = if replicates == 1 { d.seed } else { derive(d.seed, r) };
                    let out = runner
                        .run(base, &overrides_of(&d.params), seed, false)
                        .map_err(|e| format!("draw {}: {e}", d.index))?;
                    runs.push(out);
                }
                bar.inc(1);
                Ok(target
                    .stats
                    .iter()
                    .zip(&is_date)
                    .map(|((s, _), date)| {
                        let values: Vec<Value> = runs
                            .iter()
                            .map(|o| {
                                let v = o
                                    .metrics
                                    .iter()
                                    .find(|(n, _)| n == s)
                                    .map_or(Value::Null, |(_, v)| v.clone());
                                match v {
                                    Value::Str(text) if *date => epoch_days(&text).map_or(Value::Null, Value::F64),
                                    v => v,
                                }
                            })
                            .collect();
                        summarise(&values)
                    })
                    .collect())
            })
            .collect()
    });
    bar.finish_and_clear();
    for (d, r) in draws.iter_mut().zip(results) {
        d.stats = r?;
    }
    let scales = scales(&draws, target);
    let penalties: Vec<f64> = (0..target.stats.len())
        .map(|j| {
            let worst = draws
                .iter()
                .filter_map(|d| Some(((d.stats[j].as_f64()? - target.stats[j].1.as_f64()?) / scales[j]).abs()))
                .fold(0.0, f64::max);
            worst.max(3.0)
        })
        .collect();
    for d in &mut draws {
        d.distance = distance(&d.stats, target, &scales, &penalties);
    }
    let mut order: Vec<usize> = (0..draws.len()).collect();
    order.sort_by(|&a, &b| draws[a].distance.total_cmp(&draws[b].distance).then(a.cmp(&b)));
    let keep = ((opts.draws as f64 * opts.accept).round() as usize).clamp(1, draws.len());
    order.truncate(keep);
    Ok(AbcResult {
        priors: priors.to_vec(),
        target: target.clone(),
        draws,
        accepted: order,
        scales,
    })
}

/// A statistic over a draw's replicates: the mean of the numeric values
/// (missing ones left out; missing if all are), else the most frequent value
/// (ties to the first seen).
fn summarise(values: &[Value]) -> Value {
    if values.len() == 1 {
        return values[0].clone();
    }
    let nums: Vec<f64> = values.iter().filter_map(Value::as_f64).collect();
    if values.iter().all(|v| matches!(v, Value::Null) || v.as_f64().is_some()) {
        return if nums.is_empty() {
            Value::Null
        } else {
            Value::F64(nums.iter().sum::<f64>() / nums.len() as f64)
        };
    }
    let mut best = (&Value::Null, 0);
    for v in values {
        let n = values.iter().filter(|w| *w == v).count();
        if n > best.1 {
            best = (v, n);
        }
    }
    best.0.clone()
}

/// Per statistic: 1.4826 × MAD over the draws; |target| or 1 if that is 0.
fn scales(draws: &[Draw], target: &Target) -> Vec<f64> {
    (0..target.stats.len())
        .map(|j| {
            let mut xs: Vec<f64> = draws.iter().filter_map(|d| d.stats[j].as_f64()).collect();
            let fallback = target.stats[j]
                .1
                .as_f64()
                .map(f64::abs)
                .filter(|t| *t > 0.0)
                .unwrap_or(1.0);
            if xs.is_empty() || matches!(target.stats[j].1, Value::Str(_)) {
                return 1.0;
            }
            let med = median(&mut xs);
            let mut dev: Vec<f64> = xs.iter().map(|x| (x - med).abs()).collect();
            let mad = 1.4826 * median(&mut dev);
            if mad > 0.0 {
                mad
            } else {
                fallback
            }
        })
        .collect()
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

fn distance(stats: &[Value], target: &Target, scales: &[f64], penalties: &[f64]) -> f64 {
    let mut sum = 0.0;
    for (j, ((_, t), s)) in target.stats.iter().zip(stats).enumerate() {
        let z = match (s, t) {
            (Value::Null, _) => penalties[j],
            (Value::Str(a), Value::Str(b)) => f64::from(u8::from(a != b)),
            (s, t) => match (s.as_f64(), t.as_f64()) {
                (Some(a), Some(b)) => (a - b) / scales[j],
                _ => penalties[j],
            },
        };
        sum += target.weights[j] * z * z;
    }
    sum.sqrt()
}

/// The draws as a table: `draw`, `seed`, the parameters, the statistics,
/// `distance` and `accepted`; with `accepted_only`, the posterior sample,
/// closest first.
pub fn draws_batch(result: &AbcResult, accepted_only: bool) -> Result<arrow_array::RecordBatch, String> {
    use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int64Array, UInt64Array};
    use arrow_schema::{DataType, Field, Schema};
    use std::sync::Arc;
    let order: Vec<usize> = if accepted_only {
        result.accepted.clone()
    } else {
        (0..result.draws.len()).collect()
    };
    let accepted: std::collections::HashSet<usize> = result.accepted.iter().copied().collect();
    let rows: Vec<&Draw> = order.iter().map(|&i| &result.draws[i]).collect();
    let mut fields = vec![
        Field::new("draw", DataType::Int64, false),
        Field::new("seed", DataType::UInt64, false),
    ];
    let mut cols: Vec<ArrayRef> = vec![
        Arc::new(rows.iter().map(|d| d.index as i64).collect::<Int64Array>()),
        Arc::new(rows.iter().map(|d| d.seed).collect::<UInt64Array>()),
    ];
    for (p, prior) in result.priors.iter().enumerate() {
        let kind = if prior.integer { Kind::I64 } else { Kind::F64 };
        let (f, c) = crate::table::value_column(&prior.name, kind, false, rows.iter().map(|d| d.params[p].clone()))?;
        fields.push(f);
        cols.push(c);
    }
    for (j, (name, t)) in result.target.stats.iter().enumerate() {
        let kind = if matches!(t, Value::Str(_)) {
            Kind::Str
        } else {
            Kind::F64
        };
        let values = rows.iter().map(|d| match &d.stats[j] {
            Value::I64(n) => Value::F64(*n as f64),
            v => v.clone(),
        });
        let (f, c) = crate::table::value_column(name, kind, true, values)?;
        fields.push(f);
        cols.push(c);
    }
    fields.push(Field::new("distance", DataType::Float64, false));
    cols.push(Arc::new(rows.iter().map(|d| d.distance).collect::<Float64Array>()));
    fields.push(Field::new("accepted", DataType::Boolean, false));
    cols.push(Arc::new(
        order
            .iter()
            .map(|i| Some(accepted.contains(i)))
            .collect::<BooleanArray>(),
    ));
    arrow_array::RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).map_err(|e| e.to_string())
}

/// The marginal posterior histograms (accepted draws, 20 bins over each
/// prior's range) as SVG, one panel per parameter.
pub fn marginals_svg(result: &AbcResult) -> Result<String, String> {
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let n = result.priors.len();
    let cols = n.min(3);
    let rows = n.div_ceil(cols);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, ((380 * cols as u32).max(640), 300 * rows as u32 + 40))
            .into_drawing_area();
        root.fill(&WHITE).map_err(|x| e(&x))?;
        let root = root
            .titled(
                &format!(
                    "ABC posterior vs {}: {} of {} draws accepted",
                    result.target.name,
                    result.accepted.len(),
                    result.draws.len()
                ),
                ("sans-serif", 18),
            )
            .map_err(|x| e(&x))?;
        let panels = root.split_evenly((rows, cols));
        for (p, (prior, area)) in result.priors.iter().zip(panels.iter()).enumerate() {
            let bins = 20usize;
            let width = if prior.max > prior.min {
                (prior.max - prior.min) / bins as f64
            } else {
                1.0
            };
            let mut counts = vec![0u32; bins];
            for &i in &result.accepted {
                if let Some(x) = result.draws[i].params[p].as_f64() {
                    let b = (((x - prior.min) / width).floor() as usize).min(bins - 1);
                    counts[b] += 1;
                }
            }
            let top = counts.iter().copied().max().unwrap_or(1).max(1);
            let mut chart = ChartBuilder::on(area)
                .margin(10)
                .caption(
                    format!("{} (mean {:.4})", prior.name, result.posterior_mean(p)),
                    ("sans-serif", 15),
                )
                .x_label_area_size(35)
                .y_label_area_size(40)
                .build_cartesian_2d(prior.min..(prior.min + width * bins as f64), 0u32..top + top / 10 + 1)
                .map_err(|x| e(&x))?;
            chart
                .configure_mesh()
                .x_desc(prior.name.as_str())
                .y_desc("accepted draws")
                .label_style(("sans-serif", 11))
                .draw()
                .map_err(|x| e(&x))?;
            chart
                .draw_series(counts.iter().enumerate().map(|(b, &c)| {
                    let x0 = prior.min + width * b as f64;
                    Rectangle::new([(x0, 0), (x0 + width, c)], RGBColor(70, 130, 180).filled())
                }))
                .map_err(|x| e(&x))?;
        }
        root.present().map_err(|x| e(&x))?;
    }
    Ok(svg)
}

/// `text` (a scenario file) with `params` set in `[params]` (`steps` at the
/// top), `name` and
/// `seed` replaced, and a header saying where it came from. Comments and
/// layout of the original are kept.
pub fn scenario_with(
    text: &str,
    name: &str,
    seed: u64,
    params: &[(String, Value)],
    header: &str,
) -> Result<String, String> {
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| e.to_string())?;
    doc["name"] = toml_edit::value(name);
    doc["seed"] = toml_edit::value(seed as i64);
    // A country scenario is set by dotted paths (`information.contagion`), as
    // `--set` does; a lattice scenario's parameters live in [params].
    let country = doc.get("kind").and_then(|k| k.as_str()) == Some("country");
    if !country && doc.get("params").is_none() {
        doc["params"] = toml_edit::table();
    }
    for (k, v) in params {
        let (path, last): (Vec<&str>, &str) = if country {
            let mut parts: Vec<&str> = k.split('.').collect();
            let last = parts.pop().unwrap_or(k);
            (parts, last)
        } else if unrest_scenario::TOP_LEVEL_KEYS.contains(&k.as_str()) {
            (vec![], k.as_str())
        } else {
            (vec!["params"], k.as_str())
        };
        let mut table = doc.as_item_mut();
        for p in path {
            if table.get(p).is_none() {
                table[p] = toml_edit::table();
            }
            table = &mut table[p];
        }
        let mut value: toml_edit::Value = match v {
            Value::F64(x) => (*x).into(),
            Value::I64(n) => (*n).into(),
            Value::Bool(b) => (*b).into(),
            Value::Str(s) => s.as_str().into(),
            Value::Null => continue,
        };
        // Keep the comment that followed the old value.
        if let Some(old) = table.get(last).and_then(|i| i.as_value()) {
            *value.decor_mut() = old.decor().clone();
        }
        table[last] = toml_edit::Item::Value(value);
    }
    let header: String = header.lines().map(|l| format!("# {l}\n")).collect();
    Ok(format!("{header}{doc}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MetricDef, RunOutput};

    /// A toy model with a known answer: `y = 10·θ + noise`.
    struct Linear;
    impl Runner for Linear {
        fn metrics(&self, _: &str) -> Result<Vec<MetricDef>, String> {
            Ok(vec![MetricDef::new("y", Kind::F64, "10 θ + noise")])
        }
        fn check(&self, _: &str, _: &[(String, String)]) -> Result<(), String> {
            Ok(())
        }
        fn run(&self, _: &str, o: &[(String, String)], seed: u64, _: bool) -> Result<RunOutput, String> {
            let theta: f64 = o.iter().find(|(k, _)| k == "theta").unwrap().1.parse().unwrap();
            let noise = (seed % 1000) as f64 / 1000.0 - 0.5;
            Ok(RunOutput {
                metrics: vec![("y".into(), Value::F64(10.0 * theta + noise))],
                series: None,
            })
        }
    }

    #[test]
    fn recovers_a_known_parameter_deterministically() {
        let target = Target::parse("name = \"toy\"\n[stats]\ny = 4.0\n", "t.toml").unwrap();
        let priors = [Prior::parse("theta=0:1").unwrap()];
        assert!(priors[0].integer);
        let priors = [Prior::parse("theta=0.0:1.0").unwrap()];
        let opts = |jobs| AbcOptions {
            draws: 2000,
            accept: 0.02,
            seed: 5,
            replicates: 1,
            jobs: Some(jobs),
            progress: false,
            cancel: None,
        };
        let r = abc_rejection(&Linear, "x", &[], &priors, &target, &opts(2)).unwrap();
        assert_eq!(r.accepted.len(), 40);
        let mean = r.posterior_mean(0);
        assert!((mean - 0.4).abs() < 0.03, "posterior mean {mean}");
        let r1 = abc_rejection(&Linear, "x", &[], &priors, &target, &opts(1)).unwrap();
        assert_eq!(r1.accepted, r.accepted);
        assert!(marginals_svg(&r).unwrap().contains("theta (mean"));
    }

    #[test]
    fn dates_count_days_from_the_epoch() {
        assert_eq!(epoch_days("1970-01-01"), Some(0.0));
        assert_eq!(epoch_days("2000-03-01"), Some(11_017.0));
        assert_eq!(epoch_days("2022-01-02"), Some(18_994.0));
        assert_eq!(epoch_days("2022-01-03T18:00"), Some(18_995.75));
        assert_eq!(epoch_days("1969-12-31"), Some(-1.0));
        assert_eq!(epoch_days("survived"), None);
        assert_eq!(epoch_days("2022-13-01"), None);
        let kaz = Target::builtin("kaz-2022").unwrap().unwrap();
        assert!(kaz
            .stats
            .contains(&("onset_date".to_string(), Value::Str("2022-01-02".into()))));
        assert!(kaz
            .stats
            .iter()
            .any(|(n, v)| n == "outcome" && *v == Value::Str("suppressed".into())));
    }

    #[test]
    fn bad_inputs_are_named() {
        assert!(Prior::parse("legitimacy=0.9:0.5").unwrap_err().contains("NAME=MIN:MAX"));
        let e = Target::parse("[stats]\ny = true\n", "t.toml").unwrap_err();
        assert!(e.starts_with("t.toml:2:5: `y` must be a number"), "{e}");
        let target = Target::parse("[stats]\nz = 1\n", "t.toml").unwrap();
        let priors = [Prior::parse("theta=0.0:1.0").unwrap()];
        let opts = AbcOptions {
            draws: 10,
            accept: 0.1,
            seed: 1,
            replicates: 2,
            jobs: Some(1),
            progress: false,
            cancel: None,
        };
        let e = abc_rejection(&Linear, "x", &[], &priors, &target, &opts).unwrap_err();
        assert!(e.contains("`z` is not reported"), "{e}");
    }

    #[test]
    fn best_fit_keeps_the_file_and_sets_params() {
        let text = "# original\nname = \"a\"\nseed = 1\n[params]\nlegitimacy = 0.8 # L\n";
        let out = scenario_with(text, "a-fit", 42, &[("legitimacy".into(), Value::F64(0.75))], "fit").unwrap();
        assert_eq!(
            out,
            "# fit\n# original\nname = \"a-fit\"\nseed = 42\n[params]\nlegitimacy = 0.75 # L\n"
        );
        let country = "kind = \"country\"\nname = \"k\"\n[information]\ncontagion = 12.0 # c\n";
        let params = [
            ("information.contagion".to_string(), Value::F64(9.5)),
            ("police.per_100k".to_string(), Value::I64(300)),
        ];
        let out = scenario_with(country, "k-fit", 7, &params, "fit").unwrap();
        assert_eq!(
            out,
            "# fit\nkind = \"country\"\nname = \"k-fit\"\nseed = 7\n[information]\ncontagion = 9.5 # c\n\n[police]\nper_100k = 300\n"
        );
    }
}

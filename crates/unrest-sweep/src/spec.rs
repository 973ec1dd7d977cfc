//! The sweep spec file and the run plan it expands into.
//!
//! ```toml
//! scenario = "epstein-run2"      # built-in name, or a path relative to this file
//! seed = 2026                    # sweep seed: run i gets seeds::derive(seed, i)
//! replicates = 4                 # runs per parameter point
//! metrics = ["mean_active", "peak_active"]   # columns to keep (default: all)
//! keep_series = false            # also write every run's time series
//! common_seeds = false           # true: replicate r of every point runs with
//!                                # seeds::derive(seed, r) (common random numbers)
//!
//! [set]                          # fixed overrides for every run
//! steps = 200
//!
//! [vary]                         # full grid over these, first key slowest
//! legitimacy = [0.7, 0.8, 0.9]
//! cop_density = { from = 0.02, to = 0.08, step = 0.02 }
//!
//! [sample]                       # and/or a space-filling design
//! method = "lhs"                 # "lhs" (Latin hypercube) or "sobol"
//! size = 32
//! ranges = { threshold = { min = 0.0, max = 0.2 } }
//! ```
//!
//! Errors name the file, line and column (via [`unrest_scenario::Location`]).

use crate::{sample, Kind, Value};
use sha2::{Digest, Sha256};
use std::path::Path;
use toml_edit::{Document, Item, TableLike};
use unrest_scenario::{Location, ScenarioError};

/// Largest number of runs a spec (or a calibration) may expand into: a guard
/// against a typo (`step = 0.0001`) silently planning billions of runs. The
/// plan is held in memory (about 110 bytes a point, measured) and every
/// point is checked before the first run, so the cap also bounds what a
/// sweep needs before it writes anything: about 110 MB and a minute or two.
pub const MAX_RUNS: u64 = 1_000_000;

/// A space-filling design over continuous ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Latin hypercube: each range cut into `size` strata, each stratum used once.
    Lhs,
    /// Owen-scrambled Sobol sequence (low discrepancy; best with powers of two).
    Sobol,
}

/// `[sample]`: `size` points drawn by `method` in the box `ranges`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub method: Method,
    pub size: u32,
    /// Parameter → (min, max); both integers means integer values.
    pub ranges: Vec<(String, Value, Value)>,
}

/// A parsed spec file.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepSpec {
    /// Base scenario: a built-in name, or a path (made relative to the current
    /// directory when the spec gave it relative to the spec file).
    pub scenario: String,
    /// `scenario` as the spec file writes it: what identifies the sweep,
    /// wherever it is run from.
    pub scenario_as_written: String,
    pub seed: u64,
    pub replicates: u32,
    /// Metric columns to keep; empty means all the runner reports.
    pub metrics: Vec<String>,
    pub keep_series: bool,
    /// Common random numbers: replicate `r` of every point runs with seed
    /// `derive(seed, r)` instead of `derive(seed, run index)`, so two points
    /// differ by their values alone, not by their luck (what a sensitivity
    /// analysis of a stochastic model needs; `crate::sensitivity`).
    pub common_seeds: bool,
    /// Overrides applied to every run, before the varied ones.
    pub set: Vec<(String, Value)>,
    /// Grid parameters and their values, in file order.
    pub vary: Vec<(String, Vec<Value>)>,
    pub sample: Option<Sample>,
    /// The file's text and name, to locate later errors (e.g. unknown metrics).
    pub text: String,
    pub origin: String,
}

/// One run of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunId {
    pub index: u64,
    pub point: u64,
    pub replicate: u32,
    pub seed: u64,
}

/// The expanded spec: parameter columns and the list of points.
#[derive(Debug, Clone)]
pub struct Plan {
    pub spec: SweepSpec,
    /// Varied parameter names (grid first, then sampled), the Parquet columns.
    pub params: Vec<String>,
    pub kinds: Vec<Kind>,
    /// Each point's values, aligned with `params`.
    pub points: Vec<Vec<Value>>,
    /// Hash of everything that determines the rows (not comments or layout).
    pub hash: String,
}

fn err_at(text: &str, origin: &str, span: Option<std::ops::Range<usize>>, msg: impl Into<String>) -> ScenarioError {
    let loc = match span {
        Some(r) => Location::of_offset(text, r.start).with_origin(origin),
        None => Location::default().with_origin(origin),
    };
    ScenarioError::at(loc, msg)
}

const TOP_KEYS: [&str; 10] = [
    "scenario",
    "seed",
    "replicates",
    "metrics",
    "keep_series",
    "common_seeds",
    "set",
    "vary",
    "sample",
    "name",
];

impl SweepSpec {
    /// Reads and parses a spec file; a relative `scenario` path is taken
    /// relative to the spec file's directory.
    pub fn load(path: &Path) -> Result<SweepSpec, ScenarioError> {
        let text = unrest_scenario::read_input(path, "sweep spec")?;
        let mut spec = SweepSpec::parse(&text, &path.display().to_string())?;
        if looks_like_path(&spec.scenario) && Path::new(&spec.scenario).is_relative() {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                spec.scenario = dir.join(&spec.scenario).display().to_string();
            }
        }
        Ok(spec)
    }

    /// Parses a spec's text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<SweepSpec, ScenarioError> {
        let doc = Document::parse(text).map_err(|e| {
            let msg = e.message().trim();
            match (e.span(), Location::of_spanless_error(text, msg)) {
                (None, Some(loc)) => ScenarioError::at(loc.with_origin(origin), msg),
                (span, _) => err_at(text, origin, span, msg),
            }
        })?;
        let at = |item: &Item, msg: String| err_at(text, origin, item.span(), msg);
        let root = doc.as_table();
        for (key, item) in root.iter() {
            if !TOP_KEYS.contains(&key) {
                let span = root.key(key).and_then(|k| k.span()).or(item.span());
                return Err(err_at(
                    text,
                    origin,
                    span,
                    format!("unknown key `{key}`; a sweep spec has: {}", TOP_KEYS.join(", ")),
                ));
            }
        }
        let scenario = match root.get("scenario") {
            Some(item) => item
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| at(item, "scenario must be a string: a built-in name or a file path".into()))?,
            None => {
                return Err(err_at(
                    text,
                    origin,
                    Some(0..0),
                    "missing `scenario = \"...\"` (the base scenario: built-in name or file)",
                ))
            }
        };
        let seed = match root.get("seed") {
            Some(item) => item
                .as_integer()
                .filter(|n| *n >= 0)
                .ok_or_else(|| at(item, "seed must be a whole number >= 0".into()))? as u64,
            None => 1,
        };
        let replicates = match root.get("replicates") {
            Some(item) => item
                .as_integer()
                .filter(|n| (1..=1_000_000).contains(n))
                .ok_or_else(|| at(item, "replicates must be a whole number from 1 to 1000000".into()))?
                as u32,
            None => 1,
        };
        let keep_series = match root.get("keep_series") {
            Some(item) => item
                .as_bool()
                .ok_or_else(|| at(item, "keep_series must be true or false".into()))?,
            None => false,
        };
        let common_seeds = match root.get("common_seeds") {
            Some(item) => item
                .as_bool()
                .ok_or_else(|| at(item, "common_seeds must be true or false".into()))?,
            None => false,
        };
        let metrics = match root.get("metrics") {
            Some(item) => {
                let arr = item
                    .as_array()
                    .ok_or_else(|| at(item, "metrics must be a list of metric names".into()))?;
                let mut names = Vec::new();
                for v in arr.iter() {
                    let name = v.as_str().ok_or_else(|| {
                        err_at(
                            text,
                            origin,
                            v.span(),
                            "metrics must be a list of metric names (strings)",
                        )
                    })?;
                    names.push(name.to_string());
                }
                names
            }
            None => Vec::new(),
        };
        let mut set = Vec::new();
        if let Some(item) = root.get("set") {
            let t = item
                .as_table_like()
                .ok_or_else(|| at(item, "[set] must be a table of parameter = value".into()))?;
            for (key, v) in t.iter() {
                if key == "seed" {
                    return Err(at(
                        v,
                        "the seed of each run derives from the sweep seed; set `seed` at the top".into(),
                    ));
                }
                set.push((
                    key.to_string(),
                    scalar(v).ok_or_else(|| at(v, format!("`{key}` must be a number, boolean or string")))?,
                ));
            }
        }
        let mut vary = Vec::new();
        if let Some(item) = root.get("vary") {
            let t = item
                .as_table_like()
                .ok_or_else(|| at(item, "[vary] must be a table of parameter = list or range".into()))?;
            for (key, v) in t.iter() {
                let values = vary_values(key, v).map_err(|m| at(v, m))?;
                vary.push((key.to_string(), values));
            }
        }
        let sample = match root.get("sample") {
            Some(item) => Some(parse_sample(item, text, origin)?),
            None => None,
        };
        let spec = SweepSpec {
            scenario_as_written: scenario.clone(),
            scenario,
            seed,
            replicates,
            metrics,
            keep_series,
            common_seeds,
            set,
            vary,
            sample,
            text: text.to_string(),
            origin: origin.to_string(),
        };
        spec.check_names()?;
        Ok(spec)
    }

    /// Where `path` (e.g. `["vary", "legitimacy"]`) is in the file, for errors.
    pub fn locate(&self, path: &[&str]) -> Location {
        Location::of_key(&self.text, path, false).with_origin(&self.origin)
    }

    /// Where parameter `key` is given: in `[set]`, `[vary]` or `[sample]`.
    pub fn key_location(&self, key: &str) -> Location {
        if self.set.iter().any(|(k, _)| k == key) {
            self.locate(&["set", key])
        } else if self.vary.iter().any(|(k, _)| k == key) {
            self.locate(&["vary", key])
        } else {
            self.locate(&["sample", "ranges", key])
        }
    }

    fn check_names(&self) -> Result<(), ScenarioError> {
        let mut seen: Vec<(&str, &str)> = self.set.iter().map(|(k, _)| (k.as_str(), "set")).collect();
        let sampled = self.sample.iter().flat_map(|s| s.ranges.iter().map(|(k, _, _)| k));
        for (key, table) in self
            .vary
            .iter()
            .map(|(k, _)| (k, "vary"))
            .chain(sampled.map(|k| (k, "sample")))
        {
            if key == "seed" {
                return Err(ScenarioError::at(
                    self.locate(&[table, key]),
                    "`seed` cannot be varied: each run's seed derives from the sweep seed and the run index; use replicates",
                ));
            }
            if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key.as_str()) {
                let path: Vec<&str> = if table == "sample" {
                    vec!["sample", "ranges", key]
                } else {
                    vec![table, key]
                };
                return Err(ScenarioError::at(
                    self.locate(&path),
                    format!("`{key}` is given twice (also in [{first}])"),
                ));
            }
            seen.push((key.as_str(), table));
        }
        Ok(())
    }

    /// Expands the grid and the sample into the numbered points of a plan.
    pub fn plan(&self) -> Result<Plan, ScenarioError> {
        let mut params: Vec<String> = self.vary.iter().map(|(k, _)| k.clone()).collect();
        let mut kinds = Vec::new();
        for (key, values) in &self.vary {
            kinds.push(column_kind(values).map_err(|m| ScenarioError::at(self.locate(&["vary", key]), m))?);
        }
        let grid_size: u64 = self
            .vary
            .iter()
            .fold(1u64, |n, (_, v)| n.saturating_mul(v.len() as u64));
        let samples: Vec<Vec<Value>> = match &self.sample {
            Some(s) => {
                for (k, lo, _) in &s.ranges {
                    params.push(k.clone());
                    kinds.push(if matches!(lo, Value::I64(_)) {
                        Kind::I64
                    } else {
                        Kind::F64
                    });
                }
                sample::design(s, self.seed)
            }
            None => vec![Vec::new()],
        };
        let points_n = grid_size.saturating_mul(samples.len() as u64);
        let runs = points_n.saturating_mul(u64::from(self.replicates));
        if runs > MAX_RUNS {
            return Err(ScenarioError::at(
                self.locate(&["vary"]),
                format!("this spec expands into {runs} runs; at most {MAX_RUNS} are allowed (check the steps of the ranges)"),
            ));
        }
        let mut points = Vec::with_capacity(points_n as usize);
        for g in 0..grid_size {
            // Row-major: the first [vary] key changes slowest.
            let mut rest = g;
            let mut grid_point = vec![Value::Null; self.vary.len()];
            for (slot, (_, values)) in self.vary.iter().enumerate().rev() {
                let n = values.len() as u64;
                grid_point[slot] = values[(rest % n) as usize].clone();
                rest /= n;
            }
            for s in &samples {
                let mut p = grid_point.clone();
                p.extend(s.iter().cloned());
                points.push(p);
            }
        }
        Ok(Plan::hashed(self.clone(), params, kinds, points))
    }
}

impl Plan {
    /// The plan of these points with its identity computed (one place for
    /// both the expanded and the given-points plans).
    fn hashed(spec: SweepSpec, params: Vec<String>, kinds: Vec<Kind>, points: Vec<Vec<Value>>) -> Plan {
        let mut plan = Plan {
            spec,
            params,
            kinds,
            points,
            hash: String::new(),
        };
        plan.hash = plan.compute_hash();
        plan
    }

    /// A plan of the given points (a design made elsewhere, e.g. the
    /// Saltelli design of `crate::sensitivity`), run with `spec`'s base
    /// scenario, `[set]`, seed and replicates; `spec`'s own `[vary]` and
    /// `[sample]` are not used and must be empty.
    pub fn from_points(
        spec: SweepSpec,
        params: Vec<String>,
        kinds: Vec<Kind>,
        points: Vec<Vec<Value>>,
    ) -> Result<Plan, String> {
        if !spec.vary.is_empty() || spec.sample.is_some() {
            return Err("a plan of given points takes no [vary] or [sample] of its own".into());
        }
        if params.len() != kinds.len() || points.iter().any(|p| p.len() != params.len()) {
            return Err(format!(
                "every point needs one value for each of the {} parameters",
                params.len()
            ));
        }
        let runs = (points.len() as u64).saturating_mul(u64::from(spec.replicates));
        if runs > MAX_RUNS {
            return Err(format!("{runs} runs planned; at most {MAX_RUNS} are allowed"));
        }
        Ok(Plan::hashed(spec, params, kinds, points))
    }

    pub fn total_runs(&self) -> u64 {
        self.points.len() as u64 * u64::from(self.spec.replicates)
    }

    /// Run `index`: its point, replicate and seed.
    pub fn run_id(&self, index: u64) -> RunId {
        let r = u64::from(self.spec.replicates);
        RunId {
            index,
            point: index / r,
            replicate: (index % r) as u32,
            seed: unrest_core::seeds::derive(self.spec.seed, if self.spec.common_seeds { index % r } else { index }),
        }
    }

    /// The overrides of a point: the fixed `[set]` ones, then the varied ones.
    pub fn overrides(&self, point: u64) -> Vec<(String, String)> {
        let mut o: Vec<(String, String)> = self
            .spec
            .set
            .iter()
            .map(|(k, v)| (k.clone(), v.to_override()))
            .collect();
        for (k, v) in self.params.iter().zip(&self.points[point as usize]) {
            o.push((k.clone(), v.to_override()));
        }
        o
    }

    /// SHA-256 over what determines the rows: base scenario (and its file's
    /// text), overrides of every point, replicates, seed, metrics, series.
    fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        let s = &self.spec;
        // The name as written plus the file's content: the same sweep hashes
        // alike from any working directory (a Slurm node, a laptop).
        h.update(s.scenario_as_written.as_bytes());
        if looks_like_path(&s.scenario) {
            if let Ok(t) = unrest_scenario::read_input(Path::new(&s.scenario), "scenario file") {
                h.update(t.as_bytes());
            }
        }
        h.update(format!(
            "\0seed={}\0replicates={}\0series={}\0",
            s.seed, s.replicates, s.keep_series
        ));
        // Only when on, so the hashes of existing sweeps (and their journals) stay.
        if s.common_seeds {
            h.update("common_seeds\0");
        }
        for m in &s.metrics {
            h.update(format!("metric={m}\0"));
        }
        for (k, v) in &s.set {
            h.update(format!("set {k}={}\0", v.to_override()));
        }
        h.update(format!("params={}\0", self.params.join(",")));
        for p in &self.points {
            for v in p {
                h.update(v.to_override());
                h.update([0u8]);
            }
            h.update([1u8]);
        }
        h.finalize().iter().take(12).map(|b| format!("{b:02x}")).collect()
    }
}

/// Whether a scenario reference is a file path rather than a built-in name.
pub fn looks_like_path(s: &str) -> bool {
    s.ends_with(".toml") || s.contains('/')
}

fn scalar(item: &Item) -> Option<Value> {
    let v = item.as_value()?;
    if let Some(x) = v.as_float() {
        Some(Value::F64(x))
    } else if let Some(n) = v.as_integer() {
        Some(Value::I64(n))
    } else if let Some(b) = v.as_bool() {
        Some(Value::Bool(b))
    } else {
        v.as_str().map(|s| Value::Str(s.to_string()))
    }
}

fn value_of(v: &toml_edit::Value) -> Option<Value> {
    scalar(&Item::Value(v.clone()))
}

/// Rounds to 12 significant digits, so `0.1 + 2 × 0.1` is written `0.3`.
fn tidy(x: f64) -> f64 {
    format!("{x:.11e}").parse().unwrap_or(x)
}

/// The values of one `[vary]` entry: a list, or `{ from, to, step }` /
/// `{ from, to, count }` (inclusive of `to`).
fn vary_values(key: &str, item: &Item) -> Result<Vec<Value>, String> {
    if let Some(arr) = item.as_array() {
        let values: Option<Vec<Value>> = arr.iter().map(value_of).collect();
        let values = values.ok_or_else(|| format!("`{key}`: list entries must be numbers, booleans or strings"))?;
        if values.is_empty() {
            return Err(format!("`{key}`: the list of values is empty"));
        }
        column_kind(&values)?;
        return Ok(values);
    }
    let t: &dyn TableLike = item
        .as_table_like()
        .ok_or_else(|| format!("`{key}` must be a list of values or a range {{ from = .., to = .., step = .. }}"))?;
    for (k, _) in t.iter() {
        if !["from", "to", "step", "count"].contains(&k) {
            return Err(format!(
                "`{key}`: unknown range key `{k}` (a range has from, to, and step or count)"
            ));
        }
    }
    let get = |k: &str| t.get(k).and_then(scalar);
    let (Some(from), Some(to)) = (get("from"), get("to")) else {
        return Err(format!("`{key}`: a range needs numbers `from` and `to`"));
    };
    match (get("step"), get("count")) {
        (Some(_), Some(_)) | (None, None) => Err(format!(
            "`{key}`: give a range either `step` or `count`, not both or neither"
        )),
        (Some(step), None) => {
            if let (Value::I64(a), Value::I64(b), Value::I64(s)) = (&from, &to, &step) {
                if *s <= 0 || b < a {
                    return Err(format!("`{key}`: need step > 0 and to >= from"));
                }
                let n = (b - a) / s + 1;
                if n as u64 > MAX_RUNS {
                    return Err(format!("`{key}`: {n} values is too many"));
                }
                return Ok((0..n).map(|i| Value::I64(a + i * s)).collect());
            }
            let (Some(a), Some(b), Some(s)) = (from.as_f64(), to.as_f64(), step.as_f64()) else {
                return Err(format!("`{key}`: from, to and step must be numbers"));
            };
            if !(s > 0.0 && s.is_finite() && b >= a && a.is_finite() && b.is_finite()) {
                return Err(format!("`{key}`: need finite numbers with step > 0 and to >= from"));
            }
            let n = ((b - a) / s + 1e-9).floor() + 1.0;
            if n > MAX_RUNS as f64 {
                return Err(format!("`{key}`: {n} values is too many (check the step)"));
            }
            Ok((0..n as u64).map(|i| Value::F64(tidy(a + i as f64 * s))).collect())
        }
        (None, Some(count)) => {
            let (Some(a), Some(b)) = (from.as_f64(), to.as_f64()) else {
                return Err(format!("`{key}`: from and to must be numbers"));
            };
            let n = match count {
                Value::I64(n) if (1..=MAX_RUNS as i64).contains(&n) => n as u64,
                _ => return Err(format!("`{key}`: count must be a whole number from 1 to {MAX_RUNS}")),
            };
            if n == 1 {
                return Ok(vec![Value::F64(a)]);
            }
            Ok((0..n)
                .map(|i| Value::F64(tidy(a + (b - a) * i as f64 / (n - 1) as f64)))
                .collect())
        }
    }
}

/// The column type of a list of values: integers and floats mixed make floats.
fn column_kind(values: &[Value]) -> Result<Kind, String> {
    let kinds: Vec<Kind> = values.iter().filter_map(Value::kind).collect();
    let first = kinds.first().copied().unwrap_or(Kind::F64);
    if kinds.iter().all(|k| *k == first) {
        Ok(first)
    } else if kinds.iter().all(|k| matches!(k, Kind::F64 | Kind::I64)) {
        Ok(Kind::F64)
    } else {
        Err("values of one parameter must all be of one type (numbers, booleans or strings)".into())
    }
}

fn parse_sample(item: &Item, text: &str, origin: &str) -> Result<Sample, ScenarioError> {
    let at = |i: &Item, m: String| err_at(text, origin, i.span(), m);
    let t = item
        .as_table_like()
        .ok_or_else(|| at(item, "[sample] must be a table with method, size and ranges".into()))?;
    for (k, v) in t.iter() {
        if !["method", "size", "ranges"].contains(&k) {
            return Err(at(
                v,
                format!("unknown key `{k}` in [sample]; it has method, size, ranges"),
            ));
        }
    }
    let method = match t.get("method") {
        Some(m) => match m.as_str() {
            Some("lhs") | Some("latin-hypercube") => Method::Lhs,
            Some("sobol") => Method::Sobol,
            _ => return Err(at(m, "method must be \"lhs\" (Latin hypercube) or \"sobol\"".into())),
        },
        None => return Err(at(item, "[sample] needs method = \"lhs\" or \"sobol\"".into())),
    };
    let size_item = t
        .get("size")
        .ok_or_else(|| at(item, "[sample] needs size = number of points".into()))?;
    let max = if method == Method::Sobol {
        1 << 16
    } else {
        MAX_RUNS as i64
    };
    let size = size_item
        .as_integer()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| at(size_item, format!("size must be a whole number from 1 to {max}")))? as u32;
    let ranges_item = t.get("ranges").ok_or_else(|| {
        at(
            item,
            "[sample] needs ranges = { param = { min = .., max = .. }, ... }".into(),
        )
    })?;
    let rt = ranges_item
        .as_table_like()
        .ok_or_else(|| at(ranges_item, "ranges must be a table of param = { min, max }".into()))?;
    let mut ranges = Vec::new();
    for (key, r) in rt.iter() {
        let bad = || at(r, format!("`{key}` must be {{ min = .., max = .. }} with min <= max"));
        let rr = r.as_table_like().ok_or_else(bad)?;
        let (Some(lo), Some(hi)) = (rr.get("min").and_then(scalar), rr.get("max").and_then(scalar)) else {
            return Err(bad());
        };
        let (lo, hi) = match (lo, hi) {
            (Value::I64(a), Value::I64(b)) if a <= b => (Value::I64(a), Value::I64(b)),
            (a, b) => match (a.as_f64(), b.as_f64()) {
                (Some(x), Some(y)) if x <= y && x.is_finite() && y.is_finite() && !matches!(a, Value::Bool(_)) => {
                    (Value::F64(x), Value::F64(y))
                }
                _ => return Err(bad()),
            },
        };
        ranges.push((key.to_string(), lo, hi));
    }
    if ranges.is_empty() {
        return Err(at(ranges_item, "ranges is empty".into()));
    }
    if method == Method::Sobol && ranges.len() > sobol_burley::NUM_DIMENSIONS as usize {
        return Err(at(
            ranges_item,
            format!("a Sobol design has at most {} dimensions", sobol_burley::NUM_DIMENSIONS),
        ));
    }
    Ok(Sample { method, size, ranges })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Replays `fuzz/regressions/sweep_spec/` as the fuzz target feeds it:
    /// every input is refused with a located error, none panics.
    #[test]
    fn fuzz_regressions_are_refused_with_a_located_error() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions/sweep_spec");
        let mut names: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).collect();
        names.sort();
        assert!(names.len() >= 4, "{}", dir.display());
        for path in names {
            let bytes = std::fs::read(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let text = unrest_scenario::text_of(bytes, "spec.toml", "sweep spec").unwrap();
            let e = match SweepSpec::parse(&text, "spec.toml") {
                Ok(spec) => spec.plan().err().unwrap_or_else(|| panic!("{name} is refused")),
                Err(e) => e,
            }
            .to_string();
            assert!(e.starts_with("spec.toml:"), "{name}: {e}");
            if name == "dotted-key-100-deep.toml" {
                // The parser's "recursion limit" has no position of its own.
                assert!(e.starts_with("spec.toml:4:1: recursion limit"), "{e}");
            }
        }
    }

    const SPEC: &str = r#"
scenario = "epstein-run2"
seed = 7
replicates = 2
[set]
steps = 20
[vary]
legitimacy = [0.7, 0.8]
cop_density = { from = 0.02, to = 0.06, step = 0.02 }
"#;

    #[test]
    fn grid_is_row_major_with_tidy_range_values() {
        let plan = SweepSpec::parse(SPEC, "s.toml").unwrap().plan().unwrap();
        assert_eq!(plan.params, ["legitimacy", "cop_density"]);
        assert_eq!(plan.total_runs(), 12);
        assert_eq!(plan.points[1], vec![Value::F64(0.7), Value::F64(0.04)]);
        assert_eq!(plan.points[5], vec![Value::F64(0.8), Value::F64(0.06)]);
        let r = plan.run_id(5);
        assert_eq!((r.point, r.replicate), (2, 1));
        assert_eq!(r.seed, unrest_core::seeds::derive(7, 5));
        assert_eq!(
            plan.overrides(2),
            vec![
                ("steps".to_string(), "20".to_string()),
                ("legitimacy".to_string(), "0.7".to_string()),
                ("cop_density".to_string(), "0.06".to_string())
            ]
        );
    }

    #[test]
    fn common_seeds_give_every_point_the_same_seeds_and_another_hash() {
        let text = SPEC.replace("replicates = 2", "replicates = 2\ncommon_seeds = true");
        let plan = SweepSpec::parse(&text, "s.toml").unwrap().plan().unwrap();
        assert_eq!(plan.run_id(5).seed, unrest_core::seeds::derive(7, 1));
        assert_eq!(plan.run_id(4).seed, plan.run_id(0).seed);
        assert_ne!(plan.run_id(1).seed, plan.run_id(0).seed);
        let plain = SweepSpec::parse(SPEC, "s.toml").unwrap().plan().unwrap();
        assert_ne!(plan.hash, plain.hash);
        assert_eq!(plain.run_id(4).seed, unrest_core::seeds::derive(7, 4));
        let e = SweepSpec::parse(&SPEC.replace("replicates = 2", "common_seeds = 1"), "s.toml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("s.toml:4:16: common_seeds must be true or false"), "{e}");
    }

    #[test]
    fn hash_ignores_comments_but_not_values() {
        let a = SweepSpec::parse(SPEC, "s").unwrap().plan().unwrap().hash;
        let b = SweepSpec::parse(&format!("# note\n{SPEC}"), "s")
            .unwrap()
            .plan()
            .unwrap()
            .hash;
        let c = SweepSpec::parse(&SPEC.replace("0.8]", "0.85]"), "s")
            .unwrap()
            .plan()
            .unwrap()
            .hash;
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn errors_name_line_and_column() {
        let bad = SPEC.replace("step = 0.02", "step = -1.0");
        let e = SweepSpec::parse(&bad, "s.toml").unwrap_err().to_string();
        assert!(e.starts_with("s.toml:9:15: `cop_density`: need finite numbers"), "{e}");
        let e = SweepSpec::parse("scenario = \"x\"\nreplicate = 3\n", "s.toml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("s.toml:2:1: unknown key `replicate`"), "{e}");
        let e = SweepSpec::parse(&format!("{SPEC}seed = 3\n"), "s.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("s.toml:"), "{e}");
        let twice = format!(
            "{SPEC}[sample]\nmethod = \"lhs\"\nsize = 4\nranges = {{ legitimacy = {{ min = 0.5, max = 0.9 }} }}\n"
        );
        let e = SweepSpec::parse(&twice, "s.toml").unwrap_err().to_string();
        assert!(e.contains("`legitimacy` is given twice"), "{e}");
        let e = SweepSpec::parse("scenario = \"x\"\n[vary]\nseed = [1, 2]\n", "s.toml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("s.toml:3:8: `seed` cannot be varied"), "{e}");
    }

    #[test]
    fn sample_points_follow_every_grid_point() {
        let text = "scenario = \"x\"\n[vary]\nmovement = [true, false]\n[sample]\nmethod = \"sobol\"\nsize = 8\nranges = { legitimacy = { min = 0.5, max = 0.9 }, max_jail_term = { min = 1, max = 30 } }\n";
        let plan = SweepSpec::parse(text, "s").unwrap().plan().unwrap();
        assert_eq!(plan.params, ["movement", "legitimacy", "max_jail_term"]);
        assert_eq!(plan.kinds, [Kind::Bool, Kind::F64, Kind::I64]);
        assert_eq!(plan.points.len(), 16);
        assert_eq!(plan.points[0][1..], plan.points[8][1..]);
        for p in &plan.points {
            let l = p[1].as_f64().unwrap();
            assert!((0.5..0.9).contains(&l));
            assert!(matches!(p[2], Value::I64(n) if (1..=30).contains(&n)));
        }
    }
}

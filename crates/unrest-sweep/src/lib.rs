//! # unrest-sweep
//!
//! Many runs of one scenario, for the questions a single run cannot answer
//! ("for which legitimacy and police density does the regime survive?").
//!
//! * [`spec`]: the sweep spec file (TOML): a base scenario, parameters to vary
//!   (lists, ranges, Latin hypercube or Sobol samples), replicates, metrics.
//!   It expands into a [`Plan`]: a numbered list of runs. Run `i` is point
//!   `i / replicates`, replicate `i % replicates`, seed
//!   `unrest_core::seeds::derive(sweep_seed, i)` — so any subset of runs (a
//!   shard, the rest of an interrupted sweep) gives exactly the rows an
//!   uninterrupted sweep gives.
//! * [`exec`]: runs a plan on a rayon pool, journalling finished runs as small
//!   Parquet part files (written to a temporary name, then renamed), and at the
//!   end compacts them into `runs.parquet` (and `series.parquet`). A sweep
//!   killed at any moment resumes where it stopped.
//! * [`table`]: the Parquet and CSV files: one row per run; read back by
//!   `merge`, `sweep-plot` and any Arrow reader (pandas, polars, R, DuckDB).
//! * [`merge`]: joins the per-shard files of a Slurm array; [`slurm`] writes the
//!   sbatch script.
//! * [`heatmap`]: a metric's mean (or a share of an outcome) over two parameters.
//! * [`abc`]: approximate Bayesian computation (rejection) over chosen parameters.
//! * [`sensitivity`]: Sobol' first-order and total indices (Saltelli's design,
//!   Jansen's total estimator, bootstrap intervals) over chosen parameters,
//!   its design run as a plan with common seeds.
//!
//! The model is not known here: a [`Runner`] (implemented by the CLI for each
//! kind of scenario) turns a base scenario, overrides and a seed into metrics.

#[cfg(feature = "run")]
pub mod abc;
#[cfg(feature = "run")]
pub mod exec;
#[cfg(feature = "run")]
pub mod heatmap;
#[cfg(feature = "run")]
pub mod merge;
pub mod sample;
pub mod sensitivity;
#[cfg(feature = "run")]
pub mod slurm;
#[cfg(feature = "run")]
pub mod smc;
pub mod spec;
#[cfg(feature = "run")]
pub mod table;

#[cfg(feature = "run")]
pub use exec::{run_sweep, Shard, SweepOptions, SweepReport};
pub use spec::{Plan, RunId, SweepSpec};

use std::fmt;

/// A typed value: a varied parameter's value or a metric's. Metrics are an
/// open set (name → value) so each kind of scenario reports its own columns;
/// the type fixes the Parquet column type.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    F64(f64),
    I64(i64),
    Bool(bool),
    Str(String),
    /// No value for this run (e.g. no date of collapse when the regime survived).
    Null,
}

/// Metric values are [`Value`]s.
pub type MetricValue = Value;

/// The column type of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    F64,
    I64,
    Bool,
    Str,
}

impl Value {
    /// The value's column type (`None` for [`Value::Null`], which fits any).
    pub fn kind(&self) -> Option<Kind> {
        match self {
            Value::F64(_) => Some(Kind::F64),
            Value::I64(_) => Some(Kind::I64),
            Value::Bool(_) => Some(Kind::Bool),
            Value::Str(_) => Some(Kind::Str),
            Value::Null => None,
        }
    }

    /// The value as a number, if it is one (for means and distances).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::F64(x) => Some(*x),
            Value::I64(n) => Some(*n as f64),
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            _ => None,
        }
    }

    /// The value as a `--set` override: TOML text that parses back to the
    /// same value (floats keep a decimal point, strings are quoted so that
    /// `"inf"` stays a string).
    pub fn to_override(&self) -> String {
        match self {
            Value::F64(x) => format!("{x:?}"),
            Value::I64(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Str(s) => toml::Value::String(s.clone()).to_string(),
            Value::Null => "\"\"".to_string(),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Value::F64(x) => write!(f, "{x}"),
            Value::I64(n) => write!(f, "{n}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Str(s) => write!(f, "{s}"),
            Value::Null => Ok(()),
        }
    }
}

/// A metric a runner reports: its column name and type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricDef {
    pub name: String,
    pub kind: Kind,
    /// One line for `--help`-style listings and error messages.
    pub about: String,
}

impl MetricDef {
    pub fn new(name: &str, kind: Kind, about: &str) -> Self {
        MetricDef {
            name: name.to_string(),
            kind,
            about: about.to_string(),
        }
    }
}

/// One column of a run's time series (one entry per recorded step).
#[derive(Debug, Clone, PartialEq)]
pub enum SeriesColumn {
    I64(Vec<i64>),
    F64(Vec<f64>),
}

impl SeriesColumn {
    pub fn len(&self) -> usize {
        match self {
            SeriesColumn::I64(v) => v.len(),
            SeriesColumn::F64(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A run's full time series: named columns of equal length (the first is
/// usually `step`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    pub columns: Vec<(String, SeriesColumn)>,
}

/// What one run reports.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunOutput {
    /// Metric name → value; names and types as in [`Runner::metrics`].
    pub metrics: Vec<(String, MetricValue)>,
    /// The time series, when asked for.
    pub series: Option<Series>,
}

/// Runs one kind of scenario. The sweep machinery knows nothing of the model:
/// it hands a runner a base scenario (built-in name or file path), the
/// parameter overrides of one run (`key`, TOML value text) and that run's seed.
/// Implementations must be deterministic: same inputs, same output.
pub trait Runner: Sync {
    /// The metrics reported for runs of `base`, in column order.
    fn metrics(&self, base: &str) -> Result<Vec<MetricDef>, String>;

    /// Checks, without running, that `base` with `overrides` is a valid model,
    /// so a bad point fails the sweep before any run starts.
    fn check(&self, base: &str, overrides: &[(String, String)]) -> Result<(), String>;

    /// Runs `base` with `overrides` and `seed`.
    fn run(
        &self,
        base: &str,
        overrides: &[(String, String)],
        seed: u64,
        keep_series: bool,
    ) -> Result<RunOutput, String>;
}

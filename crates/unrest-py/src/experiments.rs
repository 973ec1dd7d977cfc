//! `unrest.validate`, `unrest.sweep`, `unrest.compare`, `unrest.calibrate`:
//! the CLI's experiments, through the same library calls, returning tables
//! (Arrow IPC) and JSON instead of printing. Each runs with the GIL released
//! and stops on Ctrl-C (`KeyboardInterrupt`) within a run or a country step
//! (`interrupt::interruptible`); an interrupted sweep resumes from its
//! journal, and so does an interrupted `calibrate_plan`.

use crate::interrupt::interruptible;
use crate::source::{load_country, Source};
use crate::tables::{ipc, Col, Table};
use crate::{runtime_error, scenario_error};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use std::path::{Path, PathBuf};
use unrest_cli::posterior::Posterior;
use unrest_cli::runner::CliRunner;
use unrest_country::compare::{Estimate, VariantResult};
use unrest_sweep::abc::{abc_rejection, draws_batch, AbcOptions, Prior, Target};
use unrest_sweep::{run_sweep, table, SweepOptions, SweepSpec};

type Sets = Vec<(String, String)>;

/// A posterior table (posterior.csv of a plan's calibration) to draw each
/// run's fitted values from, as `--posterior` reads it.
fn posterior(path: Option<PathBuf>) -> PyResult<Option<Posterior>> {
    path.map(|p| Posterior::read(&p)).transpose().map_err(scenario_error)
}

/// `unrest validate --json [--posterior P]`: the JSON object the CLI prints.
#[pyfunction]
#[pyo3(signature = (scenario, is_text, origin, sets, seeds, seed, posterior_csv))]
#[allow(clippy::too_many_arguments)]
pub fn validate(
    py: Python<'_>,
    scenario: &str,
    is_text: bool,
    origin: Option<&str>,
    sets: Sets,
    seeds: u64,
    seed: Option<u64>,
    posterior_csv: Option<PathBuf>,
) -> PyResult<String> {
    if seeds == 0 {
        return Err(scenario_error("seeds must be at least 1"));
    }
    let src = Source::new(scenario, is_text, origin);
    let post = posterior(posterior_csv)?;
    let load = |s: &[(String, String)], seed: Option<u64>| load_country(&src, s, seed);
    let v = interruptible(py, |cancel| {
        unrest_cli::validate::run_validation(&load, &sets, seed, post.as_ref(), seeds, Some(&cancel))
    })?
    .map_err(scenario_error)?;
    Ok(unrest_cli::validate::json_report(&v, seeds).to_string())
}

/// `unrest sweep SPEC --out OUT`: runs (or resumes) the sweep and returns
/// `runs` (and `series` when the spec keeps series) as Arrow IPC, with the
/// numbers of the CLI's report.
#[pyfunction]
#[pyo3(signature = (spec, is_text, origin, out, jobs, csv))]
pub fn sweep<'py>(
    py: Python<'py>,
    spec: &str,
    is_text: bool,
    origin: Option<&str>,
    out: PathBuf,
    jobs: Option<usize>,
    csv: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let spec = if is_text {
        SweepSpec::parse(spec, origin.unwrap_or("<string>"))
    } else {
        SweepSpec::load(Path::new(spec))
    }
    .map_err(|e| scenario_error(e.to_string()))?;
    let plan = spec.plan().map_err(|e| scenario_error(e.to_string()))?;
    if jobs == Some(0) {
        return Err(scenario_error("jobs must be at least 1"));
    }
    let r = interruptible(py, |cancel| {
        let opts = SweepOptions {
            out,
            jobs,
            shard: None,
            csv,
            progress: false,
            cancel: Some(cancel),
        };
        run_sweep(&plan, &CliRunner, &opts)
    })?
    .map_err(scenario_error)?;
    let d = PyDict::new(py);
    let runs = table::read_parquet(&r.runs_file).map_err(runtime_error)?;
    d.set_item("runs", PyBytes::new(py, &ipc(&runs.batch).map_err(runtime_error)?))?;
    if let Some(f) = r.series_file.as_ref().filter(|f| f.exists()) {
        let series = table::read_parquet(f).map_err(runtime_error)?;
        d.set_item("series", PyBytes::new(py, &ipc(&series.batch).map_err(runtime_error)?))?;
    }
    d.set_item("runs_file", r.runs_file.display().to_string())?;
    d.set_item("resumed", r.resumed)?;
    d.set_item("ran", r.ran)?;
    d.set_item("wall_seconds", r.wall_seconds)?;
    Ok(d)
}

/// `unrest compare`: the baseline and each variant of `plan` (label, edits)
/// over the same seeds. Returns `name`, `table` (compare.csv's rows) and
/// `runs` (runs.csv's rows) as Arrow IPC.
#[pyfunction]
#[pyo3(signature = (scenario, is_text, origin, sets, plan, seeds, seed, posterior_csv))]
#[allow(clippy::too_many_arguments)]
pub fn compare<'py>(
    py: Python<'py>,
    scenario: &str,
    is_text: bool,
    origin: Option<&str>,
    sets: Sets,
    plan: Vec<(String, Sets)>,
    seeds: u64,
    seed: Option<u64>,
    posterior_csv: Option<PathBuf>,
) -> PyResult<Bound<'py, PyDict>> {
    if seeds == 0 {
        return Err(scenario_error("seeds must be at least 1"));
    }
    let src = Source::new(scenario, is_text, origin);
    let post = posterior(posterior_csv)?;
    let mut full = vec![("as recorded".to_string(), Vec::new())];
    full.extend(plan);
    let load = |s: &[(String, String)], seed: Option<u64>| load_country(&src, s, seed);
    let (name, results) = interruptible(py, |cancel| {
        unrest_cli::compare::run_plan(&load, &sets, &full, seed, seeds, post.as_ref(), Some(&cancel))
    })?
    .map_err(scenario_error)?;
    let d = PyDict::new(py);
    d.set_item("name", name)?;
    d.set_item("table", PyBytes::new(py, &compare_table(&results)?))?;
    d.set_item("runs", PyBytes::new(py, &compare_runs(&results)?))?;
    Ok(d)
}

/// compare.csv's rows: per variant and measure the estimate, its interval,
/// and the paired difference from the baseline (null for the baseline).
fn compare_table(results: &[VariantResult]) -> PyResult<Vec<u8>> {
    let (mut variant, mut measure) = (Vec::new(), Vec::new());
    let (mut est, mut diff): (Vec<Estimate>, Vec<Option<Estimate>>) = (Vec::new(), Vec::new());
    for r in results {
        let rows = r.rows();
        for (m, e, x) in rows {
            variant.push(r.label.clone());
            measure.push(m);
            est.push(e);
            diff.push(x);
        }
    }
    let mut t = Table::default();
    t.str("variant", variant).str("measure", measure);
    t.f64("value", est.iter().map(|e| e.value))
        .f64("lo", est.iter().map(|e| e.lo))
        .f64("hi", est.iter().map(|e| e.hi));
    t.push("diff", Col::OptF64(diff.iter().map(|x| x.map(|x| x.value)).collect()))
        .push("diff_lo", Col::OptF64(diff.iter().map(|x| x.map(|x| x.lo)).collect()))
        .push("diff_hi", Col::OptF64(diff.iter().map(|x| x.map(|x| x.hi)).collect()));
    t.ipc().map_err(runtime_error)
}

/// runs.csv's rows: every run of every variant.
fn compare_runs(results: &[VariantResult]) -> PyResult<Vec<u8>> {
    let runs: Vec<(&str, &unrest_country::compare::RunMeasures)> = results
        .iter()
        .flat_map(|r| r.runs.iter().map(move |x| (r.label.as_str(), x)))
        .collect();
    let mut t = Table::default();
    t.str("variant", runs.iter().map(|r| r.0.to_string()))
        .push(
            "seed",
            Col::Str(runs.iter().map(|r| Some(r.1.seed.to_string())).collect()),
        )
        .str("outcome", runs.iter().map(|r| r.1.outcome.as_str().to_string()))
        .str("outcome_date", runs.iter().map(|r| r.1.outcome_at.clone()))
        .f64("peak_people", runs.iter().map(|r| r.1.peak_people))
        .f64("killed", runs.iter().map(|r| r.1.killed))
        .f64("detained", runs.iter().map(|r| r.1.detained));
    t.ipc().map_err(runtime_error)
}

/// `unrest calibrate` (ABC rejection): `draws` and `posterior` as Arrow IPC
/// (the CLI's draws.parquet and posterior.parquet), and `best` as JSON.
#[pyfunction]
#[pyo3(signature = (scenario, target, target_is_text, params, sets, draws, accept, replicates, seed, jobs))]
#[allow(clippy::too_many_arguments)]
pub fn calibrate<'py>(
    py: Python<'py>,
    scenario: &str,
    target: &str,
    target_is_text: bool,
    params: Vec<String>,
    sets: Sets,
    draws: u64,
    accept: f64,
    replicates: u64,
    seed: u64,
    jobs: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    let priors: Vec<Prior> = params
        .iter()
        .map(|p| Prior::parse(p))
        .collect::<Result<_, _>>()
        .map_err(scenario_error)?;
    let target = load_target(target, target_is_text)?;
    if jobs == Some(0) {
        return Err(scenario_error("jobs must be at least 1"));
    }
    let r = interruptible(py, |cancel| {
        let opts = AbcOptions {
            draws,
            accept,
            seed,
            replicates,
            jobs,
            progress: false,
            cancel: Some(cancel),
        };
        abc_rejection(&CliRunner, scenario, &sets, &priors, &target, &opts)
    })?
    .map_err(scenario_error)?;
    let best = r.best();
    let best_params: serde_json::Map<String, serde_json::Value> = priors
        .iter()
        .zip(&best.params)
        .map(|(p, v)| (p.name.clone(), serde_json::to_value(v.as_f64()).unwrap_or_default()))
        .collect();
    let d = PyDict::new(py);
    let batch = |accepted| draws_batch(&r, accepted).and_then(|b| ipc(&b)).map_err(runtime_error);
    d.set_item("draws", PyBytes::new(py, &batch(false)?))?;
    d.set_item("posterior", PyBytes::new(py, &batch(true)?))?;
    let best = serde_json::json!({
        "params": best_params,
        "distance": best.distance,
        "seed": best.seed.to_string(),
        "target": target.name,
    });
    d.set_item("best", best.to_string())?;
    Ok(d)
}

/// `unrest calibrate --plan PLAN --out OUT [--write-model M]` (ABC-SMC of the
/// shared model against many episodes): runs or resumes the plan (printing
/// the CLI's report on the process's stdout) and returns `posterior` (the
/// posterior.parquet it wrote) as Arrow IPC.
#[pyfunction]
#[pyo3(signature = (plan, out, jobs, write_model))]
pub fn calibrate_plan<'py>(
    py: Python<'py>,
    plan: PathBuf,
    out: PathBuf,
    jobs: Option<usize>,
    write_model: Option<PathBuf>,
) -> PyResult<Bound<'py, PyDict>> {
    if jobs == Some(0) {
        return Err(scenario_error("jobs must be at least 1"));
    }
    interruptible(py, |cancel| {
        unrest_cli::calibrate_model::calibrate_model(&plan, Some(&out), jobs, write_model.as_deref(), Some(&cancel))
    })?
    .map_err(scenario_error)?;
    let posterior = table::read_parquet(&out.join("posterior.parquet")).map_err(runtime_error)?;
    let d = PyDict::new(py);
    d.set_item(
        "posterior",
        PyBytes::new(py, &ipc(&posterior.batch).map_err(runtime_error)?),
    )?;
    Ok(d)
}

/// A calibration target as `unrest calibrate --target` reads it: a built-in
/// name, a TOML file, or (from Python) TOML text.
fn load_target(target: &str, is_text: bool) -> PyResult<Target> {
    if is_text {
        return Target::parse(target, "<string>").map_err(scenario_error);
    }
    match Target::builtin(target) {
        Some(t) => t.map_err(scenario_error),
        None => {
            let text =
                unrest_scenario::read_input(Path::new(target), "target").map_err(|e| scenario_error(e.to_string()))?;
            Target::parse(&text, target).map_err(scenario_error)
        }
    }
}

//! `unrest._unrest`: the native half of the Python package `unrest`
//! (`python/unrest/`). Each function here takes plain values (strings, lists
//! of `(key, value)` pairs, numbers) and returns plain values, JSON text or
//! Arrow IPC streams; the Python half turns them into tables, dicts and
//! NumPy arrays. Every run goes through the functions `unrest` (the CLI)
//! calls, so the same seed gives the same numbers from either.

mod experiments;
mod interrupt;
mod model;
mod run;
mod source;
mod tables;

use pyo3::create_exception;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

create_exception!(
    _unrest,
    ScenarioError,
    PyValueError,
    "A scenario, sweep spec, target or override that cannot be used. The message is the \
     command-line tool's: it names the file (or `<string>`, or the `set` key), line and column."
);

/// The error type of a scenario problem (bad file, bad TOML, bad `set` key or value).
pub(crate) fn scenario_error(msg: impl Into<String>) -> PyErr {
    ScenarioError::new_err(msg.into())
}

/// Any other failure (a file that cannot be written, a sweep journal that cannot be read).
pub(crate) fn runtime_error(msg: impl Into<String>) -> PyErr {
    PyRuntimeError::new_err(msg.into())
}

/// The built-in scenarios: (name, kind, one-line summary), as `unrest list` prints them.
#[pyfunction]
fn builtins() -> Vec<(String, String, String)> {
    let lattice = unrest_scenario::BUILTINS.iter().map(|b| (b, "lattice"));
    let country = unrest_scenario::COUNTRY_BUILTINS.iter().map(|b| (b, "country"));
    lattice
        .chain(country)
        .map(|((name, summary, _), kind)| (name.to_string(), kind.to_string(), summary.to_string()))
        .collect()
}

/// A JSON object (a scenario, sweep spec or target given as a dict) as TOML text.
#[pyfunction]
fn json_to_toml(json: &str) -> PyResult<String> {
    let value: toml::Value =
        serde_json::from_str(json).map_err(|e| scenario_error(format!("not a TOML table: {e}")))?;
    match value {
        toml::Value::Table(t) => toml::to_string(&t).map_err(|e| scenario_error(format!("cannot write as TOML: {e}"))),
        _ => Err(scenario_error(
            "a scenario given as a dict must be a dict (a TOML table)",
        )),
    }
}

/// A JSON value as an inline TOML value, for a `set` value given as a list or dict
/// (e.g. `events.add`).
#[pyfunction]
fn json_to_toml_value(json: &str) -> PyResult<String> {
    let value: toml::Value =
        serde_json::from_str(json).map_err(|e| scenario_error(format!("not a TOML value: {e}")))?;
    Ok(value.to_string())
}

/// The crate version (the CLI's `unrest --version`).
#[pyfunction]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[pymodule]
fn _unrest(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("ScenarioError", m.py().get_type::<ScenarioError>())?;
    m.add_function(wrap_pyfunction!(builtins, m)?)?;
    m.add_function(wrap_pyfunction!(json_to_toml, m)?)?;
    m.add_function(wrap_pyfunction!(json_to_toml_value, m)?)?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    m.add_function(wrap_pyfunction!(source::check, m)?)?;
    m.add_function(wrap_pyfunction!(run::run, m)?)?;
    m.add_function(wrap_pyfunction!(experiments::validate, m)?)?;
    m.add_function(wrap_pyfunction!(experiments::sweep, m)?)?;
    m.add_function(wrap_pyfunction!(experiments::compare, m)?)?;
    m.add_function(wrap_pyfunction!(experiments::calibrate, m)?)?;
    m.add_function(wrap_pyfunction!(experiments::calibrate_plan, m)?)?;
    m.add_class::<model::Model>()?;
    Ok(())
}

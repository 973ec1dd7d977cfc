//! `unrest.Model`: a lattice world stepped from Python, Mesa style.

use crate::run::{lattice_table, step_world};
use crate::source::{load, Loaded, Source};
use crate::{runtime_error, scenario_error};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use unrest_core::{Counts, SiteView, World};
use unrest_output::Summary;

/// Grid codes of `Model.grid` (documented in docs/python.md and the stubs).
const EMPTY: u8 = 0;
const QUIET: u8 = 1;
const ACTIVE: u8 = 2;
const JAILED: u8 = 3;
const COP: u8 = 4;

/// A lattice scenario's world, stepped on demand. The native half of
/// `unrest.Model`; the Python class wraps it.
#[pyclass(module = "unrest._unrest")]
pub struct Model {
    world: World,
    series: Vec<Counts>,
    #[pyo3(get)]
    name: String,
    #[pyo3(get)]
    hash: String,
    #[pyo3(get)]
    seed: u64,
    /// The scenario's `steps` (what `unrest run` would make).
    #[pyo3(get)]
    steps: u64,
}

#[pymethods]
impl Model {
    #[new]
    #[pyo3(signature = (scenario, is_text, origin, sets, seed))]
    fn new(
        scenario: &str,
        is_text: bool,
        origin: Option<&str>,
        sets: Vec<(String, String)>,
        seed: Option<u64>,
    ) -> PyResult<Model> {
        let src = Source::new(scenario, is_text, origin);
        let s = match load(&src, &sets, seed, None).map_err(scenario_error)? {
            Loaded::Lattice(s) => s,
            Loaded::Country(c) => {
                return Err(scenario_error(format!(
                    "{} is a country scenario: Model steps one lattice; use unrest.run for a country",
                    c.spec.name
                )))
            }
        };
        let world =
            World::new(s.params.clone(), s.schedule.clone(), s.seed).map_err(|e| scenario_error(e.to_string()))?;
        Ok(Model {
            series: vec![world.counts()],
            world,
            hash: s.hash(),
            name: s.name,
            seed: s.seed,
            steps: s.steps,
        })
    }

    /// Makes `n` steps with the GIL released, checking for Ctrl-C between
    /// chunks of about 50 ms (`KeyboardInterrupt`; the steps made stay made).
    fn step(&mut self, py: Python<'_>, n: u64) -> PyResult<()> {
        step_world(py, &mut self.world, &mut self.series, n)
    }

    /// The counts after the last step (step 0: the initial state).
    fn counts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let c = self.world.counts();
        let d = PyDict::new(py);
        d.set_item("step", c.step)?;
        d.set_item("quiet", c.quiet)?;
        d.set_item("active", c.active)?;
        d.set_item("jailed", c.jailed)?;
        d.set_item("dead", c.dead)?;
        d.set_item("cops", c.cops)?;
        d.set_item("arrests", c.arrests)?;
        d.set_item("kills", c.kills)?;
        d.set_item("alive_b", c.alive_b)?;
        Ok(d)
    }

    #[getter]
    fn step_index(&self) -> u64 {
        self.world.step_index()
    }

    #[getter]
    fn width(&self) -> u32 {
        self.world.params().width
    }

    #[getter]
    fn height(&self) -> u32 {
        self.world.params().height
    }

    /// The lattice as `height * width` bytes in row order (site = y * width + x):
    /// 0 empty, 1 quiet, 2 active, 3 jailed (held on its site), 4 cop.
    fn grid<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let sites = self.world.params().sites();
        let codes: Vec<u8> = (0..sites as u32)
            .map(|s| match self.world.site_view(s) {
                SiteView::Empty => EMPTY,
                SiteView::Quiet => QUIET,
                SiteView::Active => ACTIVE,
                SiteView::Jailed => JAILED,
                SiteView::Cop => COP,
            })
            .collect();
        PyBytes::new(py, &codes)
    }

    /// One per-agent column as raw little-endian bytes and its NumPy dtype:
    /// state (u1: 0 quiet, 1 active, 2 jailed, 3 dead, 4 cop, 5 cop off the
    /// lattice), site (u4), hardship (f4), risk_aversion (f4), jail_term
    /// (u4), group (u1).
    fn agent_column<'py>(&self, py: Python<'py>, name: &str) -> PyResult<(Bound<'py, PyBytes>, &'static str)> {
        let a = self.world.agent_columns();
        let bytes = |v: Vec<u8>| PyBytes::new(py, &v);
        Ok(match name {
            "state" => (bytes(a.state.iter().map(|s| *s as u8).collect()), "u1"),
            "site" => (bytes(a.site.iter().flat_map(|x| x.to_le_bytes()).collect()), "<u4"),
            "hardship" => (bytes(a.hardship.iter().flat_map(|x| x.to_le_bytes()).collect()), "<f4"),
            "risk_aversion" => (
                bytes(a.risk_aversion.iter().flat_map(|x| x.to_le_bytes()).collect()),
                "<f4",
            ),
            "jail_term" => (bytes(a.jail_term.iter().flat_map(|x| x.to_le_bytes()).collect()), "<u4"),
            "group" => (bytes(a.group.to_vec()), "u1"),
            other => {
                return Err(pyo3::exceptions::PyAttributeError::new_err(format!(
                    "no agent column {other:?}; columns: state, site, hardship, risk_aversion, jail_term, group"
                )))
            }
        })
    }

    /// The counts of every step made so far, step 0 first (Arrow IPC).
    fn timeseries<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, &lattice_table(&self.series)?))
    }

    /// `summary.json` of the steps made so far (wall time 0), as JSON text.
    fn summary(&self, outburst_threshold: u32) -> PyResult<String> {
        let mut s = Summary::from_series(&self.series, outburst_threshold);
        s.scenario = self.name.clone();
        s.scenario_hash = self.hash.clone();
        s.seed = self.seed;
        serde_json::to_string(&s).map_err(|e| runtime_error(e.to_string()))
    }
}

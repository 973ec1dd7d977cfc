//! `unrest.run`: one run of a lattice or country scenario, as `unrest run`
//! makes it, with its tables as Arrow IPC streams and its summary as the
//! JSON of `summary.json`.

use crate::source::{load, Loaded, Source};
use crate::tables::Table;
use crate::{runtime_error, scenario_error};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use std::time::{Duration, Instant};
use unrest_core::{Counts, World};
use unrest_country::Country;
use unrest_output::Summary;
use unrest_scenario::{CountryScenario, Scenario};

/// How long the model steps with the GIL released before Python gets it back
/// to check for Ctrl-C (and to run its other threads' pending work).
const CHUNK: Duration = Duration::from_millis(50);

/// Makes up to `n` steps of `world`, pushing each step's counts, for at most
/// about [`CHUNK`] of wall time (at least one step). Returns the steps made.
fn step_chunk(world: &mut World, series: &mut Vec<Counts>, n: u64) -> u64 {
    let started = Instant::now();
    let mut done = 0;
    while done < n {
        series.push(world.step());
        done += 1;
        if started.elapsed() >= CHUNK {
            break;
        }
    }
    done
}

/// Makes `n` steps of `world` in chunks with the GIL released, checking for
/// Ctrl-C (`KeyboardInterrupt`) between chunks; the steps made stay made.
pub fn step_world(py: Python<'_>, world: &mut World, series: &mut Vec<Counts>, n: u64) -> PyResult<()> {
    let mut done = 0;
    while done < n {
        done += py.detach(|| step_chunk(world, series, n - done));
        py.check_signals()?;
    }
    Ok(())
}

/// Runs a scenario. Returns a dict: `kind` ("lattice" or "country"),
/// `summary` (JSON text), `timeseries`, and for a country `regions` and
/// `events` (Arrow IPC streams).
#[pyfunction]
#[pyo3(signature = (scenario, is_text, origin, sets, seed, steps, outburst_threshold))]
pub fn run<'py>(
    py: Python<'py>,
    scenario: &str,
    is_text: bool,
    origin: Option<&str>,
    sets: Vec<(String, String)>,
    seed: Option<u64>,
    steps: Option<u64>,
    outburst_threshold: u32,
) -> PyResult<Bound<'py, PyDict>> {
    let src = Source::new(scenario, is_text, origin);
    let out = PyDict::new(py);
    match load(&src, &sets, seed, steps).map_err(scenario_error)? {
        Loaded::Lattice(s) => {
            let (summary, series) = run_lattice(py, &s, outburst_threshold)?;
            out.set_item("kind", "lattice")?;
            out.set_item("summary", summary)?;
            out.set_item("timeseries", PyBytes::new(py, &lattice_table(&series)?))?;
        }
        Loaded::Country(sc) => {
            let started = Instant::now();
            let c = run_country(py, &sc)?;
            let wall = started.elapsed().as_secs_f64();
            out.set_item("kind", "country")?;
            out.set_item("summary", unrest_cli::country::summary_json(&c, &sc, wall).to_string())?;
            let (ts, regions, events) = country_tables(&c)?;
            out.set_item("timeseries", PyBytes::new(py, &ts))?;
            out.set_item("regions", PyBytes::new(py, &regions))?;
            out.set_item("events", PyBytes::new(py, &events))?;
        }
    }
    Ok(out)
}

/// A lattice run as `unrest run` makes it: the counts of step 0 and of every
/// step after, and the summary (`summary.json`'s JSON). The GIL is released
/// while stepping, and Ctrl-C is checked between chunks of steps.
fn run_lattice(py: Python<'_>, s: &Scenario, threshold: u32) -> PyResult<(String, Vec<Counts>)> {
    let started = Instant::now();
    let mut world =
        World::new(s.params.clone(), s.schedule.clone(), s.seed).map_err(|e| scenario_error(e.to_string()))?;
    let mut series: Vec<Counts> = vec![world.counts()];
    step_world(py, &mut world, &mut series, s.steps)?;
    let mut summary = Summary::from_series(&series, threshold);
    summary.wall_seconds = started.elapsed().as_secs_f64();
    summary.scenario = s.name.clone();
    summary.scenario_hash = s.hash();
    summary.seed = s.seed;
    let json = serde_json::to_string(&summary).map_err(|e| runtime_error(e.to_string()))?;
    Ok((json, series))
}

/// The columns of `timeseries.csv` of a lattice run.
pub fn lattice_table(series: &[Counts]) -> PyResult<Vec<u8>> {
    let mut t = Table::default();
    let col = |f: fn(&Counts) -> u32| series.iter().map(move |c| i64::from(f(c)));
    t.u64("step", series.iter().map(|c| c.step))
        .i64("quiet", col(|c| c.quiet))
        .i64("active", col(|c| c.active))
        .i64("jailed", col(|c| c.jailed))
        .i64("dead", col(|c| c.dead))
        .i64("cops", col(|c| c.cops))
        .i64("arrests", col(|c| c.arrests))
        .i64("kills", col(|c| c.kills))
        .i64("alive_b", col(|c| c.alive_b));
    t.ipc().map_err(runtime_error)
}

/// A country run to the end of its calendar, one step at a time with the GIL
/// released (the regions step in parallel) and Ctrl-C checked between steps.
fn run_country(py: Python<'_>, sc: &CountryScenario) -> PyResult<Country> {
    let mut c =
        Country::new(sc.spec.clone(), sc.lattice.clone(), sc.seed).map_err(|e| scenario_error(e.to_string()))?;
    while c.step_index() < c.last_step() {
        py.detach(|| c.step());
        py.check_signals()?;
    }
    Ok(c)
}

/// Seconds since 1970 of a step's date on the scenario's calendar.
fn epoch(c: &Country, step: u64) -> i64 {
    c.calendar().date_of(step).and_utc().timestamp()
}

/// `timeseries.csv`, `regions.csv` and `events.csv` of a country run, as Arrow.
fn country_tables(c: &Country) -> PyResult<(Vec<u8>, Vec<u8>, Vec<u8>)> {
    type N = unrest_country::NationalRow;
    let nat = c.national();
    let mut t = Table::default();
    let u = |f: fn(&N) -> u64| nat.iter().map(f);
    let x = |f: fn(&N) -> f64| nat.iter().map(f);
    t.u64("step", u(|n| n.step))
        .time("date", nat.iter().map(|n| epoch(c, n.step)))
        .u64("quiet", u(|n| n.quiet))
        .u64("active", u(|n| n.active))
        .u64("jailed", u(|n| n.jailed))
        .u64("killed", u(|n| n.killed))
        .u64("detained", u(|n| n.detained))
        .u64("convicted", u(|n| n.convicted))
        .u64("police", u(|n| n.police))
        .u64("foreign", u(|n| n.foreign))
        .u64("defected", u(|n| n.defected))
        .f64("willingness", x(|n| n.willingness))
        .f64("legitimacy", x(|n| n.mean_legitimacy))
        .u64("capital_active", u(|n| n.capital.active))
        .u64("capital_jailed", u(|n| n.capital.jailed))
        .u64("capital_killed", u(|n| n.capital.killed))
        .u64("capital_detained", u(|n| n.capital.detained))
        .u64("capital_police", u(|n| n.capital.police))
        .u64("capital_foreign", u(|n| n.capital.foreign))
        .u64("capital_defected", u(|n| n.capital.defected))
        .f64("capital_willingness", x(|n| n.capital.willingness))
        .f64("capital_legitimacy", x(|n| n.capital.legitimacy));
    let ts = t.ipc().map_err(runtime_error)?;
    Ok((ts, regions_table(c)?, events_table(c)?))
}

fn regions_table(c: &Country) -> PyResult<Vec<u8>> {
    type R = unrest_country::RegionRow;
    let rows = c.region_rows();
    let names = c.region_names();
    let mut t = Table::default();
    let u = |f: fn(&R) -> u64| rows.iter().map(f);
    t.u64("step", u(|r| r.step))
        .time("date", rows.iter().map(|r| epoch(c, r.step)))
        .str("region", rows.iter().map(|r| names[r.region].to_string()))
        .u64("quiet", u(|r| u64::from(r.quiet)))
        .u64("active", u(|r| u64::from(r.active)))
        .u64("jailed", u(|r| u64::from(r.jailed)))
        .u64("killed", u(|r| r.killed))
        .u64("detained", u(|r| r.detained))
        .u64("police", u(|r| u64::from(r.police)))
        .u64("foreign", u(|r| u64::from(r.foreign)))
        .u64("defected", u(|r| u64::from(r.defected)))
        .f64("willingness", rows.iter().map(|r| r.willingness))
        .f64("legitimacy", rows.iter().map(|r| r.legitimacy));
    t.ipc().map_err(runtime_error)
}

fn events_table(c: &Country) -> PyResult<Vec<u8>> {
    let ev = c.fired();
    let mut t = Table::default();
    t.u64("step", ev.iter().map(|e| e.step))
        .time("date", ev.iter().map(|e| epoch(c, e.step)))
        .str("kind", ev.iter().map(|e| e.kind.to_string()))
        .str("regions", ev.iter().map(|e| e.regions.clone()))
        .str("constituencies", ev.iter().map(|e| e.constituencies.clone()))
        .str("origin", ev.iter().map(|e| e.origin.clone()))
        .str("note", ev.iter().map(|e| e.note.clone()))
        .str(
            "params",
            ev.iter().map(|e| unrest_cli::country::action_params(&e.action)),
        );
    t.ipc().map_err(runtime_error)
}

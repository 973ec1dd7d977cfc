//! How `sweep` and `calibrate` run one scenario: the [`Runner`] of the CLI.
//!
//! Lattice scenarios (Epstein's Models I and II) run on `unrest_core::World`
//! and report the headline numbers of `unrest_output::Summary`. Each kind of
//! scenario reports its own metric columns (name → typed value), so another
//! kind only needs its own `metrics` and `run` arms below.

use unrest_core::{Counts, World};
use unrest_output::Summary;
use unrest_scenario::Scenario;
use unrest_sweep::{Kind, MetricDef, RunOutput, Runner, Series, SeriesColumn, Value};

/// Active count above which a step belongs to an outburst, as in `unrest run`
/// (the paper's 50 on a 40×40 lattice).
pub const OUTBURST_THRESHOLD: u32 = 50;

/// Runs any scenario `unrest run` runs.
pub struct CliRunner;

/// The metrics of a lattice run, in column order.
fn lattice_metrics() -> Vec<MetricDef> {
    use Kind::*;
    [
        ("mean_active", F64, "mean number of active citizens over steps 1..n"),
        ("peak_active", I64, "largest number of active citizens in a step"),
        ("peak_step", I64, "first step with the peak"),
        ("final_active", I64, "active citizens after the last step"),
        ("outbursts", I64, "runs of steps with more than 50 active"),
        (
            "mean_waiting_time",
            F64,
            "mean steps between outburst starts (empty if < 2 outbursts)",
        ),
        ("mean_jailed", F64, "mean number jailed over steps 1..n"),
        ("arrests", I64, "arrests over the run"),
        ("kills", I64, "killings over the run (Model II)"),
        ("final_dead", I64, "citizens dead after the last step (Model II)"),
        ("final_cops", I64, "cops on the lattice after the last step"),
        ("citizens", I64, "citizens at the start"),
    ]
    .into_iter()
    .map(|(n, k, a)| MetricDef::new(n, k, a))
    .collect()
}

fn load_lattice(base: &str, overrides: &[(String, String)]) -> Result<Scenario, String> {
    Scenario::load(base, overrides).map_err(|e| e.to_string())
}

impl Runner for CliRunner {
    fn metrics(&self, base: &str) -> Result<Vec<MetricDef>, String> {
        load_lattice(base, &[])?;
        Ok(lattice_metrics())
    }

    fn check(&self, base: &str, overrides: &[(String, String)]) -> Result<(), String> {
        let s = load_lattice(base, overrides)?;
        World::new(s.params, s.schedule, s.seed)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    fn run(
        &self,
        base: &str,
        overrides: &[(String, String)],
        seed: u64,
        keep_series: bool,
    ) -> Result<RunOutput, String> {
        let s = load_lattice(base, overrides)?;
        let mut world = World::new(s.params, s.schedule, seed).map_err(|e| e.to_string())?;
        let mut series: Vec<Counts> = Vec::with_capacity(s.steps as usize + 1);
        series.push(world.counts());
        world.run(s.steps, |c| series.push(*c));
        let sum = Summary::from_series(&series, OUTBURST_THRESHOLD);
        let last = series.last().copied().unwrap_or_default();
        let i = |n: u64| Value::I64(n as i64);
        let metrics = vec![
            ("mean_active", Value::F64(sum.mean_active)),
            ("peak_active", i(u64::from(sum.peak_active))),
            ("peak_step", i(sum.peak_step)),
            ("final_active", i(u64::from(last.active))),
            ("outbursts", i(sum.outbursts as u64)),
            (
                "mean_waiting_time",
                sum.mean_waiting_time.map_or(Value::Null, Value::F64),
            ),
            ("mean_jailed", Value::F64(sum.mean_jailed)),
            ("arrests", i(sum.total_arrests)),
            ("kills", i(sum.total_kills)),
            ("final_dead", i(u64::from(sum.dead_final))),
            ("final_cops", i(u64::from(sum.cops_final))),
            ("citizens", i(sum.citizens)),
        ];
        Ok(RunOutput {
            metrics: metrics.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            series: keep_series.then(|| lattice_series(&series)),
        })
    }
}

/// The per-step counts as series columns (as in `timeseries.csv`).
fn lattice_series(series: &[Counts]) -> Series {
    let col = |f: fn(&Counts) -> i64| SeriesColumn::I64(series.iter().map(f).collect());
    Series {
        columns: vec![
            ("step".into(), col(|c| c.step as i64)),
            ("quiet".into(), col(|c| i64::from(c.quiet))),
            ("active".into(), col(|c| i64::from(c.active))),
            ("jailed".into(), col(|c| i64::from(c.jailed))),
            ("dead".into(), col(|c| i64::from(c.dead))),
            ("cops".into(), col(|c| i64::from(c.cops))),
            ("arrests".into(), col(|c| i64::from(c.arrests))),
            ("kills".into(), col(|c| i64::from(c.kills))),
        ],
    }
}

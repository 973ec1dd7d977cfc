//! How `sweep` and `calibrate` run one scenario: the [`Runner`] of the CLI.
//!
//! Lattice scenarios (Epstein's Models I and II) run on `unrest_core::World`
//! and report the headline numbers of `unrest_output::Summary`; country
//! scenarios run on `unrest_country::Country` and report what a historical
//! episode is compared on (onset, peak, spread, duration, outcome, deaths and
//! detentions). Each kind reports its own metric columns (name → typed value).

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
        if crate::country::is_country(base) {
            crate::country::load(base, &[], None)?;
            return Ok(country_metrics());
        }
        load_lattice(base, &[])?;
        Ok(lattice_metrics())
    }

    fn check(&self, base: &str, overrides: &[(String, String)]) -> Result<(), String> {
        if crate::country::is_country(base) {
            return crate::country::load(base, overrides, None).map(|_| ());
        }
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
        if crate::country::is_country(base) {
            return run_country(base, overrides, seed, keep_series);
        }
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

/// Share of the national peak above which the protest counts as under way
/// (onset and end of the episode).
const EPISODE_SHARE: f64 = 0.1;
/// Share of a region's citizens active at once for the protest to have
/// "reached" that region.
const REACHED_SHARE: f64 = 0.01;

/// The metrics of a country run, in column order. Days count from the
/// calendar's start; agent counts are multiplied by the scenario's `scale` in
/// the `_people` columns (what historical figures are compared with).
fn country_metrics() -> Vec<MetricDef> {
    use Kind::*;
    [
        ("outcome", Str, "no_protest, suppressed, conceded, collapsed or ongoing"),
        ("outcome_day", F64, "day of the outcome"),
        ("outcome_date", Str, "date of the outcome"),
        ("collapse_day", F64, "day of collapse (empty unless collapsed)"),
        ("onset_day", F64, "first day with national active >= 10% of its peak"),
        ("onset_date", Str, "date of onset"),
        ("peak_day", F64, "day of the national peak of active citizens"),
        ("peak_date", Str, "date of the peak"),
        ("peak_active", I64, "peak active agents"),
        ("peak_active_share", F64, "peak active / citizens"),
        (
            "duration_days",
            F64,
            "onset to the last day with active >= 10% of the peak",
        ),
        (
            "regions_reached",
            I64,
            "regions where >= 1% of citizens were active at once",
        ),
        (
            "spread_days",
            F64,
            "onset to the day the last of those regions was reached",
        ),
        ("killed", I64, "people killed (at 1:1; counted within agents)"),
        ("detained", I64, "people detained (at 1:1)"),
        ("convicted", I64, "people convicted (at 1:1)"),
        ("killed_people", F64, "= killed (kept for old sweep specs)"),
        ("detained_people", F64, "= detained (kept for old sweep specs)"),
        ("defected", I64, "domestic officers who defected (agents)"),
        (
            "capital_peak_share",
            F64,
            "peak share of the capital's citizens active at once",
        ),
        (
            "outcome_navco",
            Str,
            "NAVCO 1.2 coding of the outcome: success, limited, failure, ongoing, none",
        ),
        ("final_legitimacy", F64, "mean legitimacy at the end"),
    ]
    .into_iter()
    .map(|(n, k, a)| MetricDef::new(n, k, a))
    .collect()
}

fn run_country(base: &str, overrides: &[(String, String)], seed: u64, keep_series: bool) -> Result<RunOutput, String> {
    let sc = crate::country::load(base, overrides, Some(seed))?;
    let mut c =
        unrest_country::Country::new(sc.spec.clone(), sc.lattice.clone(), sc.seed).map_err(|e| e.to_string())?;
    c.run();
    let cal = *c.calendar();
    let day = |step: u64| (cal.date_of(step) - cal.date_of(0)).num_minutes() as f64 / 1440.0;
    let nat = c.national();
    let (outcome, at) = c.outcome();
    let peak = c.national_peak();
    let last = nat.last().copied().unwrap_or_default();
    let cut = (peak.active as f64 * EPISODE_SHARE).max(1.0);
    let under_way = |n: &&unrest_country::NationalRow| peak.active > 0 && n.active as f64 >= cut;
    let onset = nat.iter().find(under_way).map(|n| n.step);
    let end = nat.iter().rev().find(under_way).map(|n| n.step);
    let mut reached: Vec<Option<u64>> = vec![None; c.region_names().len()];
    for r in c.region_rows() {
        let total = f64::from(r.quiet + r.active + r.jailed);
        if total > 0.0 && f64::from(r.active) >= REACHED_SHARE * total {
            if let Some(slot) = reached.get_mut(r.region) {
                slot.get_or_insert(r.step);
            }
        }
    }
    let last_reached = reached.iter().flatten().max().copied();
    let opt_day = |s: Option<u64>| s.map_or(Value::Null, |s| Value::F64(day(s)));
    let span = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) => Value::F64((day(b) - day(a)).max(0.0)),
        _ => Value::Null,
    };
    let i = |n: u64| Value::I64(n as i64);
    let metrics = vec![
        ("outcome", Value::Str(outcome.as_str().to_string())),
        ("outcome_day", Value::F64(day(at))),
        ("outcome_date", Value::Str(cal.label(at))),
        ("collapse_day", opt_day(c.collapsed_at())),
        ("onset_day", opt_day(onset)),
        ("onset_date", onset.map_or(Value::Null, |s| Value::Str(cal.label(s)))),
        ("peak_day", Value::F64(day(peak.step))),
        ("peak_date", Value::Str(cal.label(peak.step))),
        ("peak_active", i(peak.active)),
        (
            "peak_active_share",
            Value::F64(peak.active as f64 / last.citizens.max(1) as f64),
        ),
        ("duration_days", span(onset, end)),
        ("regions_reached", i(reached.iter().flatten().count() as u64)),
        ("spread_days", span(onset, last_reached)),
        ("killed", i(last.killed)),
        ("detained", i(last.detained)),
        ("convicted", i(last.convicted)),
        ("killed_people", Value::F64(last.killed as f64)),
        ("detained_people", Value::F64(last.detained as f64)),
        ("defected", i(last.defected)),
        (
            "capital_peak_share",
            Value::F64(
                nat.iter().map(|n| n.capital.active).max().unwrap_or(0) as f64 / last.capital.citizens.max(1) as f64,
            ),
        ),
        ("outcome_navco", Value::Str(outcome.navco().to_string())),
        ("final_legitimacy", Value::F64(last.mean_legitimacy)),
    ];
    let series = keep_series.then(|| {
        let col =
            |f: fn(&unrest_country::NationalRow) -> u64| SeriesColumn::I64(nat.iter().map(|n| f(n) as i64).collect());
        Series {
            columns: vec![
                ("step".into(), col(|n| n.step)),
                ("quiet".into(), col(|n| n.quiet)),
                ("active".into(), col(|n| n.active)),
                ("jailed".into(), col(|n| n.jailed)),
                ("killed".into(), col(|n| n.killed)),
                ("detained".into(), col(|n| n.detained)),
                ("convicted".into(), col(|n| n.convicted)),
                ("police".into(), col(|n| n.police)),
                ("foreign".into(), col(|n| n.foreign)),
                (
                    "mean_legitimacy".into(),
                    SeriesColumn::F64(nat.iter().map(|n| n.mean_legitimacy).collect()),
                ),
            ],
        }
    });
    Ok(RunOutput {
        metrics: metrics.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        series,
    })
}

//! `unrest run`.

use clap::Args;
use std::path::PathBuf;
use std::time::Instant;
use unrest_core::{Counts, World};
use unrest_output::{plot_timeseries_svg, timeseries_csv, PlotMarker, Staged, Summary};
use unrest_scenario::Scenario;

#[derive(Args)]
pub struct RunArgs {
    /// Built-in scenario name (see `unrest list`) or path to a TOML scenario file.
    pub scenario: String,
    /// Random seed (default: the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Number of steps (default: the scenario's).
    #[arg(long)]
    pub steps: Option<u64>,
    /// Override a parameter: --set key=value (repeatable), e.g. --set legitimacy=0.7.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Write timeseries.csv, summary.json and timeseries.svg into this directory.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Active count above which a step belongs to an outburst.
    #[arg(long, default_value_t = 50)]
    pub outburst_threshold: u32,
}

/// Writes the staged files into `dir` together (nothing half-written) and
/// names each one written.
pub fn write_staged(staged: Staged, dir: &std::path::Path) -> Result<Vec<std::path::PathBuf>, String> {
    let written = staged
        .commit(dir)
        .map_err(|e| format!("cannot write into {}: {e}", dir.display()))?;
    for p in &written {
        println!("wrote {}", p.display());
    }
    Ok(written)
}

/// Splits `key=value` flags, naming the malformed one.
pub fn parse_sets(raw: &[String]) -> Result<Vec<(String, String)>, String> {
    raw.iter()
        .map(|s| match s.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.trim().to_string())),
            _ => Err(format!("--set {s:?}: expected KEY=VALUE, e.g. --set legitimacy=0.7")),
        })
        .collect()
}

pub fn run(args: RunArgs) -> Result<(), String> {
    let mut sets = parse_sets(&args.set)?;
    if let Some(seed) = args.seed {
        sets.push(("seed".into(), seed.to_string()));
    }
    if let Some(steps) = args.steps {
        sets.push(("steps".into(), steps.to_string()));
    }
    let scenario = Scenario::load(&args.scenario, &sets).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let mut world =
        World::new(scenario.params.clone(), scenario.schedule.clone(), scenario.seed).map_err(|e| e.to_string())?;
    // Grown as the run goes, not reserved: a run stopped early (or one that
    // fails) never held memory for steps it did not make.
    let mut series: Vec<Counts> = Vec::new();
    series.push(world.counts());
    let bar = progress_bar(scenario.steps);
    world.run(scenario.steps, |c| {
        series.push(*c);
        bar.inc(1);
    });
    bar.finish_and_clear();
    let mut summary = Summary::from_series(&series, args.outburst_threshold);
    summary.wall_seconds = started.elapsed().as_secs_f64();
    summary.scenario = scenario.name.clone();
    summary.scenario_hash = scenario.hash();
    summary.seed = scenario.seed;
    match &args.out {
        Some(dir) => {
            let markers: Vec<PlotMarker> = scenario
                .schedule
                .iter()
                .map(|c| PlotMarker {
                    step: c.step,
                    label: format!("{:?} → {}", c.param, c.value).to_lowercase(),
                })
                .collect();
            let title = format!("{} (seed {})", scenario.name, scenario.seed);
            let svg = plot_timeseries_svg(&title, &series, &markers)?;
            let mut staged = Staged::default();
            staged.add("timeseries.csv", timeseries_csv(&series));
            staged.add("summary.json", summary.to_json());
            staged.add("timeseries.svg", svg.into_bytes());
            let written = write_staged(staged, dir)?;
            let stale = unrest_output::outputs_not_written(dir, &written);
            if !stale.is_empty() {
                let names: Vec<String> = stale.iter().map(|p| p.display().to_string()).collect();
                eprintln!(
                    "note: {} {} from an earlier run, not this one",
                    names.join(", "),
                    if names.len() == 1 { "is" } else { "are" }
                );
            }
        }
        None => print_summary(&summary),
    }
    Ok(())
}

/// A progress bar on stderr for runs long enough to wait for; hidden when
/// stderr is not a terminal (pipes, CI, tests), so output bytes never change.
pub fn progress_bar(steps: u64) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(steps);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} steps, {per_sec}, eta {eta}") {
        bar.set_style(style);
    }
    bar
}

fn print_summary(s: &Summary) {
    println!("scenario   {} (hash {}), seed {}", s.scenario, s.scenario_hash, s.seed);
    println!("steps      {} in {:.3} s", s.steps, s.wall_seconds);
    println!("citizens   {}, cops {}", s.citizens, s.cops_final);
    println!(
        "active     mean {:.1}, peak {} at step {}",
        s.mean_active, s.peak_active, s.peak_step
    );
    println!("jailed     mean {:.1}; arrests {}", s.mean_jailed, s.total_arrests);
    if s.total_kills > 0 || s.dead_final > 0 {
        println!("killed     {} (dead at end {})", s.total_kills, s.dead_final);
    }
    let wait = s.mean_waiting_time.map_or("-".to_string(), |w| format!("{w:.1}"));
    println!(
        "outbursts  {} (active > {}), mean waiting time {}",
        s.outbursts, s.outburst_threshold, wait
    );
}

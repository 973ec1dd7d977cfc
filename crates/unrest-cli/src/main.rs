//! `unrest`: a thin command-line layer over the unrest libraries. Each
//! subcommand parses its arguments, calls a library, and reports; no model
//! logic lives here.

use unrest_cli::{bench, calibrate, compare, country, run, sensitivity, serve, sweep, validate};

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "unrest",
    version,
    about = "Agent-based simulation of mass protest, repression and regime stability (Epstein 2002 and beyond)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario (a built-in name or a TOML file) and report or write its results.
    Run(run::RunArgs),
    /// Serve the live view in the browser (loopback only unless --bind).
    Serve(serve::ServeArgs),
    /// Run a parameter sweep (resumable; --shard for clusters, --slurm for an sbatch script).
    Sweep(sweep::SweepArgs),
    /// Join the part files of a sharded sweep into one.
    Merge(sweep::MergeArgs),
    /// Heat map of a sweep metric over two varied parameters (SVG).
    SweepPlot(sweep::SweepPlotArgs),
    /// Calibrate parameters by approximate Bayesian computation against target statistics.
    Calibrate(calibrate::CalibrateArgs),
    /// Global sensitivity: Sobol' first-order and total indices (Saltelli design, bootstrap intervals); resumable.
    Sensitivity(sensitivity::SensitivityArgs),
    /// List the built-in scenarios.
    List,
    /// Validate a scenario file without running it.
    Check {
        /// Built-in name or path to a TOML scenario.
        scenario: String,
        /// Override a parameter: --set key=value (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
    },
    /// Run a historical scenario over many seeds and check it against its criteria.
    Validate(validate::ValidateArgs),
    /// What if: a country scenario and its variants over the same seeds, with intervals.
    Compare(compare::CompareArgs),
    /// Measure speed and memory (and the ratio to Mesa when a Mesa venv is present); writes a CSV.
    Bench(bench::BenchArgs),
    /// One benchmark case in its own process (used by `bench`).
    #[command(hide = true)]
    BenchCase(bench::CaseArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) if country::is_country(&args.scenario) => country::run(args),
        Command::Run(args) => run::run(args),
        Command::Serve(args) => serve::serve(args),
        Command::Sweep(args) => sweep::sweep(args),
        Command::Merge(args) => sweep::merge(args),
        Command::SweepPlot(args) => sweep::sweep_plot(args),
        Command::Calibrate(args) => calibrate::calibrate(args),
        Command::Sensitivity(args) => sensitivity::sensitivity(args),
        Command::List => {
            for (name, summary, _) in unrest_scenario::BUILTINS
                .iter()
                .chain(unrest_scenario::COUNTRY_BUILTINS)
            {
                println!("{name:<22} {summary}");
            }
            Ok(())
        }
        Command::Check { scenario, set } => run::parse_sets(&set).and_then(|sets| {
            // A country scenario is loaded as `run` loads it (its seed is read
            // apart), so that check and run never disagree.
            if country::is_country(&scenario) {
                let c = country::load(&scenario, &sets, None)?;
                print!("{}", country::check_report(&c));
                return Ok(());
            }
            match unrest_scenario::load_any(&scenario, &sets).map_err(|e| e.to_string())? {
                unrest_scenario::AnyScenario::Lattice(s) => {
                    println!("{}: ok ({} steps, hash {})", s.name, s.steps, s.hash())
                }
                unrest_scenario::AnyScenario::Country(c) => print!("{}", country::check_report(&c)),
            }
            Ok(())
        }),
        Command::Validate(args) => validate::validate(args),
        Command::Compare(args) => compare::compare(args),
        Command::Bench(args) => bench::bench(args),
        Command::BenchCase(args) => bench::case(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}

//! `unrest`: a thin command-line layer over the unrest libraries. Each
//! subcommand parses its arguments, calls a library, and reports; no model
//! logic lives here.

mod run;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run::run(args),
        Command::List => {
            for (name, summary, _) in unrest_scenario::BUILTINS {
                println!("{name:<22} {summary}");
            }
            Ok(())
        }
        Command::Check { scenario, set } => run::parse_sets(&set).and_then(|sets| {
            let s = unrest_scenario::Scenario::load(&scenario, &sets).map_err(|e| e.to_string())?;
            println!("{}: ok ({} steps, hash {})", s.name, s.steps, s.hash());
            Ok(())
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}

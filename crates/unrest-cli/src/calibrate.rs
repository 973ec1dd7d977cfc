//! `unrest calibrate`: ABC rejection of chosen parameters against target
//! summary statistics (method in docs/experiments.md).

use crate::runner::CliRunner;
use clap::Args;
use std::path::{Path, PathBuf};
use unrest_sweep::abc::{
    abc_rejection, draws_batch, marginals_svg, scenario_with, AbcOptions, Prior, Target, BUILTIN_TARGETS,
};
use unrest_sweep::{table, Value};

#[derive(Args)]
pub struct CalibrateArgs {
    /// Base scenario: built-in name or TOML file (not with --plan).
    #[arg(required_unless_present = "plan")]
    pub scenario: Option<String>,
    /// Target statistics: a built-in historical episode (KAZ-2022), or a TOML
    /// file with a [stats] table (statistic = value, named like the sweep
    /// metrics; dates allowed) and optional [weights].
    #[arg(long, required_unless_present = "plan")]
    pub target: Option<String>,
    /// A parameter to calibrate and its uniform prior: NAME=MIN:MAX (repeatable).
    #[arg(long = "param", value_name = "NAME=MIN:MAX", required_unless_present = "plan")]
    pub params: Vec<String>,
    /// ABC-SMC of the shared model against many episodes at once: a plan
    /// file naming the episodes, the priors and the sampler's settings
    /// (docs/experiments.md; validation/model-fit/plan.toml). Resumable.
    #[arg(long, conflicts_with_all = ["scenario", "target", "params"])]
    pub plan: Option<PathBuf>,
    /// With --plan: write the posterior's point estimate into this model file.
    #[arg(long, requires = "plan")]
    pub write_model: Option<PathBuf>,
    /// Number of prior draws (one run each).
    #[arg(long, default_value_t = 1000)]
    pub draws: u64,
    /// Fraction of draws accepted (closest to the target).
    #[arg(long, default_value_t = 0.05)]
    pub accept: f64,
    /// Runs per draw, their numeric statistics averaged (for targets that
    /// are averages, e.g. of synthetic replicates; a historical episode is one run).
    #[arg(long, default_value_t = 1)]
    pub replicates: u64,
    /// Seed of the prior draws and of their runs.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Fixed override for every run: --set key=value (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Output directory (default: results/calibrate-<scenario>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// With --plan: run only shard I of N of the current generation's
    /// evaluations, into --out/journal.shard-I-of-N.csv (docs/experiments.md,
    /// "Sharded calibration"); then --merge (or the plain command) advances.
    #[arg(long, value_name = "I/N", requires = "plan", conflicts_with_all = ["merge", "slurm"])]
    pub shard: Option<String>,
    /// With --plan: merge the shard journals into journal.csv and write the
    /// posterior if the calibration is complete, else say which generation
    /// is pending. Runs no model.
    #[arg(long, requires = "plan", conflicts_with = "slurm")]
    pub merge: bool,
    /// With --plan: write sbatch scripts for a sharded calibration (an array
    /// job and a dependent merge job a generation) instead of running.
    #[arg(long, requires = "plan")]
    pub slurm: bool,
    /// Number of array tasks (shards) with --slurm.
    #[arg(long, default_value_t = 4, requires = "slurm")]
    pub tasks: u64,
    /// Threads per array task with --slurm.
    #[arg(long, default_value_t = 1, requires = "slurm")]
    pub cpus_per_task: u32,
}

pub fn calibrate(args: CalibrateArgs) -> Result<(), String> {
    if let Some(plan) = &args.plan {
        use crate::calibrate_model::PlanRun;
        if args.jobs == Some(0) {
            return Err("--jobs must be at least 1".into());
        }
        let run = match (&args.shard, args.merge, args.slurm) {
            (Some(s), _, _) => PlanRun::Shard(unrest_sweep::Shard::parse(s)?),
            (_, true, _) => PlanRun::Merge,
            (_, _, true) => PlanRun::Slurm {
                tasks: args.tasks,
                cpus_per_task: args.cpus_per_task,
            },
            _ => PlanRun::All,
        };
        return crate::calibrate_model::calibrate_model_run(
            plan,
            args.out.as_deref(),
            args.jobs,
            args.write_model.as_deref(),
            None,
            run,
        );
    }
    let scenario = args.scenario.clone().unwrap_or_default();
    let target_name = args.target.clone().unwrap_or_default();
    let fixed = crate::run::parse_sets(&args.set)?;
    let priors: Vec<Prior> = args.params.iter().map(|p| Prior::parse(p)).collect::<Result<_, _>>()?;
    let target = match Target::builtin(&target_name) {
        Some(t) => t?,
        None => {
            let text = unrest_scenario::read_input(std::path::Path::new(&target_name), "target").map_err(|e| {
                format!(
                    "{e} (built-in targets: {}; or a TOML file with a [stats] table, see docs/experiments.md)",
                    BUILTIN_TARGETS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                )
            })?;
            Target::parse(&text, &target_name)?
        }
    };
    if args.jobs == Some(0) {
        return Err("--jobs must be at least 1".into());
    }
    let opts = AbcOptions {
        draws: args.draws,
        accept: args.accept,
        seed: args.seed,
        replicates: args.replicates,
        jobs: args.jobs,
        progress: true,
        cancel: None,
    };
    let started = std::time::Instant::now();
    let r = abc_rejection(&CliRunner, &scenario, &fixed, &priors, &target, &opts)?;
    let stem = Path::new(&scenario)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("scenario")
        .to_string();
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("results").join(format!("calibrate-{stem}")));
    let meta = vec![
        ("unrest.calibrate.scenario".to_string(), scenario.clone()),
        ("unrest.calibrate.target".to_string(), target.name.clone()),
        ("unrest.calibrate.seed".to_string(), args.seed.to_string()),
        (
            "unrest.calibrate.scales".to_string(),
            target
                .stats
                .iter()
                .zip(&r.scales)
                .map(|((n, _), s)| format!("{n}={s}"))
                .collect::<Vec<_>>()
                .join(","),
        ),
        ("unrest.version".to_string(), env!("CARGO_PKG_VERSION").to_string()),
    ];
    table::write_parquet(&out.join("draws.parquet"), &draws_batch(&r, false)?, &meta)?;
    table::write_parquet(&out.join("posterior.parquet"), &draws_batch(&r, true)?, &meta)?;
    table::write_atomic(&out.join("posterior.svg"), marginals_svg(&r)?.as_bytes())?;

    // The best-fitting draw as a scenario file, checked like any other.
    let best = r.best();
    let country = crate::country::is_country(&scenario);
    let base_text = match unrest_scenario::builtin(&scenario).or(unrest_scenario::country_builtin(&scenario)) {
        Some(t) => t.to_string(),
        None => {
            unrest_scenario::read_input(std::path::Path::new(&scenario), "scenario file").map_err(|e| e.to_string())?
        }
    };
    let mut settings: Vec<(String, Value)> = fixed
        .iter()
        .filter(|(k, _)| k != "seed")
        .map(|(k, v)| (k.clone(), override_value(v)))
        .collect();
    settings.extend(priors.iter().map(|p| p.name.clone()).zip(best.params.iter().cloned()));
    let header = format!(
        "Best fit of `unrest calibrate {}` against {} (ABC rejection, {} draws, {} accepted,\n\
         prior seed {}): distance {:.4}. The seed is that draw's{}.",
        scenario,
        target.name,
        r.draws.len(),
        r.accepted.len(),
        args.seed,
        best.distance,
        if args.replicates > 1 {
            format!(" ({} runs used seeds derived from it)", args.replicates)
        } else {
            " (the run's own)".to_string()
        }
    );
    let best_text = scenario_with(&base_text, &format!("{stem}-calibrated"), best.seed, &settings, &header)?;
    let best_path = out.join("best.toml");
    let origin = best_path.display().to_string();
    let valid = if country {
        unrest_scenario::CountryScenario::parse_with(&best_text, &origin, &[]).map(|_| ())
    } else {
        unrest_scenario::Scenario::parse(&best_text, &origin).map(|_| ())
    };
    valid.map_err(|e| format!("the best-fit scenario does not validate (a bug): {e}"))?;
    table::write_atomic(&best_path, best_text.as_bytes())?;

    println!(
        "calibrate: {} draws, {} accepted (distance <= {:.4}) in {:.1} s",
        r.draws.len(),
        r.accepted.len(),
        r.draws[*r.accepted.last().unwrap_or(&0)].distance,
        started.elapsed().as_secs_f64()
    );
    for (p, prior) in priors.iter().enumerate() {
        let mut xs: Vec<f64> = r
            .accepted
            .iter()
            .filter_map(|&i| r.draws[i].params[p].as_f64())
            .collect();
        xs.sort_by(f64::total_cmp);
        let q = |f: f64| xs[((xs.len() - 1) as f64 * f).round() as usize];
        println!(
            "  {:<20} posterior mean {:.4}, 90% interval [{:.4}, {:.4}], best {} (prior {}..{})",
            prior.name,
            r.posterior_mean(p),
            q(0.05),
            q(0.95),
            best.params[p],
            prior.min,
            prior.max
        );
    }
    for f in ["draws.parquet", "posterior.parquet", "posterior.svg", "best.toml"] {
        println!("wrote {}", out.join(f).display());
    }
    Ok(())
}

/// A `--set` value as a typed value for the best-fit file.
fn override_value(raw: &str) -> Value {
    if let Ok(n) = raw.parse::<i64>() {
        Value::I64(n)
    } else if let Ok(x) = raw.parse::<f64>() {
        Value::F64(x)
    } else if let Ok(b) = raw.parse::<bool>() {
        Value::Bool(b)
    } else {
        Value::Str(raw.trim_matches('"').to_string())
    }
}

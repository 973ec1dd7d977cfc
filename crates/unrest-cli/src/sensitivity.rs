//! `unrest sensitivity`: Sobol' first-order and total indices of a
//! scenario's outputs over chosen parameters (method and estimators:
//! `unrest_sweep::sensitivity`; docs/sensitivity.md).
//!
//! The Saltelli design is run as a sweep plan (`unrest_sweep::exec`), so the
//! runs are journalled in `--out` and a killed analysis resumes where it
//! stopped; `runs.parquet` (and `runs.csv`) hold every run. The indices are recomputed from
//! it on every call and written, together, as `sensitivity.csv`,
//! `sensitivity.md` and `sensitivity.svg`.

use crate::runner::CliRunner;
use clap::Args;
use std::path::{Path, PathBuf};
use unrest_output::Staged;
use unrest_sweep::sensitivity::report::{self, Context, Output, Reduce};
use unrest_sweep::sensitivity::{factors_from_toml, indices, Bootstrap, Factor, OutputIndices, SensitivityPlan};
use unrest_sweep::{run_sweep, table, Runner, SweepOptions};

/// The result files, beside the sweep's `runs.parquet`.
pub const FILES: [&str; 3] = ["sensitivity.csv", "sensitivity.md", "sensitivity.svg"];

#[derive(Args)]
pub struct SensitivityArgs {
    /// Base scenario: built-in name or TOML file (country or lattice).
    pub scenario: String,
    /// A factor and its range, uniform: KEY=MIN:MAX; log-uniform: KEY=MIN:MAX,log (repeatable).
    #[arg(long = "param", value_name = "KEY=MIN:MAX[,log]")]
    pub params: Vec<String>,
    /// Take factors from the [[params]] tables (key, min, max, log) of this
    /// file, e.g. the calibration plan validation/model-fit/plan.toml.
    #[arg(long, value_name = "FILE")]
    pub params_from: Option<PathBuf>,
    /// Base rows N of the Saltelli design; the model runs at N·(k+2) points
    /// (a power of two suits the Sobol' sequence).
    #[arg(long, default_value_t = 64)]
    pub n: usize,
    /// Seeds per point, the same for every point (common random numbers);
    /// each output is averaged over them.
    #[arg(long, default_value_t = 1)]
    pub seeds: u32,
    /// Seed of the design, the runs and the bootstrap.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Bootstrap resamples of the N base rows for the intervals (0: none).
    #[arg(long, default_value_t = 200)]
    pub bootstrap: usize,
    /// Coverage of the bootstrap percentile intervals.
    #[arg(long, default_value_t = 0.95)]
    pub level: f64,
    /// An output: METRIC (mean over seeds), log10:METRIC, or METRIC=VALUE
    /// (share of seeds) (repeatable). Default for a country scenario:
    /// collapse (share with outcome = collapsed) and log10_peak (log10 of the
    /// national peak of active people at 1:1); for a lattice: mean_active and
    /// log10:peak_active.
    #[arg(long = "output", value_name = "OUTPUT")]
    pub outputs: Vec<String>,
    /// Fixed override for every run: --set key=value (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Worker threads (default: all cores). The results do not depend on it.
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Output directory (default: results/sensitivity-<scenario>). Rerun
    /// with the same arguments to resume an interrupted analysis.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// The factors of `--param` and `--params-from`, in that order.
fn factors(args: &SensitivityArgs) -> Result<Vec<Factor>, String> {
    let mut f: Vec<Factor> = args.params.iter().map(|p| Factor::parse(p)).collect::<Result<_, _>>()?;
    if let Some(path) = &args.params_from {
        let text = unrest_scenario::read_input(path, "parameter file").map_err(|e| e.to_string())?;
        f.extend(factors_from_toml(&text, &path.display().to_string())?);
    }
    if f.is_empty() {
        return Err("no factors: give --param KEY=MIN:MAX[,log] or --params-from FILE".into());
    }
    Ok(f)
}

/// The outputs asked for, or the defaults of the scenario's kind.
fn outputs(args: &SensitivityArgs, sets: &[(String, String)], factors: &[Factor]) -> Result<Vec<Output>, String> {
    if !args.outputs.is_empty() {
        return args.outputs.iter().map(|o| Output::parse(o)).collect();
    }
    if !crate::country::is_country(&args.scenario) {
        return ["mean_active", "log10:peak_active"]
            .iter()
            .map(|o| Output::parse(o))
            .collect();
    }
    if factors.iter().any(|f| f.key == "scale") {
        return Err("`scale` cannot be a factor of the default outputs (the peak is counted at 1:1 from the scale); give --output".into());
    }
    let scale = crate::country::load(&args.scenario, sets, None)?.spec.scale;
    Ok(vec![
        Output {
            name: "collapse".into(),
            about: "probability of collapse (share of seeds with outcome = collapsed)".into(),
            metric: "outcome".into(),
            reduce: Reduce::Share("collapsed".into()),
        },
        Output {
            name: "log10_peak".into(),
            about: format!(
                "log10 of the national peak of active people at 1:1 (peak agents × scale {scale}; none counts as 1), mean over seeds"
            ),
            metric: "peak_active".into(),
            reduce: Reduce::Log10(scale),
        },
    ])
}

pub fn sensitivity(args: SensitivityArgs) -> Result<(), String> {
    if args.jobs == Some(0) {
        return Err("--jobs must be at least 1".into());
    }
    if !(args.level > 0.0 && args.level < 1.0) {
        return Err(format!(
            "--level {}: the intervals' coverage is between 0 and 1, e.g. 0.95",
            args.level
        ));
    }
    let sets = crate::run::parse_sets(&args.set)?;
    let factors = factors(&args)?;
    let outputs = outputs(&args, &sets, &factors)?;
    let available = CliRunner.metrics(&args.scenario)?;
    for o in &outputs {
        if !available.iter().any(|m| m.name == o.metric) {
            return Err(format!(
                "--output {}: runs of {} report no `{}`; they report: {}",
                o.name,
                args.scenario,
                o.metric,
                available.iter().map(|m| m.name.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
    }
    let sp = SensitivityPlan {
        scenario: args.scenario.clone(),
        set: sets,
        factors,
        n: args.n,
        seeds: args.seeds,
        seed: args.seed,
    };
    let plan = sp.plan()?;
    let out = args.out.clone().unwrap_or_else(|| default_out(&args.scenario));
    let opts = SweepOptions {
        out: out.clone(),
        jobs: args.jobs,
        shard: None,
        csv: true,
        progress: true,
        cancel: None,
    };
    let r = run_sweep(&plan, &CliRunner, &opts)?;
    for (moved_to, why) in &r.set_aside {
        eprintln!(
            "warning: journal part set aside, its runs redone: {why}; kept as {}",
            moved_to.display()
        );
    }
    println!(
        "sensitivity of {}: {} factors, N = {}, {} points × {} seeds = {} runs ({} resumed, {} run now) in {:.1} s",
        args.scenario,
        sp.factors.len(),
        sp.n,
        plan.points.len(),
        sp.seeds,
        r.runs,
        r.resumed,
        r.ran,
        r.wall_seconds
    );
    let boot = Bootstrap {
        replicates: args.bootstrap,
        level: args.level,
        seed: args.seed,
    };
    let results = analyse(&r.runs_file, plan.points.len(), &sp, &outputs, &boot)?;
    let ctx = Context {
        scenario: args.scenario.clone(),
        seeds: sp.seeds,
        about: outputs.iter().map(|o| (o.name.clone(), o.about.clone())).collect(),
    };
    let mut staged = Staged::default();
    staged.add(FILES[0], report::csv(&results).into_bytes());
    staged.add(FILES[1], markdown(&sp, &results, &ctx).into_bytes());
    staged.add(FILES[2], report::svg(&results, &ctx)?.into_bytes());
    let written = staged
        .commit(&out)
        .map_err(|e| format!("cannot write into {}: {e}", out.display()))?;
    print!("{}", report::markdown(&results, &ctx));
    println!("wrote {}", r.runs_file.display());
    for f in written {
        println!("wrote {}", f.display());
    }
    Ok(())
}

/// The indices of each output from the runs in `runs_file`.
pub fn analyse(
    runs_file: &Path,
    points: usize,
    sp: &SensitivityPlan,
    outputs: &[Output],
    boot: &Bootstrap,
) -> Result<Vec<OutputIndices>, String> {
    let f = table::read_parquet(runs_file)?;
    let y = report::by_point(&f.batch, points, outputs)?;
    let keys: Vec<String> = sp.factors.iter().map(|f| f.key.clone()).collect();
    outputs
        .iter()
        .zip(&y)
        .map(|(o, y)| indices(&o.name, y, &keys, boot))
        .collect()
}

/// `sensitivity.md`: the settings, the factors and one table per output.
fn markdown(sp: &SensitivityPlan, results: &[OutputIndices], ctx: &Context) -> String {
    let mut s = format!(
        "# Sobol' indices of {}\n\nSaltelli design: N = {} base rows, {} factors, seed {}; every point run on the same {} seeds; \
         first order by Saltelli (2010), total by Jansen (1999); intervals from bootstrap resamples of the base rows.\n",
        sp.scenario,
        sp.n,
        sp.factors.len(),
        sp.seed,
        sp.seeds
    );
    if !sp.set.is_empty() {
        let fixed: Vec<String> = sp.set.iter().map(|(k, v)| format!("`{k}={v}`")).collect();
        s.push_str(&format!("Fixed for every run: {}.\n", fixed.join(", ")));
    }
    s.push_str("\n| factor | min | max | sampled |\n|---|---:|---:|---|\n");
    for f in &sp.factors {
        let how = if f.log { "log-uniform" } else { "uniform" };
        s.push_str(&format!("| `{}` | {} | {} | {how} |\n", f.key, f.min, f.max));
    }
    s.push('\n');
    s.push_str(&report::markdown(results, ctx));
    s
}

fn default_out(scenario: &str) -> PathBuf {
    let stem = Path::new(scenario)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("scenario");
    PathBuf::from("results").join(format!("sensitivity-{stem}"))
}

//! `unrest sweep`, `unrest merge`, `unrest sweep-plot`.

use crate::runner::CliRunner;
use clap::Args;
use std::path::{Path, PathBuf};
use unrest_sweep::heatmap::{heatmap_svg, HeatmapRequest};
use unrest_sweep::slurm::{sbatch_script, SlurmJob};
use unrest_sweep::{exec, merge, run_sweep, table, Shard, SweepOptions, SweepSpec};

#[derive(Args)]
pub struct SweepArgs {
    /// The sweep spec (TOML): base scenario, parameters to vary, replicates, metrics.
    pub spec: PathBuf,
    /// Output directory (default: results/<spec name>). Rerunning with the
    /// same spec and directory resumes an interrupted sweep.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Run only the runs with index % N == I and write runs.shard-I-of-N.parquet.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Also write runs.csv.
    #[arg(long)]
    pub csv: bool,
    /// Write an sbatch script for a Slurm job array (one shard per task) instead of running.
    #[arg(long)]
    pub slurm: bool,
    /// Number of array tasks with --slurm.
    #[arg(long, default_value_t = 4, requires = "slurm")]
    pub tasks: u64,
    /// Threads per array task with --slurm.
    #[arg(long, default_value_t = 1, requires = "slurm")]
    pub cpus_per_task: u32,
}

#[derive(Args)]
pub struct MergeArgs {
    /// Part files of one sweep (e.g. results/x/runs.shard-*-of-4.parquet).
    #[arg(required = true)]
    pub parts: Vec<PathBuf>,
    /// The merged file.
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Args)]
pub struct SweepPlotArgs {
    /// A sweep's runs.parquet.
    pub results: PathBuf,
    /// Parameter on the x axis.
    #[arg(long)]
    pub x: String,
    /// Parameter on the y axis.
    #[arg(long)]
    pub y: String,
    /// A numeric metric (its mean per cell is shown) or NAME=VALUE (the share
    /// of runs with that value, e.g. outcome=collapsed).
    #[arg(long)]
    pub metric: String,
    /// Output SVG (default: heatmap-<metric>.svg beside the results).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long)]
    pub title: Option<String>,
}

fn default_out(spec: &Path) -> PathBuf {
    let stem = spec.file_stem().and_then(|s| s.to_str()).unwrap_or("sweep");
    PathBuf::from("results").join(stem)
}

pub fn sweep(args: SweepArgs) -> Result<(), String> {
    let spec = SweepSpec::load(&args.spec).map_err(|e| e.to_string())?;
    let plan = spec.plan().map_err(|e| e.to_string())?;
    let out = args.out.clone().unwrap_or_else(|| default_out(&args.spec));
    if args.slurm {
        return write_slurm(&args, &plan, &out);
    }
    let shard = args.shard.as_deref().map(Shard::parse).transpose()?;
    if args.jobs == Some(0) {
        return Err("--jobs must be at least 1".into());
    }
    let opts = SweepOptions {
        out: out.clone(),
        jobs: args.jobs,
        shard,
        csv: args.csv,
        progress: true,
        cancel: None,
    };
    let r = run_sweep(&plan, &CliRunner, &opts)?;
    let what = shard.map_or(String::new(), |s| format!(" (shard {}/{})", s.index, s.count));
    for (moved_to, why) in &r.set_aside {
        eprintln!(
            "warning: journal part set aside, its runs redone: {why}; kept as {}",
            moved_to.display()
        );
    }
    if r.already_complete {
        println!(
            "sweep{what}: already complete, {} runs in {}",
            r.runs,
            r.runs_file.display()
        );
    } else {
        println!(
            "sweep{what}: {} runs ({} resumed from the journal, {} run now) in {:.1} s",
            r.runs, r.resumed, r.ran, r.wall_seconds
        );
    }
    if !r.already_complete {
        for f in std::iter::once(&r.runs_file).chain(&r.series_file).chain(&r.csv_file) {
            if f.exists() {
                println!("wrote {}", f.display());
            }
        }
    }
    Ok(())
}

fn write_slurm(args: &SweepArgs, plan: &unrest_sweep::Plan, out: &Path) -> Result<(), String> {
    if args.tasks == 0 {
        return Err("--tasks must be at least 1".into());
    }
    // Fail now, not on the cluster, if a point is invalid.
    for p in 0..plan.points.len() as u64 {
        unrest_sweep::Runner::check(&CliRunner, &plan.spec.scenario, &plan.overrides(p))
            .map_err(|e| exec::point_error(plan, p, &e))?;
    }
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let binary = std::env::current_exe().map_err(|e| format!("cannot find the unrest binary: {e}"))?;
    let (spec, out_abs) = (abs(&args.spec), abs(out));
    let name = args.spec.file_stem().and_then(|s| s.to_str()).unwrap_or("unrest-sweep");
    let script = sbatch_script(&SlurmJob {
        binary: &binary,
        spec: &spec,
        out: &out_abs,
        tasks: args.tasks,
        cpus_per_task: args.cpus_per_task,
        job_name: name,
    });
    let path = out.join("sweep.sbatch");
    table::write_atomic(&path, script.as_bytes())?;
    println!(
        "wrote {} ({} runs in {} array tasks)",
        path.display(),
        plan.total_runs(),
        args.tasks
    );
    println!("submit: sbatch {}", path.display());
    println!(
        "then:   unrest merge {}/runs.shard-*-of-{}.parquet --out {}/runs.parquet",
        out.display(),
        args.tasks,
        out.display()
    );
    Ok(())
}

pub fn merge(args: MergeArgs) -> Result<(), String> {
    let r = merge::merge(&args.parts, &args.out)?;
    println!(
        "merged {} {} rows from {} files into {}",
        r.rows,
        r.table,
        args.parts.len(),
        args.out.display()
    );
    Ok(())
}

pub fn sweep_plot(args: SweepPlotArgs) -> Result<(), String> {
    let f = table::read_parquet(&args.results)?;
    let req = HeatmapRequest {
        x: args.x,
        y: args.y,
        metric: args.metric.clone(),
        title: args.title,
    };
    let svg = heatmap_svg(&f.batch, &req)?;
    let out = args.out.unwrap_or_else(|| {
        let safe: String = args
            .metric
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        args.results
            .parent()
            .unwrap_or(Path::new("."))
            .join(format!("heatmap-{safe}.svg"))
    });
    table::write_atomic(&out, svg.as_bytes())?;
    println!("wrote {}", out.display());
    Ok(())
}

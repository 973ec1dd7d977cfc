//! `unrest calibrate --plan PLAN.toml`: ABC-SMC of the shared model against
//! many episodes at once (method: `unrest_sweep::smc`; the plan's format:
//! docs/experiments.md).
//!
//! A particle is one set of shared mechanism values, applied to every
//! episode as `--set` overrides; its distance is the mean over episodes of
//! each episode's mean criterion miss over its seeds
//! (`unrest_country::distance`), so every episode weighs the same however
//! many facts it checks. The seeds are the same for every particle (common
//! random numbers: two particles differ by their values, not their luck).

use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use unrest_country::spec::CriterionSpec;
use unrest_sweep::slurm::{calibrate_array_script, calibrate_merge_script, calibrate_submit_script, CalibrateJob};
use unrest_sweep::smc::{
    abc_smc_part, marginals_svg, merge_shard_journals, posterior_batch, shard_journal_path, CsvJournal, SmcMode,
    SmcOptions, SmcOutcome, SmcPrior, SmcResult,
};
use unrest_sweep::{table, Shard};

/// The plan file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Plan {
    #[serde(default = "default_particles")]
    particles: usize,
    #[serde(default = "default_generations")]
    generations: usize,
    #[serde(default = "default_keep")]
    keep: f64,
    #[serde(default = "default_min_acceptance")]
    min_acceptance: f64,
    /// Seeds per episode per particle.
    #[serde(default = "default_seeds")]
    seeds: u64,
    #[serde(default = "default_seed")]
    seed: u64,
    episodes: Vec<EpisodeRef>,
    params: Vec<ParamSpec>,
}

fn default_particles() -> usize {
    32
}
fn default_generations() -> usize {
    6
}
fn default_keep() -> f64 {
    0.5
}
fn default_min_acceptance() -> f64 {
    0.02
}
fn default_seeds() -> u64 {
    2
}
fn default_seed() -> u64 {
    1
}

/// An episode scored by the plan: a built-in name or a file (relative to the
/// plan), optional fixed overrides, and optionally an outcome it must reach
/// (for synthetic anchors that carry no criteria of their own).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EpisodeRef {
    scenario: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    set: Vec<String>,
    #[serde(default)]
    outcome: Option<String>,
    #[serde(default)]
    label: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamSpec {
    key: String,
    min: f64,
    max: f64,
    #[serde(default)]
    log: bool,
}

/// An episode ready to score.
struct Episode {
    name: String,
    path: String,
    sets: Vec<(String, String)>,
    outcome: Option<(String, String)>,
}

impl Episode {
    /// Mean over the plan's seeds of the run's criterion distance, with the
    /// particle's values set.
    /// With `cancel` set, every run stops at its next step and the result is
    /// `cancel::INTERRUPTED` (the journal keeps only finished evaluations).
    fn distance(
        &self,
        keys: &[String],
        values: &[f64],
        seeds: u64,
        cancel: Option<&std::sync::atomic::AtomicBool>,
    ) -> Result<f64, String> {
        let mut sets = self.sets.clone();
        sets.extend(keys.iter().zip(values).map(|(k, v)| (k.clone(), format!("{v}"))));
        let mut sc = crate::country::load(&self.path, &sets, None).map_err(|e| format!("{}: {e}", self.name))?;
        if let Some((outcome, label)) = &self.outcome {
            sc.spec.criteria.push(CriterionSpec::Outcome {
                label: label.clone(),
                outcome: outcome.clone(),
                from: None,
                to: None,
            });
        }
        if sc.spec.criteria.is_empty() {
            return Err(format!(
                "{}: no [[criteria]] and no outcome in the plan to score it by",
                self.name
            ));
        }
        // `validate_seeds`' runs (seed derive(sc.seed, i) for run i), stoppable.
        let setups = vec![(&sc.spec, &sc.lattice); seeds as usize];
        let runs = crate::cancel::validate_setups(&setups, sc.seed, cancel).map_err(|e| {
            if e == crate::cancel::INTERRUPTED {
                e
            } else {
                format!("{}: {e}", self.name)
            }
        })?;
        Ok(runs.iter().map(|r| unrest_country::distance(&r.1)).sum::<f64>() / runs.len().max(1) as f64)
    }
}

fn read_plan(path: &Path) -> Result<(Plan, String), String> {
    let text = unrest_scenario::read_input(path, "calibration plan").map_err(|e| e.to_string())?;
    let plan: Plan = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let bad = |m: String| Err(format!("{}: {m}", path.display()));
    if plan.particles < 2 || plan.particles > 100_000 {
        return bad(format!("particles = {}: between 2 and 100000", plan.particles));
    }
    if !(0.0 < plan.keep && plan.keep < 1.0) {
        return bad(format!("keep = {}: a share strictly between 0 and 1", plan.keep));
    }
    if plan.seeds == 0 || plan.seeds > 10_000 || plan.generations > 1000 {
        return bad("seeds must be 1 to 10000 and generations at most 1000".into());
    }
    if plan.episodes.is_empty() || plan.params.is_empty() {
        return bad("a plan needs at least one [[episodes]] and one [[params]]".into());
    }
    Ok((plan, text))
}

fn episodes(plan: &Plan, plan_path: &Path) -> Result<Vec<Episode>, String> {
    let dir = plan_path.parent().unwrap_or(Path::new("."));
    plan.episodes
        .iter()
        .map(|e| {
            let path = if unrest_scenario::country_builtin(&e.scenario).is_some() {
                e.scenario.clone()
            } else {
                dir.join(&e.scenario).display().to_string()
            };
            let stem = Path::new(&e.scenario)
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("episode");
            Ok(Episode {
                name: e.name.clone().unwrap_or_else(|| stem.to_string()),
                path,
                sets: crate::run::parse_sets(&e.set)?,
                outcome: e.outcome.clone().map(|o| {
                    let label = e.label.clone().unwrap_or_else(|| format!("outcome {o}"));
                    (o, label)
                }),
            })
        })
        .collect()
}

/// What `calibrate --plan` does this time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanRun {
    /// Run the calibration to its end (merging any shard journals first).
    All,
    /// `--shard I/N`: run only this shard's evaluations of the current
    /// generation, into `journal.shard-I-of-N.csv`.
    Shard(Shard),
    /// `--merge`: merge the shard journals into journal.csv; write the
    /// outputs if the calibration is complete, else say what is pending.
    Merge,
    /// `--slurm`: write the sbatch scripts of a sharded calibration.
    Slurm { tasks: u64, cpus_per_task: u32 },
}

pub fn calibrate_model(
    plan_path: &Path,
    out: Option<&Path>,
    jobs: Option<usize>,
    write_model: Option<&Path>,
    cancel: Option<&std::sync::atomic::AtomicBool>,
) -> Result<(), String> {
    calibrate_model_run(plan_path, out, jobs, write_model, cancel, PlanRun::All)
}

pub fn calibrate_model_run(
    plan_path: &Path,
    out: Option<&Path>,
    jobs: Option<usize>,
    write_model: Option<&Path>,
    cancel: Option<&std::sync::atomic::AtomicBool>,
    run: PlanRun,
) -> Result<(), String> {
    let (plan, text) = read_plan(plan_path)?;
    let eps = episodes(&plan, plan_path)?;
    let priors: Vec<SmcPrior> = plan
        .params
        .iter()
        .map(|p| SmcPrior {
            key: p.key.clone(),
            min: p.min,
            max: p.max,
            log: p.log,
        })
        .collect();
    for p in &priors {
        p.validate().map_err(|m| format!("{}: {m}", plan_path.display()))?;
    }
    let keys: Vec<String> = priors.iter().map(|p| p.key.clone()).collect();
    // Every episode must load with every key before hours are spent: one run
    // of one seed at the priors' midpoints (not for a merge, which runs nothing).
    if run != PlanRun::Merge {
        let mid: Vec<f64> = priors.iter().map(|p| p.value(0.5)).collect();
        for e in &eps {
            e.distance(&keys, &mid, 1, cancel)?;
        }
    }
    let stem = plan_path.file_stem().and_then(|s| s.to_str()).unwrap_or("plan");
    let out = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("results").join(format!("calibrate-{stem}")));
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    // The plan's identity: its text, the episodes' files and the built-in
    // model's values other than those the plan fits (a changed model is
    // another calibration; writing the fit's best particle into the model
    // with --write-model is not, so the plan still resumes and extends).
    // `generations` and `min_acceptance` only say when to stop: a plan run
    // further with more generations resumes its journal (generation g's
    // proposals depend on generations before g only).
    let mut h = Sha256::new();
    let mut table: toml::Table = toml::from_str(&text).map_err(|e| format!("{}: {e}", plan_path.display()))?;
    table.remove("generations");
    table.remove("min_acceptance");
    h.update(toml::to_string(&table).map_err(|e| e.to_string())?.as_bytes());
    for e in &eps {
        let t = unrest_scenario::country_builtin(&e.path)
            .map(str::to_string)
            .or_else(|| std::fs::read_to_string(&e.path).ok())
            .unwrap_or_default();
        h.update(t.as_bytes());
    }
    for (_, _, m) in unrest_scenario::model::MODELS {
        h.update(model_identity(m, &keys).as_bytes());
    }
    let id: String = h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect();
    let (dims, nparts) = (priors.len(), eps.len());
    let main_path = out.join("journal.csv");
    if let PlanRun::Slurm { tasks, cpus_per_task } = run {
        // Refuse a directory of another plan now, not on the cluster.
        CsvJournal::read(&main_path, &id, dims, nparts)?;
        return write_slurm(plan_path, &plan, &out, write_model, tasks, cpus_per_task);
    }
    // This process's journal: journal.csv, or the shard's own file with
    // journal.csv read beside it (a shard never writes journal.csv).
    let (journal, resumed) = match run {
        PlanRun::Shard(s) => {
            let mut j = CsvJournal::open(&shard_journal_path(&out, s), &id, dims, nparts)?;
            let own = j.len();
            j.preload(CsvJournal::read(&main_path, &id, dims, nparts)?);
            (j, own)
        }
        _ => {
            let mut j = CsvJournal::open(&main_path, &id, dims, nparts)?;
            let (files, rows) = merge_shard_journals(&out, &mut j, &id, dims, nparts)?;
            if files > 0 {
                println!(
                    "calibrate: merged {files} shard journals ({rows} new evaluations) into {}",
                    main_path.display()
                );
            }
            let n = j.len();
            (j, n)
        }
    };
    let journal = Mutex::new(journal);
    let opts = SmcOptions {
        particles: plan.particles,
        generations: plan.generations,
        keep: plan.keep,
        min_acceptance: plan.min_acceptance,
        seed: plan.seed,
    };
    let what = match run {
        PlanRun::Shard(s) => format!(" (shard {}/{})", s.index, s.count),
        PlanRun::Merge => " (merge)".to_string(),
        _ => String::new(),
    };
    println!(
        "calibrate{what}: ABC-SMC, {} particles × up to {} generations, {} episodes × {} seeds, {} parameters; plan {id}{}",
        plan.particles,
        plan.generations,
        eps.len(),
        plan.seeds,
        priors.len(),
        if resumed > 0 {
            format!(" (resuming: {resumed} evaluations in the journal)")
        } else {
            String::new()
        }
    );
    let started = std::time::Instant::now();
    let ran = std::sync::atomic::AtomicUsize::new(0);
    let model = |v: &[f64]| -> Result<(f64, Vec<f64>), String> {
        let parts: Vec<f64> = eps
            .iter()
            .map(|e| e.distance(&keys, v, plan.seeds, cancel))
            .collect::<Result<_, _>>()?;
        ran.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok((parts.iter().sum::<f64>() / parts.len() as f64, parts))
    };
    let progress = |l: &unrest_sweep::smc::GenerationLog| {
        println!(
            "  generation {:>2}: ε {:>7.4}  ESS {:>6.1}{}  acceptance {:>5.1}%  best {:.4}  ({:.0} s)",
            l.generation,
            l.epsilon,
            l.ess,
            if l.resampled { " (resampled)" } else { "" },
            100.0 * l.acceptance,
            l.best,
            started.elapsed().as_secs_f64()
        );
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.unwrap_or(0))
        .build()
        .map_err(|e| e.to_string())?;
    let mode = match run {
        PlanRun::Shard(s) => SmcMode::Shard(s),
        PlanRun::Merge => SmcMode::Replay,
        _ => SmcMode::All,
    };
    let outcome = pool.install(|| abc_smc_part(&priors, &opts, &model, &journal, &progress, mode))?;
    let ran = ran.load(std::sync::atomic::Ordering::Relaxed);
    let merge_cmd = format!(
        "unrest calibrate --plan {} --out {} --merge",
        plan_path.display(),
        out.display()
    );
    let r = match (outcome, run) {
        (
            SmcOutcome::Pending {
                generation,
                pending,
                total,
                ..
            },
            PlanRun::Shard(s),
        ) => {
            println!(
                "calibrate (shard {}/{}): generation {generation}: this shard's evaluations are done ({ran} run now); \
                 {pending} of {total} are other shards'; when every shard is done: {merge_cmd}",
                s.index, s.count
            );
            return Ok(());
        }
        (
            SmcOutcome::Pending {
                generation,
                pending,
                total,
                ..
            },
            _,
        ) => {
            println!(
                "calibrate (merge): generation {generation} is pending, {pending} of its {total} evaluations not in the journal; \
                 run its shards (unrest calibrate --plan {} --out {} --shard I/N for I in 0..N), then merge again",
                plan_path.display(),
                out.display()
            );
            return Ok(());
        }
        (SmcOutcome::Done(_), PlanRun::Shard(s)) => {
            println!(
                "calibrate (shard {}/{}): the calibration is complete ({ran} run now); write the posterior with: {merge_cmd}",
                s.index, s.count
            );
            return Ok(());
        }
        (SmcOutcome::Done(r), _) => r,
    };
    let names: Vec<String> = eps.iter().map(|e| e.name.clone()).collect();
    write_outputs(&out, &r, &priors, &names, &id)?;
    report(&r, &priors, &names);
    if let Some(path) = write_model {
        let best = r.best();
        write_model_file(path, &keys, &best.values)?;
        println!("wrote the best particle's values into {}", path.display());
    }
    Ok(())
}

/// `--slurm`: the scripts of a sharded calibration, one array job and one
/// dependent merge job per generation (`unrest_sweep::slurm`).
fn write_slurm(
    plan_path: &Path,
    plan: &Plan,
    out: &Path,
    write_model: Option<&Path>,
    tasks: u64,
    cpus_per_task: u32,
) -> Result<(), String> {
    if tasks == 0 || cpus_per_task == 0 {
        return Err("--tasks and --cpus-per-task must be at least 1".into());
    }
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let binary = std::env::current_exe().map_err(|e| format!("cannot find the unrest binary: {e}"))?;
    let (plan_abs, out_abs) = (abs(plan_path), abs(out));
    let model_abs = write_model.map(abs);
    let name = plan_path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("unrest-calibrate");
    let job = CalibrateJob {
        binary: &binary,
        plan: &plan_abs,
        out: &out_abs,
        write_model: model_abs.as_deref(),
        tasks,
        cpus_per_task,
        generations: plan.generations as u64 + 1,
        job_name: name,
    };
    let files = [
        ("calibrate.sbatch", calibrate_array_script(&job)),
        ("calibrate-merge.sbatch", calibrate_merge_script(&job)),
        ("calibrate-submit.sh", calibrate_submit_script(&job)),
    ];
    for (f, text) in &files {
        table::write_atomic(&out.join(f), text.as_bytes())?;
        println!("wrote {}", out.join(f).display());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(out.join("calibrate-submit.sh"), std::fs::Permissions::from_mode(0o755));
    }
    println!(
        "{} generations × {tasks} array tasks, each followed by a merge job; submit with: sh {}",
        plan.generations + 1,
        out.join("calibrate-submit.sh").display()
    );
    Ok(())
}

fn write_outputs(out: &Path, r: &SmcResult, priors: &[SmcPrior], names: &[String], id: &str) -> Result<(), String> {
    let batch = posterior_batch(r, priors, names)?;
    let meta = vec![
        (
            "unrest.calibrate.method".to_string(),
            "abc-smc (Del Moral et al. 2012)".to_string(),
        ),
        ("unrest.calibrate.plan".to_string(), id.to_string()),
        ("unrest.version".to_string(), env!("CARGO_PKG_VERSION").to_string()),
    ];
    table::write_parquet(&out.join("posterior.parquet"), &batch, &meta)?;
    table::write_atomic(&out.join("posterior.csv"), &table::to_csv(&batch)?)?;
    let mut gens = String::from("generation,epsilon,ess,resampled,acceptance,evaluations,best\n");
    for l in &r.log {
        gens.push_str(&format!(
            "{},{},{:.3},{},{:.4},{},{}\n",
            l.generation, l.epsilon, l.ess, l.resampled, l.acceptance, l.evaluations, l.best
        ));
    }
    table::write_atomic(&out.join("generations.csv"), gens.as_bytes())?;
    let title = format!(
        "ABC-SMC posterior: {} particles, ε {:.3} after {} generations",
        r.particles.len(),
        r.log.last().map_or(f64::NAN, |l| l.epsilon),
        r.log.len() - 1
    );
    table::write_atomic(&out.join("posterior.svg"), marginals_svg(r, priors, &title)?.as_bytes())?;
    let pairs = unrest_output::plot_pairs_svg(
        &format!("{title}: pairs (dot area ∝ weight; above the diagonal, the weighted correlation)"),
        &pair_axes(priors),
        &r.particles.iter().map(|p| p.unit.clone()).collect::<Vec<_>>(),
        &r.particles.iter().map(|p| p.weight).collect::<Vec<_>>(),
    )?;
    table::write_atomic(&out.join("posterior-pairs.svg"), pairs.as_bytes())?;
    for f in [
        "journal.csv",
        "generations.csv",
        "posterior.parquet",
        "posterior.csv",
        "posterior.svg",
        "posterior-pairs.svg",
    ] {
        println!("wrote {}", out.join(f).display());
    }
    Ok(())
}

/// The pair plot's axes: each key's last part (`loyalty.wavering` →
/// `wavering`), the whole key where two would share a name.
fn pair_axes(priors: &[SmcPrior]) -> Vec<unrest_output::PairAxis> {
    let short = |k: &str| k.rsplit('.').next().unwrap_or(k).to_string();
    priors
        .iter()
        .map(|p| {
            let s = short(&p.key);
            let clash = priors.iter().filter(|q| short(&q.key) == s).count() > 1;
            unrest_output::PairAxis {
                name: if clash { p.key.clone() } else { s },
                min: p.min,
                max: p.max,
                log: p.log,
            }
        })
        .collect()
}

fn report(r: &SmcResult, priors: &[SmcPrior], names: &[String]) {
    let best = r.best();
    println!("posterior (weighted mean, median, 90% interval; best particle):");
    for (k, p) in priors.iter().enumerate() {
        let (mean, [lo, med, hi]) = r.summary(k);
        println!(
            "  {:<36} {:>10.4} {:>10.4} [{:.4}, {:.4}]  best {:.6}",
            p.key, mean, med, lo, hi, best.values[k]
        );
    }
    let parts: Vec<String> = names
        .iter()
        .zip(&best.parts)
        .map(|(n, d)| format!("{n} {d:.3}"))
        .collect();
    println!("best particle: distance {:.4} ({})", best.distance, parts.join(", "));
}

/// Writes `values` into the model file's `section.key` entries, keeping its
/// comments and layout; every key must already be in the file.
fn write_model_file(path: &Path, keys: &[String], values: &[f64]) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e| format!("{}: {e}", path.display()))?;
    for (key, &v) in keys.iter().zip(values) {
        let (section, name) = key
            .split_once('.')
            .ok_or_else(|| format!("{key}: a model key is section.name"))?;
        let item = doc
            .get_mut(section)
            .and_then(|t| t.get_mut(name))
            .ok_or_else(|| format!("{}: has no {key} to set", path.display()))?;
        let rounded: f64 = format!("{v:.5e}").parse().unwrap_or(v);
        let decor = item.as_value().map(|x| x.decor().clone());
        *item = toml_edit::value(rounded);
        if let (Some(d), Some(x)) = (decor, item.as_value_mut()) {
            *x.decor_mut() = d;
        }
    }
    table::write_atomic(path, doc.to_string().as_bytes())
}

/// A model file's text for the plan's identity: its values less the `keys`
/// the plan fits (`section.key`), comments and layout dropped. Text that does
/// not parse is taken as it is.
fn model_identity(text: &str, keys: &[String]) -> String {
    let Ok(mut table) = toml::from_str::<toml::Table>(text) else {
        return text.to_string();
    };
    for k in keys {
        if let Some((section, key)) = k.split_once('.') {
            if let Some(toml::Value::Table(t)) = table.get_mut(section) {
                t.remove(key);
            }
        }
    }
    toml::to_string(&table).unwrap_or_else(|_| text.to_string())
}

#[cfg(test)]
mod identity_tests {
    use super::model_identity;

    #[test]
    fn the_fitted_keys_do_not_change_the_identity_and_the_others_do() {
        let keys = vec!["loyalty.wavering".to_string()];
        let a = "# fit 1\n[loyalty]\nwavering = 0.2\nfiring_shock = 3.0\n";
        let b = "[loyalty]\nwavering = 0.9  # fit 2\nfiring_shock = 3.0\n";
        let c = "[loyalty]\nwavering = 0.2\nfiring_shock = 4.0\n";
        assert_eq!(model_identity(a, &keys), model_identity(b, &keys));
        assert_ne!(model_identity(a, &keys), model_identity(c, &keys));
    }
}

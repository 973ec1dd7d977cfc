//! ABC by sequential Monte Carlo with adaptive tolerances (after Del Moral,
//! Doucet & Jasra 2012, "An adaptive sequential Monte Carlo method for
//! approximate Bayesian computation"; one simulation per particle, M = 1).
//!
//! Rejection ABC (`abc.rs`) spends almost every run far from the record once
//! the parameter space has a dozen dimensions. SMC spends them where the
//! posterior is: a population of N particles moves through a decreasing
//! sequence of tolerances ε₀ > ε₁ > …, each generation
//!
//! 1. choosing εₜ as the `keep`-quantile of the living particles' distances
//!    (so a fixed share survives: the adaptive rule, ESS falls by `keep`);
//! 2. reweighting, `wᵢ ∝ wᵢ · 1[dᵢ ≤ εₜ]`, and resampling (systematic) when
//!    the effective sample size `ESS = 1 / Σ wᵢ²` falls below N/2;
//! 3. moving every living particle by one Metropolis–Hastings step that
//!    leaves the ABC posterior at εₜ invariant: a Gaussian random walk in
//!    the unit cube (scale `sqrt(2)` × the weighted standard deviation per
//!    coordinate, reflected at the faces so the proposal stays symmetric),
//!    accepted iff the new run's distance is ≤ εₜ (uniform priors cancel).
//!
//! Cost is exactly N runs a generation, so a budget is a number of
//! generations. Every evaluation goes through a [`Journal`] before it is
//! used: a killed calibration resumes by replaying the journal, and because
//! every proposal is a function of the seed, the generation and the particle
//! index only, the resumed result is the uninterrupted one, bit for bit,
//! whatever the thread count.

use crate::exec::Shard;
use crate::table::write_atomic;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use rayon::prelude::*;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use unrest_core::seeds::derive;

/// A prior on one parameter: uniform on `[min, max]`, or log-uniform.
#[derive(Debug, Clone, PartialEq)]
pub struct SmcPrior {
    pub key: String,
    pub min: f64,
    pub max: f64,
    pub log: bool,
}

impl SmcPrior {
    /// The value at position `u ∈ [0, 1]` of the prior's range.
    pub fn value(&self, u: f64) -> f64 {
        let u = u.clamp(0.0, 1.0);
        if self.log {
            (self.min.ln() + u * (self.max.ln() - self.min.ln())).exp()
        } else {
            self.min + u * (self.max - self.min)
        }
    }

    /// Checks the range (log priors need `0 < min`).
    pub fn validate(&self) -> Result<(), String> {
        let ok = self.min.is_finite() && self.max.is_finite() && self.min < self.max;
        if !ok || (self.log && self.min <= 0.0) {
            return Err(format!(
                "prior {}: needs finite min < max{} (got {}..{})",
                self.key,
                if self.log { " and min > 0 for a log prior" } else { "" },
                self.min,
                self.max
            ));
        }
        Ok(())
    }
}

/// The knobs of [`abc_smc`].
#[derive(Debug, Clone, PartialEq)]
pub struct SmcOptions {
    pub particles: usize,
    /// Generations after the prior one.
    pub generations: usize,
    /// Share of living particles kept by each new tolerance.
    pub keep: f64,
    /// Stop early when fewer than this share of moves is accepted.
    pub min_acceptance: f64,
    pub seed: u64,
}

/// One model evaluation: a particle's position (unit cube) and its distance,
/// with the parts the distance averages (e.g. one per episode).
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub generation: u32,
    pub particle: u32,
    pub unit: Vec<f64>,
    pub distance: f64,
    pub parts: Vec<f64>,
}

/// A member of the final population.
#[derive(Debug, Clone, PartialEq)]
pub struct Particle {
    pub unit: Vec<f64>,
    pub values: Vec<f64>,
    pub weight: f64,
    pub distance: f64,
    pub parts: Vec<f64>,
}

/// One generation's tolerance, effective sample size and acceptance rate.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerationLog {
    pub generation: u32,
    pub epsilon: f64,
    /// ESS after reweighting by the new tolerance (before resampling).
    pub ess: f64,
    pub resampled: bool,
    pub acceptance: f64,
    pub evaluations: usize,
    /// Distance of the best particle after the move.
    pub best: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SmcResult {
    pub particles: Vec<Particle>,
    pub log: Vec<GenerationLog>,
}

impl SmcResult {
    /// The living particle closest to the record (lowest index on a tie).
    pub fn best(&self) -> &Particle {
        self.particles
            .iter()
            .filter(|p| p.weight > 0.0)
            .min_by(|a, b| a.distance.total_cmp(&b.distance))
            .unwrap_or(&self.particles[0])
    }

    /// Weighted mean and 5% / 50% / 95% weighted quantiles of parameter `k`.
    pub fn summary(&self, k: usize) -> (f64, [f64; 3]) {
        let mut xs: Vec<(f64, f64)> = self
            .particles
            .iter()
            .filter(|p| p.weight > 0.0)
            .map(|p| (p.values[k], p.weight))
            .collect();
        xs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let total: f64 = xs.iter().map(|x| x.1).sum();
        let mean = xs.iter().map(|x| x.0 * x.1).sum::<f64>() / total.max(f64::MIN_POSITIVE);
        let q = |f: f64| {
            let mut acc = 0.0;
            for &(x, w) in &xs {
                acc += w;
                if acc >= f * total - 1e-12 {
                    return x;
                }
            }
            xs.last().map_or(f64::NAN, |x| x.0)
        };
        (mean, [q(0.05), q(0.5), q(0.95)])
    }
}

/// Where evaluations are kept so that a killed calibration loses nothing.
pub trait Journal: Send {
    fn lookup(&self, generation: u32, particle: u32) -> Option<&Evaluation>;
    fn record(&mut self, e: &Evaluation) -> Result<(), String>;
}

/// A journal in memory only (tests, one-off runs).
#[derive(Default)]
pub struct MemoryJournal(HashMap<(u32, u32), Evaluation>);

impl Journal for MemoryJournal {
    fn lookup(&self, g: u32, p: u32) -> Option<&Evaluation> {
        self.0.get(&(g, p))
    }
    fn record(&mut self, e: &Evaluation) -> Result<(), String> {
        self.0.insert((e.generation, e.particle), e.clone());
        Ok(())
    }
}

/// A journal as an append-only CSV file whose first line names the plan it
/// belongs to (`# plan <id>`): one line per evaluation, flushed as it is
/// written, every float in Rust's shortest round-trip form so that a replayed
/// position compares equal bit for bit. A torn last line (a kill mid-write)
/// is dropped on reading and its evaluation redone.
#[derive(Debug)]
pub struct CsvJournal {
    path: PathBuf,
    file: std::fs::File,
    rows: HashMap<(u32, u32), Evaluation>,
    /// The exclusive lock on `.<name>.lock` beside the journal: one writer
    /// at a time, released by the kernel when the process ends (even by kill -9).
    _lock: std::fs::File,
}

impl CsvJournal {
    /// Opens (or creates) the journal for plan `id` with `dims` coordinates
    /// and `parts` distance parts; refuses a journal of another plan.
    pub fn open(path: &Path, id: &str, dims: usize, parts: usize) -> Result<CsvJournal, String> {
        // Another plan's journal is refused as such, whether or not it is being written.
        read_journal(path, id, dims, parts)?;
        let lock = lock_beside(path)?;
        let (rows, mut keep) = read_journal(path, id, dims, parts)?;
        if keep.is_empty() {
            keep = format!("# plan {id}\n");
        }
        // Rewrite what was readable (drops a torn tail), then append.
        write_atomic(path, keep.as_bytes())?;
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(CsvJournal {
            path: path.to_path_buf(),
            file,
            rows,
            _lock: lock,
        })
    }

    /// The evaluations of a journal file (none if there is no file), read
    /// only; refuses a journal of another plan. A torn last line is left out.
    pub fn read(path: &Path, id: &str, dims: usize, parts: usize) -> Result<Vec<Evaluation>, String> {
        let (rows, _) = read_journal(path, id, dims, parts)?;
        let mut v: Vec<Evaluation> = rows.into_values().collect();
        v.sort_by_key(|e| (e.generation, e.particle));
        Ok(v)
    }

    /// Makes `rows` (e.g. another journal file's, read with [`CsvJournal::read`])
    /// visible to lookups without writing them to this file.
    pub fn preload(&mut self, rows: Vec<Evaluation>) {
        for e in rows {
            self.rows.entry((e.generation, e.particle)).or_insert(e);
        }
    }

    /// Appends `rows` this journal does not hold yet (the same particle at
    /// the same position); returns how many it appended.
    pub fn absorb(&mut self, rows: &[Evaluation]) -> Result<usize, String> {
        let mut added = 0;
        for e in rows {
            if self.rows.get(&(e.generation, e.particle)).map(|x| &x.unit) != Some(&e.unit) {
                self.record(e)?;
                added += 1;
            }
        }
        Ok(added)
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// A journal file's rows and its readable text (empty if there is no file).
type JournalRows = (HashMap<(u32, u32), Evaluation>, String);

fn read_journal(path: &Path, id: &str, dims: usize, parts: usize) -> Result<JournalRows, String> {
    let head = format!("# plan {id}");
    let mut rows = HashMap::new();
    let mut keep = String::new();
    if let Ok(text) = std::fs::read_to_string(path) {
        let mut lines = text.split_inclusive('\n');
        match lines.next() {
            Some(first) if first.trim_end() == head => keep.push_str(first),
            Some(first) if !first.ends_with('\n') => {} // a header torn by a kill
            Some(first) => {
                return Err(format!(
                    "{}: this journal belongs to another calibration ({}), not this plan ({head}); \
                     use another --out or delete it",
                    path.display(),
                    first.trim_end()
                ))
            }
            None => {}
        }
        for line in lines {
            if !line.ends_with('\n') {
                break; // torn by a kill: redo it
            }
            let e = parse_row(line.trim_end(), dims, parts)
                .ok_or_else(|| format!("{}: unreadable journal line {:?}", path.display(), line.trim_end()))?;
            rows.insert((e.generation, e.particle), e);
            keep.push_str(line);
        }
    }
    Ok((rows, keep))
}

/// Takes the exclusive lock on `.<name>.lock` beside `path`.
fn lock_beside(path: &Path) -> Result<std::fs::File, String> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("journal");
    let lock = path.with_file_name(format!(".{name}.lock"));
    if let Some(dir) = lock.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock)
        .map_err(|e| format!("cannot open {}: {e}", lock.display()))?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => Err(format!(
            "another unrest calibrate is writing {}; wait for it to finish, or choose another --out",
            path.display()
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(format!("cannot lock {}: {e}", lock.display())),
    }
}

/// The journal file of shard `s` in directory `out`: `journal.shard-I-of-N.csv`.
pub fn shard_journal_path(out: &Path, s: Shard) -> PathBuf {
    out.join(format!("journal.{}.csv", s.tag()))
}

/// Appends to `main` every evaluation of the shard journals in `out`
/// (`journal.shard-*-of-*.csv`, of any shard count) that it lacks, then
/// removes those files: the step between two sharded generations. Refuses
/// while a shard is still writing its file. Killed midway, it loses
/// nothing: the rows are in `main` before their file is removed, and a
/// repeated row is not appended twice. Returns (files, rows appended).
pub fn merge_shard_journals(
    out: &Path,
    main: &mut CsvJournal,
    id: &str,
    dims: usize,
    parts: usize,
) -> Result<(usize, usize), String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(out)
        .map_err(|e| format!("{}: {e}", out.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix("journal.shard-"))
                .and_then(|n| n.strip_suffix(".csv"))
                .and_then(|n| n.split_once("-of-"))
                .is_some_and(|(i, k)| i.parse::<u64>().is_ok() && k.parse::<u64>().is_ok())
        })
        .collect();
    files.sort();
    // Every shard must have finished before any file is merged.
    let locks: Vec<std::fs::File> = files
        .iter()
        .map(|f| {
            lock_beside(f).map_err(|_| {
                format!(
                    "{}: a shard is still writing it; wait for every shard to finish, then merge",
                    f.display()
                )
            })
        })
        .collect::<Result<_, _>>()?;
    let mut added = 0;
    for f in &files {
        added += main.absorb(&CsvJournal::read(f, id, dims, parts)?)?;
        std::fs::remove_file(f).map_err(|e| format!("{}: {e}", f.display()))?;
    }
    // The lock files go while still held, so no shard can take a lock that is about to vanish.
    for f in &files {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let _ = std::fs::remove_file(f.with_file_name(format!(".{name}.lock")));
    }
    drop(locks);
    Ok((files.len(), added))
}

fn parse_row(line: &str, dims: usize, parts: usize) -> Option<Evaluation> {
    let f: Vec<&str> = line.split(',').collect();
    if f.len() != 3 + parts + dims {
        return None;
    }
    let num = |s: &str| s.parse::<f64>().ok();
    Some(Evaluation {
        generation: f[0].parse().ok()?,
        particle: f[1].parse().ok()?,
        distance: num(f[2])?,
        parts: f[3..3 + parts].iter().map(|s| num(s)).collect::<Option<_>>()?,
        unit: f[3 + parts..].iter().map(|s| num(s)).collect::<Option<_>>()?,
    })
}

impl Journal for CsvJournal {
    fn lookup(&self, g: u32, p: u32) -> Option<&Evaluation> {
        self.rows.get(&(g, p))
    }
    fn record(&mut self, e: &Evaluation) -> Result<(), String> {
        let mut line = format!("{},{},{}", e.generation, e.particle, e.distance);
        for x in e.parts.iter().chain(&e.unit) {
            line.push_str(&format!(",{x}"));
        }
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .and_then(|_| self.file.flush())
            .map_err(|err| format!("{}: {err}", self.path.display()))?;
        self.rows.insert((e.generation, e.particle), e.clone());
        Ok(())
    }
}

/// A model the sampler can run: the distance to the record of the parameter
/// values given (in prior order), and its parts.
pub type Model<'a> = dyn Fn(&[f64]) -> Result<(f64, Vec<f64>), String> + Sync + 'a;

/// Runs ABC-SMC (see the module doc). `progress` is told each generation.
pub fn abc_smc(
    priors: &[SmcPrior],
    opts: &SmcOptions,
    model: &Model,
    journal: &Mutex<dyn Journal>,
    progress: &(dyn Fn(&GenerationLog) + Sync),
) -> Result<SmcResult, String> {
    match abc_smc_part(priors, opts, model, journal, progress, SmcMode::All)? {
        SmcOutcome::Done(r) => Ok(r),
        SmcOutcome::Pending { generation, .. } => Err(format!(
            "abc-smc: generation {generation} left pending by a full run (a bug)"
        )),
    }
}

/// Which of a generation's evaluations this process runs itself.
///
/// Within a generation the evaluations are independent (the prior draws,
/// then one MH proposal per living particle, each a function of the seed and
/// the generations before), so they can be split between processes that
/// share nothing but the journal files: the `k`-th evaluation of a
/// generation (counting the particles that are proposed a move, in index
/// order) belongs to shard `k mod N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmcMode {
    /// Every evaluation: the calibration runs to its end.
    All,
    /// Only this shard's: replays what the journal holds and stops at the
    /// first generation that also needs another shard's evaluations.
    Shard(Shard),
    /// None: replays the journal and stops at the first generation it does
    /// not hold in full.
    Replay,
}

/// How far [`abc_smc_part`] got.
#[derive(Debug, Clone, PartialEq)]
pub enum SmcOutcome {
    /// The calibration is complete.
    Done(SmcResult),
    /// Generation `generation` needs `pending` of its `total` evaluations
    /// that the journal does not hold and this process was not to run;
    /// `log` holds the generations completed before it.
    Pending {
        generation: u32,
        pending: usize,
        total: usize,
        log: Vec<GenerationLog>,
    },
}

/// [`abc_smc`] that runs only the evaluations `mode` gives it; the result,
/// once every shard's evaluations are in the journal, is the full run's bit
/// for bit.
pub fn abc_smc_part(
    priors: &[SmcPrior],
    opts: &SmcOptions,
    model: &Model,
    journal: &Mutex<dyn Journal>,
    progress: &(dyn Fn(&GenerationLog) + Sync),
    mode: SmcMode,
) -> Result<SmcOutcome, String> {
    for p in priors {
        p.validate()?;
    }
    if opts.particles < 2 || !(0.0 < opts.keep && opts.keep < 1.0) {
        return Err("abc-smc needs at least 2 particles and 0 < keep < 1".into());
    }
    let n = opts.particles;
    let dims = priors.len();
    let values = |u: &[f64]| -> Vec<f64> { priors.iter().zip(u).map(|(p, &x)| p.value(x)).collect() };
    let mine = |rank: usize| match mode {
        SmcMode::All => true,
        SmcMode::Shard(s) => s.contains(rank as u64),
        SmcMode::Replay => false,
    };
    // The journal's evaluation, or a new one if it is this process's to run
    // (`rank`: its place among the generation's evaluations), or None.
    let evaluate = |g: u32, i: u32, rank: usize, unit: Vec<f64>| -> Result<Option<Evaluation>, String> {
        if let Some(e) = journal.lock().map_err(|_| "journal lock poisoned")?.lookup(g, i) {
            if e.unit == unit {
                return Ok(Some(e.clone()));
            }
        }
        if !mine(rank) {
            return Ok(None);
        }
        let (distance, parts) = model(&values(&unit))?;
        let e = Evaluation {
            generation: g,
            particle: i,
            unit,
            distance: if distance.is_finite() { distance } else { f64::MAX },
            parts,
        };
        journal.lock().map_err(|_| "journal lock poisoned")?.record(&e)?;
        Ok(Some(e))
    };
    let rng_for = |g: u32, i: u64| Pcg64::seed_from_u64(derive(derive(opts.seed, u64::from(g)), i));

    // Generation 0: the prior.
    let drawn: Vec<Option<Evaluation>> = (0..n as u32)
        .into_par_iter()
        .map(|i| {
            let mut rng = rng_for(0, u64::from(i));
            evaluate(0, i, i as usize, (0..dims).map(|_| rng.random::<f64>()).collect())
        })
        .collect::<Result<_, _>>()?;
    let pending = drawn.iter().filter(|e| e.is_none()).count();
    if pending > 0 {
        return Ok(SmcOutcome::Pending {
            generation: 0,
            pending,
            total: n,
            log: Vec::new(),
        });
    }
    let mut pop: Vec<Evaluation> = drawn.into_iter().flatten().collect();
    let mut w = vec![1.0 / n as f64; n];
    let mut log = vec![GenerationLog {
        generation: 0,
        epsilon: f64::INFINITY,
        ess: n as f64,
        resampled: false,
        acceptance: 1.0,
        evaluations: n,
        best: pop.iter().map(|e| e.distance).fold(f64::INFINITY, f64::min),
    }];
    progress(&log[0]);
    let mut eps = f64::INFINITY;
    for g in 1..=opts.generations as u32 {
        // 1. The new tolerance: the keep-quantile of the living distances.
        let mut alive: Vec<f64> = (0..n).filter(|&i| w[i] > 0.0).map(|i| pop[i].distance).collect();
        alive.sort_by(f64::total_cmp);
        let k = ((alive.len() as f64 * opts.keep).ceil() as usize).clamp(1, alive.len()) - 1;
        eps = alive[k].min(eps);
        // 2. Reweight, resample if the ESS is low.
        for i in 0..n {
            if pop[i].distance > eps {
                w[i] = 0.0;
            }
        }
        let total: f64 = w.iter().sum();
        w.iter_mut().for_each(|x| *x /= total);
        let ess = 1.0 / w.iter().map(|x| x * x).sum::<f64>();
        let resampled = ess < n as f64 / 2.0;
        if resampled {
            let mut rng = rng_for(g, u64::MAX);
            let picks = systematic(&w, n, rng.random::<f64>());
            pop = picks.iter().map(|&j| pop[j].clone()).collect();
            w = vec![1.0 / n as f64; n];
        }
        // 3. Move: one MH step per living particle.
        let sd = kernel_sd(&pop, &w, dims);
        let ranks: Vec<usize> = w
            .iter()
            .scan(0usize, |k, &x| {
                let r = *k;
                if x > 0.0 {
                    *k += 1;
                }
                Some(r)
            })
            .collect();
        let moved: Vec<Option<(Evaluation, bool)>> = (0..n)
            .into_par_iter()
            .map(|i| {
                if w[i] == 0.0 {
                    return Ok(Some((pop[i].clone(), false)));
                }
                let mut rng = rng_for(g, i as u64);
                let unit: Vec<f64> = pop[i]
                    .unit
                    .iter()
                    .zip(&sd)
                    .map(|(&x, &s)| reflect(x + s * normal(&mut rng)))
                    .collect();
                let Some(e) = evaluate(g, i as u32, ranks[i], unit)? else {
                    return Ok(None);
                };
                Ok(Some(if e.distance <= eps {
                    (e, true)
                } else {
                    (pop[i].clone(), false)
                }))
            })
            .collect::<Result<_, String>>()?;
        let tried = w.iter().filter(|&&x| x > 0.0).count();
        let pending = moved.iter().filter(|m| m.is_none()).count();
        if pending > 0 {
            return Ok(SmcOutcome::Pending {
                generation: g,
                pending,
                total: tried,
                log,
            });
        }
        let moved: Vec<(Evaluation, bool)> = moved.into_iter().flatten().collect();
        let accepted = moved.iter().filter(|m| m.1).count();
        pop = moved.into_iter().map(|m| m.0).collect();
        let entry = GenerationLog {
            generation: g,
            epsilon: eps,
            ess,
            resampled,
            acceptance: accepted as f64 / tried.max(1) as f64,
            evaluations: tried,
            best: (0..n)
                .filter(|&i| w[i] > 0.0)
                .map(|i| pop[i].distance)
                .fold(f64::INFINITY, f64::min),
        };
        progress(&entry);
        let stop = entry.acceptance < opts.min_acceptance || eps == 0.0;
        log.push(entry);
        if stop {
            break;
        }
    }
    let particles = pop
        .into_iter()
        .zip(w)
        .map(|(e, weight)| Particle {
            values: values(&e.unit),
            unit: e.unit,
            weight,
            distance: e.distance,
            parts: e.parts,
        })
        .collect();
    Ok(SmcOutcome::Done(SmcResult { particles, log }))
}

/// The final population as a table: `particle`, `weight`, `distance`, one
/// `distance_<part>` column per part, then the parameters (by their keys).
pub fn posterior_batch(
    result: &SmcResult,
    priors: &[SmcPrior],
    part_names: &[String],
) -> Result<arrow_array::RecordBatch, String> {
    use arrow_array::{ArrayRef, Float64Array, Int64Array};
    use arrow_schema::{DataType, Field, Schema};
    use std::sync::Arc;
    let ps = &result.particles;
    let f64_col = |f: &dyn Fn(&Particle) -> f64| -> ArrayRef { Arc::new(ps.iter().map(f).collect::<Float64Array>()) };
    let mut fields = vec![
        Field::new("particle", DataType::Int64, false),
        Field::new("weight", DataType::Float64, false),
        Field::new("distance", DataType::Float64, false),
    ];
    let mut cols: Vec<ArrayRef> = vec![
        Arc::new((0..ps.len() as i64).collect::<Int64Array>()),
        f64_col(&|p| p.weight),
        f64_col(&|p| p.distance),
    ];
    for (j, name) in part_names.iter().enumerate() {
        fields.push(Field::new(format!("distance_{name}"), DataType::Float64, false));
        cols.push(f64_col(&|p| p.parts.get(j).copied().unwrap_or(f64::NAN)));
    }
    for (k, prior) in priors.iter().enumerate() {
        fields.push(Field::new(prior.key.clone(), DataType::Float64, false));
        cols.push(f64_col(&|p| p.values[k]));
    }
    arrow_array::RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).map_err(|e| e.to_string())
}

/// `m` draws of particle indices from a weighted population, for runs that
/// carry the parameters' uncertainty: systematic sampling with one uniform
/// offset drawn from `seed`, so particle i is drawn within one of `m·wᵢ`
/// times (less noise than `m` independent draws) and a zero-weight particle
/// never. Weights need not sum to 1; `None` if none is positive.
pub fn posterior_draws(weights: &[f64], m: usize, seed: u64) -> Option<Vec<usize>> {
    let clean: Vec<f64> = weights
        .iter()
        .map(|&w| if w.is_finite() && w > 0.0 { w } else { 0.0 })
        .collect();
    let total: f64 = clean.iter().sum();
    if total <= 0.0 {
        return None;
    }
    let u = Pcg64::seed_from_u64(derive(seed, 0x5052_4f50)).random::<f64>();
    let w: Vec<f64> = clean.iter().map(|&x| x / total).collect();
    Some(systematic(&w, m, u))
}

/// The weighted marginal posteriors (20 bins over each prior's range, on a
/// log axis position for log priors) and the tolerance path, as SVG.
pub fn marginals_svg(result: &SmcResult, priors: &[SmcPrior], title: &str) -> Result<String, String> {
    use plotters::prelude::*;
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let n = priors.len() + 1;
    let cols = n.min(4);
    let rows = n.div_ceil(cols);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (320 * cols as u32, 260 * rows as u32 + 40)).into_drawing_area();
        root.fill(&WHITE).map_err(|x| e(&x))?;
        let root = root.titled(title, ("sans-serif", 18)).map_err(|x| e(&x))?;
        let panels = root.split_evenly((rows, cols));
        for (k, (prior, area)) in priors.iter().zip(panels.iter()).enumerate() {
            let bins = 20usize;
            let mut mass = vec![0.0f64; bins];
            for p in result.particles.iter().filter(|p| p.weight > 0.0) {
                mass[((p.unit[k] * bins as f64) as usize).min(bins - 1)] += p.weight;
            }
            let top = mass.iter().copied().fold(0.0, f64::max).max(1e-9) * 1.1;
            let (mean, [lo, _, hi]) = result.summary(k);
            let mut chart = ChartBuilder::on(area)
                .margin(8)
                .caption(
                    format!("{} ({}; 90% {}–{})", prior.key, sig3(mean), sig3(lo), sig3(hi)),
                    ("sans-serif", 12),
                )
                .x_label_area_size(30)
                .y_label_area_size(35)
                .build_cartesian_2d(0f64..1f64, 0f64..top)
                .map_err(|x| e(&x))?;
            let fmt = |u: &f64| sig3(prior.value(*u));
            chart
                .configure_mesh()
                .x_labels(3)
                .x_label_formatter(&fmt)
                .x_desc(if prior.log { "value (log scale)" } else { "value" })
                .y_desc("posterior weight")
                .label_style(("sans-serif", 10))
                .draw()
                .map_err(|x| e(&x))?;
            chart
                .draw_series(mass.iter().enumerate().map(|(b, &m)| {
                    let x0 = b as f64 / bins as f64;
                    Rectangle::new(
                        [(x0, 0.0), (x0 + 1.0 / bins as f64, m)],
                        RGBColor(70, 130, 180).filled(),
                    )
                }))
                .map_err(|x| e(&x))?;
        }
        let area = &panels[priors.len()];
        let path: Vec<(f64, f64)> = result
            .log
            .iter()
            .filter(|l| l.epsilon.is_finite())
            .map(|l| (f64::from(l.generation), l.epsilon))
            .collect();
        let gmax = result.log.len().max(2) as f64;
        let emax = path.iter().map(|p| p.1).fold(0.0, f64::max).max(1e-9) * 1.1;
        let mut chart = ChartBuilder::on(area)
            .margin(8)
            .caption("tolerance ε per generation", ("sans-serif", 12))
            .x_label_area_size(30)
            .y_label_area_size(35)
            .build_cartesian_2d(0f64..gmax, 0f64..emax)
            .map_err(|x| e(&x))?;
        chart
            .configure_mesh()
            .x_desc("generation")
            .y_desc("ε (mean miss)")
            .label_style(("sans-serif", 10))
            .draw()
            .map_err(|x| e(&x))?;
        chart
            .draw_series(LineSeries::new(
                path.iter().copied(),
                RGBColor(200, 60, 40).stroke_width(2),
            ))
            .map_err(|x| e(&x))?;
        root.present().map_err(|x| e(&x))?;
    }
    Ok(svg)
}

/// Three significant digits, as a plot label.
fn sig3(x: f64) -> String {
    let a = x.abs();
    if a == 0.0 || !a.is_finite() {
        format!("{x}")
    } else if (0.01..1000.0).contains(&a) {
        let decimals = (2 - a.log10().floor() as i32).max(0) as usize;
        format!("{x:.decimals$}")
    } else {
        format!("{x:.2e}")
    }
}

/// Systematic sampling: `m` indices from weights `w` summing to 1, index j
/// taken within one of `m·wⱼ` times, one offset `u` ∈ [0, 1) for all; a
/// zero-weight index is never taken.
fn systematic(w: &[f64], m: usize, u: f64) -> Vec<usize> {
    let n = w.len();
    let mut out = Vec::with_capacity(m);
    let (mut acc, mut j) = (w[0], 0);
    for k in 0..m {
        let target = (k as f64 + u) / m as f64;
        while (acc < target || w[j] == 0.0) && j + 1 < n {
            j += 1;
            acc += w[j];
        }
        out.push(j);
    }
    out
}

/// The random walk's scale per coordinate: sqrt(2) × the weighted standard
/// deviation of the living particles (Beaumont et al. 2009's twice the
/// variance), at least 0.01 of the range so a collapsed coordinate still moves.
fn kernel_sd(pop: &[Evaluation], w: &[f64], dims: usize) -> Vec<f64> {
    (0..dims)
        .map(|d| {
            let mean: f64 = pop.iter().zip(w).map(|(e, &x)| x * e.unit[d]).sum();
            let var: f64 = pop.iter().zip(w).map(|(e, &x)| x * (e.unit[d] - mean).powi(2)).sum();
            (2.0 * var).sqrt().max(0.01)
        })
        .collect()
}

/// Folds a coordinate back into [0, 1] by reflection at the faces.
fn reflect(mut x: f64) -> f64 {
    for _ in 0..8 {
        if x < 0.0 {
            x = -x;
        } else if x > 1.0 {
            x = 2.0 - x;
        } else {
            return x;
        }
    }
    x.clamp(0.0, 1.0)
}

/// A standard normal draw (Box–Muller; the core keeps no distribution crate).
fn normal(rng: &mut Pcg64) -> f64 {
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    #[test]
    fn posterior_draws_follow_the_weights() {
        let w = [0.0, 0.5, 0.25, 0.25, 0.0];
        let d = posterior_draws(&w, 8, 3).unwrap();
        let count = |i: usize| d.iter().filter(|&&j| j == i).count();
        assert_eq!((count(0), count(1), count(2), count(3), count(4)), (0, 4, 2, 2, 0));
        assert_eq!(d, posterior_draws(&w, 8, 3).unwrap(), "a function of the seed");
        assert!(posterior_draws(&[0.0, 0.0], 4, 1).is_none());
        let one = posterior_draws(&[0.0, 0.0, 2.0], 5, 9).unwrap();
        assert_eq!(one, vec![2; 5]);
    }

    use super::*;

    fn priors() -> Vec<SmcPrior> {
        vec![
            SmcPrior {
                key: "a".into(),
                min: -5.0,
                max: 5.0,
                log: false,
            },
            SmcPrior {
                key: "b".into(),
                min: 0.01,
                max: 100.0,
                log: true,
            },
        ]
    }

    fn opts() -> SmcOptions {
        SmcOptions {
            particles: 200,
            generations: 8,
            keep: 0.5,
            min_acceptance: 0.0,
            seed: 7,
        }
    }

    /// A noisy simulator whose data are centred on a = 1.5, b = 2: the
    /// posterior must concentrate there and the tolerance must fall.
    fn toy(v: &[f64]) -> Result<(f64, Vec<f64>), String> {
        // Deterministic "noise" from the position, as a seeded simulator gives.
        let h = ((v[0] * 1e6).sin() * 43758.5453).fract() * 0.1;
        let d1 = (v[0] - 1.5).abs() + h.abs();
        let d2 = (v[1].log10() - 2f64.log10()).abs();
        Ok((d1 + d2, vec![d1, d2]))
    }

    #[test]
    fn smc_finds_the_toy_posterior_and_shrinks_the_tolerance() {
        let j: Mutex<MemoryJournal> = Mutex::new(MemoryJournal::default());
        let r = abc_smc(&priors(), &opts(), &toy, &j, &|_| {}).unwrap();
        let eps: Vec<f64> = r.log.iter().skip(1).map(|l| l.epsilon).collect();
        assert!(eps.windows(2).all(|w| w[1] <= w[0]), "tolerances fall: {eps:?}");
        assert!(eps.last().unwrap() < &0.4, "{eps:?}");
        let (mean_a, [lo, med, hi]) = r.summary(0);
        assert!((mean_a - 1.5).abs() < 0.3, "a mean {mean_a}");
        assert!(lo < 1.5 && 1.5 < hi && (med - 1.5).abs() < 0.3, "{lo} {med} {hi}");
        let (mean_b, _) = r.summary(1);
        assert!((mean_b - 2.0).abs() < 1.0, "b mean {mean_b}");
        let total: f64 = r.particles.iter().map(|p| p.weight).sum();
        assert!((total - 1.0).abs() < 1e-9);
        assert!(r.log.iter().all(|l| l.ess > 0.0 && l.ess <= 200.0 + 1e-9));
    }

    #[test]
    fn same_seed_same_result_and_a_resumed_run_replays_its_journal() {
        let j1: Mutex<MemoryJournal> = Mutex::new(MemoryJournal::default());
        let a = abc_smc(&priors(), &opts(), &toy, &j1, &|_| {}).unwrap();
        let dir = std::env::temp_dir().join(format!("unrest-smc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("journal.csv");
        let _ = std::fs::remove_file(&path);
        // First a short run (3 generations), as if killed, then the full one on the same journal.
        let short = SmcOptions {
            generations: 3,
            ..opts()
        };
        let first: usize = {
            let j = Mutex::new(CsvJournal::open(&path, "toy", 2, 2).unwrap());
            let s = abc_smc(&priors(), &short, &toy, &j, &|_| {}).unwrap();
            s.log.iter().map(|l| l.evaluations).sum()
        };
        // Tear the last line, as a kill mid-write would.
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, &text[..text.len() - 5]).unwrap();
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let counted = |v: &[f64]| {
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            toy(v)
        };
        let j = Mutex::new(CsvJournal::open(&path, "toy", 2, 2).unwrap());
        let b = abc_smc(&priors(), &opts(), &counted, &j, &|_| {}).unwrap();
        assert_eq!(a, b, "resumed = uninterrupted, bit for bit");
        let evaluations: usize = a.log.iter().map(|l| l.evaluations).sum();
        assert_eq!(
            calls.load(std::sync::atomic::Ordering::Relaxed),
            evaluations - (first - 1),
            "only the torn evaluation and the new generations were run"
        );
        assert!(CsvJournal::open(&path, "another", 2, 2)
            .unwrap_err()
            .contains("another calibration"));
        std::fs::remove_dir_all(&dir).ok();
    }

    /// Shards of every generation, merged after each, give the full run's
    /// result bit for bit; a shard whose file was torn (killed mid-write)
    /// redoes only the torn evaluation; a merge refuses while a shard writes.
    #[test]
    fn sharded_generations_merged_equal_the_full_run() {
        let j: Mutex<MemoryJournal> = Mutex::new(MemoryJournal::default());
        let full = abc_smc(&priors(), &opts(), &toy, &j, &|_| {}).unwrap();
        let dir = std::env::temp_dir().join(format!("unrest-smc-shard-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let main_path = dir.join("journal.csv");
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let counted = |v: &[f64]| {
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            toy(v)
        };
        let run_shard = |s: Shard| {
            let mut j = CsvJournal::open(&shard_journal_path(&dir, s), "toy", 2, 2).unwrap();
            j.preload(CsvJournal::read(&main_path, "toy", 2, 2).unwrap());
            abc_smc_part(&priors(), &opts(), &counted, &Mutex::new(j), &|_| {}, SmcMode::Shard(s)).unwrap()
        };
        let mut rounds = 0;
        let done = loop {
            rounds += 1;
            assert!(rounds < 20, "the sharded calibration never ends");
            // Three shards, except two in the third round (the count may change between generations).
            let count = if rounds == 3 { 2 } else { 3 };
            for index in 0..count {
                let s = Shard { index, count };
                let o = run_shard(s);
                if rounds == 2 && index == 1 {
                    // Killed mid-write: tear the shard's last line, and run it again.
                    let f = shard_journal_path(&dir, s);
                    let text = std::fs::read_to_string(&f).unwrap();
                    std::fs::write(&f, &text[..text.len() - 4]).unwrap();
                    let before = calls.load(std::sync::atomic::Ordering::Relaxed);
                    assert_eq!(run_shard(s), o, "the resumed shard ends where it was");
                    assert_eq!(calls.load(std::sync::atomic::Ordering::Relaxed), before + 1);
                }
                assert!(matches!(o, SmcOutcome::Pending { .. }), "a shard alone cannot finish");
            }
            let mut main = CsvJournal::open(&main_path, "toy", 2, 2).unwrap();
            {
                // A shard still writing its file blocks the merge.
                let _busy =
                    CsvJournal::open(&shard_journal_path(&dir, Shard { index: 0, count: 9 }), "toy", 2, 2).unwrap();
                let e = merge_shard_journals(&dir, &mut main, "toy", 2, 2).unwrap_err();
                assert!(e.contains("still writing"), "{e}");
            }
            let (files, _) = merge_shard_journals(&dir, &mut main, "toy", 2, 2).unwrap();
            assert_eq!(files, count as usize + 1);
            let o = abc_smc_part(&priors(), &opts(), &toy, &Mutex::new(main), &|_| {}, SmcMode::Replay).unwrap();
            if let SmcOutcome::Done(r) = o {
                break r;
            }
        };
        assert_eq!(done, full, "sharded = unsharded, bit for bit");
        let evaluations: usize = full.log.iter().map(|l| l.evaluations).sum();
        assert_eq!(calls.load(std::sync::atomic::Ordering::Relaxed), evaluations + 1);
        assert_eq!(rounds, full.log.len(), "one round of shards a generation");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn thread_count_does_not_change_the_result() {
        let run = |threads| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                let j: Mutex<MemoryJournal> = Mutex::new(MemoryJournal::default());
                abc_smc(&priors(), &opts(), &toy, &j, &|_| {}).unwrap()
            })
        };
        assert_eq!(run(1), run(3));
    }

    #[test]
    fn helpers() {
        assert_eq!(systematic(&[0.5, 0.0, 0.5], 3, 0.5), vec![0, 0, 2]);
        assert_eq!(reflect(-0.2), 0.2);
        assert_eq!(reflect(1.25), 0.75);
        let p = &priors()[1];
        assert!((p.value(0.5) - 1.0).abs() < 1e-12);
        assert!(SmcPrior {
            log: true,
            min: 0.0,
            ..p.clone()
        }
        .validate()
        .is_err());
    }
}

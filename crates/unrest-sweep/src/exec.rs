//! Running a plan: in parallel, resumable, shardable.
//!
//! Finished runs go to a journal, `OUT/.journal[.shard-I-of-N]/`, as small
//! Parquet part files, each written under a temporary name and renamed into
//! place once complete. A sweep killed at any moment (even `kill -9`) leaves
//! only whole part files; run again with the same spec and `--out`, it reads
//! the journal, skips the runs found there and does the rest. At the end the
//! parts are compacted, sorted by run index, into `runs.parquet` (written
//! atomically), and the journal is removed. Because each run's seed depends
//! only on the sweep seed and its index, the final file is the same, byte for
//! byte, however often the sweep was interrupted, on however many threads.
//!
//! Only runs that finished in the instant before a kill — results handed to
//! the journal writer but not yet renamed into place — are lost and redone.
//!
//! One process at a time writes a sweep (or shard) into a directory: it holds
//! an exclusive lock on `OUT/.sweep[.shard-I-of-N].lock` (an advisory `flock`,
//! released by the kernel when the process ends, however it ends), so a second
//! `unrest sweep` into the same `--out` is refused with the first one's pid.
//! Each part carries the sweep's identity (spec hash, seed, total runs,
//! shard) in its metadata; on resume a part that cannot be read, or is of
//! another sweep, or holds rows that are not this sweep's runs, is moved to
//! `OUT/journal-set-aside[.shard-I-of-N]/` (never deleted) and its runs are
//! redone.

use crate::spec::{Plan, RunId};
use crate::table::{self, RunRow};
use crate::{Kind, MetricDef, RunOutput, Runner, Series, Value};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Metadata keys of the result files.
pub const META_HASH: &str = "unrest.sweep.spec_hash";
pub const META_TOTAL: &str = "unrest.sweep.total_runs";
pub const META_TABLE: &str = "unrest.sweep.table";
pub const META_SHARD: &str = "unrest.sweep.shard";

/// Shortest interval between two journal writes: bounds the number of part
/// files when runs take microseconds, and is short enough that a kill loses
/// little.
const MIN_FLUSH_INTERVAL: Duration = Duration::from_millis(100);

/// `--shard I/N`: the runs whose index ≡ I (mod N).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// Parses `I/N` with `0 <= I < N`.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let bad = || format!("--shard {s:?}: expected I/N with 0 <= I < N, e.g. --shard 0/4");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (u64, u64) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    pub fn contains(&self, run: u64) -> bool {
        run % self.count == self.index
    }

    /// The file-name tag, `shard-I-of-N`.
    pub fn tag(&self) -> String {
        format!("shard-{}-of-{}", self.index, self.count)
    }
}

/// How to run a sweep.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// Directory for results and the journal.
    pub out: PathBuf,
    /// Worker threads (default: all cores).
    pub jobs: Option<usize>,
    pub shard: Option<Shard>,
    /// Also write the runs as CSV.
    pub csv: bool,
    /// Show a progress bar (it is hidden anyway when stderr is not a terminal).
    pub progress: bool,
    /// Set from elsewhere (the Python package's Ctrl-C) to stop: no new run
    /// starts, the runs finished so far are journalled, and the sweep returns
    /// [`INTERRUPTED`] without writing its result files; it resumes later.
    pub cancel: Option<Arc<AtomicBool>>,
}

/// The error of a sweep stopped by [`SweepOptions::cancel`].
pub const INTERRUPTED: &str = "interrupted";

/// What a sweep did.
#[derive(Debug, Clone)]
pub struct SweepReport {
    pub runs_file: PathBuf,
    pub series_file: Option<PathBuf>,
    pub csv_file: Option<PathBuf>,
    /// Runs in this sweep (or shard).
    pub runs: u64,
    /// Runs found already done in the journal.
    pub resumed: u64,
    /// Runs done by this invocation.
    pub ran: u64,
    /// The results were already complete; nothing was run.
    pub already_complete: bool,
    /// Journal parts that were not used, where they were moved, and why.
    pub set_aside: Vec<(PathBuf, String)>,
    pub wall_seconds: f64,
}

/// The result file names in `out` (with the shard tag when sharded).
pub fn file_names(out: &Path, shard: Option<Shard>) -> (PathBuf, PathBuf, PathBuf, PathBuf) {
    let suffix = shard.map_or(String::new(), |s| format!(".{}", s.tag()));
    (
        out.join(format!("runs{suffix}.parquet")),
        out.join(format!("series{suffix}.parquet")),
        out.join(format!("runs{suffix}.csv")),
        out.join(format!(".journal{suffix}")),
    )
}

/// The metrics to keep: the spec's selection, in its order, or all.
pub fn select_metrics(plan: &Plan, available: &[MetricDef]) -> Result<Vec<MetricDef>, String> {
    if plan.spec.metrics.is_empty() {
        return Ok(available.to_vec());
    }
    plan.spec
        .metrics
        .iter()
        .map(|m| {
            available.iter().find(|d| &d.name == m).cloned().ok_or_else(|| {
                let loc = plan.spec.locate(&["metrics"]);
                unrest_scenario::ScenarioError::at(
                    loc,
                    format!(
                        "unknown metric `{m}`; runs of {} report: {}",
                        plan.spec.scenario,
                        available.iter().map(|d| d.name.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                )
                .to_string()
            })
        })
        .collect()
}

/// The metadata of a result file of this plan, in a fixed order; the shard
/// entry comes last so that merging drops it and nothing else moves.
pub fn file_meta(plan: &Plan, table_name: &str, shard: Option<Shard>) -> Vec<(String, String)> {
    let mut m = vec![
        (META_TABLE.to_string(), table_name.to_string()),
        (META_HASH.to_string(), plan.hash.clone()),
        (META_TOTAL.to_string(), plan.total_runs().to_string()),
        (
            "unrest.sweep.scenario".to_string(),
            plan.spec.scenario_as_written.clone(),
        ),
        ("unrest.sweep.seed".to_string(), plan.spec.seed.to_string()),
        ("unrest.sweep.replicates".to_string(), plan.spec.replicates.to_string()),
        ("unrest.sweep.params".to_string(), plan.params.join(",")),
        ("unrest.sweep.spec".to_string(), plan.spec.text.clone()),
        ("unrest.version".to_string(), env!("CARGO_PKG_VERSION").to_string()),
    ];
    if let Some(s) = shard {
        m.push((META_SHARD.to_string(), format!("{}/{}", s.index, s.count)));
    }
    m
}

/// Runs the plan (or its shard), resuming from the journal in `opts.out`.
pub fn run_sweep(plan: &Plan, runner: &dyn Runner, opts: &SweepOptions) -> Result<SweepReport, String> {
    let started = Instant::now();
    let base = plan.spec.scenario.as_str();
    let available = runner.metrics(base).map_err(|e| {
        // A scenario that cannot be found or read has no place of its own:
        // the spec's `scenario` key is the place.
        if e.starts_with("unknown scenario") || e.starts_with("cannot read scenario file") {
            unrest_scenario::ScenarioError::at(plan.spec.locate(&["scenario"]), e).to_string()
        } else {
            e
        }
    })?;
    let metrics = select_metrics(plan, &available)?;
    let schema = table::runs_schema(
        &plan
            .params
            .iter()
            .cloned()
            .zip(plan.kinds.iter().copied())
            .collect::<Vec<_>>(),
        &metrics.iter().map(|d| (d.name.clone(), d.kind)).collect::<Vec<_>>(),
    );
    let (runs_file, series_file, csv_file, journal) = file_names(&opts.out, opts.shard);
    let mine: Vec<u64> = (0..plan.total_runs())
        .filter(|i| opts.shard.is_none_or(|s| s.contains(*i)))
        .collect();
    let mut report = SweepReport {
        runs_file: runs_file.clone(),
        series_file: plan.spec.keep_series.then(|| series_file.clone()),
        csv_file: opts.csv.then(|| csv_file.clone()),
        runs: mine.len() as u64,
        resumed: 0,
        ran: 0,
        already_complete: false,
        set_aside: Vec::new(),
        wall_seconds: 0.0,
    };

    // Finished already: answered without the lock or the point checks (and
    // asked again under the lock, in case another process just finished it).
    let complete = |write_csv: bool| -> Result<bool, String> {
        if !runs_file.exists() || journal.exists() {
            return Ok(false);
        }
        let done = table::read_parquet(&runs_file)?;
        if done.meta(META_HASH) != Some(plan.hash.as_str()) {
            return Err(format!(
                "{} holds the results of a different sweep (spec hash {} here, {} in the file); choose another --out or remove it",
                runs_file.display(),
                plan.hash,
                done.meta(META_HASH).unwrap_or("none")
            ));
        }
        if opts.csv && !csv_file.exists() {
            if !write_csv {
                return Ok(false);
            }
            table::write_atomic(&csv_file, &table::to_csv(&done.batch)?)?;
        }
        Ok(true)
    };
    let finish_complete = |mut report: SweepReport| {
        report.already_complete = true;
        report.resumed = report.runs;
        report
    };
    if complete(false)? {
        return Ok(finish_complete(report));
    }

    // Every point is checked before any run, so a bad value stops the sweep
    // at once with the point named, not hours later.
    for p in 0..plan.points.len() as u64 {
        runner
            .check(base, &plan.overrides(p))
            .map_err(|e| point_error(plan, p, &e))?;
    }

    let _lock = lock_out(&opts.out, opts.shard)?;
    if complete(true)? {
        return Ok(finish_complete(report));
    }
    remove_stale_temporaries(&[&runs_file, &series_file, &csv_file]);
    let journal_state = Journal::open(&journal, plan, opts.shard, &schema, &opts.out)?;
    report.set_aside = journal_state.set_aside.clone();
    let done = &journal_state.done;
    let pending: Vec<u64> = mine.iter().copied().filter(|i| !done.contains(i)).collect();
    report.resumed = report.runs - pending.len() as u64;

    let bar = progress_bar(report.runs, report.resumed, opts.progress);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.unwrap_or(0))
        .build()
        .map_err(|e| format!("cannot start worker threads: {e}"))?;
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<(RunId, Result<RunOutput, String>)>();
    let mut journal_state = journal_state;
    let outcome: Result<(), String> = std::thread::scope(|scope| {
        let stop = &stop;
        let pending = &pending;
        let pool = &pool;
        let cancel = opts.cancel.as_deref();
        scope.spawn(move || {
            pool.install(|| {
                pending.par_iter().for_each_with(tx, |tx, &i| {
                    if stop.load(Ordering::Relaxed) || cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                        return;
                    }
                    let id = plan.run_id(i);
                    let out = runner.run(base, &plan.overrides(id.point), id.seed, plan.spec.keep_series);
                    let _ = tx.send((id, out));
                });
            });
        });
        let mut first_error: Option<String> = None;
        let mut last_flush = Instant::now() - MIN_FLUSH_INTERVAL;
        while let Ok(first) = rx.recv() {
            let wait = MIN_FLUSH_INTERVAL.saturating_sub(last_flush.elapsed());
            let deadline = Instant::now() + wait;
            let mut batch = vec![first];
            while let Ok(more) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                batch.push(more);
            }
            let mut rows = Vec::with_capacity(batch.len());
            let mut series = Vec::new();
            for (id, out) in batch {
                match out.and_then(|o| row_of(plan, &metrics, id, o)) {
                    Ok((row, s)) => {
                        rows.push(row);
                        if let Some(s) = s {
                            series.push((id.index, s));
                        }
                    }
                    Err(e) => {
                        if first_error.is_none() {
                            first_error = Some(format!("run {} ({}): {e}", id.index, describe(plan, id.point)));
                        }
                        stop.store(true, Ordering::Relaxed);
                    }
                }
            }
            if !rows.is_empty() {
                if let Err(e) = journal_state.append(&schema, &rows, &series) {
                    first_error.get_or_insert(e);
                    stop.store(true, Ordering::Relaxed);
                    continue;
                }
                report.ran += rows.len() as u64;
                bar.inc(rows.len() as u64);
            }
            last_flush = Instant::now();
        }
        first_error.map_or(Ok(()), Err)
    });
    bar.finish_and_clear();
    outcome?;
    if report.resumed + report.ran < report.runs {
        // Only a cancel leaves runs undone without an error.
        return Err(INTERRUPTED.to_string());
    }

    journal_state.compact(&schema, plan, opts.shard, &mine, &runs_file, &series_file)?;
    if opts.csv {
        let f = table::read_parquet(&runs_file)?;
        table::write_atomic(&csv_file, &table::to_csv(&f.batch)?)?;
    }
    std::fs::remove_dir_all(&journal).map_err(|e| format!("cannot remove {}: {e}", journal.display()))?;
    report.wall_seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// A point that does not make a valid model: the runner's message, placed
/// at the spec key it blames (a `--set KEY=` in the message), if any.
pub fn point_error(plan: &Plan, point: u64, e: &str) -> String {
    let msg = format!("point {point} ({}): {e}", describe(plan, point));
    let blamed = plan
        .spec
        .set
        .iter()
        .map(|(k, _)| k)
        .chain(&plan.params)
        .find(|k| e.contains(&format!("--set {k}=")));
    match blamed {
        Some(k) => unrest_scenario::ScenarioError::at(plan.spec.key_location(k), msg).to_string(),
        None => msg,
    }
}

/// `legitimacy=0.7, cop_density=0.04`: a point for messages.
pub fn describe(plan: &Plan, point: u64) -> String {
    plan.params
        .iter()
        .zip(&plan.points[point as usize])
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn row_of(plan: &Plan, metrics: &[MetricDef], id: RunId, out: RunOutput) -> Result<(RunRow, Option<Series>), String> {
    let mut values = Vec::with_capacity(metrics.len());
    for d in metrics {
        let v = out
            .metrics
            .iter()
            .find(|(n, _)| *n == d.name)
            .map(|(_, v)| v.clone())
            .unwrap_or(Value::Null);
        match (v.kind(), d.kind) {
            (None, _) => {}
            (Some(k), want) if k == want || (k == Kind::I64 && want == Kind::F64) => {}
            (Some(k), want) => {
                return Err(format!(
                    "metric `{}` is {k:?}, declared {want:?} (a bug in the runner)",
                    d.name
                ))
            }
        }
        values.push(v);
    }
    let row = RunRow {
        id,
        params: plan.points[id.point as usize].clone(),
        metrics: values,
    };
    Ok((row, if plan.spec.keep_series { out.series } else { None }))
}

fn progress_bar(total: u64, done: u64, wanted: bool) -> ProgressBar {
    let target = if wanted && std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(total), target);
    if let Ok(style) =
        ProgressStyle::with_template("{elapsed_precise} [{wide_bar}] {pos}/{len} runs  {per_sec}  ETA {eta}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_position(done);
    bar.reset_eta();
    bar
}

/// The journal directory of an unfinished sweep.
struct Journal {
    dir: PathBuf,
    next_part: u64,
    /// The identity every part of this sweep carries (see [`part_meta`]).
    meta: Vec<(String, String)>,
    /// Runs found in the parts kept.
    done: std::collections::HashSet<u64>,
    set_aside: Vec<(PathBuf, String)>,
}

const MANIFEST: &str = "sweep.json";

/// The metadata of a journal part: what it must match to be resumed from.
fn part_meta(plan: &Plan, shard: Option<Shard>) -> Vec<(String, String)> {
    vec![
        (META_HASH.to_string(), plan.hash.clone()),
        ("unrest.sweep.seed".to_string(), plan.spec.seed.to_string()),
        (META_TOTAL.to_string(), plan.total_runs().to_string()),
        (
            META_SHARD.to_string(),
            shard.map_or("all".to_string(), |s| format!("{}/{}", s.index, s.count)),
        ),
    ]
}

impl Journal {
    /// Opens (or starts) the journal, refusing one of a different sweep;
    /// removes what a kill can leave behind (temporaries, series parts whose
    /// runs part — written last, it marks a part as complete — is missing);
    /// and sets aside, into `out/journal-set-aside…/`, every part that is not
    /// whole and of this sweep. The caller holds the lock.
    fn open(
        dir: &Path,
        plan: &Plan,
        shard: Option<Shard>,
        schema: &arrow_schema::SchemaRef,
        out: &Path,
    ) -> Result<Journal, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let manifest = dir.join(MANIFEST);
        let want = serde_json::json!({
            "spec_hash": plan.hash,
            "total_runs": plan.total_runs(),
            "shard": shard.map(|s| format!("{}/{}", s.index, s.count)),
        })
        .to_string();
        match std::fs::read_to_string(&manifest) {
            Ok(have) if have == want => {}
            Ok(have) => {
                return Err(format!(
                    "{} holds an unfinished sweep of a different spec ({have}); finish it with its own spec, choose another --out, or remove the directory",
                    dir.display()
                ))
            }
            Err(_) => table::write_atomic(&manifest, want.as_bytes())?,
        }
        let meta = part_meta(plan, shard);
        let suffix = shard.map_or(String::new(), |s| format!(".{}", s.tag()));
        let aside_dir = out.join(format!("journal-set-aside{suffix}"));
        let mut journal = Journal {
            dir: dir.to_path_buf(),
            next_part: 0,
            meta,
            done: std::collections::HashSet::new(),
            set_aside: Vec::new(),
        };
        let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let mut files: Vec<String> = entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().to_string())
            .collect();
        files.sort();
        let mut runs_parts = Vec::new();
        for f in &files {
            if f.ends_with(".tmp") {
                let _ = std::fs::remove_file(dir.join(f));
            } else if let Some(n) = part_number(f, "runs-") {
                journal.next_part = journal.next_part.max(n + 1);
                match journal.check_runs_part(&dir.join(f), plan, shard, schema) {
                    Ok(runs) => {
                        journal.done.extend(runs);
                        runs_parts.push(n);
                    }
                    Err(why) => journal.put_aside(&dir.join(f), &aside_dir, why)?,
                }
            }
        }
        for f in &files {
            if let Some(n) = part_number(f, "series-") {
                journal.next_part = journal.next_part.max(n + 1);
                if !runs_parts.contains(&n) {
                    let _ = std::fs::remove_file(dir.join(f));
                } else if let Err(why) = journal.check_series_part(&dir.join(f)) {
                    // Its runs are redone: the runs part goes too.
                    journal.put_aside(&dir.join(f), &aside_dir, why.clone())?;
                    let runs_part = dir.join(format!("runs-{n:08}.parquet"));
                    if let Ok(f) = table::read_parquet(&runs_part) {
                        if let Ok(runs) = table::run_column(&f.batch) {
                            for r in runs.values() {
                                journal.done.remove(&(*r as u64));
                            }
                        }
                    }
                    journal.put_aside(&runs_part, &aside_dir, format!("its series part: {why}"))?;
                }
            }
        }
        Ok(journal)
    }

    /// The runs of a runs part, if it is whole and of this sweep: its
    /// identity, its columns, and every row's run, point and seed as the plan
    /// makes them.
    fn check_runs_part(
        &self,
        path: &Path,
        plan: &Plan,
        shard: Option<Shard>,
        schema: &arrow_schema::SchemaRef,
    ) -> Result<Vec<u64>, String> {
        let f = table::read_parquet(path)?;
        self.check_identity(&f)?;
        if f.batch.schema().fields() != schema.fields() {
            return Err("its columns are not this sweep's".into());
        }
        let runs = table::run_column(&f.batch)?;
        let column = |name: &str| f.batch.column_by_name(name).map(|c| c.as_any());
        let points = column("point").and_then(|c| c.downcast_ref::<arrow_array::Int64Array>());
        let seeds = column("seed").and_then(|c| c.downcast_ref::<arrow_array::UInt64Array>());
        let (Some(points), Some(seeds)) = (points, seeds) else {
            return Err("it lacks the point and seed columns".into());
        };
        let mut out = Vec::with_capacity(runs.len());
        for i in 0..runs.len() {
            let run = runs.value(i);
            let ok = run >= 0 && (run as u64) < plan.total_runs() && shard.is_none_or(|s| s.contains(run as u64)) && {
                let id = plan.run_id(run as u64);
                points.value(i) == id.point as i64 && seeds.value(i) == id.seed
            };
            if !ok {
                return Err(format!("its row {i} (run {run}) is not a run of this sweep"));
            }
            out.push(run as u64);
        }
        Ok(out)
    }

    fn check_series_part(&self, path: &Path) -> Result<(), String> {
        self.check_identity(&table::read_parquet(path)?)
    }

    fn check_identity(&self, f: &table::ParquetFile) -> Result<(), String> {
        for (k, v) in &self.meta {
            let have = f.meta(k);
            if have != Some(v.as_str()) {
                return Err(format!(
                    "it belongs to another sweep ({k} is {}, this sweep's is {v})",
                    have.unwrap_or("missing")
                ));
            }
        }
        Ok(())
    }

    /// Moves a part out of the journal (keeping it, under a free name).
    fn put_aside(&mut self, part: &Path, aside_dir: &Path, why: String) -> Result<(), String> {
        if !part.exists() {
            return Ok(());
        }
        std::fs::create_dir_all(aside_dir).map_err(|e| format!("cannot create {}: {e}", aside_dir.display()))?;
        let name = part
            .file_name()
            .map_or("part".into(), |n| n.to_string_lossy().to_string());
        let mut dest = aside_dir.join(&name);
        let mut k = 1;
        while dest.exists() {
            dest = aside_dir.join(format!("{name}.{k}"));
            k += 1;
        }
        std::fs::rename(part, &dest)
            .map_err(|e| format!("cannot move {} to {}: {e}", part.display(), dest.display()))?;
        self.set_aside.push((dest, format!("{}: {why}", part.display())));
        Ok(())
    }

    fn parts(&self, prefix: &str) -> Result<Vec<PathBuf>, String> {
        let mut parts: Vec<(u64, PathBuf)> = std::fs::read_dir(&self.dir)
            .map_err(|e| format!("cannot read {}: {e}", self.dir.display()))?
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().to_string();
                part_number(&name, prefix).map(|n| (n, e.path()))
            })
            .collect();
        parts.sort();
        Ok(parts.into_iter().map(|(_, p)| p).collect())
    }

    /// Writes one part: the series first, then the runs, whose rename is the
    /// moment these runs count as done.
    fn append(
        &mut self,
        schema: &arrow_schema::SchemaRef,
        rows: &[RunRow],
        series: &[(u64, Series)],
    ) -> Result<(), String> {
        let n = self.next_part;
        self.next_part += 1;
        if !series.is_empty() {
            let refs: Vec<(u64, &Series)> = series.iter().map(|(r, s)| (*r, s)).collect();
            let batch = table::series_batch(&refs)?;
            table::write_parquet(&self.dir.join(format!("series-{n:08}.parquet")), &batch, &self.meta)?;
        }
        let batch = table::runs_batch(schema, rows)?;
        table::write_parquet(&self.dir.join(format!("runs-{n:08}.parquet")), &batch, &self.meta)
    }

    /// Joins the parts into the final files, after checking every run of the
    /// sweep (or shard) is there exactly once.
    fn compact(
        &self,
        schema: &arrow_schema::SchemaRef,
        plan: &Plan,
        shard: Option<Shard>,
        mine: &[u64],
        runs_file: &Path,
        series_file: &Path,
    ) -> Result<(), String> {
        let batches: Vec<_> = self
            .parts("runs-")?
            .iter()
            .map(|p| table::read_parquet(p).map(|f| f.batch))
            .collect::<Result<_, _>>()?;
        let runs = table::concat_by_run(schema, &batches, true)?;
        let have: Vec<u64> = table::run_column(&runs)?.values().iter().map(|&r| r as u64).collect();
        if have != mine {
            return Err(format!(
                "journal in {} is inconsistent: {} runs found, {} expected; run the same command again: the runs found are kept and the others redone",
                self.dir.display(),
                have.len(),
                mine.len()
            ));
        }
        if plan.spec.keep_series {
            let parts: Vec<_> = self
                .parts("series-")?
                .iter()
                .map(|p| table::read_parquet(p).map(|f| f.batch))
                .collect::<Result<_, _>>()?;
            if let Some(first) = parts.first() {
                let schema = first.schema();
                let all = table::concat_by_run(&schema, &parts, false)?;
                // A run journalled twice (killed between its two renames is
                // impossible, but a rerun of a part is not) keeps one copy.
                let all = dedupe_series(all)?;
                table::write_parquet(series_file, &all, &file_meta(plan, "series", shard))?;
            }
        }
        table::write_parquet(runs_file, &runs, &file_meta(plan, "runs", shard))
    }
}

/// Keeps, for each run, only the rows of its first journalled copy: the
/// series rows of one run are contiguous after sorting, one copy per part.
fn dedupe_series(batch: arrow_array::RecordBatch) -> Result<arrow_array::RecordBatch, String> {
    let runs = table::run_column(&batch)?;
    let steps: Option<&arrow_array::Int64Array> = batch
        .columns()
        .get(1)
        .and_then(|c| c.as_any().downcast_ref::<arrow_array::Int64Array>());
    let Some(steps) = steps else { return Ok(batch) };
    let mut keep = Vec::with_capacity(batch.num_rows());
    let mut seen: std::collections::HashSet<(i64, i64)> = std::collections::HashSet::new();
    for i in 0..batch.num_rows() {
        if seen.insert((runs.value(i), steps.value(i))) {
            keep.push(i as u32);
        }
    }
    if keep.len() == batch.num_rows() {
        return Ok(batch);
    }
    arrow_select::take::take_record_batch(&batch, &arrow_array::UInt32Array::from(keep)).map_err(|e| e.to_string())
}

fn part_number(name: &str, prefix: &str) -> Option<u64> {
    name.strip_prefix(prefix)?.strip_suffix(".parquet")?.parse().ok()
}

/// Takes the exclusive lock on this sweep's (or shard's) output, so that one
/// process at a time writes it; the kernel releases it when the process ends,
/// even by `kill -9`, so there is never a stale lock to remove.
fn lock_out(out: &Path, shard: Option<Shard>) -> Result<std::fs::File, String> {
    use std::io::{Read, Seek, Write};
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let suffix = shard.map_or(String::new(), |s| format!(".{}", s.tag()));
    let path = out.join(format!(".sweep{suffix}.lock"));
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    match f.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = f.read_to_string(&mut pid);
            let who = match pid.trim() {
                "" => "another unrest sweep".to_string(),
                p => format!("another unrest sweep (pid {p})"),
            };
            return Err(format!(
                "{who} is writing {}{}; wait for it to finish, or choose another --out",
                out.display(),
                shard.map_or(String::new(), |s| format!(" (shard {}/{})", s.index, s.count))
            ));
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(format!("cannot lock {}: {e}", path.display()));
        }
    }
    let _ = f.set_len(0);
    let _ = f.rewind();
    let _ = write!(f, "{}", std::process::id());
    Ok(f)
}

/// Removes the temporaries that a killed process left beside the result
/// files (`.runs.parquet.PID.tmp`). The caller holds the lock, so no live
/// process is writing them.
fn remove_stale_temporaries(files: &[&Path]) {
    for file in files {
        let (Some(dir), Some(name)) = (file.parent(), file.file_name().and_then(|n| n.to_str())) else {
            continue;
        };
        let prefix = format!(".{name}.");
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        for e in entries.flatten() {
            let n = e.file_name().to_string_lossy().to_string();
            if let Some(pid) = n.strip_prefix(&prefix).and_then(|r| r.strip_suffix(".tmp")) {
                if pid.parse::<u32>().is_ok() {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }
}

//! sbatch scripts for Slurm job arrays. A sweep: task `I` of `N` runs
//! `unrest sweep SPEC --shard I/N` and writes its own part file into the
//! shared output directory; `unrest merge` joins the parts afterwards. A
//! calibration (`unrest calibrate --plan`): one array job a generation, task
//! `I` running `--shard I/N` into its own journal file, each followed by a
//! merge job (`--merge`) that the next generation's array depends on.
//! unrest does not schedule anything itself: Slurm does.

use std::path::Path;

/// Options of the generated script.
#[derive(Debug, Clone)]
pub struct SlurmJob<'a> {
    /// Path of the `unrest` binary as the compute nodes see it.
    pub binary: &'a Path,
    pub spec: &'a Path,
    pub out: &'a Path,
    pub tasks: u64,
    /// Threads per task (`--cpus-per-task` and `--jobs`).
    pub cpus_per_task: u32,
    pub job_name: &'a str,
}

/// Quotes a word for POSIX sh.
pub fn sh(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@%+,".contains(c))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// One sbatch job: `comment` (lines, without their `# `), then the
/// directives, then `exec command`. With `array: Some(N)` it is an array of
/// N tasks (the command may use `${SLURM_ARRAY_TASK_ID}`).
struct Batch<'a> {
    comment: &'a str,
    job_name: &'a str,
    array: Option<u64>,
    cpus_per_task: u32,
    log_dir: &'a str,
    extra: &'a [String],
    command: String,
}

fn batch_script(b: &Batch) -> String {
    let mut s = String::from("#!/bin/bash\n");
    for line in b.comment.lines() {
        s.push_str(&format!("# {line}\n").replace("# \n", "#\n"));
    }
    s.push_str(&format!("#SBATCH --job-name={}\n", sh(b.job_name)));
    let log = match b.array {
        Some(n) => {
            s.push_str(&format!("#SBATCH --array=0-{}\n", n.saturating_sub(1)));
            "slurm-%A_%a.log"
        }
        None => "slurm-%j.log",
    };
    s.push_str(&format!("#SBATCH --cpus-per-task={}\n", b.cpus_per_task));
    s.push_str(&format!("#SBATCH --output={}/{log}\n", b.log_dir));
    for x in b.extra {
        s.push_str(&format!("#SBATCH {x}\n"));
    }
    s.push_str("set -euo pipefail\n");
    s.push_str(&format!("exec {}\n", b.command));
    s
}

/// The sbatch script's text.
pub fn sbatch_script(job: &SlurmJob) -> String {
    let bin = sh(&job.binary.display().to_string());
    let spec = sh(&job.spec.display().to_string());
    let out = sh(&job.out.display().to_string());
    let n = job.tasks;
    batch_script(&Batch {
        comment: &format!(
            "Written by `unrest sweep --slurm`: a job array of {n} tasks; task I runs the\n\
sweep's runs with index % {n} == I and writes {out}/runs.shard-I-of-{n}.parquet.\n\
Submit:  sbatch {out}/sweep.sbatch\n\
Then:    {bin} merge {out}/runs.shard-*-of-{n}.parquet --out {out}/runs.parquet\n\
A task that is killed or preempted resumes from its journal when resubmitted\n\
(sbatch --array=I {out}/sweep.sbatch)."
        ),
        job_name: job.job_name,
        array: Some(n),
        cpus_per_task: job.cpus_per_task,
        log_dir: &out,
        extra: &[],
        command: format!(
            "{bin} sweep {spec} --out {out} --shard \"${{SLURM_ARRAY_TASK_ID}}/{n}\" --jobs \"${{SLURM_CPUS_PER_TASK:-{cpus}}}\"",
            cpus = job.cpus_per_task
        ),
    })
}

/// Options of a sharded calibration's scripts.
#[derive(Debug, Clone)]
pub struct CalibrateJob<'a> {
    /// Path of the `unrest` binary as the compute nodes see it.
    pub binary: &'a Path,
    pub plan: &'a Path,
    pub out: &'a Path,
    /// `--write-model` for the merge that completes the calibration.
    pub write_model: Option<&'a Path>,
    pub tasks: u64,
    /// Threads per array task (`--cpus-per-task` and `--jobs`).
    pub cpus_per_task: u32,
    /// Rounds to submit: the prior generation and each later one.
    pub generations: u64,
    pub job_name: &'a str,
}

impl CalibrateJob<'_> {
    fn base(&self) -> String {
        format!(
            "{} calibrate --plan {} --out {}",
            sh(&self.binary.display().to_string()),
            sh(&self.plan.display().to_string()),
            sh(&self.out.display().to_string())
        )
    }
}

/// The array job of one generation: task I runs `--shard I/N`.
pub fn calibrate_array_script(job: &CalibrateJob) -> String {
    let (n, out) = (job.tasks, sh(&job.out.display().to_string()));
    batch_script(&Batch {
        comment: &format!(
            "Written by `unrest calibrate --slurm`: one generation of the ABC-SMC as a job\n\
array of {n} tasks; task I runs the generation's pending evaluations k with\n\
k % {n} == I into {out}/journal.shard-I-of-{n}.csv. calibrate-merge.sbatch then\n\
merges them; calibrate-submit.sh chains the generations. A task that is killed\n\
resumes from its journal when resubmitted (sbatch --array=I {out}/calibrate.sbatch)."
        ),
        job_name: job.job_name,
        array: Some(n),
        cpus_per_task: job.cpus_per_task,
        log_dir: &out,
        extra: &[],
        command: format!(
            "{} --shard \"${{SLURM_ARRAY_TASK_ID}}/{n}\" --jobs \"${{SLURM_CPUS_PER_TASK:-{}}}\"",
            job.base(),
            job.cpus_per_task
        ),
    })
}

/// The merge job after each generation's array.
pub fn calibrate_merge_script(job: &CalibrateJob) -> String {
    let out = sh(&job.out.display().to_string());
    let model = job.write_model.map_or(String::new(), |m| {
        format!(" --write-model {}", sh(&m.display().to_string()))
    });
    batch_script(&Batch {
        comment: &format!(
            "Written by `unrest calibrate --slurm`: merges the shard journals of a\n\
generation into {out}/journal.csv; once the calibration is complete it writes\n\
the posterior, generations.csv and the figures."
        ),
        job_name: &format!("{}-merge", job.job_name),
        array: None,
        cpus_per_task: 1,
        log_dir: &out,
        extra: &[],
        command: format!("{} --merge --jobs 1{model}", job.base()),
    })
}

/// The script that submits every round: generation g's array depends on
/// the merge of g − 1, its merge on the array (`afterok`; a failed task
/// cancels the rest with `--kill-on-invalid-dep`). Rounds after an early
/// stop find nothing to run and end at once. `--wait` as its argument
/// makes the last merge's `sbatch` wait for it.
pub fn calibrate_submit_script(job: &CalibrateJob) -> String {
    let out = sh(&job.out.display().to_string());
    let g = job.generations;
    format!(
        "#!/bin/sh\n\
# Written by `unrest calibrate --slurm`: submits {g} rounds (the prior\n\
# generation and {later} more), each an array of {n} shard tasks and a merge\n\
# job. Resubmitting after a failure resumes from the journals.\n\
# Usage: sh {out}/calibrate-submit.sh [--wait]\n\
set -eu\n\
dep=\"\"\n\
last=\"\"\n\
i=0\n\
while [ \"$i\" -lt {g} ]; do\n\
  a=$(sbatch --parsable --kill-on-invalid-dep=yes $dep {out}/calibrate.sbatch)\n\
  a=${{a%%;*}}\n\
  wait_flag=\"\"\n\
  if [ \"$i\" -eq $(({g} - 1)) ] && [ \"${{1:-}}\" = \"--wait\" ]; then wait_flag=\"--wait\"; fi\n\
  last=$(sbatch --parsable --kill-on-invalid-dep=yes $wait_flag --dependency=afterok:$a {out}/calibrate-merge.sbatch)\n\
  last=${{last%%;*}}\n\
  echo \"generation $i: array job $a, merge job $last\"\n\
  dep=\"--dependency=afterok:$last\"\n\
  i=$((i + 1))\n\
done\n",
        later = g.saturating_sub(1),
        n = job.tasks,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_runs_one_shard_per_array_task() {
        let s = sbatch_script(&SlurmJob {
            binary: Path::new("/opt/unrest/bin/unrest"),
            spec: Path::new("my sweep.toml"),
            out: Path::new("results/a"),
            tasks: 4,
            cpus_per_task: 2,
            job_name: "legit",
        });
        assert!(s.starts_with("#!/bin/bash\n"));
        assert!(s.contains("#SBATCH --array=0-3\n"));
        assert!(s.contains("#SBATCH --cpus-per-task=2\n"));
        assert!(s.contains(
            "exec /opt/unrest/bin/unrest sweep 'my sweep.toml' --out results/a --shard \"${SLURM_ARRAY_TASK_ID}/4\""
        ));
        assert!(s.contains("# Then:    /opt/unrest/bin/unrest merge results/a/runs.shard-*-of-4.parquet"));
        assert!(s.contains("#SBATCH --output=results/a/slurm-%A_%a.log\n"));
    }

    #[test]
    fn calibration_scripts_shard_each_generation_and_chain_merges() {
        let job = CalibrateJob {
            binary: Path::new("/opt/unrest"),
            plan: Path::new("/p/plan.toml"),
            out: Path::new("/o/smc"),
            write_model: Some(Path::new("/m/script.toml")),
            tasks: 3,
            cpus_per_task: 2,
            generations: 9,
            job_name: "plan",
        };
        let a = calibrate_array_script(&job);
        assert!(a.contains("#SBATCH --array=0-2\n"), "{a}");
        assert!(a.contains(
            "exec /opt/unrest calibrate --plan /p/plan.toml --out /o/smc --shard \"${SLURM_ARRAY_TASK_ID}/3\" --jobs"
        ));
        let m = calibrate_merge_script(&job);
        assert!(!m.contains("--array"));
        assert!(m.contains("#SBATCH --job-name=plan-merge\n"));
        assert!(m.contains("--merge --jobs 1 --write-model /m/script.toml\n"), "{m}");
        let s = calibrate_submit_script(&job);
        assert!(s.contains("while [ \"$i\" -lt 9 ]"));
        assert!(
            s.contains("--dependency=afterok:$a /o/smc/calibrate-merge.sbatch"),
            "{s}"
        );
    }
}

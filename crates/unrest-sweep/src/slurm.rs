//! An sbatch script for a Slurm job array: task `I` of `N` runs
//! `unrest sweep SPEC --shard I/N` and writes its own part file into the
//! shared output directory; `unrest merge` joins the parts afterwards.
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
fn sh(word: &str) -> String {
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

/// The sbatch script's text.
pub fn sbatch_script(job: &SlurmJob) -> String {
    let bin = sh(&job.binary.display().to_string());
    let spec = sh(&job.spec.display().to_string());
    let out = sh(&job.out.display().to_string());
    let n = job.tasks;
    let last = n.saturating_sub(1);
    format!(
        "#!/bin/bash\n\
# Written by `unrest sweep --slurm`: a job array of {n} tasks; task I runs the\n\
# sweep's runs with index % {n} == I and writes {out}/runs.shard-I-of-{n}.parquet.\n\
# Submit:  sbatch {out}/sweep.sbatch\n\
# Then:    {bin} merge {out}/runs.shard-*-of-{n}.parquet --out {out}/runs.parquet\n\
# A task that is killed or preempted resumes from its journal when resubmitted\n\
# (sbatch --array=I {out}/sweep.sbatch).\n\
#SBATCH --job-name={name}\n\
#SBATCH --array=0-{last}\n\
#SBATCH --cpus-per-task={cpus}\n\
#SBATCH --output={out}/slurm-%A_%a.log\n\
set -euo pipefail\n\
exec {bin} sweep {spec} --out {out} --shard \"${{SLURM_ARRAY_TASK_ID}}/{n}\" --jobs \"${{SLURM_CPUS_PER_TASK:-{cpus}}}\"\n",
        name = sh(job.job_name),
        cpus = job.cpus_per_task,
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
    }
}

//! Joining the files of a sharded sweep (e.g. the tasks of a Slurm array).
//!
//! The parts must come from one sweep (same spec hash) and one table (all
//! `runs` or all `series`). For `runs`, the merged file must hold every run of
//! the sweep exactly once; it is then, byte for byte, the file a single
//! machine would have written, because rows are ordered by run index and the
//! shard tag is the only metadata dropped.

use crate::exec::{META_HASH, META_SHARD, META_TABLE, META_TOTAL};
use crate::table;
use std::path::{Path, PathBuf};

/// What a merge produced.
#[derive(Debug, Clone)]
pub struct MergeReport {
    pub rows: usize,
    pub table: String,
}

/// Merges `parts` into `out`.
pub fn merge(parts: &[PathBuf], out: &Path) -> Result<MergeReport, String> {
    if parts.is_empty() {
        return Err("nothing to merge: give the part files (e.g. out/runs.shard-*.parquet)".into());
    }
    let files: Vec<_> = parts.iter().map(|p| table::read_parquet(p)).collect::<Result<_, _>>()?;
    let first = &files[0];
    let hash = first
        .meta(META_HASH)
        .ok_or_else(|| format!("{} is not an unrest sweep file (no {META_HASH})", parts[0].display()))?;
    let table_name = first.meta(META_TABLE).unwrap_or("runs").to_string();
    for (f, p) in files.iter().zip(parts) {
        if f.meta(META_HASH) != Some(hash) {
            return Err(format!(
                "{} is from a different sweep (spec hash {} vs {hash} in {})",
                p.display(),
                f.meta(META_HASH).unwrap_or("none"),
                parts[0].display()
            ));
        }
        if f.meta(META_TABLE).unwrap_or("runs") != table_name {
            return Err(format!(
                "{} holds {} rows but {} holds {table_name} rows; merge each table on its own",
                p.display(),
                f.meta(META_TABLE).unwrap_or("runs"),
                parts[0].display()
            ));
        }
    }
    let schema = first.batch.schema();
    let batches: Vec<_> = files.iter().map(|f| f.batch.clone()).collect();
    let merged = table::concat_by_run(&schema, &batches, false)?;
    if table_name == "runs" {
        let total: u64 = first.meta(META_TOTAL).and_then(|t| t.parse().ok()).unwrap_or(0);
        let runs = table::run_column(&merged)?;
        if let Some(w) = runs.values().windows(2).find(|w| w[0] == w[1]) {
            return Err(format!(
                "run {} appears in more than one part: the same shard given twice?",
                w[0]
            ));
        }
        if runs.len() as u64 != total {
            let have: std::collections::HashSet<i64> = runs.values().iter().copied().collect();
            let missing: Vec<String> = (0..total as i64)
                .filter(|r| !have.contains(r))
                .take(10)
                .map(|r| r.to_string())
                .collect();
            return Err(format!(
                "the parts hold {} of the sweep's {total} runs; missing runs include {} (a shard not finished or not given?)",
                runs.len(),
                missing.join(", ")
            ));
        }
    }
    let meta: Vec<(String, String)> = first.meta.iter().filter(|(k, _)| k != META_SHARD).cloned().collect();
    table::write_parquet(out, &merged, &meta)?;
    Ok(MergeReport {
        rows: merged.num_rows(),
        table: table_name,
    })
}

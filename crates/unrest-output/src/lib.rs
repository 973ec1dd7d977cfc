//! # unrest-output
//!
//! Everything unrest writes to disk. Files are written to a temporary name
//! beside their destination and renamed into place only when complete, so an
//! interrupted run never leaves a half-written file under the final name.

mod plot;
mod summary;

pub use plot::{
    plot_intervals_svg, plot_pairs_svg, plot_timeseries_svg, IntervalPanel, PairAxis, PlotMarker, PAIR_PANEL_STROKE,
};
pub use summary::Summary;

use std::io::Write;
use std::path::{Path, PathBuf};
use unrest_core::Counts;

/// Files staged in memory and moved into their directory together.
#[derive(Default)]
pub struct Staged {
    files: Vec<(PathBuf, Vec<u8>)>,
}

impl Staged {
    pub fn add(&mut self, name: impl Into<PathBuf>, bytes: Vec<u8>) {
        self.files.push((name.into(), bytes));
    }

    /// Creates `dir` if needed, writes every file as `.NAME.tmp`, then renames
    /// them all into place. If any write fails, the temporaries are removed and
    /// nothing under the final names has changed.
    pub fn commit(self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir)?;
        let mut tmps = Vec::new();
        let result = (|| {
            for (name, bytes) in &self.files {
                let file_name = name.file_name().and_then(|n| n.to_str()).unwrap_or("out");
                let tmp = dir.join(format!(".{file_name}.tmp"));
                tmps.push(tmp.clone());
                let mut f = std::fs::File::create(&tmp)?;
                f.write_all(bytes)?;
                f.sync_all()?;
            }
            Ok(())
        })();
        if let Err(e) = result {
            for t in &tmps {
                let _ = std::fs::remove_file(t);
            }
            return Err(e);
        }
        let mut written = Vec::new();
        for ((name, _), tmp) in self.files.iter().zip(&tmps) {
            let dest = dir.join(name);
            std::fs::rename(tmp, &dest)?;
            written.push(dest);
        }
        Ok(written)
    }
}

/// Every file name `unrest run --out` writes, of either kind of scenario.
pub const RUN_OUTPUTS: [&str; 5] = [
    "timeseries.csv",
    "summary.json",
    "timeseries.svg",
    "regions.csv",
    "events.csv",
];

/// The run outputs in `dir` that this run did not write (`written`): left by
/// an earlier run of another kind of scenario, to be named to the user, not
/// deleted (they may be all that is left of that run).
pub fn outputs_not_written(dir: &Path, written: &[PathBuf]) -> Vec<PathBuf> {
    RUN_OUTPUTS
        .iter()
        .map(|n| dir.join(n))
        .filter(|p| p.exists() && !written.contains(p))
        .collect()
}

/// Writes one file atomically (temporary name, then rename), creating its
/// directory; the error names the path.
pub fn write_file(path: &Path, bytes: Vec<u8>) -> Result<(), String> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| format!("{} is not a file name", path.display()))?;
    let mut staged = Staged::default();
    staged.add(PathBuf::from(name), bytes);
    staged
        .commit(dir)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(())
}

/// The per-step time series as CSV:
/// `step,quiet,active,jailed,dead,cops,arrests,kills,alive_b` (`alive_b`: Model II's
/// second group alive; 0 in Model I).
/// Plain numbers, a header row, `\n` line ends: what pandas, polars and R read as is.
pub fn timeseries_csv(series: &[Counts]) -> Vec<u8> {
    let mut out = String::with_capacity(series.len() * 32 + 64);
    out.push_str("step,quiet,active,jailed,dead,cops,arrests,kills,alive_b\n");
    for c in series {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{}\n",
            c.step, c.quiet, c.active, c.jailed, c.dead, c.cops, c.arrests, c.kills, c.alive_b
        ));
    }
    out.into_bytes()
}

use serde::Serialize;
use unrest_core::{outbursts, waiting_times, Counts};

/// What `summary.json` holds: enough to identify the run (seed, scenario and
/// the hash of its resolved parameters, version) and its headline numbers.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub scenario: String,
    pub scenario_hash: String,
    pub seed: u64,
    pub version: String,
    pub steps: u64,
    pub citizens: u64,
    pub cops_final: u32,
    pub mean_active: f64,
    pub peak_active: u32,
    pub peak_step: u64,
    pub mean_jailed: f64,
    pub total_arrests: u64,
    pub total_kills: u64,
    pub dead_final: u32,
    pub outburst_threshold: u32,
    pub outbursts: usize,
    pub mean_waiting_time: Option<f64>,
    pub wall_seconds: f64,
}

impl Summary {
    /// Computes the headline numbers of a series (step 0 included; means are
    /// over steps 1..=n).
    pub fn from_series(series: &[Counts], threshold: u32) -> Summary {
        let run: &[Counts] = if series.len() > 1 { &series[1..] } else { series };
        let n = run.len().max(1) as f64;
        let peak = run
            .iter()
            .max_by_key(|c| (c.active, std::cmp::Reverse(c.step)))
            .copied()
            .unwrap_or_default();
        let bursts = outbursts(series, threshold);
        let waits = waiting_times(&bursts);
        let first = series.first().copied().unwrap_or_default();
        Summary {
            scenario: String::new(),
            scenario_hash: String::new(),
            seed: 0,
            version: env!("CARGO_PKG_VERSION").to_string(),
            steps: series.last().map_or(0, |c| c.step),
            citizens: u64::from(first.quiet + first.active + first.jailed + first.dead),
            cops_final: series.last().map_or(0, |c| c.cops),
            mean_active: run.iter().map(|c| f64::from(c.active)).sum::<f64>() / n,
            peak_active: peak.active,
            peak_step: peak.step,
            mean_jailed: run.iter().map(|c| f64::from(c.jailed)).sum::<f64>() / n,
            total_arrests: run.iter().map(|c| u64::from(c.arrests)).sum(),
            total_kills: run.iter().map(|c| u64::from(c.kills)).sum(),
            dead_final: series.last().map_or(0, |c| c.dead),
            outburst_threshold: threshold,
            outbursts: bursts.len(),
            mean_waiting_time: (!waits.is_empty()).then(|| waits.iter().sum::<u64>() as f64 / waits.len() as f64),
            wall_seconds: 0.0,
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).unwrap_or_default();
        v.push(b'\n');
        v
    }
}

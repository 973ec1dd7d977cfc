//! What is measured: counts per step, and outbursts in a series of active counts.

use serde::{Deserialize, Serialize};

/// Agent counts after a step (step 0: the initial state).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub step: u64,
    pub quiet: u32,
    pub active: u32,
    pub jailed: u32,
    /// Citizens killed (Model II); zero in Model I.
    pub dead: u32,
    /// Cops on the lattice.
    pub cops: u32,
    /// Arrests made during this step.
    pub arrests: u32,
    /// Killings during this step (Model II).
    pub kills: u32,
    /// Model II: citizens of the second group ("Green") alive (quiet, active or
    /// jailed); the first group's are `quiet + active + jailed − alive_b`. Lets
    /// one see which group a genocide left standing.
    pub alive_b: u32,
}

/// A maximal run of consecutive steps in which the active count exceeds a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outburst {
    /// First step above the threshold.
    pub start: u64,
    /// Last step above the threshold.
    pub end: u64,
    /// Largest active count during the outburst.
    pub peak: u32,
}

/// The outbursts in a series: Epstein's "punctuated equilibrium" is read off as
/// runs of `active > threshold` (the paper uses 50 on a 40×40 lattice).
pub fn outbursts(series: &[Counts], threshold: u32) -> Vec<Outburst> {
    let mut out: Vec<Outburst> = Vec::new();
    let mut open: Option<Outburst> = None;
    for c in series {
        if c.active > threshold {
            let o = open.get_or_insert(Outburst {
                start: c.step,
                end: c.step,
                peak: 0,
            });
            o.end = c.step;
            o.peak = o.peak.max(c.active);
        } else if let Some(o) = open.take() {
            out.push(o);
        }
    }
    out.extend(open);
    out
}

/// Steps between the starts of consecutive outbursts.
pub fn waiting_times(outbursts: &[Outburst]) -> Vec<u64> {
    outbursts.windows(2).map(|w| w[1].start - w[0].start).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbursts_are_maximal_runs_above_threshold() {
        let actives = [0, 60, 70, 10, 51, 0, 80];
        let series: Vec<Counts> = actives
            .iter()
            .enumerate()
            .map(|(i, &a)| Counts {
                step: i as u64,
                active: a,
                ..Counts::default()
            })
            .collect();
        let o = outbursts(&series, 50);
        assert_eq!(
            o,
            vec![
                Outburst {
                    start: 1,
                    end: 2,
                    peak: 70
                },
                Outburst {
                    start: 4,
                    end: 4,
                    peak: 51
                },
                Outburst {
                    start: 6,
                    end: 6,
                    peak: 80
                }
            ]
        );
        assert_eq!(waiting_times(&o), vec![3, 2]);
    }
}

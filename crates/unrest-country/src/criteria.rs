//! Checking a run against an episode's criteria (`[[criteria]]` in the
//! scenario file), as `unrest validate` does over many seeds.

use crate::calendar::{parse_datetime, Calendar};
use crate::country::{Country, CountryError};
use crate::spec::{CountrySpec, CriterionSpec};

/// Whether one run met one criterion, with the value that decided it.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub label: String,
    pub met: bool,
    /// What was measured, for the report (e.g. `peak 2022-01-05T12:00`).
    pub measured: String,
    /// How far the run is from meeting the criterion: 0 when met, else a
    /// positive number in the criterion's natural unit (see [`miss_of`]), so
    /// that a calibration can tell a near miss from a far one where `met`
    /// only says yes or no.
    pub miss: f64,
    /// The criterion's quantity as a number, with the record's value, for a
    /// predictive check over runs ([`predictive`]) (`None` for criteria that are judgements,
    /// such as "spreads" or "weekly peaks").
    pub quantity: Option<Quantity>,
}

/// A criterion's measured quantity and the record's value of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantity {
    pub unit: Unit,
    /// This run's value (people, or the step of a date).
    pub value: f64,
    /// The record's: the geometric middle of a size band (whose ends are the
    /// record halved and doubled), the middle of a date window.
    pub record: f64,
}

/// What a [`Quantity`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// People at 1:1.
    People,
    /// A step of the calendar (a date).
    Step,
}

fn people(value: f64, min: f64, max: f64) -> Option<Quantity> {
    Some(Quantity {
        unit: Unit::People,
        value,
        record: (min.max(0.0) * max.max(0.0)).sqrt(),
    })
}

fn date(value: u64, from: u64, to: u64) -> Option<Quantity> {
    Some(Quantity {
        unit: Unit::Step,
        value: value as f64,
        record: (from as f64 + to as f64) / 2.0,
    })
}

/// The largest miss a single criterion contributes to [`distance`]: a
/// criterion off by a factor 2⁶ = 64, or six days, counts as no worse than
/// one off by more, so one hopeless fact cannot drown the others.
pub const MISS_CAP: f64 = 6.0;

/// A run's distance from the record: the mean over its criteria of the
/// miss, each capped at [`MISS_CAP`]. 0 when every criterion is met.
pub fn distance(verdicts: &[Verdict]) -> f64 {
    if verdicts.is_empty() {
        return 0.0;
    }
    verdicts.iter().map(|v| v.miss.min(MISS_CAP)).sum::<f64>() / verdicts.len() as f64
}

/// Misses, in one place so that every criterion speaks the same units:
/// sizes and tolls by how many doublings they lie outside their band
/// (`log₂`), dates by how many days outside their window, counts and
/// shares by the fraction missing. Zero inside.
mod miss_of {
    /// Doublings outside `[min, max]`; `x = 0` counts as half a unit.
    pub fn size(x: f64, min: f64, max: f64) -> f64 {
        let x = x.max(0.5);
        if x < min {
            (min / x).log2()
        } else if x > max {
            (x / max).log2()
        } else {
            0.0
        }
    }
    /// Days outside the window `[from, to]` (steps), at least a quarter day when outside.
    pub fn days(step: u64, from: u64, to: u64, step_days: f64) -> f64 {
        let off = if step < from {
            from - step
        } else if step > to {
            step - to
        } else {
            return 0.0;
        };
        (off as f64 * step_days).max(0.25)
    }
    /// Doublings short of `need` (a ratio that must exceed it).
    pub fn ratio_short(ratio: f64, need: f64) -> f64 {
        if ratio > need {
            0.0
        } else {
            (need / ratio.max(1e-6)).log2().max(0.1)
        }
    }
}

/// Checks that every criterion's dates parse and its regions exist.
pub fn validate(spec: &CountrySpec) -> Result<(), CountryError> {
    let e = |i: usize, m: String| CountryError {
        path: format!("criteria[{i}]"),
        message: m,
    };
    let check_region = |i: usize, region: Option<&str>| match region {
        None | Some("national") | Some("capital") | Some("provinces") => Ok(()),
        Some(r) if spec.regions.iter().any(|x| x.name == r) => Ok(()),
        Some(r) => Err(e(
            i,
            format!("unknown region {r:?}: a region name, \"capital\", \"provinces\" or \"national\""),
        )),
    };
    for (i, c) in spec.criteria.iter().enumerate() {
        let dates: Vec<&String> = match c {
            CriterionSpec::StartsIn { from, to, region, .. } => {
                if !spec.regions.iter().any(|r| &r.name == region) {
                    return Err(e(i, format!("unknown region {region:?}")));
                }
                vec![from, to]
            }
            CriterionSpec::Spreads { by, .. } | CriterionSpec::QuietBy { by, .. } => vec![by],
            CriterionSpec::PeakBetween { from, to, region, .. } => {
                check_region(i, region.as_deref())?;
                vec![from, to]
            }
            CriterionSpec::DeathsConcentrated { from, to, .. } => vec![from, to],
            CriterionSpec::Outcome { from, to, outcome, .. } => {
                if let Some(bad) = outcome.split('|').find(|o| !crate::Outcome::NAMES.contains(o)) {
                    return Err(e(
                        i,
                        format!(
                            "unknown outcome {bad:?} (alternatives are separated by '|'): {}",
                            crate::Outcome::NAMES.join(", ")
                        ),
                    ));
                }
                from.iter().chain(to.iter()).collect()
            }
            CriterionSpec::KilledBetween { .. } | CriterionSpec::DetainedBetween { .. } => vec![],
            CriterionSpec::PeakSize { region, .. } => {
                check_region(i, region.as_deref())?;
                vec![]
            }
            CriterionSpec::WeeklyPeaks { from, .. } => vec![from],
            CriterionSpec::GrowsAfter { at, .. } => vec![at],
            CriterionSpec::Escalates {
                base_from,
                base_to,
                from,
                to,
                ..
            } => vec![base_from, base_to, from, to],
        };
        for d in dates {
            parse_datetime(d).map_err(|m| e(i, m))?;
        }
    }
    Ok(())
}

fn step(cal: &Calendar, d: &str) -> u64 {
    parse_datetime(d).map(|d| cal.step_of(d)).unwrap_or(0)
}

/// Mean national active count over steps `[a, b]`.
fn mean_active(active: &[u64], a: u64, b: u64) -> f64 {
    let (a, b) = (a as usize, (b as usize).min(active.len().saturating_sub(1)));
    if a > b {
        return 0.0;
    }
    active[a..=b].iter().sum::<u64>() as f64 / (b - a + 1) as f64
}

/// Judges a finished run against every criterion of its spec.
pub fn judge(country: &Country) -> Vec<Verdict> {
    let spec = country.spec();
    let cal = country.calendar();
    let nat = country.national();
    let active: Vec<u64> = nat.iter().map(|n| n.active).collect();
    let peak = active.iter().copied().max().unwrap_or(0);
    let names = country.region_names();
    let nreg = names.len();
    let rows = country.region_rows();
    let citizens: Vec<f64> = (0..nreg)
        .map(|r| {
            let x = &rows[r];
            f64::from(x.quiet + x.active + x.jailed)
        })
        .collect();
    let share_of = |row: &crate::RegionRow| f64::from(row.active) / citizens[row.region].max(1.0);
    let (outcome, outcome_step) = country.outcome();
    // The peak active count and its step (earliest on a tie), nationally or in one region.
    let capital = spec.regions.iter().position(|r| r.capital).unwrap_or(0);
    let peak_in = |region: Option<&str>| -> (u64, u64) {
        let series: Vec<(u64, u64)> = match region {
            None | Some("national") => nat.iter().map(|n| (n.step, n.active)).collect(),
            // Every region but the capital, summed step by step.
            Some("provinces") => {
                let first = nat.first().map_or(0, |n| n.step);
                let mut by_step = vec![0u64; nat.len()];
                for r in rows.iter().filter(|r| r.region != capital) {
                    if let Some(x) = by_step.get_mut(r.step.saturating_sub(first) as usize) {
                        *x += u64::from(r.active);
                    }
                }
                nat.iter().zip(by_step).map(|(n, a)| (n.step, a)).collect()
            }
            Some(name) => {
                let ri = if name == "capital" {
                    Some(capital)
                } else {
                    names.iter().position(|n| *n == name)
                };
                rows.iter()
                    .filter(|r| Some(r.region) == ri)
                    .map(|r| (r.step, u64::from(r.active)))
                    .collect()
            }
        };
        series
            .iter()
            .max_by_key(|(s, a)| (*a, std::cmp::Reverse(*s)))
            .map(|&(s, a)| (a, s))
            .unwrap_or((0, 0))
    };
    let last = nat.last().copied().unwrap_or_default();
    spec.criteria
        .iter()
        .map(|c| {
            let step_days = cal.step_hours / 24.0;
            let (met, measured, miss, quantity) = match c {
                CriterionSpec::StartsIn {
                    region,
                    share,
                    from,
                    to,
                    ..
                } => {
                    // The earliest step at which any region exceeds `share`; of
                    // the regions that do then, the one with the largest share.
                    let first_step = rows.iter().find(|r| share_of(r) > *share).map(|r| r.step);
                    let first = first_step.and_then(|s| {
                        rows.iter()
                            .filter(|r| r.step == s && share_of(r) > *share)
                            .max_by(|a, b| share_of(a).total_cmp(&share_of(b)))
                    });
                    match first {
                        Some(r) => {
                            let here = names[r.region] == region.as_str();
                            let late = miss_of::days(r.step, step(cal, from), step(cal, to), step_days);
                            let miss = late + if here { 0.0 } else { 1.0 };
                            (
                                miss == 0.0,
                                format!("{} {}", names[r.region], cal.label(r.step)),
                                miss,
                                date(r.step, step(cal, from), step(cal, to)),
                            )
                        }
                        None => (false, "no region active".into(), MISS_CAP, None),
                    }
                }
                CriterionSpec::Spreads {
                    by, share, min_regions, ..
                } => {
                    let until = step(cal, by);
                    let mut seen = vec![false; nreg];
                    for r in rows.iter().filter(|r| r.step <= until) {
                        if share_of(r) > *share {
                            seen[r.region] = true;
                        }
                    }
                    let n = seen.iter().filter(|&&s| s).count();
                    let short = min_regions.saturating_sub(n) as f64 / (*min_regions).max(1) as f64;
                    (n >= *min_regions, format!("{n} of {nreg} regions"), 2.0 * short, None)
                }
                CriterionSpec::PeakBetween { from, to, region, .. } => {
                    let (peak, peak_step) = peak_in(region.as_deref());
                    let miss = if peak == 0 {
                        MISS_CAP
                    } else {
                        miss_of::days(peak_step, step(cal, from), step(cal, to), step_days)
                    };
                    (
                        miss == 0.0,
                        format!("peak {} at {}", peak, cal.label(peak_step)),
                        miss,
                        date(peak_step, step(cal, from), step(cal, to)),
                    )
                }
                CriterionSpec::PeakSize { min, max, region, .. } => {
                    let (peak, peak_step) = peak_in(region.as_deref());
                    let people = peak as f64 * spec.scale;
                    (
                        people >= *min && people <= *max,
                        format!("{people:.0} at {}", cal.label(peak_step)),
                        miss_of::size(people, *min, *max),
                        self::people(people, *min, *max),
                    )
                }
                CriterionSpec::QuietBy { by, share, .. } => {
                    let from = step(cal, by) as usize;
                    let worst = active.iter().skip(from).copied().max().unwrap_or(0);
                    let ratio = worst as f64 / peak.max(1) as f64;
                    let ok = peak > 0 && ratio < *share;
                    let miss = if peak == 0 {
                        MISS_CAP
                    } else if ok {
                        0.0
                    } else {
                        (ratio / share.max(1e-9)).log2().max(0.1)
                    };
                    (ok, format!("{:.1}% of peak", 100.0 * ratio), miss, None)
                }
                CriterionSpec::Outcome {
                    outcome: o, from, to, ..
                } => {
                    let right = o.split('|').any(|alt| alt == outcome.as_str());
                    let (lo, hi) = (
                        from.as_deref().map_or(0, |f| step(cal, f)),
                        to.as_deref().map_or(u64::MAX, |t| step(cal, t)),
                    );
                    // A wrong ending is three units off; the right one at the wrong
                    // time is off by its days, at most two.
                    let miss = if right {
                        miss_of::days(outcome_step, lo, hi, step_days).min(2.0)
                    } else {
                        3.0
                    };
                    // The date is a predictive quantity only when the criterion dates the ending.
                    let dated = from.is_some() && to.is_some();
                    (
                        miss == 0.0,
                        format!("{} {}", outcome.as_str(), cal.label(outcome_step)),
                        miss,
                        if dated { date(outcome_step, lo, hi) } else { None },
                    )
                }
                CriterionSpec::KilledBetween { min, max, .. } => {
                    let k = last.killed as f64;
                    (
                        k >= *min && k <= *max,
                        format!("{k:.0} killed"),
                        miss_of::size(k, *min, *max),
                        people(k, *min, *max),
                    )
                }
                CriterionSpec::DetainedBetween { min, max, .. } => {
                    let d = last.detained as f64;
                    (
                        d >= *min && d <= *max,
                        format!("{d:.0} detained"),
                        miss_of::size(d, *min, *max),
                        people(d, *min, *max),
                    )
                }
                CriterionSpec::WeeklyPeaks {
                    from,
                    weeks,
                    share,
                    peak_ratio,
                    ..
                } => {
                    let per_week = (7.0 * 24.0 / cal.step_hours).round().max(1.0) as usize;
                    let start = step(cal, from) as usize;
                    let total = last.citizens.max(1) as f64;
                    let mut ok_weeks = 0;
                    for w in 0..*weeks as usize {
                        let a = start + w * per_week;
                        let b = (a + per_week).min(active.len());
                        if a >= b {
                            break;
                        }
                        let hi = active[a..b].iter().copied().max().unwrap_or(0) as f64;
                        let lo = active[a..b].iter().copied().min().unwrap_or(0) as f64;
                        if hi / total > *share && hi >= peak_ratio * lo.max(1.0) {
                            ok_weeks += 1;
                        }
                    }
                    let short = weeks.saturating_sub(ok_weeks) as f64 / f64::from((*weeks).max(1));
                    (
                        ok_weeks >= *weeks,
                        format!("{ok_weeks} of {weeks} weeks"),
                        2.0 * short,
                        None,
                    )
                }
                CriterionSpec::GrowsAfter { at, days, factor, .. } => {
                    let s = step(cal, at);
                    let n = cal.steps_in_days(*days).round().max(1.0) as u64;
                    let before = mean_active(&active, s.saturating_sub(n), s.saturating_sub(1));
                    let after = mean_active(&active, s, s + n);
                    let ratio = after / before.max(1e-9);
                    (
                        after > factor * before.max(1e-9),
                        format!("×{ratio:.1}"),
                        miss_of::ratio_short(ratio, *factor),
                        None,
                    )
                }
                CriterionSpec::DeathsConcentrated { from, to, share, .. } => {
                    let (a, b) = (step(cal, from) as usize, step(cal, to) as usize);
                    let at = |i: usize| nat.get(i.min(nat.len() - 1)).map_or(0, |n| n.killed);
                    let inside = at(b).saturating_sub(at(a.saturating_sub(1)));
                    let frac = inside as f64 / last.killed.max(1) as f64;
                    let ok = last.killed > 0 && frac >= *share;
                    let miss = if ok {
                        0.0
                    } else {
                        2.0 * (1.0 - frac / share.max(1e-9)).max(0.05)
                    };
                    (ok, format!("{:.0}% of {}", 100.0 * frac, last.killed), miss, None)
                }
                CriterionSpec::Escalates {
                    base_from,
                    base_to,
                    from,
                    to,
                    factor,
                    ..
                } => {
                    let base = mean_active(&active, step(cal, base_from), step(cal, base_to));
                    let late = mean_active(&active, step(cal, from), step(cal, to));
                    let ratio = late / base.max(1e-9);
                    (
                        late > factor * base.max(1e-9),
                        format!("×{ratio:.1}"),
                        miss_of::ratio_short(ratio, *factor),
                        None,
                    )
                }
            };
            Verdict {
                label: c.label().to_string(),
                met,
                measured,
                miss: if met { 0.0 } else { miss.max(1e-3) },
                quantity,
            }
        })
        .collect()
}

/// A posterior (or seed) predictive check of one criterion's quantity:
/// the 5%, 50% and 95% points of its values over runs, and whether the
/// record lies inside that 90% predictive interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Predictive {
    pub unit: Unit,
    pub record: f64,
    pub q05: f64,
    pub median: f64,
    pub q95: f64,
    pub inside: bool,
}

/// The predictive check over the runs' quantities of one criterion (`None`
/// if the criterion has none). Quantiles are the nearest-rank points of the
/// sorted values, so they are values some run produced.
pub fn predictive(quantities: &[Option<Quantity>]) -> Option<Predictive> {
    let q: Vec<&Quantity> = quantities.iter().flatten().collect();
    let first = q.first()?;
    let mut v: Vec<f64> = q.iter().map(|x| x.value).collect();
    v.sort_by(f64::total_cmp);
    let at = |p: f64| v[((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
    let (q05, median, q95) = (at(0.05), at(0.5), at(0.95));
    Some(Predictive {
        unit: first.unit,
        record: first.record,
        q05,
        median,
        q95,
        inside: q05 <= first.record && first.record <= q95,
    })
}

/// Runs `seeds` seeds (`seeds::derive(base_seed, i)` for i = 0..seeds) in
/// parallel to the calendar's end and judges each. Returns per run
/// `(seed, verdicts, outcome label)`, in seed order whatever the thread count.
pub fn validate_seeds(
    spec: &CountrySpec,
    lattice: &unrest_core::Params,
    base_seed: u64,
    seeds: u64,
) -> Result<Vec<(u64, Vec<Verdict>, String)>, CountryError> {
    validate_setups(&vec![(spec, lattice); seeds as usize], base_seed)
}

/// [`validate_seeds`] with each run's own parameters (`Country::run_setups`).
pub fn validate_setups(
    setups: &[(&CountrySpec, &unrest_core::Params)],
    base_seed: u64,
) -> Result<Vec<(u64, Vec<Verdict>, String)>, CountryError> {
    Country::run_setups(setups, base_seed, judged)
}

/// A finished run of seed `seed` as validation reports it: the seed, the
/// verdicts, and the outcome with its date.
pub fn judged(seed: u64, c: &Country) -> (u64, Vec<Verdict>, String) {
    let (o, at) = c.outcome();
    (seed, judge(c), format!("{} {}", o.as_str(), c.calendar().label(at)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_predictive_check_brackets_the_record_with_the_runs_5_and_95_points() {
        let q = |v: f64| {
            Some(Quantity {
                unit: Unit::People,
                value: v,
                record: 50.0,
            })
        };
        let runs: Vec<Option<Quantity>> = (1..=100).map(|v| q(v as f64)).chain([None]).collect();
        let p = predictive(&runs).unwrap();
        assert_eq!((p.q05, p.median, p.q95), (5.0, 50.0, 95.0));
        assert!(p.inside);
        let high: Vec<Option<Quantity>> = (60..=100).map(|v| q(v as f64)).collect();
        assert!(!predictive(&high).unwrap().inside);
        assert_eq!(predictive(&[None, None]), None);
    }
}

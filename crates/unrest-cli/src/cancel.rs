//! Stopping a long experiment early: a flag the caller sets (the Python
//! package sets it on Ctrl-C), checked between the steps of every country
//! run of `validate` and `compare`. A stopped experiment returns the error
//! [`INTERRUPTED`] and has written nothing.
//!
//! [`run_setups`] is `unrest_country::Country::run_setups_until` asking the
//! flag: the same seeds (`derive(base_seed, i)` for run i) and the same runs
//! as `Country::run_setups`, so the same numbers (tested against it below). [`validate_setups`] and
//! [`variant_setups`] measure each run as `unrest_country::validate_setups`
//! and `unrest_country::compare::run_variant_setups` do.

use std::sync::atomic::{AtomicBool, Ordering};
use unrest_core::Params;
use unrest_country::compare::RunMeasures;
use unrest_country::{Country, CountrySpec, Verdict};

/// The error of a stopped experiment.
pub const INTERRUPTED: &str = "interrupted";

/// Whether `cancel` is set.
pub fn is_set(cancel: Option<&AtomicBool>) -> bool {
    cancel.is_some_and(|c| c.load(Ordering::Relaxed))
}

/// Runs every setup to the end of its calendar in parallel (run i with seed
/// `derive(base_seed, i)`) and measures it, unless `cancel` is set: then
/// every run stops at its next step and the result is [`INTERRUPTED`]
/// (`unrest_country::Country::run_setups_until` with the flag).
pub fn run_setups<T: Send>(
    setups: &[(&CountrySpec, &Params)],
    base_seed: u64,
    cancel: Option<&AtomicBool>,
    measure: impl Fn(u64, &Country) -> T + Sync,
) -> Result<Vec<T>, String> {
    Country::run_setups_until(setups, base_seed, || is_set(cancel), measure)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| INTERRUPTED.to_string())
}

/// `unrest_country::validate_setups`, stoppable: each run's seed, verdicts
/// and outcome with its date.
pub fn validate_setups(
    setups: &[(&CountrySpec, &Params)],
    base_seed: u64,
    cancel: Option<&AtomicBool>,
) -> Result<Vec<(u64, Vec<Verdict>, String)>, String> {
    run_setups(setups, base_seed, cancel, unrest_country::criteria::judged)
}

/// `unrest_country::compare::run_variant_setups`, stoppable.
pub fn variant_setups(
    setups: &[(&CountrySpec, &Params)],
    base_seed: u64,
    cancel: Option<&AtomicBool>,
) -> Result<Vec<RunMeasures>, String> {
    run_setups(setups, base_seed, cancel, RunMeasures::of)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setups() -> unrest_scenario::CountryScenario {
        crate::country::load("kazakhstan-2022", &[("scale".into(), "4000".into())], None).unwrap()
    }

    #[test]
    fn the_same_runs_as_the_country_crate_gives() {
        let sc = setups();
        let s: Vec<_> = (0..3).map(|_| (&sc.spec, &sc.lattice)).collect();
        let mine = validate_setups(&s, 5, None).unwrap();
        let theirs = unrest_country::validate_setups(&s, 5).unwrap();
        assert_eq!(format!("{mine:?}"), format!("{theirs:?}"));
        let mine = variant_setups(&s, 5, Some(&AtomicBool::new(false))).unwrap();
        let theirs = unrest_country::compare::run_variant_setups(&s, 5).unwrap();
        assert_eq!(format!("{mine:?}"), format!("{theirs:?}"));
    }

    #[test]
    fn a_set_flag_stops_every_run() {
        let sc = setups();
        let s: Vec<_> = (0..3).map(|_| (&sc.spec, &sc.lattice)).collect();
        let e = validate_setups(&s, 5, Some(&AtomicBool::new(true))).unwrap_err();
        assert_eq!(e, INTERRUPTED);
    }
}

//! The paper's equations, one function each (Epstein 2002, Model I).
//!
//! These are the pure parts of the rules; [`crate::World`] applies them to agents
//! on the lattice (Rule A in `World::rule_a`, Rule C in `World::rule_c`, Rule M in
//! `World::rule_m`).

use crate::params::{RatioRule, SelfCount};

/// Grievance `G = H · (1 − L)`: hardship H scaled by how illegitimate the regime
/// is perceived to be (Epstein 2002, eq. 1).
#[inline]
pub fn grievance(hardship: f64, legitimacy: f64) -> f64 {
    hardship * (1.0 - legitimacy)
}

/// The ratio `(C/A)_v` as it enters the arrest probability, after the chosen
/// integer convention. `A = 0` with `C > 0` is an infinite ratio (certain arrest);
/// with `C = 0` it is zero.
#[inline]
pub fn cop_active_ratio(cops: u32, actives: u32, rule: RatioRule) -> f64 {
    if actives == 0 {
        return if cops == 0 { 0.0 } else { f64::INFINITY };
    }
    let r = f64::from(cops) / f64::from(actives);
    match rule {
        RatioRule::Real => r,
        RatioRule::Floor => r.floor(),
        RatioRule::RoundHalfEven => r.round_ties_even(),
    }
}

/// The ratio `C / (A + A_info)` when a citizen also counts actives it does not
/// see but hears of through media and the internet (the country layer's
/// information coupling, "safety in numbers" beyond vision). `A_info ≥ 0` is a
/// real number of unseen actives; with `A_info = 0` this is exactly
/// [`cop_active_ratio`]. The integer conventions apply to the whole ratio.
#[inline]
pub fn informed_cop_active_ratio(cops: u32, actives: u32, unseen_actives: f64, rule: RatioRule) -> f64 {
    if unseen_actives <= 0.0 {
        return cop_active_ratio(cops, actives, rule);
    }
    let r = f64::from(cops) / (f64::from(actives) + unseen_actives);
    match rule {
        RatioRule::Real => r,
        RatioRule::Floor => r.floor(),
        RatioRule::RoundHalfEven => r.round_ties_even(),
    }
}

/// The number of actives `A` a citizen uses: those it sees, plus itself as the
/// self-count convention says.
#[inline]
pub fn actives_counted(actives_seen: u32, self_active: bool, rule: SelfCount) -> u32 {
    match rule {
        SelfCount::Always => actives_seen + 1,
        SelfCount::IfActive => actives_seen + u32::from(self_active),
        SelfCount::Never => actives_seen,
    }
}

/// Estimated arrest probability `P = 1 − exp(−k · (C/A)_v)` (Epstein 2002, eq. 2).
#[inline]
pub fn arrest_probability(k: f64, ratio: f64) -> f64 {
    1.0 - (-k * ratio).exp()
}

/// Net risk `N = R · P` (Epstein 2002, eq. 3).
#[inline]
pub fn net_risk(risk_aversion: f64, arrest_probability: f64) -> f64 {
    risk_aversion * arrest_probability
}

/// Rule A: "if G − N > T be active; otherwise be quiet" (strict inequality).
#[inline]
pub fn is_active(grievance: f64, net_risk: f64, threshold: f64) -> bool {
    grievance - net_risk > threshold
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k_is_chosen_so_one_cop_per_active_gives_p_09() {
        let p = arrest_probability(2.3, 1.0);
        assert!((p - 0.8997).abs() < 1e-4, "{p}");
    }

    #[test]
    fn ratio_conventions_differ_where_the_peers_differ() {
        assert_eq!(cop_active_ratio(1, 2, RatioRule::Real), 0.5);
        assert_eq!(cop_active_ratio(1, 2, RatioRule::Floor), 0.0);
        assert_eq!(cop_active_ratio(1, 2, RatioRule::RoundHalfEven), 0.0);
        assert_eq!(cop_active_ratio(3, 2, RatioRule::RoundHalfEven), 2.0);
        assert_eq!(cop_active_ratio(5, 2, RatioRule::RoundHalfEven), 2.0);
        assert_eq!(cop_active_ratio(5, 2, RatioRule::Floor), 2.0);
        assert_eq!(cop_active_ratio(2, 3, RatioRule::RoundHalfEven), 1.0);
        assert_eq!(cop_active_ratio(3, 0, RatioRule::Floor), f64::INFINITY);
        assert_eq!(cop_active_ratio(0, 0, RatioRule::Real), 0.0);
        assert_eq!(arrest_probability(2.3, f64::INFINITY), 1.0);
    }

    #[test]
    fn unseen_actives_dilute_the_cop_ratio() {
        assert_eq!(informed_cop_active_ratio(2, 1, 0.0, RatioRule::Real), 2.0);
        assert_eq!(informed_cop_active_ratio(2, 1, 3.0, RatioRule::Real), 0.5);
        assert_eq!(informed_cop_active_ratio(2, 0, 0.0, RatioRule::Real), f64::INFINITY);
        assert_eq!(informed_cop_active_ratio(2, 0, 4.0, RatioRule::Floor), 0.0);
    }

    #[test]
    fn rule_a_is_a_strict_threshold() {
        assert!(!is_active(0.3, 0.2, 0.1));
        assert!(is_active(0.31, 0.2, 0.1));
        assert_eq!(grievance(0.5, 0.8), 0.5 * (1.0 - 0.8));
        assert_eq!(net_risk(0.5, 0.9), 0.45);
        assert_eq!(actives_counted(3, false, SelfCount::Always), 4);
        assert_eq!(actives_counted(3, false, SelfCount::IfActive), 3);
        assert_eq!(actives_counted(3, true, SelfCount::Never), 3);
    }
}

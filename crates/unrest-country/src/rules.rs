//! Input rules: how an episode's observable, cited quantities become model
//! inputs, the same way for every episode.
//!
//! An episode file says what was observed — the share approving of the ruler
//! in a survey before the trigger, the percent rise of a price, "live fire",
//! "a nation-scale blackout", "mass detentions ordered" — and these functions,
//! with the shared values in the model's `[rules]` table, turn them into the
//! numbers the mechanisms use. None of these values is set per episode: they
//! live in the model file (`models/script.toml`), so fitting them is fitting
//! the model, and `docs/episodes.md` counts them as fitted parameters.

use serde::{Deserialize, Serialize};

/// `[rules]`: the shared values of the input rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RulesSpec {
    /// `λ`: legitimacy lost per unit of disapproval, `L = 1 − λ·(1 − approval)`.
    pub legitimacy_span: f64,
    /// Epstein's activation threshold `T`, the same for every constituency.
    pub threshold: f64,
    /// `s`: the tail of the hardship draw, `H = min + (max − min)·u^s`
    /// (`mechanisms::hardship_draw`; 1 = Epstein's uniform).
    pub hardship_shape: f64,
    /// Probability that an arrest kills under `force = "less_lethal"` (rubber
    /// bullets, stun grenades, beatings: rarely but really lethal).
    pub less_lethal_lethality: f64,
    /// Probability that an arrest kills under `force = "live_fire"`.
    pub live_fire_lethality: f64,
    /// … under `force = "shoot_to_kill"` (an order to fire without warning).
    pub shoot_to_kill_lethality: f64,
    /// Information left under `extent = "national"` (a nation-scale blackout).
    pub national_shutdown_remaining: f64,
    /// … under `extent = "mobile"` (mobile data or social media blocked).
    pub mobile_shutdown_remaining: f64,
    /// Legitimacy change among those who disbelieve an announced result
    /// (`sham_election` without `delta`), and for a policy U-turn.
    pub fraud_shock: f64,
    /// Legitimacy bump of a concession without `bump`, and its half-life in days.
    pub concession_bump: f64,
    pub concession_half_life_days: f64,
    /// A state of emergency: police ×, jail terms ×, arrest-probability constant k ×.
    pub emergency_police_factor: f64,
    pub emergency_jail_factor: f64,
    pub emergency_k_factor: f64,
    /// Arrests per officer × under an order of mass detention.
    pub mass_detention_factor: f64,
    /// A violent dispersal: police × for `crackdown_hours`, with unit brutality.
    pub crackdown_police_factor: f64,
    pub crackdown_hours: f64,
}

impl Default for RulesSpec {
    fn default() -> Self {
        RulesSpec {
            legitimacy_span: 0.1,
            threshold: 0.1,
            hardship_shape: 1.0,
            less_lethal_lethality: 0.001,
            live_fire_lethality: 0.05,
            shoot_to_kill_lethality: 0.15,
            national_shutdown_remaining: 0.05,
            mobile_shutdown_remaining: 0.4,
            fraud_shock: -0.03,
            concession_bump: 0.005,
            concession_half_life_days: 7.0,
            emergency_police_factor: 2.0,
            emergency_jail_factor: 2.0,
            emergency_k_factor: 1.0,
            mass_detention_factor: 4.0,
            crackdown_police_factor: 2.0,
            crackdown_hours: 12.0,
        }
    }
}

/// Force used by the security forces (an event's `force`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Force {
    /// Rubber bullets, stun grenades, batons.
    LessLethal,
    /// Live ammunition used against crowds.
    LiveFire,
    /// An order to shoot to kill without warning.
    ShootToKill,
}

impl Force {
    pub const NAMES: [&'static str; 3] = ["less_lethal", "live_fire", "shoot_to_kill"];

    pub fn parse(s: &str) -> Option<Force> {
        match s {
            "less_lethal" => Some(Force::LessLethal),
            "live_fire" => Some(Force::LiveFire),
            "shoot_to_kill" => Some(Force::ShootToKill),
            _ => None,
        }
    }
}

/// How much of the internet is cut (an event's `extent`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extent {
    National,
    Mobile,
}

impl Extent {
    pub const NAMES: [&'static str; 2] = ["national", "mobile"];

    pub fn parse(s: &str) -> Option<Extent> {
        match s {
            "national" => Some(Extent::National),
            "mobile" => Some(Extent::Mobile),
            _ => None,
        }
    }
}

impl RulesSpec {
    /// A constituency's legitimacy from the share approving of (trusting) the
    /// ruler in the last survey before the trigger: `L = 1 − λ·(1 − a)`.
    /// Epstein's `L` is the regime's legitimacy as perceived by the agent;
    /// with `T = 0.1` only `1 − L > T` can ever be active, so `λ` sets how much
    /// of the disapproval a survey measures turns into grievance.
    pub fn legitimacy_from_approval(&self, approval: f64) -> f64 {
        (1.0 - self.legitimacy_span * (1.0 - approval.clamp(0.0, 1.0))).clamp(0.0, 1.0)
    }

    /// A price rise of `percent` % multiplies the hardship of those who pay
    /// it by `1 + percent/100` (no fitted value: the burden scales with the price).
    pub fn hardship_factor_from_price_rise(percent: f64) -> f64 {
        1.0 + percent / 100.0
    }

    pub fn lethality_of(&self, force: Force) -> f64 {
        match force {
            Force::LessLethal => self.less_lethal_lethality,
            Force::LiveFire => self.live_fire_lethality,
            Force::ShootToKill => self.shoot_to_kill_lethality,
        }
    }

    pub fn remaining_after(&self, extent: Extent) -> f64 {
        match extent {
            Extent::National => self.national_shutdown_remaining,
            Extent::Mobile => self.mobile_shutdown_remaining,
        }
    }

    /// Checks every value; the error names the key under `rules.`.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let checks: [(&str, f64, f64, f64); 16] = [
            ("less_lethal_lethality", self.less_lethal_lethality, 0.0, 1.0),
            ("legitimacy_span", self.legitimacy_span, 0.0, 1.0),
            ("threshold", self.threshold, -1.0, 1.0),
            ("live_fire_lethality", self.live_fire_lethality, 0.0, 1.0),
            ("shoot_to_kill_lethality", self.shoot_to_kill_lethality, 0.0, 1.0),
            (
                "national_shutdown_remaining",
                self.national_shutdown_remaining,
                0.0,
                1.0,
            ),
            ("mobile_shutdown_remaining", self.mobile_shutdown_remaining, 0.0, 1.0),
            ("fraud_shock", self.fraud_shock, -1.0, 1.0),
            ("concession_bump", self.concession_bump, -1.0, 1.0),
            ("concession_half_life_days", self.concession_half_life_days, 0.001, 1e6),
            ("emergency_police_factor", self.emergency_police_factor, 0.0, 100.0),
            ("emergency_jail_factor", self.emergency_jail_factor, 0.0, 100.0),
            ("emergency_k_factor", self.emergency_k_factor, 0.0, 100.0),
            ("mass_detention_factor", self.mass_detention_factor, 0.0, 1000.0),
            ("crackdown_police_factor", self.crackdown_police_factor, 0.0, 100.0),
            ("crackdown_hours", self.crackdown_hours, 0.0, 1e5),
        ];
        for (k, v, lo, hi) in checks {
            if !(v.is_finite() && v >= lo && v <= hi) {
                return Err((
                    format!("rules.{k}"),
                    format!("{v} is out of range: must be between {lo} and {hi}"),
                ));
            }
        }
        Ok(())
    }
}

/// People of constituency `c` in the regions whose `shares` name it.
fn named_people(populations: &[f64], explicit: &[Vec<Option<f64>>], c: usize) -> f64 {
    explicit
        .iter()
        .zip(populations)
        .filter_map(|(row, p)| row[c].map(|s| s * p))
        .sum()
}

/// Rule C3, regional shares: each region's constituency shares, given the
/// national shares and what the regions' own `shares` name.
///
/// A region's `shares` fix the constituencies they name; the rest of its
/// population is shared among the others so that the national shares stay the
/// country's totals: Belarus's 10.8% opposition with 30% of Minsk leaves 5.6%
/// for the provinces, not 10.8% on top of Minsk (which would put 15% of the
/// country in the opposition). The unnamed cells are found by iterative
/// proportional fitting (Deming & Stephan 1940): alternately scaled to each
/// constituency's national total less what the named regions hold, and to
/// each region's population left after its named shares. A constituency the
/// named regions already exceed gets none elsewhere (`unrest check` warns).
/// Each row is normalised to 1.
///
/// `explicit[r][c]` is region r's own share of constituency c, if it gives one.
pub fn regional_shares(populations: &[f64], national: &[f64], explicit: &[Vec<Option<f64>>]) -> Vec<Vec<f64>> {
    let total_nat: f64 = national.iter().sum::<f64>().max(f64::MIN_POSITIVE);
    let nat: Vec<f64> = national.iter().map(|n| n / total_nat).collect();
    let people: f64 = populations.iter().sum();
    let mut x: Vec<Vec<f64>> = explicit
        .iter()
        .map(|row| row.iter().zip(&nat).map(|(s, n)| s.unwrap_or(*n)).collect())
        .collect();
    // What each constituency has left for the regions that do not name it.
    let target: Vec<f64> = (0..nat.len())
        .map(|c| {
            let named = named_people(populations, explicit, c);
            (nat[c] * people - named).max(0.0)
        })
        .collect();
    for _ in 0..200 {
        for c in 0..nat.len() {
            let now: f64 = (0..x.len())
                .filter(|&r| explicit[r][c].is_none())
                .map(|r| x[r][c] * populations[r])
                .sum();
            let f = if now > 0.0 { target[c] / now } else { 0.0 };
            (0..x.len())
                .filter(|&r| explicit[r][c].is_none())
                .for_each(|r| x[r][c] *= f);
        }
        for (r, row) in explicit.iter().enumerate() {
            let free = (1.0 - row.iter().flatten().sum::<f64>()).max(0.0);
            let now: f64 = (0..nat.len()).filter(|&c| row[c].is_none()).map(|c| x[r][c]).sum();
            if now > 0.0 {
                (0..nat.len())
                    .filter(|&c| row[c].is_none())
                    .for_each(|c| x[r][c] *= free / now);
            }
        }
    }
    for (r, row) in x.iter_mut().enumerate() {
        let sum: f64 = row.iter().sum();
        if sum > 0.0 {
            row.iter_mut().for_each(|v| *v /= sum);
        } else {
            // Nothing left for this region's unnamed groups: the national proportions.
            row.iter_mut()
                .zip(&explicit[r])
                .zip(&nat)
                .for_each(|((v, s), n)| *v = if s.is_none() { *n } else { 0.0 });
        }
    }
    x
}

/// The constituencies whose named regional shares already hold more people
/// than their national share: (constituency index, the national share those
/// regions imply). `unrest check` warns about each.
pub fn shares_exceeding_national(
    populations: &[f64],
    national: &[f64],
    explicit: &[Vec<Option<f64>>],
) -> Vec<(usize, f64)> {
    let total_nat: f64 = national.iter().sum::<f64>().max(f64::MIN_POSITIVE);
    let people: f64 = populations.iter().sum::<f64>().max(f64::MIN_POSITIVE);
    (0..national.len())
        .filter_map(|c| {
            let named = named_people(populations, explicit, c);
            let implied = named / people;
            (implied > national[c] / total_nat + 1e-9).then_some((c, implied))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_map_observables_to_inputs() {
        let r = RulesSpec::default();
        assert!((r.legitimacy_from_approval(1.0) - 1.0).abs() < 1e-12);
        assert!((r.legitimacy_from_approval(0.0) - 0.9).abs() < 1e-12);
        assert!(r.legitimacy_from_approval(0.3) < r.legitimacy_from_approval(0.7));
        assert_eq!(RulesSpec::hardship_factor_from_price_rise(100.0), 2.0);
        assert!(r.lethality_of(Force::ShootToKill) > r.lethality_of(Force::LiveFire));
        assert!(r.remaining_after(Extent::National) < r.remaining_after(Extent::Mobile));
        assert_eq!(Force::parse("live_fire"), Some(Force::LiveFire));
        assert_eq!(Extent::parse("regional"), None);
        assert!(r.validate().is_ok());
        let bad = RulesSpec {
            legitimacy_span: 2.0,
            ..r
        };
        assert_eq!(bad.validate().unwrap_err().0, "rules.legitimacy_span");
    }

    #[test]
    fn regional_shares_keep_the_national_totals() {
        // Belarus 2020: Minsk names both groups; the provinces get the rest.
        let pops = [2.018, 7.392];
        let nat = [0.108, 0.892];
        let ex = vec![vec![Some(0.3), Some(0.7)], vec![None, None]];
        let s = regional_shares(&pops, &nat, &ex);
        assert_eq!(s[0], vec![0.3, 0.7]);
        let opp_rest = (0.108 * 9.41 - 0.3 * 2.018) / 7.392;
        assert!((s[1][0] - opp_rest).abs() < 1e-9, "{:?}", s[1]);
        let national_opp = (s[0][0] * pops[0] + s[1][0] * pops[1]) / 9.41;
        assert!((national_opp - 0.108).abs() < 1e-9);
        // A region naming one group splits its rest by the rest of the country.
        let ex = vec![vec![None, None], vec![Some(0.5), None]];
        let s = regional_shares(&[1.0, 1.0], &[0.3, 0.7], &ex);
        assert!(
            (s[1][0] - 0.5).abs() < 1e-9 && (s[1][1] - 0.5).abs() < 1e-9,
            "{:?}",
            s[1]
        );
        assert!((s[0][0] - 0.1).abs() < 1e-9, "{:?}", s[0]);
        // No region naming anything: every region has the national shares.
        let s = regional_shares(&[3.0, 1.0], &[0.2, 0.8], &[vec![None, None], vec![None, None]]);
        assert!(s.iter().all(|r| (r[0] - 0.2).abs() < 1e-12));
        // Named shares beyond the national total: none elsewhere, and it is reported.
        let ex = vec![vec![Some(0.5), None], vec![None, None]];
        let s = regional_shares(&[1.0, 1.0], &[0.1, 0.9], &ex);
        assert_eq!(s[1][0], 0.0);
        assert_eq!(
            shares_exceeding_national(&[1.0, 1.0], &[0.1, 0.9], &ex),
            vec![(0, 0.25)]
        );
        assert!(shares_exceeding_national(&pops, &nat, &[vec![Some(0.3), Some(0.7)], vec![None, None]]).is_empty());
    }
}

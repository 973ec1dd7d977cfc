//! The mechanisms of the protest–crackdown script, one pure function each,
//! named after what it models. [`crate::Country`] applies them every step;
//! `docs/mechanisms.md` collects the equations. Units: shares are fractions of
//! citizens; "per 100k" counts are scaled back to 1:1 and divided by the
//! population in hundreds of thousands, so the mechanisms do not depend on the
//! scenario's scale.

/// Geography: the lattice that holds a region's `population` at one agent per
/// `scale` people with citizen `density`. Returns `(width, height, citizens)`:
/// `n = max(1, round(population / scale))` citizens on the smallest near-square
/// lattice with at least `n / density` sites.
pub fn region_lattice(population: u64, scale: f64, density: f64) -> (u32, u32, u64) {
    let n = ((population as f64 / scale).round() as u64).max(1);
    let sites = (n as f64 / density).ceil().max(1.0);
    let w = sites.sqrt().ceil().max(1.0) as u32;
    let h = (sites / f64::from(w)).ceil().max(1.0) as u32;
    (w, h, n)
}

/// Police on a region's lattice: `round(population · per_100k/10⁵ · deployable / scale)`.
pub fn region_police(population: u64, per_100k: f64, deployable_share: f64, scale: f64) -> u32 {
    (population as f64 * per_100k / 1e5 * deployable_share / scale).round() as u32
}

/// Information: the activity a citizen perceives beyond its vision,
/// `a_info = w_r · (o + (1 − o)·ι) · a_r + w_n · ι · a_n`, with `a_r` and `a_n`
/// the active shares of its region and of the country in the previous step,
/// `ι ∈ [0,1]` the reach of media and the internet (1 normally, lowered by a
/// shutdown) and `o` the share of news about one's own region that travels
/// offline (word of mouth, seeing the square). Regional and national news of
/// crowds is what turns local protest into a national wave (Lohmann 1994's
/// informational cascades; Kuran 1991); a shutdown cuts the national channel
/// and part of the regional one.
pub fn perceived_activity(
    internet: f64,
    offline_share: f64,
    regional_share: f64,
    national_share: f64,
    w_r: f64,
    w_n: f64,
) -> f64 {
    w_r * (offline_share + (1.0 - offline_share) * internet) * regional_share + w_n * internet * national_share
}

/// News travels with a lag: the perceived share follows the actual one as an
/// exponential moving average, `ā ← ā + (1 − 2^(−Δt/h)) · (a − ā)` with
/// half-life `h` hours (0 = instantly). Reports, videos and rumours of crowds
/// elsewhere accumulate over hours to days, so a cascade takes days to cross a country.
pub fn news_lag(perceived: f64, actual: f64, step_hours: f64, half_life_hours: f64) -> f64 {
    if half_life_hours <= 0.0 {
        return actual;
    }
    let alpha = 1.0 - (-(step_hours / half_life_hours) * std::f64::consts::LN_2).exp();
    perceived + alpha * (actual - perceived)
}

/// Safety in numbers beyond vision: `A_info = κ · a_info` unseen actives are
/// added to the `A` of every citizen's `C/A` (see
/// `unrest_core::rules::informed_cop_active_ratio`): knowing that many others
/// are out lowers the estimated chance of arrest (Epstein's P, extended).
pub fn unseen_actives(perceived: f64, kappa: f64) -> f64 {
    (kappa * perceived).max(0.0)
}

/// Contagion: the threshold falls with perceived activity,
/// `T' = T − min(ΔT_max, γ · a_info)` (Granovetter 1978's threshold model:
/// joining is easier the more others have joined).
pub fn contagion_threshold(threshold: f64, perceived: f64, gamma: f64, max_drop: f64) -> f64 {
    threshold - (gamma * perceived).clamp(0.0, max_drop.max(0.0))
}

/// Demobilisation: a region's protest tires. The stock of protest-days
/// `F ← F · 2^(−Δt/h_F) + a · Δt` (its active share `a` times the step in
/// days, forgotten with half-life `h_F` days) raises every threshold there by
/// `φ_F · F`. Weeks on the street cost jobs, savings and nerve, and a movement
/// that has shown its numbers without winning loses the novelty that drew
/// the undecided (Tarrow 1998's cycle of contention; Kuran 1991: a revealed
/// stalemate stops the bandwagon). Without it a crowd, once out, stays out
/// until it is broken or wins.
pub fn fatigue_stock(stock: f64, active_share: f64, step_days: f64, half_life_days: f64) -> f64 {
    let decay = if half_life_days > 0.0 {
        (-(step_days / half_life_days) * std::f64::consts::LN_2).exp()
    } else {
        0.0
    };
    stock * decay + active_share.max(0.0) * step_days
}

/// Hardship drawn with a tail: `H = min + (max − min) · u^s` for a uniform
/// `u`. `s = 1` is Epstein's uniform hardship; `s > 1` puts most citizens
/// near the bottom of their constituency's range and few near its top, as
/// deprivation is distributed (right-skewed: most households get by, a few
/// are desperate). The share above a grievance threshold `x` of the range is
/// `1 − x^(1/s)`, so as legitimacy falls the crowd that can turn out grows
/// gradually instead of all at once.
pub fn hardship_draw(min: f64, max: f64, u: f64, shape: f64) -> f64 {
    min + (max - min) * u.clamp(0.0, 1.0).powf(shape.max(f64::MIN_POSITIVE))
}

/// Coordination on focal days: on the called weekday (weekly Sunday marches)
/// the threshold drops by `ΔT_f` during the first `hours` of the day; zero otherwise.
pub fn focal_day_drop(weekday: u32, hour: f64, focal: Option<u32>, drop: f64, hours: f64) -> f64 {
    match focal {
        Some(f) if f == weekday && hour < hours => drop,
        _ => 0.0,
    }
}

/// Concessions: each bump `b` made at time `t₀` contributes
/// `b · 2^(−(t − t₀)/h)` with half-life `h` days, or `b` for good if credible
/// (followed by deeds): a promise without follow-up fades.
pub fn concession_effect(bump: f64, days_since: f64, half_life_days: f64, credible: bool) -> f64 {
    if credible || days_since <= 0.0 {
        bump
    } else {
        bump * (-(days_since / half_life_days) * std::f64::consts::LN_2).exp()
    }
}

/// Backlash: visible repression adds to a stock that lowers perceived
/// legitimacy, `B ← B · 2^(−Δt/h_B) + β_K·K + β_D·D + β_T·τ·D + β_B·b`, with `K`
/// and `D` the killed and detained per 100k residents seen this step (own
/// region, plus `media_reach · ι` times the national rates), `τ` 1 while
/// torture is practised and `b` a dispersal's brutality. Repression that is
/// seen delegitimises (Opp & Roehl 1990; Francisco 2004's backlash).
#[allow(clippy::too_many_arguments)]
pub fn backlash(
    stock: f64,
    step_days: f64,
    half_life_days: f64,
    killed_per_100k: f64,
    detained_per_100k: f64,
    torture: bool,
    brutality: f64,
    w: (f64, f64, f64, f64),
) -> f64 {
    let (beta_k, beta_d, beta_t, beta_b) = w;
    let decay = (-(step_days / half_life_days) * std::f64::consts::LN_2).exp();
    let tau = if torture { 1.0 } else { 0.0 };
    stock * decay
        + beta_k * killed_per_100k
        + beta_d * detained_per_100k
        + beta_t * tau * detained_per_100k
        + beta_b * brutality
}

/// The seat of power: how much higher every threshold is in a region that is
/// not the capital (`δ`, `information.provincial_threshold`). A crowd in the
/// capital confronts the ruler where he sits and where the news is made; the
/// same crowd in a province threatens less and is seen less, so fewer turn out
/// for the same grievance. The record's crowds are concentrated so: Kyiv's
/// ~500,000 against ~150,000 in all the regional EuroMaidans together (8 Dec
/// 2013), Minsk's 200,000 against 10,000–20,000 in Brest or Grodno (14–16 Aug
/// 2020). One shared value, fitted (validation/model-fit/README.md).
pub fn provincial_rise(capital: bool, delta: f64) -> f64 {
    if capital {
        0.0
    } else {
        delta
    }
}

/// Rule E for a repeated act: the shock a sham election adds to legitimacy
/// where `standing` is the sham-election shock already in effect. The same
/// disputed result confirmed again (an inauguration, a second count) is the
/// same fraud, believed or disbelieved once: it adds only what goes beyond
/// the standing shock, so an equal or milder act adds nothing. (A policy
/// U-turn, `legitimacy_shock`, is a new act and always adds.)
pub fn fraud_increment(standing: f64, delta: f64) -> f64 {
    if delta < 0.0 {
        (delta - standing).min(0.0)
    } else {
        (delta - standing).max(0.0)
    }
}

/// Perceived legitimacy of a constituency in a region:
/// `L = clamp(L₀ + E + S − B, 0, 1)` with `E` the permanent shocks (policy
/// U-turns, sham elections), `S` the concessions in effect and `B` the backlash.
pub fn perceived_legitimacy(base: f64, shocks: f64, concessions: f64, backlash: f64) -> f64 {
    (base + shocks + concessions - backlash).clamp(0.0, 1.0)
}

/// Deterrence: fear of force scales risk aversion, `s_R = 1 + φ_q · q + φ_T · τ`,
/// so net risk is `N = R · s_R · P`: when an arrest can kill (probability `q`)
/// or means torture, the same arrest probability weighs more.
pub fn deterrence_risk_scale(lethality: f64, torture: bool, phi_q: f64, phi_t: f64) -> f64 {
    1.0 + phi_q * lethality + if torture { phi_t } else { 0.0 }
}

/// Deterrence beyond sight of the police: under lethal force (probability `q`
/// that an arrest kills) a citizen on the street runs an ambient risk
/// `p₀ = min(1, ψ · q)` whatever the local cop ratio, and the arrest
/// probability becomes `P' = P + (1 − P)·p₀` ("shoot without warning" is a
/// threat to everyone out, not only to those next to a cop).
pub fn ambient_risk(lethality: f64, psi: f64) -> f64 {
    (psi * lethality).clamp(0.0, 1.0)
}

/// How far the crowd overwhelms the police: `o = A / (m · C)`, actives per
/// officer relative to what one officer can face; infinite with no police.
/// `C` may be fractional: it counts reinforcements (see [`reinforced_police`]).
pub fn overwhelm(actives: u32, cops: f64, crowd_per_officer: f64) -> f64 {
    if actives == 0 {
        0.0
    } else if cops <= 0.0 {
        f64::INFINITY
    } else {
        f64::from(actives) / (crowd_per_officer * cops)
    }
}

/// Police a quiet province can spare: `C_s · max(0, 1 − o_s)`, all of them
/// when no one is out there, none once its own crowd overwhelms them.
pub fn spare_police(cops: u32, own_overwhelm: f64) -> f64 {
    f64::from(cops) * (1.0 - own_overwhelm).max(0.0)
}

/// Reinforcement: the capital's police as the officers there reckon the
/// regime's strength, `C_eff = C_cap + ρ · Σ_s spare_s`, with `ρ` the share of
/// the provinces' spare police the regime can bring to its seat (Berkut and
/// interior troops were sent to Kyiv from the provinces in December 2013;
/// OMON and interior troops to Minsk in August 2020). A crowd concentrated in
/// the capital faces the state's force, not one city's; a national wave,
/// which ties every province's police down at home, does not. Only the
/// capital is reinforced: the regime guards its seat first, and the ending is
/// decided there ([`regime_collapses`]). The reinforcements weigh in the
/// pressure on the capital's officers; arrests on its lattice are still made
/// by its own police (docs/mechanisms.md).
pub fn reinforced_police(own: u32, spare: f64, reach: f64) -> f64 {
    f64::from(own) + reach.max(0.0) * spare.max(0.0)
}

/// Disaffection of the police's own constituencies, `g = (1 − L̄_p) / λ`:
/// the disapproval of the regime implied by their current perceived
/// legitimacy `L̄_p` (the input rule `L = 1 − λ·(1 − approval)` read
/// backwards), in [0, 1]. Officers are drawn from the region's population, so
/// `L̄_p` weights constituencies by the region's own shares. It starts where
/// the surveys put it and rises as backlash erodes legitimacy.
pub fn police_disaffection(mean_legitimacy: f64, legitimacy_span: f64) -> f64 {
    if legitimacy_span <= 0.0 {
        0.0
    } else {
        ((1.0 - mean_legitimacy) / legitimacy_span).clamp(0.0, 1.0)
    }
}

/// Pressure on a region's police to stand aside,
/// `π = (max(0, o − 1) · g + χ · q · o) / (1 + ζ·f)`.
///
/// Officers hold back or defect when the crowd overwhelms them (`o > 1`;
/// Chenoweth & Stephan 2011: large campaigns are the ones that win
/// defections), the more so the less their own constituencies still believe
/// in the regime (`g`); and when ordered to fire on a crowd (lethality `q`),
/// in proportion to its size against them (`o`), overwhelming or not:
/// shooting on large unarmed crowds is what breaks security forces (Nepstad
/// 2011), and an officer asked to fire on a crowd ten times his unit's
/// strength is asked to kill many of his own. Loyal foreign forces beside
/// them (`f`, foreign personnel per domestic officer at the start) steady
/// them — the regime will survive, and defectors will be punished.
///
/// (Until session 8 the order to fire counted only under overwhelm,
/// `max(0, o − 1)·(g + χ·q)`; then deterrence, which shrinks the crowd below
/// the overwhelm line, always won, and lethal force always saved a regime.)
pub fn loyalty_pressure(
    overwhelm: f64,
    disaffection: f64,
    lethality: f64,
    foreign_share: f64,
    l: &LoyaltyWeights,
) -> f64 {
    let o = if overwhelm.is_finite() { overwhelm } else { 1e6 };
    ((o - 1.0).max(0.0) * disaffection + l.firing_shock * lethality * o.max(0.0))
        / (1.0 + l.foreign_steadying * foreign_share.max(0.0))
}

/// The weights of [`loyalty_pressure`] (from `[loyalty]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoyaltyWeights {
    pub firing_shock: f64,
    pub foreign_steadying: f64,
}

/// Loyalty, part 1 — police stop arresting: `w = 1 / (1 + η · π)`.
pub fn arrest_willingness(pressure: f64, eta: f64) -> f64 {
    1.0 / (1.0 + eta * pressure.max(0.0))
}

/// Loyalty, part 2 — defection, a threshold model (Granovetter 1978): each
/// officer has a loyalty threshold, exponential with mean `τ` in units of
/// pressure, and goes over (for good) the first time the pressure exceeds it.
/// Those still serving have thresholds above the highest pressure so far,
/// `π̂`, so when the pressure rises to `π > π̂` each of them defects with
/// probability `1 − exp(−(π − π̂)/τ)` (memorylessness of the exponential);
/// pressure that does not exceed its earlier peak defects no one.
///
/// Why a threshold and not a rate: a rate makes any crowd that outnumbers the
/// police, kept up for weeks, strip a capital of its police — Kyiv's stood by
/// the Maidan for three months and went over only after the shootings of
/// 18–20 February 2014. Defections come in steps, when something new happens
/// (a bigger crowd, an order to fire), and a defection lowers the police left,
/// so raises the overwhelm, so the pressure on the rest: the cascade.
pub fn defection_share(pressure: f64, peak_pressure: f64, tau: f64) -> f64 {
    let rise = pressure - peak_pressure.max(0.0);
    if !(rise > 0.0) {
        0.0
    } else if tau <= 0.0 || rise.is_infinite() {
        1.0
    } else {
        1.0 - (-rise / tau).exp()
    }
}

/// Regime collapse: the capital's loyal force `K = C_d + C_f` (domestic
/// officers still serving plus foreign forces) falls below `θ` times its
/// police at the start. Only defection counts: police who stand by a crowd
/// (low arrest willingness) still hold the ruler's buildings.
pub fn regime_collapses(domestic: u32, foreign: u32, initial_police: u32, collapse_share: f64) -> bool {
    let force = f64::from(domestic) + f64::from(foreign);
    initial_police > 0 && force < collapse_share * f64::from(initial_police)
}

/// A run's outcome. `docs/mechanisms.md` maps them to NAVCO 1.2's
/// success (collapsed), limited (conceded) and failure (suppressed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Activity never reached the smallest participation NAVCO records.
    NoProtest,
    /// The protest ended under repression; grievances stand.
    Suppressed,
    /// The protest ended after concessions, with legitimacy above where it started.
    Conceded,
    /// The ruler fell: the capital's security forces defected.
    Collapsed,
    /// None of these by the calendar's end.
    Ongoing,
}

impl Outcome {
    pub const NAMES: [&'static str; 5] = ["no_protest", "suppressed", "conceded", "collapsed", "ongoing"];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::NoProtest => "no_protest",
            Outcome::Suppressed => "suppressed",
            Outcome::Conceded => "conceded",
            Outcome::Collapsed => "collapsed",
            Outcome::Ongoing => "ongoing",
        }
    }

    /// NAVCO 1.2's coding of a campaign with this ending.
    pub fn navco(self) -> &'static str {
        match self {
            Outcome::Collapsed => "success",
            Outcome::Conceded => "limited",
            Outcome::Suppressed => "failure",
            Outcome::Ongoing => "ongoing",
            Outcome::NoProtest => "none",
        }
    }
}

/// Which condition decided the outcome, for the summary.
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeReason {
    pub outcome: Outcome,
    /// The step it is dated at.
    pub step: u64,
    /// The condition that fired, in words with its numbers.
    pub reason: String,
}

/// What the outcome classification reads off a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutcomeInputs {
    pub collapsed_at: Option<u64>,
    /// The capital's loyal force and police at the start, when it collapsed.
    pub capacity_at_collapse: (f64, u32),
    pub ended_at: Option<u64>,
    pub peak_share: f64,
    pub legitimacy_start: f64,
    pub legitimacy_end: f64,
    pub last_step: u64,
}

/// Outcome classification, in order: `collapsed` if the capital's loyal
/// force fell below `θ` of its police (dated then); `no_protest` if the
/// national peak share stayed under `min_peak_share`; `ongoing` if activity
/// never settled below `ended_share` of the peak; otherwise the protest ended:
/// `conceded` if mean legitimacy at the end exceeds its start by more than
/// `margin` (concessions outweighed the backlash), else `suppressed`.
pub fn classify_outcome(x: &OutcomeInputs, min_peak_share: f64, margin: f64, collapse_share: f64) -> OutcomeReason {
    if let Some(t) = x.collapsed_at {
        let (cap, police) = x.capacity_at_collapse;
        return OutcomeReason {
            outcome: Outcome::Collapsed,
            step: t,
            reason: format!(
                "the capital's loyal force (officers still serving and foreign forces) fell to {cap:.0} of its {police} officers (below {:.0}%)",
                100.0 * collapse_share
            ),
        };
    }
    if x.peak_share < min_peak_share {
        return OutcomeReason {
            outcome: Outcome::NoProtest,
            step: x.last_step,
            reason: format!(
                "peak {:.4}% of citizens active, under {:.4}%",
                100.0 * x.peak_share,
                100.0 * min_peak_share
            ),
        };
    }
    let Some(t) = x.ended_at else {
        return OutcomeReason {
            outcome: Outcome::Ongoing,
            step: x.last_step,
            reason: "activity still above the end threshold at the calendar's end".into(),
        };
    };
    let dl = x.legitimacy_end - x.legitimacy_start;
    if dl > margin {
        OutcomeReason {
            outcome: Outcome::Conceded,
            step: t,
            reason: format!("protest ended with mean legitimacy {dl:+.3} above its start"),
        }
    } else {
        OutcomeReason {
            outcome: Outcome::Suppressed,
            step: t,
            reason: format!("protest ended with mean legitimacy {dl:+.3} from its start"),
        }
    }
}

/// When the protest ended: the first step after the national peak from which
/// activity stays below `share` of the peak to the end (`None` if it never
/// does, or there was no protest).
pub fn protest_ended(active: &[u32], share: f64) -> Option<usize> {
    let (peak_i, &peak) = active
        .iter()
        .enumerate()
        .max_by_key(|&(i, a)| (*a, std::cmp::Reverse(i)))?;
    if peak == 0 {
        return None;
    }
    let limit = share * f64::from(peak);
    let mut end = None;
    for (i, &a) in active.iter().enumerate().skip(peak_i) {
        if f64::from(a) < limit {
            end.get_or_insert(i);
        } else {
            end = None;
        }
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_lattice_holds_the_population() {
        let (w, h, n) = region_lattice(2_030_285, 1000.0, 0.7);
        assert_eq!(n, 2030);
        assert!(u64::from(w) * u64::from(h) >= 2900 && f64::from(w * h) * 0.7 >= 2030.0);
        let (_, _, n1) = region_lattice(1234, 1.0, 0.7);
        assert_eq!(n1, 1234, "1:1 is possible");
        assert_eq!(region_police(1_000_000, 300.0, 0.5, 100.0), 15);
    }

    #[test]
    fn information_is_cut_by_a_shutdown() {
        let on = perceived_activity(1.0, 0.5, 0.02, 0.01, 1.0, 0.5);
        assert!((on - 0.025).abs() < 1e-12);
        assert_eq!(perceived_activity(0.0, 0.0, 0.02, 0.01, 1.0, 0.5), 0.0);
        let cut = perceived_activity(0.0, 0.5, 0.02, 0.01, 1.0, 0.5);
        assert!(
            (cut - 0.01).abs() < 1e-12,
            "only word of mouth about the own region is left"
        );
        assert_eq!(unseen_actives(on, 2000.0), 50.0);
        assert_eq!(news_lag(0.0, 0.4, 6.0, 0.0), 0.4);
        assert!((news_lag(0.0, 0.4, 6.0, 6.0) - 0.2).abs() < 1e-12);
        assert!((contagion_threshold(0.1, on, 2.0, 0.2) - 0.05).abs() < 1e-12);
        assert!(
            (contagion_threshold(0.1, 1.0, 2.0, 0.08) - 0.02).abs() < 1e-12,
            "capped"
        );
        assert_eq!(focal_day_drop(6, 10.0, Some(6), 0.05, 24.0), 0.05);
        assert_eq!(focal_day_drop(5, 10.0, Some(6), 0.05, 24.0), 0.0);
    }

    #[test]
    fn concessions_fade_unless_credible() {
        assert_eq!(concession_effect(0.1, 0.0, 7.0, false), 0.1);
        assert!((concession_effect(0.1, 7.0, 7.0, false) - 0.05).abs() < 1e-12);
        assert_eq!(concession_effect(0.1, 70.0, 7.0, true), 0.1);
    }

    #[test]
    fn backlash_grows_with_repression_and_decays() {
        let w = (0.1, 0.001, 0.002, 0.05);
        let b1 = backlash(0.0, 0.25, 30.0, 1.0, 10.0, false, 0.0, w);
        assert!((b1 - (0.1 + 0.01)).abs() < 1e-12);
        let b2 = backlash(0.0, 0.25, 30.0, 1.0, 10.0, true, 0.0, w);
        assert!(b2 > b1, "torture adds backlash");
        let decayed = backlash(0.2, 30.0, 30.0, 0.0, 0.0, false, 0.0, w);
        assert!((decayed - 0.1).abs() < 1e-12);
        assert!((perceived_legitimacy(0.8, -0.1, 0.05, 0.5) - 0.25).abs() < 1e-12);
        assert_eq!(perceived_legitimacy(0.8, 0.0, 0.5, 0.0), 1.0);
    }

    #[test]
    fn deterrence_and_backlash_can_each_win() {
        // A citizen with H = 0.8, R = 0.5, L = 0.7, T = 0.1 facing P = 0.2.
        let active = |l: f64, s_r: f64| 0.8 * (1.0 - l) - 0.5 * s_r * 0.2 > 0.1;
        assert!(active(0.7, 1.0));
        // Lethal force q = 0.2 with φ_q = 5 doubles the fear: deterrence wins...
        let s = deterrence_risk_scale(0.2, false, 5.0, 0.0);
        assert_eq!(s, 2.0);
        assert!(!active(0.7, s));
        assert_eq!(ambient_risk(0.2, 0.5), 0.1);
        assert_eq!(ambient_risk(0.5, 4.0), 1.0);
        // ...unless the killings it brings cost enough legitimacy: backlash wins.
        let l = perceived_legitimacy(
            0.7,
            0.0,
            0.0,
            backlash(0.0, 1.0, 30.0, 2.0, 0.0, false, 0.0, (0.1, 0.0, 0.0, 0.0)),
        );
        assert!(active(l, s));
    }

    #[test]
    fn the_capital_is_reinforced_from_quiet_provinces_only() {
        // A quiet province spares all its police, an overwhelmed one none.
        assert_eq!(spare_police(100, 0.0), 100.0);
        assert_eq!(spare_police(100, 0.25), 75.0);
        assert_eq!(spare_police(100, 3.0), 0.0);
        // With reach 0.2, 200 spare officers add 40 to the capital's 20...
        let c = reinforced_police(20, 200.0, 0.2);
        assert_eq!(c, 60.0);
        // ...so a crowd of 600 that overwhelmed 20 officers three times over
        // (m = 10) no longer does; without reach the capital stands alone.
        assert_eq!(overwhelm(600, 20.0, 10.0), 3.0);
        assert_eq!(overwhelm(600, c, 10.0), 1.0);
        assert_eq!(reinforced_police(20, 200.0, 0.0), 20.0);
    }

    #[test]
    fn loyalty_wavers_only_when_overwhelmed() {
        let lw = LoyaltyWeights {
            firing_shock: 2.0,
            foreign_steadying: 1.0,
        };
        assert_eq!(overwhelm(0, 0.0, 10.0), 0.0);
        assert_eq!(overwhelm(50, 1.0, 10.0), 5.0);
        assert!(overwhelm(1, 0.0, 10.0).is_infinite());
        assert!((police_disaffection(0.93, 0.1) - 0.7).abs() < 1e-9);
        assert_eq!(police_disaffection(0.5, 0.1), 1.0);
        assert_eq!(
            loyalty_pressure(0.9, 0.7, 0.0, 0.0, &lw),
            0.0,
            "not overwhelmed, no order to fire"
        );
        assert!(
            loyalty_pressure(0.9, 0.7, 0.2, 0.0, &lw) > 0.0,
            "an order to fire on a crowd presses even when it does not overwhelm"
        );
        assert!(
            loyalty_pressure(0.9, 0.7, 0.2, 0.0, &lw) < loyalty_pressure(2.0, 0.7, 0.2, 0.0, &lw),
            "the more so the larger the crowd"
        );
        let p = loyalty_pressure(3.0, 0.5, 0.0, 0.0, &lw);
        assert!((p - 1.0).abs() < 1e-12);
        assert!(
            loyalty_pressure(3.0, 0.5, 0.2, 0.0, &lw) > p,
            "orders to fire add pressure"
        );
        assert!(loyalty_pressure(3.0, 0.5, 0.0, 0.5, &lw) < p, "foreign forces steady");
        assert_eq!(arrest_willingness(0.0, 1.0), 1.0);
        assert!((arrest_willingness(2.0, 1.0) - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(defection_share(0.0, 0.0, 2.0), 0.0);
        assert_eq!(
            defection_share(1.0, 1.5, 2.0),
            0.0,
            "below its peak, pressure defects no one"
        );
        assert!((defection_share(3.0, 1.0, 2.0) - (1.0 - (-1.0f64).exp())).abs() < 1e-12);
        // Two rises add up to one: the thresholds are exponential.
        let two = 1.0 - (1.0 - defection_share(1.0, 0.0, 2.0)) * (1.0 - defection_share(3.0, 1.0, 2.0));
        assert!((two - defection_share(3.0, 0.0, 2.0)).abs() < 1e-12);
        assert_eq!(defection_share(f64::INFINITY, 0.0, 2.0), 1.0);
        assert_eq!(loyalty_pressure(f64::INFINITY, 1.0, 0.0, 0.0, &lw) > 1e5, true);
    }

    #[test]
    fn collapse_and_outcomes() {
        assert!(!regime_collapses(100, 0, 100, 0.5));
        assert!(regime_collapses(40, 0, 100, 0.5));
        assert!(!regime_collapses(40, 20, 100, 0.5), "foreign forces prop it up");
        let x = OutcomeInputs {
            collapsed_at: None,
            capacity_at_collapse: (0.0, 0),
            ended_at: Some(5),
            peak_share: 0.01,
            legitimacy_start: 0.8,
            legitimacy_end: 0.9,
            last_step: 20,
        };
        let c = |x: &OutcomeInputs| classify_outcome(x, 0.0001, 0.0, 0.5);
        assert_eq!(c(&x).outcome, Outcome::Conceded);
        assert_eq!(
            c(&OutcomeInputs {
                legitimacy_end: 0.7,
                ..x
            })
            .outcome,
            Outcome::Suppressed
        );
        assert_eq!(c(&OutcomeInputs { ended_at: None, ..x }).outcome, Outcome::Ongoing);
        assert_eq!(c(&OutcomeInputs { peak_share: 0.0, ..x }).outcome, Outcome::NoProtest);
        let fell = c(&OutcomeInputs {
            collapsed_at: Some(9),
            capacity_at_collapse: (40.0, 100),
            ..x
        });
        assert_eq!((fell.outcome, fell.step), (Outcome::Collapsed, 9));
        assert!(fell.reason.contains("40 of its 100"), "{}", fell.reason);
        assert_eq!(Outcome::Collapsed.navco(), "success");
        assert_eq!(protest_ended(&[0, 5, 100, 50, 4, 3, 2], 0.05), Some(4));
        assert_eq!(protest_ended(&[0, 5, 100, 50, 4, 30, 2], 0.05), Some(6));
        assert_eq!(protest_ended(&[0, 0], 0.05), None);
    }
    #[test]
    fn fatigue_accumulates_protest_days_and_is_forgotten() {
        // A tenth of the region out for a day adds 0.1 protest-days.
        assert!((fatigue_stock(0.0, 0.1, 1.0, 30.0) - 0.1).abs() < 1e-12);
        // One half-life later, with no one out, half is left.
        assert!((fatigue_stock(0.4, 0.0, 30.0, 30.0) - 0.2).abs() < 1e-12);
        // A half-life of 0 keeps only this step.
        assert_eq!(fatigue_stock(5.0, 0.0, 0.25, 0.0), 0.0);
    }

    #[test]
    fn hardship_draw_is_uniform_at_shape_one_and_skewed_above() {
        assert_eq!(hardship_draw(0.0, 1.0, 0.3, 1.0), 0.3);
        assert_eq!(hardship_draw(0.2, 0.6, 1.0, 4.0), 0.6);
        // Share above 0.5 of the range: 1 − 0.5^(1/s).
        let n = 100_000;
        let above = (0..n)
            .filter(|&i| hardship_draw(0.0, 1.0, (i as f64 + 0.5) / n as f64, 3.0) > 0.5)
            .count() as f64
            / n as f64;
        assert!((above - (1.0 - 0.5f64.powf(1.0 / 3.0))).abs() < 1e-3, "{above}");
    }

    #[test]
    fn a_repeated_sham_election_adds_only_beyond_the_standing_shock() {
        assert_eq!(fraud_increment(0.0, -0.03), -0.03);
        assert_eq!(fraud_increment(-0.03, -0.03), 0.0);
        assert!((fraud_increment(-0.03, -0.05) + 0.02).abs() < 1e-12);
        assert_eq!(fraud_increment(-0.05, -0.03), 0.0);
    }
}

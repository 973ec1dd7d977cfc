//! The country schema: what a country scenario file holds once parsed
//! (`unrest-scenario` reads the TOML, locates errors, and builds a
//! [`CountrySpec`]). Every key, unit, default and range is documented in
//! `docs/scenarios.md`; the doc comments here say what each means in the model.

use serde::{Deserialize, Serialize};

/// A whole country scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountrySpec {
    /// Must be `"country"`: what tells a country scenario from a lattice one.
    pub kind: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "one")]
    pub seed: u64,
    /// One agent stands for `scale` people (1 = one agent per person).
    #[serde(default = "default_scale")]
    pub scale: f64,
    /// Lattice rule preset (`epstein`, `mesa`, `netlogo`) before `[lattice]`.
    #[serde(default = "default_preset")]
    pub preset: String,
    /// Lattice parameter overrides common to every region (as a Model I
    /// `[params]` table; size and densities are set per region and may not appear).
    #[serde(default)]
    pub lattice: std::collections::BTreeMap<String, LatticeValue>,
    pub calendar: CalendarSpec,
    pub regions: Vec<RegionSpec>,
    pub constituencies: Vec<ConstituencySpec>,
    #[serde(default)]
    pub police: PoliceSpec,
    #[serde(default)]
    pub information: InformationSpec,
    #[serde(default)]
    pub legitimacy: LegitimacySpec,
    #[serde(default)]
    pub deterrence: DeterrenceSpec,
    #[serde(default)]
    pub loyalty: LoyaltySpec,
    #[serde(default)]
    pub detention: DetentionSpec,
    #[serde(default)]
    pub foreign: ForeignSpec,
    #[serde(default)]
    pub outcome: OutcomeSpec,
    /// The input rules' shared values (`crate::rules`), used when the file is
    /// read: observables such as `approval` or `force` become model inputs.
    #[serde(default)]
    pub rules: crate::rules::RulesSpec,
    #[serde(default)]
    pub events: Vec<EventSpec>,
    #[serde(default)]
    pub policy: Vec<PolicySpec>,
    #[serde(default)]
    pub criteria: Vec<CriterionSpec>,
}

/// A lattice parameter value as written (number, bool or word).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LatticeValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

fn one() -> u64 {
    1
}
fn default_scale() -> f64 {
    1000.0
}
fn default_preset() -> String {
    "epstein".into()
}
fn yes() -> bool {
    true
}

/// `[calendar]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    /// Date of step 0, `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM`.
    pub start: String,
    /// Date of the last step.
    pub end: String,
    /// Hours per step.
    #[serde(default = "default_step_hours")]
    pub step_hours: f64,
}

fn default_step_hours() -> f64 {
    6.0
}

/// `[[regions]]`: one lattice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionSpec {
    pub name: String,
    /// Residents (people, at 1:1).
    pub population: u64,
    /// The seat of government: its police decide whether the regime falls.
    #[serde(default)]
    pub capital: bool,
    /// Police per 100,000 residents, overriding `[police] per_100k`.
    #[serde(default)]
    pub police_per_100k: Option<f64>,
    /// Share of sites holding a citizen (sets the lattice size).
    #[serde(default = "default_density")]
    pub density: f64,
    /// Per-constituency population shares here, overriding the constituency's
    /// national `share` (name → share).
    #[serde(default)]
    pub shares: std::collections::BTreeMap<String, f64>,
    #[serde(default)]
    pub source: String,
}

fn default_density() -> f64 {
    0.7
}

/// A uniform distribution `U(min, max)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Uniform {
    pub min: f64,
    pub max: f64,
}

impl Default for Uniform {
    fn default() -> Self {
        Uniform { min: 0.0, max: 1.0 }
    }
}

/// `[[constituencies]]`: a group of citizens with its own distributions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConstituencySpec {
    pub name: String,
    /// Share of each region's citizens (normalised over constituencies per region).
    pub share: f64,
    /// Hardship H drawn from `min + (max − min)·u^s`, `u` uniform and `s` the
    /// model's `rules.hardship_shape` (1: U(min, max)).
    #[serde(default)]
    pub hardship: Uniform,
    /// Risk aversion R drawn from U(min, max).
    #[serde(default)]
    pub risk_aversion: Uniform,
    /// Perceived legitimacy L before anything happens.
    pub legitimacy: f64,
    /// Activation threshold T.
    #[serde(default = "default_threshold")]
    pub threshold: f64,
}

fn default_threshold() -> f64 {
    0.1
}

/// `[police]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PoliceSpec {
    /// Police officers per 100,000 residents.
    pub per_100k: f64,
    /// Share of them on the street for public order at any time.
    pub deployable_share: f64,
    /// Arrests one officer with an active citizen in sight makes per day
    /// (Epstein's cops arrest at every activation, i.e. `24 / step_hours`).
    #[serde(default = "default_arrests_per_day")]
    pub arrests_per_day: f64,
}

fn default_arrests_per_day() -> f64 {
    1.0
}

impl Default for PoliceSpec {
    fn default() -> Self {
        PoliceSpec {
            per_100k: 300.0,
            deployable_share: 0.25,
            arrests_per_day: 1.0,
        }
    }
}

/// `[information]`: the coupling of a citizen's decision to activity beyond vision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InformationSpec {
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Weight `w_r` of the own region's active share.
    pub regional_weight: f64,
    /// Weight `w_n` of the national active share.
    pub national_weight: f64,
    /// Half-life in hours with which perceived shares follow the actual ones (0 = instantly).
    #[serde(default)]
    pub news_half_life_hours: f64,
    /// `o`: share of news about one's own region that travels without the internet.
    #[serde(default = "half")]
    pub offline_share: f64,
    /// `κ`: unseen actives added to `A` per unit of perceived active share.
    pub safety_in_numbers: f64,
    /// `γ`: threshold drop per unit of perceived active share (contagion).
    pub contagion: f64,
    /// Largest threshold drop from contagion.
    pub max_threshold_drop: f64,
    /// Coordination days: weekday (`mon`..`sun`) on which called marches lower thresholds.
    #[serde(default)]
    pub focal_weekday: Option<String>,
    /// Threshold drop on focal days (needs `focal_weekday`).
    #[serde(default)]
    pub focal_threshold_drop: f64,
    /// Date from which focal days count (marches are called from then on).
    #[serde(default)]
    pub focal_from: Option<String>,
    /// Steps of the focal day from its start during which the drop applies.
    #[serde(default = "default_focal_hours")]
    pub focal_hours: f64,
    /// `φ_F`: threshold rise per protest-day of a region (its active share
    /// times days, `mechanisms::fatigue_stock`); 0 = no demobilisation.
    #[serde(default)]
    pub fatigue: f64,
    /// `h_F`: half-life in days with which a region forgets its protest-days.
    #[serde(default = "default_fatigue_half_life")]
    pub fatigue_half_life_days: f64,
    /// `δ`: threshold rise away from the seat of power, in every region but
    /// the capital (`mechanisms::provincial_rise`); 0 = none.
    #[serde(default)]
    pub provincial_threshold: f64,
}

fn default_fatigue_half_life() -> f64 {
    30.0
}

fn half() -> f64 {
    0.5
}

fn default_focal_hours() -> f64 {
    24.0
}

impl Default for InformationSpec {
    fn default() -> Self {
        InformationSpec {
            enabled: true,
            regional_weight: 1.0,
            national_weight: 0.5,
            offline_share: 0.5,
            news_half_life_hours: 0.0,
            safety_in_numbers: 2000.0,
            contagion: 5.0,
            max_threshold_drop: 0.03,
            focal_weekday: None,
            focal_threshold_drop: 0.0,
            focal_from: None,
            focal_hours: 24.0,
            fatigue: 0.0,
            fatigue_half_life_days: 30.0,
            provincial_threshold: 0.0,
        }
    }
}

/// `[legitimacy]`: how perceived legitimacy moves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LegitimacySpec {
    /// Whether visible repression lowers legitimacy (backlash).
    #[serde(default = "yes")]
    pub backlash: bool,
    /// `β_K`: legitimacy lost per killed person per 100,000 residents seen.
    pub killed_weight: f64,
    /// `β_D`: per detained person per 100,000 residents seen.
    pub detained_weight: f64,
    /// `β_T`: extra per detained person per 100,000 while torture is practised.
    pub torture_weight: f64,
    /// `β_B`: per unit brutality of a violent dispersal (crackdown event), in its region.
    pub brutality_weight: f64,
    /// Share of repression in other regions seen through media (times the internet level).
    pub media_reach: f64,
    /// Days for the backlash stock to halve.
    pub backlash_half_life_days: f64,
}

impl Default for LegitimacySpec {
    fn default() -> Self {
        LegitimacySpec {
            backlash: true,
            killed_weight: 0.05,
            detained_weight: 0.0005,
            torture_weight: 0.001,
            brutality_weight: 0.1,
            media_reach: 0.5,
            backlash_half_life_days: 30.0,
        }
    }
}

/// `[deterrence]`: how the threat of force enters net risk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeterrenceSpec {
    #[serde(default = "yes")]
    pub enabled: bool,
    /// `φ_q`: risk multiplier per unit lethality, `s_R = 1 + φ_q·q + φ_T·torture`.
    pub lethal_fear: f64,
    /// `φ_T`: risk multiplier added while torture is practised.
    pub torture_fear: f64,
    /// `ψ`: ambient risk per unit lethality, `p₀ = min(1, ψ·q)`.
    #[serde(default)]
    pub ambient_fear: f64,
}

impl Default for DeterrenceSpec {
    fn default() -> Self {
        DeterrenceSpec {
            enabled: true,
            lethal_fear: 10.0,
            torture_fear: 0.2,
            ambient_fear: 0.0,
        }
    }
}

/// `[loyalty]`: security-force loyalty and regime collapse.
///
/// The pressure on a region's police to stand aside is
/// `π = (max(0, o − 1) · g + χ·q·o) / (1 + ζ·f)`: overwhelm `o` (a crowd too
/// big to face; in the capital, against its police plus the reinforcements
/// the provinces can spare), the disaffection `g` of the constituencies the
/// officers come from, orders to fire `q` on the crowd, and the share `f` of
/// loyal foreign forces beside them (`crate::mechanisms::loyalty_pressure`).
/// No threshold of legitimacy is set by hand: every term is measured from the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoyaltySpec {
    #[serde(default = "yes")]
    pub enabled: bool,
    /// `m`: actives one officer can face before the crowd overwhelms the police.
    pub crowd_per_officer: f64,
    /// `η`: how fast arrest willingness falls with the pressure, `w = 1/(1 + η·π)`.
    pub wavering: f64,
    /// `τ`: mean loyalty threshold of an officer, in units of pressure; an
    /// officer defects the first time the pressure exceeds his threshold
    /// (`crate::mechanisms::defection_share`).
    pub defection_threshold: f64,
    /// `χ`: pressure added per unit lethality of an order to fire, times the overwhelm.
    pub firing_shock: f64,
    /// `ρ`: share of the quiet provinces' spare police the regime brings to
    /// the capital (`crate::mechanisms::reinforced_police`); 0 = none.
    pub reinforcement: f64,
    /// `ζ`: how much loyal foreign forces (as a share of the region's police)
    /// steady the domestic police.
    pub foreign_steadying: f64,
    /// The regime falls when the capital's police still serving, with foreign
    /// forces, drop below this share of its police at the start.
    pub collapse_share: f64,
}

impl Default for LoyaltySpec {
    fn default() -> Self {
        LoyaltySpec {
            enabled: true,
            crowd_per_officer: 10.0,
            wavering: 1.0,
            defection_threshold: 5.0,
            firing_shock: 1.0,
            reinforcement: 0.0,
            foreign_steadying: 2.0,
            collapse_share: 0.5,
        }
    }
}

/// `[detention]`: jail terms and convictions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetentionSpec {
    /// Jail terms are drawn from U(0, max_jail_days) (in days, turned into steps).
    pub max_jail_days: f64,
    /// Share of detainees convicted (a count; see docs).
    pub conviction_rate: f64,
}

impl Default for DetentionSpec {
    fn default() -> Self {
        DetentionSpec {
            max_jail_days: 15.0,
            conviction_rate: 0.05,
        }
    }
}

/// `[foreign]`: the ally whose forces may be deployed by events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ForeignSpec {
    pub name: String,
    /// Share of deployed personnel on public-order duty (the rest guard sites).
    pub street_share: f64,
}

impl Default for ForeignSpec {
    fn default() -> Self {
        ForeignSpec {
            name: "ally".into(),
            street_share: 1.0,
        }
    }
}

/// `[outcome]`: how a run is classified (`crate::mechanisms::classify_outcome`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutcomeSpec {
    /// The protest is over once national activity stays below this share of its peak.
    pub ended_share: f64,
    /// `conceded` needs mean legitimacy at the end above its start by this margin.
    pub concession_margin: f64,
    /// Below this peak share of the population active at once there was no
    /// protest to speak of (NAVCO 1.2's lowest participation bin is < 0.01%).
    pub min_peak_share: f64,
}

impl Default for OutcomeSpec {
    fn default() -> Self {
        OutcomeSpec {
            ended_share: 0.05,
            concession_margin: 0.01,
            min_peak_share: 0.0001,
        }
    }
}

/// `[[events]]`: a dated action. `regions` and `constituencies` default to all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventSpec {
    pub at: String,
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default)]
    pub constituencies: Vec<String>,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub note: String,
    #[serde(flatten)]
    pub action: Action,
}

/// What an event or a policy rule does. The tag is the event's `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// Multiply the targeted constituencies' hardship by `factor` (a price
    /// rise), reached linearly over `ramp_hours` (as people meet the new price).
    HardshipShock {
        factor: f64,
        #[serde(default)]
        ramp_hours: f64,
    },
    /// Undo hardship shocks: the multiplier returns to 1 (a price rollback),
    /// linearly over `ramp_hours` (people need time to believe it).
    HardshipReversal {
        #[serde(default)]
        ramp_hours: f64,
    },
    /// Change perceived legitimacy permanently by `delta` (a policy U-turn).
    LegitimacyShock {
        delta: f64,
    },
    /// A sham election or referendum: legitimacy changes by `delta` (negative
    /// when the result is not believed).
    ShamElection {
        delta: f64,
    },
    /// A legitimacy bump that halves every `half_life_days` unless `credible`.
    Concession {
        bump: f64,
        #[serde(default = "default_half_life")]
        half_life_days: f64,
        #[serde(default)]
        credible: bool,
    },
    /// State of emergency: police ×`police_factor`, jail terms ×`jail_factor`,
    /// k ×`k_factor`, arrests per officer ×`arrest_factor` (mass detention).
    Emergency {
        #[serde(default = "two")]
        police_factor: f64,
        #[serde(default = "two")]
        jail_factor: f64,
        #[serde(default = "one_f")]
        k_factor: f64,
        #[serde(default = "one_f")]
        arrest_factor: f64,
    },
    EmergencyEnd,
    /// An arrest kills with probability `lethality`.
    LethalForce {
        lethality: f64,
    },
    LethalForceEnd,
    /// Detainees are tortured: more fear (deterrence) and more backlash.
    Torture,
    TortureEnd,
    /// Information coupling falls to `remaining` (0 = cut entirely).
    InternetShutdown {
        #[serde(default)]
        remaining: f64,
    },
    InternetRestore,
    /// `troops` foreign personnel (real people, scaled) arrive, split over the regions.
    ForeignTroopsIn {
        troops: f64,
    },
    /// Foreign personnel leave (all of them if `troops` is absent).
    ForeignTroopsOut {
        #[serde(default)]
        troops: Option<f64>,
    },
    /// Mass detention ordered: arrests per officer ×`factor` until `mass_detention_end`.
    MassDetention {
        factor: f64,
    },
    MassDetentionEnd,
    /// A violent dispersal: police ×`police_factor` for `hours`, with visible `brutality`.
    Crackdown {
        #[serde(default = "two")]
        police_factor: f64,
        #[serde(default = "default_crackdown_hours")]
        hours: f64,
        #[serde(default = "one_f")]
        brutality: f64,
    },
}

fn two() -> f64 {
    2.0
}
fn one_f() -> f64 {
    1.0
}
fn default_half_life() -> f64 {
    7.0
}
fn default_crackdown_hours() -> f64 {
    12.0
}

impl Action {
    /// Every `kind` accepted, in the order documented.
    pub const KINDS: [&'static str; 18] = [
        "hardship_shock",
        "hardship_reversal",
        "legitimacy_shock",
        "sham_election",
        "concession",
        "emergency",
        "emergency_end",
        "lethal_force",
        "lethal_force_end",
        "torture",
        "torture_end",
        "internet_shutdown",
        "internet_restore",
        "foreign_troops_in",
        "foreign_troops_out",
        "crackdown",
        "mass_detention",
        "mass_detention_end",
    ];

    /// The keys a `kind` takes besides the common ones.
    pub fn keys_of(kind: &str) -> Option<&'static [&'static str]> {
        Some(match kind {
            "hardship_shock" => &["factor", "ramp_hours"],
            "legitimacy_shock" | "sham_election" => &["delta"],
            "concession" => &["bump", "half_life_days", "credible"],
            "emergency" => &["police_factor", "jail_factor", "k_factor", "arrest_factor"],
            "lethal_force" => &["lethality"],
            "internet_shutdown" => &["remaining"],
            "foreign_troops_in" | "foreign_troops_out" => &["troops"],
            "crackdown" => &["police_factor", "hours", "brutality"],
            "mass_detention" => &["factor"],
            "hardship_reversal" => &["ramp_hours"],
            "emergency_end" | "lethal_force_end" | "torture" | "torture_end" | "internet_restore"
            | "mass_detention_end" => &[],
            _ => return None,
        })
    }

    /// The event's kind as written in scenario files.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::HardshipShock { .. } => "hardship_shock",
            Action::HardshipReversal { .. } => "hardship_reversal",
            Action::LegitimacyShock { .. } => "legitimacy_shock",
            Action::ShamElection { .. } => "sham_election",
            Action::Concession { .. } => "concession",
            Action::Emergency { .. } => "emergency",
            Action::EmergencyEnd => "emergency_end",
            Action::LethalForce { .. } => "lethal_force",
            Action::LethalForceEnd => "lethal_force_end",
            Action::Torture => "torture",
            Action::TortureEnd => "torture_end",
            Action::InternetShutdown { .. } => "internet_shutdown",
            Action::InternetRestore => "internet_restore",
            Action::ForeignTroopsIn { .. } => "foreign_troops_in",
            Action::ForeignTroopsOut { .. } => "foreign_troops_out",
            Action::Crackdown { .. } => "crackdown",
            Action::MassDetention { .. } => "mass_detention",
            Action::MassDetentionEnd => "mass_detention_end",
        }
    }

    /// Checks the action's values; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        let check = |name: &str, v: f64, lo: f64, hi: f64| {
            if v.is_finite() && v >= lo && v <= hi {
                Ok(())
            } else {
                Err(format!("{name} = {v} is out of range: must be between {lo} and {hi}"))
            }
        };
        match *self {
            Action::HardshipShock { factor, ramp_hours } => {
                check("factor", factor, 0.0, 100.0).and(check("ramp_hours", ramp_hours, 0.0, 1e5))
            }
            Action::LegitimacyShock { delta } | Action::ShamElection { delta } => check("delta", delta, -1.0, 1.0),
            Action::Concession {
                bump, half_life_days, ..
            } => check("bump", bump, -1.0, 1.0).and(check("half_life_days", half_life_days, 0.001, 1e6)),
            Action::Emergency {
                police_factor,
                jail_factor,
                k_factor,
                arrest_factor,
            } => check("police_factor", police_factor, 0.0, 100.0)
                .and(check("arrest_factor", arrest_factor, 0.0, 1000.0))
                .and(check("jail_factor", jail_factor, 0.0, 100.0))
                .and(check("k_factor", k_factor, 0.0, 100.0)),
            Action::LethalForce { lethality } => check("lethality", lethality, 0.0, 1.0),
            Action::MassDetention { factor } => check("factor", factor, 0.0, 1000.0),
            Action::InternetShutdown { remaining } => check("remaining", remaining, 0.0, 1.0),
            Action::ForeignTroopsIn { troops } => check("troops", troops, 0.0, 1e8),
            Action::HardshipReversal { ramp_hours } => check("ramp_hours", ramp_hours, 0.0, 1e5),
            Action::ForeignTroopsOut { troops: Some(t) } => check("troops", t, 0.0, 1e8),
            Action::Crackdown {
                police_factor,
                hours,
                brutality,
            } => check("police_factor", police_factor, 0.0, 100.0)
                .and(check("hours", hours, 0.0, 1e5))
                .and(check("brutality", brutality, 0.0, 100.0)),
            _ => Ok(()),
        }
    }
}

/// `[[policy]]`: a reactive rule, "if `metric` in `region` > `above`, do `kind`".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicySpec {
    /// What is watched.
    pub when: Metric,
    /// Where: a region name, `"capital"`, or `"national"`.
    #[serde(default = "national")]
    pub region: String,
    pub above: f64,
    /// Fire at most once (default), or every step the condition holds.
    #[serde(default = "yes")]
    pub once: bool,
    /// Not before this date.
    #[serde(default)]
    pub after: Option<String>,
    /// Regions the action applies to (default all).
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default)]
    pub constituencies: Vec<String>,
    #[serde(default)]
    pub note: String,
    #[serde(flatten)]
    pub action: Action,
}

fn national() -> String {
    "national".into()
}

/// A watched quantity, measured after each step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Active citizens as a share of citizens.
    ActiveShare,
    /// Number of regions with an active share above 0.1%.
    RegionsActive,
    /// Killed so far, scaled to 1:1.
    Killed,
    /// Detained so far, scaled to 1:1.
    Detained,
}

impl Metric {
    pub const NAMES: [&'static str; 4] = ["active_share", "regions_active", "killed", "detained"];
}

/// `[[criteria]]`: what a run must show, checked by `unrest validate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "check", rename_all = "snake_case", deny_unknown_fields)]
pub enum CriterionSpec {
    /// `region` is the first whose active share exceeds `share`, between `from` and `to`.
    StartsIn {
        label: String,
        region: String,
        share: f64,
        from: String,
        to: String,
    },
    /// By `by`, at least `min_regions` regions have had an active share above `share`.
    Spreads {
        label: String,
        by: String,
        share: f64,
        min_regions: usize,
    },
    /// The active count peaks between `from` and `to`: nationally, or in
    /// `region` (a region's name or `"capital"`).
    PeakBetween {
        label: String,
        from: String,
        to: String,
        #[serde(default)]
        region: Option<String>,
    },
    /// The peak active count, in people at 1:1 (agents × scale), is within
    /// [min, max]: nationally, or in `region` (a name or `"capital"`), as the
    /// record counts it.
    PeakSize {
        label: String,
        min: f64,
        max: f64,
        #[serde(default)]
        region: Option<String>,
    },
    /// From `by` to the end, national activity stays below `share` of its peak.
    QuietBy { label: String, by: String, share: f64 },
    /// The outcome is `outcome` (or one of `a|b|c`), dated between `from`
    /// and `to` if given.
    Outcome {
        label: String,
        outcome: String,
        #[serde(default)]
        from: Option<String>,
        #[serde(default)]
        to: Option<String>,
    },
    /// Killed at the end, scaled to 1:1, is within [min, max].
    KilledBetween { label: String, min: f64, max: f64 },
    /// Detained at the end, scaled to 1:1, is within [min, max].
    DetainedBetween { label: String, min: f64, max: f64 },
    /// From `from`, for `weeks` weeks, each week's peak national active share is
    /// above `share`, and within each week the peak is at least `peak_ratio`
    /// times the week's lowest (weekly peaks).
    WeeklyPeaks {
        label: String,
        from: String,
        weeks: u32,
        share: f64,
        peak_ratio: f64,
    },
    /// Mean national activity over `days` days after `at` exceeds `factor` times
    /// the mean over the `days` days before it.
    GrowsAfter {
        label: String,
        at: String,
        days: f64,
        factor: f64,
    },
    /// At least `share` of all deaths happen between `from` and `to`.
    DeathsConcentrated {
        label: String,
        from: String,
        to: String,
        share: f64,
    },
    /// Mean activity over [`from`, `to`] exceeds `factor` × the mean over [`base_from`, `base_to`].
    Escalates {
        label: String,
        base_from: String,
        base_to: String,
        from: String,
        to: String,
        factor: f64,
    },
}

impl CriterionSpec {
    pub fn label(&self) -> &str {
        match self {
            CriterionSpec::StartsIn { label, .. }
            | CriterionSpec::Spreads { label, .. }
            | CriterionSpec::PeakBetween { label, .. }
            | CriterionSpec::PeakSize { label, .. }
            | CriterionSpec::QuietBy { label, .. }
            | CriterionSpec::Outcome { label, .. }
            | CriterionSpec::KilledBetween { label, .. }
            | CriterionSpec::DetainedBetween { label, .. }
            | CriterionSpec::WeeklyPeaks { label, .. }
            | CriterionSpec::GrowsAfter { label, .. }
            | CriterionSpec::DeathsConcentrated { label, .. }
            | CriterionSpec::Escalates { label, .. } => label,
        }
    }
}

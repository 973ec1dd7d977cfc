//! Model parameters, including every detail in which published implementations of
//! Epstein's model differ.
//!
//! Each such detail is a named option whose default is the paper's choice
//! (Epstein 2002, "Modeling civil violence: an agent-based computational approach",
//! PNAS 99 suppl. 3, 7243–7250). The presets [`Params::epstein`], [`Params::mesa`]
//! and [`Params::netlogo`] bundle the choices of the paper, of Mesa 3.5.1's
//! `epstein_civil_violence` example, and of NetLogo's Rebellion model.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Which lattice sites an agent with vision `v` can inspect.
///
/// The paper defines vision as "the number of lattice positions (north, south,
/// east and west) the agent is able to inspect", the Sugarscape convention, so the
/// default is [`Neighbourhood::Cross`]. Other implementations read it differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Neighbourhood {
    /// The four principal directions, `floor(v)` sites each way (Epstein; Sugarscape).
    Cross,
    /// Manhattan distance `|dx| + |dy| <= v` (Mesa's `OrthogonalVonNeumannGrid`).
    VonNeumann,
    /// Chebyshev distance `max(|dx|, |dy|) <= v` (Mesa's Moore option).
    Moore,
    /// Euclidean distance `dx² + dy² <= v²` (NetLogo's `in-radius`).
    Disk,
}

/// How the cop-to-active ratio `C/A` enters `P = 1 − exp(−k·(C/A))`.
///
/// Taken literally (real division) the paper's rule produces no outbursts at
/// Run 2's inputs: one cop next to one active citizen already gives P ≈ 0.9, but
/// so does 2 cops per 3 actives (P ≈ 0.78) and the crowd never gets safe enough.
/// NetLogo floors the ratio, Mesa rounds it half-to-even; both make `P = 0` once
/// actives outnumber cops (two to one for rounding), which is what lets a crowd
/// form. The default is the paper's literal rule ([`RatioRule::Real`]); the
/// `epstein-run*` scenarios say which rule they use and why (docs/ODD.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RatioRule {
    /// `C/A` as a real number.
    Real,
    /// `floor(C/A)` (NetLogo Rebellion).
    Floor,
    /// `C/A` rounded to the nearest integer, ties to even (Python's `round`; Mesa).
    RoundHalfEven,
}

/// Whether the agent counts itself in `A`, the actives within vision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SelfCount {
    /// `A = 1 + actives in vision` whatever the agent's own state: the paper's
    /// "the agent counts itself as active" when it contemplates turning active; Mesa.
    Always,
    /// `A = actives in vision (+1 if the agent is active now)`.
    IfActive,
    /// `A = actives in vision`; with `A = 0` and `C > 0` the ratio is infinite (P = 1).
    Never,
}

/// Order in which agents apply their rules within one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Activation {
    /// Every step, all agents (citizens and cops) in a fresh random order, one at
    /// a time, each seeing the changes made by those before it (the paper's
    /// asynchronous random activation; Mesa's "Random").
    RandomSequential,
    /// Synchronous decisions: every free citizen applies Rule A to the state at
    /// the start of the step; then cops arrest (random order), then agents move
    /// (random order). Decisions do not depend on an order, which is what lets
    /// them run in parallel.
    Synchronous,
    /// Random sequential activation within square tiles of the lattice (64×64
    /// sites by default): every agent acts once per step, tiles in a fresh
    /// random order, the agents of a tile (by their site at the start of the
    /// step) in a fresh random order. The working set of a tile fits in the
    /// CPU's cache, which makes national-scale lattices several times faster;
    /// the order is no longer uniform over all permutations (see docs/ODD.md).
    Tiled,
}

/// What happens to an arrested citizen's lattice site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JailPlacement {
    /// Jailed agents leave the lattice (the paper: "removed from the lattice";
    /// NetLogo's jailed do not block movement) and come back, quiet, to their
    /// arrest site if it is free, else to a random empty site within vision of
    /// it, else to a random empty site anywhere.
    OffLattice,
    /// Jailed agents stay on their site and block it (Mesa).
    StayOnSite,
}

/// When a jail term counts down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JailCountdown {
    /// Every jailed agent's term drops by one at the end of each step (including
    /// the step of the arrest); it is released when it reaches 0 (NetLogo).
    EndOfStep,
    /// A jailed agent's own activation lowers the term by one; the first
    /// activation that finds it at 0 releases the agent, which then acts (Mesa).
    AtActivation,
}

/// How a jail term is drawn from `J_max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JailDraw {
    /// Uniform on `0..=J_max` (the paper's U(0, J_max); Mesa's `randint(0, J_max)`).
    Inclusive,
    /// Uniform on `0..J_max` (NetLogo's `random max-jail-term`).
    Exclusive,
}

/// What a cop does after it has made an arrest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CopAfterArrest {
    /// Apply Rule M like any other agent (Mesa).
    Move,
    /// Step onto the arrested agent's site if it is free, otherwise apply Rule M
    /// (NetLogo's `move-to suspect`, the paper's "cop moves to the site").
    TakeSite,
    /// Stay where it is this step.
    Stay,
}

/// Order of a free citizen's rules within its own activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleOrder {
    /// Rule M, then Rule A (the agent looks around from its new site).
    MoveThenAct,
    /// Rule A, then Rule M (Mesa).
    ActThenMove,
}

/// How agents are placed at initialisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Placement {
    /// Exactly `round(density × sites)` agents of each kind on distinct random sites.
    ExactCount,
    /// Each site independently holds a citizen (p = citizen density), a cop
    /// (p = cop density) or nothing, so counts vary by seed (Mesa).
    PerSite,
}

/// A number of steps, or unbounded: the maximum jail term (the paper's Runs 3–5
/// use `J_max = ∞`, life sentences) and Model II's maximum age. Written `30` or
/// `"inf"` in scenario files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepLimit {
    Finite(u32),
    Unbounded,
}

impl Serialize for StepLimit {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            StepLimit::Finite(n) => s.serialize_i64(i64::from(*n)),
            StepLimit::Unbounded => s.serialize_str("inf"),
        }
    }
}

impl<'de> Deserialize<'de> for StepLimit {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = StepLimit;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a whole number of steps from 0 to 4294967294, or \"inf\"")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<StepLimit, E> {
                u32::try_from(v)
                    .ok()
                    .filter(|&n| n != u32::MAX)
                    .map(StepLimit::Finite)
                    .ok_or_else(|| {
                        E::custom(format!(
                            "{v} is not a number of steps: expected 0 to 4294967294 steps, or \"inf\""
                        ))
                    })
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<StepLimit, E> {
                // `inf` is a TOML float, and `--set max_jail_term=inf` arrives as one.
                if v == f64::INFINITY {
                    Ok(StepLimit::Unbounded)
                } else if v.fract() == 0.0 && v >= 0.0 && v < f64::from(u32::MAX) {
                    Ok(StepLimit::Finite(v as u32))
                } else {
                    Err(E::custom(format!(
                        "{v} is not a number of steps: expected a whole number or \"inf\""
                    )))
                }
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<StepLimit, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(-1))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<StepLimit, E> {
                match v {
                    "inf" | "infinite" | "unbounded" => Ok(StepLimit::Unbounded),
                    _ => v
                        .parse::<i64>()
                        .map_err(|_| {
                            E::custom(format!(
                                "unknown number of steps {v:?}: expected a whole number of steps or \"inf\""
                            ))
                        })
                        .and_then(|n| self.visit_i64(n)),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// All parameters of one lattice world (Models I and II).
///
/// Field names are the names used in scenario files and by `--set`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Lattice width in sites.
    pub width: u32,
    /// Lattice height in sites.
    pub height: u32,
    /// Wrap the lattice into a torus (the paper's runs are all on a 40×40 torus).
    pub torus: bool,
    /// Share of sites holding a citizen at the start, in [0, 1].
    pub citizen_density: f64,
    /// Share of sites holding a cop, in [0, 1]; changing it during a run adds or
    /// removes cops (the paper's "tipping by reducing cops").
    pub cop_density: f64,
    /// Regime legitimacy L in [0, 1]; grievance G = H(1 − L).
    pub legitimacy: f64,
    /// Arrest-probability constant k; the paper chooses k = 2.3 so that one cop
    /// and one active (C/A = 1) give P ≈ 0.9.
    pub k: f64,
    /// Activation threshold T: a citizen is active iff G − N > T (paper: 0.1).
    pub threshold: f64,
    /// Citizens' vision v (lattice sites; real values allowed, e.g. 1.7).
    pub citizen_vision: f64,
    /// Cops' vision v*.
    pub cop_vision: f64,
    /// Maximum jail term J_max in steps, or "inf".
    pub max_jail_term: StepLimit,
    /// Whether citizens apply Rule M (move to a random empty site in vision).
    pub movement: bool,
    /// Whether cops apply Rule M (NetLogo's cops always move; Mesa's follow `movement`).
    pub cop_movement: bool,
    pub neighbourhood: Neighbourhood,
    /// Whether the agent's own site is part of its vision (NetLogo's `in-radius`
    /// includes it; with `self_count = "always"` an active agent is then counted twice).
    pub vision_includes_own_site: bool,
    pub ratio_rule: RatioRule,
    pub self_count: SelfCount,
    pub activation: Activation,
    pub rule_order: RuleOrder,
    pub jail_placement: JailPlacement,
    pub jail_draw: JailDraw,
    pub jail_countdown: JailCountdown,
    pub cop_after_arrest: CopAfterArrest,
    pub placement: Placement,
    /// Model II: share of citizens in the second ethnic group ("Green"; the rest
    /// are "Blue"). The paper does not give it; 0.5 is our assumption.
    pub group_b_share: f64,
    /// Model II: "going active" means killing a random citizen of the other
    /// group within vision; L is then the legitimacy each group accords the other.
    pub ethnic_violence: bool,
    /// Model II: each period a free citizen clones an offspring onto an empty
    /// adjacent (Moore) site with this probability; the offspring keeps the
    /// parent's group and hardship, draws a new risk aversion (paper: 0.05).
    pub clone_probability: f64,
    /// Model II: each citizen dies at an age drawn from U(0, max_age) (paper: 200).
    pub max_age: StepLimit,
}

impl Params {
    /// The paper's conventions on Run 2's inputs (40×40 torus, density 0.7,
    /// cops 0.04, vision 7, L = 0.82, J_max = 30).
    pub fn epstein() -> Self {
        Params {
            width: 40,
            height: 40,
            torus: true,
            citizen_density: 0.7,
            cop_density: 0.04,
            legitimacy: 0.82,
            k: 2.3,
            threshold: 0.1,
            citizen_vision: 7.0,
            cop_vision: 7.0,
            max_jail_term: StepLimit::Finite(30),
            movement: true,
            cop_movement: true,
            neighbourhood: Neighbourhood::Cross,
            vision_includes_own_site: false,
            ratio_rule: RatioRule::Real,
            self_count: SelfCount::Always,
            activation: Activation::RandomSequential,
            rule_order: RuleOrder::MoveThenAct,
            jail_placement: JailPlacement::OffLattice,
            jail_draw: JailDraw::Inclusive,
            jail_countdown: JailCountdown::EndOfStep,
            cop_after_arrest: CopAfterArrest::Move,
            placement: Placement::ExactCount,
            group_b_share: 0.0,
            ethnic_violence: false,
            clone_probability: 0.0,
            max_age: StepLimit::Unbounded,
        }
    }

    /// Mesa 3.5.1's `epstein_civil_violence` example, rule for rule, with its
    /// default inputs (cops 0.074, L = 0.8, J_max = 1000; see `docs/ODD.md`).
    pub fn mesa() -> Self {
        Params {
            cop_density: 0.074,
            legitimacy: 0.8,
            max_jail_term: StepLimit::Finite(1000),
            neighbourhood: Neighbourhood::VonNeumann,
            ratio_rule: RatioRule::RoundHalfEven,
            rule_order: RuleOrder::ActThenMove,
            jail_placement: JailPlacement::StayOnSite,
            jail_countdown: JailCountdown::AtActivation,
            placement: Placement::PerSite,
            ..Params::epstein()
        }
    }

    /// NetLogo's Rebellion model (Wilensky 2004) with its default inputs.
    pub fn netlogo() -> Self {
        Params {
            neighbourhood: Neighbourhood::Disk,
            vision_includes_own_site: true,
            ratio_rule: RatioRule::Floor,
            jail_draw: JailDraw::Exclusive,
            cop_after_arrest: CopAfterArrest::TakeSite,
            ..Params::epstein()
        }
    }

    /// Number of lattice sites.
    pub fn sites(&self) -> usize {
        self.width as usize * self.height as usize
    }

    /// Checks every value's range. Each problem names the parameter it is about.
    pub fn validate(&self) -> Result<(), Vec<ParamError>> {
        let mut errs = Vec::new();
        let mut unit = |name: &'static str, v: f64| {
            if !(0.0..=1.0).contains(&v) {
                errs.push(ParamError::new(
                    name,
                    format!("{v} is out of range: must be between 0 and 1"),
                ));
            }
        };
        unit("citizen_density", self.citizen_density);
        unit("cop_density", self.cop_density);
        unit("legitimacy", self.legitimacy);
        unit("group_b_share", self.group_b_share);
        unit("clone_probability", self.clone_probability);
        if self.citizen_density + self.cop_density > 1.0 + 1e-12 {
            errs.push(ParamError::new(
                "cop_density",
                format!(
                    "citizen_density + cop_density = {} exceeds 1: at most one agent per site",
                    self.citizen_density + self.cop_density
                ),
            ));
        }
        for (name, v) in [("width", self.width), ("height", self.height)] {
            if v == 0 || v > 1 << 20 {
                errs.push(ParamError::new(
                    name,
                    format!("{v} is out of range: must be 1 to 1048576 sites"),
                ));
            }
        }
        if self.sites() > MAX_SITES {
            errs.push(ParamError::new(
                "width",
                format!(
                    "a {}×{} lattice has {} sites, too many: a run needs about {BYTES_PER_SITE} bytes of memory per site ({:.1} GB here); at most {MAX_SITES} sites (2^28, about {:.1} GB)",
                    self.width,
                    self.height,
                    self.sites(),
                    self.sites() as f64 * BYTES_PER_SITE as f64 / 1e9,
                    MAX_SITES as f64 * BYTES_PER_SITE as f64 / 1e9,
                ),
            ));
        }
        if !(self.k.is_finite() && self.k >= 0.0) {
            errs.push(ParamError::new(
                "k",
                format!("{} is out of range: must be a finite number >= 0", self.k),
            ));
        }
        if !self.threshold.is_finite() {
            errs.push(ParamError::new(
                "threshold",
                format!("{} is not a finite number", self.threshold),
            ));
        }
        for (name, v) in [("citizen_vision", self.citizen_vision), ("cop_vision", self.cop_vision)] {
            if !(v.is_finite() && (0.0..=MAX_VISION).contains(&v)) {
                errs.push(ParamError::new(
                    name,
                    format!("{v} is out of range: must be between 0 and {MAX_VISION} sites"),
                ));
            }
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(errs)
        }
    }
}

/// Most lattice sites accepted. Site indices are 32-bit; the cap is lower,
/// so that what `check` accepts fits in a machine's memory: a 10000×10000
/// lattice (10^8 sites) peaked at 2.46 GB, about [`BYTES_PER_SITE`] a site.
pub const MAX_SITES: usize = 1 << 28;

/// Memory a run needs per lattice site (measured, default densities).
pub const BYTES_PER_SITE: usize = 25;

/// Largest vision radius accepted: window counts are kept in 16 bits.
pub const MAX_VISION: f64 = 100.0;

/// A parameter value that is out of range, named by its scenario key.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamError {
    pub name: String,
    pub message: String,
}

impl ParamError {
    pub fn new(name: impl Into<String>, message: impl Into<String>) -> Self {
        ParamError {
            name: name.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.message)
    }
}

impl std::error::Error for ParamError {}

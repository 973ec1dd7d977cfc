//! The simulation a browser tab watches: a lattice world, the user's controls
//! and the policy events fired so far, with the history of counts the chart
//! draws and the frame (cells) the lattice canvas draws.
//!
//! Everything here is synchronous and deterministic; the session thread in
//! `session.rs` owns one [`LiveModel`] and steps it.
//!
//! ## How the policy buttons act on a lattice
//!
//! A lattice world has no notion of policy, so each event is mapped onto the
//! model's own quantities (Epstein 2002: legitimacy `L`, cops, `k` in
//! `P = 1 − exp(−k·(C/A)_v)`, `J_max`, vision `v`) and onto the country-layer
//! hooks of `unrest-core` (lethal arrests, foreign cops):
//!
//! | event | effect while in force | undone by |
//! |---|---|---|
//! | state of emergency | domestic police ×1.5, `k` ×1.5, `J_max` ×2 | lift emergency |
//! | internet shutdown | citizens' vision halved (at least 1 site): they see fewer actives *and* fewer cops | internet restored |
//! | lethal force | an arrest kills with probability 0.5 (`World::set_lethality`) | end lethal force |
//! | concession | legitimacy `L` + 0.05 (once, capped at 1) | — |
//! | foreign troops in | extra cops, 2% of the sites, drawn as foreign forces; they always arrest | foreign troops out |
//!
//! The numbers are illustrative defaults for watching the mechanism, not
//! calibrated values.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use unrest_core::{Counts, DynamicParam, SiteView, StepLimit, World};
use unrest_scenario::Scenario;

/// Largest number of cells per side sent to the browser; larger lattices are
/// downsampled (see [`encode_cells`]).
pub const MAX_CELLS_PER_SIDE: u32 = 250;
/// Number of steps of counts kept for the chart.
pub const HISTORY_CAP: usize = 20_000;
/// For how many steps a killed citizen's site is marked on the lattice.
pub const KILLED_MARK_STEPS: u64 = 10;
/// Largest vision the sliders may set: recounting windows costs
/// O((cops + actives) · |vision|), which must stay quick on big lattices.
pub const MAX_LIVE_VISION: f64 = 20.0;

/// What a cell of the drawn lattice shows. The byte values are the protocol's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Cell {
    Empty = 0,
    Quiet = 1,
    Active = 2,
    Jailed = 3,
    Police = 4,
    Foreign = 5,
    Killed = 6,
    /// Model II's second ethnic group ("Green"), quiet and active: drawn
    /// apart from the first so segregation and cleansing show.
    QuietB = 7,
    ActiveB = 8,
}

impl Cell {
    pub const ALL: [Cell; 9] = [
        Cell::Empty,
        Cell::Quiet,
        Cell::Active,
        Cell::Jailed,
        Cell::Police,
        Cell::Foreign,
        Cell::Killed,
        Cell::QuietB,
        Cell::ActiveB,
    ];

    /// How strongly a state claims a downsampled cell: rare, telling states
    /// (actives, police, foreign forces) weigh 4, jailed and killed 2, quiet 1,
    /// so a block shows "active" once about a fifth of its agents are.
    fn salience(self) -> u32 {
        match self {
            Cell::Empty => 0,
            Cell::Quiet | Cell::QuietB => 1,
            Cell::Jailed | Cell::Killed => 2,
            Cell::Active | Cell::ActiveB | Cell::Police | Cell::Foreign => 4,
        }
    }
}

/// A policy event a button fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyEvent {
    StateOfEmergency,
    LiftEmergency,
    InternetShutdown,
    InternetRestored,
    LethalForce,
    EndLethalForce,
    Concession,
    ForeignTroopsIn,
    ForeignTroopsOut,
}

impl PolicyEvent {
    pub fn label(self) -> &'static str {
        match self {
            PolicyEvent::StateOfEmergency => "state of emergency",
            PolicyEvent::LiftEmergency => "emergency lifted",
            PolicyEvent::InternetShutdown => "internet shutdown",
            PolicyEvent::InternetRestored => "internet restored",
            PolicyEvent::LethalForce => "lethal force",
            PolicyEvent::EndLethalForce => "lethal force ended",
            PolicyEvent::Concession => "concession",
            PolicyEvent::ForeignTroopsIn => "foreign troops in",
            PolicyEvent::ForeignTroopsOut => "foreign troops out",
        }
    }
}

/// A slider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Control {
    /// Legitimacy `L` in [0, 1].
    Legitimacy,
    /// Domestic police as a share of the sites, in [0, 0.5].
    CopDensity,
    /// Multiplier on every citizen's risk aversion `R`, in [0.05, 10].
    RiskAversionScale,
    /// Vision of citizens and cops, in [0, 20] sites.
    Vision,
}

impl Control {
    /// The accepted range.
    pub fn range(self) -> (f64, f64) {
        match self {
            Control::Legitimacy => (0.0, 1.0),
            Control::CopDensity => (0.0, 0.5),
            Control::RiskAversionScale => (0.05, 10.0),
            Control::Vision => (0.0, MAX_LIVE_VISION),
        }
    }

    /// Checks a value, naming the control and its range when it is refused.
    pub fn check(self, value: f64) -> Result<f64, String> {
        let (lo, hi) = self.range();
        if value.is_finite() && (lo..=hi).contains(&value) {
            Ok(value)
        } else {
            // A huge value is shown as 1e308, not with its 309 digits.
            let v = if value.abs() >= 1e6 {
                format!("{value:e}")
            } else {
                format!("{value}")
            };
            Err(format!("{self:?} must be between {lo} and {hi}, not {v}"))
        }
    }
}

/// A fired event, as the chart marks it: one fired from the page, or one the
/// scenario fired itself (a country's calendar or policy rules).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FiredEvent {
    /// The step after which it took effect (it acts from step `step + 1` on).
    pub step: u64,
    /// The event's key: a [`PolicyEvent`] as written in the protocol, or a
    /// country event's `kind`.
    pub event: String,
    pub label: String,
    /// A country event's note and source as its scenario file gives them, and
    /// its target regions (`all` if every one), for the chart's hover text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regions: Option<String>,
}

impl FiredEvent {
    /// An event fired from the page.
    pub fn from_page(step: u64, event: PolicyEvent) -> Self {
        let key = serde_json::to_value(event)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        FiredEvent {
            step,
            event: key,
            label: event.label().to_string(),
            ..FiredEvent::default()
        }
    }
}

/// Which policies are in force.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PolicyState {
    pub emergency: bool,
    pub internet_shutdown: bool,
    pub lethal_force: bool,
    pub foreign_troops: u32,
}

/// The controls' current values, as the sliders show them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControlValues {
    pub legitimacy: f64,
    pub cop_density: f64,
    pub risk_aversion_scale: f64,
    pub vision: f64,
    /// What citizens see now (lower than `vision` during an internet shutdown).
    pub citizen_vision: f64,
    pub k: f64,
    /// `None` for unbounded (life) terms.
    pub max_jail_term: Option<u32>,
}

/// A downsampled picture of the lattice: `cols × rows` cells, each covering
/// `block × block` sites.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub step: u64,
    pub width: u32,
    pub height: u32,
    pub block: u32,
    pub cols: u32,
    pub rows: u32,
    pub cells: Vec<u8>,
}

impl Frame {
    /// The binary WebSocket message: a 28-byte little-endian header
    /// (`u64 step, u32 width, u32 height, u32 block, u32 cols, u32 rows`)
    /// followed by `cols × rows` cell bytes, row by row ([`Cell`] values).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(28 + self.cells.len());
        out.extend_from_slice(&self.step.to_le_bytes());
        for v in [self.width, self.height, self.block, self.cols, self.rows] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&self.cells);
        out
    }
}

/// A description of what is being simulated, sent when a tab connects and
/// whenever the scenario is loaded or reset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelInfo {
    /// `"lattice"`; a country model would add `"country"` with its regions.
    pub kind: &'static str,
    pub name: String,
    pub description: String,
    pub width: u32,
    pub height: u32,
    pub steps: u64,
    pub seed: u64,
    /// How cells are downsampled, in words, for the page to show.
    pub sampling: String,
    /// Region names of a country (empty for a lattice).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    /// The region whose lattice is drawn (countries only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<usize>,
    /// A country's calendar: the date and time of step 0
    /// (`YYYY-MM-DDTHH:MM:SS`) and the hours per step, for the chart's dates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calendar: Option<CalendarInfo>,
    /// People one agent stands for (a country's `scale`; 1 for a lattice).
    pub people_per_agent: f64,
    /// Ethnic groups drawn apart: 2 for Model II with a second group, else 1.
    pub groups: u8,
    /// A country's map: its regions' boundaries (`crate::geo`); without
    /// one the page draws the regions as tiles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub map: Option<crate::geo::Map>,
    /// Why a map the scenario asks for is not drawn, for the page to show.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub map_note: Option<String>,
}

/// See [`ModelInfo::calendar`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalendarInfo {
    pub start: String,
    pub step_hours: f64,
}

/// Builds the model a scenario of either kind needs.
pub fn build(scenario: unrest_scenario::AnyScenario, seed: Option<u64>) -> Result<Box<dyn LiveModel>, String> {
    Ok(match scenario {
        unrest_scenario::AnyScenario::Lattice(s) => Box::new(LatticeSim::new(s, seed)?),
        unrest_scenario::AnyScenario::Country(c) => Box::new(crate::country::CountrySim::new(*c, seed)?),
    })
}

/// Lattice sites a scenario will need, estimated before building it (a
/// country's regions hold `population / scale` citizens at their density).
pub fn estimated_sites(scenario: &unrest_scenario::AnyScenario) -> f64 {
    match scenario {
        unrest_scenario::AnyScenario::Lattice(s) => s.params.sites() as f64,
        unrest_scenario::AnyScenario::Country(c) => c
            .spec
            .regions
            .iter()
            .map(|r| r.population as f64 / c.spec.scale.max(1e-9) / r.density.max(1e-9))
            .sum(),
    }
}

/// One region's activity in the country view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionView {
    pub name: String,
    pub active: u32,
    /// Free citizens (quiet + active): the share's denominator.
    pub free: u32,
    /// `active / free`, 0 when nobody is free.
    pub share: f64,
}

/// What the session thread needs from a simulation, so that a lattice and a
/// country (regions of lattices) can be served alike.
pub trait LiveModel: Send {
    fn info(&self) -> ModelInfo;
    /// Starts the same scenario afresh with `seed` (the scenario's own if
    /// `None`): controls and policies return to the scenario's values.
    fn reset(&mut self, seed: Option<u64>) -> Result<(), String>;
    /// Advances one step; `None` when the scenario cannot go further (a
    /// country's calendar has ended).
    fn step(&mut self) -> Option<Counts>;
    fn counts(&self) -> Counts;
    /// People killed so far (by Model II's violence or by lethal force), in
    /// agents; unlike `Counts::dead`, deaths of old age are not included.
    fn killed(&self) -> u64;
    /// People detained so far, in agents (a country's; 0 on a lattice, whose
    /// arrests are counted per step).
    fn detained(&self) -> u64 {
        0
    }
    /// Legitimacy now, for the chart's `L` line (a country: the mean).
    fn legitimacy(&self) -> f64 {
        self.controls().legitimacy
    }
    /// Each region's activity, for the country view (empty for one lattice).
    fn regions(&self) -> Vec<RegionView> {
        Vec::new()
    }
    /// Which region's lattice `frame` draws.
    fn select_region(&mut self, region: usize) -> Result<(), String> {
        let _ = region;
        Err("this scenario is a single lattice: there are no regions to pick".into())
    }
    /// Total lattice sites, for the server's size limit.
    fn sites(&self) -> usize;
    fn controls(&self) -> ControlValues;
    fn policy(&self) -> PolicyState;
    fn set(&mut self, control: Control, value: f64) -> Result<(), String>;
    /// Fires a policy event now; returns the event to mark, or an error when it
    /// makes no sense in the current state (lifting an emergency never declared).
    fn fire(&mut self, event: PolicyEvent) -> Result<FiredEvent, String>;
    /// Events the scenario fired by itself since the last call (a country's
    /// calendar and policy rules), for the chart to mark.
    fn take_events(&mut self) -> Vec<FiredEvent> {
        Vec::new()
    }
    /// What the page is told when `step` returns `None`.
    fn end_notice(&self) -> String {
        "the scenario has reached its last step (its calendar has ended)".into()
    }
    fn frame(&self) -> Frame;
    /// Moves the step a lattice run stops at (its scenario's `steps` at
    /// first); a country's run ends with its calendar.
    fn set_last_step(&mut self, steps: u64) -> Result<(), String> {
        let _ = steps;
        Err("a country's run ends with its calendar: its last step cannot be moved".into())
    }
    /// The agent on site (`x`, `y`) of the drawn lattice ([`inspect_world`]).
    fn inspect(&self, x: u32, y: u32) -> Result<serde_json::Value, String>;
}

/// A lattice scenario being watched.
pub struct LatticeSim {
    scenario: Scenario,
    seed: u64,
    world: World,
    risk_scale: f64,
    /// The vision the slider set; citizens see less during a shutdown.
    vision: f64,
    policy: PolicyState,
    /// `k` and `J_max` before an emergency or lethal force changed them.
    base_k: f64,
    base_jail: StepLimit,
    /// Domestic cops added by the emergency, removed when it is lifted.
    emergency_cops: u32,
    /// Sites where citizens died recently, with the step of death.
    killed: VecDeque<(u32, u64)>,
    /// Agent slots not yet seen dead (slots are never reused, so a dead
    /// agent leaves this list for good), and how many slots it covers: a
    /// death is found in time proportional to the living, not to every slot
    /// a long Model II run has ever used.
    alive_slots: Vec<u32>,
    slots_seen: usize,
    /// Killings so far (the sum of `Counts::kills`).
    killed_total: u64,
    /// The scenario's own scheduled changes that began since `take_events`.
    schedule_events: Vec<FiredEvent>,
}

/// A scheduled change of a lattice scenario, as the chart marks it: at the
/// step before the one it acts in, like a button pressed then.
fn schedule_event(c: &unrest_core::ScheduledChange) -> FiredEvent {
    let name = serde_json::to_value(c.param)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{:?}", c.param));
    let label = match c.until {
        Some(u) if u > c.step => format!("{name} → {} by step {u} (schedule)", c.value),
        _ => format!("{name} → {} (schedule)", c.value),
    };
    FiredEvent {
        step: c.step.saturating_sub(1),
        event: "schedule".into(),
        label,
        ..FiredEvent::default()
    }
}

impl LatticeSim {
    /// Builds the world of `scenario` with `seed` (the scenario's own if `None`).
    pub fn new(scenario: Scenario, seed: Option<u64>) -> Result<Self, String> {
        let seed = seed.unwrap_or(scenario.seed);
        let world = World::new(scenario.params.clone(), scenario.schedule.clone(), seed).map_err(|e| e.to_string())?;
        let p = world.params();
        Ok(LatticeSim {
            seed,
            risk_scale: 1.0,
            vision: p.citizen_vision.max(p.cop_vision).min(MAX_LIVE_VISION),
            policy: PolicyState::default(),
            base_k: p.k,
            base_jail: p.max_jail_term,
            emergency_cops: 0,
            killed: VecDeque::new(),
            alive_slots: Vec::new(),
            slots_seen: 0,
            killed_total: 0,
            schedule_events: Vec::new(),
            world,
            scenario,
        })
    }

    pub fn world(&self) -> &World {
        &self.world
    }

    fn sites(&self) -> f64 {
        self.world.params().sites() as f64
    }

    /// Applies `k` and `J_max` from the base values and the policies in force.
    fn apply_repression(&mut self) {
        let mut k = self.base_k;
        let mut jail = self.base_jail;
        if self.policy.emergency {
            k *= 1.5;
            if let StepLimit::Finite(j) = jail {
                jail = StepLimit::Finite(j.saturating_mul(2).min(u32::MAX - 1));
            }
        }
        self.world.set_param(DynamicParam::K, k);
        let j = match jail {
            StepLimit::Finite(j) => f64::from(j),
            StepLimit::Unbounded => f64::from(u32::MAX - 1),
        };
        if jail != self.world.params().max_jail_term {
            self.world.set_param(DynamicParam::MaxJailTerm, j);
        }
        self.world
            .set_lethality(if self.policy.lethal_force { 0.5 } else { 0.0 });
    }

    /// Vision of citizens given the slider and a shutdown.
    fn citizen_vision(&self) -> f64 {
        if self.policy.internet_shutdown {
            (self.vision / 2.0).max(1.0).min(self.vision)
        } else {
            self.vision
        }
    }

    /// Brings the domestic police to `target` cops.
    fn set_domestic_cops(&mut self, target: u32) {
        let now = self.world.domestic_cops();
        if target > now {
            self.world.add_cops(target - now, false);
        } else {
            self.world.remove_cops(now - target, false);
        }
    }

    /// Marks the sites of citizens who died in the last step.
    fn note_deaths(&mut self, before: &Counts, after: &Counts) {
        let t = after.step;
        while self.killed.front().is_some_and(|&(_, s)| s + KILLED_MARK_STEPS <= t) {
            self.killed.pop_front();
        }
        let n = self.world.agent_slots();
        // Citizens' slots added since the last look (births) are watched
        // from now on; cops never die.
        let world = &self.world;
        self.alive_slots.extend(
            (self.slots_seen..n)
                .filter(|&i| {
                    !matches!(
                        world.agent_state(i),
                        unrest_core::AgentState::Cop | unrest_core::AgentState::CopOff
                    )
                })
                .map(|i| i as u32),
        );
        self.slots_seen = n;
        // Newborns that took a dead citizen's slot (Model II) are watched too.
        self.alive_slots.extend_from_slice(world.refilled_slots());
        if after.dead == before.dead {
            return;
        }
        // Deaths of old age (Model II) are not marked; an old-age death in a
        // step that also had a killing cannot be told apart, and is marked.
        let mark = after.kills > 0;
        let world = &self.world;
        let killed = &mut self.killed;
        self.alive_slots.retain(|&i| {
            if world.agent_state(i as usize) == unrest_core::AgentState::Dead {
                if mark {
                    killed.push_back((world.agent_site(i as usize), t));
                }
                false
            } else {
                true
            }
        });
    }
}

impl LiveModel for LatticeSim {
    fn info(&self) -> ModelInfo {
        let p = self.world.params();
        let block = block_size(p.width, p.height);
        ModelInfo {
            kind: "lattice",
            name: self.scenario.name.clone(),
            description: self.scenario.description.clone(),
            width: p.width,
            height: p.height,
            steps: self.scenario.steps,
            seed: self.seed,
            sampling: if block == 1 {
                "every site drawn".into()
            } else {
                format!("downsampled: one cell per {block}×{block} sites (most salient state)")
            },
            regions: Vec::new(),
            region: None,
            calendar: None,
            people_per_agent: 1.0,
            groups: if p.group_b_share > 0.0 { 2 } else { 1 },
            map: None,
            map_note: None,
        }
    }

    fn reset(&mut self, seed: Option<u64>) -> Result<(), String> {
        *self = LatticeSim::new(self.scenario.clone(), seed)?;
        Ok(())
    }

    fn step(&mut self) -> Option<Counts> {
        if self.world.step_index() >= self.scenario.steps {
            return None;
        }
        let before = self.world.counts();
        let t = before.step + 1;
        for c in &self.scenario.schedule {
            if c.step == t {
                self.schedule_events.push(schedule_event(c));
            }
        }
        let after = self.world.step();
        self.killed_total += u64::from(after.kills);
        self.note_deaths(&before, &after);
        Some(after)
    }

    fn killed(&self) -> u64 {
        self.killed_total
    }

    fn take_events(&mut self) -> Vec<FiredEvent> {
        std::mem::take(&mut self.schedule_events)
    }

    fn end_notice(&self) -> String {
        format!(
            "the scenario has reached its last step ({}, its `steps` or the page's stop); Reset starts it again, or move the stop",
            self.scenario.steps
        )
    }

    fn sites(&self) -> usize {
        self.world.params().sites()
    }

    fn counts(&self) -> Counts {
        self.world.counts()
    }

    fn controls(&self) -> ControlValues {
        let p = self.world.params();
        ControlValues {
            legitimacy: p.legitimacy,
            cop_density: f64::from(self.world.domestic_cops()) / self.sites(),
            risk_aversion_scale: self.risk_scale,
            vision: self.vision,
            citizen_vision: p.citizen_vision,
            k: p.k,
            max_jail_term: match p.max_jail_term {
                StepLimit::Finite(j) if j < u32::MAX - 1 => Some(j),
                _ => None,
            },
        }
    }

    fn policy(&self) -> PolicyState {
        PolicyState {
            foreign_troops: self.world.foreign_cops(),
            ..self.policy.clone()
        }
    }

    fn set(&mut self, control: Control, value: f64) -> Result<(), String> {
        let v = control.check(value)?;
        match control {
            Control::Legitimacy => self.world.set_param(DynamicParam::Legitimacy, v),
            Control::CopDensity => {
                let target = (v * self.sites()).round() as u32;
                self.set_domestic_cops(target);
                // The emergency's surge is kept on top of the new level.
                if self.policy.emergency {
                    self.emergency_cops = target / 3;
                }
            }
            Control::RiskAversionScale => {
                self.world.scale_risk_aversion(v / self.risk_scale);
                self.risk_scale = v;
            }
            Control::Vision => {
                self.vision = v;
                self.world.set_vision(self.citizen_vision(), v);
            }
        }
        Ok(())
    }

    fn fire(&mut self, event: PolicyEvent) -> Result<FiredEvent, String> {
        let already = |on: bool, what: &str| {
            if on {
                Err(format!("{what} is already in force"))
            } else {
                Ok(())
            }
        };
        let not_yet = |on: bool, what: &str| {
            if on {
                Ok(())
            } else {
                Err(format!("no {what} is in force"))
            }
        };
        match event {
            PolicyEvent::StateOfEmergency => {
                already(self.policy.emergency, "a state of emergency")?;
                if !self.policy.lethal_force {
                    self.base_k = self.world.params().k;
                    self.base_jail = self.world.params().max_jail_term;
                }
                self.policy.emergency = true;
                let extra = self.world.domestic_cops().div_ceil(2);
                self.emergency_cops = self.world.add_cops(extra, false);
                self.apply_repression();
            }
            PolicyEvent::LiftEmergency => {
                not_yet(self.policy.emergency, "state of emergency")?;
                self.policy.emergency = false;
                self.world.remove_cops(self.emergency_cops, false);
                self.emergency_cops = 0;
                self.apply_repression();
            }
            PolicyEvent::InternetShutdown => {
                already(self.policy.internet_shutdown, "an internet shutdown")?;
                self.policy.internet_shutdown = true;
                self.world.set_vision(self.citizen_vision(), self.vision);
            }
            PolicyEvent::InternetRestored => {
                not_yet(self.policy.internet_shutdown, "internet shutdown")?;
                self.policy.internet_shutdown = false;
                self.world.set_vision(self.citizen_vision(), self.vision);
            }
            PolicyEvent::LethalForce => {
                already(self.policy.lethal_force, "lethal force")?;
                if !self.policy.emergency {
                    self.base_k = self.world.params().k;
                    self.base_jail = self.world.params().max_jail_term;
                }
                self.policy.lethal_force = true;
                self.apply_repression();
            }
            PolicyEvent::EndLethalForce => {
                not_yet(self.policy.lethal_force, "lethal force")?;
                self.policy.lethal_force = false;
                self.apply_repression();
            }
            PolicyEvent::Concession => {
                let l = (self.world.params().legitimacy + 0.05).min(1.0);
                self.world.set_param(DynamicParam::Legitimacy, l);
            }
            PolicyEvent::ForeignTroopsIn => {
                let n = (0.02 * self.sites()).round().max(1.0) as u32;
                if self.world.add_cops(n, true) == 0 {
                    return Err("no empty site left for foreign troops".into());
                }
            }
            PolicyEvent::ForeignTroopsOut => {
                let n = self.world.foreign_cops();
                not_yet(n > 0, "foreign force")?;
                self.world.remove_cops(n, true);
            }
        }
        Ok(FiredEvent::from_page(self.world.step_index(), event))
    }

    fn frame(&self) -> Frame {
        draw_world(&self.world, &self.killed)
    }

    fn inspect(&self, x: u32, y: u32) -> Result<serde_json::Value, String> {
        inspect_world(&self.world, x, y)
    }

    fn set_last_step(&mut self, steps: u64) -> Result<(), String> {
        // Kept by Reset, like the speed: it is the user's, not the model's.
        self.scenario.steps = steps;
        Ok(())
    }
}

/// Draws a world: cells from its sites, cops split into domestic police and
/// foreign forces, recently killed citizens' empty sites marked.
pub fn draw_world(world: &World, killed_recently: &VecDeque<(u32, u64)>) -> Frame {
    let p = world.params();
    let (w, h) = (p.width, p.height);
    let mut killed = vec![];
    if !killed_recently.is_empty() {
        killed = vec![false; p.sites()];
        for &(s, _) in killed_recently {
            killed[s as usize] = true;
        }
    }
    let groups = p.group_b_share > 0.0;
    let group_b = |s: u32| groups && world.agent_at(s).is_some_and(|a| world.agent_columns().group[a] == 1);
    let cell = |s: u32| -> Cell {
        match world.site_view(s) {
            SiteView::Quiet if group_b(s) => Cell::QuietB,
            SiteView::Active if group_b(s) => Cell::ActiveB,
            SiteView::Quiet => Cell::Quiet,
            SiteView::Active => Cell::Active,
            SiteView::Jailed => Cell::Jailed,
            SiteView::Cop => match world.agent_at(s) {
                Some(a) if world.is_foreign_cop(a) => Cell::Foreign,
                _ => Cell::Police,
            },
            SiteView::Empty if !killed.is_empty() && killed[s as usize] => Cell::Killed,
            SiteView::Empty => Cell::Empty,
        }
    };
    encode_cells(world.step_index(), w, h, cell)
}

/// What the agent on site (`x`, `y`) of `world` is, for the page's hover
/// readout: a cop (domestic or foreign), or a citizen with its state, group
/// (Model II), hardship `H`, risk aversion `R`, grievance `G = H(1 − L)` at
/// the legitimacy it perceives (its constituency's on a country), threshold
/// `T` and jail term left. An empty site says so; a site off the lattice is
/// an error.
pub fn inspect_world(world: &World, x: u32, y: u32) -> Result<serde_json::Value, String> {
    use serde_json::json;
    let p = world.params();
    if x >= p.width || y >= p.height {
        return Err(format!(
            "site ({x}, {y}) is outside the {}×{} lattice",
            p.width, p.height
        ));
    }
    let s = y * p.width + x;
    let Some(a) = world.agent_at(s) else {
        return Ok(json!({ "x": x, "y": y, "agent": null }));
    };
    let cols = world.agent_columns();
    let state = cols.state[a];
    use unrest_core::AgentState as A;
    if matches!(state, A::Cop | A::CopOff) {
        let kind = if world.is_foreign_cop(a) {
            "foreign forces"
        } else {
            "police"
        };
        return Ok(json!({ "x": x, "y": y, "agent": { "kind": kind } }));
    }
    let h = f64::from(cols.hardship[a]);
    let traits = world.constituencies().get(usize::from(world.constituency_of(a)));
    let (hs, l, t) = traits.map_or((1.0, p.legitimacy, p.threshold), |c| {
        (c.hardship_scale, c.legitimacy, c.threshold)
    });
    let state_name = match state {
        A::Quiet => "quiet",
        A::Active => "active",
        A::Jailed => "jailed",
        _ => "dead",
    };
    let mut agent = json!({
        "kind": "citizen",
        "state": state_name,
        "hardship": h * hs,
        "risk_aversion": cols.risk_aversion[a],
        "legitimacy": l,
        "grievance": unrest_core::rules::grievance(h * hs, l),
        "threshold": t,
    });
    if p.group_b_share > 0.0 {
        agent["group"] = json!(if cols.group[a] == 1 { "B" } else { "A" });
    }
    if state == A::Jailed {
        agent["jail_term_left"] = json!(cols.jail_term[a]);
    }
    if traits.is_some() {
        agent["constituency"] = json!(world.constituency_of(a));
    }
    Ok(json!({ "x": x, "y": y, "agent": agent }))
}

/// Side of the square block of sites one drawn cell stands for.
pub fn block_size(width: u32, height: u32) -> u32 {
    width.max(height).div_ceil(MAX_CELLS_PER_SIDE).max(1)
}

/// Draws a `width × height` lattice into at most [`MAX_CELLS_PER_SIDE`]
/// cells per side. Up to that size every site is one cell. Beyond it each cell
/// covers a `block × block` square of sites and shows the state with the
/// largest salience-weighted count in it ([`Cell::salience`]; ties go to the
/// more telling state), so clusters of actives and police stay visible
/// while a lone agent in a quiet block does not.
pub fn encode_cells(step: u64, width: u32, height: u32, cell: impl Fn(u32) -> Cell) -> Frame {
    let block = block_size(width, height);
    let (cols, rows) = (width.div_ceil(block), height.div_ceil(block));
    let mut cells = Vec::with_capacity((cols * rows) as usize);
    if block == 1 {
        cells.extend((0..width * height).map(|s| cell(s) as u8));
    } else {
        let mut weight = [0u32; Cell::ALL.len()];
        for r in 0..rows {
            for c in 0..cols {
                weight.fill(0);
                for y in r * block..((r + 1) * block).min(height) {
                    for x in c * block..((c + 1) * block).min(width) {
                        let k = cell(y * width + x);
                        weight[k as usize] += k.salience();
                    }
                }
                // Later states in `Cell::ALL` win ties: they are rarer.
                let best = Cell::ALL
                    .iter()
                    .copied()
                    .filter(|k| weight[*k as usize] > 0)
                    .max_by_key(|k| (weight[*k as usize], *k as u8))
                    .unwrap_or(Cell::Empty);
                cells.push(best as u8);
            }
        }
    }
    Frame {
        step,
        width,
        height,
        block,
        cols,
        rows,
        cells,
    }
}

/// A chart row, as the protocol sends it: `[step, quiet, active, jailed, dead,
/// cops, arrests, kills, killed, legitimacy, detained]`. `dead` counts every dead
/// citizen (Model II's deaths of old age too), `kills` the killings of that
/// step, `killed` the killings so far; `legitimacy` is `L` after the step (a
/// country's mean over its constituencies), the only number that is not a
/// whole one; `detained` a country's people detained so far, in agents (0 on
/// a lattice). Indexing gives the nine counts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Row {
    pub counts: [u64; 9],
    pub legitimacy: f64,
    pub detained: u64,
}

impl std::ops::Index<usize> for Row {
    type Output = u64;
    fn index(&self, i: usize) -> &u64 {
        &self.counts[i]
    }
}

impl From<[u64; 9]> for Row {
    fn from(counts: [u64; 9]) -> Self {
        Row {
            counts,
            legitimacy: 0.0,
            detained: 0,
        }
    }
}

impl Serialize for Row {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(11))?;
        for c in &self.counts {
            seq.serialize_element(c)?;
        }
        // Six decimals are plenty for a slider and keep the rows short.
        seq.serialize_element(&((self.legitimacy * 1e6).round() / 1e6))?;
        seq.serialize_element(&self.detained)?;
        seq.end()
    }
}

/// The row of `c`, with `killed` killings so far and legitimacy `l`.
pub fn row(c: &Counts, killed: u64, l: f64) -> Row {
    Row {
        counts: [
            c.step,
            c.quiet.into(),
            c.active.into(),
            c.jailed.into(),
            c.dead.into(),
            c.cops.into(),
            c.arrests.into(),
            c.kills.into(),
            killed,
        ],
        legitimacy: l,
        detained: 0,
    }
}

/// The row of `model` after a step that gave `c`: [`row`] with its killings,
/// legitimacy and detentions so far.
pub fn model_row(model: &dyn LiveModel, c: &Counts) -> Row {
    Row {
        detained: model.detained(),
        ..row(c, model.killed(), model.legitimacy())
    }
}

/// The counts for the chart, from the first step on, in bounded memory: at
/// most [`HISTORY_CAP`] rows. When full, every other row is dropped and
/// from then on only every `stride`-th step is kept (the stride doubles each
/// time), so a long run is thinned evenly instead of losing its start. The
/// latest step is always kept, as the last row.
#[derive(Debug)]
pub struct History {
    rows: VecDeque<Row>,
    stride: u64,
}

impl Default for History {
    fn default() -> Self {
        History {
            rows: VecDeque::new(),
            stride: 1,
        }
    }
}

impl History {
    pub fn clear(&mut self) {
        *self = History::default();
    }

    /// Steps between two kept rows (1 until the history first fills up).
    pub fn stride(&self) -> u64 {
        self.stride
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn push(&mut self, r: impl Into<Row>) {
        let r = r.into();
        // The previous latest row goes if it is off the stride.
        if self.rows.len() > 1 && self.rows.back().is_some_and(|b| b[0] % self.stride != 0) {
            self.rows.pop_back();
        }
        self.rows.push_back(r);
        if self.rows.len() > HISTORY_CAP {
            self.stride *= 2;
            let last = self.rows.len() - 1;
            let mut i = 0;
            let stride = self.stride;
            self.rows.retain(|r| {
                let keep = i == 0 || i == last || r[0] % stride == 0;
                i += 1;
                keep
            });
        }
    }

    /// Rows for steps after `after` (all kept ones if `None`).
    pub fn since(&self, after: Option<u64>) -> impl Iterator<Item = &Row> {
        let start = match after {
            Some(a) => self.rows.partition_point(|r| r[0] <= a),
            None => 0,
        };
        self.rows.range(start..)
    }

    pub fn last_step(&self) -> Option<u64> {
        self.rows.back().map(|r| r[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sim(name: &str) -> LatticeSim {
        LatticeSim::new(Scenario::load(name, &[]).unwrap(), Some(5)).unwrap()
    }

    #[test]
    fn small_lattices_are_drawn_site_by_site() {
        let s = sim("epstein-run2");
        let f = s.frame();
        assert_eq!((f.block, f.cols, f.rows), (1, 40, 40));
        let quiet = f.cells.iter().filter(|&&c| c == Cell::Quiet as u8).count() as u32;
        let police = f.cells.iter().filter(|&&c| c == Cell::Police as u8).count() as u32;
        assert_eq!(quiet, s.counts().quiet);
        assert_eq!(police, s.counts().cops);
        assert_eq!(f.to_bytes().len(), 28 + 1600);
    }

    #[test]
    fn large_lattices_are_downsampled_to_the_cap() {
        let f = encode_cells(
            3,
            1000,
            700,
            |s| if s % 1000 < 500 { Cell::Quiet } else { Cell::Active },
        );
        assert_eq!((f.block, f.cols, f.rows), (4, 250, 175));
        assert_eq!(f.cells[0], Cell::Quiet as u8);
        assert_eq!(f.cells[249], Cell::Active as u8);
        // One active among fifteen quiet sites does not colour a block; four do.
        let sparse = encode_cells(0, 1000, 1000, |s| if s == 0 { Cell::Active } else { Cell::Quiet });
        assert_eq!(sparse.cells[0], Cell::Quiet as u8);
        let dense = encode_cells(0, 1000, 1000, |s| if s < 4 { Cell::Active } else { Cell::Quiet });
        assert_eq!(dense.cells[0], Cell::Active as u8);
    }

    #[test]
    fn emergency_raises_repression_and_lifting_restores_it() {
        let mut s = sim("epstein-run2");
        let (k, cops) = (s.controls().k, s.world().domestic_cops());
        s.fire(PolicyEvent::StateOfEmergency).unwrap();
        assert!(s.fire(PolicyEvent::StateOfEmergency).is_err());
        assert!((s.controls().k - 1.5 * k).abs() < 1e-12);
        assert_eq!(s.controls().max_jail_term, Some(60));
        assert_eq!(s.world().domestic_cops(), cops + cops.div_ceil(2));
        s.step().unwrap();
        s.fire(PolicyEvent::LiftEmergency).unwrap();
        assert_eq!(s.controls().k, k);
        assert_eq!(s.controls().max_jail_term, Some(30));
        assert_eq!(s.world().domestic_cops(), cops);
        s.world().check_invariants().unwrap();
    }

    #[test]
    fn shutdown_halves_citizen_vision_only() {
        let mut s = sim("epstein-run2");
        s.fire(PolicyEvent::InternetShutdown).unwrap();
        assert_eq!(s.world().params().citizen_vision, 3.5);
        assert_eq!(s.world().params().cop_vision, 7.0);
        s.set(Control::Vision, 4.0).unwrap();
        assert_eq!(s.world().params().citizen_vision, 2.0);
        s.fire(PolicyEvent::InternetRestored).unwrap();
        assert_eq!(s.world().params().citizen_vision, 4.0);
        s.world().check_invariants().unwrap();
    }

    #[test]
    fn foreign_troops_are_drawn_apart_and_leave() {
        let mut s = sim("epstein-run2");
        s.fire(PolicyEvent::ForeignTroopsIn).unwrap();
        assert_eq!(s.policy().foreign_troops, 32);
        let f = s.frame();
        assert_eq!(f.cells.iter().filter(|&&c| c == Cell::Foreign as u8).count(), 32);
        s.fire(PolicyEvent::ForeignTroopsOut).unwrap();
        assert_eq!(s.policy().foreign_troops, 0);
        assert!(s.fire(PolicyEvent::ForeignTroopsOut).is_err());
    }

    #[test]
    fn lethal_force_kills_and_marks_the_sites() {
        let mut s = sim("epstein-run2");
        s.set(Control::Legitimacy, 0.3).unwrap();
        s.fire(PolicyEvent::LethalForce).unwrap();
        let mut killed_drawn = false;
        for _ in 0..20 {
            s.step().unwrap();
            killed_drawn |= s.frame().cells.contains(&(Cell::Killed as u8));
        }
        assert!(s.counts().dead > 0);
        assert!(killed_drawn);
    }

    #[test]
    fn sliders_refuse_out_of_range_values() {
        let mut s = sim("epstein-run1");
        assert!(s.set(Control::Legitimacy, 1.5).is_err());
        assert!(s.set(Control::Vision, f64::NAN).is_err());
        assert!(s.set(Control::RiskAversionScale, 0.0).is_err());
        s.set(Control::CopDensity, 0.1).unwrap();
        assert_eq!(s.world().domestic_cops(), 160);
        s.set(Control::RiskAversionScale, 2.0).unwrap();
        assert_eq!(s.controls().risk_aversion_scale, 2.0);
    }

    #[test]
    fn a_lattice_run_stops_at_its_steps_and_marks_its_schedule() {
        let mut s = sim("epstein-run4");
        assert_eq!(s.info().steps, 300);
        let mut marked = Vec::new();
        let mut n = 0;
        while s.step().is_some() {
            n += 1;
            marked.extend(s.take_events());
            assert!(n <= 300);
        }
        assert_eq!(n, 300);
        assert_eq!(marked.len(), 1);
        assert_eq!((marked[0].step, marked[0].event.as_str()), (76, "schedule"));
        assert_eq!(marked[0].label, "legitimacy → 0.7 (schedule)");
        assert!(s.end_notice().contains("300"));
    }

    #[test]
    fn killed_counts_killings_not_deaths_of_old_age() {
        // Peaceful coexistence (Model II): people die of old age, nobody is killed.
        let mut s = sim("epstein-run6");
        for _ in 0..200 {
            s.step().unwrap();
        }
        assert!(s.counts().dead > 0, "deaths of old age");
        assert_eq!(s.killed(), 0);
        assert!(!s.frame().cells.contains(&(Cell::Killed as u8)));
        // Deaths are looked for among the living only: the dead leave the
        // watch list, so a long run's scan does not grow with its dead.
        let living = (0..s.world.agent_slots())
            .filter(|&i| {
                !matches!(
                    s.world.agent_state(i),
                    unrest_core::AgentState::Dead | unrest_core::AgentState::Cop | unrest_core::AgentState::CopOff
                )
            })
            .count();
        assert_eq!(s.alive_slots.len(), living);
        assert!(living < s.world.agent_slots(), "some slots are dead and not watched");
        // Two groups, drawn apart.
        assert_eq!(s.info().groups, 2);
        let cells = s.frame().cells;
        assert!(cells.contains(&(Cell::QuietB as u8)) && cells.contains(&(Cell::Quiet as u8)));
        assert_eq!(sim("epstein-run2").info().groups, 1);
        assert!(!sim("epstein-run2").frame().cells.contains(&(Cell::QuietB as u8)));
        // Lethal force kills, and those are counted.
        let mut s = sim("epstein-run2");
        s.set(Control::Legitimacy, 0.3).unwrap();
        s.fire(PolicyEvent::LethalForce).unwrap();
        for _ in 0..20 {
            s.step().unwrap();
        }
        assert!(s.killed() > 0);
        assert_eq!(s.killed(), u64::from(s.counts().dead));
    }

    #[test]
    fn a_row_carries_legitimacy_after_its_counts() {
        let mut s = sim("epstein-run3");
        for _ in 0..100 {
            s.step().unwrap();
        }
        let r = row(&s.counts(), s.killed(), s.legitimacy());
        let v: serde_json::Value = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        let a = v.as_array().unwrap();
        assert_eq!(a.len(), 11);
        assert_eq!(a[0], 100);
        // Run 3 lowers L from 0.9 by 0.01 a step from step 77 on.
        let l = a[9].as_f64().unwrap();
        assert!(l < 0.9 && l > 0.5, "{l}");
        assert_eq!(l, (s.controls().legitimacy * 1e6).round() / 1e6);
        // A lattice detains nobody "so far": its arrests are per step.
        assert_eq!(a[10], 0);
    }

    #[test]
    fn a_country_row_carries_its_detained_so_far() {
        let name = "belarus-2020";
        let sc =
            unrest_scenario::CountryScenario::parse_with(unrest_scenario::country_builtin(name).unwrap(), name, &[])
                .unwrap();
        let scale = sc.spec.scale;
        let mut s = crate::country::CountrySim::new(sc, Some(3)).unwrap();
        let mut last = 0;
        for _ in 0..80 {
            let Some(c) = s.step() else { break };
            let r = model_row(&s, &c);
            assert!(r.detained >= last, "detained so far never falls");
            last = r.detained;
        }
        assert!(last > 0, "Belarus detains people in its first days (scale {scale})");
        let v = serde_json::to_value(model_row(&s, &s.counts())).unwrap();
        assert_eq!(v[10], last);
    }

    #[test]
    fn history_keeps_what_the_chart_has_not_seen() {
        let mut h = History::default();
        for step in 0..5 {
            h.push([step, 0, 0, 0, 0, 0, 0, 0, 0]);
        }
        let steps: Vec<u64> = h.since(Some(2)).map(|r| r[0]).collect();
        assert_eq!(steps, vec![3, 4]);
        assert_eq!(h.since(None).count(), 5);
        assert_eq!(h.since(Some(9)).count(), 0);
    }

    #[test]
    fn long_histories_are_thinned_evenly_and_keep_their_start() {
        let mut h = History::default();
        let n = 10 * HISTORY_CAP as u64 + 7;
        for step in 0..n {
            h.push([step, step, 0, 0, 0, 0, 0, 0, 0]);
            assert!(h.len() <= HISTORY_CAP + 1);
        }
        let steps: Vec<u64> = h.since(None).map(|r| r[0]).collect();
        assert_eq!(steps[0], 0, "the start is kept");
        assert_eq!(*steps.last().unwrap(), n - 1, "and the latest step");
        assert!(h.len() > HISTORY_CAP / 2);
        let s = h.stride();
        assert!(s >= 8);
        assert!(
            steps[..steps.len() - 1].windows(2).all(|w| w[1] - w[0] == s),
            "evenly spaced"
        );
        // A tab that saw step 100 gets what was kept after it.
        assert!(h.since(Some(100)).all(|r| r[0] > 100));
    }
}

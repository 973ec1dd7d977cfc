//! One lattice world: citizens and cops on a grid, stepped by the paper's rules.
//!
//! Agent state is kept as a structure of arrays (state, site, hardship, risk
//! aversion, jail term, group) so that the hot loop touches few bytes per agent.
//!
//! The cops `C` and actives `A` within a citizen's vision are not counted by
//! scanning the vision set at every decision: each site keeps the number of cops
//! and of active citizens within citizen vision of it, and every change (a move,
//! a turn active or quiet, an arrest) updates the counts of the sites that see
//! it. Vision is symmetric, so those are the sites in vision of the changed site.
//! This keeps the exact semantics of random sequential activation (every agent
//! sees every change made before it in the step) at O(1) per decision; only
//! cops and actives cost window updates, and they are few.

mod interactive;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

use crate::draw::first_free;
use crate::lattice::{Site, Vision};
use crate::metrics::Counts;
use crate::params::*;
use crate::rules;
use crate::schedule::{DynamicParam, ScheduledChange};

mod extension;
mod tiled;
mod windows;
pub use extension::ConstituencyTraits;
use extension::Extension;
pub use interactive::AgentColumns;
use windows::Windows;

const EMPTY: u32 = u32::MAX;

/// Rule M's rejection sampling gives up after this many occupied draws and
/// counts the empty sites instead (at the paper's 30% empty, after 24 misses
/// in about one move in 5,000).
const MOVE_TRIES: u32 = 24;
const LIFE: u32 = u32::MAX;

/// Sides of the table of arrest probabilities `P(C, A)` kept per world: cops
/// `C < P_TABLE_C` and counted actives `A < P_TABLE_A` cover nearly every
/// decision (16 KiB, cache-resident); larger counts compute `exp` directly.
const P_TABLE_C: usize = 32;
const P_TABLE_A: usize = 64;

/// What an agent is doing. Citizens are `Quiet`, `Active`, `Jailed` or `Dead`;
/// cops are `Cop`, or `CopOff` once taken off the lattice by a schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum AgentState {
    Quiet = 0,
    Active = 1,
    Jailed = 2,
    Dead = 3,
    Cop = 4,
    CopOff = 5,
}

/// What a lattice site shows, for views and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteView {
    Empty,
    Quiet,
    Active,
    Jailed,
    Cop,
}

/// A model world with its random stream. Same parameters and seed give the
/// same sequence of states on every platform (PCG64-MCG, portable sampling).
#[derive(Debug, Clone)]
pub struct World {
    p: Params,
    schedule: Vec<ScheduledChange>,
    ramp_start: Vec<Option<f64>>,
    cit_vision: Vision,
    cop_vision: Vision,
    adjacent: Vision,
    rng: Pcg64Mcg,
    state: Vec<AgentState>,
    pos: Vec<Site>,
    hardship: Vec<f32>,
    risk: Vec<f32>,
    term: Vec<u32>,
    group: Vec<u8>,
    age: Vec<u32>,
    death_age: Vec<u32>,
    grid: Vec<u32>,
    /// Cops and actives within citizen vision of each site, and on small
    /// lattices the padded plane for Rule M (see `windows.rs`).
    windows: Windows,
    order: Vec<u32>,
    tally: Counts,
    born: u64,
    flips: Vec<(u32, bool)>,
    /// `P(C, A)` for small counts, from the same functions as a direct
    /// computation (so bit-identical); rebuilt whenever `k` changes.
    p_table: Vec<f64>,
    /// Activation order by tiles (`Activation::Tiled`; see `tiled.rs`).
    tiles: tiled::Tiles,
    /// Per-agent constituency index (country layer); all 0 and unused in Models I/II.
    constituency: Vec<u8>,
    /// Per-agent flag: a foreign cop (never defects, always arrests).
    foreign: Vec<bool>,
    /// The country layer's additions; neutral by default (see `extension.rs`).
    ext: Extension,
    /// Slots of citizens dead since before the current step, free for the
    /// newborns of Model II (see [`World::recycle_slots`]). Kept only while
    /// citizens can be born, so runs without births never touch it.
    free_slots: Vec<u32>,
    /// Slots of citizens who died in the current step: free from its end on,
    /// so a death is still seen as a dead slot by whoever looks after the step.
    died_this_step: Vec<u32>,
    /// Slots that received a newborn at the end of the last step (a viewer
    /// watching slots for deaths must watch these too).
    refilled: Vec<u32>,
    /// Dead citizens whose slots were given to newborns: `tally.dead` counts
    /// them, no slot shows them any more.
    buried: u32,
}

/// Error building a world from invalid parameters or schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidModel(pub Vec<ParamError>);

impl std::fmt::Display for InvalidModel {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let msgs: Vec<String> = self.0.iter().map(|e| e.to_string()).collect();
        f.write_str(&msgs.join("; "))
    }
}

impl std::error::Error for InvalidModel {}

impl World {
    /// Builds the initial state: agents placed, hardship and risk aversion drawn
    /// from U(0,1), all citizens quiet.
    pub fn new(params: Params, schedule: Vec<ScheduledChange>, seed: u64) -> Result<Self, InvalidModel> {
        Self::build(params, schedule, seed, true)
    }

    /// [`World::new`], with the padded layout of `windows.rs` allowed or not
    /// (the tests run both and compare: the layout never changes a result).
    fn build(
        params: Params,
        schedule: Vec<ScheduledChange>,
        seed: u64,
        allow_padded: bool,
    ) -> Result<Self, InvalidModel> {
        let mut errs = params.validate().err().unwrap_or_default();
        for (i, c) in schedule.iter().enumerate() {
            if let Err(e) = c.validate() {
                errs.push(ParamError::new(format!("schedule[{i}]"), e));
            }
        }
        if !errs.is_empty() {
            return Err(InvalidModel(errs));
        }
        let p = params;
        let (w, h) = (p.width, p.height);
        let own = p.vision_includes_own_site;
        let sites = p.sites();
        let cit_vision = Vision::new(p.neighbourhood, p.citizen_vision, own, w, h, p.torus);
        let cop_vision = Vision::new(p.neighbourhood, p.cop_vision, own, w, h, p.torus);
        let mut world = World {
            adjacent: Vision::new(Neighbourhood::Moore, 1.0, false, w, h, p.torus),
            rng: Pcg64Mcg::seed_from_u64(seed),
            state: Vec::new(),
            pos: Vec::new(),
            hardship: Vec::new(),
            risk: Vec::new(),
            term: Vec::new(),
            group: Vec::new(),
            age: Vec::new(),
            death_age: Vec::new(),
            grid: vec![EMPTY; sites],
            windows: Windows::new(&cit_vision, &cop_vision, w, h, p.torus, allow_padded),
            cit_vision,
            cop_vision,
            order: Vec::new(),
            tally: Counts::default(),
            born: 0,
            flips: Vec::new(),
            p_table: Vec::new(),
            tiles: tiled::Tiles::default(),
            constituency: Vec::new(),
            foreign: Vec::new(),
            ext: Extension::default(),
            free_slots: Vec::new(),
            died_this_step: Vec::new(),
            refilled: Vec::new(),
            buried: 0,
            ramp_start: vec![None; schedule.len()],
            schedule,
            p,
        };
        world.rebuild_p_table();
        world.place_initial_agents();
        if world.p.activation == Activation::Tiled {
            world.sort_agents_by_site();
        }
        Ok(world)
    }

    fn place_initial_agents(&mut self) {
        let sites = self.p.sites();
        match self.p.placement {
            Placement::ExactCount => {
                let n_cops = ((self.p.cop_density * sites as f64).round() as usize).min(sites);
                let n_cit = ((self.p.citizen_density * sites as f64).round() as usize).min(sites - n_cops);
                // A partial Fisher–Yates shuffle picks distinct sites.
                let mut all: Vec<Site> = (0..sites as Site).collect();
                for i in 0..n_cops + n_cit {
                    let j = self.rng.random_range(i..sites);
                    all.swap(i, j);
                    if i < n_cops {
                        self.spawn_cop(all[i]);
                    } else {
                        self.spawn_citizen(all[i], None);
                    }
                }
            }
            Placement::PerSite => {
                let (cd, pd) = (self.p.citizen_density, self.p.cop_density);
                for s in 0..sites as Site {
                    let u: f64 = self.rng.random();
                    if u < cd {
                        self.spawn_citizen(s, None);
                    } else if u < cd + pd {
                        self.spawn_cop(s);
                    }
                }
            }
        }
    }

    // ----- accessors -------------------------------------------------------

    pub fn params(&self) -> &Params {
        &self.p
    }

    /// Current counts (after the last step).
    pub fn counts(&self) -> Counts {
        self.tally
    }

    pub fn step_index(&self) -> u64 {
        self.tally.step
    }

    /// Number of agent slots (citizens and cops, alive or not). Without births
    /// every slot is one agent's whole life; with births (Model II) newborns
    /// take the slots of the long dead, so this stays near the peak population.
    pub fn agent_slots(&self) -> usize {
        self.state.len()
    }

    /// Slots that a newborn took over from a dead citizen at the end of the
    /// last step (empty without births).
    pub fn refilled_slots(&self) -> &[u32] {
        &self.refilled
    }

    /// Citizens ever present, initial plus born: quiet + active + jailed + dead
    /// always equals it (the conservation invariant).
    pub fn population(&self) -> u64 {
        self.state
            .iter()
            .filter(|s| !matches!(s, AgentState::Cop | AgentState::CopOff))
            .count() as u64
            + u64::from(self.buried)
    }

    /// Citizens born so far (Model II's cloning).
    pub fn born(&self) -> u64 {
        self.born
    }

    /// The state of agent `i`.
    pub fn agent_state(&self, i: usize) -> AgentState {
        self.state[i]
    }

    /// What site `s` shows.
    pub fn site_view(&self, s: Site) -> SiteView {
        match self.grid[s as usize] {
            EMPTY => SiteView::Empty,
            a => match self.state[a as usize] {
                AgentState::Quiet => SiteView::Quiet,
                AgentState::Active => SiteView::Active,
                AgentState::Jailed => SiteView::Jailed,
                AgentState::Cop => SiteView::Cop,
                AgentState::Dead | AgentState::CopOff => SiteView::Empty,
            },
        }
    }

    /// The agent on site `s`, if any.
    pub fn agent_at(&self, s: Site) -> Option<usize> {
        match self.grid[s as usize] {
            EMPTY => None,
            a => Some(a as usize),
        }
    }

    /// Changes a parameter now (for interactive use and schedules). Cop density
    /// adds or removes cops; the others take effect from the next decision.
    pub fn set_param(&mut self, param: DynamicParam, value: f64) {
        match param {
            DynamicParam::Legitimacy => self.p.legitimacy = value.clamp(0.0, 1.0),
            DynamicParam::K => {
                self.p.k = value.max(0.0);
                self.rebuild_p_table();
            }
            DynamicParam::Threshold => self.p.threshold = value,
            DynamicParam::MaxJailTerm => {
                self.p.max_jail_term = StepLimit::Finite(value.max(0.0).min(f64::from(u32::MAX - 1)) as u32)
            }
            DynamicParam::CopDensity => {
                self.p.cop_density = value.clamp(0.0, 1.0);
                self.adjust_cops();
            }
        }
    }

    fn param_value(&self, param: DynamicParam) -> f64 {
        match param {
            DynamicParam::Legitimacy => self.p.legitimacy,
            DynamicParam::K => self.p.k,
            DynamicParam::Threshold => self.p.threshold,
            DynamicParam::CopDensity => self.p.cop_density,
            DynamicParam::MaxJailTerm => match self.p.max_jail_term {
                StepLimit::Finite(n) => f64::from(n),
                StepLimit::Unbounded => f64::from(u32::MAX - 1),
            },
        }
    }

    // ----- the step --------------------------------------------------------

    /// Advances the world by one step and returns the counts after it.
    pub fn step(&mut self) -> Counts {
        let t = self.tally.step + 1;
        self.apply_schedule(t);
        // Slots added from here on are this step's newborns.
        let n_start = self.state.len();
        self.tally.arrests = 0;
        self.tally.kills = 0;
        match self.p.activation {
            Activation::RandomSequential => {
                self.shuffle_order();
                // (Reading the next agent's state a turn ahead, as the tiled
                // order does, measured slower here at every size: 7-30% on
                // 40x40 worlds, no change at 1M agents.)
                for k in 0..self.order.len() {
                    self.activate(self.order[k] as usize);
                }
            }
            Activation::Synchronous => {
                self.shuffle_order();
                self.step_synchronous();
            }
            Activation::Tiled => self.step_tiled(),
        }
        if self.p.jail_countdown == JailCountdown::EndOfStep {
            self.count_down_jail_terms();
        }
        if self.p.max_age != StepLimit::Unbounded {
            self.age_citizens();
        }
        if !self.refilled.is_empty() || !self.died_this_step.is_empty() || self.state.len() > n_start {
            self.recycle_slots(n_start);
        }
        self.tally.step = t;
        self.tally
    }

    /// Runs `n` steps, calling `f` with the counts after each.
    pub fn run(&mut self, n: u64, mut f: impl FnMut(&Counts)) {
        for _ in 0..n {
            let c = self.step();
            f(&c);
        }
    }

    fn apply_schedule(&mut self, t: u64) {
        for k in 0..self.schedule.len() {
            let change = self.schedule[k].clone();
            if t == change.step {
                self.ramp_start[k] = Some(self.param_value(change.param));
            }
            let start = self.ramp_start[k].unwrap_or_else(|| self.param_value(change.param));
            if let Some(v) = change.value_at(t, start) {
                self.set_param(change.param, v);
            }
        }
    }

    fn shuffle_order(&mut self) {
        let n = self.state.len();
        self.order.clear();
        self.order.extend(0..n as u32);
        crate::draw::shuffle(&mut self.rng, &mut self.order);
    }

    /// Reads what agent `j`'s turn reads first (its state, site, hardship,
    /// risk aversion and the window counts at its site) and changes nothing:
    /// called one turn ahead in the tiled order, these loads overlap the turn
    /// before instead of starting a chain of cache misses when `j`'s turn comes.
    #[inline(always)]
    fn warm_up(&self, j: usize) -> u32 {
        let s = self.pos[j];
        self.windows.warm_up(s) ^ u32::from(self.state[j] as u8) ^ self.hardship[j].to_bits() ^ self.risk[j].to_bits()
    }

    /// Agent `i`'s turn in a sequential step: its rules, by its kind.
    #[inline]
    fn activate(&mut self, i: usize) {
        match self.state[i] {
            AgentState::Cop => self.activate_cop(i),
            AgentState::Quiet | AgentState::Active | AgentState::Jailed => self.activate_citizen(i),
            AgentState::Dead | AgentState::CopOff => {}
        }
    }

    /// One citizen's activation under random sequential activation.
    fn activate_citizen(&mut self, i: usize) {
        if self.state[i] == AgentState::Jailed {
            if self.p.jail_countdown == JailCountdown::EndOfStep || !self.serve_jail_activation(i) {
                return;
            }
        }
        // Model II's rules are checked here so that Model I pays no call for them.
        let (violence, cloning) = (self.p.ethnic_violence, self.p.clone_probability > 0.0);
        match self.p.rule_order {
            RuleOrder::MoveThenAct => {
                if self.p.movement {
                    self.rule_m(i);
                }
                self.rule_a(i);
                if violence {
                    self.rule_k(i);
                }
            }
            RuleOrder::ActThenMove => {
                self.rule_a(i);
                if violence {
                    self.rule_k(i);
                }
                if self.p.movement {
                    self.rule_m(i);
                }
            }
        }
        if cloning {
            self.rule_clone(i);
        }
    }

    /// One cop's activation: Rule C, then what it does after an arrest.
    fn activate_cop(&mut self, i: usize) {
        let arrest_site = self.rule_c(i);
        self.after_arrest(i, arrest_site);
    }

    fn after_arrest(&mut self, i: usize, arrest_site: Option<Site>) {
        match (self.p.cop_after_arrest, arrest_site) {
            (CopAfterArrest::Stay, Some(_)) => {}
            (CopAfterArrest::TakeSite, Some(s)) if self.grid[s as usize] == EMPTY => self.move_agent(i, s),
            _ => {
                if self.p.cop_movement {
                    self.rule_m(i);
                }
            }
        }
    }

    fn step_synchronous(&mut self) {
        if self.p.jail_countdown == JailCountdown::AtActivation {
            for i in 0..self.state.len() {
                if self.state[i] == AgentState::Jailed {
                    self.serve_jail_activation(i);
                }
            }
        }
        // Rule A for every free citizen against the counts at the start of the step.
        let mut flips = std::mem::take(&mut self.flips);
        flips.clear();
        for i in 0..self.state.len() {
            if matches!(self.state[i], AgentState::Quiet | AgentState::Active) {
                let now = self.state[i] == AgentState::Active;
                let next = self.decide(i);
                if next != now {
                    flips.push((i as u32, next));
                }
            }
        }
        for &(i, a) in &flips {
            self.set_active(i as usize, a);
        }
        self.flips = flips;
        for k in 0..self.order.len() {
            let i = self.order[k] as usize;
            match self.state[i] {
                AgentState::Active => self.rule_k(i),
                AgentState::Cop => {
                    let s = self.rule_c(i);
                    if s.is_some() && self.p.cop_after_arrest == CopAfterArrest::TakeSite {
                        self.after_arrest(i, s);
                    }
                }
                _ => {}
            }
        }
        for k in 0..self.order.len() {
            let i = self.order[k] as usize;
            match self.state[i] {
                AgentState::Quiet | AgentState::Active if self.p.movement => self.rule_m(i),
                AgentState::Cop if self.p.cop_movement => self.rule_m(i),
                _ => {}
            }
            if matches!(self.state[i], AgentState::Quiet | AgentState::Active) {
                self.rule_clone(i);
            }
        }
    }

    // ----- the rules ---------------------------------------------------------

    /// Rule A's decision for citizen `i` at its current site, without acting on it:
    /// G − N > T with G = H(1 − L), N = R·P, P = 1 − exp(−k·(C/A)_v).
    fn decide(&self, i: usize) -> bool {
        if self.ext.is_active() {
            return self.decide_extended(i);
        }
        let s = self.pos[i] as usize;
        let active = self.state[i] == AgentState::Active;
        let c = self.windows.cops(s as Site);
        let a = rules::actives_counted(self.windows.actives(s as Site), active, self.p.self_count);
        let p = self.arrest_probability(c, a);
        let n = rules::net_risk(f64::from(self.risk[i]), p);
        let g = rules::grievance(f64::from(self.hardship[i]), self.p.legitimacy);
        rules::is_active(g, n, self.p.threshold)
    }

    /// Eq. 2's `P = 1 − exp(−k·(C/A)_v)` for `C` cops and `A` counted actives
    /// (plus the country layer's unseen actives, 0 in Models I and II): a
    /// table look-up for small counts (the common case), else computed.
    #[inline]
    fn arrest_probability(&self, c: u32, a: u32) -> f64 {
        let (ci, ai) = (c as usize, a as usize);
        if ci < P_TABLE_C && ai < P_TABLE_A {
            return self.p_table[ci * P_TABLE_A + ai];
        }
        let unseen = self.ext.unseen_actives();
        rules::arrest_probability(
            self.p.k,
            rules::informed_cop_active_ratio(c, a, unseen, self.p.ratio_rule),
        )
    }

    /// Fills the `P(C, A)` table for the current `k`, unseen actives and ratio
    /// convention, with the very functions a direct computation uses.
    fn rebuild_p_table(&mut self) {
        let (k, rule, unseen) = (self.p.k, self.p.ratio_rule, self.ext.unseen_actives());
        self.p_table.clear();
        self.p_table.extend((0..P_TABLE_C * P_TABLE_A).map(|idx| {
            let (c, a) = ((idx / P_TABLE_A) as u32, (idx % P_TABLE_A) as u32);
            rules::arrest_probability(k, rules::informed_cop_active_ratio(c, a, unseen, rule))
        }));
    }

    /// Rule A: "if G − N > T be active; otherwise, be quiet".
    fn rule_a(&mut self, i: usize) {
        let a = self.decide(i);
        self.set_active(i, a);
    }

    /// Rule C: "inspect all sites within v* and arrest a random active agent".
    /// Returns the site of the arrest.
    fn rule_c(&mut self, cop: usize) -> Option<Site> {
        if self.tally.active == 0 {
            return None;
        }
        if !self.willing_to_arrest(cop) {
            return None;
        }
        let s = self.pos[cop];
        // With equal visions the window count already says whether any active is
        // in view: skip the scan (same result, same random draws).
        if self.p.cop_vision == self.p.citizen_vision && self.windows.actives(s) == 0 {
            return None;
        }
        let target = self.random_in_vision(true, s, |w, a| w.state[a] == AgentState::Active)?;
        let site = self.pos[target];
        if self.arrest_kills() {
            self.kill_in_arrest(target);
        } else {
            self.arrest(target);
        }
        Some(site)
    }

    /// Rule M: "move to a random [empty] site within your vision"; stay if none.
    fn rule_m(&mut self, i: usize) {
        let is_cop = self.state[i] == AgentState::Cop;
        if let Some(t) = self.random_empty_in_vision(is_cop, self.pos[i]) {
            self.move_agent(i, t);
        }
    }

    /// Model II's violence: an active citizen kills a random citizen of the
    /// other group within its vision ("going active means killing").
    fn rule_k(&mut self, i: usize) {
        if !self.p.ethnic_violence || self.state[i] != AgentState::Active {
            return;
        }
        let g = self.group[i];
        let victim = self.random_in_vision(false, self.pos[i], |w, a| {
            matches!(w.state[a], AgentState::Quiet | AgentState::Active) && w.group[a] != g
        });
        if let Some(v) = victim {
            self.unplace(v);
            self.set_state(v, AgentState::Dead);
            self.tally.kills += 1;
        }
    }

    /// Model II's reproduction: clone onto an empty adjacent site with the
    /// configured probability; the child inherits group and hardship.
    fn rule_clone(&mut self, i: usize) {
        if self.p.clone_probability <= 0.0 || !matches!(self.state[i], AgentState::Quiet | AgentState::Active) {
            return;
        }
        if self.rng.random::<f64>() >= self.p.clone_probability {
            return;
        }
        let s = self.pos[i];
        let n = self.adjacent.len();
        let mut empties = [0 as Site; 8];
        let mut k = 0;
        for j in 0..n.min(8) {
            if let Some(t) = self.adjacent.nth(s, j) {
                if self.grid[t as usize] == EMPTY {
                    empties[k] = t;
                    k += 1;
                }
            }
        }
        if k > 0 {
            let t = empties[self.rng.random_range(0..k)];
            self.born += 1;
            self.spawn_citizen(t, Some(i));
        }
    }

    fn arrest(&mut self, j: usize) {
        let term = self.draw_jail_term();
        self.term[j] = term;
        if self.p.jail_placement == JailPlacement::OffLattice {
            self.unplace(j);
        }
        self.set_active(j, false);
        self.set_state(j, AgentState::Jailed);
        self.tally.arrests += 1;
    }

    fn draw_jail_term(&mut self) -> u32 {
        match self.p.max_jail_term {
            StepLimit::Unbounded => LIFE,
            StepLimit::Finite(j) => match self.p.jail_draw {
                JailDraw::Inclusive => self.rng.random_range(0..=j),
                JailDraw::Exclusive if j == 0 => 0,
                JailDraw::Exclusive => self.rng.random_range(0..j),
            },
        }
    }

    /// A jailed citizen's own activation (Mesa's convention). Returns whether it
    /// was released and may act now.
    fn serve_jail_activation(&mut self, i: usize) -> bool {
        match self.term[i] {
            LIFE => false,
            0 => self.release(i),
            _ => {
                self.term[i] -= 1;
                false
            }
        }
    }

    fn count_down_jail_terms(&mut self) {
        for i in 0..self.state.len() {
            if self.state[i] == AgentState::Jailed && self.term[i] != LIFE {
                self.term[i] = self.term[i].saturating_sub(1);
                if self.term[i] == 0 {
                    self.release(i);
                }
            }
        }
    }

    /// Frees a jailed citizen, quiet. Off the lattice it returns to its arrest
    /// site if free, else to a random empty site in vision of it, else anywhere;
    /// with no empty site at all it waits in jail.
    fn release(&mut self, i: usize) -> bool {
        if self.p.jail_placement == JailPlacement::OffLattice {
            let s = self.pos[i];
            let target = if self.grid[s as usize] == EMPTY {
                Some(s)
            } else {
                self.random_empty_in_vision(false, s)
                    .or_else(|| self.random_empty_site())
            };
            match target {
                Some(t) => {
                    self.set_state(i, AgentState::Quiet);
                    self.place(i, t);
                }
                None => return false,
            }
        } else {
            self.set_state(i, AgentState::Quiet);
        }
        true
    }

    fn age_citizens(&mut self) {
        for i in 0..self.state.len() {
            if matches!(
                self.state[i],
                AgentState::Quiet | AgentState::Active | AgentState::Jailed
            ) {
                self.age[i] += 1;
                if self.age[i] >= self.death_age[i] {
                    if self.state[i] != AgentState::Jailed || self.p.jail_placement == JailPlacement::StayOnSite {
                        self.unplace(i);
                    }
                    self.set_state(i, AgentState::Dead);
                }
            }
        }
    }

    /// Brings the number of cops on the lattice to `round(cop_density × sites)`.
    fn adjust_cops(&mut self) {
        let target = (self.p.cop_density * self.p.sites() as f64).round() as u32;
        while self.tally.cops < target {
            match self.random_empty_site() {
                Some(s) => self.spawn_cop(s),
                None => break,
            }
        }
        if self.tally.cops > target {
            let cops: Vec<usize> = (0..self.state.len())
                .filter(|&i| self.state[i] == AgentState::Cop)
                .collect();
            let remove = (self.tally.cops - target) as usize;
            self.take_random_cops_off(cops, remove);
        }
    }

    /// Takes `n` cops chosen uniformly from `cops` off the lattice (a partial
    /// Fisher–Yates shuffle, so the draws do not depend on how many remain).
    pub(crate) fn take_random_cops_off(&mut self, mut cops: Vec<usize>, n: usize) {
        for k in 0..n.min(cops.len()) {
            let j = self.rng.random_range(k..cops.len());
            cops.swap(k, j);
            let c = cops[k];
            self.unplace(c);
            self.set_state(c, AgentState::CopOff);
        }
    }

    /// Moves this step's newborns (slots from `n_start` on) into the slots of
    /// citizens dead since before the step, last newborn first, and frees the
    /// slots of this step's dead for the steps after. Done at the end of the
    /// step, so a newborn still does not act in the step it was born in (it was
    /// not in that step's order), and the dead of a step are seen dead after it.
    /// Without births there are no newborns and no free slots: nothing moves.
    fn recycle_slots(&mut self, n_start: usize) {
        self.refilled.clear();
        while self.state.len() > n_start {
            let Some(f) = self.free_slots.pop() else { break };
            let (i, f) = (self.state.len() - 1, f as usize);
            debug_assert_eq!(self.state[f], AgentState::Dead);
            if self.grid[self.pos[i] as usize] == i as u32 {
                self.grid[self.pos[i] as usize] = f as u32;
            }
            // A newborn may have died in its birth step.
            if let Some(d) = self.died_this_step.iter_mut().find(|d| **d == i as u32) {
                *d = f as u32;
            }
            fn take<T: Copy>(v: &mut Vec<T>, i: usize, f: usize) {
                if let Some(x) = v.pop() {
                    debug_assert_eq!(v.len(), i);
                    v[f] = x;
                }
            }
            take(&mut self.state, i, f);
            take(&mut self.pos, i, f);
            take(&mut self.hardship, i, f);
            take(&mut self.risk, i, f);
            take(&mut self.term, i, f);
            take(&mut self.group, i, f);
            take(&mut self.age, i, f);
            take(&mut self.death_age, i, f);
            take(&mut self.constituency, i, f);
            take(&mut self.foreign, i, f);
            self.buried += 1;
            self.refilled.push(f as u32);
        }
        self.free_slots.append(&mut self.died_this_step);
    }

    // ----- lattice bookkeeping -------------------------------------------------

    /// A new agent slot, not yet counted in any tally. Always appended: a
    /// newborn moves into a dead citizen's slot only at the end of its birth
    /// step (see [`World::recycle_slots`]).
    fn new_slot(&mut self) -> usize {
        self.state.push(AgentState::CopOff);
        self.pos.push(0);
        self.hardship.push(0.0);
        self.risk.push(0.0);
        self.term.push(0);
        self.group.push(0);
        self.constituency.push(0);
        self.foreign.push(false);
        if self.p.max_age != StepLimit::Unbounded {
            self.age.push(0);
            self.death_age.push(u32::MAX);
        }
        self.state.len() - 1
    }

    fn spawn_cop(&mut self, s: Site) {
        let i = self.new_slot();
        self.set_state(i, AgentState::Cop);
        self.place(i, s);
    }

    fn spawn_citizen(&mut self, s: Site, parent: Option<usize>) {
        let i = self.new_slot();
        let (h, g) = match parent {
            Some(par) => (self.hardship[par], self.group[par]),
            None => {
                let h: f32 = self.rng.random();
                let g = u8::from(self.p.group_b_share > 0.0 && self.rng.random::<f64>() < self.p.group_b_share);
                (h, g)
            }
        };
        self.hardship[i] = h;
        self.group[i] = g;
        self.risk[i] = self.rng.random();
        self.term[i] = 0;
        if let StepLimit::Finite(m) = self.p.max_age {
            self.age[i] = 0;
            self.death_age[i] = self.rng.random_range(0..=m);
        }
        self.set_state(i, AgentState::Quiet);
        self.place(i, s);
    }

    /// Sets an agent's state and keeps the tallies.
    fn set_state(&mut self, i: usize, new: AgentState) {
        let old = self.state[i];
        self.tally_add(old, -1);
        self.tally_add(new, 1);
        if self.group[i] == 1 {
            let alive =
                |s: AgentState| u32::from(matches!(s, AgentState::Quiet | AgentState::Active | AgentState::Jailed));
            self.tally.alive_b = self.tally.alive_b + alive(new) - alive(old);
        }
        self.state[i] = new;
        if new == AgentState::Dead && self.p.clone_probability > 0.0 {
            self.died_this_step.push(i as u32);
        }
    }

    fn tally_add(&mut self, s: AgentState, d: i32) {
        let t = &mut self.tally;
        let field = match s {
            AgentState::Quiet => &mut t.quiet,
            AgentState::Active => &mut t.active,
            AgentState::Jailed => &mut t.jailed,
            AgentState::Dead => &mut t.dead,
            AgentState::Cop => &mut t.cops,
            AgentState::CopOff => return,
        };
        *field = field.wrapping_add_signed(d);
    }

    /// Turns a free citizen active or quiet, updating the window counts.
    fn set_active(&mut self, i: usize, active: bool) {
        let was = self.state[i] == AgentState::Active;
        if was == active {
            return;
        }
        self.set_state(i, if active { AgentState::Active } else { AgentState::Quiet });
        if self.grid[self.pos[i] as usize] == i as u32 {
            self.add_to_windows(self.pos[i], 0, if active { 1 } else { -1 });
        }
    }

    fn contribution(&self, i: usize) -> (i16, i16) {
        match self.state[i] {
            AgentState::Cop => (1, 0),
            AgentState::Active => (0, 1),
            _ => (0, 0),
        }
    }

    /// Adds `dc` cops and `da` actives to the window counts of every site that
    /// sees `s` (the sites in vision of `s`, by symmetry), a run of sites at a time.
    fn add_to_windows(&mut self, s: Site, dc: i16, da: i16) {
        self.windows.add(&self.cit_vision, s, dc, da);
    }

    fn place(&mut self, i: usize, s: Site) {
        debug_assert_eq!(self.grid[s as usize], EMPTY);
        self.grid[s as usize] = i as u32;
        self.windows.set_free(s, false);
        self.pos[i] = s;
        let (dc, da) = self.contribution(i);
        if dc != 0 || da != 0 {
            self.add_to_windows(s, dc, da);
        }
    }

    /// Takes an agent off the lattice; `pos` keeps its last site.
    fn unplace(&mut self, i: usize) {
        let s = self.pos[i];
        if self.grid[s as usize] != i as u32 {
            return;
        }
        self.grid[s as usize] = EMPTY;
        self.windows.set_free(s, true);
        let (dc, da) = self.contribution(i);
        if dc != 0 || da != 0 {
            self.add_to_windows(s, -dc, -da);
        }
    }

    /// `unplace` then `place`, in one pass: a move is the commonest change of
    /// all (nearly every agent, nearly every step).
    fn move_agent(&mut self, i: usize, to: Site) {
        let from = self.pos[i];
        if self.grid[from as usize] != i as u32 {
            self.place(i, to);
            return;
        }
        debug_assert_eq!(self.grid[to as usize], EMPTY);
        self.grid[from as usize] = EMPTY;
        self.grid[to as usize] = i as u32;
        self.pos[i] = to;
        self.windows.set_free(from, true);
        self.windows.set_free(to, false);
        let (dc, da) = self.contribution(i);
        if dc != 0 || da != 0 {
            self.add_to_windows(from, -dc, -da);
            self.add_to_windows(to, dc, da);
        }
    }

    fn vision(&self, cop: bool) -> &Vision {
        if cop {
            &self.cop_vision
        } else {
            &self.cit_vision
        }
    }

    /// A uniformly random empty site within vision of `s`. Rejection sampling
    /// (uniform over the vision set, accept if empty) is uniform over the empty
    /// sites; after a few misses a full scan decides, so "none" is exact too.
    fn random_empty_in_vision(&mut self, cop: bool, s: Site) -> Option<Site> {
        let vision = if cop { &self.cop_vision } else { &self.cit_vision };
        if vision.is_empty() {
            return None;
        }
        let offset = vision.offset_sampler();
        let found = if let Some(pad) = self.windows.pad() {
            // Small lattices: any site's vision is one index addition away on
            // the padded plane, edges and wrap included.
            let (centre, deltas) = (pad.centre(s) as i64, pad.deltas(cop));
            first_free(
                &mut self.rng,
                offset,
                MOVE_TRIES,
                |k| (centre + i64::from(deltas[k as usize])) as usize,
                |c| pad.is_free(c),
                |c| pad.site_of(c),
            )
        } else if let Some(deltas) = vision.interior_deltas(s) {
            // Away from the edges (nearly every site of a large lattice): a
            // site is one index addition away.
            let grid = &self.grid;
            first_free(
                &mut self.rng,
                offset,
                MOVE_TRIES,
                |k| (i64::from(s) + i64::from(deltas[k as usize])) as usize,
                |t| grid[t] == EMPTY,
                |t| t as Site,
            )
        } else {
            // Near the edge of a large lattice: wrap or clip each offset
            // (`usize::MAX` for an offset off a bounded lattice's edge).
            let (around, grid) = (vision.at(s), &self.grid);
            first_free(
                &mut self.rng,
                offset,
                MOVE_TRIES,
                |k| around.nth(k as usize).map_or(usize::MAX, |t| t as usize),
                |t| t != usize::MAX && grid[t] == EMPTY,
                |t| t as Site,
            )
        };
        if found.is_some() {
            return found;
        }
        let grid = &self.grid;
        let mut count = 0u32;
        vision.for_each(s, |t| count += u32::from(grid[t as usize] == EMPTY));
        if count == 0 {
            return None;
        }
        let mut pick = self.rng.random_range(0..count);
        let mut found = None;
        vision.for_each(s, |t| {
            if grid[t as usize] == EMPTY {
                if pick == 0 && found.is_none() {
                    found = Some(t);
                }
                pick = pick.wrapping_sub(1);
            }
        });
        found
    }

    /// A uniformly random agent within vision of `s` that satisfies `pred`.
    fn random_in_vision(&mut self, cop: bool, s: Site, pred: impl Fn(&World, usize) -> bool) -> Option<usize> {
        let mut count = 0u32;
        self.vision(cop).for_each(s, |t| {
            let a = self.grid[t as usize];
            if a != EMPTY && pred(self, a as usize) {
                count += 1;
            }
        });
        if count == 0 {
            return None;
        }
        let mut pick = self.rng.random_range(0..count);
        let mut found = None;
        self.vision(cop).for_each(s, |t| {
            let a = self.grid[t as usize];
            if a != EMPTY && found.is_none() && pred(self, a as usize) {
                if pick == 0 {
                    found = Some(a as usize);
                }
                pick = pick.wrapping_sub(1);
            }
        });
        found
    }

    fn random_empty_site(&mut self) -> Option<Site> {
        let n = self.grid.len();
        for _ in 0..64 {
            let s = self.rng.random_range(0..n);
            if self.grid[s] == EMPTY {
                return Some(s as Site);
            }
        }
        let empties = self.grid.iter().filter(|&&a| a == EMPTY).count();
        if empties == 0 {
            return None;
        }
        let k = self.rng.random_range(0..empties);
        self.grid
            .iter()
            .enumerate()
            .filter(|(_, &a)| a == EMPTY)
            .nth(k)
            .map(|(s, _)| s as Site)
    }

    // ----- checks ---------------------------------------------------------------

    /// Recomputes everything that is kept incrementally and compares: tallies,
    /// grid ↔ positions, window counts. Returns the first inconsistency.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut tally = Counts {
            step: self.tally.step,
            arrests: self.tally.arrests,
            kills: self.tally.kills,
            ..Counts::default()
        };
        let mut on_grid = 0usize;
        for (i, &st) in self.state.iter().enumerate() {
            if self.group[i] == 1 && matches!(st, AgentState::Quiet | AgentState::Active | AgentState::Jailed) {
                tally.alive_b += 1;
            }
            match st {
                AgentState::Quiet => tally.quiet += 1,
                AgentState::Active => tally.active += 1,
                AgentState::Jailed => tally.jailed += 1,
                AgentState::Dead => tally.dead += 1,
                AgentState::Cop => tally.cops += 1,
                AgentState::CopOff => {}
            }
            let should_be_on = match st {
                AgentState::Quiet | AgentState::Active | AgentState::Cop => true,
                AgentState::Jailed => self.p.jail_placement == JailPlacement::StayOnSite,
                _ => false,
            };
            let is_on = self.grid[self.pos[i] as usize] == i as u32;
            if should_be_on != is_on {
                return Err(format!("agent {i} ({st:?}) on grid: {is_on}, expected {should_be_on}"));
            }
            on_grid += usize::from(is_on);
        }
        tally.dead += self.buried;
        if tally.quiet != self.tally.quiet
            || tally.active != self.tally.active
            || tally.jailed != self.tally.jailed
            || tally.cops != self.tally.cops
            || tally.dead != self.tally.dead
            || tally.alive_b != self.tally.alive_b
        {
            return Err(format!("tally {:?} != recount {:?}", self.tally, tally));
        }
        if self.grid.iter().filter(|&&a| a != EMPTY).count() != on_grid {
            return Err("a site holds an agent that does not know it is there".into());
        }
        for s in 0..self.grid.len() {
            let (mut c, mut a) = (0u16, 0u16);
            self.cit_vision.for_each(s as Site, |t| match self.site_view(t) {
                SiteView::Cop => c += 1,
                SiteView::Active => a += 1,
                _ => {}
            });
            let kept = (self.windows.cops(s as Site), self.windows.actives(s as Site));
            if kept != (u32::from(c), u32::from(a)) {
                return Err(format!("window at site {s}: kept {kept:?}, recount ({c}, {a})"));
            }
        }
        if let Some(pad) = self.windows.pad() {
            pad.check_free(|s| self.grid[s as usize] == EMPTY)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The padded layout (small lattices) and the plain one must give the same
    /// run, step for step, with exact bookkeeping in both.
    #[test]
    fn padded_and_plain_layouts_give_identical_runs() {
        let bounded = Params {
            torus: false,
            ..Params::mesa()
        };
        let own_site = Params {
            vision_includes_own_site: true,
            neighbourhood: Neighbourhood::Moore,
            citizen_vision: 3.0,
            cop_vision: 5.0,
            ..Params::netlogo()
        };
        let model_ii = Params {
            ethnic_violence: true,
            group_b_share: 0.5,
            clone_probability: 0.05,
            legitimacy: 0.5,
            max_age: StepLimit::Finite(200),
            ..Params::epstein()
        };
        let run2_like = Params {
            cop_density: 0.04,
            legitimacy: 0.82,
            max_jail_term: StepLimit::Finite(30),
            ..Params::mesa()
        };
        for (name, p) in [
            ("mesa", Params::mesa()),
            ("run2-like", run2_like),
            ("epstein", Params::epstein()),
            ("bounded", bounded),
            ("own-site", own_site),
            ("model-ii", model_ii),
        ] {
            let mut padded = World::build(p.clone(), vec![], 11, true).unwrap();
            let mut plain = World::build(p, vec![], 11, false).unwrap();
            assert!(padded.windows.pad().is_some(), "{name}: padded layout expected");
            assert!(plain.windows.pad().is_none());
            for t in 1..=120 {
                assert_eq!(padded.step(), plain.step(), "{name}: step {t}");
                if t % 40 == 0 {
                    padded
                        .check_invariants()
                        .unwrap_or_else(|e| panic!("{name} padded: {e}"));
                    plain.check_invariants().unwrap_or_else(|e| panic!("{name} plain: {e}"));
                }
            }
        }
    }
}

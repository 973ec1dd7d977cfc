//! What the country layer (`unrest-country`) adds to a lattice world, all
//! neutral by default so Models I and II run exactly as before (no extra random
//! draws, the same Rule A):
//!
//! * constituencies: each citizen belongs to a group with its own hardship
//!   multiplier, perceived legitimacy, threshold and risk-aversion multiplier;
//! * unseen actives: a real number of actives added to `A` in every citizen's
//!   `C/A` ratio, the information coupling to activity outside vision;
//! * lethal arrests: an arrest kills with a given probability;
//! * arrest willingness: a domestic cop makes an arrest it could make only with
//!   this probability (police that stop arresting);
//! * foreign cops: cops that always arrest and are added and withdrawn
//!   separately from the domestic police;
//! * arrest rate: any cop (domestic or foreign) attempts an arrest in a given
//!   activation only with this probability (Epstein's cops arrest at every
//!   activation; real police arrest far fewer people per day than that).
//!
//! Every addition is O(1) per decision; the window counts are untouched.

use super::*;
use crate::lattice::Site;

/// The traits a constituency (a group of citizens) brings to Rule A.
///
/// With traits `(s_H, L_c, T_c, s_R, p₀)` citizen `i` of the group is active iff
/// `H_i·s_H·(1 − L_c) − R_i·s_R·P' > T_c` with `P' = P + (1 − P)·p₀`:
/// Epstein's Rule A with the group's perceived legitimacy and threshold, its
/// hardship scaled (a price shock), its risk aversion scaled (fear), and an
/// ambient risk `p₀` of being hurt on the street wherever the police are
/// (curfews, shooting without warning), which Epstein's local `C/A` misses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConstituencyTraits {
    /// Multiplier `s_H` on each member's own hardship (1 = as drawn).
    pub hardship_scale: f64,
    /// Perceived legitimacy `L_c` of the regime in this group, in [0, 1].
    pub legitimacy: f64,
    /// Activation threshold `T_c`.
    pub threshold: f64,
    /// Multiplier `s_R` on each member's own risk aversion (1 = as drawn).
    pub risk_scale: f64,
    /// Ambient risk `p₀` in [0, 1] added to the arrest probability (0 = Epstein's P).
    pub ambient_risk: f64,
}

/// The extension's state inside [`World`].
#[derive(Debug, Clone)]
pub(super) struct Extension {
    constituencies: Vec<ConstituencyTraits>,
    unseen_actives: f64,
    lethality: f64,
    arrest_willingness: f64,
    arrest_rate: f64,
    foreign_cops: u32,
    /// People one agent stands for (the country's scale); 1 in Models I/II.
    people_per_agent: u32,
    /// People killed in this step's lethal arrests (reset every step).
    people_killed: u64,
}

impl Default for Extension {
    fn default() -> Self {
        Extension {
            constituencies: Vec::new(),
            unseen_actives: 0.0,
            lethality: 0.0,
            arrest_willingness: 1.0,
            arrest_rate: 1.0,
            foreign_cops: 0,
            people_per_agent: 1,
            people_killed: 0,
        }
    }
}

impl Extension {
    /// Whether Rule A needs the extended decision (constituencies or unseen actives).
    pub(super) fn is_active(&self) -> bool {
        !self.constituencies.is_empty() || self.unseen_actives > 0.0
    }

    /// Actives outside vision added to every citizen's `A` (0 unless set).
    pub(super) fn unseen_actives(&self) -> f64 {
        self.unseen_actives
    }
}

impl World {
    /// Rule A with constituency traits and unseen actives:
    /// `H·s_H·(1 − L_c) − R·s_R·(1 − exp(−k·C/(A + A_info))) > T_c`.
    pub(super) fn decide_extended(&self, i: usize) -> bool {
        let s = self.pos[i] as usize;
        let active = self.state[i] == AgentState::Active;
        let c = self.windows.cops(s as Site);
        let a = rules::actives_counted(self.windows.actives(s as Site), active, self.p.self_count);
        let t = self.traits_of(i);
        // `P(C, A)` with the unseen actives in `A` (the table is rebuilt when they change).
        let p = self.arrest_probability(c, a);
        let p = p + (1.0 - p) * t.ambient_risk;
        let g = rules::grievance(f64::from(self.hardship[i]) * t.hardship_scale, t.legitimacy);
        let n = rules::net_risk(f64::from(self.risk[i]) * t.risk_scale, p);
        rules::is_active(g, n, t.threshold)
    }

    fn traits_of(&self, i: usize) -> ConstituencyTraits {
        match self.ext.constituencies.get(usize::from(self.constituency[i])) {
            Some(t) => *t,
            None => ConstituencyTraits {
                hardship_scale: 1.0,
                legitimacy: self.p.legitimacy,
                threshold: self.p.threshold,
                risk_scale: 1.0,
                ambient_risk: 0.0,
            },
        }
    }

    /// Whether cop `cop` acts on an arrest it could make this activation. Draws
    /// a random number only when the willingness is below 1 and the cop is domestic.
    pub(super) fn willing_to_arrest(&mut self, cop: usize) -> bool {
        let w = if self.foreign[cop] {
            1.0
        } else {
            self.ext.arrest_willingness
        };
        let p = w * self.ext.arrest_rate;
        p >= 1.0 || self.rng.random::<f64>() < p
    }

    /// Whether the arrest about to be made kills the agent (draws only when
    /// lethality > 0), counting the people killed in it.
    ///
    /// An agent stands for `s` people (the country's scale). Under lethal force
    /// an arrest is a confrontation in which each of them is killed with
    /// probability `q`: the toll is Binomial(s, q) people, counted in
    /// [`World::take_people_killed`], and the agent itself leaves the lattice
    /// only if all `s` die. At `s = 1` this is the one Bernoulli(q) draw of
    /// Epstein's lethal arrest; at coarse scales it keeps the death toll
    /// resolved to single people (one agent death would otherwise be `s` deaths).
    pub(super) fn arrest_kills(&mut self) -> bool {
        let q = self.ext.lethality;
        if q <= 0.0 {
            return false;
        }
        let s = self.ext.people_per_agent;
        let toll = if s == 1 {
            u32::from(self.rng.random::<f64>() < q)
        } else {
            crate::draw::binomial(&mut self.rng, s, q)
        };
        self.ext.people_killed += u64::from(toll);
        toll == s
    }

    /// An arrest that kills: the citizen leaves the lattice for good, counted
    /// in `dead` and in this step's `kills`.
    pub(super) fn kill_in_arrest(&mut self, j: usize) {
        self.unplace(j);
        self.set_active(j, false);
        self.set_state(j, AgentState::Dead);
        self.tally.kills += 1;
    }

    // ----- public API for the country layer --------------------------------------

    /// Sets the constituencies' traits; citizen `i` uses entry
    /// `constituency_of(i)`. An empty list restores Model I's Rule A.
    pub fn set_constituencies(&mut self, traits: Vec<ConstituencyTraits>) {
        self.ext.constituencies = traits;
    }

    /// The constituencies' current traits.
    pub fn constituencies(&self) -> &[ConstituencyTraits] {
        &self.ext.constituencies
    }

    /// Replaces the traits of constituency `c` (ignored if there is no such constituency).
    pub fn set_constituency_traits(&mut self, c: usize, traits: ConstituencyTraits) {
        if let Some(t) = self.ext.constituencies.get_mut(c) {
            *t = traits;
        }
    }

    /// Indices of all citizens (any state), in slot order.
    pub fn citizen_indices(&self) -> Vec<usize> {
        (0..self.state.len())
            .filter(|&i| !matches!(self.state[i], AgentState::Cop | AgentState::CopOff))
            .collect()
    }

    /// Gives citizen `i` a constituency and its own hardship and risk aversion
    /// (drawn by the caller from the constituency's distributions). Does
    /// nothing for a cop.
    pub fn assign_citizen(&mut self, i: usize, constituency: u8, hardship: f32, risk_aversion: f32) {
        if i < self.state.len() && !matches!(self.state[i], AgentState::Cop | AgentState::CopOff) {
            self.constituency[i] = constituency;
            self.hardship[i] = hardship;
            self.risk[i] = risk_aversion;
        }
    }

    /// Constituency of agent `i`.
    pub fn constituency_of(&self, i: usize) -> u8 {
        self.constituency[i]
    }

    /// Counts of (active, free) citizens per constituency, for the first `n` constituencies.
    pub fn active_by_constituency(&self, n: usize) -> Vec<(u32, u32)> {
        let mut out = vec![(0u32, 0u32); n];
        for i in 0..self.state.len() {
            let c = usize::from(self.constituency[i]);
            if c < n {
                match self.state[i] {
                    AgentState::Active => {
                        out[c].0 += 1;
                        out[c].1 += 1;
                    }
                    AgentState::Quiet => out[c].1 += 1,
                    _ => {}
                }
            }
        }
        out
    }

    /// Actives outside vision that every citizen adds to `A` (information coupling).
    pub fn set_unseen_actives(&mut self, a: f64) {
        let a = if a.is_finite() { a.max(0.0) } else { 0.0 };
        if a != self.ext.unseen_actives {
            self.ext.unseen_actives = a;
            self.rebuild_p_table();
        }
    }

    pub fn unseen_actives(&self) -> f64 {
        self.ext.unseen_actives
    }

    /// Probability that an arrest kills (lethal force), in [0, 1].
    pub fn set_lethality(&mut self, q: f64) {
        self.ext.lethality = if q.is_finite() { q.clamp(0.0, 1.0) } else { 0.0 };
    }

    pub fn lethality(&self) -> f64 {
        self.ext.lethality
    }

    /// Probability that a domestic cop makes an arrest it could make, in [0, 1].
    pub fn set_arrest_willingness(&mut self, w: f64) {
        self.ext.arrest_willingness = if w.is_finite() { w.clamp(0.0, 1.0) } else { 1.0 };
    }

    pub fn arrest_willingness(&self) -> f64 {
        self.ext.arrest_willingness
    }

    /// Probability that any cop attempts an arrest at an activation, in [0, 1].
    pub fn set_arrest_rate(&mut self, r: f64) {
        self.ext.arrest_rate = if r.is_finite() { r.clamp(0.0, 1.0) } else { 1.0 };
    }

    pub fn arrest_rate(&self) -> f64 {
        self.ext.arrest_rate
    }

    /// People one agent stands for, used by lethal arrests (see `arrest_kills`).
    pub fn set_people_per_agent(&mut self, s: u32) {
        self.ext.people_per_agent = s.max(1);
    }

    /// People killed in lethal arrests since the last call (0 without lethal force).
    pub fn take_people_killed(&mut self) -> u64 {
        std::mem::take(&mut self.ext.people_killed)
    }

    /// Places up to `n` new cops (foreign or domestic) on random empty sites;
    /// returns how many found a site.
    pub fn add_cops(&mut self, n: u32, foreign: bool) -> u32 {
        let mut added = 0;
        for _ in 0..n {
            let Some(s) = self.random_empty_site() else { break };
            let i = self.new_slot();
            self.foreign[i] = foreign;
            self.set_state(i, AgentState::Cop);
            self.place(i, s);
            added += 1;
        }
        if foreign {
            self.ext.foreign_cops += added;
        }
        added
    }

    /// Takes up to `n` random cops of the given kind off the lattice (a
    /// withdrawal, or domestic cops defecting); returns how many.
    pub fn remove_cops(&mut self, n: u32, foreign: bool) -> u32 {
        if n == 0 {
            return 0;
        }
        let cops: Vec<usize> = (0..self.state.len())
            .filter(|&i| self.state[i] == AgentState::Cop && self.foreign[i] == foreign)
            .collect();
        let remove = (n as usize).min(cops.len());
        self.take_random_cops_off(cops, remove);
        if foreign {
            self.ext.foreign_cops -= remove as u32;
        }
        remove as u32
    }

    /// Foreign cops on the lattice.
    pub fn foreign_cops(&self) -> u32 {
        self.ext.foreign_cops
    }

    /// Domestic cops on the lattice.
    pub fn domestic_cops(&self) -> u32 {
        self.tally.cops - self.ext.foreign_cops
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world() -> World {
        let p = Params {
            width: 20,
            height: 20,
            ..Params::epstein()
        };
        World::new(p, vec![], 3).unwrap()
    }

    #[test]
    fn neutral_extension_changes_nothing() {
        let mut a = world();
        let mut b = world();
        b.set_lethality(0.0);
        b.set_arrest_willingness(1.0);
        b.set_unseen_actives(0.0);
        for _ in 0..30 {
            assert_eq!(a.step(), b.step());
        }
    }

    #[test]
    fn lethal_arrests_kill_and_keep_invariants() {
        let mut w = world();
        w.set_lethality(1.0);
        let low_l = ConstituencyTraits {
            hardship_scale: 1.0,
            legitimacy: 0.2,
            threshold: 0.1,
            risk_scale: 0.5,
            ambient_risk: 0.0,
        };
        w.set_constituencies(vec![low_l]);
        let mut kills = 0;
        for _ in 0..20 {
            kills += w.step().kills;
        }
        assert!(kills > 0);
        assert_eq!(w.counts().dead, kills);
        assert_eq!(w.counts().jailed, 0, "every arrest killed");
        w.check_invariants().unwrap();
    }

    #[test]
    fn unwilling_cops_arrest_nobody_but_foreign_cops_do() {
        let mut w = world();
        w.set_constituencies(vec![ConstituencyTraits {
            hardship_scale: 1.0,
            legitimacy: 0.0,
            threshold: 0.0,
            risk_scale: 0.0,
            ambient_risk: 0.0,
        }]);
        w.set_arrest_willingness(0.0);
        for _ in 0..5 {
            assert_eq!(w.step().arrests, 0);
        }
        let before = w.domestic_cops();
        assert_eq!(w.add_cops(10, true), 10);
        assert_eq!(w.foreign_cops(), 10);
        assert_eq!(w.domestic_cops(), before);
        let arrests: u32 = (0..5).map(|_| w.step().arrests).sum();
        assert!(arrests > 0);
        assert_eq!(w.remove_cops(4, true), 4);
        assert_eq!(w.foreign_cops(), 6);
        assert_eq!(w.remove_cops(before + 5, false), before);
        assert_eq!(w.domestic_cops(), 0);
        w.check_invariants().unwrap();
    }

    #[test]
    fn unseen_actives_make_citizens_bolder() {
        // Many cops in view: alone, nobody dares; with many unseen actives, some do.
        let p = Params {
            width: 20,
            height: 20,
            cop_density: 0.2,
            citizen_density: 0.6,
            legitimacy: 0.5,
            ..Params::epstein()
        };
        let mut a = World::new(p.clone(), vec![], 5).unwrap();
        let mut b = World::new(p, vec![], 5).unwrap();
        b.set_unseen_actives(200.0);
        let (ca, cb) = (a.step(), b.step());
        assert!(cb.active + cb.jailed > ca.active + ca.jailed, "{ca:?} {cb:?}");
    }
}

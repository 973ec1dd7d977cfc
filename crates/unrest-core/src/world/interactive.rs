//! Changes made to a running world from outside the model's own rules: what an
//! interactive view (sliders, policy buttons) needs beyond [`World::set_param`].
//!
//! None of these is called by the model itself, so a scenario run never depends
//! on them; each keeps the incremental bookkeeping (tallies, window counts)
//! consistent, which `check_invariants` verifies in the tests below.

use super::{AgentState, Windows, World, EMPTY};
use crate::lattice::{Site, Vision};
use crate::params::MAX_VISION;

/// Borrowed per-agent columns of a [`World`] (see [`World::agent_columns`]).
#[derive(Debug, Clone, Copy)]
pub struct AgentColumns<'a> {
    pub state: &'a [AgentState],
    pub site: &'a [Site],
    pub hardship: &'a [f32],
    pub risk_aversion: &'a [f32],
    pub jail_term: &'a [u32],
    pub group: &'a [u8],
}

impl World {
    /// Sets citizens' vision `v` and cops' vision `v*` mid-run. The sets of
    /// sites in vision are rebuilt and every site's counts of cops and actives
    /// in citizen vision are recounted, so the next decisions use the new
    /// vision. Values are clamped to `0..=MAX_VISION` (non-finite values are
    /// ignored) because window counts are kept in 16 bits.
    pub fn set_vision(&mut self, citizen: f64, cop: f64) {
        let clamp = |v: f64, old: f64| if v.is_finite() { v.clamp(0.0, MAX_VISION) } else { old };
        let (citizen, cop) = (clamp(citizen, self.p.citizen_vision), clamp(cop, self.p.cop_vision));
        let (w, h, own, torus) = (
            self.p.width,
            self.p.height,
            self.p.vision_includes_own_site,
            self.p.torus,
        );
        if citizen != self.p.citizen_vision {
            self.p.citizen_vision = citizen;
            self.cit_vision = Vision::new(self.p.neighbourhood, citizen, own, w, h, torus);
            self.recount_windows();
        }
        if cop != self.p.cop_vision {
            self.p.cop_vision = cop;
            self.cop_vision = Vision::new(self.p.neighbourhood, cop, own, w, h, torus);
        }
    }

    /// Multiplies every citizen's risk aversion R by `factor` (ignored unless
    /// finite and > 0), which scales net risk N = R·P for everyone alike.
    /// Citizens born later (Model II's cloning) still draw R from U(0, 1).
    pub fn scale_risk_aversion(&mut self, factor: f64) {
        if !(factor.is_finite() && factor > 0.0) {
            return;
        }
        for i in 0..self.state.len() {
            if !matches!(self.state[i], AgentState::Cop | AgentState::CopOff) {
                self.risk[i] = (f64::from(self.risk[i]) * factor) as f32;
            }
        }
    }

    /// The site agent `i` is on, or was last on (where a dead citizen died,
    /// where a jailed citizen held off the lattice was arrested).
    pub fn agent_site(&self, i: usize) -> Site {
        self.pos[i]
    }

    /// Per-agent columns, indexed by agent slot (citizens and cops, alive or
    /// not; see [`World::agent_slots`]): state, site, hardship, risk aversion,
    /// jail term left, group (Model II). Read-only, for inspection from a
    /// notebook (the Python package's `Model`).
    pub fn agent_columns(&self) -> AgentColumns<'_> {
        AgentColumns {
            state: &self.state,
            site: &self.pos,
            hardship: &self.hardship,
            risk_aversion: &self.risk,
            jail_term: &self.term,
            group: &self.group,
        }
    }

    /// Whether agent `i` is a foreign cop (deployed with `add_cops(n, true)`),
    /// so that a view can draw foreign forces apart from the domestic police.
    pub fn is_foreign_cop(&self, i: usize) -> bool {
        self.state[i] == AgentState::Cop && self.foreign[i]
    }

    /// Recomputes the counts of cops and actives within citizen vision of every
    /// site from scratch (after the vision set changed).
    fn recount_windows(&mut self) {
        let (w, h, torus) = (self.p.width, self.p.height, self.p.torus);
        let allow_padded = self.windows.padded_allowed();
        self.windows = Windows::new(&self.cit_vision, &self.cop_vision, w, h, torus, allow_padded);
        self.windows.clear_counts();
        for s in 0..self.grid.len() {
            let a = self.grid[s];
            if a != EMPTY {
                self.windows.set_free(s as Site, false);
                let (dc, da) = self.contribution(a as usize);
                if dc != 0 || da != 0 {
                    self.add_to_windows(s as Site, dc, da);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Params, World};

    fn world() -> World {
        let mut w = World::new(Params::epstein(), Vec::new(), 3).unwrap();
        for _ in 0..20 {
            w.step();
        }
        w
    }

    #[test]
    fn vision_change_keeps_window_counts_exact() {
        let mut w = world();
        w.set_vision(2.0, 3.0);
        assert_eq!(w.params().citizen_vision, 2.0);
        assert_eq!(w.params().cop_vision, 3.0);
        w.check_invariants().unwrap();
        for _ in 0..10 {
            w.step();
        }
        w.check_invariants().unwrap();
        w.set_vision(f64::NAN, 500.0);
        assert_eq!(w.params().citizen_vision, 2.0);
        assert_eq!(w.params().cop_vision, crate::MAX_VISION);
    }

    #[test]
    fn higher_risk_aversion_means_fewer_actives() {
        let mut p = Params::epstein();
        p.legitimacy = 0.6;
        let mut bold = World::new(p.clone(), Vec::new(), 9).unwrap();
        let mut timid = World::new(p, Vec::new(), 9).unwrap();
        bold.scale_risk_aversion(0.2);
        timid.scale_risk_aversion(5.0);
        let (mut a_bold, mut a_timid) = (0u64, 0u64);
        for _ in 0..30 {
            a_bold += u64::from(bold.step().active);
            a_timid += u64::from(timid.step().active);
        }
        assert!(a_bold > a_timid, "bold {a_bold} vs timid {a_timid}");
    }
}

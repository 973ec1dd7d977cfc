//! The skeleton of Mesa's example: only the work that every agent-update of
//! it must do whatever the engine, timed to show what bounds the 40×40 ratio.
//!
//! Under Mesa's rules every agent, every step, is visited in a freshly
//! shuffled order and moves to a uniformly random empty site within its
//! vision. This case does exactly that and nothing else — no Rule A, no
//! window counts, no arrests, no jail, every agent moving — with the engine's
//! own exact samplers ([`unrest_core::draw`]) on the layout the engine uses
//! for small lattices (the free map replicated on a padded plane, so a probe
//! is one index addition). Its agent-updates per second are an upper bound
//! for any engine that keeps Mesa's semantics this way on this machine: the
//! real rules only add work. `unrest bench` reports its ratio to Mesa next to
//! the real ones.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use unrest_core::draw::{first_free, shuffle, Below};
use unrest_core::lattice::{PaddedPlane, Vision};
use unrest_core::Params;

/// Rule M's probes before giving up, as in the engine.
const TRIES: u32 = 24;

/// A torus drawn on the engine's padded plane ([`PaddedPlane`]) with the
/// free map replicated on every image, and the agents on it.
pub struct Skeleton {
    rng: Pcg64Mcg,
    /// Uniform offsets into the vision set, as the engine draws them.
    sampler: Below,
    /// Vision offsets as plane index deltas, in `Vision::offsets` order.
    deltas: Vec<i32>,
    /// Per site: its images on the plane (the first its own; absent ones name
    /// a margin cell).
    images: Vec<[u32; 4]>,
    /// Per plane cell: the site it shows.
    site_of: Vec<u32>,
    /// Per plane cell: 1 if the site it shows is empty.
    free: Vec<u8>,
    pos: Vec<u32>,
    order: Vec<u32>,
}

impl Skeleton {
    /// Agents placed as Mesa places them (each site taken with the citizen
    /// and cop densities' sum), seeing with the citizens' vision. Needs a
    /// torus at least `2r + 1` sites a side.
    pub fn new(params: &Params, seed: u64) -> Result<Self, String> {
        let (w, h) = (params.width, params.height);
        let vision = Vision::new(
            params.neighbourhood,
            params.citizen_vision,
            params.vision_includes_own_site,
            w,
            h,
            true,
        );
        let r = vision.reach() as u32;
        if vision.is_empty() {
            return Err("the skeleton needs a citizen vision of at least one site".into());
        }
        if !params.torus || 2 * r + 1 > w || 2 * r + 1 > h {
            return Err(format!(
                "the skeleton needs a torus at least 2r + 1 = {} sites a side (vision radius r = {r}); got {w}x{h}{}",
                2 * r + 1,
                if params.torus { "" } else { ", bounded" }
            ));
        }
        let plane = PaddedPlane::new(w, h, r, true);
        let deltas = plane.deltas(&vision);
        let PaddedPlane { images, site_of, .. } = plane;
        // Margin cells (images of no site) are never free.
        let free = site_of.iter().map(|&t| u8::from(t != u32::MAX)).collect();
        let mut s = Skeleton {
            rng: Pcg64Mcg::seed_from_u64(seed),
            sampler: vision.offset_sampler(),
            deltas,
            images,
            site_of,
            free,
            pos: Vec::new(),
            order: Vec::new(),
        };
        // Each site independently occupied with the two densities' sum, as
        // Mesa places its agents.
        let occupied = params.citizen_density + params.cop_density;
        for site in 0..w * h {
            if s.rng.random::<f64>() < occupied {
                s.set_free(site, false);
                s.pos.push(site);
            }
        }
        s.order = (0..s.pos.len() as u32).collect();
        Ok(s)
    }

    /// Number of agents.
    pub fn agents(&self) -> usize {
        self.pos.len()
    }

    /// Marks every image of `site` empty or occupied.
    fn set_free(&mut self, site: u32, free: bool) {
        for &c in &self.images[site as usize] {
            self.free[c as usize] = u8::from(free);
        }
    }

    /// One step: reshuffle, then every agent in turn moves to a random empty
    /// site in its vision (stays if 24 probes miss; the skeleton skips the
    /// engine's exhaustive fallback, which only makes it faster).
    pub fn step(&mut self) {
        shuffle(&mut self.rng, &mut self.order);
        let sampler = self.sampler;
        for k in 0..self.order.len() {
            let a = self.order[k] as usize;
            let from = self.pos[a];
            let centre = i64::from(self.images[from as usize][0]);
            let (deltas, free) = (&self.deltas, &self.free);
            let target = first_free(
                &mut self.rng,
                sampler,
                TRIES,
                |j| (centre + i64::from(deltas[j as usize])) as usize,
                |c| free[c] != 0,
                |c| c,
            );
            if let Some(c) = target {
                let to = self.site_of[c];
                self.set_free(from, true);
                self.set_free(to, false);
                self.pos[a] = to;
            }
        }
    }

    /// Checks that the free map shows exactly the agents' sites as occupied.
    #[cfg(test)]
    pub fn check(&self) -> Result<(), String> {
        let mut occupied = vec![false; self.images.len()];
        for &s in &self.pos {
            if std::mem::replace(&mut occupied[s as usize], true) {
                return Err(format!("two agents on site {s}"));
            }
        }
        for (s, im) in self.images.iter().enumerate() {
            for &c in im.iter().filter(|&&c| self.site_of[c as usize] != u32::MAX) {
                if (self.free[c as usize] == 0) != occupied[s] {
                    return Err(format!("free map disagrees at site {s}"));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skeleton_moves_agents_and_keeps_its_map_exact() {
        let p = Params::mesa();
        let mut s = Skeleton::new(&p, 3).unwrap();
        let before = s.pos.clone();
        assert!((1100..1400).contains(&s.agents()), "{}", s.agents());
        for _ in 0..50 {
            s.step();
        }
        s.check().unwrap();
        let moved = before.iter().zip(&s.pos).filter(|(a, b)| a != b).count();
        assert!(moved > s.agents() / 2, "only {moved} agents moved");
    }

    #[test]
    fn skeleton_refuses_a_bounded_or_tiny_lattice_or_no_vision() {
        let bounded = Params {
            torus: false,
            ..Params::mesa()
        };
        assert!(Skeleton::new(&bounded, 1).is_err());
        let tiny = Params {
            width: 10,
            height: 10,
            ..Params::mesa()
        };
        assert!(Skeleton::new(&tiny, 1).is_err());
        let blind = Params {
            citizen_vision: 0.0,
            ..Params::mesa()
        };
        assert!(matches!(Skeleton::new(&blind, 1), Err(e) if e.contains("vision")));
    }
}

//! `Activation::Tiled`: random sequential activation, tile by tile.
//!
//! The paper's activation draws one uniform random permutation of all agents
//! per step. On a national-scale lattice that order jumps across hundreds of
//! megabytes of state, and every agent's turn waits on several cache misses.
//! Here the lattice is cut into square tiles (64×64 sites by default); each
//! step visits the tiles in a fresh random order and, within a tile, the agents
//! that stood on it at the start of the step in a fresh random order. Every
//! agent still acts exactly once per step and sees every change made before its
//! turn, with the same rules; only the order is restricted (agents of one tile
//! act consecutively). A tile's sites, window counts and agents (numbered in
//! site order when the world is built) stay in cache while it is worked on.
//!
//! Everything runs on the world's one random stream, so the result depends on
//! the seed alone. `tests::tiled_docks_with_random_sequential` compares the two
//! orders' distributions of mean active and jailed counts over seeds.

use super::{AgentState, World};

/// Tile side used unless [`World::set_tile_side`] says otherwise: 64×64 sites
/// keep a tile's lattice state (16 KiB of occupants, 16 KiB of window counts)
/// and its ~3,000 agents' state within a 256 KiB level-2 cache.
pub const DEFAULT_TILE_SIDE: u32 = 64;

/// Steps between renumberings of the agents in tile order: an agent moves at
/// most a vision radius a step, so after a few steps a tile's agents are
/// still nearly contiguous, and renumbering (a pass over every per-agent
/// array) costs a few percent of a step.
const RENUMBER_EVERY: u64 = 4;

/// Lattices up to this many sites stay in the caches: no tile warm-up.
const WARM_ABOVE_SITES: usize = 1 << 18;

/// Reusable buffers for the tiled order (no allocation once sized).
#[derive(Debug, Clone, Default)]
pub(super) struct Tiles {
    /// Tile side in sites; 0 means [`DEFAULT_TILE_SIDE`].
    side: u32,
    /// `start[t]..start[t + 1]` is tile `t`'s stretch of the order.
    start: Vec<u32>,
    /// Fill cursors for the counting sort.
    fill: Vec<u32>,
    /// Tiles in the order they are visited this step.
    visit: Vec<u32>,
    /// `x → x / side` and `y → (y / side) · tiles_per_row`.
    col_tile: Vec<u32>,
    row_tile: Vec<u32>,
}

impl World {
    /// Sets the side (in sites) of the square tiles used by `Activation::Tiled`.
    /// Smaller tiles restrict the order more; tiles much larger than the CPU's
    /// cache lose the speed. Takes effect from the next step.
    pub fn set_tile_side(&mut self, side: u32) {
        self.tiles.side = side.max(1);
        self.tiles.col_tile.clear();
    }

    /// The side of the tiles used by `Activation::Tiled`.
    pub fn tile_side(&self) -> u32 {
        if self.tiles.side == 0 {
            DEFAULT_TILE_SIDE
        } else {
            self.tiles.side
        }
    }

    /// Renumbers the agents in the order of their sites, so that agents of one
    /// tile sit together in every per-agent array. Called once, when a world
    /// with tiled activation is built (before anyone has seen an agent index).
    pub(super) fn sort_agents_by_site(&mut self) {
        let n = self.state.len();
        let mut perm: Vec<u32> = (0..n as u32).collect();
        perm.sort_unstable_by_key(|&i| self.pos[i as usize]);
        self.renumber(&perm);
    }

    /// Gives agent `perm[j]` the number `j` in every per-agent array and on the
    /// grid. `perm` must be a permutation of all agent numbers.
    fn renumber(&mut self, perm: &[u32]) {
        fn permute<T: Copy>(v: &mut Vec<T>, perm: &[u32]) {
            if v.len() == perm.len() {
                *v = perm.iter().map(|&i| v[i as usize]).collect();
            }
        }
        permute(&mut self.state, perm);
        permute(&mut self.pos, perm);
        permute(&mut self.hardship, perm);
        permute(&mut self.risk, perm);
        permute(&mut self.term, perm);
        permute(&mut self.group, perm);
        permute(&mut self.age, perm);
        permute(&mut self.death_age, perm);
        permute(&mut self.constituency, perm);
        permute(&mut self.foreign, perm);
        let mut new_number = vec![0u32; perm.len()];
        for (j, &i) in perm.iter().enumerate() {
            new_number[i as usize] = j as u32;
        }
        for a in self.grid.iter_mut().filter(|a| **a != super::EMPTY) {
            *a = new_number[*a as usize];
        }
    }

    /// Reads, in address order, the lattice state of the tile with corner
    /// `(x0, y0)` and the per-agent state of its agents (`agents`, ascending),
    /// and changes nothing.
    /// On a lattice far larger than the caches a tile's state was evicted
    /// since its last turn; read in random agent order every first touch of a
    /// line waits on memory, read in order the hardware prefetchers stream it.
    fn warm_tile(&self, x0: u32, y0: u32, side: u32, agents: &[u32]) -> u32 {
        let w = self.p.width;
        if self.p.sites() <= WARM_ABOVE_SITES {
            return 0;
        }
        let mut acc = 0u32;
        let x1 = (x0 + side).min(w);
        for y in y0..(y0 + side).min(self.p.height) {
            let row = y * w;
            // One read per 64-byte line: every 16th occupant, every 32nd count.
            for s in (row + x0..row + x1).step_by(16) {
                acc ^= self.grid[s as usize] ^ self.windows.warm_up(s);
            }
        }
        // `agents` ascend: runs of consecutive numbers (agents numbered in this
        // tile) with jumps to the numbers of those that came from other tiles.
        for &i in agents {
            let i = i as usize;
            acc ^= self.pos[i] ^ self.hardship[i].to_bits() ^ self.risk[i].to_bits();
            acc ^= u32::from(self.constituency[i]) ^ u32::from(self.state[i] as u8);
        }
        acc
    }

    /// One step of tiled activation (see the module documentation).
    pub(super) fn step_tiled(&mut self) {
        let mut t = std::mem::take(&mut self.tiles);
        let mut order = std::mem::take(&mut self.order);
        let side = if t.side == 0 { DEFAULT_TILE_SIDE } else { t.side };
        let (w, h) = (self.p.width, self.p.height);
        let per_row = w.div_ceil(side);
        let n_tiles = (per_row * h.div_ceil(side)) as usize;
        if t.col_tile.len() != w as usize || t.row_tile.len() != h as usize {
            t.col_tile = (0..w).map(|x| x / side).collect();
            t.row_tile = (0..h).map(|y| (y / side) * per_row).collect();
        }
        let tile_of = |s: u32| (t.row_tile[(s / w) as usize] + t.col_tile[(s % w) as usize]) as usize;
        let acts = |st: AgentState| !matches!(st, AgentState::Dead | AgentState::CopOff);

        // Counting sort of the agents by the tile of their site.
        t.start.clear();
        t.start.resize(n_tiles + 1, 0);
        for i in 0..self.state.len() {
            if acts(self.state[i]) {
                t.start[tile_of(self.pos[i]) + 1] += 1;
            }
        }
        for k in 0..n_tiles {
            t.start[k + 1] += t.start[k];
        }
        t.fill.clear();
        t.fill.extend_from_slice(&t.start[..n_tiles]);
        order.clear();
        order.resize(t.start[n_tiles] as usize, 0);
        for i in 0..self.state.len() {
            if acts(self.state[i]) {
                let k = tile_of(self.pos[i]);
                order[t.fill[k] as usize] = i as u32;
                t.fill[k] += 1;
            }
        }

        // Agents drift away from the tile they were numbered in; every few
        // steps they are numbered again in tile order (agents that no longer
        // act last), so that a tile's agents stay together in memory.
        if self.tally.step % RENUMBER_EVERY == 0 {
            let acting = order.len();
            let mut perm = std::mem::take(&mut order);
            perm.extend((0..self.state.len() as u32).filter(|&i| !acts(self.state[i as usize])));
            self.renumber(&perm);
            order = perm;
            order.truncate(acting);
            for (j, o) in order.iter_mut().enumerate() {
                *o = j as u32;
            }
        }

        // Tiles in a random order; within a tile, its agents shuffled just
        // before their turns (so the tile's agents are cache-warm).
        t.visit.clear();
        t.visit.extend(0..n_tiles as u32);
        crate::draw::shuffle(&mut self.rng, &mut t.visit);
        for v in 0..n_tiles {
            let tile = t.visit[v] as usize;
            let (lo, hi) = (t.start[tile] as usize, t.start[tile + 1] as usize);
            // The tile's agents are still in ascending number here: warm up
            // before the shuffle, so that the reads go up through memory.
            let (tx, ty) = (tile as u32 % per_row, tile as u32 / per_row);
            let mut warm = self.warm_tile(tx * side, ty * side, side, &order[lo..hi]);
            crate::draw::shuffle(&mut self.rng, &mut order[lo..hi]);
            for k in lo..hi {
                if k + 1 < hi {
                    warm ^= self.warm_up(order[k + 1] as usize);
                }
                self.activate(order[k] as usize);
            }
            std::hint::black_box(warm);
        }
        self.order = order;
        self.tiles = t;
    }
}

#[cfg(test)]
mod tests {
    use crate::params::{Activation, Params};
    use crate::World;

    /// Mean active and mean jailed over steps `burn..steps` of one run.
    fn means(activation: Activation, seed: u64, steps: u64, burn: u64) -> (f64, f64) {
        let p = Params {
            activation,
            ..Params::epstein()
        };
        let mut w = World::new(p, vec![], seed).unwrap();
        w.set_tile_side(10);
        let (mut a, mut j) = (0.0, 0.0);
        for t in 1..=steps {
            let c = w.step();
            if t > burn {
                a += f64::from(c.active);
                j += f64::from(c.jailed);
            }
        }
        let m = (steps - burn) as f64;
        (a / m, j / m)
    }

    /// Two-sample Kolmogorov–Smirnov statistic D = sup |F_x − F_y|.
    fn ks_statistic(x: &mut [f64], y: &mut [f64]) -> f64 {
        x.sort_by(f64::total_cmp);
        y.sort_by(f64::total_cmp);
        let (n, m) = (x.len() as f64, y.len() as f64);
        let (mut i, mut j, mut d) = (0, 0, 0.0f64);
        while i < x.len() && j < y.len() {
            let v = x[i].min(y[j]);
            while i < x.len() && x[i] <= v {
                i += 1;
            }
            while j < y.len() && y[j] <= v {
                j += 1;
            }
            d = d.max((i as f64 / n - j as f64 / m).abs());
        }
        d
    }

    /// Run 2's inputs on the paper's 40×40 torus cut into 16 tiles of 10×10:
    /// over 16 seeds each, the distributions of mean active and mean jailed
    /// under tiled and under random sequential activation must not differ at
    /// the 1% level (two-sample KS, critical D = 1.628·√(2/16) ≈ 0.576).
    #[test]
    fn tiled_docks_with_random_sequential() {
        let seeds = 16u64;
        let (steps, burn) = (150, 30);
        let run = |act| {
            (0..seeds)
                .map(|s| means(act, 1000 + s, steps, burn))
                .collect::<Vec<_>>()
        };
        let rs = run(Activation::RandomSequential);
        let tl = run(Activation::Tiled);
        let critical = 1.628 * (2.0 / seeds as f64).sqrt();
        let mut a_rs: Vec<f64> = rs.iter().map(|m| m.0).collect();
        let mut a_tl: Vec<f64> = tl.iter().map(|m| m.0).collect();
        let mut j_rs: Vec<f64> = rs.iter().map(|m| m.1).collect();
        let mut j_tl: Vec<f64> = tl.iter().map(|m| m.1).collect();
        let d_active = ks_statistic(&mut a_rs, &mut a_tl);
        let d_jailed = ks_statistic(&mut j_rs, &mut j_tl);
        assert!(
            d_active < critical,
            "mean active: D = {d_active:.3} ≥ {critical:.3} ({a_rs:?} vs {a_tl:?})"
        );
        assert!(
            d_jailed < critical,
            "mean jailed: D = {d_jailed:.3} ≥ {critical:.3} ({j_rs:?} vs {j_tl:?})"
        );
        // The runs must be doing something for the comparison to mean anything.
        assert!(a_rs.iter().sum::<f64>() > 0.0 && j_rs.iter().sum::<f64>() > 0.0);
    }

    #[test]
    fn tiled_steps_keep_the_invariants_and_are_reproducible() {
        let p = Params {
            activation: Activation::Tiled,
            width: 70,
            height: 50,
            ..Params::epstein()
        };
        let mut a = World::new(p.clone(), vec![], 7).unwrap();
        let mut b = World::new(p, vec![], 7).unwrap();
        a.set_tile_side(16);
        b.set_tile_side(16);
        a.check_invariants().unwrap();
        // 40 steps renumber the agents ten times, with jailed citizens off the
        // lattice whose last site another agent holds.
        for _ in 0..40 {
            assert_eq!(a.step(), b.step());
            a.check_invariants().unwrap();
        }
        // The same with jailed citizens on their sites and Model II's dead.
        let q = Params {
            activation: Activation::Tiled,
            width: 60,
            height: 60,
            ethnic_violence: true,
            group_b_share: 0.5,
            legitimacy: 0.5,
            ..Params::mesa()
        };
        let mut m = World::new(q, vec![], 5).unwrap();
        m.set_tile_side(16);
        for _ in 0..40 {
            m.step();
            m.check_invariants().unwrap();
        }
        assert!(m.counts().dead > 0 && m.counts().jailed > 0, "{:?}", m.counts());
        // Agents are numbered in site order when the world is built.
        let c = World::new(
            Params {
                activation: Activation::Tiled,
                ..Params::epstein()
            },
            vec![],
            3,
        )
        .unwrap();
        let sites: Vec<u32> = (0..c.agent_slots()).map(|i| c.pos[i]).collect();
        assert!(sites.windows(2).all(|p| p[0] < p[1]));
    }

    #[test]
    fn ks_statistic_is_the_largest_cdf_gap() {
        assert_eq!(ks_statistic(&mut [1.0, 2.0], &mut [1.0, 2.0]), 0.0);
        assert_eq!(ks_statistic(&mut [1.0, 2.0], &mut [3.0, 4.0]), 1.0);
        assert_eq!(ks_statistic(&mut [1.0, 3.0], &mut [2.0, 4.0]), 0.5);
    }
}

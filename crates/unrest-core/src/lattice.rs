//! The lattice geometry: sites, wrapping, and the set of sites within vision.

use crate::params::Neighbourhood;

/// Index of a lattice site, `y * width + x`.
pub type Site = u32;

/// The sites an agent at some site can see: a fixed list of offsets, already
/// de-duplicated for small tori (where an offset and its wrap would name the
/// same site twice).
///
/// All shapes are symmetric (`o` in the set iff `−o` is), so "t is within vision
/// of s" iff "s is within vision of t"; the incremental window counts rely on it.
#[derive(Debug, Clone)]
pub struct Vision {
    width: i64,
    height: i64,
    torus: bool,
    offsets: Vec<(i32, i32)>,
    /// Largest |dx| or |dy|: sites at least this far from every edge need no wrapping.
    reach: i64,
    /// Offsets as linear index deltas, valid for interior sites.
    linear: Vec<i64>,
}

impl Vision {
    /// The vision set of radius `v` of the given shape on a `width × height` lattice.
    pub fn new(shape: Neighbourhood, v: f64, include_own: bool, width: u32, height: u32, torus: bool) -> Self {
        let r = v.max(0.0).floor() as i32;
        let mut raw = Vec::new();
        for dy in -r..=r {
            for dx in -r..=r {
                let inside = match shape {
                    Neighbourhood::Cross => dx == 0 || dy == 0,
                    Neighbourhood::VonNeumann => (dx.abs() + dy.abs()) as f64 <= v,
                    Neighbourhood::Moore => true,
                    Neighbourhood::Disk => ((dx * dx + dy * dy) as f64) <= v * v,
                };
                if inside && (dx, dy) != (0, 0) {
                    raw.push((dx, dy));
                }
            }
        }
        let (w, h) = (i64::from(width), i64::from(height));
        let mut offsets = Vec::with_capacity(raw.len() + 1);
        if include_own {
            offsets.push((0, 0));
        }
        if torus {
            // Keep one offset per distinct wrapped site, never the own site twice.
            let mut seen = std::collections::HashSet::new();
            seen.insert((0i64, 0i64));
            for (dx, dy) in raw {
                if seen.insert((i64::from(dx).rem_euclid(w), i64::from(dy).rem_euclid(h))) {
                    offsets.push((dx, dy));
                }
            }
        } else {
            offsets.extend(raw);
        }
        let reach = offsets
            .iter()
            .map(|&(dx, dy)| i64::from(dx.abs().max(dy.abs())))
            .max()
            .unwrap_or(0);
        let linear = offsets
            .iter()
            .map(|&(dx, dy)| i64::from(dy) * w + i64::from(dx))
            .collect();
        Vision {
            width: w,
            height: h,
            torus,
            offsets,
            reach,
            linear,
        }
    }

    /// Number of offsets (sites in vision for an interior site).
    pub fn len(&self) -> usize {
        self.offsets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.offsets.is_empty()
    }

    /// The `i`-th site in vision of `site`, or `None` off a bounded lattice's edge.
    #[inline]
    pub fn nth(&self, site: Site, i: usize) -> Option<Site> {
        let s = i64::from(site);
        let (x, y) = (s % self.width, s / self.width);
        let (dx, dy) = self.offsets[i];
        let (mut nx, mut ny) = (x + i64::from(dx), y + i64::from(dy));
        if self.torus {
            nx = nx.rem_euclid(self.width);
            ny = ny.rem_euclid(self.height);
        } else if nx < 0 || ny < 0 || nx >= self.width || ny >= self.height {
            return None;
        }
        Some((ny * self.width + nx) as Site)
    }

    /// Calls `f` on every site within vision of `site`.
    #[inline]
    pub fn for_each(&self, site: Site, mut f: impl FnMut(Site)) {
        let s = i64::from(site);
        let (x, y) = (s % self.width, s / self.width);
        if x >= self.reach && y >= self.reach && x + self.reach < self.width && y + self.reach < self.height {
            for &d in &self.linear {
                f((s + d) as Site);
            }
        } else {
            for i in 0..self.offsets.len() {
                if let Some(t) = self.nth(site, i) {
                    f(t);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(shape: Neighbourhood, v: f64) -> usize {
        Vision::new(shape, v, false, 100, 100, true).len()
    }

    #[test]
    fn shapes_have_the_textbook_sizes() {
        assert_eq!(count(Neighbourhood::Cross, 1.7), 4);
        assert_eq!(count(Neighbourhood::Cross, 7.0), 28);
        assert_eq!(count(Neighbourhood::VonNeumann, 7.0), 112); // Mesa's diamond
        assert_eq!(count(Neighbourhood::Moore, 7.0), 224);
        assert_eq!(count(Neighbourhood::Disk, 1.0), 4);
        assert_eq!(count(Neighbourhood::Disk, 1.5), 8);
    }

    #[test]
    fn small_torus_never_names_a_site_twice() {
        let v = Vision::new(Neighbourhood::Moore, 7.0, false, 5, 3, true);
        assert_eq!(v.len(), 5 * 3 - 1);
        let mut seen = Vec::new();
        v.for_each(7, |t| seen.push(t));
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 14);
        assert!(!seen.contains(&7));
    }

    #[test]
    fn bounded_lattice_clips_at_edges() {
        let v = Vision::new(Neighbourhood::VonNeumann, 1.0, false, 10, 10, false);
        let mut n = 0;
        v.for_each(0, |_| n += 1);
        assert_eq!(n, 2);
    }

    #[test]
    fn vision_is_symmetric() {
        let v = Vision::new(Neighbourhood::Disk, 2.5, false, 9, 7, true);
        for s in 0..63 {
            v.for_each(s, |t| {
                let mut back = false;
                v.for_each(t, |u| back |= u == s);
                assert!(back, "{t} sees {s}'s neighbour but not {s}");
            });
        }
    }
}

//! The lattice geometry: sites, wrapping, and the set of sites within vision.

use crate::draw::Below;
use crate::params::Neighbourhood;

/// Lanes of one chunk of a window-count update: arrays updated by
/// [`Vision::add_over`] must extend this many entries past the last site.
pub const LANES: usize = 16;

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
    /// On a torus, each offset reduced into `[0, width) × [0, height)`, so a
    /// neighbour is found with one conditional subtraction per axis.
    wrapped: Vec<(u32, u32)>,
    /// The set as row segments `(dy, dx_lo, dx_hi)`: every shape is convex
    /// along rows, so the sites in vision are at most two runs of consecutive
    /// indices per row. Window-count updates become slice additions.
    rows: Vec<(i32, i32, i32)>,
    /// A torus smaller than the vision's diameter, where segments would wrap
    /// onto themselves: fall back to the de-duplicated offset list.
    small_torus: bool,
    /// The largest `|dx|` or `|dy|` in the set: a site at least this far from
    /// every edge sees no wrap and no clipping ("interior").
    reach: i64,
    /// For interior sites: each offset as a change of site index, `dy·w + dx`,
    /// in the order of `offsets`.
    deltas: Vec<i32>,
    /// For interior sites: each row segment as (change of site index to its
    /// first site, length).
    runs: Vec<(i32, u32)>,
    /// A fresh sampler of uniform offsets `0..len()` (its rejection bound
    /// costs a division, so it is computed once here).
    offset_sampler: Below,
}

impl Vision {
    /// The vision set of radius `v` of the given shape on a `width × height` lattice.
    pub fn new(shape: Neighbourhood, v: f64, include_own: bool, width: u32, height: u32, torus: bool) -> Self {
        let r = v.max(0.0).floor() as i32;
        let inside = |dx: i32, dy: i32| match shape {
            Neighbourhood::Cross => dx == 0 || dy == 0,
            Neighbourhood::VonNeumann => (dx.abs() + dy.abs()) as f64 <= v,
            Neighbourhood::Moore => true,
            Neighbourhood::Disk => ((dx * dx + dy * dy) as f64) <= v * v,
        };
        let mut raw = Vec::new();
        let mut rows = Vec::new();
        for dy in -r..=r {
            let xs: Vec<i32> = (-r..=r).filter(|&dx| inside(dx, dy)).collect();
            for &dx in &xs {
                if (dx, dy) != (0, 0) {
                    raw.push((dx, dy));
                }
            }
            if let (Some(&lo), Some(&hi)) = (xs.first(), xs.last()) {
                if dy == 0 && !include_own {
                    if lo < 0 {
                        rows.push((0, lo, -1));
                    }
                    if hi > 0 {
                        rows.push((0, 1, hi));
                    }
                } else {
                    rows.push((dy, lo, hi));
                }
            }
        }
        let (w, h) = (i64::from(width), i64::from(height));
        let mut offsets = Vec::with_capacity(raw.len() + 1);
        if include_own {
            offsets.push((0, 0));
        }
        let small_torus = torus && (i64::from(2 * r + 1) > w || i64::from(2 * r + 1) > h);
        if small_torus {
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
        let wrapped = offsets
            .iter()
            .map(|&(dx, dy)| (i64::from(dx).rem_euclid(w) as u32, i64::from(dy).rem_euclid(h) as u32))
            .collect();
        let n_offsets = offsets.len();
        let deltas = offsets.iter().map(|&(dx, dy)| dy * width as i32 + dx).collect();
        let runs = rows
            .iter()
            .map(|&(dy, lo, hi)| (dy * width as i32 + lo, (hi - lo + 1) as u32))
            .collect();
        Vision {
            width: w,
            height: h,
            torus,
            offsets,
            wrapped,
            rows,
            small_torus,
            reach: i64::from(r),
            deltas,
            runs,
            offset_sampler: Below::new(n_offsets.max(1) as u32),
        }
    }

    /// Whether `site` is far enough from every edge that its vision neither
    /// wraps nor is clipped, so that the index deltas apply as they are.
    #[inline]
    fn is_interior(&self, site: Site) -> bool {
        let w32 = self.width as u32;
        let (x, y) = (i64::from(site % w32), i64::from(site / w32));
        let r = self.reach;
        !self.small_torus && x >= r && y >= r && x + r < self.width && y + r < self.height
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
        self.at(site).nth(i)
    }

    /// A view of the vision set anchored at `site`, for many look-ups around the
    /// same site (the site's coordinates are computed once).
    #[inline]
    pub fn at(&self, site: Site) -> VisionAt<'_> {
        let w = self.width as u32;
        VisionAt {
            vision: self,
            site,
            interior: self.is_interior(site),
            x: site % w,
            y: site / w,
        }
    }

    /// Adds `delta` (wrapping, so `u16::MAX` subtracts one) to `counts[t]` for
    /// every site `t` in vision of `site`: the window-count update for an agent
    /// that appears at or leaves `site`. `counts` must extend [`LANES`] entries
    /// past the last site: each run of consecutive sites is added as whole
    /// chunks of `LANES` lanes, the lanes past the run's end adding 0, so that a
    /// row is a couple of vector additions whatever its length.
    #[inline]
    pub fn add_over(&self, counts: &mut [u16], site: Site, delta: u16) {
        if self.is_interior(site) {
            for &(d, len) in &self.runs {
                add_run(counts, (i64::from(site) + i64::from(d)) as usize, len as usize, delta);
            }
            return;
        }
        self.for_each_run(site, |start, len| add_run(counts, start, len, delta));
    }

    /// Index deltas of the vision set when `site` is interior (see
    /// [`Vision::at`] for any site): `site + deltas[i]` is the `i`-th site in vision.
    #[inline]
    pub fn interior_deltas(&self, site: Site) -> Option<&[i32]> {
        if self.is_interior(site) {
            Some(&self.deltas)
        } else {
            None
        }
    }

    /// The largest `|dx|` or `|dy|` of the set (its radius in sites).
    pub fn reach(&self) -> i64 {
        self.reach
    }

    /// The set as row segments `(dy, dx_lo, dx_hi)`.
    pub fn rows(&self) -> &[(i32, i32, i32)] {
        &self.rows
    }

    /// The offsets `(dx, dy)` in the order of [`Vision::nth`].
    pub fn offsets(&self) -> &[(i32, i32)] {
        &self.offsets
    }

    /// A sampler of uniform offsets `0..len()` into the vision set.
    #[inline]
    pub fn offset_sampler(&self) -> Below {
        self.offset_sampler
    }

    /// Calls `f(start, len)` for runs of consecutive site indices that together
    /// are exactly the sites in vision of `site`.
    #[inline]
    pub fn for_each_run(&self, site: Site, mut f: impl FnMut(usize, usize)) {
        if self.small_torus {
            for i in 0..self.offsets.len() {
                if let Some(t) = self.nth(site, i) {
                    f(t as usize, 1);
                }
            }
            return;
        }
        // One 32-bit division per call; rows wrap by one conditional add or
        // subtract (the vision's radius is below the height here), not `rem_euclid`.
        if self.is_interior(site) {
            for &(d, len) in &self.runs {
                f((site as i64 + i64::from(d)) as usize, len as usize);
            }
            return;
        }
        let w32 = self.width as u32;
        let (x, y) = (i64::from(site % w32), i64::from(site / w32));
        for &(dy, lo, hi) in &self.rows {
            let mut ny = y + i64::from(dy);
            if ny < 0 || ny >= self.height {
                if !self.torus {
                    continue;
                }
                ny += if ny < 0 { self.height } else { -self.height };
            }
            let row = ny * self.width;
            let (mut x0, mut x1) = (x + i64::from(lo), x + i64::from(hi));
            if !self.torus {
                x0 = x0.max(0);
                x1 = x1.min(self.width - 1);
                if x0 <= x1 {
                    f((row + x0) as usize, (x1 - x0 + 1) as usize);
                }
            } else if x0 < 0 {
                f((row + x0 + self.width) as usize, (-x0) as usize);
                f(row as usize, (x1 + 1) as usize);
            } else if x1 >= self.width {
                f((row + x0) as usize, (self.width - x0) as usize);
                f(row as usize, (x1 - self.width + 1) as usize);
            } else {
                f((row + x0) as usize, (x1 - x0 + 1) as usize);
            }
        }
    }

    /// Calls `f` on every site within vision of `site`.
    #[inline]
    pub fn for_each(&self, site: Site, mut f: impl FnMut(Site)) {
        self.for_each_run(site, |start, len| {
            for t in start..start + len {
                f(t as Site);
            }
        });
    }
}

/// A `w × h` lattice drawn on a plane of `(w + 2r + 1) × (h + 2r + 1)` cells,
/// `r` a vision radius, so that everything within `r` of a site is one index
/// addition away from the site's own image, edges and wrap included (the
/// engine's small-lattice layout; why, in `world/windows.rs`). On a torus a
/// site within `r` of an edge has a second image across that edge (four near
/// a corner); on a bounded lattice every site has only its own.
#[derive(Debug, Clone)]
pub struct PaddedPlane {
    /// Cells per row of the plane, `w + 2r + 1`.
    pub width: u32,
    /// Per site: its images, the first the site's own at `(x + r, y + r)`;
    /// absent images are the plane's last cell, which no window around an
    /// image reaches (a window reaches columns and rows up to `w + 2r − 1`
    /// and `h + 2r − 1`).
    pub images: Vec<[u32; 4]>,
    /// Per cell: the site it is an image of, `u32::MAX` for margin cells.
    pub site_of: Vec<u32>,
}

impl PaddedPlane {
    /// The plane of a `w × h` lattice for visions of radius at most `r`.
    pub fn new(w: u32, h: u32, r: u32, torus: bool) -> Self {
        let (pw, ph) = (w + 2 * r + 1, h + 2 * r + 1);
        let cells = pw as usize * ph as usize;
        let zero = (cells - 1) as u32;
        let cell = |x: u32, y: u32| y * pw + x;
        // The image of coordinate `c` (of `n`) across the nearer edge, if
        // within `r` of one.
        let other = |c: u32, n: u32| {
            if !torus {
                None
            } else if c < r {
                Some(c + r + n)
            } else if c + r >= n {
                Some(c + r - n)
            } else {
                None
            }
        };
        let mut images = Vec::with_capacity(w as usize * h as usize);
        let mut site_of = vec![u32::MAX; cells];
        for y in 0..h {
            for x in 0..w {
                let (x0, y0) = (x + r, y + r);
                let (x1, y1) = (other(x, w), other(y, h));
                let im = [
                    cell(x0, y0),
                    x1.map_or(zero, |x1| cell(x1, y0)),
                    y1.map_or(zero, |y1| cell(x0, y1)),
                    match (x1, y1) {
                        (Some(x1), Some(y1)) => cell(x1, y1),
                        _ => zero,
                    },
                ];
                for &c in im.iter().filter(|&&c| c != zero) {
                    site_of[c as usize] = y * w + x;
                }
                images.push(im);
            }
        }
        PaddedPlane {
            width: pw,
            images,
            site_of,
        }
    }

    /// A vision's offsets as plane index deltas, in the order of [`Vision::nth`].
    pub fn deltas(&self, vision: &Vision) -> Vec<i32> {
        let pw = self.width as i32;
        vision.offsets().iter().map(|&(dx, dy)| dy * pw + dx).collect()
    }
}

/// `counts[start..start + len] += delta` (wrapping) in chunks of [`LANES`]
/// lanes with the lanes past `len` masked to 0; reads and writes up to
/// `LANES − 1` entries past the run, which the caller's padding holds.
#[inline(always)]
pub(crate) fn add_run(counts: &mut [u16], start: usize, len: usize, delta: u16) {
    let end = start + len;
    let mut at = start;
    while at < end {
        let live = &LIVE_LANES[(end - at).min(LANES)];
        let chunk: &mut [u16; LANES] = (&mut counts[at..at + LANES]).try_into().expect("padded counts");
        let mut v = *chunk;
        for j in 0..LANES {
            v[j] = v[j].wrapping_add(delta & live[j]);
        }
        *chunk = v;
        at += LANES;
    }
}

/// `counts[start..start + len] += delta` for `len ≤ LANES`: one chunk.
#[inline(always)]
pub(crate) fn add_chunk(counts: &mut [u16], start: usize, len: usize, delta: u16) {
    let live = &LIVE_LANES[len.min(LANES)];
    let chunk: &mut [u16; LANES] = (&mut counts[start..start + LANES]).try_into().expect("padded counts");
    let mut v = *chunk;
    for j in 0..LANES {
        v[j] = v[j].wrapping_add(delta & live[j]);
    }
    *chunk = v;
}

/// `LIVE_LANES[l][j]` is all ones for the first `l` lanes, else 0.
static LIVE_LANES: [[u16; LANES]; LANES + 1] = {
    let mut t = [[0u16; LANES]; LANES + 1];
    let mut l = 0;
    while l <= LANES {
        let mut j = 0;
        while j < l {
            t[l][j] = u16::MAX;
            j += 1;
        }
        l += 1;
    }
    t
};

/// The vision set around one site (see [`Vision::at`]).
pub struct VisionAt<'a> {
    vision: &'a Vision,
    site: Site,
    interior: bool,
    x: u32,
    y: u32,
}

impl VisionAt<'_> {
    /// The `i`-th site in vision, or `None` off a bounded lattice's edge.
    #[inline(always)]
    pub fn nth(&self, i: usize) -> Option<Site> {
        let v = self.vision;
        if self.interior {
            return Some((i64::from(self.site) + i64::from(v.deltas[i])) as Site);
        }
        let (w, h) = (v.width as u32, v.height as u32);
        if v.torus {
            let (dx, dy) = v.wrapped[i];
            let (mut nx, mut ny) = (self.x + dx, self.y + dy);
            if nx >= w {
                nx -= w;
            }
            if ny >= h {
                ny -= h;
            }
            return Some(ny * w + nx);
        }
        let (dx, dy) = v.offsets[i];
        let (nx, ny) = (i64::from(self.x) + i64::from(dx), i64::from(self.y) + i64::from(dy));
        if nx < 0 || ny < 0 || nx >= v.width || ny >= v.height {
            return None;
        }
        Some((ny * v.width + nx) as Site)
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
    fn runs_cover_exactly_the_offsets() {
        for shape in [
            Neighbourhood::Cross,
            Neighbourhood::VonNeumann,
            Neighbourhood::Moore,
            Neighbourhood::Disk,
        ] {
            for (w, h, torus) in [(40, 40, true), (40, 40, false), (17, 9, true), (5, 3, true)] {
                for own in [false, true] {
                    let v = Vision::new(shape, 3.5, own, w, h, torus);
                    for s in 0..w * h {
                        let mut by_runs = Vec::new();
                        v.for_each(s, |t| by_runs.push(t));
                        let mut by_nth: Vec<Site> = (0..v.len()).filter_map(|i| v.nth(s, i)).collect();
                        by_runs.sort();
                        by_nth.sort();
                        assert_eq!(by_runs, by_nth, "{shape:?} {w}x{h} torus={torus} own={own} site {s}");
                    }
                }
            }
        }
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

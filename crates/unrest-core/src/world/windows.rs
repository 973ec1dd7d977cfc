//! Where the window counts (cops and actives within citizen vision of each
//! site) and Rule M's map of empty sites live: two layouts, the same numbers.
//!
//! On a large lattice nearly every site is far from the edges, where a vision
//! set is a fixed pattern of index offsets and the counts are plain per-site
//! arrays (the plain layout). On a small torus — the paper's 40×40 with vision
//! 7 has 58% of its sites within 7 of an edge — wrapping splits the rows of
//! every other window update and every other Rule M probe needs a wrap.
//! There the lattice is drawn on a padded plane of `(w + 2r + 1) × (h + 2r + 1)`
//! cells, `r` the largest vision radius (the padded layout, [`Pad`]):
//!
//! * Counts are *folded*: an agent at a site adds to the padded window around
//!   the site's own image, always contiguous rows, never a wrap. A site's count
//!   is the sum over its images in the plane (one for an interior site, two
//!   near an edge, four near a corner); missing images point at a cell that
//!   nothing ever adds to. Updates (hundreds of sites per move) are many and
//!   reads (one per decision) few, so the sum is the cheap side.
//! * The map of empty sites is *replicated*: every image of a site holds its
//!   flag, so a Rule M probe is one index addition from any site. Probes (a
//!   few per move) are many and changes (two per move) few.
//!
//! An agent's window never holds two images of one site when `2r + 1` is at
//! most the lattice's width and height, which the padded layout requires; smaller tori
//! keep the plain layout with the vision set's de-duplicated offsets.

use crate::lattice::{add_chunk, add_run, PaddedPlane, Site, Vision, LANES};

/// Lattices of at most this many sites use the padded layout when they can
/// (its per-site tables cost ~30 bytes a site; beyond this the lattice is
/// large enough that nearly every site is interior anyway).
const PADDED_MAX_SITES: usize = 1 << 16;

/// The per-site counts and, on small lattices, the padded plane.
#[derive(Debug, Clone)]
pub(super) struct Windows {
    cops: Vec<u16>,
    actives: Vec<u16>,
    pad: Option<Box<Pad>>,
    /// Whether the padded layout may be used (the tests switch it off).
    allow_padded: bool,
}

/// The padded plane (see the module documentation).
#[derive(Debug, Clone)]
pub(super) struct Pad {
    /// Per site: its images in the plane, the first the site's own (at
    /// `(x + r, y + r)`); absent images are `zero`.
    images: Vec<[u32; 4]>,
    /// Per plane cell: the site it is an image of (`u32::MAX` in a bounded
    /// lattice's margin).
    site_of: Vec<u32>,
    /// Per plane cell: 1 if it is an image of an empty site.
    free: Vec<u8>,
    /// Citizen vision's rows as (plane index delta from the centre, length).
    cit_runs: Vec<(i32, u32)>,
    /// Whether every row is at most `LANES` long (one chunk each).
    short_runs: bool,
    /// Each vision's offsets as plane index deltas, in the order of
    /// `Vision::nth`, so that a probe draws the same site as `Vision::nth` would.
    cit_deltas: Vec<i32>,
    cop_deltas: Vec<i32>,
}

impl Windows {
    /// All-zero counts for a `w × h` lattice, every site marked empty.
    pub(super) fn new(cit: &Vision, cop: &Vision, w: u32, h: u32, torus: bool, allow_padded: bool) -> Self {
        let sites = w as usize * h as usize;
        let r = cit.reach().max(cop.reach());
        let fits = 2 * r + 1 <= i64::from(w) && 2 * r + 1 <= i64::from(h);
        let pad = (allow_padded && sites <= PADDED_MAX_SITES && fits)
            .then(|| Box::new(Pad::new(cit, cop, w, h, r as u32, torus)));
        let cells = match &pad {
            Some(p) => p.free.len(),
            None => sites,
        };
        Windows {
            cops: vec![0; cells + LANES],
            actives: vec![0; cells + LANES],
            pad,
            allow_padded,
        }
    }

    /// Whether the padded layout may be used when rebuilding for a new vision.
    pub(super) fn padded_allowed(&self) -> bool {
        self.allow_padded
    }

    /// The padded plane, when this lattice uses it.
    #[inline]
    pub(super) fn pad(&self) -> Option<&Pad> {
        self.pad.as_deref()
    }

    /// Cops within citizen vision of site `s`.
    #[inline]
    pub(super) fn cops(&self, s: Site) -> u32 {
        self.read(&self.cops, s)
    }

    /// Active citizens within citizen vision of site `s`.
    #[inline]
    pub(super) fn actives(&self, s: Site) -> u32 {
        self.read(&self.actives, s)
    }

    /// Loads the cells site `s`'s counts are read from (see `World::warm_up`).
    #[inline(always)]
    pub(super) fn warm_up(&self, s: Site) -> u32 {
        self.read(&self.cops, s) ^ self.read(&self.actives, s)
    }

    #[inline(always)]
    fn read(&self, counts: &[u16], s: Site) -> u32 {
        match &self.pad {
            None => u32::from(counts[s as usize]),
            Some(p) => {
                let [a, b, c, d] = p.images[s as usize];
                // Each cell counts the agents whose padded window covers it;
                // a site's count is the sum over its images (never above u16).
                u32::from(
                    counts[a as usize]
                        .wrapping_add(counts[b as usize])
                        .wrapping_add(counts[c as usize])
                        .wrapping_add(counts[d as usize]),
                )
            }
        }
    }

    /// Adds `dc` cops and `da` actives (wrapping) to the counts of every site
    /// within citizen vision of site `s`.
    #[inline]
    pub(super) fn add(&mut self, cit: &Vision, s: Site, dc: i16, da: i16) {
        match &self.pad {
            None => {
                if dc != 0 {
                    cit.add_over(&mut self.cops, s, dc as u16);
                }
                if da != 0 {
                    cit.add_over(&mut self.actives, s, da as u16);
                }
            }
            Some(p) => {
                let centre = i64::from(p.images[s as usize][0]);
                for (counts, d) in [(&mut self.cops, dc), (&mut self.actives, da)] {
                    if d == 0 {
                        continue;
                    }
                    if p.short_runs {
                        // Every row fits one chunk: no loop per row.
                        for &(off, len) in &p.cit_runs {
                            add_chunk(counts, (centre + i64::from(off)) as usize, len as usize, d as u16);
                        }
                    } else {
                        for &(off, len) in &p.cit_runs {
                            add_run(counts, (centre + i64::from(off)) as usize, len as usize, d as u16);
                        }
                    }
                }
            }
        }
    }

    /// Marks site `s` empty or occupied in the padded plane (a no-op without one).
    #[inline]
    pub(super) fn set_free(&mut self, s: Site, free: bool) {
        if let Some(p) = &mut self.pad {
            // Absent images name the zero cell, which no probe reaches: writing
            // it too saves a branch per image.
            for &im in &p.images[s as usize] {
                p.free[im as usize] = u8::from(free);
            }
        }
    }

    /// Sets every count to zero (before a recount).
    pub(super) fn clear_counts(&mut self) {
        self.cops.fill(0);
        self.actives.fill(0);
    }
}

impl Pad {
    fn new(cit: &Vision, cop: &Vision, w: u32, h: u32, r: u32, torus: bool) -> Self {
        let plane = PaddedPlane::new(w, h, r, torus);
        let (cit_deltas, cop_deltas) = (plane.deltas(cit), plane.deltas(cop));
        let pw = plane.width as i32;
        let PaddedPlane { images, site_of, .. } = plane;
        let free = site_of.iter().map(|&s| u8::from(s != u32::MAX)).collect();
        Pad {
            short_runs: cit.rows().iter().all(|&(_, lo, hi)| (hi - lo + 1) as usize <= LANES),
            images,
            site_of,
            free,
            cit_runs: cit
                .rows()
                .iter()
                .map(|&(dy, lo, hi)| (dy * pw + lo, (hi - lo + 1) as u32))
                .collect(),
            cit_deltas,
            cop_deltas,
        }
    }

    fn zero(&self) -> u32 {
        (self.free.len() - 1) as u32
    }

    /// The plane cell of site `s`'s own image.
    #[inline]
    pub(super) fn centre(&self, s: Site) -> usize {
        self.images[s as usize][0] as usize
    }

    /// The vision's offsets as plane index deltas.
    #[inline]
    pub(super) fn deltas(&self, cop: bool) -> &[i32] {
        if cop {
            &self.cop_deltas
        } else {
            &self.cit_deltas
        }
    }

    /// Whether plane cell `c` is an image of an empty site.
    #[inline]
    pub(super) fn is_free(&self, c: usize) -> bool {
        self.free[c] != 0
    }

    /// The site plane cell `c` is an image of.
    #[inline]
    pub(super) fn site_of(&self, c: usize) -> Site {
        self.site_of[c]
    }

    /// Whether the flags agree with `empty(site)` for every image of every site
    /// (the zero cell's flag is meaningless: no probe reaches it).
    pub(super) fn check_free(&self, empty: impl Fn(Site) -> bool) -> Result<(), String> {
        let zero = self.zero();
        for (s, im) in self.images.iter().enumerate() {
            for &c in im {
                if c != zero && (self.free[c as usize] != 0) != empty(s as Site) {
                    return Err(format!("padded plane: cell {c} disagrees with site {s} on being empty"));
                }
            }
        }
        Ok(())
    }
}

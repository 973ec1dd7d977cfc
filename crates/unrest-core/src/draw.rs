//! Exact, portable bounded random integers for the step's hot loops.
//!
//! Rule M samples a few uniform offsets into a vision set of at most a few
//! hundred sites per move, and every step shuffles every agent. Drawing each of
//! those from its own 64-bit word (as `rand`'s `random_range` does) makes the
//! generator the largest cost of a 40×40 world. Here one 64-bit word of the
//! world's PCG stream gives four 16-bit or two 32-bit draws, each mapped onto
//! `0..n` by Lemire's multiply-shift with rejection ("Fast random integer
//! generation in an interval", ACM TOMACS 29, 2019), which is exactly uniform:
//! a draw is rejected iff the low half of `x·n` falls below `2^b mod n`.
//!
//! Everything is integer arithmetic on the words in a fixed order, so the
//! numbers are the same on every platform and for every thread count.

use rand::RngCore;

/// Uniform integers in `0..n` for a bound fixed at construction, taken from
/// 16-bit pieces of 64-bit words when `n` is small (rejection below 1/16) and
/// from 32-bit halves otherwise. The pieces left in a word are kept, so a run
/// of draws costs about one generator step per four (or two) of them.
#[derive(Debug, Clone, Copy)]
pub struct Below {
    n: u64,
    /// `2^bits mod n`: a product whose low part falls below it is rejected.
    reject_below: u64,
    bits: u32,
    per_word: u32,
    mask: u64,
    word: u64,
    left: u32,
}

impl Below {
    /// A sampler of `0..n`; `n` must be at least 1 and fit in 32 bits.
    #[inline]
    pub fn new(n: u32) -> Self {
        debug_assert!(n >= 1);
        let n = u64::from(n.max(1));
        let bits = if n <= 1 << 12 { 16 } else { 32 };
        Below {
            n,
            reject_below: (1u64 << bits) % n,
            bits,
            per_word: 64 / bits,
            mask: (1u64 << bits) - 1,
            word: 0,
            left: 0,
        }
    }

    /// The next draw.
    #[inline]
    pub fn sample(&mut self, rng: &mut impl RngCore) -> u32 {
        loop {
            if self.left == 0 {
                self.word = rng.next_u64();
                self.left = self.per_word;
            }
            let x = self.word & self.mask;
            self.word >>= self.bits;
            self.left -= 1;
            let m = x * self.n;
            if m & self.mask >= self.reject_below {
                return (m >> self.bits) as u32;
            }
        }
    }
}

/// Rejection sampling of a site: draws uniform offsets `k` from `below` and
/// returns `take(cell(k))` for the first whose cell is `free`, or `None` after
/// about `tries` draws. Small bounds take the four 16-bit pieces of each word
/// in one unrolled pass (a piece that Lemire's method rejects counts as a
/// try), so the loop carries no per-draw bookkeeping. (Testing all four
/// pieces of a word without branches and taking the first free one gives the
/// same sites with fewer mispredicted branches but more instructions; it
/// measured no faster.)
#[inline(always)]
pub fn first_free<T>(
    rng: &mut impl RngCore,
    mut below: Below,
    tries: u32,
    cell: impl Fn(u32) -> usize,
    free: impl Fn(usize) -> bool,
    take: impl Fn(usize) -> T,
) -> Option<T> {
    if below.bits == 16 {
        for _ in 0..tries.div_ceil(4) {
            let word = rng.next_u64();
            for j in 0..4 {
                let m = ((word >> (16 * j)) & 0xFFFF) * below.n;
                if m & 0xFFFF >= below.reject_below {
                    let c = cell((m >> 16) as u32);
                    if free(c) {
                        return Some(take(c));
                    }
                }
            }
        }
        return None;
    }
    for _ in 0..tries {
        let c = cell(below.sample(rng));
        if free(c) {
            return Some(take(c));
        }
    }
    None
}

/// Shuffles `v` uniformly (Fisher–Yates), with each swap index drawn by
/// Lemire's method from a 32-bit half of a 64-bit word.
pub fn shuffle(rng: &mut impl RngCore, v: &mut [u32]) {
    let mut word = 0u64;
    let mut have_half = false;
    for i in (1..v.len()).rev() {
        let n = i as u64 + 1;
        let j = loop {
            let x = if have_half {
                have_half = false;
                word >> 32
            } else {
                word = rng.next_u64();
                have_half = true;
                word & 0xFFFF_FFFF
            };
            let m = x * n;
            // 2^32 mod n is only needed when the low part is below n (rare).
            if m & 0xFFFF_FFFF >= n || m & 0xFFFF_FFFF >= (1u64 << 32) % n {
                break (m >> 32) as usize;
            }
        };
        v.swap(i, j);
    }
}

/// A Binomial(n, p) draw, for the toll of a lethal arrest at coarse scales.
///
/// Exact by geometric skipping (the gaps between successes are geometric:
/// about `n·p + 1` uniforms) while `n·p ≤ 256`; above that (scales of
/// thousands of people per agent under heavy fire) the normal approximation,
/// rounded and clamped to `0..=n`, whose error is far below the resolution
/// such a scale has anyway.
pub fn binomial(rng: &mut impl RngCore, n: u32, p: f64) -> u32 {
    let unit = |rng: &mut dyn RngCore| (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
    if p <= 0.0 || n == 0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    let mean = f64::from(n) * p;
    if mean > 256.0 {
        // Box–Muller from two uniforms.
        let (u1, u2) = (1.0 - unit(rng), unit(rng));
        let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        let x = (mean + z * (mean * (1.0 - p)).sqrt()).round();
        return x.clamp(0.0, f64::from(n)) as u32;
    }
    let log_q = (1.0 - p).ln();
    let (mut k, mut pos) = (0u32, 0f64);
    loop {
        // Trials up to and including the next success: 1 + floor(ln U / ln(1 − p)).
        pos += 1.0 + ((1.0 - unit(rng)).ln() / log_q).floor();
        if pos > f64::from(n) {
            return k;
        }
        k += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_pcg::Pcg64Mcg;

    /// Chi-square of `counts` against the uniform expectation.
    fn chi2(counts: &[u64]) -> f64 {
        let total: u64 = counts.iter().sum();
        let e = total as f64 / counts.len() as f64;
        counts.iter().map(|&c| (c as f64 - e).powi(2) / e).sum()
    }

    #[test]
    fn below_is_uniform_and_in_range() {
        let mut rng = Pcg64Mcg::seed_from_u64(7);
        // Small (16-bit pieces), awkward (large rejection zone) and 32-bit bounds.
        for n in [1u32, 2, 3, 7, 112, 624, 4095, 4097, 40_000] {
            let mut b = Below::new(n);
            let mut counts = vec![0u64; n as usize];
            let draws = (n as usize * 200).max(20_000);
            for _ in 0..draws {
                let k = b.sample(&mut rng);
                assert!(k < n);
                counts[k as usize] += 1;
            }
            if n > 1 {
                // Degrees of freedom n − 1; mean n − 1, sd √(2(n − 1)): 6 sd is a
                // failure only for a real bias.
                let df = f64::from(n - 1);
                let x = chi2(&counts);
                assert!(x < df + 6.0 * (2.0 * df).sqrt(), "n={n}: chi2 {x} with {df} df");
            }
        }
    }

    #[test]
    fn below_takes_four_small_draws_from_one_word() {
        struct Count(u64, Pcg64Mcg);
        impl RngCore for Count {
            fn next_u32(&mut self) -> u32 {
                self.next_u64() as u32
            }
            fn next_u64(&mut self) -> u64 {
                self.0 += 1;
                self.1.next_u64()
            }
            fn fill_bytes(&mut self, d: &mut [u8]) {
                self.1.fill_bytes(d)
            }
        }
        let mut rng = Count(0, Pcg64Mcg::seed_from_u64(1));
        let mut b = Below::new(112);
        for _ in 0..4000 {
            b.sample(&mut rng);
        }
        // 112 rejects 2^16 mod 112 = 16 of 65536 pieces: about 1000 words.
        assert!((1000..1010).contains(&rng.0), "{} words", rng.0);
    }

    #[test]
    fn shuffle_gives_every_permutation_of_four_equally() {
        let mut rng = Pcg64Mcg::seed_from_u64(3);
        let mut counts = std::collections::HashMap::new();
        for _ in 0..48_000 {
            let mut v = [0u32, 1, 2, 3];
            shuffle(&mut rng, &mut v);
            *counts.entry(v).or_insert(0u64) += 1;
        }
        assert_eq!(counts.len(), 24);
        let c: Vec<u64> = counts.values().copied().collect();
        // 23 df: mean 23, sd ≈ 6.8.
        assert!(chi2(&c) < 23.0 + 6.0 * 46f64.sqrt(), "chi2 {}", chi2(&c));
    }

    #[test]
    fn shuffle_is_a_permutation() {
        let mut rng = Pcg64Mcg::seed_from_u64(5);
        let mut v: Vec<u32> = (0..1000).collect();
        shuffle(&mut rng, &mut v);
        let mut s = v.clone();
        s.sort();
        assert_eq!(s, (0..1000).collect::<Vec<_>>());
        assert_ne!(v, s);
    }

    #[test]
    fn binomial_draws_have_the_right_mean() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(7);
        for (n, p) in [(100u32, 0.05), (500, 0.25), (5000, 0.2), (1, 0.5)] {
            let draws = 4000;
            let sum: u64 = (0..draws).map(|_| u64::from(binomial(&mut rng, n, p))).sum();
            let mean = sum as f64 / f64::from(draws);
            let sd = (f64::from(n) * p * (1.0 - p) / f64::from(draws)).sqrt();
            assert!((mean - f64::from(n) * p).abs() < 5.0 * sd, "n {n} p {p}: mean {mean}");
        }
        assert_eq!(binomial(&mut rng, 10, 0.0), 0);
        assert_eq!(binomial(&mut rng, 10, 1.0), 10);
        assert!((0..1000).all(|_| binomial(&mut rng, 3, 0.9) <= 3));
    }
}

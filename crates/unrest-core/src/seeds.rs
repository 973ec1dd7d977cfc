//! Deriving independent, reproducible seeds for sub-streams (regions, runs of a
//! sweep) from one user seed, so results never depend on thread count or order.

/// SplitMix64's output function: a well-mixed 64-bit hash of `x`.
pub fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The seed of sub-stream `index` of `seed` (e.g. run `index` of a sweep).
pub fn derive(seed: u64, index: u64) -> u64 {
    splitmix64(splitmix64(seed) ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03))
}

#[cfg(test)]
mod tests {
    #[test]
    fn derived_seeds_differ_and_are_stable() {
        assert_ne!(super::derive(1, 0), super::derive(1, 1));
        assert_ne!(super::derive(1, 0), super::derive(2, 0));
        assert_eq!(super::derive(7, 3), super::derive(7, 3));
    }
}

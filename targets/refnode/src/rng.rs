//! A tiny seeded generator (SplitMix64, Steele et al. 2014) for randomized election timeouts: the
//! sans-IO cores must be deterministic under a seed, and this is all the randomness they need.

#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi` (slightly biased for huge ranges, which timeouts never are).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }
}

/// A stable seed from a node id, so two nodes never share election timeouts by construction.
pub fn seed_from(id: &str, salt: u64) -> u64 {
    id.bytes().fold(0xCBF2_9CE4_8422_2325u64 ^ salt, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01B3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_stays_inside_its_bounds() {
        let mut r = SplitMix64::new(seed_from("n1", 0));
        for _ in 0..1000 {
            let x = r.range(150, 300);
            assert!((150..=300).contains(&x));
        }
    }
}

//! Per-slot random streams derived from the run seed. Each slot has independent streams for its
//! operations and for its pacing, so changing `--rate` never changes which operations run.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What a stream is used for.
#[derive(Clone, Copy, Debug)]
pub enum Stream {
    Ops = 1,
    Delays = 2,
}

/// SplitMix64's finaliser: spreads nearby seeds far apart.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The random stream of `slot` for `stream`, from the run `seed`.
pub fn slot_rng(seed: u64, slot: u32, stream: Stream) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(mix(mix(seed) ^ (u64::from(slot) << 8) ^ stream as u64))
}

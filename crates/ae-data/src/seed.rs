//! Deriving independent, reproducible seeds from one run seed.

/// Mixes `seed` with `parts` (e.g. stage and epoch) into a new seed, SplitMix64-style, so each
/// (stage, epoch) has its own stream and resuming mid-run reproduces the same batches.
pub fn derive_seed(seed: u64, parts: &[u64]) -> u64 {
    let mut state = splitmix(seed);
    for &p in parts {
        state = splitmix(state ^ splitmix(p.wrapping_add(0x9E37_79B9_7F4A_7C15)));
    }
    state
}

fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

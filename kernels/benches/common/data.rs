//! The test data the kernels' benches and the report's timing worker share (included with
//! `#[path]`): deterministic values in [-1, 1), no NaN or denormal to slow one side down.
#![allow(dead_code)] // each includer uses its own part

/// The sizes every op is measured at (L1, L2, L3 and past it on the reference machine), by name.
pub(crate) const SIZES: [(&str, usize); 4] = [
    ("1K", 1 << 10),
    ("16K", 1 << 14),
    ("256K", 1 << 18),
    ("4M", 1 << 22),
];

/// Fills `out` from a xorshift32 stream started at `seed`.
pub(crate) fn fill(out: &mut [f32], seed: u32) {
    let mut x = seed.wrapping_mul(2_654_435_761) | 1;
    for e in out {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *e = (x >> 8) as f32 / (1 << 23) as f32 - 1.0;
    }
}

/// `n` values of [`fill`]'s stream.
pub(crate) fn data(n: usize, seed: u32) -> Vec<f32> {
    let mut v = vec![0.0f32; n];
    fill(&mut v, seed);
    v
}

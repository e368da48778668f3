//! Helpers shared by the integration tests: a seeded PRNG, data with special
//! values, and the list of backends this CPU can run.
#![allow(dead_code)]

use std::io::Write;

use rayo_kernels::Backend;

/// xorshift64*: deterministic, no dependency.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
    pub(crate) fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit()
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// Values that break naive SIMD code: NaN, infinities, signed zeros,
/// subnormals, the smallest normal.
pub(crate) const SPECIALS: [f32; 9] = [
    f32::NAN,
    f32::INFINITY,
    f32::NEG_INFINITY,
    0.0,
    -0.0,
    1e-40,
    -3e-42,
    f32::MIN_POSITIVE,
    -1e-30,
];

/// `n` values in [-10, 10); with `specials`, about one in 16 is from
/// [`SPECIALS`].
pub(crate) fn data(rng: &mut Rng, n: usize, specials: bool) -> Vec<f32> {
    (0..n)
        .map(|_| {
            if specials && rng.below(16) == 0 {
                SPECIALS[rng.below(SPECIALS.len())]
            } else {
                rng.range(-10.0, 10.0)
            }
        })
        .collect()
}

/// Writes past the test harness's output capture, so a reader of the CI
/// log always sees which backends did and did not run.
pub(crate) fn say(msg: &str) {
    let _ = writeln!(std::io::stderr(), "{msg}");
}

/// Every SIMD backend compiled for this target that this CPU supports; the
/// ones it does not support are reported as NOT RUN.
pub(crate) fn simd_backends() -> Vec<Backend> {
    let mut out = Vec::new();
    for name in Backend::names().filter(|n| *n != "scalar") {
        match Backend::by_name(name) {
            Some(b) => out.push(b),
            None => say(&format!(
                "NOT RUN: backend `{name}` (this CPU does not support it); its tests ran on no data here"
            )),
        }
    }
    out
}

pub(crate) fn scalar() -> Backend {
    Backend::by_name("scalar").expect("the scalar backend is always available")
}

/// The same value, or both NaN.
pub(crate) fn same(x: f32, y: f32) -> bool {
    x == y && x.is_sign_negative() == y.is_sign_negative() || x.is_nan() && y.is_nan()
}

/// `x` within `tol` of `y`; non-finite references must match exactly.
pub(crate) fn close(x: f32, y: f32, tol: f64) -> bool {
    if !y.is_finite() {
        return same(x, y) || x == y;
    }
    ((x as f64) - (y as f64)).abs() <= tol
}

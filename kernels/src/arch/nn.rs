//! The transformer ops of [`crate::generic_nn`], instantiated per ISA inside
//! `#[target_feature]` wrappers. They are not in [`crate::backend::Table`]: each op has its
//! own dispatch pointer (`crate::nn_dispatch`), so a binary that never calls an op carries
//! none of its backends (the Table keeps every entry of every backend reachable).

/// Defines every op for vector type `$V` with features `$feat`; attention runs `$r` query
/// rows by `$c` registers per tile.
macro_rules! nn_backend {
    ($V:ty, $feat:literal, attention: ($r:literal, $c:literal)) => {
        use crate::generic_nn as n;

        // SAFETY (all functions below): callers uphold the contract of `crate::generic_nn`,
        // which includes that the CPU supports `$feat` (the dispatcher checked).
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn gelu(a: *const f32, out: *mut f32, len: usize) {
            n::gelu::<$V>(a, out, len)
        }
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn layer_norm(
            x: *const f32,
            rows: usize,
            cols: usize,
            gamma: *const f32,
            beta: *const f32,
            eps: f32,
            out: *mut f32,
        ) {
            n::layer_norm::<$V>(x, rows, cols, gamma, beta, eps, out)
        }
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn softmax_rows(x: *const f32, rows: usize, cols: usize, out: *mut f32) {
            n::softmax_rows::<$V>(x, rows, cols, out)
        }
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn add_bias(x: *mut f32, rows: usize, cols: usize, bias: *const f32) {
            n::add_bias::<$V>(x, rows, cols, bias)
        }
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn mean_rows_masked(
            x: *const f32,
            rows: usize,
            cols: usize,
            keep: *const bool,
            out: *mut f32,
        ) {
            n::mean_rows_masked::<$V>(x, rows, cols, keep, out)
        }
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn normalize_l2(x: *const f32, rows: usize, cols: usize, out: *mut f32) {
            n::normalize_l2::<$V>(x, rows, cols, out)
        }
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn attention(a: &n::AttnRaw) {
            n::attention::<$V, $r, $c>(a)
        }
    };
}

// Tiles: 32-register ISAs (AVX-512, NEON) take 8 query rows x 2 registers (16 accumulators);
// 16-register ones (AVX2, SSE2) 4 x 2.

#[cfg(all(target_arch = "x86_64", feature = "avx512"))]
pub(crate) mod avx512 {
    nn_backend!(core::arch::x86_64::__m512, "avx512f", attention: (8, 2));
}

#[cfg(all(target_arch = "x86_64", feature = "avx2"))]
pub(crate) mod avx2 {
    nn_backend!(core::arch::x86_64::__m256, "avx2,fma", attention: (4, 2));
}

#[cfg(all(target_arch = "x86_64", feature = "sse2"))]
pub(crate) mod sse2 {
    nn_backend!(core::arch::x86_64::__m128, "sse2", attention: (4, 2));
}

#[cfg(all(target_arch = "aarch64", feature = "neon"))]
pub(crate) mod neon {
    nn_backend!(core::arch::aarch64::float32x4_t, "neon", attention: (8, 2));
}

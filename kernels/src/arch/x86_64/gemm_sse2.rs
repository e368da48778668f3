//! gemm on SSE2 (the x86_64 baseline, for CPUs without AVX2): the generic
//! kernels with 4-lane vectors, 3 × 16 micro-tiles, multiply then add (no
//! FMA: two roundings per step, still within the documented bound), f16
//! converted one element at a time (SSE2 has no conversion instruction).

use core::arch::x86_64::__m128;

use crate::gemm::dispatch::GemmTable;
use crate::gemm::kernel as g;
use crate::gemm::Args;

// SAFETY (both functions): callers uphold `GemmTable`'s contract; SSE2 is
// part of every x86_64 CPU.
#[target_feature(enable = "sse2")]
unsafe fn gemm(x: &Args) {
    g::gemm::<__m128, g::SoftHalf, 3, 4, 4, 256, 8>(x)
}

#[target_feature(enable = "sse2")]
unsafe fn f16_to_f32(src: *const u16, dst: *mut f32, n: usize) {
    g::convert_slice::<__m128, g::SoftHalf>(src, dst, n)
}

pub(crate) static TABLE: GemmTable = GemmTable {
    name: "sse2",
    gemm,
    f16_to_f32,
};

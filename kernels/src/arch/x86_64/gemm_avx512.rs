//! gemm on AVX-512F: 8 × 32 micro-tiles (16 zmm accumulators; two 16-column
//! panels per tile), `k` in blocks of 128 rows (2 × 8 KiB of panels in L1),
//! f16 converted with `vcvtph2ps zmm` (part of AVX-512F).

use core::arch::x86_64::*;

use crate::gemm::dispatch::GemmTable;
use crate::gemm::kernel::{self as g, Load};
use crate::gemm::Args;

/// 16 halves to 16 floats.
pub(crate) struct Cvt;

impl Load<__m512> for Cvt {
    type E = u16;
    #[inline(always)]
    unsafe fn load(p: *const u16) -> __m512 {
        _mm512_cvtph_ps(_mm256_loadu_si256(p as *const __m256i))
    }
    #[inline(always)]
    unsafe fn load_part(p: *const u16, count: usize) -> __m512 {
        g::soft_part(p, count)
    }
}

// SAFETY (both functions): callers uphold `GemmTable`'s contract, which
// includes that the CPU supports AVX-512F (the dispatcher checked).
#[target_feature(enable = "avx512f")]
unsafe fn gemm(x: &Args) {
    g::gemm::<__m512, Cvt, 8, 2, 1, 128, 4>(x)
}

#[target_feature(enable = "avx512f")]
unsafe fn f16_to_f32(src: *const u16, dst: *mut f32, n: usize) {
    g::convert_slice::<__m512, Cvt>(src, dst, n)
}

pub(crate) static TABLE: GemmTable = GemmTable {
    name: "avx512",
    gemm,
    f16_to_f32,
};

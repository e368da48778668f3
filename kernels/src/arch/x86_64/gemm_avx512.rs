//! gemm on AVX-512F: 8 × 32 micro-tiles (16 zmm accumulators; two 16-column
//! panels per tile), `k` in blocks of 128 rows (2 × 8 KiB of panels in L1),
//! f16 converted with `vcvtph2ps zmm` (part of AVX-512F).

use core::arch::x86_64::*;

use super::gemm_avx2::{prefetch, transpose_panel, F16c};
use crate::gemm::dispatch::GemmTable;
use crate::gemm::kernel::{self as g, Isa, Load, F32};
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

// Prefetch and the 8 x 8 transposes come from AVX2 (every AVX-512F CPU has
// AVX2, FMA and F16C; the wrappers below enable them).
impl Isa<__m512> for Cvt {
    const FUSE_F16: bool = true;

    #[inline(always)]
    unsafe fn prefetch(p: *const f32) {
        prefetch(p)
    }
    #[inline(always)]
    unsafe fn transpose_f32(src: *const f32, ld: usize, kc: usize, w: usize, dst: *mut f32) {
        transpose_panel::<F32>(src, ld, kc, w, dst, |x| x)
    }
    #[inline(always)]
    unsafe fn transpose_f16(src: *const u16, ld: usize, kc: usize, w: usize, dst: *mut f32) {
        transpose_panel::<F16c>(src, ld, kc, w, dst, crate::f16::f16_to_f32)
    }
}

// SAFETY (both functions): callers uphold `GemmTable`'s contract, which
// includes that the CPU supports AVX-512F (the dispatcher checked, along
// with AVX2 and FMA; F16C comes with both on every such CPU).
#[target_feature(enable = "avx512f,avx2,fma,f16c")]
unsafe fn gemm(x: &Args) {
    g::gemm::<__m512, Cvt, 8, 2, 1, 128, 4>(x)
}

#[target_feature(enable = "avx512f,avx2,fma,f16c")]
unsafe fn f16_to_f32(src: *const u16, dst: *mut f32, n: usize) {
    g::convert_slice::<__m512, Cvt>(src, dst, n)
}

pub(crate) static TABLE: GemmTable = GemmTable {
    name: "avx512",
    gemm,
    f16_to_f32,
};

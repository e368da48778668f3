//! gemm on AVX2+FMA: 6 × 16 micro-tiles (12 ymm accumulators, one 16-column
//! panel per tile), `k` in blocks of up to 384 rows (24 KiB of panel in L1;
//! 384 measured faster than 256 and 128 at the encoder's shapes on Zen 3:
//! `k = 384` is then one block, and C is loaded and stored once).
//!
//! f16 B is converted with F16C's `vcvtph2ps`: the dispatcher only picks the
//! AVX2 table where the CPU has F16C too (`arch::x86_64::cpu`), so there is no
//! second AVX2 gemm with a software conversion (41 KB of code, for CPUs that
//! do not exist).

use core::arch::x86_64::*;

use crate::gemm::dispatch::GemmTable;
use crate::gemm::kernel::{self as g, Isa, Load, F32};
use crate::gemm::Args;

/// 8 halves to 8 floats (F16C).
pub(crate) struct F16c;

impl Load<__m256> for F16c {
    type E = u16;
    #[inline(always)]
    unsafe fn load(p: *const u16) -> __m256 {
        _mm256_cvtph_ps(_mm_loadu_si128(p as *const __m128i))
    }
    #[inline(always)]
    unsafe fn load_part(p: *const u16, count: usize) -> __m256 {
        g::soft_part(p, count)
    }
}

impl Isa<__m256> for F16c {
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

/// `prefetcht0`: a hint, it never faults, whatever the address.
#[inline(always)]
pub(crate) unsafe fn prefetch(p: *const f32) {
    _mm_prefetch::<_MM_HINT_T0>(p as *const i8)
}

/// Transposes 8 rows of 8 floats: `out[j][i] = r[i][j]`.
#[inline(always)]
unsafe fn tr8(r: [__m256; 8]) -> [__m256; 8] {
    let t0 = _mm256_unpacklo_ps(r[0], r[1]);
    let t1 = _mm256_unpackhi_ps(r[0], r[1]);
    let t2 = _mm256_unpacklo_ps(r[2], r[3]);
    let t3 = _mm256_unpackhi_ps(r[2], r[3]);
    let t4 = _mm256_unpacklo_ps(r[4], r[5]);
    let t5 = _mm256_unpackhi_ps(r[4], r[5]);
    let t6 = _mm256_unpacklo_ps(r[6], r[7]);
    let t7 = _mm256_unpackhi_ps(r[6], r[7]);
    let s0 = _mm256_shuffle_ps::<0x44>(t0, t2);
    let s1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
    let s2 = _mm256_shuffle_ps::<0x44>(t1, t3);
    let s3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
    let s4 = _mm256_shuffle_ps::<0x44>(t4, t6);
    let s5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
    let s6 = _mm256_shuffle_ps::<0x44>(t5, t7);
    let s7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
    [
        _mm256_permute2f128_ps::<0x20>(s0, s4),
        _mm256_permute2f128_ps::<0x20>(s1, s5),
        _mm256_permute2f128_ps::<0x20>(s2, s6),
        _mm256_permute2f128_ps::<0x20>(s3, s7),
        _mm256_permute2f128_ps::<0x31>(s0, s4),
        _mm256_permute2f128_ps::<0x31>(s1, s5),
        _mm256_permute2f128_ps::<0x31>(s2, s6),
        _mm256_permute2f128_ps::<0x31>(s3, s7),
    ]
}

/// `w <= 16` rows of Bᵀ (`kc` elements each, `ld` apart) into the columns of
/// one zero-padded panel: 8 x 8 blocks through registers, the ragged rest
/// one element at a time.
#[inline(always)]
pub(crate) unsafe fn transpose_panel<L: Load<__m256>>(
    src: *const L::E,
    ld: usize,
    kc: usize,
    w: usize,
    dst: *mut f32,
    one: impl Fn(L::E) -> f32,
) {
    for c0 in [0, 8] {
        let mut p = 0;
        if c0 + 8 <= w {
            while p + 8 <= kc {
                let o = tr8(core::array::from_fn(|i| {
                    // The next panel's rows, 16 on: in flight while this
                    // panel is transposed and multiplied (a hint; an
                    // address past B is never read).
                    prefetch(src.wrapping_add((c0 + i + 16) * ld + p) as *const f32);
                    L::load(src.add((c0 + i) * ld + p))
                }));
                for (j, v) in o.iter().enumerate() {
                    _mm256_storeu_ps(dst.add((p + j) * 16 + c0), *v);
                }
                p += 8;
            }
        }
        for p in p..kc {
            for i in 0..8 {
                let c = c0 + i;
                *dst.add(p * 16 + c) = if c < w {
                    one(*src.add(c * ld + p))
                } else {
                    0.0
                };
            }
        }
    }
}

/// The kernel instantiation: micro-tile, block and loader.
macro_rules! instance {
    ($h:ty) => {
        g::gemm::<__m256, $h, 6, 2, 2, 384, 8>
    };
}

// SAFETY (all functions below): callers uphold `GemmTable`'s contract, which
// includes that the CPU supports AVX2, FMA and F16C (the AVX2 rung's check).
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn gemm(x: &Args) {
    instance!(F16c)(x)
}

#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn f16_to_f32(src: *const u16, dst: *mut f32, n: usize) {
    g::convert_slice::<__m256, F16c>(src, dst, n)
}

/// The AVX-512 table's tiling (8 rows, two panels per tile, `k` blocks of
/// 128) on AVX2 registers: the tests run it on machines without AVX-512, where
/// the two-panel code paths would otherwise go unexercised.
#[cfg(test)]
#[target_feature(enable = "avx2,fma,f16c")]
pub(crate) unsafe fn gemm_two_panels(x: &Args) {
    g::gemm::<__m256, F16c, 8, 4, 2, 128, 8>(x)
}

pub(crate) static TABLE: GemmTable = GemmTable {
    name: "avx2",
    gemm,
    f16_to_f32,
};

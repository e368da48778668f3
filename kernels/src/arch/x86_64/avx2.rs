//! AVX2 + FMA: 8 lanes.

use core::arch::x86_64::*;

/// Lanes `< count` set: masked loads/stores neither read nor fault past it.
#[inline(always)]
unsafe fn first(count: usize) -> __m256i {
    let iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    _mm256_cmpgt_epi32(_mm256_set1_epi32(count as i32), iota)
}

// SAFETY: only reached through `TABLE`, which the dispatcher selects after
// detecting AVX2 and FMA; pointer methods rely on the trait's contract.
unsafe impl crate::vector::Vector for __m256 {
    const LANES: usize = 8;
    const STREAM: bool = true;

    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        _mm256_loadu_ps(p)
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        _mm256_storeu_ps(p, self)
    }
    #[inline(always)]
    unsafe fn load_part(p: *const f32, count: usize) -> Self {
        _mm256_maskload_ps(p, first(count))
    }
    #[inline(always)]
    unsafe fn store_part(self, p: *mut f32, count: usize) {
        _mm256_maskstore_ps(p, first(count), self)
    }
    #[inline(always)]
    unsafe fn stream(self, p: *mut f32) {
        _mm256_stream_ps(p, self)
    }
    #[inline(always)]
    unsafe fn fence() {
        _mm_sfence()
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        _mm256_set1_ps(x)
    }
    #[inline(always)]
    unsafe fn add(self, b: Self) -> Self {
        _mm256_add_ps(self, b)
    }
    #[inline(always)]
    unsafe fn sub(self, b: Self) -> Self {
        _mm256_sub_ps(self, b)
    }
    #[inline(always)]
    unsafe fn mul(self, b: Self) -> Self {
        _mm256_mul_ps(self, b)
    }
    #[inline(always)]
    unsafe fn div(self, b: Self) -> Self {
        _mm256_div_ps(self, b)
    }
    #[inline(always)]
    unsafe fn mul_add(self, b: Self, c: Self) -> Self {
        _mm256_fmadd_ps(self, b, c)
    }
    #[inline(always)]
    unsafe fn max(self, b: Self) -> Self {
        _mm256_max_ps(self, b)
    }
    #[inline(always)]
    unsafe fn min(self, b: Self) -> Self {
        _mm256_min_ps(self, b)
    }
    #[inline(always)]
    unsafe fn lt(self, b: Self) -> Self {
        _mm256_cmp_ps::<_CMP_LT_OQ>(self, b)
    }
    #[inline(always)]
    unsafe fn eq(self, b: Self) -> Self {
        _mm256_cmp_ps::<_CMP_EQ_OQ>(self, b)
    }
    #[inline(always)]
    unsafe fn unord(self, b: Self) -> Self {
        _mm256_cmp_ps::<_CMP_UNORD_Q>(self, b)
    }
    #[inline(always)]
    unsafe fn and(self, b: Self) -> Self {
        _mm256_and_ps(self, b)
    }
    #[inline(always)]
    unsafe fn or(self, b: Self) -> Self {
        _mm256_or_ps(self, b)
    }
    #[inline(always)]
    unsafe fn andnot(self, b: Self) -> Self {
        _mm256_andnot_ps(self, b)
    }
    #[inline(always)]
    unsafe fn select(self, t: Self, f: Self) -> Self {
        _mm256_blendv_ps(f, t, self)
    }
    #[inline(always)]
    unsafe fn bits(self) -> u32 {
        _mm256_movemask_ps(self) as u32
    }
    #[inline(always)]
    unsafe fn pow2i(self) -> Self {
        let k = _mm256_add_epi32(_mm256_cvtps_epi32(self), _mm256_set1_epi32(127));
        _mm256_castsi256_ps(_mm256_slli_epi32::<23>(k))
    }
    /// The default's tree (lane k + lane k+4, then k+2, then k+1), so the same result,
    /// with two wide conversions instead of four narrow ones: every reduction block ends
    /// here, and at 1K that is the whole call.
    #[inline(always)]
    unsafe fn sum_f64(self) -> f64 {
        let lo = _mm256_cvtps_pd(_mm256_castps256_ps128(self));
        let hi = _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(self));
        let s = _mm256_add_pd(lo, hi);
        let s = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd::<1>(s));
        _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)))
    }
}

backend!("avx2", __m256, "avx2,fma");

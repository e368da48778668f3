//! SSE2: 4 lanes, part of the x86_64 baseline (no FMA: `mul_add` rounds twice).

use core::arch::x86_64::*;

// SAFETY: SSE2 is part of every x86_64 CPU; pointer methods rely on the
// trait's documented contract.
unsafe impl crate::vector::Vector for __m128 {
    const LANES: usize = 4;
    const STREAM: bool = true;

    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        _mm_loadu_ps(p)
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        _mm_storeu_ps(p, self)
    }
    #[inline(always)]
    unsafe fn stream(self, p: *mut f32) {
        _mm_stream_ps(p, self)
    }
    #[inline(always)]
    unsafe fn fence() {
        _mm_sfence()
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        _mm_set1_ps(x)
    }
    #[inline(always)]
    unsafe fn add(self, b: Self) -> Self {
        _mm_add_ps(self, b)
    }
    #[inline(always)]
    unsafe fn sub(self, b: Self) -> Self {
        _mm_sub_ps(self, b)
    }
    #[inline(always)]
    unsafe fn mul(self, b: Self) -> Self {
        _mm_mul_ps(self, b)
    }
    #[inline(always)]
    unsafe fn div(self, b: Self) -> Self {
        _mm_div_ps(self, b)
    }
    #[inline(always)]
    unsafe fn mul_add(self, b: Self, c: Self) -> Self {
        _mm_add_ps(_mm_mul_ps(self, b), c)
    }
    #[inline(always)]
    unsafe fn max(self, b: Self) -> Self {
        _mm_max_ps(self, b)
    }
    #[inline(always)]
    unsafe fn min(self, b: Self) -> Self {
        _mm_min_ps(self, b)
    }
    #[inline(always)]
    unsafe fn lt(self, b: Self) -> Self {
        _mm_cmplt_ps(self, b)
    }
    #[inline(always)]
    unsafe fn eq(self, b: Self) -> Self {
        _mm_cmpeq_ps(self, b)
    }
    #[inline(always)]
    unsafe fn unord(self, b: Self) -> Self {
        _mm_cmpunord_ps(self, b)
    }
    #[inline(always)]
    unsafe fn and(self, b: Self) -> Self {
        _mm_and_ps(self, b)
    }
    #[inline(always)]
    unsafe fn or(self, b: Self) -> Self {
        _mm_or_ps(self, b)
    }
    #[inline(always)]
    unsafe fn andnot(self, b: Self) -> Self {
        _mm_andnot_ps(self, b)
    }
    #[inline(always)]
    unsafe fn select(self, t: Self, f: Self) -> Self {
        _mm_or_ps(_mm_and_ps(self, t), _mm_andnot_ps(self, f))
    }
    #[inline(always)]
    unsafe fn bits(self) -> u32 {
        _mm_movemask_ps(self) as u32
    }
    #[inline(always)]
    unsafe fn pow2i(self) -> Self {
        let k = _mm_add_epi32(_mm_cvtps_epi32(self), _mm_set1_epi32(127));
        _mm_castsi128_ps(_mm_slli_epi32::<23>(k))
    }
}

backend!("sse2", __m128, "sse2");

//! AVX-512F: 16 lanes. Masks live in `k` registers on this ISA; the trait's
//! all-ones-lane masks are converted at the edges (AVX-512F alone has no
//! float `and`/`or`, so bit logic goes through the integer forms).

use core::arch::x86_64::*;

#[inline(always)]
unsafe fn from_k(k: __mmask16) -> __m512 {
    _mm512_castsi512_ps(_mm512_maskz_set1_epi32(k, -1))
}

#[inline(always)]
unsafe fn to_k(m: __m512) -> __mmask16 {
    _mm512_test_epi32_mask(int(m), int(m))
}

#[inline(always)]
unsafe fn int(a: __m512) -> __m512i {
    _mm512_castps_si512(a)
}

// SAFETY: only reached through `TABLE`, which the dispatcher selects after
// detecting AVX-512F (and the OS saving its state); pointer methods rely on
// the trait's contract.
unsafe impl crate::vector::Vector for __m512 {
    const LANES: usize = 16;
    const STREAM: bool = true;

    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        _mm512_loadu_ps(p)
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        _mm512_storeu_ps(p, self)
    }
    // Masked-off lanes are neither read nor written, and cannot fault.
    #[inline(always)]
    unsafe fn load_part(p: *const f32, count: usize) -> Self {
        _mm512_maskz_loadu_ps(((1u32 << count) - 1) as __mmask16, p)
    }
    #[inline(always)]
    unsafe fn store_part(self, p: *mut f32, count: usize) {
        _mm512_mask_storeu_ps(p, ((1u32 << count) - 1) as __mmask16, self)
    }
    #[inline(always)]
    unsafe fn stream(self, p: *mut f32) {
        _mm512_stream_ps(p, self)
    }
    #[inline(always)]
    unsafe fn fence() {
        _mm_sfence()
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        _mm512_set1_ps(x)
    }
    #[inline(always)]
    unsafe fn add(self, b: Self) -> Self {
        _mm512_add_ps(self, b)
    }
    #[inline(always)]
    unsafe fn sub(self, b: Self) -> Self {
        _mm512_sub_ps(self, b)
    }
    #[inline(always)]
    unsafe fn mul(self, b: Self) -> Self {
        _mm512_mul_ps(self, b)
    }
    #[inline(always)]
    unsafe fn div(self, b: Self) -> Self {
        _mm512_div_ps(self, b)
    }
    #[inline(always)]
    unsafe fn mul_add(self, b: Self, c: Self) -> Self {
        _mm512_fmadd_ps(self, b, c)
    }
    #[inline(always)]
    unsafe fn max(self, b: Self) -> Self {
        _mm512_max_ps(self, b)
    }
    #[inline(always)]
    unsafe fn min(self, b: Self) -> Self {
        _mm512_min_ps(self, b)
    }
    #[inline(always)]
    unsafe fn lt(self, b: Self) -> Self {
        from_k(_mm512_cmp_ps_mask::<_CMP_LT_OQ>(self, b))
    }
    #[inline(always)]
    unsafe fn eq(self, b: Self) -> Self {
        from_k(_mm512_cmp_ps_mask::<_CMP_EQ_OQ>(self, b))
    }
    #[inline(always)]
    unsafe fn unord(self, b: Self) -> Self {
        from_k(_mm512_cmp_ps_mask::<_CMP_UNORD_Q>(self, b))
    }
    #[inline(always)]
    unsafe fn and(self, b: Self) -> Self {
        _mm512_castsi512_ps(_mm512_and_si512(int(self), int(b)))
    }
    #[inline(always)]
    unsafe fn or(self, b: Self) -> Self {
        _mm512_castsi512_ps(_mm512_or_si512(int(self), int(b)))
    }
    #[inline(always)]
    unsafe fn andnot(self, b: Self) -> Self {
        _mm512_castsi512_ps(_mm512_andnot_si512(int(self), int(b)))
    }
    #[inline(always)]
    unsafe fn select(self, t: Self, f: Self) -> Self {
        _mm512_mask_blend_ps(to_k(self), f, t)
    }
    #[inline(always)]
    unsafe fn bits(self) -> u32 {
        to_k(self) as u32
    }
    #[inline(always)]
    unsafe fn pow2i(self) -> Self {
        let k = _mm512_add_epi32(_mm512_cvtps_epi32(self), _mm512_set1_epi32(127));
        _mm512_castsi512_ps(_mm512_slli_epi32::<23>(k))
    }
}

// Element-wise ops come from AVX2: they are load/store-bound, and on Zen 4
// (512-bit ops split in two) the AVX2 versions are as fast or faster. So are
// AVX2's reductions from L3/DRAM, while 512-bit wins in L1/L2. Figures:
// docs/measurements/kernels.md, "The AVX-512 table borrows AVX2 code".
/// From this many input bytes on, reductions run the AVX2 code.
const LARGE_INPUT_BYTES: usize = 8 << 20;
/// ... and two-input reductions (`dot`, `cosine`, `euclidean`) from this many.
const LARGE_PAIR_BYTES: usize = 2 << 20;

backend!("avx512", __m512, "avx512f", elementwise: super::avx2, large: super::avx2);

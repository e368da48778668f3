//! NEON: 4 lanes with FMA. NEON's own max/min propagate NaN; the trait asks
//! for x86 semantics (second operand on NaN), built from compare + select so
//! the generic algorithms behave the same on both architectures.

use core::arch::aarch64::*;

#[inline(always)]
unsafe fn u(v: float32x4_t) -> uint32x4_t {
    vreinterpretq_u32_f32(v)
}

#[inline(always)]
unsafe fn f(v: uint32x4_t) -> float32x4_t {
    vreinterpretq_f32_u32(v)
}

// SAFETY: NEON is part of the aarch64 baseline; pointer methods rely on the
// trait's documented contract.
unsafe impl crate::vector::Vector for float32x4_t {
    const LANES: usize = 4;
    const STREAM: bool = false;

    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        vld1q_f32(p)
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        vst1q_f32(p, self)
    }
    #[inline(always)]
    unsafe fn stream(self, p: *mut f32) {
        vst1q_f32(p, self)
    }
    #[inline(always)]
    unsafe fn fence() {}
    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        vdupq_n_f32(x)
    }
    #[inline(always)]
    unsafe fn add(self, b: Self) -> Self {
        vaddq_f32(self, b)
    }
    #[inline(always)]
    unsafe fn sub(self, b: Self) -> Self {
        vsubq_f32(self, b)
    }
    #[inline(always)]
    unsafe fn mul(self, b: Self) -> Self {
        vmulq_f32(self, b)
    }
    #[inline(always)]
    unsafe fn div(self, b: Self) -> Self {
        vdivq_f32(self, b)
    }
    #[inline(always)]
    unsafe fn mul_add(self, b: Self, c: Self) -> Self {
        vfmaq_f32(c, self, b)
    }
    #[inline(always)]
    unsafe fn max(self, b: Self) -> Self {
        vbslq_f32(vcgtq_f32(self, b), self, b)
    }
    #[inline(always)]
    unsafe fn min(self, b: Self) -> Self {
        vbslq_f32(vcltq_f32(self, b), self, b)
    }
    #[inline(always)]
    unsafe fn lt(self, b: Self) -> Self {
        f(vcltq_f32(self, b))
    }
    #[inline(always)]
    unsafe fn eq(self, b: Self) -> Self {
        f(vceqq_f32(self, b))
    }
    #[inline(always)]
    unsafe fn unord(self, b: Self) -> Self {
        f(vmvnq_u32(vandq_u32(vceqq_f32(self, self), vceqq_f32(b, b))))
    }
    #[inline(always)]
    unsafe fn and(self, b: Self) -> Self {
        f(vandq_u32(u(self), u(b)))
    }
    #[inline(always)]
    unsafe fn or(self, b: Self) -> Self {
        f(vorrq_u32(u(self), u(b)))
    }
    #[inline(always)]
    unsafe fn andnot(self, b: Self) -> Self {
        f(vbicq_u32(u(b), u(self)))
    }
    #[inline(always)]
    unsafe fn select(self, t: Self, e: Self) -> Self {
        vbslq_f32(u(self), t, e)
    }
    #[inline(always)]
    unsafe fn bits(self) -> u32 {
        let weights: [u32; 4] = [1, 2, 4, 8];
        vaddvq_u32(vandq_u32(u(self), vld1q_u32(weights.as_ptr())))
    }
    #[inline(always)]
    unsafe fn pow2i(self) -> Self {
        let k = vaddq_s32(vcvtq_s32_f32(self), vdupq_n_s32(127));
        vreinterpretq_f32_s32(vshlq_n_s32::<23>(k))
    }
}

backend!("neon", float32x4_t, "neon");

//! The small vector trait every backend implements once; the algorithms in
//! [`crate::generic`] are written against it and instantiated per ISA.
//!
//! Masks are vectors too: a lane is "set" when all its bits are one. That keeps
//! the trait to one type per ISA (AVX-512 converts its mask registers).

/// One SIMD register of `f32` lanes.
///
/// # Safety
///
/// Every method may only be called on a CPU that has the implementing ISA
/// (the backend's `#[target_feature]` wrappers guarantee it). Pointer
/// methods need `LANES` readable/writable `f32`s at the pointer.
pub(crate) unsafe trait Vector: Copy {
    /// Lanes per register.
    const LANES: usize;
    /// Whether [`Vector::stream`] is a real non-temporal store.
    const STREAM: bool;

    unsafe fn load(p: *const f32) -> Self;
    unsafe fn store(self, p: *mut f32);
    /// Non-temporal store; `p` must be aligned to `LANES * 4` bytes.
    unsafe fn stream(self, p: *mut f32);
    /// Orders earlier non-temporal stores before later stores.
    unsafe fn fence();
    unsafe fn splat(x: f32) -> Self;

    unsafe fn add(self, b: Self) -> Self;
    unsafe fn sub(self, b: Self) -> Self;
    unsafe fn mul(self, b: Self) -> Self;
    unsafe fn div(self, b: Self) -> Self;
    /// `self * b + c`, fused where the ISA has FMA.
    unsafe fn mul_add(self, b: Self, c: Self) -> Self;
    /// `self > b ? self : b` per lane (x86 `maxps`: `b` when either is NaN).
    unsafe fn max(self, b: Self) -> Self;
    /// `self < b ? self : b` per lane (x86 `minps`: `b` when either is NaN).
    unsafe fn min(self, b: Self) -> Self;

    unsafe fn lt(self, b: Self) -> Self;
    unsafe fn eq(self, b: Self) -> Self;
    /// Lanes where `self` or `b` is NaN.
    unsafe fn unord(self, b: Self) -> Self;
    unsafe fn and(self, b: Self) -> Self;
    unsafe fn or(self, b: Self) -> Self;
    /// `!self & b`.
    unsafe fn andnot(self, b: Self) -> Self;
    /// `self ? t : f` per lane, `self` a mask.
    unsafe fn select(self, t: Self, f: Self) -> Self;
    /// Bit `i` set when mask lane `i` is set.
    unsafe fn bits(self) -> u32;
    /// `2^k` for lanes holding whole numbers in `-126..=127`.
    unsafe fn pow2i(self) -> Self;

    /// Loads `count < LANES` elements, zeros in the other lanes, touching
    /// no memory past `p + count`.
    #[inline(always)]
    unsafe fn load_part(p: *const f32, count: usize) -> Self {
        let mut buf = [0.0f32; 16];
        for (k, b) in buf.iter_mut().enumerate().take(count) {
            *b = *p.add(k);
        }
        Self::load(buf.as_ptr())
    }

    /// Stores the first `count < LANES` lanes.
    #[inline(always)]
    unsafe fn store_part(self, p: *mut f32, count: usize) {
        let buf = self.to_array();
        for (k, b) in buf.iter().enumerate().take(count) {
            *p.add(k) = *b;
        }
    }

    #[inline(always)]
    unsafe fn zero() -> Self {
        Self::splat(0.0)
    }

    #[inline(always)]
    unsafe fn abs(self) -> Self {
        Self::splat(-0.0).andnot(self)
    }

    /// Lanes summed in `f64`: where the blocked reductions leave `f32`.
    /// A tree, not a chain, so the latency is log2(LANES) additions.
    #[inline(always)]
    unsafe fn sum_f64(self) -> f64 {
        let buf = self.to_array();
        let mut t = [0.0f64; 16];
        for k in 0..Self::LANES {
            t[k] = buf[k] as f64;
        }
        let mut w = Self::LANES;
        while w > 1 {
            w /= 2;
            for k in 0..w {
                t[k] += t[k + w];
            }
        }
        t[0]
    }

    /// The lanes, in a buffer big enough for any ISA.
    #[inline(always)]
    unsafe fn to_array(self) -> [f32; 16] {
        let mut buf = [0.0f32; 16];
        self.store(buf.as_mut_ptr());
        buf
    }
}

/// The scalar "vector": one lane. Used by the scalar backend for the
/// activation functions so every backend runs the same approximation.
// SAFETY: plain f32 arithmetic, valid on every CPU.
unsafe impl Vector for f32 {
    const LANES: usize = 1;
    const STREAM: bool = false;

    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        *p
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        *p = self
    }
    #[inline(always)]
    unsafe fn stream(self, p: *mut f32) {
        *p = self
    }
    #[inline(always)]
    unsafe fn fence() {}
    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        x
    }
    #[inline(always)]
    unsafe fn add(self, b: Self) -> Self {
        self + b
    }
    #[inline(always)]
    unsafe fn sub(self, b: Self) -> Self {
        self - b
    }
    #[inline(always)]
    unsafe fn mul(self, b: Self) -> Self {
        self * b
    }
    #[inline(always)]
    unsafe fn div(self, b: Self) -> Self {
        self / b
    }
    #[inline(always)]
    unsafe fn mul_add(self, b: Self, c: Self) -> Self {
        self * b + c
    }
    #[inline(always)]
    unsafe fn max(self, b: Self) -> Self {
        if self > b {
            self
        } else {
            b
        }
    }
    #[inline(always)]
    unsafe fn min(self, b: Self) -> Self {
        if self < b {
            self
        } else {
            b
        }
    }
    #[inline(always)]
    unsafe fn lt(self, b: Self) -> Self {
        mask(self < b)
    }
    #[inline(always)]
    unsafe fn eq(self, b: Self) -> Self {
        mask(self == b)
    }
    #[inline(always)]
    unsafe fn unord(self, b: Self) -> Self {
        mask(self.is_nan() || b.is_nan())
    }
    #[inline(always)]
    unsafe fn and(self, b: Self) -> Self {
        f32::from_bits(self.to_bits() & b.to_bits())
    }
    #[inline(always)]
    unsafe fn or(self, b: Self) -> Self {
        f32::from_bits(self.to_bits() | b.to_bits())
    }
    #[inline(always)]
    unsafe fn andnot(self, b: Self) -> Self {
        f32::from_bits(!self.to_bits() & b.to_bits())
    }
    #[inline(always)]
    unsafe fn select(self, t: Self, f: Self) -> Self {
        if self.to_bits() != 0 {
            t
        } else {
            f
        }
    }
    #[inline(always)]
    unsafe fn bits(self) -> u32 {
        (self.to_bits() != 0) as u32
    }
    #[inline(always)]
    unsafe fn pow2i(self) -> Self {
        f32::from_bits((((self as i32) + 127) as u32) << 23)
    }
}

#[inline(always)]
fn mask(b: bool) -> f32 {
    f32::from_bits(if b { !0 } else { 0 })
}

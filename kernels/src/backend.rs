//! Backends and the one-time dispatch.
//!
//! A backend is a static [`Table`] of function pointers. On first use the CPU
//! is inspected once and the best supported table is stored in an atomic
//! pointer; every later call is one relaxed load and an indirect call.

use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};

use crate::Error;

/// One backend's kernels.
///
/// Contract for every function: each input pointer is readable and every
/// output pointer writable for `n` elements; an output may equal an input
/// pointer (in place) but must not partially overlap one; `max`, `min`,
/// `argmax`, `argmin` need `n >= 1`; the CPU supports the backend's ISA.
pub(crate) struct Table {
    pub(crate) name: &'static str,
    pub(crate) sum: unsafe fn(*const f32, usize) -> f64,
    pub(crate) sum_abs: unsafe fn(*const f32, usize) -> f64,
    pub(crate) sum_sq: unsafe fn(*const f32, usize) -> f64,
    pub(crate) dot: unsafe fn(*const f32, *const f32, usize) -> f64,
    pub(crate) dist_sq: unsafe fn(*const f32, *const f32, usize) -> f64,
    pub(crate) dot3: unsafe fn(*const f32, *const f32, usize) -> [f64; 3],
    /// `(m, rows, cols, x, out)`: `m` has `rows * cols`, `x` `cols`, `out`
    /// `rows` elements.
    pub(crate) matvec: unsafe fn(*const f32, usize, usize, *const f32, *mut f32),
    pub(crate) max: unsafe fn(*const f32, usize) -> f32,
    pub(crate) min: unsafe fn(*const f32, usize) -> f32,
    pub(crate) argmax: unsafe fn(*const f32, usize) -> usize,
    pub(crate) argmin: unsafe fn(*const f32, usize) -> usize,
    pub(crate) add: unsafe fn(*const f32, *const f32, *mut f32, usize),
    pub(crate) sub: unsafe fn(*const f32, *const f32, *mut f32, usize),
    pub(crate) mul: unsafe fn(*const f32, *const f32, *mut f32, usize),
    pub(crate) div: unsafe fn(*const f32, *const f32, *mut f32, usize),
    pub(crate) scale: unsafe fn(*const f32, f32, *mut f32, usize),
    pub(crate) axpy: unsafe fn(f32, *const f32, *mut f32, usize),
    pub(crate) fma: unsafe fn(*const f32, *const f32, *const f32, *mut f32, usize),
    pub(crate) clamp: unsafe fn(*const f32, f32, f32, *mut f32, usize),
    pub(crate) abs: unsafe fn(*const f32, *mut f32, usize),
    pub(crate) relu: unsafe fn(*const f32, *mut f32, usize),
    pub(crate) exp: unsafe fn(*const f32, *mut f32, usize),
    pub(crate) sigmoid: unsafe fn(*const f32, *mut f32, usize),
    pub(crate) tanh: unsafe fn(*const f32, *mut f32, usize),
    pub(crate) gelu_tanh: unsafe fn(*const f32, *mut f32, usize),
    /// `out = e^(a - m)`, returns the sum of `out`.
    pub(crate) exp_shift: unsafe fn(*const f32, f32, *mut f32, usize) -> f64,
}

/// A backend and its run-time support check.
type Candidate = (&'static Table, fn() -> bool);

/// Every backend compiled for this target, best first; the last one is
/// always supported (SSE2, NEON or scalar). The scalar reference is only
/// compiled in where there is no SIMD backend, or with feature `reference`.
const CANDIDATES: &[Candidate] = &[
    #[cfg(all(target_arch = "x86_64", feature = "avx512"))]
    (
        &crate::arch::x86_64::avx512::TABLE,
        crate::arch::x86_64::has_avx512f,
    ),
    #[cfg(all(target_arch = "x86_64", feature = "avx2"))]
    (
        &crate::arch::x86_64::avx2::TABLE,
        crate::arch::x86_64::has_avx2_fma,
    ),
    #[cfg(all(target_arch = "x86_64", feature = "sse2"))]
    (&crate::arch::x86_64::sse2::TABLE, always),
    #[cfg(all(target_arch = "aarch64", feature = "neon"))]
    (&crate::arch::aarch64::neon::TABLE, always),
    #[cfg(any(
        feature = "reference",
        not(any(
            all(target_arch = "x86_64", feature = "sse2"),
            all(target_arch = "aarch64", feature = "neon")
        ))
    ))]
    (&crate::scalar::TABLE, always),
];

// The list always ends with a backend every CPU of the target supports (see above).
const _: () = assert!(!CANDIDATES.is_empty(), "no kernel backend for this target");

fn always() -> bool {
    true
}

/// The chosen table; [`DETECT`] until the first call, unless there is only
/// one candidate (aarch64 with NEON, scalar-only builds): then that one, and
/// the detection code is left out of the binary.
static ACTIVE: AtomicPtr<Table> = AtomicPtr::new(if ONLY_ONE {
    CANDIDATES[0].0 as *const Table as *mut Table
} else {
    &DETECT as *const Table as *mut Table
});

const ONLY_ONE: bool = CANDIDATES.len() == 1;

/// Declares the [`DETECT`] table: every entry detects the CPU (once, see
/// [`Backend::active`]) and forwards to the chosen backend. Starting `ACTIVE`
/// here instead of at null keeps the "not yet detected?" branch, and the call
/// in it, out of every kernel call: the free functions compile to a load, the
/// length checks and a tail jump, with no stack frame (measured: the frame's
/// register saves cost ~1.5 ns per call, 10-20% of a 64-element `add`).
macro_rules! detect_table {
    ($($f:ident($($arg:ident: $ty:ty),*) $(-> $ret:ty)?;)*) => {
        mod detect {
            $(
                /// Detects, then forwards to the active backend's entry.
                ///
                /// # Safety
                /// `Table`'s contract, the same for every backend.
                pub(super) unsafe fn $f($($arg: $ty),*) $(-> $ret)? {
                    // SAFETY: the caller upholds `Table`'s contract, which is the same for
                    // the backend this forwards to; `active()` only returns tables whose
                    // ISA the CPU has.
                    unsafe { (super::Backend::active().0.$f)($($arg),*) }
                }
            )*
        }
        static DETECT: Table = Table { name: "detect", $($f: detect::$f,)* };
    };
}

detect_table! {
    sum(a: *const f32, n: usize) -> f64;
    sum_abs(a: *const f32, n: usize) -> f64;
    sum_sq(a: *const f32, n: usize) -> f64;
    dot(a: *const f32, b: *const f32, n: usize) -> f64;
    dist_sq(a: *const f32, b: *const f32, n: usize) -> f64;
    dot3(a: *const f32, b: *const f32, n: usize) -> [f64; 3];
    matvec(m: *const f32, rows: usize, cols: usize, x: *const f32, out: *mut f32);
    max(a: *const f32, n: usize) -> f32;
    min(a: *const f32, n: usize) -> f32;
    argmax(a: *const f32, n: usize) -> usize;
    argmin(a: *const f32, n: usize) -> usize;
    add(a: *const f32, b: *const f32, out: *mut f32, n: usize);
    sub(a: *const f32, b: *const f32, out: *mut f32, n: usize);
    mul(a: *const f32, b: *const f32, out: *mut f32, n: usize);
    div(a: *const f32, b: *const f32, out: *mut f32, n: usize);
    scale(a: *const f32, s: f32, out: *mut f32, n: usize);
    axpy(alpha: f32, x: *const f32, y: *mut f32, n: usize);
    fma(a: *const f32, b: *const f32, c: *const f32, out: *mut f32, n: usize);
    clamp(a: *const f32, lo: f32, hi: f32, out: *mut f32, n: usize);
    abs(a: *const f32, out: *mut f32, n: usize);
    relu(a: *const f32, out: *mut f32, n: usize);
    exp(a: *const f32, out: *mut f32, n: usize);
    sigmoid(a: *const f32, out: *mut f32, n: usize);
    tanh(a: *const f32, out: *mut f32, n: usize);
    gelu_tanh(a: *const f32, out: *mut f32, n: usize);
    exp_shift(a: *const f32, m: f32, out: *mut f32, n: usize) -> f64;
}

/// A set of kernels for one instruction set.
///
/// The free functions of this crate use [`Backend::active`]. Tests and
/// benchmarks can pick a specific backend with [`Backend::by_name`] to
/// compare all of them on one machine. Methods that can fail return the
/// same `Result` as [`crate::checked`].
#[derive(Clone, Copy)]
pub struct Backend(&'static Table);

impl core::fmt::Debug for Backend {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.0.name)
    }
}

impl Backend {
    /// The best backend this CPU supports, detected once on first use.
    #[inline]
    pub fn active() -> Backend {
        let t = Self::current();
        if !ONLY_ONE && ptr::eq(t.0, &DETECT) {
            Self::detect()
        } else {
            t
        }
    }

    /// The table the free functions call through: the chosen backend, or
    /// before the first call [`DETECT`], whose entries detect and forward.
    #[inline(always)]
    pub(crate) fn current() -> Backend {
        // Relaxed is enough: the pointer only ever refers to immutable
        // statics, so there is no other memory to synchronise with.
        // SAFETY: ACTIVE only ever holds a `&'static Table`.
        Backend(unsafe { &*ACTIVE.load(Ordering::Relaxed) })
    }

    #[cold]
    #[inline(never)]
    fn detect() -> Backend {
        let mut table = CANDIDATES[CANDIDATES.len() - 1].0;
        for (t, supported) in CANDIDATES {
            if supported() {
                table = t;
                break;
            }
        }
        // Racing first calls store the same pointer; no ordering needed.
        ACTIVE.store(table as *const Table as *mut Table, Ordering::Relaxed);
        Backend(table)
    }

    /// Names of the backends compiled for this target, best first
    /// (x86_64: `avx512`, `avx2`, `sse2`; aarch64: `neon`; then `scalar`
    /// with feature `reference` or on other targets).
    pub fn names() -> impl Iterator<Item = &'static str> {
        CANDIDATES.iter().map(|(t, _)| t.name)
    }

    /// The backend called `name`, if it is compiled for this target and the
    /// CPU supports it; `None` otherwise.
    pub fn by_name(name: &str) -> Option<Backend> {
        CANDIDATES
            .iter()
            .find(|(t, supported)| t.name == name && supported())
            .map(|(t, _)| Backend(t))
    }

    /// `"avx512"`, `"avx2"`, `"sse2"`, `"neon"` or `"scalar"`.
    pub fn name(self) -> &'static str {
        self.0.name
    }

    // ---- reductions ----

    /// See [`crate::sum`].
    pub fn sum(self, a: &[f32]) -> f32 {
        self.sum_f64(a) as f32
    }

    fn sum_f64(self, a: &[f32]) -> f64 {
        // SAFETY: pointer and length come from one slice.
        unsafe { (self.0.sum)(a.as_ptr(), a.len()) }
    }

    /// See [`crate::mean`].
    pub fn mean(self, a: &[f32]) -> f32 {
        if a.is_empty() {
            return f32::NAN;
        }
        (self.sum_f64(a) / a.len() as f64) as f32
    }

    /// See [`crate::norm_l1`].
    pub fn norm_l1(self, a: &[f32]) -> f32 {
        // SAFETY: pointer and length come from one slice.
        unsafe { (self.0.sum_abs)(a.as_ptr(), a.len()) as f32 }
    }

    /// See [`crate::norm_l2`].
    pub fn norm_l2(self, a: &[f32]) -> f32 {
        // SAFETY: pointer and length come from one slice.
        sqrt(unsafe { (self.0.sum_sq)(a.as_ptr(), a.len()) }) as f32
    }

    /// See [`crate::dot`].
    #[inline]
    pub fn dot(self, a: &[f32], b: &[f32]) -> Result<f32, Error> {
        same("dot", "a.len()", a.len(), "b.len()", b.len())?;
        // SAFETY: both slices have `a.len()` elements (checked above).
        Ok(unsafe { (self.0.dot)(a.as_ptr(), b.as_ptr(), a.len()) } as f32)
    }

    /// See [`crate::max`].
    pub fn max(self, a: &[f32]) -> Option<f32> {
        // SAFETY: non-empty (checked), pointer and length from one slice.
        (!a.is_empty()).then(|| unsafe { (self.0.max)(a.as_ptr(), a.len()) })
    }

    /// See [`crate::min`].
    pub fn min(self, a: &[f32]) -> Option<f32> {
        // SAFETY: non-empty (checked), pointer and length from one slice.
        (!a.is_empty()).then(|| unsafe { (self.0.min)(a.as_ptr(), a.len()) })
    }

    /// See [`crate::argmax`].
    pub fn argmax(self, a: &[f32]) -> Option<usize> {
        // SAFETY: non-empty (checked), pointer and length from one slice.
        (!a.is_empty()).then(|| unsafe { (self.0.argmax)(a.as_ptr(), a.len()) })
    }

    /// See [`crate::argmin`].
    pub fn argmin(self, a: &[f32]) -> Option<usize> {
        // SAFETY: non-empty (checked), pointer and length from one slice.
        (!a.is_empty()).then(|| unsafe { (self.0.argmin)(a.as_ptr(), a.len()) })
    }

    // ---- similarity ----

    /// See [`crate::cosine`].
    pub fn cosine(self, a: &[f32], b: &[f32]) -> Result<f32, Error> {
        same("cosine", "a.len()", a.len(), "b.len()", b.len())?;
        // SAFETY: both slices have `a.len()` elements (checked above).
        let [ab, aa, bb] = unsafe { (self.0.dot3)(a.as_ptr(), b.as_ptr(), a.len()) };
        Ok((ab / sqrt(aa * bb)) as f32)
    }

    /// See [`crate::euclidean`].
    pub fn euclidean(self, a: &[f32], b: &[f32]) -> Result<f32, Error> {
        same("euclidean", "a.len()", a.len(), "b.len()", b.len())?;
        // SAFETY: both slices have `a.len()` elements (checked above).
        Ok(sqrt(unsafe { (self.0.dist_sq)(a.as_ptr(), b.as_ptr(), a.len()) }) as f32)
    }

    /// See [`crate::euclidean_sq`].
    pub fn euclidean_sq(self, a: &[f32], b: &[f32]) -> Result<f32, Error> {
        same("euclidean_sq", "a.len()", a.len(), "b.len()", b.len())?;
        // SAFETY: both slices have `a.len()` elements (checked above).
        Ok(unsafe { (self.0.dist_sq)(a.as_ptr(), b.as_ptr(), a.len()) } as f32)
    }

    // ---- element-wise ----

    fn binary(
        self,
        op: &'static str,
        f: unsafe fn(*const f32, *const f32, *mut f32, usize),
        a: &[f32],
        b: &[f32],
        out: &mut [f32],
    ) -> Result<(), Error> {
        same(op, "a.len()", a.len(), "b.len()", b.len())?;
        same(op, "a.len()", a.len(), "out.len()", out.len())?;
        // SAFETY: all three slices have `a.len()` elements (checked above);
        // `out` is a unique borrow, so it overlaps neither input.
        unsafe { f(a.as_ptr(), b.as_ptr(), out.as_mut_ptr(), a.len()) };
        Ok(())
    }

    fn unary(
        self,
        op: &'static str,
        f: unsafe fn(*const f32, *mut f32, usize),
        a: &[f32],
        out: &mut [f32],
    ) -> Result<(), Error> {
        same(op, "a.len()", a.len(), "out.len()", out.len())?;
        // SAFETY: both slices have `a.len()` elements (checked above);
        // `out` is a unique borrow, so it does not overlap `a`.
        unsafe { f(a.as_ptr(), out.as_mut_ptr(), a.len()) };
        Ok(())
    }

    /// See [`crate::add`].
    pub fn add(self, a: &[f32], b: &[f32], out: &mut [f32]) -> Result<(), Error> {
        self.binary("add", self.0.add, a, b, out)
    }

    /// See [`crate::sub`].
    pub fn sub(self, a: &[f32], b: &[f32], out: &mut [f32]) -> Result<(), Error> {
        self.binary("sub", self.0.sub, a, b, out)
    }

    /// See [`crate::mul`].
    pub fn mul(self, a: &[f32], b: &[f32], out: &mut [f32]) -> Result<(), Error> {
        self.binary("mul", self.0.mul, a, b, out)
    }

    /// See [`crate::div`].
    pub fn div(self, a: &[f32], b: &[f32], out: &mut [f32]) -> Result<(), Error> {
        self.binary("div", self.0.div, a, b, out)
    }

    /// See [`crate::scale`].
    pub fn scale(self, a: &[f32], s: f32, out: &mut [f32]) -> Result<(), Error> {
        same("scale", "a.len()", a.len(), "out.len()", out.len())?;
        // SAFETY: both slices have `a.len()` elements (checked above).
        unsafe { (self.0.scale)(a.as_ptr(), s, out.as_mut_ptr(), a.len()) };
        Ok(())
    }

    /// See [`crate::axpy`].
    pub fn axpy(self, alpha: f32, x: &[f32], y: &mut [f32]) -> Result<(), Error> {
        same("axpy", "x.len()", x.len(), "y.len()", y.len())?;
        // SAFETY: both slices have `x.len()` elements (checked above).
        unsafe { (self.0.axpy)(alpha, x.as_ptr(), y.as_mut_ptr(), x.len()) };
        Ok(())
    }

    /// See [`crate::fma`].
    pub fn fma(self, a: &[f32], b: &[f32], c: &[f32], out: &mut [f32]) -> Result<(), Error> {
        same("fma", "a.len()", a.len(), "b.len()", b.len())?;
        same("fma", "a.len()", a.len(), "c.len()", c.len())?;
        same("fma", "a.len()", a.len(), "out.len()", out.len())?;
        // SAFETY: all four slices have `a.len()` elements (checked above).
        unsafe {
            (self.0.fma)(
                a.as_ptr(),
                b.as_ptr(),
                c.as_ptr(),
                out.as_mut_ptr(),
                a.len(),
            )
        };
        Ok(())
    }

    /// See [`crate::clamp`].
    pub fn clamp(self, a: &[f32], lo: f32, hi: f32, out: &mut [f32]) -> Result<(), Error> {
        same("clamp", "a.len()", a.len(), "out.len()", out.len())?;
        // SAFETY: both slices have `a.len()` elements (checked above).
        unsafe { (self.0.clamp)(a.as_ptr(), lo, hi, out.as_mut_ptr(), a.len()) };
        Ok(())
    }

    /// See [`crate::abs`].
    pub fn abs(self, a: &[f32], out: &mut [f32]) -> Result<(), Error> {
        self.unary("abs", self.0.abs, a, out)
    }

    // ---- activations ----

    /// See [`crate::relu`].
    pub fn relu(self, a: &[f32], out: &mut [f32]) -> Result<(), Error> {
        self.unary("relu", self.0.relu, a, out)
    }

    /// See [`crate::sigmoid`].
    pub fn sigmoid(self, a: &[f32], out: &mut [f32]) -> Result<(), Error> {
        self.unary("sigmoid", self.0.sigmoid, a, out)
    }

    /// See [`crate::tanh`].
    pub fn tanh(self, a: &[f32], out: &mut [f32]) -> Result<(), Error> {
        self.unary("tanh", self.0.tanh, a, out)
    }

    /// See [`crate::gelu_tanh`].
    pub fn gelu_tanh(self, a: &[f32], out: &mut [f32]) -> Result<(), Error> {
        self.unary("gelu_tanh", self.0.gelu_tanh, a, out)
    }

    /// See [`crate::exp`].
    pub fn exp(self, a: &[f32], out: &mut [f32]) -> Result<(), Error> {
        self.unary("exp", self.0.exp, a, out)
    }

    /// See [`crate::softmax`].
    pub fn softmax(self, a: &[f32], out: &mut [f32]) -> Result<(), Error> {
        same("softmax", "a.len()", a.len(), "out.len()", out.len())?;
        let Some(m) = self.max(a) else {
            return Ok(());
        };
        let n = a.len();
        // SAFETY: both slices have `n` elements (checked above).
        let total = unsafe { (self.0.exp_shift)(a.as_ptr(), m, out.as_mut_ptr(), n) };
        let inv = (1.0 / total) as f32;
        let o = out.as_mut_ptr();
        // SAFETY: in place on `out` (`n` elements), allowed by the contract.
        unsafe { (self.0.scale)(o, inv, o, n) };
        Ok(())
    }

    // ---- dense layer ----

    /// See [`crate::matvec`].
    pub fn matvec(
        self,
        m: &[f32],
        rows: usize,
        cols: usize,
        x: &[f32],
        out: &mut [f32],
    ) -> Result<(), Error> {
        if rows.checked_mul(cols) != Some(m.len()) {
            return Err(Error::MatrixShape {
                rows,
                cols,
                len: m.len(),
            });
        }
        same("matvec", "x.len()", x.len(), "cols", cols)?;
        same("matvec", "out.len()", out.len(), "rows", rows)?;
        // SAFETY: `m` has `rows * cols`, `x` `cols` and `out` `rows`
        // elements (all checked above); `out` is a unique borrow.
        unsafe { (self.0.matvec)(m.as_ptr(), rows, cols, x.as_ptr(), out.as_mut_ptr()) };
        Ok(())
    }
}

#[inline]
pub(crate) fn same(
    op: &'static str,
    left: &'static str,
    left_len: usize,
    right: &'static str,
    right_len: usize,
) -> Result<(), Error> {
    if left_len == right_len {
        Ok(())
    } else {
        Err(Error::LengthMismatch {
            op,
            left,
            left_len,
            right,
            right_len,
        })
    }
}

/// `f64` square root without std: the hardware instruction where the
/// baseline ISA has one, Newton's method elsewhere.
#[cfg(target_arch = "x86_64")]
pub(crate) fn sqrt(x: f64) -> f64 {
    use core::arch::x86_64::{_mm_cvtsd_f64, _mm_set_sd, _mm_sqrt_pd};
    // SAFETY: SSE2 is part of the x86_64 baseline.
    unsafe { _mm_cvtsd_f64(_mm_sqrt_pd(_mm_set_sd(x))) }
}

#[cfg(target_arch = "aarch64")]
pub(crate) fn sqrt(x: f64) -> f64 {
    use core::arch::aarch64::{vdup_n_f64, vget_lane_f64, vsqrt_f64};
    // SAFETY: NEON (with its f64 square root) is part of the aarch64 baseline.
    unsafe { vget_lane_f64::<0>(vsqrt_f64(vdup_n_f64(x))) }
}

/// Newton's method from an exponent-halving first guess: six steps take the
/// guess's < 2x error to full `f64` precision.
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
pub(crate) fn sqrt(x: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 || x.is_infinite() {
        return x;
    }
    // Subnormals: scale up by 2^64 first (the square root scales by 2^32).
    let (x, undo) = if x < f64::MIN_POSITIVE {
        (x * 18446744073709551616.0, 1.0 / 4294967296.0)
    } else {
        (x, 1.0)
    };
    let mut y = f64::from_bits((x.to_bits() >> 1) + (1023u64 << 51));
    for _ in 0..6 {
        y = 0.5 * (y + x / y);
    }
    y * undo
}

#[cfg(test)]
mod tests {
    use super::sqrt;

    #[test]
    fn sqrt_matches_std() {
        for &x in &[
            1e-310, 1e-300, 1e-10, 0.25, 1.0, 2.0, 3.0, 10.0, 1e10, 1e300, 4.2e7,
        ] {
            let r = sqrt(x);
            let s = x.sqrt();
            assert!((r - s).abs() <= s * 4e-16, "sqrt({x}) = {r}, want {s}");
        }
        assert_eq!(sqrt(0.0), 0.0);
        assert_eq!(sqrt(-0.0).to_bits(), (-0.0f64).to_bits());
        assert!(sqrt(-1.0).is_nan());
        assert_eq!(sqrt(f64::INFINITY), f64::INFINITY);
    }
}

//! f32 compute kernels for rayo: `no_std`, no allocation, one-time CPU
//! dispatch.
//!
//! Slices in; a value, or a caller-provided `out: &mut [f32]`, out. The best
//! backend for the CPU (AVX-512F, AVX2+FMA or SSE2 on x86_64, NEON on
//! aarch64, scalar elsewhere) is detected on the first call and used for every
//! call after it; [`Backend`] picks one explicitly.
//!
//! ```
//! let a = [1.0, 2.0, 3.0];
//! let b = [4.0, 5.0, 6.0];
//! assert_eq!(rayo_kernels::dot(&a, &b), 32.0);
//!
//! let mut out = [0.0; 3];
//! rayo_kernels::add(&a, &b, &mut out);
//! assert_eq!(out, [5.0, 7.0, 9.0]);
//!
//! // Shapes from outside: check instead of panicking.
//! assert!(rayo_kernels::checked::dot(&a, &b[..2]).is_err());
//! assert_eq!(rayo_kernels::argmax(&[1.0, f32::NAN, 3.0]), Some(1));
//! ```
//!
//! # Features
//!
//! `avx512` (default): the AVX-512F backend. `reference`: keep the scalar
//! reference backend selectable on x86_64/aarch64 (for tests).
//!
//! # Lengths
//!
//! Functions taking several slices panic if their lengths differ, naming both
//! lengths, as [`slice::copy_from_slice`] does. The [`checked`] module has the
//! same functions returning [`Error`] instead.
//!
//! # Accuracy
//!
//! Reductions add `f32` SIMD lanes within short blocks and carry the block
//! sums in `f64`, then round once: the result is usually the correctly
//! rounded `f32` of the exact sum, and never worse than NumPy's pairwise sum
//! in the crate's tests. The activations are polynomial approximations; each
//! documents its range of relative error at most 1e-6 and what happens
//! outside it.
//!
//! # NaN
//!
//! Sums propagate NaN as IEEE arithmetic does. [`max`], [`min`], [`argmax`],
//! [`argmin`] propagate NaN as NumPy does: any NaN makes `max`/`min` NaN, and
//! `argmax`/`argmin` return the index of the first NaN.
//!
//! # Transformer ops
//!
//! What a BERT encoder (all-MiniLM-L6-v2) does between its matrix products, on
//! row-major matrices given as slices (the row length is an argument or the length
//! of a per-column vector; the row count follows): [`gelu`] (exact, erf form;
//! [`gelu_tanh`] is the approximation), [`layer_norm`], [`softmax_rows`],
//! [`add_bias`], [`mean_rows_masked`] (mean pooling under the attention mask),
//! [`normalize_l2`], and one sequence's multi-head [`attention`] with caller-sized
//! scratch ([`AttentionShape::scratch_len`]). Each op is dispatched on its own, so a
//! binary that never calls one carries none of its code. Shapes that are not whole
//! rows, or slices too short for a stride, panic naming both sizes; [`checked`] has
//! the same ops returning [`Error`].
//!
//! ```
//! use rayo_kernels::{attention, layer_norm_in_place, mean_rows_masked, normalize_l2_in_place,
//!     AttentionShape};
//!
//! // Two tokens, 2 heads x 2 values: one fused QKV row of 3 * 4 values per token.
//! let qkv = [
//!     1.0, 0.0, 0.5, 0.5, /* K */ 1.0, 0.0, 0.0, 1.0, /* V */ 1.0, 2.0, 3.0, 4.0,
//!     0.0, 1.0, 0.5, 0.5, /* K */ 0.0, 1.0, 1.0, 0.0, /* V */ 5.0, 6.0, 7.0, 8.0,
//! ];
//! let shape = AttentionShape::new(2, 2, 2).with_qkv_stride(12);
//! let mut ctx = [0.0; 8];
//! let mut scratch = vec![0.0; shape.scratch_len()];
//! attention(&shape, &qkv, &qkv[4..], &qkv[8..], &mut ctx, &mut scratch);
//!
//! layer_norm_in_place(&mut ctx, &[1.0; 4], &[0.0; 4], 1e-12);
//! let mut pooled = [0.0; 4];
//! mean_rows_masked(&ctx, &[true, true], &mut pooled);
//! normalize_l2_in_place(&mut pooled, 4);
//! let norm: f32 = pooled.iter().map(|x| x * x).sum::<f32>().sqrt();
//! assert!((norm - 1.0).abs() < 1e-6);
//! ```
#![cfg_attr(not(test), no_std)]
#![warn(missing_docs)]
// The one exception to the workspace's `unsafe_op_in_unsafe_fn = "deny"`: the algorithms
// and ISA wrappers are `unsafe fn`s whose whole body is the contract stated in their module
// docs (pointers valid for `n` elements, the CPU has the ISA), ~1,400 operations in all.
// Giving each body its own block and SAFETY comment is a change of its own, after the gemm
// micro-kernels' rework. Every explicit `unsafe {}` block still needs its SAFETY comment.
#![allow(unsafe_op_in_unsafe_fn)]
// A scalar-only build (no SIMD backend feature for the target) leaves the generic SIMD
// machinery unused; that is the point of such a build, not a mistake.
#![cfg_attr(
    not(any(
        all(target_arch = "x86_64", any(feature = "sse2", feature = "avx2")),
        all(target_arch = "aarch64", feature = "neon")
    )),
    allow(dead_code, unused_macros, unused_imports)
)]

mod arch;
mod backend;
pub mod checked;
mod error;
mod generic;
// The reference: selectable with `reference` (the tests compare every backend with it), and
// the fallback when no always-available backend (SSE2, NEON) is compiled in.
#[cfg(any(
    feature = "reference",
    not(any(
        all(target_arch = "x86_64", feature = "sse2"),
        all(target_arch = "aarch64", feature = "neon")
    ))
))]
mod scalar;
mod vector;
// Matrix multiply and f16.
pub mod f16;
mod gemm;

// The transformer ops.
mod generic_nn;
mod nn;
mod nn_dispatch;
#[cfg(any(
    feature = "reference",
    not(any(
        all(target_arch = "x86_64", feature = "sse2"),
        all(target_arch = "aarch64", feature = "neon")
    ))
))]
mod scalar_nn;
pub use nn::{
    add_bias, attention, gelu, layer_norm, layer_norm_in_place, mean_rows_masked, normalize_l2,
    normalize_l2_in_place, softmax_rows, softmax_rows_in_place, AttentionShape,
};

pub use backend::Backend;
pub use error::Error;
// Matrix multiply and f16.
pub use f16::{f16_to_f32, f32_to_f16};
pub use gemm::{Element, Layout, Mat, MatMut, PackedB, PackedElement, Rhs};

/// Unwraps a `checked` result, panicking with the error's message.
#[inline]
#[track_caller]
fn ok<T>(r: Result<T, Error>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => fail(e),
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn fail(e: Error) -> ! {
    panic!("{e}")
}

// ---- reductions ----

/// Sum of `a`; 0 for an empty slice.
pub fn sum(a: &[f32]) -> f32 {
    Backend::current().sum(a)
}

/// Arithmetic mean of `a`; NaN for an empty slice (as NumPy).
pub fn mean(a: &[f32]) -> f32 {
    Backend::current().mean(a)
}

/// Sum of absolute values.
pub fn norm_l1(a: &[f32]) -> f32 {
    Backend::current().norm_l1(a)
}

/// Euclidean length, `sqrt(sum(a[i]^2))`, with the sum of squares in `f64`
/// across blocks. Squares are formed in `f32`, so elements beyond about
/// 1.8e19 in magnitude overflow to `inf` (as in NumPy's `float32` norm).
pub fn norm_l2(a: &[f32]) -> f32 {
    Backend::current().norm_l2(a)
}

/// Dot product.
///
/// # Panics
///
/// If `a.len() != b.len()`.
// Inlined (with `checked::dot` and `Backend::dot`) so the caller makes the dispatch's
// indirect call itself: one call level less, which is ~2% of `dot` at 1K.
#[inline]
#[track_caller]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    ok(checked::dot(a, b))
}

/// Largest element; `None` for an empty slice; NaN if any element is NaN.
pub fn max(a: &[f32]) -> Option<f32> {
    Backend::current().max(a)
}

/// Smallest element; `None` for an empty slice; NaN if any element is NaN.
pub fn min(a: &[f32]) -> Option<f32> {
    Backend::current().min(a)
}

/// Index of the first largest element, or of the first NaN if there is one;
/// `None` for an empty slice.
pub fn argmax(a: &[f32]) -> Option<usize> {
    Backend::current().argmax(a)
}

/// Index of the first smallest element, or of the first NaN if there is one;
/// `None` for an empty slice.
pub fn argmin(a: &[f32]) -> Option<usize> {
    Backend::current().argmin(a)
}

// ---- similarity ----

/// Cosine similarity `a.b / (|a| |b|)`, computed in one pass with `f64`
/// block sums. NaN if either vector is all zeros (0/0), as SciPy.
///
/// # Panics
///
/// If `a.len() != b.len()`.
#[track_caller]
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    ok(checked::cosine(a, b))
}

/// Euclidean distance `|a - b|`.
///
/// # Panics
///
/// If `a.len() != b.len()`.
#[track_caller]
pub fn euclidean(a: &[f32], b: &[f32]) -> f32 {
    ok(checked::euclidean(a, b))
}

/// Squared Euclidean distance `|a - b|^2`.
///
/// # Panics
///
/// If `a.len() != b.len()`.
#[track_caller]
pub fn euclidean_sq(a: &[f32], b: &[f32]) -> f32 {
    ok(checked::euclidean_sq(a, b))
}

// ---- element-wise ----

/// `out[i] = a[i] + b[i]`.
///
/// # Panics
///
/// If `a`, `b` and `out` do not all have the same length.
#[track_caller]
pub fn add(a: &[f32], b: &[f32], out: &mut [f32]) {
    ok(checked::add(a, b, out))
}

/// `out[i] = a[i] - b[i]`.
///
/// # Panics
///
/// If `a`, `b` and `out` do not all have the same length.
#[track_caller]
pub fn sub(a: &[f32], b: &[f32], out: &mut [f32]) {
    ok(checked::sub(a, b, out))
}

/// `out[i] = a[i] * b[i]`.
///
/// # Panics
///
/// If `a`, `b` and `out` do not all have the same length.
#[track_caller]
pub fn mul(a: &[f32], b: &[f32], out: &mut [f32]) {
    ok(checked::mul(a, b, out))
}

/// `out[i] = a[i] / b[i]` (IEEE: division by zero gives ±inf or NaN).
///
/// # Panics
///
/// If `a`, `b` and `out` do not all have the same length.
#[track_caller]
pub fn div(a: &[f32], b: &[f32], out: &mut [f32]) {
    ok(checked::div(a, b, out))
}

/// `out[i] = a[i] * s`.
///
/// # Panics
///
/// If `a.len() != out.len()`.
#[track_caller]
pub fn scale(a: &[f32], s: f32, out: &mut [f32]) {
    ok(checked::scale(a, s, out))
}

/// `y[i] += alpha * x[i]` (fused multiply-add where the CPU has FMA).
///
/// # Panics
///
/// If `x.len() != y.len()`.
#[track_caller]
pub fn axpy(alpha: f32, x: &[f32], y: &mut [f32]) {
    ok(checked::axpy(alpha, x, y))
}

/// `out[i] = a[i] * b[i] + c[i]`, rounded once where the CPU has FMA
/// (AVX2, AVX-512, NEON) and twice otherwise (SSE2, scalar).
///
/// # Panics
///
/// If `a`, `b`, `c` and `out` do not all have the same length.
#[track_caller]
pub fn fma(a: &[f32], b: &[f32], c: &[f32], out: &mut [f32]) {
    ok(checked::fma(a, b, c, out))
}

/// `out[i] = min(max(a[i], lo), hi)` as NumPy's `clip`: NaN elements stay
/// NaN; if `lo > hi` every element becomes `hi`; a NaN bound is ignored.
///
/// # Panics
///
/// If `a.len() != out.len()`.
#[track_caller]
pub fn clamp(a: &[f32], lo: f32, hi: f32, out: &mut [f32]) {
    ok(checked::clamp(a, lo, hi, out))
}

/// `out[i] = |a[i]|`.
///
/// # Panics
///
/// If `a.len() != out.len()`.
#[track_caller]
pub fn abs(a: &[f32], out: &mut [f32]) {
    ok(checked::abs(a, out))
}

// ---- activations ----

/// `out[i] = max(a[i], 0)`, exact; NaN stays NaN.
///
/// # Panics
///
/// If `a.len() != out.len()`.
#[track_caller]
pub fn relu(a: &[f32], out: &mut [f32]) {
    ok(checked::relu(a, out))
}

/// `out[i] = e^a[i]`.
///
/// Relative error at most 1e-6 (measured: a few `f32` ulps) for
/// `-86.9 <= x <= 88.72`. Below -86.9 the result is `+0.0` (the true value is
/// below 1.9e-38, so the absolute error is too); above 88.72 it is `+inf`
/// (the true value overflows `f32`); NaN stays NaN.
///
/// # Panics
///
/// If `a.len() != out.len()`.
#[track_caller]
pub fn exp(a: &[f32], out: &mut [f32]) {
    ok(checked::exp(a, out))
}

/// `out[i] = 1 / (1 + e^-a[i])`.
///
/// Relative error at most 1e-6 for `x >= -86.9`; below, the result is
/// smaller than 1.9e-38 (absolute error below that too), and 0 for
/// `x < -88.72`. NaN stays NaN.
///
/// # Panics
///
/// If `a.len() != out.len()`.
#[track_caller]
pub fn sigmoid(a: &[f32], out: &mut [f32]) {
    ok(checked::sigmoid(a, out))
}

/// `out[i] = tanh(a[i])`: odd Taylor series below |x| = 0.4, `(1 - e)/(1 + e)`
/// with `e = e^(-2|x|)` above. Relative error at most 1e-6 for every finite
/// `x`; ±inf gives ±1, NaN stays NaN.
///
/// # Panics
///
/// If `a.len() != out.len()`.
#[track_caller]
pub fn tanh(a: &[f32], out: &mut [f32]) {
    ok(checked::tanh(a, out))
}

/// GELU, tanh form (as GPT-2 and PyTorch's `approximate="tanh"`):
/// `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`, computed as
/// `x * sigmoid(2u)` to avoid cancellation for negative `x`.
///
/// Relative error at most 1e-6 for `x >= -3` (measured against the same
/// formula in `f64`). Below -3 the result is a small negative number
/// (|gelu_tanh(-3)| < 0.004) whose relative error grows with `|x|`, because the
/// rounding of the `f32` inner polynomial is amplified by `|2u|`; its
/// absolute error stays below 1e-8. `-inf` gives NaN (as PyTorch), `+inf`
/// gives `+inf`.
///
/// # Panics
///
/// If `a.len() != out.len()`.
#[track_caller]
pub fn gelu_tanh(a: &[f32], out: &mut [f32]) {
    ok(checked::gelu_tanh(a, out))
}

/// Numerically stable softmax: `out[i] = e^(a[i] - max) / sum_j e^(a[j] - max)`,
/// with the sum in `f64`. Relative error at most 1e-6 for every output of
/// at least 1.2e-38 (a normal `f32`); smaller outputs may flush to 0. An
/// empty input is a no-op; NaN or +inf anywhere makes every output NaN.
///
/// # Panics
///
/// If `a.len() != out.len()`.
#[track_caller]
pub fn softmax(a: &[f32], out: &mut [f32]) {
    ok(checked::softmax(a, out))
}

// ---- dense layer ----

/// Matrix-vector product for a row-major `rows x cols` matrix:
/// `out[r] = dot(m[r*cols .. (r+1)*cols], x)`, each row as accurate as
/// [`dot`].
///
/// # Panics
///
/// If `m.len() != rows * cols`, `x.len() != cols` or `out.len() != rows`.
#[track_caller]
pub fn matvec(m: &[f32], rows: usize, cols: usize, x: &[f32], out: &mut [f32]) {
    ok(checked::matvec(m, rows, cols, x, out))
}

/// Matrix multiply `C = A · B + bias`: A is `m × k` (`f32`), B is `k × n` in
/// any of the forms of [`Rhs`] (`f32` or f16, stored `k × n` or transposed
/// `n × k`, or packed once with [`PackedB`]), C is `m × n`; `bias`, if given,
/// has `n` elements and is added to every row of C. Every matrix is a row-major
/// view with its own row stride ([`Mat::strided`], [`MatMut::strided`]), so
/// column slices of wider matrices are used in place.
///
/// `k = 0` sets C to the bias (or zeros); `m = 0` or `n = 0` does nothing.
///
/// # Accuracy
///
/// Each element is a sum of `k` products accumulated in `f32` with fused
/// multiply-adds (SSE2 and scalar: multiply, then add), in order of `p`:
/// `|C - exact| <= k * 2^-23 * sum_p |A[i][p] B[p][j]|` (plus the bias's
/// rounding, `2^-24 |C|`). f16 B is converted to `f32` exactly first, so the
/// bound is the same, against the f16 values. NaN and infinities propagate
/// as in IEEE arithmetic.
///
/// # Panics
///
/// If a view does not fit its slice or the shapes disagree (`a.cols() != k`,
/// `c` not `m × n`, `bias.len() != n`); the message names both sizes.
/// [`checked::gemm`] returns the [`Error`] instead.
///
/// ```
/// use rayo_kernels::{gemm, Layout, Mat, MatMut, Rhs};
/// // x (2 x 3) times W^T, W a Linear weight of 2 outputs x 3 inputs (n x k).
/// let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
/// let w = [1.0, 0.0, 1.0, 0.0, 1.0, 0.0];
/// let mut y = [0.0; 4];
/// let b = Rhs::F32(Mat::new(&w, 2, 3), Layout::NxK);
/// gemm(Mat::new(&x, 2, 3), b, Some(&[0.5, -0.5]), MatMut::new(&mut y, 2, 2));
/// assert_eq!(y, [4.5, 1.5, 10.5, 4.5]);
/// ```
#[track_caller]
pub fn gemm(a: Mat<'_>, b: Rhs<'_>, bias: Option<&[f32]>, c: MatMut<'_>) {
    ok(gemm::gemm_active(a, b, bias, c, false))
}

/// [`gemm`] that adds to C: `C += A · B + bias`. Same shapes, accuracy (with
/// the old C's rounding added) and panics.
#[track_caller]
pub fn gemm_accumulate(a: Mat<'_>, b: Rhs<'_>, bias: Option<&[f32]>, c: MatMut<'_>) {
    ok(gemm::gemm_active(a, b, bias, c, true))
}

/// `dst[i] = f16_to_f32(src[i])`, exactly (see [`f16`]), with the CPU's
/// conversion instruction where it has one.
///
/// # Panics
///
/// If `src.len() != dst.len()`.
#[track_caller]
pub fn f16_to_f32_slice(src: &[u16], dst: &mut [f32]) {
    ok(checked::f16_to_f32_slice(src, dst))
}

/// `dst[i] = f32_to_f16(src[i])` (round to nearest even; see [`f16`]). For
/// weight conversion on the host: plain scalar code.
///
/// # Panics
///
/// If `src.len() != dst.len()`.
#[track_caller]
pub fn f32_to_f16_slice(src: &[f32], dst: &mut [u16]) {
    ok(checked::f32_to_f16_slice(src, dst))
}

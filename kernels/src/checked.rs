//! The same operations without panics: a length mismatch is an
//! [`Error`] value. For callers whose shapes come from outside (a request
//! body, say) and who want to answer with the error instead of aborting.
//!
//! Each function checks exactly the preconditions its panicking twin in the
//! crate root documents, then runs the same kernel on the active backend.

use crate::{Backend, Error};
// Matrix multiply and f16.
use crate::{Mat, MatMut, Rhs};

/// [`crate::dot`] without the panic.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> Result<f32, Error> {
    Backend::current().dot(a, b)
}
/// [`crate::cosine`] without the panic.
pub fn cosine(a: &[f32], b: &[f32]) -> Result<f32, Error> {
    Backend::current().cosine(a, b)
}
/// [`crate::euclidean`] without the panic.
pub fn euclidean(a: &[f32], b: &[f32]) -> Result<f32, Error> {
    Backend::current().euclidean(a, b)
}
/// [`crate::euclidean_sq`] without the panic.
pub fn euclidean_sq(a: &[f32], b: &[f32]) -> Result<f32, Error> {
    Backend::current().euclidean_sq(a, b)
}
/// [`crate::add`] without the panic.
pub fn add(a: &[f32], b: &[f32], out: &mut [f32]) -> Result<(), Error> {
    Backend::current().add(a, b, out)
}
/// [`crate::sub`] without the panic.
pub fn sub(a: &[f32], b: &[f32], out: &mut [f32]) -> Result<(), Error> {
    Backend::current().sub(a, b, out)
}
/// [`crate::mul`] without the panic.
pub fn mul(a: &[f32], b: &[f32], out: &mut [f32]) -> Result<(), Error> {
    Backend::current().mul(a, b, out)
}
/// [`crate::div`] without the panic.
pub fn div(a: &[f32], b: &[f32], out: &mut [f32]) -> Result<(), Error> {
    Backend::current().div(a, b, out)
}
/// [`crate::scale`] without the panic.
pub fn scale(a: &[f32], s: f32, out: &mut [f32]) -> Result<(), Error> {
    Backend::current().scale(a, s, out)
}
/// [`crate::axpy`] without the panic.
pub fn axpy(alpha: f32, x: &[f32], y: &mut [f32]) -> Result<(), Error> {
    Backend::current().axpy(alpha, x, y)
}
/// [`crate::fma`] without the panic.
pub fn fma(a: &[f32], b: &[f32], c: &[f32], out: &mut [f32]) -> Result<(), Error> {
    Backend::current().fma(a, b, c, out)
}
/// [`crate::clamp`] without the panic.
pub fn clamp(a: &[f32], lo: f32, hi: f32, out: &mut [f32]) -> Result<(), Error> {
    Backend::current().clamp(a, lo, hi, out)
}
/// [`crate::abs`] without the panic.
pub fn abs(a: &[f32], out: &mut [f32]) -> Result<(), Error> {
    Backend::current().abs(a, out)
}
/// [`crate::relu`] without the panic.
pub fn relu(a: &[f32], out: &mut [f32]) -> Result<(), Error> {
    Backend::current().relu(a, out)
}
/// [`crate::sigmoid`] without the panic.
pub fn sigmoid(a: &[f32], out: &mut [f32]) -> Result<(), Error> {
    Backend::current().sigmoid(a, out)
}
/// [`crate::tanh`] without the panic.
pub fn tanh(a: &[f32], out: &mut [f32]) -> Result<(), Error> {
    Backend::current().tanh(a, out)
}
/// [`crate::gelu_tanh`] without the panic.
pub fn gelu_tanh(a: &[f32], out: &mut [f32]) -> Result<(), Error> {
    Backend::current().gelu_tanh(a, out)
}
/// [`crate::exp`] without the panic.
pub fn exp(a: &[f32], out: &mut [f32]) -> Result<(), Error> {
    Backend::current().exp(a, out)
}
/// [`crate::softmax`] without the panic.
pub fn softmax(a: &[f32], out: &mut [f32]) -> Result<(), Error> {
    Backend::current().softmax(a, out)
}
/// [`crate::matvec`] without the panic.
pub fn matvec(
    m: &[f32],
    rows: usize,
    cols: usize,
    x: &[f32],
    out: &mut [f32],
) -> Result<(), Error> {
    Backend::current().matvec(m, rows, cols, x, out)
}

// The transformer ops.
pub use crate::nn::checked::{
    add_bias, attention, gelu, layer_norm, layer_norm_in_place, mean_rows_masked, normalize_l2,
    normalize_l2_in_place, softmax_rows, softmax_rows_in_place,
};
/// [`crate::gemm`] without the panic.
pub fn gemm(a: Mat<'_>, b: Rhs<'_>, bias: Option<&[f32]>, c: MatMut<'_>) -> Result<(), Error> {
    crate::gemm::gemm_active(a, b, bias, c, false)
}
/// [`crate::gemm_accumulate`] without the panic.
pub fn gemm_accumulate(
    a: Mat<'_>,
    b: Rhs<'_>,
    bias: Option<&[f32]>,
    c: MatMut<'_>,
) -> Result<(), Error> {
    crate::gemm::gemm_active(a, b, bias, c, true)
}
/// [`crate::f16_to_f32_slice`] without the panic.
pub fn f16_to_f32_slice(src: &[u16], dst: &mut [f32]) -> Result<(), Error> {
    crate::gemm::f16_slice_active(src, dst)
}
/// [`crate::f32_to_f16_slice`] without the panic.
pub fn f32_to_f16_slice(src: &[f32], dst: &mut [u16]) -> Result<(), Error> {
    if src.len() != dst.len() {
        return Err(Error::LengthMismatch {
            op: "f32_to_f16_slice",
            left: "src.len()",
            left_len: src.len(),
            right: "dst.len()",
            right_len: dst.len(),
        });
    }
    for (d, s) in dst.iter_mut().zip(src) {
        *d = crate::f16::f32_to_f16(*s);
    }
    Ok(())
}

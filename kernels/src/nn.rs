//! The ops a transformer encoder (BERT, all-MiniLM-L6-v2) spends its non-gemm time in:
//! exact GELU, layer norm, row softmax, bias rows, masked mean pooling, L2 normalisation,
//! and one sequence's multi-head attention.
//!
//! Matrices are row-major `f32` slices; the row length is an argument (`cols`) or the length
//! of a per-column vector (`gamma`, `bias`), and the row count follows from the slice
//! length, which must be a whole number of rows. Each op is dispatched on its own (see
//! `nn_dispatch.rs`), so a binary links only the ops it calls.

use crate::backend::same;
use crate::generic_nn::{self as n, AttnRaw};
use crate::nn_dispatch as d;
use crate::{ok, Backend, Error};

// ---- shape checks ----------------------------------------------------------------------

/// Rows of a `len`-element matrix with rows of `cols`; an empty matrix has 0 rows whatever
/// `cols` is.
fn rows_of(
    op: &'static str,
    l: &'static str,
    len: usize,
    r: &'static str,
    cols: usize,
) -> Result<usize, Error> {
    if len == 0 {
        return Ok(0);
    }
    if cols == 0 || !len.is_multiple_of(cols) {
        return Err(Error::NotWholeRows {
            op,
            left: l,
            left_len: len,
            right: r,
            right_len: cols,
        });
    }
    Ok(len / cols)
}

// ---- the kernels, given the backend's function -----------------------------------------

fn gelu_with(f: d::gelu::F, a: &[f32], out: &mut [f32]) -> Result<(), Error> {
    same("gelu", "a.len()", a.len(), "out.len()", out.len())?;
    // SAFETY: both slices have `a.len()` elements; `out` is a unique borrow.
    unsafe { f(a.as_ptr(), out.as_mut_ptr(), a.len()) };
    Ok(())
}

/// `x` is `out` when `x` is null (in place).
fn layer_norm_with(
    f: d::layer_norm::F,
    x: Option<&[f32]>,
    gamma: &[f32],
    beta: &[f32],
    eps: f32,
    out: &mut [f32],
) -> Result<(), Error> {
    let op = "layer_norm";
    same(op, "beta.len()", beta.len(), "gamma.len()", gamma.len())?;
    let (xp, xl) = match x {
        Some(x) => {
            same(op, "out.len()", out.len(), "x.len()", x.len())?;
            (x.as_ptr(), x.len())
        }
        None => (out.as_ptr(), out.len()),
    };
    let rows = rows_of(op, "x.len()", xl, "gamma.len()", gamma.len())?;
    // SAFETY: `x`/`out` have `rows * cols` elements, `gamma`/`beta` `cols` (checked);
    // `out` either is `x` or a unique borrow disjoint from it.
    unsafe {
        f(
            xp,
            rows,
            gamma.len(),
            gamma.as_ptr(),
            beta.as_ptr(),
            eps,
            out.as_mut_ptr(),
        )
    };
    Ok(())
}

/// A row-wise op `f(x, rows, cols, out)`; in place when `x` is `None`.
fn rowwise_with(
    op: &'static str,
    f: unsafe fn(*const f32, usize, usize, *mut f32),
    x: Option<&[f32]>,
    cols: usize,
    out: &mut [f32],
) -> Result<(), Error> {
    let (xp, xl) = match x {
        Some(x) => {
            same(op, "out.len()", out.len(), "x.len()", x.len())?;
            (x.as_ptr(), x.len())
        }
        None => (out.as_ptr(), out.len()),
    };
    let rows = rows_of(op, "x.len()", xl, "cols", cols)?;
    // SAFETY: both have `rows * cols` elements (checked); `out` is `x` or disjoint from it.
    unsafe { f(xp, rows, cols, out.as_mut_ptr()) };
    Ok(())
}

fn add_bias_with(f: d::add_bias::F, x: &mut [f32], bias: &[f32]) -> Result<(), Error> {
    let rows = rows_of("add_bias", "x.len()", x.len(), "bias.len()", bias.len())?;
    // SAFETY: `x` has `rows * cols` elements, `bias` `cols` (checked); `x` is unique.
    unsafe { f(x.as_mut_ptr(), rows, bias.len(), bias.as_ptr()) };
    Ok(())
}

fn mean_rows_masked_with(
    f: d::mean_rows_masked::F,
    x: &[f32],
    keep: &[bool],
    out: &mut [f32],
) -> Result<(), Error> {
    let op = "mean_rows_masked";
    let rows = keep.len();
    let need = rows.checked_mul(out.len());
    if need != Some(x.len()) {
        return Err(
            match rows_of(op, "x.len()", x.len(), "out.len()", out.len()) {
                Err(e) => e,
                Ok(r) => Error::LengthMismatch {
                    op,
                    left: "keep.len()",
                    left_len: rows,
                    right: "x.len() / out.len()",
                    right_len: r,
                },
            },
        );
    }
    // SAFETY: `x` has `rows * cols` elements, `keep` `rows`, `out` `cols` (checked).
    unsafe { f(x.as_ptr(), rows, out.len(), keep.as_ptr(), out.as_mut_ptr()) };
    Ok(())
}

fn attention_with(
    f: d::attention::F,
    s: &AttentionShape,
    q: &[f32],
    k: &[f32],
    v: &[f32],
    out: &mut [f32],
    scratch: &mut [f32],
) -> Result<(), Error> {
    let op = "attention";
    let too_small = |what, value, need, rule| Error::TooSmall {
        op,
        what,
        value,
        need,
        rule,
    };
    let hidden = s.heads.checked_mul(s.head_dim).ok_or(too_small(
        "heads * head_dim",
        usize::MAX,
        usize::MAX,
        "it overflows usize",
    ))?;
    let spans: [(&'static str, &'static str, usize, usize, &'static str); 4] = [
        (
            "q.len()",
            "q_stride",
            q.len(),
            s.q_stride,
            "(tokens - 1) * q_stride + heads * head_dim",
        ),
        (
            "k.len()",
            "k_stride",
            k.len(),
            s.k_stride,
            "(tokens - 1) * k_stride + heads * head_dim",
        ),
        (
            "v.len()",
            "v_stride",
            v.len(),
            s.v_stride,
            "(tokens - 1) * v_stride + heads * head_dim",
        ),
        (
            "out.len()",
            "out_stride",
            out.len(),
            s.out_stride,
            "(tokens - 1) * out_stride + heads * head_dim",
        ),
    ];
    for (what, stride_name, len, stride, rule) in spans {
        if stride < hidden {
            return Err(too_small(stride_name, stride, hidden, "heads * head_dim"));
        }
        if s.tokens > 0 {
            let need = (s.tokens - 1)
                .checked_mul(stride)
                .and_then(|x| x.checked_add(hidden))
                .unwrap_or(usize::MAX);
            if len < need {
                return Err(too_small(what, len, need, rule));
            }
        }
    }
    let need = s.scratch_len();
    if scratch.len() < need {
        return Err(too_small(
            "scratch.len()",
            scratch.len(),
            need,
            "AttentionShape::scratch_len",
        ));
    }
    let raw = AttnRaw {
        q: q.as_ptr(),
        k: k.as_ptr(),
        v: v.as_ptr(),
        out: out.as_mut_ptr(),
        q_stride: s.q_stride,
        k_stride: s.k_stride,
        v_stride: s.v_stride,
        out_stride: s.out_stride,
        tokens: s.tokens,
        heads: s.heads,
        head_dim: s.head_dim,
        scratch: scratch.as_mut_ptr(),
    };
    // SAFETY: every row the kernel reads or writes lies inside its slice (checked above:
    // row t of head h spans `t * stride + h * head_dim ..+ head_dim`, below the checked
    // length); scratch is long enough; `out` and `scratch` are unique borrows.
    unsafe { f(&raw) };
    Ok(())
}

// ---- the public API --------------------------------------------------------------------

/// The shape of one sequence's attention: `tokens` rows, each holding `heads` heads of
/// `head_dim` values side by side (`hidden = heads * head_dim` values; all-MiniLM-L6-v2:
/// 12 x 32 = 384), and the distance in elements from one row to the next in each of Q, K,
/// V and the output. [`AttentionShape::new`] packs every row (`stride = hidden`); a fused
/// QKV projection (`tokens x 3*hidden`) is [`AttentionShape::with_qkv_stride`]`(3 * hidden)`
/// with `q = &qkv[..]`, `k = &qkv[hidden..]`, `v = &qkv[2 * hidden..]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttentionShape {
    /// Tokens in the sequence (rows of Q, K, V and the output).
    pub tokens: usize,
    /// Attention heads.
    pub heads: usize,
    /// Values per head.
    pub head_dim: usize,
    /// Elements from one row of Q to the next (at least `heads * head_dim`).
    pub q_stride: usize,
    /// ... of K.
    pub k_stride: usize,
    /// ... of V.
    pub v_stride: usize,
    /// ... of the output.
    pub out_stride: usize,
}

impl AttentionShape {
    /// Every row packed: all strides `heads * head_dim` (saturating on overflow, which
    /// [`attention`] then rejects).
    pub const fn new(tokens: usize, heads: usize, head_dim: usize) -> AttentionShape {
        let hidden = heads.saturating_mul(head_dim);
        AttentionShape {
            tokens,
            heads,
            head_dim,
            q_stride: hidden,
            k_stride: hidden,
            v_stride: hidden,
            out_stride: hidden,
        }
    }

    /// The same shape with Q, K and V rows `stride` apart (a fused QKV projection:
    /// `3 * hidden`).
    pub const fn with_qkv_stride(self, stride: usize) -> AttentionShape {
        AttentionShape {
            q_stride: stride,
            k_stride: stride,
            v_stride: stride,
            ..self
        }
    }

    /// Elements of `scratch` [`attention`] needs: `(head_dim + 8) * tokens'`, `tokens'` the
    /// token count rounded up to a multiple of 16 (the same for every backend);
    /// `usize::MAX` if that overflows.
    pub const fn scratch_len(&self) -> usize {
        match n::scratch_len(self.tokens, self.head_dim) {
            Some(x) => x,
            None => usize::MAX,
        }
    }
}

/// GELU, exact (erf) form, as BERT's `"gelu"` and PyTorch's default:
/// `out[i] = x Phi(x) = 0.5 x (1 + erf(x / sqrt 2))`.
///
/// Relative error at most 1e-6 for every `x >= -13` (worst measured: see the crate
/// README); `Phi(-|x|)` comes from one polynomial in `1 / (1 + 0.3|x|)` times an exponential
/// whose argument is formed exactly, so there is no cancellation for negative `x`. Below
/// about -13.03 the result is `-0.0` (the true value is above -5e-38, so the absolute
/// error is below that). `+inf` gives `+inf`, `-inf` gives NaN (`-inf * 0`, as PyTorch),
/// NaN stays NaN. The tanh approximation is [`crate::gelu_tanh`].
///
/// # Panics
///
/// If `a.len() != out.len()`.
#[track_caller]
pub fn gelu(a: &[f32], out: &mut [f32]) {
    ok(checked::gelu(a, out))
}

/// Layer normalisation of each row of `x` (rows of `gamma.len()`), as PyTorch's
/// `LayerNorm` (biased variance): `out = (x - mean) / sqrt(var + eps) * gamma + beta`.
///
/// The mean and variance are accumulated in `f64` across short `f32` blocks, the variance
/// by the corrected two-pass formula around the rounded mean (see the README for the error
/// bound). An empty `x` is a no-op. NaN or infinity in a row makes that row NaN.
///
/// # Panics
///
/// If `beta.len() != gamma.len()`, `out.len() != x.len()`, or `x.len()` is not a whole
/// number of rows.
#[track_caller]
pub fn layer_norm(x: &[f32], gamma: &[f32], beta: &[f32], eps: f32, out: &mut [f32]) {
    ok(checked::layer_norm(x, gamma, beta, eps, out))
}

/// [`layer_norm`] writing over `x`.
///
/// # Panics
///
/// If `beta.len() != gamma.len()` or `x.len()` is not a whole number of rows.
#[track_caller]
pub fn layer_norm_in_place(x: &mut [f32], gamma: &[f32], beta: &[f32], eps: f32) {
    ok(checked::layer_norm_in_place(x, gamma, beta, eps))
}

/// [`crate::softmax`] of each row of `x` (rows of `cols`), with the same accuracy. A row
/// of only `-inf` (fully masked) becomes zeros, not NaN (PyTorch gives NaN there); NaN or
/// `+inf` in a row makes that row NaN. An empty `x` is a no-op.
///
/// # Panics
///
/// If `out.len() != x.len()` or `x.len()` is not a whole number of rows.
#[track_caller]
pub fn softmax_rows(x: &[f32], cols: usize, out: &mut [f32]) {
    ok(checked::softmax_rows(x, cols, out))
}

/// [`softmax_rows`] writing over `x`.
///
/// # Panics
///
/// If `x.len()` is not a whole number of rows.
#[track_caller]
pub fn softmax_rows_in_place(x: &mut [f32], cols: usize) {
    ok(checked::softmax_rows_in_place(x, cols))
}

/// `x[r][c] += bias[c]` for every row `r` of `x` (rows of `bias.len()`), exactly rounded.
///
/// # Panics
///
/// If `x.len()` is not a whole number of rows.
#[track_caller]
pub fn add_bias(x: &mut [f32], bias: &[f32]) {
    ok(checked::add_bias(x, bias))
}

/// Mean of the rows of `x` whose `keep` entry is `true` (sentence-transformers' mean
/// pooling over the attention mask): `x` has `keep.len()` rows of `out.len()`, and
/// `out[c] = sum of x[r][c] over kept r / number kept`. With no row kept (or no rows),
/// `out` is all zeros, as sentence-transformers' clamped count gives. Each column's sum is
/// compensated (within ~2 `f32` ulps of the exact mean); NaN in a kept row propagates.
///
/// # Panics
///
/// If `x.len() != keep.len() * out.len()`.
#[track_caller]
pub fn mean_rows_masked(x: &[f32], keep: &[bool], out: &mut [f32]) {
    ok(checked::mean_rows_masked(x, keep, out))
}

/// Each row of `x` (rows of `cols`) divided by its Euclidean length, as PyTorch's
/// `F.normalize(x, dim=-1)`: `out = x / max(|x|, 1e-12)`, so a zero row stays zero. The
/// norm is that of [`crate::norm_l2`] (squares overflow beyond ~1.8e19 in magnitude; the
/// row then becomes 0, NaN where it holds an infinity); the division is a multiplication by
/// the `f32`-rounded reciprocal (at most 1.5 ulps from the quotient).
///
/// # Panics
///
/// If `out.len() != x.len()` or `x.len()` is not a whole number of rows.
#[track_caller]
pub fn normalize_l2(x: &[f32], cols: usize, out: &mut [f32]) {
    ok(checked::normalize_l2(x, cols, out))
}

/// [`normalize_l2`] writing over `x`.
///
/// # Panics
///
/// If `x.len()` is not a whole number of rows.
#[track_caller]
pub fn normalize_l2_in_place(x: &mut [f32], cols: usize) {
    ok(checked::normalize_l2_in_place(x, cols))
}

/// Multi-head self-attention for one sequence: for every head `h`,
/// `out_h = softmax(Q_h K_h^T / sqrt(head_dim)) V_h`, where `X_h` is the `tokens x head_dim`
/// block of columns `h * head_dim ..` of `X` (see [`AttentionShape`] for the layout). No
/// mask: pass the sequence at its own length. `scratch` holds at least
/// [`AttentionShape::scratch_len`] elements (its contents are overwritten; nothing is kept
/// between calls). The softmax is [`softmax_rows`]'s: NaN in Q, K or V reaches every row it
/// enters, a `+inf` score makes its row NaN and a `-inf` one gets weight 0. Accuracy: see
/// the crate README (a bound from the inputs' magnitudes).
///
/// # Panics
///
/// If a stride is below `heads * head_dim`, a slice is shorter than its rows need
/// (`(tokens - 1) * stride + heads * head_dim`), or `scratch` is too short.
#[track_caller]
pub fn attention(
    shape: &AttentionShape,
    q: &[f32],
    k: &[f32],
    v: &[f32],
    out: &mut [f32],
    scratch: &mut [f32],
) {
    ok(checked::attention(shape, q, k, v, out, scratch))
}

/// The transformer ops without panics (re-exported by [`crate::checked`]).
pub(crate) mod checked {
    use super::*;

    /// [`crate::gelu`] without the panic.
    pub fn gelu(a: &[f32], out: &mut [f32]) -> Result<(), Error> {
        gelu_with(d::gelu::active(), a, out)
    }
    /// [`crate::layer_norm`] without the panic.
    pub fn layer_norm(
        x: &[f32],
        gamma: &[f32],
        beta: &[f32],
        eps: f32,
        out: &mut [f32],
    ) -> Result<(), Error> {
        layer_norm_with(d::layer_norm::active(), Some(x), gamma, beta, eps, out)
    }
    /// [`crate::layer_norm_in_place`] without the panic.
    pub fn layer_norm_in_place(
        x: &mut [f32],
        gamma: &[f32],
        beta: &[f32],
        eps: f32,
    ) -> Result<(), Error> {
        layer_norm_with(d::layer_norm::active(), None, gamma, beta, eps, x)
    }
    /// [`crate::softmax_rows`] without the panic.
    pub fn softmax_rows(x: &[f32], cols: usize, out: &mut [f32]) -> Result<(), Error> {
        rowwise_with(
            "softmax_rows",
            d::softmax_rows::active(),
            Some(x),
            cols,
            out,
        )
    }
    /// [`crate::softmax_rows_in_place`] without the panic.
    pub fn softmax_rows_in_place(x: &mut [f32], cols: usize) -> Result<(), Error> {
        rowwise_with("softmax_rows", d::softmax_rows::active(), None, cols, x)
    }
    /// [`crate::add_bias`] without the panic.
    pub fn add_bias(x: &mut [f32], bias: &[f32]) -> Result<(), Error> {
        add_bias_with(d::add_bias::active(), x, bias)
    }
    /// [`crate::mean_rows_masked`] without the panic.
    pub fn mean_rows_masked(x: &[f32], keep: &[bool], out: &mut [f32]) -> Result<(), Error> {
        mean_rows_masked_with(d::mean_rows_masked::active(), x, keep, out)
    }
    /// [`crate::normalize_l2`] without the panic.
    pub fn normalize_l2(x: &[f32], cols: usize, out: &mut [f32]) -> Result<(), Error> {
        rowwise_with(
            "normalize_l2",
            d::normalize_l2::active(),
            Some(x),
            cols,
            out,
        )
    }
    /// [`crate::normalize_l2_in_place`] without the panic.
    pub fn normalize_l2_in_place(x: &mut [f32], cols: usize) -> Result<(), Error> {
        rowwise_with("normalize_l2", d::normalize_l2::active(), None, cols, x)
    }
    /// [`crate::attention`] without the panic.
    pub fn attention(
        shape: &AttentionShape,
        q: &[f32],
        k: &[f32],
        v: &[f32],
        out: &mut [f32],
        scratch: &mut [f32],
    ) -> Result<(), Error> {
        attention_with(d::attention::active(), shape, q, k, v, out, scratch)
    }
}

/// The transformer ops on a chosen backend (tests and benches compare them all). Each
/// finds its kernel by the backend's name; the free functions use their own dispatch.
impl Backend {
    /// See [`crate::gelu`].
    pub fn gelu(self, a: &[f32], out: &mut [f32]) -> Result<(), Error> {
        gelu_with(pick(d::gelu::by_name(self.name()), d::gelu::active), a, out)
    }
    /// See [`crate::layer_norm`].
    pub fn layer_norm(
        self,
        x: &[f32],
        gamma: &[f32],
        beta: &[f32],
        eps: f32,
        out: &mut [f32],
    ) -> Result<(), Error> {
        let f = pick(d::layer_norm::by_name(self.name()), d::layer_norm::active);
        layer_norm_with(f, Some(x), gamma, beta, eps, out)
    }
    /// See [`crate::layer_norm_in_place`].
    pub fn layer_norm_in_place(
        self,
        x: &mut [f32],
        gamma: &[f32],
        beta: &[f32],
        eps: f32,
    ) -> Result<(), Error> {
        let f = pick(d::layer_norm::by_name(self.name()), d::layer_norm::active);
        layer_norm_with(f, None, gamma, beta, eps, x)
    }
    /// See [`crate::softmax_rows`].
    pub fn softmax_rows(self, x: &[f32], cols: usize, out: &mut [f32]) -> Result<(), Error> {
        let f = pick(
            d::softmax_rows::by_name(self.name()),
            d::softmax_rows::active,
        );
        rowwise_with("softmax_rows", f, Some(x), cols, out)
    }
    /// See [`crate::softmax_rows_in_place`].
    pub fn softmax_rows_in_place(self, x: &mut [f32], cols: usize) -> Result<(), Error> {
        let f = pick(
            d::softmax_rows::by_name(self.name()),
            d::softmax_rows::active,
        );
        rowwise_with("softmax_rows", f, None, cols, x)
    }
    /// See [`crate::add_bias`].
    pub fn add_bias(self, x: &mut [f32], bias: &[f32]) -> Result<(), Error> {
        add_bias_with(
            pick(d::add_bias::by_name(self.name()), d::add_bias::active),
            x,
            bias,
        )
    }
    /// See [`crate::mean_rows_masked`].
    pub fn mean_rows_masked(self, x: &[f32], keep: &[bool], out: &mut [f32]) -> Result<(), Error> {
        let f = pick(
            d::mean_rows_masked::by_name(self.name()),
            d::mean_rows_masked::active,
        );
        mean_rows_masked_with(f, x, keep, out)
    }
    /// See [`crate::normalize_l2`].
    pub fn normalize_l2(self, x: &[f32], cols: usize, out: &mut [f32]) -> Result<(), Error> {
        let f = pick(
            d::normalize_l2::by_name(self.name()),
            d::normalize_l2::active,
        );
        rowwise_with("normalize_l2", f, Some(x), cols, out)
    }
    /// See [`crate::normalize_l2_in_place`].
    pub fn normalize_l2_in_place(self, x: &mut [f32], cols: usize) -> Result<(), Error> {
        let f = pick(
            d::normalize_l2::by_name(self.name()),
            d::normalize_l2::active,
        );
        rowwise_with("normalize_l2", f, None, cols, x)
    }
    /// See [`crate::attention`].
    pub fn attention(
        self,
        shape: &AttentionShape,
        q: &[f32],
        k: &[f32],
        v: &[f32],
        out: &mut [f32],
        scratch: &mut [f32],
    ) -> Result<(), Error> {
        let f = pick(d::attention::by_name(self.name()), d::attention::active);
        attention_with(f, shape, q, k, v, out, scratch)
    }
}

/// The named backend's kernel; every `Backend` has one (the op lists mirror the backend
/// list), and the active kernel stands in if that ever stops being true.
fn pick<F>(named: Option<F>, active: fn() -> F) -> F {
    named.unwrap_or_else(active)
}

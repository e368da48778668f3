//! The scalar reference for the transformer ops: plain loops, sums in `f64`. Used where no
//! SIMD backend is compiled in, and as the oracle the SIMD backends are tested against.
//! `gelu` and the exponentials run the same approximation as the SIMD backends, through
//! the one-lane `f32` vector (there is no `f64` `exp` without std).

use crate::backend::sqrt;
use crate::generic as g;
use crate::generic_nn::{self as n, AttnRaw};

// SAFETY (all functions below): callers uphold the contract of `crate::generic_nn`.

pub(crate) unsafe fn gelu(a: *const f32, out: *mut f32, len: usize) {
    n::gelu::<f32>(a, out, len)
}

pub(crate) unsafe fn layer_norm(
    x: *const f32,
    rows: usize,
    cols: usize,
    gamma: *const f32,
    beta: *const f32,
    eps: f32,
    out: *mut f32,
) {
    for r in 0..rows {
        let xr = x.add(r * cols);
        let mut s = 0.0f64;
        for c in 0..cols {
            s += *xr.add(c) as f64;
        }
        let mu = s / cols as f64;
        let mut v = 0.0f64;
        for c in 0..cols {
            let d = *xr.add(c) as f64 - mu;
            v += d * d;
        }
        let rstd = 1.0 / sqrt(v / cols as f64 + eps as f64);
        for c in 0..cols {
            let y = (*xr.add(c) as f64 - mu) * rstd * *gamma.add(c) as f64 + *beta.add(c) as f64;
            *out.add(r * cols + c) = y as f32;
        }
    }
}

pub(crate) unsafe fn softmax_rows(x: *const f32, rows: usize, cols: usize, out: *mut f32) {
    for r in 0..rows {
        let xr = x.add(r * cols);
        let o = out.add(r * cols);
        if cols == 0 {
            continue;
        }
        // NaN first, as the SIMD max does.
        let mut m = f32::NEG_INFINITY;
        let mut nan = false;
        for c in 0..cols {
            let v = *xr.add(c);
            nan |= v.is_nan();
            if v > m {
                m = v;
            }
        }
        if nan {
            m = f32::NAN;
        }
        if m == f32::NEG_INFINITY {
            for c in 0..cols {
                *o.add(c) = 0.0;
            }
            continue;
        }
        let total = g::exp_shift::<f32>(xr, m, o, cols);
        let inv = (1.0 / total) as f32;
        for c in 0..cols {
            *o.add(c) *= inv;
        }
    }
}

pub(crate) unsafe fn add_bias(x: *mut f32, rows: usize, cols: usize, bias: *const f32) {
    for r in 0..rows {
        for c in 0..cols {
            *x.add(r * cols + c) += *bias.add(c);
        }
    }
}

pub(crate) unsafe fn mean_rows_masked(
    x: *const f32,
    rows: usize,
    cols: usize,
    keep: *const bool,
    out: *mut f32,
) {
    let kept = (0..rows).filter(|&r| *keep.add(r)).count();
    for c in 0..cols {
        let mut s = 0.0f64;
        for r in 0..rows {
            if *keep.add(r) {
                s += *x.add(r * cols + c) as f64;
            }
        }
        *out.add(c) = (s / kept.max(1) as f64) as f32;
    }
}

pub(crate) unsafe fn normalize_l2(x: *const f32, rows: usize, cols: usize, out: *mut f32) {
    for r in 0..rows {
        let xr = x.add(r * cols);
        let mut ss = 0.0f64;
        for c in 0..cols {
            let v = *xr.add(c) as f64;
            ss += v * v;
        }
        let norm = sqrt(ss);
        let d = if norm < n::NORMALIZE_EPS {
            n::NORMALIZE_EPS
        } else {
            norm
        };
        for c in 0..cols {
            *out.add(r * cols + c) = (*xr.add(c) as f64 / d) as f32;
        }
    }
}

/// Row by row: the scores of one query in `f64`, rounded into the first scratch row, the
/// softmax numerators in place, then the weighted sum of `V` in `f64`.
pub(crate) unsafe fn attention(a: &AttnRaw) {
    let (t, hd) = (a.tokens, a.head_dim);
    let scale = 1.0 / sqrt(hd as f64);
    let p = a.scratch;
    for h in 0..a.heads {
        let col = h * hd;
        for i in 0..t {
            let q = a.q.add(i * a.q_stride + col);
            for j in 0..t {
                let k = a.k.add(j * a.k_stride + col);
                let mut s = 0.0f64;
                for d in 0..hd {
                    s += *q.add(d) as f64 * *k.add(d) as f64;
                }
                *p.add(j) = (s * scale) as f32;
            }
            let mut m = f32::NEG_INFINITY;
            for j in 0..t {
                let v = *p.add(j);
                m = if v.is_nan() || m.is_nan() {
                    f32::NAN
                } else if v > m {
                    v
                } else {
                    m
                };
            }
            let total = g::exp_shift::<f32>(p, m, p, t);
            for d in 0..hd {
                let mut s = 0.0f64;
                for j in 0..t {
                    s += *p.add(j) as f64 * *a.v.add(j * a.v_stride + col + d) as f64;
                }
                *a.out.add(i * a.out_stride + col + d) = (s / total) as f32;
            }
        }
    }
}

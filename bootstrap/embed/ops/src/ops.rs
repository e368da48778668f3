//! The encoder's numeric operations, in one adapter module over `rayo-kernels`' public API:
//! `gemm` (f16 or f32 weights read in place, the bias fused), `layer_norm`, the exact `gelu`,
//! `attention`, `mean_rows_masked`, `normalize_l2`, `f16_to_f32_slice`. Every op the
//! encoder calls is here with the signature it wants.
//!
//! Only the kernels' gemm table and the transformer ops' own dispatch pointers are called:
//! an op of the main backend table (`add`, `axpy`, ...) would link every op of every
//! backend into the bootstrap (+73 KB measured, bootstrap/embed/README.md), so the residual
//! add is a plain loop here.
//!
//! Shapes are the caller's contract (the encoder sizes everything from a validated model):
//! a mismatch is a bug and panics with both sizes, as `rayo-kernels` does.

use rayo_kernels::{AttentionShape, MatMut, Rhs};

/// A weight matrix in place in the weight file: row-major `rows x cols`.
#[derive(Clone, Copy, Debug)]
pub enum Mat<'a> {
    /// `f32` values.
    F32(&'a [f32]),
    /// IEEE half bit patterns.
    F16(&'a [u16]),
}

/// Embedding rows converted at a time (f16 tables).
const ROW_CHUNK: usize = 512;

impl Mat<'_> {
    /// Elements (`rows * cols`).
    pub fn len(&self) -> usize {
        match self {
            Mat::F32(w) => w.len(),
            Mat::F16(w) => w.len(),
        }
    }

    /// Whether the matrix has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `out += row r` (a row of `out.len()` elements).
    #[inline]
    pub fn add_row_to(&self, r: usize, out: &mut [f32]) {
        let n = out.len();
        match self {
            Mat::F32(w) => add_in_place(out, &w[r * n..(r + 1) * n]),
            Mat::F16(w) => {
                let mut buf = [0f32; ROW_CHUNK];
                for (o, h) in out
                    .chunks_mut(ROW_CHUNK)
                    .zip(w[r * n..(r + 1) * n].chunks(ROW_CHUNK))
                {
                    let b = &mut buf[..h.len()];
                    rayo_kernels::f16_to_f32_slice(h, b);
                    add_in_place(o, b);
                }
            }
        }
    }
}

/// `x += d`, element by element (the compiler vectorises it).
#[inline]
fn add_in_place(x: &mut [f32], d: &[f32]) {
    assert_eq!(x.len(), d.len(), "add: {} and {}", x.len(), d.len());
    for (v, d) in x.iter_mut().zip(d) {
        *v += d;
    }
}

/// A PyTorch `Linear` layer: `y = x Wᵀ + b`, `W` of `n` rows (outputs) by `k` columns.
#[derive(Clone, Copy, Debug)]
pub struct Linear<'a> {
    /// The weight as the gemm's B (`k x n`): `W` itself given as `n x k`
    /// (`Rhs::F32`/`Rhs::F16` with `Layout::NxK`), or packed panels (`Rhs::Packed`).
    pub w: Rhs<'a>,
    /// The bias, `n` values.
    pub b: &'a [f32],
    /// Outputs (rows of `W`).
    pub n: usize,
    /// Inputs (columns of `W`).
    pub k: usize,
}

/// Scratch the ops need besides their outputs; grows to the largest call, then is reused.
#[derive(Default)]
pub struct OpScratch {
    attention: Vec<f32>,
    keep: Vec<bool>,
}

/// `y (m x n) = x (m x k) · Wᵀ + b` for `lin`: `rayo_kernels::gemm` with the Linear
/// weight as B (f16 converted inside the kernel, f32 read in place), the bias added on the
/// way out.
pub fn linear(x: &[f32], m: usize, lin: &Linear, y: &mut [f32]) {
    let a = rayo_kernels::Mat::new(x, m, lin.k);
    rayo_kernels::gemm(a, lin.w, Some(lin.b), MatMut::new(y, m, lin.n));
}

/// Per row of `gamma.len()`: `x = LayerNorm(x + delta) * gamma + beta` (the residual add,
/// then `rayo_kernels::layer_norm_in_place`).
pub fn add_layer_norm(x: &mut [f32], delta: &[f32], gamma: &[f32], beta: &[f32], eps: f32) {
    add_in_place(x, delta);
    layer_norm(x, gamma, beta, eps);
}

/// Per row of `gamma.len()`: `(x - mean) / sqrt(var + eps) * gamma + beta`, the biased
/// variance, as torch's LayerNorm (`rayo_kernels::layer_norm_in_place`: f64 accumulation
/// across f32 blocks, the corrected two-pass variance).
pub fn layer_norm(x: &mut [f32], gamma: &[f32], beta: &[f32], eps: f32) {
    rayo_kernels::layer_norm_in_place(x, gamma, beta, eps);
}

/// BERT's exact GELU, `x Φ(x) = x (1 + erf(x/√2)) / 2`, from `x` into `out`
/// (`rayo_kernels::gelu`, relative error <= 1e-6).
pub fn gelu(x: &[f32], out: &mut [f32]) {
    rayo_kernels::gelu(x, out);
}

/// Self-attention of one sequence of `len` tokens. `qkv` holds one row of `3 * hidden` per
/// token, [Q | K | V], each `heads x head_dim`; `out` gets one row of `hidden` per token:
/// per head, `softmax(Q Kᵀ / √head_dim) V`. No mask: a sequence is never padded
/// (`rayo_kernels::attention` on the fused rows).
pub fn attention(
    qkv: &[f32],
    len: usize,
    heads: usize,
    head_dim: usize,
    out: &mut [f32],
    s: &mut OpScratch,
) {
    let hidden = heads * head_dim;
    let stride = 3 * hidden;
    assert_eq!(
        qkv.len(),
        len * stride,
        "attention: qkv {} for {len} tokens of {stride}",
        qkv.len()
    );
    assert_eq!(
        out.len(),
        len * hidden,
        "attention: out {} for {len} tokens of {hidden}",
        out.len()
    );
    if len == 0 {
        return;
    }
    let shape = AttentionShape::new(len, heads, head_dim).with_qkv_stride(stride);
    let need = shape.scratch_len();
    if s.attention.len() < need {
        s.attention.resize(need, 0.0);
    }
    rayo_kernels::attention(
        &shape,
        qkv,
        &qkv[hidden..],
        &qkv[2 * hidden..],
        out,
        &mut s.attention[..need],
    );
}

/// `out = mean of the rows of x` (`rows x out.len()`): `rayo_kernels::mean_rows_masked`
/// with every row kept (sequences are never padded).
pub fn mean_rows(x: &[f32], out: &mut [f32], s: &mut OpScratch) {
    let cols = out.len();
    assert_eq!(
        x.len() % cols,
        0,
        "mean_rows: x {} is not rows of {cols}",
        x.len()
    );
    let rows = x.len() / cols;
    if s.keep.len() < rows {
        s.keep.resize(rows, true);
    }
    rayo_kernels::mean_rows_masked(x, &s.keep[..rows], out);
}

/// `x /= max(‖x‖₂, 1e-12)`, as torch.nn.functional.normalize
/// (`rayo_kernels::normalize_l2_in_place`, one row).
pub fn normalize_l2(x: &mut [f32]) {
    let cols = x.len();
    if cols > 0 {
        rayo_kernels::normalize_l2_in_place(x, cols);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::half::f32_to_f16;
    use rayo_kernels::{Layout, PackedB};

    fn rand(n: usize, seed: u64) -> Vec<f32> {
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                ((x >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
            })
            .collect()
    }

    /// The definition in f64: `y[i][j] = Σ_p x[i][p] w[j][p] + b[j]`.
    fn linear_f64(x: &[f32], m: usize, k: usize, w: &[f32], b: &[f32]) -> Vec<f64> {
        let n = b.len();
        let mut y = vec![0f64; m * n];
        for i in 0..m {
            for j in 0..n {
                let mut s = f64::from(b[j]);
                for p in 0..k {
                    s += f64::from(x[i * k + p]) * f64::from(w[j * k + p]);
                }
                y[i * n + j] = s;
            }
        }
        y
    }

    #[test]
    fn linear_matches_the_definition_for_every_small_shape_dtype_and_layout() {
        for m in 1..=9 {
            for n in [1, 3, 4, 5, 8, 63, 64, 65, 130] {
                for k in [1, 3, 4, 7, 8, 9, 33] {
                    let x = rand(m * k, (m * 1000 + n * 10 + k) as u64);
                    let w = rand(n * k, 7 + k as u64);
                    let b = rand(n, 11);
                    let h: Vec<u16> = w.iter().map(|&v| f32_to_f16(v)).collect();
                    let wh: Vec<f32> = h.iter().map(|&v| crate::half::f16_to_f32(v)).collect();
                    let len = PackedB::len(k, n).unwrap();
                    let (mut p32, mut p16) = (vec![0f32; len + 15], vec![0u16; len + 31]);
                    let (o32, o16) = (
                        &mut PackedB::aligned_mut(&mut p32)[..len],
                        &mut PackedB::aligned_mut(&mut p16)[..len],
                    );
                    let wm = rayo_kernels::Mat::new(&w, n, k);
                    let hm = rayo_kernels::Mat::new(&h, n, k);
                    let weights = [
                        (Rhs::F32(wm, Layout::NxK), &w),
                        (Rhs::F16(hm, Layout::NxK), &wh),
                        (PackedB::pack(wm, Layout::NxK, o32).unwrap().into(), &w),
                        (PackedB::pack(hm, Layout::NxK, o16).unwrap().into(), &wh),
                    ];
                    for (rhs, wref) in weights {
                        let lin = Linear {
                            w: rhs,
                            b: &b,
                            n,
                            k,
                        };
                        let mut y = vec![f32::NAN; m * n];
                        linear(&x, m, &lin, &mut y);
                        let want = linear_f64(&x, m, k, wref, &b);
                        for (i, (&g, &r)) in y.iter().zip(&want).enumerate() {
                            // |error| <= k * 2^-23 * Σ|x||w| (+ the bias): every |value| <= 1.
                            let bound = (k as f64 + 1.0) * 2f64.powi(-23) * (k as f64 + 1.0);
                            assert!(
                                (f64::from(g) - r).abs() <= bound,
                                "m{m} n{n} k{k} [{i}]: {g} vs {r}"
                            );
                        }
                    }
                }
            }
        }
    }

    /// erfc from its definition, independent of the fit: the Maclaurin series of erf below
    /// 3, a continued fraction above.
    fn erfc_ref(z: f64) -> f64 {
        if z < 3.0 {
            let mut term = z;
            let mut sum = z;
            for n in 1..200 {
                term *= -z * z / n as f64;
                sum += term / (2 * n + 1) as f64;
                if term.abs() < 1e-20 {
                    break;
                }
            }
            1.0 - sum * 2.0 / std::f64::consts::PI.sqrt()
        } else {
            // erfc(z) = exp(-z²)/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + ...)))).
            let mut f = z;
            for n in (1..100).rev() {
                f = z + (n as f64 / 2.0) / f;
            }
            (-z * z).exp() / std::f64::consts::PI.sqrt() / f
        }
    }

    #[test]
    fn gelu_is_exact_erf_gelu_to_f32_precision() {
        let xs: Vec<f32> = (-2000..=2000)
            .map(|i| i as f32 / 100.0)
            .chain([0.0, -0.0, 1e-30, -1e-30, 50.0, -50.0])
            .collect();
        let mut got = vec![f32::NAN; xs.len()];
        gelu(&xs, &mut got);
        for (&x, &g) in xs.iter().zip(&got) {
            let x64 = f64::from(x);
            let z = x64 * std::f64::consts::FRAC_1_SQRT_2;
            let want = if z >= 0.0 {
                x64 * (1.0 - 0.5 * erfc_ref(z))
            } else {
                0.5 * x64 * erfc_ref(-z)
            };
            let err = (f64::from(g) - want).abs();
            // The kernel's stated bound: relative 1e-6, or absolute 1e-37 below x = -13.
            assert!(
                err <= 1e-6 * want.abs() + 1e-37,
                "gelu({x}) = {g}, want {want}"
            );
        }
    }

    #[test]
    fn layer_norm_mean_normalize_match_their_definitions() {
        let cols = 7;
        let x = rand(3 * cols, 5);
        let g = rand(cols, 6);
        let b = rand(cols, 8);
        let mut y = x.clone();
        layer_norm(&mut y, &g, &b, 1e-5);
        for r in 0..3 {
            let row = &x[r * cols..(r + 1) * cols];
            let mean = row.iter().map(|&v| f64::from(v)).sum::<f64>() / cols as f64;
            let var = row
                .iter()
                .map(|&v| (f64::from(v) - mean).powi(2))
                .sum::<f64>()
                / cols as f64;
            for c in 0..cols {
                let want = (f64::from(row[c]) - mean) / (var + 1e-5).sqrt() * f64::from(g[c])
                    + f64::from(b[c]);
                assert!((f64::from(y[r * cols + c]) - want).abs() < 1e-5, "{r},{c}");
            }
        }
        let mut m = [0f32; 2];
        mean_rows(
            &[1.0, 2.0, 3.0, 5.0, 5.0, -1.0],
            &mut m,
            &mut OpScratch::default(),
        );
        assert_eq!(m, [3.0, 2.0]);
        let mut v = [3.0f32, 4.0];
        normalize_l2(&mut v);
        assert_eq!(v, [0.6, 0.8]);
        let mut z = [0f32; 3];
        normalize_l2(&mut z);
        assert_eq!(z, [0.0; 3]);
    }

    #[test]
    fn attention_matches_the_definition() {
        let (len, heads, hd) = (5, 3, 4);
        let hidden = heads * hd;
        let qkv = rand(len * 3 * hidden, 9);
        let mut out = vec![0f32; len * hidden];
        let mut s = OpScratch::default();
        attention(&qkv, len, heads, hd, &mut out, &mut s);
        let at = |t: usize, part: usize, h: usize, d: usize| {
            f64::from(qkv[t * 3 * hidden + part * hidden + h * hd + d])
        };
        for h in 0..heads {
            for i in 0..len {
                let sc: Vec<f64> = (0..len)
                    .map(|j| {
                        (0..hd)
                            .map(|d| at(i, 0, h, d) * at(j, 1, h, d))
                            .sum::<f64>()
                            / (hd as f64).sqrt()
                    })
                    .collect();
                let mx = sc.iter().cloned().fold(f64::MIN, f64::max);
                let e: Vec<f64> = sc.iter().map(|v| (v - mx).exp()).collect();
                let z: f64 = e.iter().sum();
                for d in 0..hd {
                    let want: f64 = (0..len).map(|j| e[j] / z * at(j, 2, h, d)).sum();
                    let got = f64::from(out[i * hidden + h * hd + d]);
                    assert!(
                        (got - want).abs() < 1e-6,
                        "head {h} token {i} dim {d}: {got} vs {want}"
                    );
                }
            }
        }
    }
}

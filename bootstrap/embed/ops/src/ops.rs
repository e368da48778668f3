//! The encoder's numeric operations, in one adapter module: plain reference implementations
//! today (safe Rust, blocked so that the compiler vectorises them for the baseline target),
//! the `rayo-kernels` gemm and transformer ops next. Every op the encoder calls is
//! here with the signature it wants, so that switch is this file alone.
//!
//! Shapes are the caller's contract (the encoder sizes everything from a validated model):
//! a mismatch is a bug and panics with both sizes, as `rayo-kernels` does.

use crate::half::f16_to_f32_slice;

/// A weight matrix in place in the weight file: row-major `rows x cols`.
#[derive(Clone, Copy, Debug)]
pub enum Mat<'a> {
    /// `f32` values.
    F32(&'a [f32]),
    /// IEEE half bit patterns.
    F16(&'a [u16]),
}

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
            Mat::F32(w) => {
                for (o, &v) in out.iter_mut().zip(&w[r * n..(r + 1) * n]) {
                    *o += v;
                }
            }
            Mat::F16(w) => {
                for (o, &v) in out.iter_mut().zip(&w[r * n..(r + 1) * n]) {
                    *o += crate::half::f16_to_f32(v);
                }
            }
        }
    }
}

/// A PyTorch `Linear` layer: `y = x Wᵀ + b`, `W` of `n` rows (outputs) by `k` columns.
#[derive(Clone, Copy, Debug)]
pub struct Linear<'a> {
    /// The weight, `n x k`.
    pub w: Mat<'a>,
    /// The bias, `n` values.
    pub b: &'a [f32],
    /// Outputs (rows of `W`).
    pub n: usize,
    /// Inputs (columns of `W`).
    pub k: usize,
}

/// Rows of `W` converted (f16) or read (f32) at a time: 64 x 1536 f32 = 384 KiB, inside L2.
const PANEL: usize = 64;

/// Scratch the ops need besides their outputs; grows to the largest call, then is reused.
#[derive(Default)]
pub struct OpScratch {
    panel: Vec<f32>,
    scores: Vec<f32>,
}

/// `y (m x n) = x (m x k) · Wᵀ + b` for `lin` (kernel wanted: gemm with B = Wᵀ, i.e. B
/// given n x k, f32 or f16, bias added to every row; `rayo_kernels::gemm_bt[_f16]`).
pub fn linear(x: &[f32], m: usize, lin: &Linear, y: &mut [f32], s: &mut OpScratch) {
    let (n, k) = (lin.n, lin.k);
    assert_eq!(
        x.len(),
        m * k,
        "linear: x has {} elements, m*k = {m}*{k}",
        x.len()
    );
    assert_eq!(
        y.len(),
        m * n,
        "linear: y has {} elements, m*n = {m}*{n}",
        y.len()
    );
    assert_eq!(
        lin.w.len(),
        n * k,
        "linear: W has {} elements, n*k = {n}*{k}",
        lin.w.len()
    );
    assert_eq!(
        lin.b.len(),
        n,
        "linear: bias has {} elements, n = {n}",
        lin.b.len()
    );
    for j0 in (0..n).step_by(PANEL) {
        let nb = PANEL.min(n - j0);
        let w: &[f32] = match lin.w {
            Mat::F32(w) => &w[j0 * k..(j0 + nb) * k],
            Mat::F16(h) => {
                if s.panel.len() < nb * k {
                    s.panel.resize(nb * k, 0.0);
                }
                f16_to_f32_slice(&h[j0 * k..(j0 + nb) * k], &mut s.panel[..nb * k]);
                &s.panel[..nb * k]
            }
        };
        panel_product(x, m, k, w, nb, &lin.b[j0..j0 + nb], y, n, j0);
    }
}

/// `y[:, j0..j0+nb] = x · wᵀ + bias` for a panel `w` of `nb` rows.
#[allow(clippy::too_many_arguments)]
fn panel_product(
    x: &[f32],
    m: usize,
    k: usize,
    w: &[f32],
    nb: usize,
    bias: &[f32],
    y: &mut [f32],
    n: usize,
    j0: usize,
) {
    let row = |i: usize| &x[i * k..(i + 1) * k];
    let wrow = |j: usize| &w[j * k..(j + 1) * k];
    let mut i = 0;
    while i + 4 <= m {
        let xs = [row(i), row(i + 1), row(i + 2), row(i + 3)];
        let mut j = 0;
        while j + 4 <= nb {
            let t = tile4x4(xs, [wrow(j), wrow(j + 1), wrow(j + 2), wrow(j + 3)]);
            for (r, tr) in t.iter().enumerate() {
                for (c, v) in tr.iter().enumerate() {
                    y[(i + r) * n + j0 + j + c] = v + bias[j + c];
                }
            }
            j += 4;
        }
        for j in j..nb {
            for (r, xr) in xs.iter().enumerate() {
                y[(i + r) * n + j0 + j] = dot(xr, wrow(j)) + bias[j];
            }
        }
        i += 4;
    }
    for i in i..m {
        for j in 0..nb {
            y[i * n + j0 + j] = dot(row(i), wrow(j)) + bias[j];
        }
    }
}

/// Sixteen dot products of four rows of `x` with four rows of `W`, four lanes each: the
/// lanes are independent sums, so the compiler keeps them in SIMD registers.
#[inline(always)]
fn tile4x4(xs: [&[f32]; 4], ws: [&[f32]; 4]) -> [[f32; 4]; 4] {
    let k = xs[0].len();
    let q = k / 4;
    let xc = xs.map(|r| r.as_chunks::<4>().0);
    let wc = ws.map(|r| r.as_chunks::<4>().0);
    for c in xc.iter().chain(wc.iter()) {
        assert_eq!(c.len(), q);
    }
    let mut acc = [[[0f32; 4]; 4]; 4];
    for p in 0..q {
        let a = [xc[0][p], xc[1][p], xc[2][p], xc[3][p]];
        let b = [wc[0][p], wc[1][p], wc[2][p], wc[3][p]];
        for r in 0..4 {
            for c in 0..4 {
                for l in 0..4 {
                    acc[r][c][l] += a[r][l] * b[c][l];
                }
            }
        }
    }
    let mut out = [[0f32; 4]; 4];
    for r in 0..4 {
        for c in 0..4 {
            let lanes = acc[r][c];
            let mut v = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
            for t in q * 4..k {
                v += xs[r][t] * ws[c][t];
            }
            out[r][c] = v;
        }
    }
    out
}

/// `Σ a[i] b[i]` in eight lanes.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "dot: lengths {} and {}", a.len(), b.len());
    let (ac, at) = a.as_chunks::<8>();
    let (bc, bt) = b.as_chunks::<8>();
    let mut acc = [0f32; 8];
    for (x, y) in ac.iter().zip(bc) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    let mut v = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (x, y) in at.iter().zip(bt) {
        v += x * y;
    }
    v
}

/// Per row of `cols`: `x = LayerNorm(x + delta) * gamma + beta` (the residual and the norm
/// in one pass; kernel wanted: `add` then `layer_norm`, or a fused `add_layer_norm`).
pub fn add_layer_norm(x: &mut [f32], delta: &[f32], gamma: &[f32], beta: &[f32], eps: f32) {
    assert_eq!(
        x.len(),
        delta.len(),
        "add_layer_norm: x {} and delta {}",
        x.len(),
        delta.len()
    );
    for (v, d) in x.iter_mut().zip(delta) {
        *v += d;
    }
    layer_norm(x, gamma, beta, eps);
}

/// Per row of `gamma.len()`: `(x - mean) / sqrt(var + eps) * gamma + beta`, the biased
/// variance, as torch's LayerNorm. Mean and variance accumulate in f64.
pub fn layer_norm(x: &mut [f32], gamma: &[f32], beta: &[f32], eps: f32) {
    let cols = gamma.len();
    assert_eq!(
        beta.len(),
        cols,
        "layer_norm: gamma {cols}, beta {}",
        beta.len()
    );
    assert_eq!(
        x.len() % cols,
        0,
        "layer_norm: x {} is not rows of {cols}",
        x.len()
    );
    for row in x.chunks_exact_mut(cols) {
        let mean = row.iter().map(|&v| f64::from(v)).sum::<f64>() / cols as f64;
        let var = row
            .iter()
            .map(|&v| {
                let d = f64::from(v) - mean;
                d * d
            })
            .sum::<f64>()
            / cols as f64;
        let inv = 1.0 / (var + f64::from(eps)).sqrt();
        let (mean, inv) = (mean as f32, inv as f32);
        for ((v, g), b) in row.iter_mut().zip(gamma).zip(beta) {
            *v = (*v - mean) * inv * g + b;
        }
    }
}

/// `x += bias` per row (kernel: `add_bias`). Unused while gemm adds the bias itself.
#[allow(dead_code)]
pub fn add_bias(x: &mut [f32], bias: &[f32]) {
    for row in x.chunks_exact_mut(bias.len()) {
        for (v, b) in row.iter_mut().zip(bias) {
            *v += b;
        }
    }
}

/// erfc(z) for z >= 0 as `t · exp(-z² + P(t))`, `t = 1/(1 + z/2)`: P is a degree-10
/// polynomial fitted here (least squares on 200,001 points of [0, 10] against Python's
/// math.erfc), relative error below 3e-8 before rounding.
fn erfc_nonneg(z: f64) -> f64 {
    const P: [f64; 11] = [
        -1.265_570_671_390_889,
        1.001_627_312_194_394_6,
        0.355_314_303_780_671_6,
        0.219_751_829_462_228_5,
        -0.684_801_083_914_526_4,
        1.589_504_334_999_411_8,
        -3.407_514_881_247_886,
        4.065_587_104_477_919,
        -2.660_184_623_602_382_7,
        0.918_474_757_767_921_9,
        -0.132_188_358_296_403_07,
    ];
    let t = 1.0 / (1.0 + 0.5 * z);
    let mut p = P[10];
    for c in P[..10].iter().rev() {
        p = p * t + c;
    }
    t * (p - z * z).exp()
}

/// BERT's exact GELU, `x Φ(x) = x (1 + erf(x/√2)) / 2`, in place. Written through erfc of a
/// non-negative argument so that neither tail loses relative accuracy: `x (1 - erfc(z)/2)`
/// for x >= 0, `x erfc(-z)/2` below (kernel: `gelu` exact, erf form).
pub fn gelu(x: &mut [f32]) {
    const FRAC_1_SQRT_2: f64 = std::f64::consts::FRAC_1_SQRT_2;
    for v in x.iter_mut() {
        let x64 = f64::from(*v);
        let z = x64 * FRAC_1_SQRT_2;
        *v = if z >= 0.0 {
            // Past z = 6, erfc(z)/2 < 1e-17: gelu(x) is x in f32 (and exp would underflow).
            if z > 6.0 {
                *v
            } else {
                (x64 * (1.0 - 0.5 * erfc_nonneg(z))) as f32
            }
        } else if z < -27.0 {
            -0.0 // erfc(27) ~ 1e-319: the product is below f32's smallest subnormal
        } else {
            (0.5 * x64 * erfc_nonneg(-z)) as f32
        };
    }
}

/// Softmax of one row in place: `exp(x - max) / Σ` (kernel: `softmax_rows`).
pub fn softmax(x: &mut [f32]) {
    let max = x.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    let mut sum = 0f32;
    for v in x.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    let inv = 1.0 / sum;
    for v in x.iter_mut() {
        *v *= inv;
    }
}

/// Self-attention of one sequence of `len` tokens. `qkv` holds one row of `3 * hidden` per
/// token, [Q | K | V], each `heads x head_dim`; `out` gets one row of `hidden` per token:
/// per head, `softmax(Q Kᵀ / √head_dim) V`. No mask: a sequence is never padded
/// (kernel: `attention`).
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
    let scale = 1.0 / (head_dim as f32).sqrt();
    if s.scores.len() < len {
        s.scores.resize(len, 0.0);
    }
    let scores = &mut s.scores[..len];
    for h in 0..heads {
        let (q0, k0, v0) = (
            h * head_dim,
            hidden + h * head_dim,
            2 * hidden + h * head_dim,
        );
        for i in 0..len {
            let q = &qkv[i * stride + q0..i * stride + q0 + head_dim];
            for (j, sc) in scores.iter_mut().enumerate() {
                *sc = dot(q, &qkv[j * stride + k0..j * stride + k0 + head_dim]) * scale;
            }
            softmax(scores);
            let o = &mut out[i * hidden + q0..i * hidden + q0 + head_dim];
            o.fill(0.0);
            for (j, &p) in scores.iter().enumerate() {
                let v = &qkv[j * stride + v0..j * stride + v0 + head_dim];
                for (a, &b) in o.iter_mut().zip(v) {
                    *a += p * b;
                }
            }
        }
    }
}

/// `out = mean of the rows of x` (`rows x out.len()`), accumulated in f64 (kernel:
/// `mean_rows_masked`, with every row kept: sequences are never padded).
pub fn mean_rows(x: &[f32], out: &mut [f32]) {
    let cols = out.len();
    assert_eq!(
        x.len() % cols,
        0,
        "mean_rows: x {} is not rows of {cols}",
        x.len()
    );
    let rows = x.len() / cols;
    for (c, o) in out.iter_mut().enumerate() {
        let mut sum = 0f64;
        for r in 0..rows {
            sum += f64::from(x[r * cols + c]);
        }
        *o = (sum / rows as f64) as f32;
    }
}

/// `x /= max(‖x‖₂, 1e-12)`, as torch.nn.functional.normalize (kernel: `normalize_l2`).
pub fn normalize_l2(x: &mut [f32]) {
    let norm = x
        .iter()
        .map(|&v| f64::from(v) * f64::from(v))
        .sum::<f64>()
        .sqrt();
    let inv = (1.0 / norm.max(1e-12)) as f32;
    for v in x.iter_mut() {
        *v *= inv;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::half::f32_to_f16;

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
    fn linear_matches_the_definition_for_every_small_shape_and_both_dtypes() {
        let mut s = OpScratch::default();
        for m in 1..=9 {
            for n in [1, 3, 4, 5, 8, 63, 64, 65, 130] {
                for k in [1, 3, 4, 7, 8, 9, 33] {
                    let x = rand(m * k, (m * 1000 + n * 10 + k) as u64);
                    let w = rand(n * k, 7 + k as u64);
                    let b = rand(n, 11);
                    let h: Vec<u16> = w.iter().map(|&v| f32_to_f16(v)).collect();
                    let wh: Vec<f32> = h.iter().map(|&v| crate::half::f16_to_f32(v)).collect();
                    for (mat, wref) in [(Mat::F32(&w), &w), (Mat::F16(&h), &wh)] {
                        let lin = Linear {
                            w: mat,
                            b: &b,
                            n,
                            k,
                        };
                        let mut y = vec![f32::NAN; m * n];
                        linear(&x, m, &lin, &mut y, &mut s);
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
    fn erfc_fit_is_within_its_stated_relative_error() {
        let mut worst = 0f64;
        for i in 0..=20_000 {
            let z = i as f64 * 6.0 / 20_000.0;
            let rel = (erfc_nonneg(z) / erfc_ref(z) - 1.0).abs();
            worst = worst.max(rel);
        }
        assert!(worst < 5e-8, "worst relative error {worst:e}");
    }

    #[test]
    fn gelu_is_exact_erf_gelu_to_f32_precision() {
        let xs: Vec<f32> = (-2000..=2000)
            .map(|i| i as f32 / 100.0)
            .chain([0.0, -0.0, 1e-30, -1e-30, 50.0, -50.0])
            .collect();
        let mut got = xs.clone();
        gelu(&mut got);
        for (&x, &g) in xs.iter().zip(&got) {
            let x64 = f64::from(x);
            let z = x64 * std::f64::consts::FRAC_1_SQRT_2;
            let want = if z >= 0.0 {
                x64 * (1.0 - 0.5 * erfc_ref(z))
            } else {
                0.5 * x64 * erfc_ref(-z)
            };
            let err = (f64::from(g) - want).abs();
            // Relative 2e-7 (a little over one f32 rounding), or absolute 1e-37 near zero.
            assert!(
                err <= 2e-7 * want.abs() + 1e-37,
                "gelu({x}) = {g}, want {want}"
            );
        }
    }

    #[test]
    fn layer_norm_softmax_mean_normalize_match_their_definitions() {
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
        let mut s = vec![1.0f32, 2.0, 3.0, 1000.0, -1000.0];
        softmax(&mut s);
        let e: Vec<f64> = [1.0f64, 2.0, 3.0, 1000.0, -1000.0]
            .iter()
            .map(|v| (v - 1000.0).exp())
            .collect();
        let total: f64 = e.iter().sum();
        for (g, w) in s.iter().zip(&e) {
            assert!((f64::from(*g) - w / total).abs() < 1e-7);
        }
        let mut m = [0f32; 2];
        mean_rows(&[1.0, 2.0, 3.0, 5.0, 5.0, -1.0], &mut m);
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

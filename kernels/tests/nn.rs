//! The transformer ops on every backend, against independent `f64` references written here
//! (sharing no code with the crate; erf from the `libm` crate) with error bounds stated up
//! front, and against the scalar reference backend.
//!
//! `u = 2^-24` is the unit roundoff of `f32`. Bounds:
//! - `gelu`: relative error <= 1e-6 for x >= -13 (the documented range).
//! - `layer_norm`: |out - ref| <= u ((8 + k) |(x - mean) rstd gamma| + |beta| + |ref|) plus
//!   (2 + k) u mean|x - mean| rstd |gamma|, with k = cols/8: the deviation and the product
//!   are rounded a few times, the variance carries the `f32` lane sums' error (at most
//!   cols/8 terms per lane on any backend) at half weight, and the mean is known to the
//!   lane sums' error of the deviations.
//! - `softmax_rows`: relative 1e-6 for outputs >= 1.2e-38 (as `softmax`).
//! - `add_bias`: exact (one `f32` addition).
//! - `mean_rows_masked`: |out - ref| <= 2u |ref| + 2^-44 mean(|x|) (compensated sums).
//! - `normalize_l2`: relative (4 + cols/8) u (squares and lane sums in `f32`).
//! - `attention`: |out - ref| <= (2 ds_i + (tokens + 16) u) sum_j p_ij |v_jc|, where
//!   ds_i = max_j (head_dim + 2) u scale sum_d |q_id k_jd| bounds each score's error
//!   (the softmax turns score errors ds into relative errors of at most 2 ds in p).

mod common;

use common::{say, scalar, simd_backends, Rng};
use rayo_kernels::{AttentionShape, Backend};

const U: f64 = 1.0 / (1u64 << 24) as f64;

fn backends() -> Vec<Backend> {
    let mut v = simd_backends();
    v.push(scalar());
    v
}

fn randn(rng: &mut Rng, n: usize, lo: f32, hi: f32) -> Vec<f32> {
    (0..n).map(|_| rng.range(lo, hi)).collect()
}

/// The worst error seen, relative to the value and to the stated bound.
#[derive(Default)]
struct Worst {
    rel: f64,
    of_bound: f64,
}

impl Worst {
    fn see(&mut self, got: f64, want: f64, tol: f64) {
        let e = (got - want).abs();
        if want != 0.0 && want.is_finite() {
            self.rel = self.rel.max(e / want.abs());
        }
        if tol > 0.0 {
            self.of_bound = self.of_bound.max(e / tol);
        }
    }
    fn say(&self, b: Backend, op: &str) {
        say(&format!(
            "backend {:>6}: {op} worst relative error {:.2e}, worst error / bound {:.3}",
            b.name(),
            self.rel,
            self.of_bound
        ));
    }
}

// ---- gelu ----------------------------------------------------------------------------

fn gelu64(x: f64) -> f64 {
    // x * Phi(x); erfc for negative x keeps the reference free of cancellation.
    if x < 0.0 {
        0.5 * x * libm::erfc(-x / std::f64::consts::SQRT_2)
    } else {
        0.5 * x * (1.0 + libm::erf(x / std::f64::consts::SQRT_2))
    }
}

#[test]
fn gelu_relative_error_within_1e6_for_x_above_minus_13() {
    let mut rng = Rng::new(16);
    let mut xs: Vec<f32> = (0..=200_000)
        .map(|i| -13.0 + 33.0 * i as f32 / 200_000.0)
        .collect();
    xs.extend((0..100_000).map(|_| rng.range(-13.0, 20.0)));
    xs.extend((0..20_000).map(|_| rng.range(-1e-3, 1e-3)));
    xs.extend([-13.0, -0.0, 0.0, 1e-30, -1e-30, 1e-40, f32::MIN_POSITIVE]);
    for b in backends() {
        let mut out = vec![0.0; xs.len()];
        b.gelu(&xs, &mut out).unwrap();
        let mut worst = (0.0f64, 0.0f32);
        for (&x, &y) in xs.iter().zip(&out) {
            let r = gelu64(x as f64);
            let e = if r == 0.0 {
                (y as f64).abs()
            } else {
                (y as f64 - r).abs() / r.abs()
            };
            if e > worst.0 || e.is_nan() {
                worst = (e, x);
            }
        }
        say(&format!(
            "backend {:>6}: gelu (erf) max relative error {:.2e} (at x = {}) over [-13, 20]",
            b.name(),
            worst.0,
            worst.1
        ));
        assert!(worst.0 <= 1e-6, "{b:?} gelu: {:e} at {}", worst.0, worst.1);
    }
}

#[test]
fn gelu_outside_the_range_and_special_values() {
    let mut rng = Rng::new(17);
    let xs: Vec<f32> = (0..20_000).map(|_| rng.range(-200.0, -13.0)).collect();
    for b in backends() {
        let mut out = vec![0.0; xs.len()];
        b.gelu(&xs, &mut out).unwrap();
        for (&x, &y) in xs.iter().zip(&out) {
            let r = gelu64(x as f64);
            assert!(
                (y as f64 - r).abs() < 5e-38 && y <= 0.0,
                "{b:?} gelu({x}) = {y}, want {r:e}"
            );
        }
        let sp = [
            f32::NEG_INFINITY,
            f32::INFINITY,
            f32::NAN,
            -1e30,
            1e30,
            -14.0,
        ];
        let mut o = [0.0; 6];
        b.gelu(&sp, &mut o).unwrap();
        assert!(o[0].is_nan(), "{b:?} gelu(-inf) is NaN, as PyTorch");
        assert_eq!(o[1], f32::INFINITY, "{b:?}");
        assert!(o[2].is_nan(), "{b:?}");
        assert_eq!(o[3].to_bits(), (-0.0f32).to_bits(), "{b:?} gelu(-1e30)");
        assert_eq!(o[4], 1e30, "{b:?}");
        assert_eq!(o[5].to_bits(), (-0.0f32).to_bits(), "{b:?} gelu(-14)");
    }
}

#[test]
fn gelu_every_length_and_offset_matches_scalar() {
    let s = scalar();
    let mut rng = Rng::new(18);
    let buf = randn(&mut rng, 300, -6.0, 6.0);
    for b in simd_backends() {
        for n in 0..=70 {
            for off in 0..3 {
                let a = &buf[off..off + n];
                let (mut o1, mut o2) = (vec![0.0; n], vec![0.0; n]);
                b.gelu(a, &mut o1).unwrap();
                s.gelu(a, &mut o2).unwrap();
                for i in 0..n {
                    let tol = 2e-6 * (o2[i] as f64).abs() + 1e-37;
                    assert!(
                        ((o1[i] - o2[i]) as f64).abs() <= tol,
                        "{b:?} n {n} off {off} i {i}: {} vs {}",
                        o1[i],
                        o2[i]
                    );
                }
            }
        }
    }
}

// ---- layer_norm ----------------------------------------------------------------------

/// `(out, per-element bound)` in f64: two-pass mean and variance.
fn layer_norm64(x: &[f32], g: &[f32], b: &[f32], eps: f32) -> (Vec<f64>, Vec<f64>) {
    let cols = g.len();
    let mut out = Vec::new();
    let mut tol = Vec::new();
    for row in x.chunks(cols) {
        let mu = row.iter().map(|&v| v as f64).sum::<f64>() / cols as f64;
        let var = row.iter().map(|&v| (v as f64 - mu).powi(2)).sum::<f64>() / cols as f64;
        let rstd = 1.0 / (var + eps as f64).sqrt();
        // The mean is known to (cols/8 + 2) u of the mean deviation, not of |x - mean|.
        let dev = row.iter().map(|&v| (v as f64 - mu).abs()).sum::<f64>() / cols as f64;
        let k = 8.0 + cols as f64 / 8.0;
        for c in 0..cols {
            let t = (row[c] as f64 - mu) * rstd * g[c] as f64;
            let r = t + b[c] as f64;
            out.push(r);
            let mean_err = (k - 6.0) * U * dev * rstd * (g[c] as f64).abs();
            tol.push(U * (k * t.abs() + (b[c] as f64).abs() + r.abs()) + mean_err);
        }
    }
    (out, tol)
}

#[test]
fn layer_norm_against_f64_and_scalar() {
    let mut rng = Rng::new(19);
    let mut shapes: Vec<(usize, usize)> = (1..=70).map(|c| (3, c)).collect();
    shapes.extend([(2, 384), (1, 1536), (5, 128), (1, 1000)]);
    for b in backends() {
        let mut worst = Worst::default();
        for &(rows, cols) in &shapes {
            // An offset mean (BERT's hidden states have large outlier dimensions) makes the
            // variance's cancellation visible; a near-constant row makes eps matter.
            for (shift, spread) in [(0.0f32, 3.0f32), (100.0, 1.0), (-7.0, 1e-4)] {
                let x: Vec<f32> = randn(&mut rng, rows * cols, -spread, spread)
                    .into_iter()
                    .map(|v| v + shift)
                    .collect();
                let g = randn(&mut rng, cols, 0.5, 1.5);
                let be = randn(&mut rng, cols, -1.0, 1.0);
                for eps in [1e-12f32, 1e-5] {
                    let mut out = vec![f32::NAN; x.len()];
                    b.layer_norm(&x, &g, &be, eps, &mut out).unwrap();
                    let (r, tol) = layer_norm64(&x, &g, &be, eps);
                    for i in 0..x.len() {
                        worst.see(out[i] as f64, r[i], tol[i]);
                        assert!(
                            (out[i] as f64 - r[i]).abs() <= tol[i],
                            "{b:?} rows {rows} cols {cols} shift {shift} eps {eps} i {i}: {} vs {} (tol {:e})",
                            out[i],
                            r[i],
                            tol[i]
                        );
                    }
                    // On the same buffer: the sums' blocking follows its alignment.
                    let mut inp = x.clone();
                    let mut out2 = vec![0.0; x.len()];
                    b.layer_norm(&inp, &g, &be, eps, &mut out2).unwrap();
                    b.layer_norm_in_place(&mut inp, &g, &be, eps).unwrap();
                    assert_eq!(inp, out2, "{b:?} in place differs, cols {cols}");
                }
            }
        }
        worst.say(b, "layer_norm");
    }
}

#[test]
fn layer_norm_specials() {
    for b in backends() {
        let g = [1.0; 4];
        let be = [0.5; 4];
        let x = [1.0, f32::NAN, 2.0, 3.0, 5.0, 5.0, 5.0, 5.0];
        let mut out = [0.0; 8];
        b.layer_norm(&x, &g, &be, 1e-12, &mut out).unwrap();
        assert!(out[..4].iter().all(|v| v.is_nan()), "{b:?} NaN row");
        // A constant row: var 0, so (x - mean) * 1/sqrt(eps) = 0, out = beta.
        assert_eq!(&out[4..], &[0.5; 4], "{b:?} constant row");
        b.layer_norm(&[], &g, &be, 1e-5, &mut []).unwrap();
    }
}

// ---- softmax_rows --------------------------------------------------------------------

#[test]
fn softmax_rows_against_f64_masks_and_in_place() {
    let mut rng = Rng::new(20);
    for b in backends() {
        let mut worst = Worst::default();
        for cols in (1..=40).chain([128, 256, 300]) {
            let rows = 3;
            let mut x = randn(&mut rng, rows * cols, -20.0, 20.0);
            // Row 1 partly masked, row 2 fully masked.
            for c in 0..cols {
                if c % 3 == 1 {
                    x[cols + c] = f32::NEG_INFINITY;
                }
                x[2 * cols + c] = f32::NEG_INFINITY;
            }
            let mut out = vec![f32::NAN; x.len()];
            b.softmax_rows(&x, cols, &mut out).unwrap();
            for (r, (row, o)) in x.chunks(cols).zip(out.chunks(cols)).enumerate() {
                let m = row.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v as f64));
                if m == f64::NEG_INFINITY {
                    assert!(
                        o.iter().all(|&v| v == 0.0),
                        "{b:?} fully masked row -> zeros"
                    );
                    continue;
                }
                let total: f64 = row.iter().map(|&v| (v as f64 - m).exp()).sum();
                for (c, (&v, &y)) in row.iter().zip(o).enumerate() {
                    let want = (v as f64 - m).exp() / total;
                    let tol = if want >= 1.2e-38 {
                        1e-6 * want
                    } else {
                        1.2e-38
                    };
                    worst.see(y as f64, want, tol);
                    assert!(
                        (y as f64 - want).abs() <= tol,
                        "{b:?} cols {cols} row {r} col {c}: {y} vs {want:e}"
                    );
                }
            }
            let mut inp = x.clone();
            b.softmax_rows(&inp, cols, &mut out).unwrap();
            b.softmax_rows_in_place(&mut inp, cols).unwrap();
            assert_eq!(
                inp.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                out.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                "{b:?} in place, cols {cols}"
            );
        }
        worst.say(b, "softmax_rows");
        let mut o = [0.0; 3];
        b.softmax_rows(&[1.0, f32::NAN, 2.0], 3, &mut o).unwrap();
        assert!(o.iter().all(|v| v.is_nan()), "{b:?} NaN row");
        b.softmax_rows(&[1.0, f32::INFINITY, 2.0], 3, &mut o)
            .unwrap();
        assert!(o.iter().all(|v| v.is_nan()), "{b:?} +inf row");
        b.softmax_rows(&[], 0, &mut []).unwrap();
        b.softmax_rows(&[], 5, &mut []).unwrap();
    }
}

// ---- add_bias ------------------------------------------------------------------------

#[test]
fn add_bias_is_exact() {
    let mut rng = Rng::new(21);
    for b in backends() {
        for cols in (1..=40).chain([384, 1536]) {
            let x = randn(&mut rng, 3 * cols, -5.0, 5.0);
            let bias = randn(&mut rng, cols, -5.0, 5.0);
            let mut y = x.clone();
            b.add_bias(&mut y, &bias).unwrap();
            for i in 0..x.len() {
                assert_eq!(y[i], x[i] + bias[i % cols], "{b:?} cols {cols} i {i}");
            }
        }
    }
}

// ---- mean_rows_masked ----------------------------------------------------------------

#[test]
fn mean_rows_masked_against_f64() {
    let mut rng = Rng::new(22);
    for b in backends() {
        let mut worst = Worst::default();
        for (rows, cols) in [(1, 1), (3, 5), (7, 17), (128, 384), (256, 33), (40, 16)] {
            // Large values of both signs around a small mean: a plain f32 sum loses digits.
            let x: Vec<f32> = randn(&mut rng, rows * cols, -1e4, 1e4)
                .iter()
                .zip(randn(&mut rng, rows * cols, -1.0, 1.0))
                .map(|(a, c)| a + c)
                .collect();
            for pattern in 0..4 {
                let keep: Vec<bool> = (0..rows)
                    .map(|r| match pattern {
                        0 => true,
                        1 => r % 2 == 0,
                        2 => r < rows.div_ceil(3),
                        _ => false,
                    })
                    .collect();
                let mut out = vec![f32::NAN; cols];
                b.mean_rows_masked(&x, &keep, &mut out).unwrap();
                let kept = keep.iter().filter(|&&k| k).count();
                for c in 0..cols {
                    let (mut s, mut mag) = (0.0f64, 0.0f64);
                    for r in (0..rows).filter(|&r| keep[r]) {
                        s += x[r * cols + c] as f64;
                        mag += (x[r * cols + c] as f64).abs();
                    }
                    let (want, mag) = if kept == 0 {
                        (0.0, 0.0)
                    } else {
                        (s / kept as f64, mag / kept as f64)
                    };
                    let tol = 2.0 * U * want.abs() + mag * 2f64.powi(-44);
                    worst.see(out[c] as f64, want, tol);
                    assert!(
                        (out[c] as f64 - want).abs() <= tol,
                        "{b:?} rows {rows} cols {cols} pattern {pattern} col {c}: {} vs {want}",
                        out[c]
                    );
                }
            }
        }
        worst.say(b, "mean_rows_masked");
        let mut o = [1.0; 2];
        b.mean_rows_masked(&[], &[], &mut o).unwrap();
        assert_eq!(o, [0.0; 2], "{b:?} no rows -> zeros");
        b.mean_rows_masked(&[1.0, f32::NAN, 3.0, 4.0], &[true, true], &mut o)
            .unwrap();
        assert!(o[0] == 2.0 && o[1].is_nan(), "{b:?} NaN propagates: {o:?}");
        b.mean_rows_masked(&[1.0, f32::NAN, 3.0, 4.0], &[false, true], &mut o)
            .unwrap();
        assert_eq!(o, [3.0, 4.0], "{b:?} a masked-out NaN is ignored");
        b.mean_rows_masked(&[f32::INFINITY, 1.0, 1.0, 1.0], &[true, true], &mut o)
            .unwrap();
        assert_eq!(o, [f32::INFINITY, 1.0], "{b:?} inf stays inf");
    }
}

// ---- normalize_l2 --------------------------------------------------------------------

#[test]
fn normalize_l2_against_f64() {
    let mut rng = Rng::new(23);
    for b in backends() {
        let mut worst = Worst::default();
        for cols in (1..=40).chain([384, 1000]) {
            let mut x = randn(&mut rng, 4 * cols, -3.0, 3.0);
            x[cols..2 * cols].fill(0.0);
            for v in &mut x[2 * cols..3 * cols] {
                *v *= 1e-14; // norm below 1e-12: divided by 1e-12
            }
            let mut out = vec![f32::NAN; x.len()];
            b.normalize_l2(&x, cols, &mut out).unwrap();
            for (r, (row, o)) in x.chunks(cols).zip(out.chunks(cols)).enumerate() {
                let norm = row
                    .iter()
                    .map(|&v| (v as f64).powi(2))
                    .sum::<f64>()
                    .sqrt()
                    .max(1e-12);
                for c in 0..cols {
                    let want = row[c] as f64 / norm;
                    let tol = (4.0 + cols as f64 / 8.0) * U * want.abs() + 1e-38;
                    worst.see(o[c] as f64, want, tol);
                    assert!(
                        (o[c] as f64 - want).abs() <= tol,
                        "{b:?} cols {cols} row {r} col {c}: {} vs {want}",
                        o[c]
                    );
                }
            }
            assert!(out[cols..2 * cols].iter().all(|&v| v == 0.0), "zero row");
            let mut inp = x.clone();
            b.normalize_l2(&inp, cols, &mut out).unwrap();
            b.normalize_l2_in_place(&mut inp, cols).unwrap();
            assert_eq!(inp, out, "{b:?} in place, cols {cols}");
        }
        worst.say(b, "normalize_l2");
    }
}

// ---- attention -----------------------------------------------------------------------

/// `(out, bound)` in f64 for packed-or-strided inputs described by `s`.
#[allow(clippy::needless_range_loop)] // plain index loops: the reference should read like the formula
fn attention64(s: &AttentionShape, q: &[f32], k: &[f32], v: &[f32]) -> (Vec<f64>, Vec<f64>) {
    let (t, hd) = (s.tokens, s.head_dim);
    let scale = 1.0 / (hd as f64).sqrt();
    let mut out = vec![0.0; t * s.heads * hd];
    let mut tol = vec![0.0; t * s.heads * hd];
    for h in 0..s.heads {
        let at = |x: &[f32], st: usize, r: usize, d: usize| x[r * st + h * hd + d] as f64;
        for i in 0..t {
            let mut sc = vec![0.0f64; t];
            let mut ds = 0.0f64;
            for j in 0..t {
                let mut dot = 0.0;
                let mut mag = 0.0;
                for d in 0..hd {
                    let p = at(q, s.q_stride, i, d) * at(k, s.k_stride, j, d);
                    dot += p;
                    mag += p.abs();
                }
                sc[j] = dot * scale;
                ds = ds.max((hd as f64 + 2.0) * U * scale * mag);
            }
            let m = sc.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let e: Vec<f64> = sc.iter().map(|x| (x - m).exp()).collect();
            let total: f64 = e.iter().sum();
            for c in 0..hd {
                let (mut o, mut mag) = (0.0, 0.0);
                for j in 0..t {
                    let p = e[j] / total;
                    o += p * at(v, s.v_stride, j, c);
                    mag += p * at(v, s.v_stride, j, c).abs();
                }
                let idx = (i * s.heads + h) * hd + c;
                out[idx] = o;
                tol[idx] = (2.0 * ds + (t as f64 + 16.0) * U) * mag + 1e-30;
            }
        }
    }
    (out, tol)
}

/// Runs every backend in `bs` on one set of inputs (the f64 reference is computed once).
fn check_attention(bs: &[Backend], rng: &mut Rng, s: AttentionShape, fused: bool) {
    let hidden = s.heads * s.head_dim;
    let (t, hd) = (s.tokens, s.head_dim);
    // Inputs: one buffer for fused QKV, else three; strides from `s`.
    let span = |st: usize| (t.max(1) - 1) * st + hidden;
    let (qb, kb, vb);
    let (q, k, v): (&[f32], &[f32], &[f32]) = if fused {
        qb = randn(rng, span(s.q_stride) + 2 * hidden, -2.0, 2.0);
        (&qb[..], &qb[hidden..], &qb[2 * hidden..])
    } else {
        qb = randn(rng, span(s.q_stride), -2.0, 2.0);
        kb = randn(rng, span(s.k_stride), -2.0, 2.0);
        vb = randn(rng, span(s.v_stride), -2.0, 2.0);
        (&qb[..], &kb[..], &vb[..])
    };
    let (want, tol) = attention64(&s, q, k, v);
    for &b in bs {
        let mut out = vec![7.0f32; span(s.out_stride)];
        // Scratch starts as NaN: nothing may depend on what it held.
        let mut scratch = vec![f32::NAN; s.scratch_len()];
        b.attention(&s, q, k, v, &mut out, &mut scratch).unwrap();
        for i in 0..t {
            for c in 0..s.out_stride {
                let Some(&y) = out.get(i * s.out_stride + c) else {
                    break; // the last row ends at `hidden`
                };
                if c >= hidden {
                    assert_eq!(
                        y, 7.0,
                        "{b:?} {s:?}: stride padding written at row {i} col {c}"
                    );
                    continue;
                }
                let idx = i * hidden + c;
                WORST_ATTN.with(|w| {
                    let mut w = w.borrow_mut();
                    w.entry(b.name())
                        .or_default()
                        .see(y as f64, want[idx], tol[idx])
                });
                assert!(
                    (y as f64 - want[idx]).abs() <= tol[idx],
                    "{b:?} {s:?} fused {fused}: row {i} col {c}: {y} vs {} (tol {:e})",
                    want[idx],
                    tol[idx]
                );
            }
        }
    }
    let _ = hd;
}

thread_local! {
    /// Worst attention error of the backend being checked (tests run on their own threads).
    static WORST_ATTN: std::cell::RefCell<std::collections::BTreeMap<&'static str, Worst>> =
        std::cell::RefCell::default();
}

#[test]
fn attention_against_f64_every_small_shape() {
    let mut rng = Rng::new(24);
    let bs = backends();
    // Every remainder of the 4- and 8-row blocks and of the 16-key padding.
    for tokens in (1..=18).chain([31, 32, 33]) {
        for (heads, hd) in [
            (1, 1),
            (2, 3),
            (1, 4),
            (3, 8),
            (2, 13),
            (2, 16),
            (2, 32),
            (1, 33),
        ] {
            check_attention(&bs, &mut rng, AttentionShape::new(tokens, heads, hd), false);
        }
    }
    say_attention("attention (small shapes)");
}

fn say_attention(what: &str) {
    WORST_ATTN.with(|w| {
        for (name, worst) in w.borrow().iter() {
            let b = Backend::by_name(name).expect("ran on it");
            worst.say(b, what);
        }
    });
}

#[test]
fn attention_strides_fused_qkv_and_bert_shapes() {
    let mut rng = Rng::new(25);
    let bs = backends();
    // all-MiniLM-L6-v2's heads on a fused QKV projection; 41 tokens leave a remainder for
    // every row block and the key padding. (Longer sequences run below on fewer heads: the
    // f64 reference and the scalar backend are slow under qemu.)
    for tokens in [1, 8, 41] {
        let s = AttentionShape::new(tokens, 12, 32).with_qkv_stride(3 * 384);
        check_attention(&bs, &mut rng, s, true);
    }
    // Odd strides everywhere, output padding left alone.
    let mut s = AttentionShape::new(37, 3, 24);
    s.q_stride = 72 + 5;
    s.k_stride = 72 + 1;
    s.v_stride = 72 + 9;
    s.out_stride = 72 + 3;
    check_attention(&bs, &mut rng, s, false);
    // The longest sequence the op is meant for (sentence-transformers' max_seq_length).
    check_attention(&bs, &mut rng, AttentionShape::new(256, 1, 8), false);
    say_attention("attention (BERT heads, strides, 256 tokens)");
    for b in bs {
        let mut scratch = [];
        b.attention(
            &AttentionShape::new(0, 12, 32),
            &[],
            &[],
            &[],
            &mut [],
            &mut scratch,
        )
        .unwrap();
    }
}

#[test]
fn simd_attention_matches_scalar() {
    let s = scalar();
    let mut rng = Rng::new(26);
    let shape = AttentionShape::new(50, 4, 32);
    let n = 50 * 128;
    let (q, k, v) = (
        randn(&mut rng, n, -3.0, 3.0),
        randn(&mut rng, n, -3.0, 3.0),
        randn(&mut rng, n, -3.0, 3.0),
    );
    let mut want = vec![0.0; n];
    let mut scratch = vec![0.0; shape.scratch_len()];
    s.attention(&shape, &q, &k, &v, &mut want, &mut scratch)
        .unwrap();
    let (_, tol) = attention64(&shape, &q, &k, &v);
    for b in simd_backends() {
        let mut out = vec![0.0; n];
        b.attention(&shape, &q, &k, &v, &mut out, &mut scratch)
            .unwrap();
        for i in 0..n {
            assert!(
                ((out[i] - want[i]) as f64).abs() <= 2.0 * tol[i],
                "{b:?} element {i}: {} vs scalar {}",
                out[i],
                want[i]
            );
        }
    }
}

// ---- shapes, errors, dispatch --------------------------------------------------------

#[test]
fn shape_errors_name_both_sizes() {
    use rayo_kernels::checked as c;
    let msg = |e: rayo_kernels::Error| e.to_string();
    let mut o = [0.0; 6];
    assert_eq!(
        msg(c::layer_norm(&[0.0; 5], &[1.0; 2], &[0.0; 2], 1e-5, &mut o[..5]).unwrap_err()),
        "rayo_kernels::layer_norm: shape mismatch: x.len() is 5, not a whole number of rows of gamma.len() = 2"
    );
    assert_eq!(
        msg(c::layer_norm(&[0.0; 4], &[1.0; 2], &[0.0; 3], 1e-5, &mut o[..4]).unwrap_err()),
        "rayo_kernels::layer_norm: length mismatch: beta.len() is 3 but gamma.len() is 2"
    );
    assert_eq!(
        msg(c::softmax_rows(&[0.0; 6], 4, &mut o).unwrap_err()),
        "rayo_kernels::softmax_rows: shape mismatch: x.len() is 6, not a whole number of rows of cols = 4"
    );
    assert_eq!(
        msg(c::softmax_rows(&[0.0; 4], 2, &mut o).unwrap_err()),
        "rayo_kernels::softmax_rows: length mismatch: out.len() is 6 but x.len() is 4"
    );
    assert_eq!(
        msg(c::normalize_l2_in_place(&mut o, 0).unwrap_err()),
        "rayo_kernels::normalize_l2: shape mismatch: x.len() is 6, not a whole number of rows of cols = 0"
    );
    assert_eq!(
        msg(c::add_bias(&mut o, &[1.0; 4]).unwrap_err()),
        "rayo_kernels::add_bias: shape mismatch: x.len() is 6, not a whole number of rows of bias.len() = 4"
    );
    assert_eq!(
        msg(c::mean_rows_masked(&[0.0; 6], &[true; 2], &mut o[..2]).unwrap_err()),
        "rayo_kernels::mean_rows_masked: length mismatch: keep.len() is 2 but x.len() / out.len() is 3"
    );
    assert_eq!(
        msg(c::gelu(&[0.0; 2], &mut o).unwrap_err()),
        "rayo_kernels::gelu: length mismatch: a.len() is 2 but out.len() is 6"
    );
    let s = AttentionShape::new(4, 2, 8);
    let (q, mut out, mut scr) = (vec![0.0; 64], vec![0.0; 64], vec![0.0; s.scratch_len()]);
    assert_eq!(
        msg(c::attention(&s, &q, &q[..60], &q, &mut out, &mut scr).unwrap_err()),
        "rayo_kernels::attention: k.len() is 60 but the shape needs at least 64 ((tokens - 1) * k_stride + heads * head_dim)"
    );
    assert_eq!(
        msg(c::attention(&s.with_qkv_stride(15), &q, &q, &q, &mut out, &mut scr).unwrap_err()),
        "rayo_kernels::attention: q_stride is 15 but the shape needs at least 16 (heads * head_dim)"
    );
    assert_eq!(
        msg(c::attention(&s, &q, &q, &q, &mut out, &mut scr[1..]).unwrap_err()),
        format!(
            "rayo_kernels::attention: scratch.len() is {} but the shape needs at least {} (AttentionShape::scratch_len)",
            s.scratch_len() - 1,
            s.scratch_len()
        )
    );
    assert_eq!(s.scratch_len(), (8 + 8) * 16);
    assert_eq!(
        AttentionShape::new(usize::MAX, 1, 2).scratch_len(),
        usize::MAX
    );
}

#[test]
#[should_panic(expected = "rayo_kernels::layer_norm: shape mismatch: x.len() is 5")]
fn layer_norm_panics_on_a_ragged_matrix() {
    let mut o = [0.0; 5];
    rayo_kernels::layer_norm(&[0.0; 5], &[1.0; 2], &[0.0; 2], 1e-5, &mut o);
}

#[test]
fn free_functions_run_the_active_backend() {
    let a = Backend::active();
    let mut rng = Rng::new(27);
    let x = randn(&mut rng, 2 * 384, -4.0, 4.0);
    let g = randn(&mut rng, 384, 0.5, 1.5);
    let (mut o1, mut o2) = (vec![0.0; x.len()], vec![0.0; x.len()]);
    rayo_kernels::gelu(&x, &mut o1);
    a.gelu(&x, &mut o2).unwrap();
    assert_eq!(o1, o2);
    rayo_kernels::layer_norm(&x, &g, &g, 1e-12, &mut o1);
    a.layer_norm(&x, &g, &g, 1e-12, &mut o2).unwrap();
    assert_eq!(o1, o2);
    rayo_kernels::softmax_rows(&x, 384, &mut o1);
    a.softmax_rows(&x, 384, &mut o2).unwrap();
    assert_eq!(o1, o2);
    let shape = AttentionShape::new(2, 12, 32);
    let mut scratch = vec![0.0; shape.scratch_len()];
    rayo_kernels::attention(&shape, &x, &x, &x, &mut o1, &mut scratch);
    a.attention(&shape, &x, &x, &x, &mut o2, &mut scratch)
        .unwrap();
    assert_eq!(o1, o2);
}

#[test]
fn softmax_of_masked_logits_is_zero_there() {
    // -inf logits used to make the two-sum's error term NaN (-inf + inf) in `softmax` too.
    for b in backends() {
        let x = [0.0, f32::NEG_INFINITY, 0.0, f32::NEG_INFINITY, 1.0];
        let mut o = [f32::NAN; 5];
        b.softmax(&x, &mut o).unwrap();
        let e = std::f64::consts::E;
        let want = [1.0 / (2.0 + e), 0.0, 1.0 / (2.0 + e), 0.0, e / (2.0 + e)];
        for (y, w) in o.iter().zip(want) {
            assert!((*y as f64 - w).abs() <= 1e-6 * w, "{b:?} softmax {o:?}");
        }
    }
}

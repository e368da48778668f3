//! The transformer ops, written once over [`Vector`] and instantiated per ISA by
//! `arch/nn.rs`. Like [`crate::generic`], everything is `#[inline(always)]` so it compiles
//! inside each backend's `#[target_feature]` wrapper.
//!
//! Shared contract of the `unsafe fn`s: a matrix argument of `rows x cols` is readable (or
//! writable) for `rows * cols` elements, row-major; an `out` may equal the matching input
//! (in place) but must not otherwise overlap it; the CPU has `V`'s ISA.

use crate::generic as g;
use crate::vector::Vector;

// ---- gelu, erf form --------------------------------------------------------------------

/// `t = 1 / (1 + GELU_C * |x|)`, the variable of [`GELU_P`].
const GELU_C: f32 = 0.3;
/// `P(t)` with `Phi(-u) = t * exp(-u^2/2 + P(t))`, lowest degree first; fitted by
/// `kernels/scripts/fit_gelu_erf.py` (max error 7.2e-8 in `P` over `u` in [0, 13.5], so
/// relative 7.2e-8 in `Phi(-u)`).
const GELU_P: [f32; 11] = [
    -2.122_993,
    1.001_856,
    0.392_019_36,
    0.250_021_04,
    -0.311_806_08,
    0.517_659_4,
    -0.653_504_25,
    -0.113_289_33,
    0.733_37,
    -0.494_480_4,
    0.108_000_11,
];
/// Inputs are clamped to `|x| <= 16` before `Phi(-|x|)` (it is 0 in `f32` from ~13.03 on):
/// keeps the split below exact and infinities out of the arithmetic.
const GELU_U_MAX: f32 = 16.0;

/// `e^(hi + lo)` where `hi` is exact and `lo` carries what `hi` cannot (`|lo|` a few units
/// at most): Cody-Waite reduction of the pair, so the rounding of `hi + lo` to one `f32`
/// (an absolute error of up to 4e-6 at |hi| ~ 85, and as much relative error in the
/// result) never happens. `+0.0` where `hi + lo < EXP_MIN`.
#[inline(always)]
unsafe fn exp_hi_lo<V: Vector>(hi: V, lo: V) -> V {
    let s = hi.add(lo);
    let sc = V::splat(g::EXP_MIN).max(s);
    let k = sc
        .mul_add(V::splat(g::LOG2E), V::splat(g::ROUND_MAGIC))
        .sub(V::splat(g::ROUND_MAGIC));
    // `hi - k*LN2_HI` is exact: both are exact and the difference is small.
    let r = k.mul_add(V::splat(-g::LN2_HI), hi);
    let r = k.mul_add(V::splat(-g::LN2_LO), r).add(lo);
    // |r| <= ~0.35: exp reduces it no further, and `2^k` is normal for k >= -125.
    let y = g::exp(r).mul(k.pow2i());
    s.lt(V::splat(g::EXP_MIN)).andnot(y)
}

/// `x * Phi(x)`, `Phi` the standard normal CDF. `Phi(-u)` for `u = |x|` comes from
/// [`GELU_P`]; `u^2/2` is formed exactly by splitting `u` into 12 high bits (whose square
/// is exact) and the rest, so the exponent keeps full relative accuracy up to u = 13.
#[inline(always)]
pub(crate) unsafe fn gelu_erf<V: Vector>(x: V) -> V {
    let u = V::splat(GELU_U_MAX).min(x.abs());
    let one = V::splat(1.0);
    let t = one.div(V::splat(GELU_C).mul_add(u, one));
    let mut p = V::splat(GELU_P[10]);
    p = p.mul_add(t, V::splat(GELU_P[9]));
    p = p.mul_add(t, V::splat(GELU_P[8]));
    p = p.mul_add(t, V::splat(GELU_P[7]));
    p = p.mul_add(t, V::splat(GELU_P[6]));
    p = p.mul_add(t, V::splat(GELU_P[5]));
    p = p.mul_add(t, V::splat(GELU_P[4]));
    p = p.mul_add(t, V::splat(GELU_P[3]));
    p = p.mul_add(t, V::splat(GELU_P[2]));
    p = p.mul_add(t, V::splat(GELU_P[1]));
    p = p.mul_add(t, V::splat(GELU_P[0]));
    // u = s + (u - s), s = u with the low 12 mantissa bits cleared: s*s is exact.
    let s = V::splat(f32::from_bits(0xFFFF_F000)).and(u);
    let d = u.sub(s).mul(u.add(s));
    let half = V::splat(-0.5);
    let hi = half.mul(s.mul(s));
    let lo = half.mul_add(d, p);
    let q = t.mul(exp_hi_lo(hi, lo));
    // Phi(x) = q below 0, 1 - q (>= 0.5: no cancellation) from 0 on.
    let phi = x.lt(V::zero()).select(q, one.sub(q));
    x.mul(phi)
}

pub(crate) struct Gelu;
impl<V: Vector> g::Map<V, 1> for Gelu {
    const UNROLL: bool = false;
    #[inline(always)]
    unsafe fn apply(&self, [x]: [V; 1]) -> V {
        gelu_erf(x)
    }
}

#[inline(always)]
pub(crate) unsafe fn gelu<V: Vector>(a: *const f32, out: *mut f32, n: usize) {
    g::map::<V, 1, _>(&Gelu, [a], out, n)
}

// ---- row helpers -----------------------------------------------------------------------

/// Ones, for turning a partial load into a lane mask by multiplication.
const ONES: [f32; 16] = [1.0; 16];
/// Register steps summed in `f32` before moving to `f64` (as `generic`'s blocks).
const BLOCK: usize = 64;

/// `(sum d, sum d^2)` over `x[..n]` with `d = x - m`: two accumulator pairs in `f32`, blocks
/// carried in `f64`. The ragged end is masked (a zero-padded lane would add `-m`).
#[inline(always)]
unsafe fn deviation_sums<V: Vector>(x: *const f32, n: usize, m: f32) -> (f64, f64) {
    let l = V::LANES;
    let mv = V::splat(m);
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    let mut i = 0;
    while i + 2 * l <= n {
        let (mut a1, mut a2, mut b1, mut b2) = (V::zero(), V::zero(), V::zero(), V::zero());
        let mut it = 0;
        while it < BLOCK && i + 2 * l <= n {
            let da = V::load(x.add(i)).sub(mv);
            let db = V::load(x.add(i + l)).sub(mv);
            a1 = a1.add(da);
            a2 = da.mul_add(da, a2);
            b1 = b1.add(db);
            b2 = db.mul_add(db, b2);
            i += 2 * l;
            it += 1;
        }
        s1 += a1.add(b1).sum_f64();
        s2 += a2.add(b2).sum_f64();
    }
    while i < n {
        let c = l.min(n - i);
        let d = V::load_part(x.add(i), c)
            .sub(mv)
            .mul(V::load_part(ONES.as_ptr(), c));
        s1 += d.sum_f64();
        s2 += d.mul(d).sum_f64();
        i += c;
    }
    (s1, s2)
}

// ---- layer_norm ------------------------------------------------------------------------

/// Per row: `out = (x - mean) / sqrt(var + eps) * gamma + beta`, biased variance.
///
/// Pass 1 sums the row (`f32` lanes, `f64` blocks) for a first mean `m`, whose error is
/// relative to `|x|` (lanes of ~100s lose digits that matter when the spread is ~1); pass 2
/// sums `d = x - m` and `d^2`, which gives the mean `m + S1/n` with an error relative to
/// the spread, and the variance `(S2 - S1^2/n) / n` in `f64` (the corrected two-pass
/// formula); pass 3 writes `((x - m) - S1/n) * (rstd * gamma) + beta`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn layer_norm<V: Vector>(
    x: *const f32,
    rows: usize,
    cols: usize,
    gamma: *const f32,
    beta: *const f32,
    eps: f32,
    out: *mut f32,
) {
    if cols == 0 {
        return;
    }
    let l = V::LANES;
    let n = cols as f64;
    for r in 0..rows {
        let xr = x.add(r * cols);
        let o = out.add(r * cols);
        let m = (g::reduce::<V, 1, 1>(&g::Sum, [xr], cols)[0] / n) as f32;
        let (s1, s2) = deviation_sums::<V>(xr, cols, m);
        let var = (s2 - s1 * s1 / n) / n;
        let rstd = (1.0 / crate::backend::sqrt(var + eps as f64)) as f32;
        let mv = V::splat(m);
        let dm = V::splat((s1 / n) as f32);
        let rv = V::splat(rstd);
        let mut i = 0;
        while i < cols {
            let c = l.min(cols - i);
            let (xv, gv, bv) = if c == l {
                (
                    V::load(xr.add(i)),
                    V::load(gamma.add(i)),
                    V::load(beta.add(i)),
                )
            } else {
                (
                    V::load_part(xr.add(i), c),
                    V::load_part(gamma.add(i), c),
                    V::load_part(beta.add(i), c),
                )
            };
            let y = xv.sub(mv).sub(dm).mul_add(rv.mul(gv), bv);
            if c == l {
                y.store(o.add(i));
            } else {
                y.store_part(o.add(i), c);
            }
            i += c;
        }
    }
}

// ---- softmax_rows ----------------------------------------------------------------------

/// Row-wise [`crate::softmax`]: max, `e^(x - max)` with the subtraction's error recovered,
/// `f64` sum, scale. A row whose max is `-inf` (every element `-inf`: fully masked) becomes
/// zeros.
#[inline(always)]
pub(crate) unsafe fn softmax_rows<V: Vector>(
    x: *const f32,
    rows: usize,
    cols: usize,
    out: *mut f32,
) {
    if cols == 0 {
        return;
    }
    for r in 0..rows {
        let xr = x.add(r * cols);
        let o = out.add(r * cols);
        let m = g::extreme::<V, g::Max>(xr, cols);
        if m == f32::NEG_INFINITY {
            g::map::<V, 1, _>(&Zero, [xr], o, cols);
        } else {
            let inv = (1.0 / g::exp_shift::<V>(xr, m, o, cols)) as f32;
            g::map::<V, 1, _>(&g::Scale(V::splat(inv)), [o], o, cols);
        }
    }
}

/// Zeros, whatever the input (`-inf * 0` would be NaN).
struct Zero;
impl<V: Vector> g::Map<V, 1> for Zero {
    #[inline(always)]
    unsafe fn apply(&self, _: [V; 1]) -> V {
        V::zero()
    }
}

// ---- add_bias --------------------------------------------------------------------------

/// `x[r][c] += bias[c]`.
#[inline(always)]
pub(crate) unsafe fn add_bias<V: Vector>(x: *mut f32, rows: usize, cols: usize, bias: *const f32) {
    for r in 0..rows {
        let xr = x.add(r * cols);
        g::map::<V, 2, _>(&g::Add, [xr, bias], xr, cols);
    }
}

// ---- mean_rows_masked ------------------------------------------------------------------

/// `out[c] = sum over kept rows r of x[r][c] / kept`, 0 when no row is kept. Each column's
/// sum is compensated (Knuth's two-sum in `f32`: the running error is carried exactly), so
/// the result is within ~2 ulps of the exact mean whatever the row count. Columns go
/// `C` registers at a time down the rows: independent chains (one register's chain is
/// add-latency bound, ~3x slower than trueno's plain row adds), contiguous loads.
#[inline(always)]
pub(crate) unsafe fn mean_rows_masked<V: Vector>(
    x: *const f32,
    rows: usize,
    cols: usize,
    keep: *const bool,
    out: *mut f32,
) {
    let l = V::LANES;
    let mut kept = 0usize;
    for r in 0..rows {
        kept += *keep.add(r) as usize;
    }
    let mut c0 = 0;
    while c0 + 4 * l <= cols {
        mean_cols::<V, 4>(x, rows, cols, keep, kept, c0, l, out);
        c0 += 4 * l;
    }
    while c0 < cols {
        let c = l.min(cols - c0);
        mean_cols::<V, 1>(x, rows, cols, keep, kept, c0, c, out);
        c0 += c;
    }
}

/// Columns `c0..` of [`mean_rows_masked`]: `C` whole registers, or (`C == 1`) `last`
/// columns.
#[inline(always)]
#[allow(clippy::too_many_arguments, clippy::needless_range_loop)]
unsafe fn mean_cols<V: Vector, const C: usize>(
    x: *const f32,
    rows: usize,
    cols: usize,
    keep: *const bool,
    kept: usize,
    c0: usize,
    last: usize,
    out: *mut f32,
) {
    let l = V::LANES;
    let part = last < l;
    let mut s = [V::zero(); C];
    let mut e = [V::zero(); C];
    if kept > 0 {
        for r in 0..rows {
            if !*keep.add(r) {
                continue;
            }
            let p = x.add(r * cols + c0);
            for k in 0..C {
                let v = if part {
                    V::load_part(p, last)
                } else {
                    V::load(p.add(k * l))
                };
                let t = s[k].add(v);
                let bv = t.sub(s[k]);
                e[k] = e[k].add(s[k].sub(t.sub(bv)).add(v.sub(bv)));
                s[k] = t;
            }
        }
    }
    for k in 0..C {
        // kept == 0: 0 / 1 = 0 (sentence-transformers clamps the count to 1e-9: also 0).
        // An infinite sum makes the error term NaN: keep the sum then. A division by the
        // count, not a multiplication by its reciprocal: the mean stays correctly rounded
        // from the compensated sum.
        let y = e[k]
            .unord(e[k])
            .select(s[k], s[k].add(e[k]))
            .div(V::splat(kept.max(1) as f32));
        if part {
            y.store_part(out.add(c0), last);
        } else {
            y.store(out.add(c0 + k * l));
        }
    }
}

// ---- normalize_l2 ----------------------------------------------------------------------

/// `F.normalize`'s lower bound on the norm.
pub(crate) const NORMALIZE_EPS: f64 = 1e-12;

/// Per row: `out = x / max(|x|, 1e-12)`, `|x|` from the `f64`-blocked sum of squares.
#[inline(always)]
pub(crate) unsafe fn normalize_l2<V: Vector>(
    x: *const f32,
    rows: usize,
    cols: usize,
    out: *mut f32,
) {
    for r in 0..rows {
        let xr = x.add(r * cols);
        let ss = g::reduce::<V, 1, 1>(&g::SumSq, [xr], cols)[0];
        let norm = crate::backend::sqrt(ss);
        // `max` that keeps NaN (a NaN norm makes the row NaN, as the division would).
        let d = if norm < NORMALIZE_EPS {
            NORMALIZE_EPS
        } else {
            norm
        };
        let inv = (1.0 / d) as f32;
        g::map::<V, 1, _>(&g::Scale(V::splat(inv)), [xr], out.add(r * cols), cols);
    }
}

// ---- attention -------------------------------------------------------------------------

/// One sequence's attention, as raw parts (checked by `crate::nn`).
pub(crate) struct AttnRaw {
    pub q: *const f32,
    pub k: *const f32,
    pub v: *const f32,
    pub out: *mut f32,
    pub q_stride: usize,
    pub k_stride: usize,
    pub v_stride: usize,
    pub out_stride: usize,
    pub tokens: usize,
    pub heads: usize,
    pub head_dim: usize,
    /// [`scratch_len`] writable elements.
    pub scratch: *mut f32,
}

/// Score rows are padded to a multiple of this (the widest register) so every backend
/// needs the same scratch.
pub(crate) const ATTN_PAD: usize = 16;
/// The most query rows any backend computes at once.
pub(crate) const ATTN_MAX_ROWS: usize = 8;

pub(crate) const fn padded(tokens: usize) -> usize {
    tokens.div_ceil(ATTN_PAD) * ATTN_PAD
}

/// Elements of scratch [`attention`] needs: `K_h` transposed (`head_dim x padded(tokens)`)
/// and the score rows of one block of queries (`ATTN_MAX_ROWS x padded(tokens)`); `None`
/// if that overflows `usize`.
pub(crate) const fn scratch_len(tokens: usize, head_dim: usize) -> Option<usize> {
    let p = tokens.div_ceil(ATTN_PAD).checked_mul(ATTN_PAD);
    let w = head_dim.checked_add(ATTN_MAX_ROWS);
    match (p, w) {
        (Some(p), Some(w)) => p.checked_mul(w),
        _ => None,
    }
}

/// `softmax(Q_h K_h^T / sqrt(d)) V_h` for every head `h`.
///
/// Per head, `K_h` is transposed into scratch (so keys lie along the registers); then for
/// each block of `R` queries: the scores against every key by an `R x C`-register
/// outer-product tile (broadcast `q[r][d]`, FMA with row `d` of `K_h^T`), the softmax
/// numerators in place, and `P V_h` by an `R x C` tile over `V_h`'s rows (broadcast `p[r][j]`,
/// FMA with `v[j]`), scaled by each row's `1/sum` on the way out. A last block with fewer
/// than `R` queries repeats the last query in the spare rows and does not store them.
#[inline(always)]
pub(crate) unsafe fn attention<V: Vector, const R: usize, const C: usize>(a: &AttnRaw) {
    let (n, hd) = (a.tokens, a.head_dim);
    if n == 0 || hd == 0 {
        return;
    }
    let l = V::LANES;
    let tp = padded(n);
    let kt = a.scratch;
    let s = a.scratch.add(hd * tp);
    let scale = (1.0 / crate::backend::sqrt(hd as f64)) as f32;
    for h in 0..a.heads {
        let col = h * hd;
        for d in 0..hd {
            let row = kt.add(d * tp);
            for j in 0..n {
                *row.add(j) = *a.k.add(j * a.k_stride + col + d);
            }
            for j in n..tp {
                *row.add(j) = 0.0;
            }
        }
        let mut i = 0;
        while i < n {
            let rows = R.min(n - i);
            let mut q = [a.q; R];
            for (r, p) in q.iter_mut().enumerate() {
                *p = a.q.add((i + r).min(n - 1) * a.q_stride + col);
            }
            let mut j = 0;
            while j + C * l <= tp {
                scores::<V, R, C>(&q, kt.add(j), tp, hd, s.add(j), scale);
                j += C * l;
            }
            while j < tp {
                scores::<V, R, 1>(&q, kt.add(j), tp, hd, s.add(j), scale);
                j += l;
            }
            let mut inv = [0.0f32; R];
            for (r, w) in inv.iter_mut().enumerate().take(rows) {
                let sr = s.add(r * tp);
                let m = g::extreme::<V, g::Max>(sr, n);
                *w = (1.0 / g::exp_shift::<V>(sr, m, sr, n)) as f32;
            }
            let mut c0 = 0;
            while c0 + C * l <= hd {
                weigh::<V, R, C>(a, s, tp, i, rows, col + c0, &inv, l);
                c0 += C * l;
            }
            while c0 < hd {
                let c = l.min(hd - c0);
                weigh::<V, R, 1>(a, s, tp, i, rows, col + c0, &inv, c);
                c0 += c;
            }
            i += R;
        }
    }
}

// Index loops: `acc[r][c]` pairs two arrays, which iterators would only obscure.
#[allow(clippy::needless_range_loop)]
/// `s[r][..C*l] = scale * sum_d q[r][d] * kt[d][..C*l]`, rows of `s` and `kt` `tp` apart.
#[inline(always)]
unsafe fn scores<V: Vector, const R: usize, const C: usize>(
    q: &[*const f32; R],
    kt: *const f32,
    tp: usize,
    hd: usize,
    s: *mut f32,
    scale: f32,
) {
    let l = V::LANES;
    let mut acc = [[V::zero(); C]; R];
    for d in 0..hd {
        let mut kv = [V::zero(); C];
        for (c, k) in kv.iter_mut().enumerate() {
            *k = V::load(kt.add(d * tp + c * l));
        }
        for r in 0..R {
            let b = V::splat(*q[r].add(d));
            for c in 0..C {
                acc[r][c] = b.mul_add(kv[c], acc[r][c]);
            }
        }
    }
    let sv = V::splat(scale);
    for (r, row) in acc.iter().enumerate() {
        for (c, x) in row.iter().enumerate() {
            x.mul(sv).store(s.add(r * tp + c * l));
        }
    }
}

/// `out[i + r][col..][..w] = inv[r] * sum_j p[r][j] * v[j][col..][..w]` for `r < rows`,
/// `w = C` registers, or (`C == 1`) `last` elements.
#[inline(always)]
#[allow(clippy::too_many_arguments, clippy::needless_range_loop)]
unsafe fn weigh<V: Vector, const R: usize, const C: usize>(
    a: &AttnRaw,
    p: *const f32,
    tp: usize,
    i: usize,
    rows: usize,
    col: usize,
    inv: &[f32; R],
    last: usize,
) {
    let l = V::LANES;
    let part = last < l;
    let mut acc = [[V::zero(); C]; R];
    for j in 0..a.tokens {
        let vr = a.v.add(j * a.v_stride + col);
        let mut vv = [V::zero(); C];
        for (c, x) in vv.iter_mut().enumerate() {
            *x = if part {
                V::load_part(vr, last)
            } else {
                V::load(vr.add(c * l))
            };
        }
        for r in 0..R {
            let b = V::splat(*p.add(r * tp + j));
            for c in 0..C {
                acc[r][c] = b.mul_add(vv[c], acc[r][c]);
            }
        }
    }
    for (r, row) in acc.iter().enumerate().take(rows) {
        let o = a.out.add((i + r) * a.out_stride + col);
        let w = V::splat(inv[r]);
        for (c, x) in row.iter().enumerate() {
            let y = x.mul(w);
            if part {
                y.store_part(o, last);
            } else {
                y.store(o.add(c * l));
            }
        }
    }
}

//! The algorithms, written once over [`Vector`] and instantiated per ISA by
//! the `backend!` macro in `arch`. Everything here is `#[inline(always)]` so it
//! is compiled inside each backend's `#[target_feature]` wrapper.
//!
//! Shared contract of the `unsafe fn`s: every input pointer is readable and
//! `out` writable for `n` elements; `out` may equal an input pointer (in place)
//! but must not otherwise overlap one; the CPU has `V`'s ISA.

use crate::vector::Vector;

/// Register-sized iterations summed in `f32` before the partial sums move to
/// `f64`: short enough for NumPy-class accuracy, long enough to be free.
const BLOCK_ITERS: usize = 64;
/// From this many bytes touched per call (inputs plus output) on,
/// element-wise ops write with non-temporal stores: the arrays no longer stay
/// in cache between calls, so reading each output line in before writing it
/// (read-for-ownership) only costs bandwidth. In-place calls (`axpy`) never
/// stream: the line was just read. Figures: docs/measurements/kernels.md,
/// "Non-temporal stores from 12 MiB touched".
pub(crate) const STREAM_MIN_BYTES: usize = 12 << 20;
/// Block length of the arg-reductions: the winning block is scanned again.
const ARG_BLOCK: usize = 4096;

// ---- element-wise maps -----------------------------------------------------

/// Elements to skip before `p` is aligned to a whole register (`< LANES`).
/// Unaligned loads that straddle cache lines cost twice; with 64-byte
/// AVX-512 registers on a 16-byte aligned heap block, that is every load.
#[inline(always)]
fn head_len<V: Vector>(p: *const f32) -> usize {
    let bytes = V::LANES * 4;
    let mis = p as usize % bytes;
    if mis == 0 {
        0
    } else {
        (bytes - mis) / 4
    }
}

/// Whether every input sits at the same offset from a register boundary.
#[inline(always)]
fn same_offset<V: Vector, const N: usize>(ins: &[*const f32; N]) -> bool {
    let bytes = V::LANES * 4;
    ins.iter().all(|p| {
        (*p as usize)
            .wrapping_sub(ins[0] as usize)
            .is_multiple_of(bytes)
    })
}

/// Whether no input starts on a register boundary.
#[inline(always)]
fn all_misaligned<V: Vector, const N: usize>(ins: &[*const f32; N]) -> bool {
    ins.iter()
        .all(|p| !(*p as usize).is_multiple_of(V::LANES * 4))
}

/// An element-wise operation with `N` inputs.
pub(crate) trait Map<V, const N: usize> {
    /// Cheap ops run a 2x unrolled loop (it pays in L1); the activations
    /// do not, to keep one inlined copy of their polynomial.
    const UNROLL: bool = true;
    unsafe fn apply(&self, x: [V; N]) -> V;
}

/// `N` (at most 3) registers, one per input. Written without a loop over
/// `N`: at opt-level "z" (the Lambda profile) such loops stay loops and the
/// registers round-trip through the stack.
#[inline(always)]
unsafe fn load_n<V: Vector, const N: usize>(ins: &[*const f32; N], i: usize) -> [V; N] {
    let mut v = zeros::<V, N>();
    if let Some(x) = v.get_mut(0) {
        *x = V::load(ins[0].add(i));
    }
    if let Some(x) = v.get_mut(1) {
        *x = V::load(ins[1].add(i));
    }
    if let Some(x) = v.get_mut(2) {
        *x = V::load(ins[2].add(i));
    }
    v
}

/// An array of zero registers, as one zeroing store LLVM can scalarise
/// (`[V::zero(); N]` becomes a loop at opt-level "z").
#[inline(always)]
fn zeros<V: Vector, const N: usize>() -> [V; N] {
    // SAFETY: every `Vector` is plain SIMD data (or f32) for which all-zero
    // bits are a valid value: 0.0 in every lane.
    unsafe { core::mem::zeroed() }
}

/// Whether [`map`] streams: x86, not in place, at least
/// [`STREAM_MIN_BYTES`] touched.
#[inline(always)]
pub(crate) fn streams<V: Vector, const N: usize>(
    ins: &[*const f32; N],
    out: *mut f32,
    n: usize,
) -> bool {
    V::STREAM && !ins.contains(&(out as *const f32)) && (N + 1) * 4 * n >= STREAM_MIN_BYTES
}

/// Whole registers (4x unrolled for cheap ops), then the ragged ends with
/// one shared copy of `op`: the activations inline a polynomial per copy,
/// and the Lambda binary pays for every byte.
///
/// The streaming decision comes first, each way with its own copy of the
/// rest, so LLVM saves the registers the streaming loop needs on that path
/// only (docs/measurements/kernels.md, "The streaming decision before the loops").
#[inline(always)]
pub(crate) unsafe fn map<V: Vector, const N: usize, O: Map<V, N>>(
    op: &O,
    ins: [*const f32; N],
    out: *mut f32,
    n: usize,
) {
    if streams::<V, N>(&ins, out, n) {
        map_with(op, ins, out, n, true)
    } else {
        map_with(op, ins, out, n, false)
    }
}

/// [`map`] once the streaming decision is made.
#[inline(always)]
unsafe fn map_with<V: Vector, const N: usize, O: Map<V, N>>(
    op: &O,
    ins: [*const f32; N],
    out: *mut f32,
    n: usize,
    stream: bool,
) {
    let l = V::LANES;
    // Align the stores; the ragged head is done with the tail below.
    let head = if n >= 2 * l { head_len::<V>(out) } else { 0 };
    // An already aligned output gets its own copy of the loop with the head
    // known to be 0, so the first addresses need not wait for it (cheap ops
    // only: the activations' loops are large; not when streaming, 12 MiB or
    // more, where it would not pay). docs/measurements/kernels.md.
    if O::UNROLL && head == 0 && !stream {
        map_from(op, ins, out, n, 0, false)
    } else {
        map_from(op, ins, out, n, head, stream)
    }
}

/// [`map`] with the output aligned from element `head` on; `stream` as
/// [`streams`] says.
#[inline(always)]
unsafe fn map_from<V: Vector, const N: usize, O: Map<V, N>>(
    op: &O,
    ins: [*const f32; N],
    out: *mut f32,
    n: usize,
    head: usize,
    stream: bool,
) {
    let l = V::LANES;
    let body = (n - head) / l * l;
    let mut i = head;
    let end = head + body;
    if O::UNROLL {
        // Streaming too: a one-register loop's speed depended on whether its
        // code crossed a 64-byte line, that is, on where the linker put it;
        // unrolled 4x it does not (docs/measurements/kernels.md).
        let end4 = head + body / (4 * l) * (4 * l);
        i = if stream {
            map4::<V, N, O, true>(op, &ins, out, i, end4)
        } else {
            map4::<V, N, O, false>(op, &ins, out, i, end4)
        };
    }
    while i < end {
        let r = op.apply(load_n(&ins, i));
        if stream {
            // Non-temporal stores need the alignment established above.
            r.stream(out.add(i));
        } else {
            r.store(out.add(i));
        }
        i += l;
    }
    if stream {
        V::fence();
    }
    // Element-wise, so the order is free: head and tail share one copy.
    let mut k = 0;
    while k < 2 {
        let (start, count) = if k == 0 {
            (0, head)
        } else {
            (head + body, n - head - body)
        };
        k += 1;
        if count > 0 {
            op.apply(load_part(&ins, start, count))
                .store_part(out.add(start), count);
        }
    }
}

/// `out[i..end] = op(ins[i..end])`, four registers per step (`end - i` a
/// multiple of four registers), stored or streamed; returns `end`.
#[inline(always)]
unsafe fn map4<V: Vector, const N: usize, O: Map<V, N>, const STREAM: bool>(
    op: &O,
    ins: &[*const f32; N],
    out: *mut f32,
    mut i: usize,
    end: usize,
) -> usize {
    let l = V::LANES;
    // Moving pointers, as in `reduce`: LLVM then addresses each access at a
    // small positive offset instead of recomputing it per store.
    let mut p = *ins;
    for x in p.iter_mut() {
        *x = x.add(i);
    }
    let mut o = out.add(i);
    while i < end {
        let r = [
            op.apply(load_n(&p, 0)),
            op.apply(load_n(&p, l)),
            op.apply(load_n(&p, 2 * l)),
            op.apply(load_n(&p, 3 * l)),
        ];
        let mut k = 0;
        while k < 4 {
            if STREAM {
                r[k].stream(o.add(k * l));
            } else {
                r[k].store(o.add(k * l));
            }
            k += 1;
        }
        for x in p.iter_mut() {
            *x = x.add(4 * l);
        }
        o = o.add(4 * l);
        i += 4 * l;
    }
    i
}

pub(crate) struct Add;
impl<V: Vector> Map<V, 2> for Add {
    #[inline(always)]
    unsafe fn apply(&self, [a, b]: [V; 2]) -> V {
        a.add(b)
    }
}
pub(crate) struct Sub;
impl<V: Vector> Map<V, 2> for Sub {
    #[inline(always)]
    unsafe fn apply(&self, [a, b]: [V; 2]) -> V {
        a.sub(b)
    }
}
pub(crate) struct Mul;
impl<V: Vector> Map<V, 2> for Mul {
    #[inline(always)]
    unsafe fn apply(&self, [a, b]: [V; 2]) -> V {
        a.mul(b)
    }
}
pub(crate) struct Div;
impl<V: Vector> Map<V, 2> for Div {
    #[inline(always)]
    unsafe fn apply(&self, [a, b]: [V; 2]) -> V {
        a.div(b)
    }
}
/// `x * s`.
pub(crate) struct Scale<V>(pub V);
impl<V: Vector> Map<V, 1> for Scale<V> {
    #[inline(always)]
    unsafe fn apply(&self, [a]: [V; 1]) -> V {
        a.mul(self.0)
    }
}
/// `alpha * x + y`.
pub(crate) struct Axpy<V>(pub V);
impl<V: Vector> Map<V, 2> for Axpy<V> {
    #[inline(always)]
    unsafe fn apply(&self, [x, y]: [V; 2]) -> V {
        self.0.mul_add(x, y)
    }
}
pub(crate) struct Fma;
impl<V: Vector> Map<V, 3> for Fma {
    #[inline(always)]
    unsafe fn apply(&self, [a, b, c]: [V; 3]) -> V {
        a.mul_add(b, c)
    }
}
/// `min(max(x, lo), hi)`; a NaN `x` stays NaN (operand order matters: the
/// x86 semantics return the second operand when either is NaN).
pub(crate) struct Clamp<V>(pub V, pub V);
impl<V: Vector> Map<V, 1> for Clamp<V> {
    #[inline(always)]
    unsafe fn apply(&self, [x]: [V; 1]) -> V {
        self.1.min(self.0.max(x))
    }
}
pub(crate) struct Abs;
impl<V: Vector> Map<V, 1> for Abs {
    #[inline(always)]
    unsafe fn apply(&self, [x]: [V; 1]) -> V {
        x.abs()
    }
}
/// `x < 0 ? 0 : x`, NaN stays NaN.
pub(crate) struct Relu;
impl<V: Vector> Map<V, 1> for Relu {
    #[inline(always)]
    unsafe fn apply(&self, [x]: [V; 1]) -> V {
        V::zero().max(x)
    }
}
pub(crate) struct Exp;
impl<V: Vector> Map<V, 1> for Exp {
    const UNROLL: bool = false;
    #[inline(always)]
    unsafe fn apply(&self, [x]: [V; 1]) -> V {
        exp(x)
    }
}
pub(crate) struct Sigmoid;
impl<V: Vector> Map<V, 1> for Sigmoid {
    const UNROLL: bool = false;
    #[inline(always)]
    unsafe fn apply(&self, [x]: [V; 1]) -> V {
        sigmoid(x)
    }
}
pub(crate) struct Tanh;
impl<V: Vector> Map<V, 1> for Tanh {
    const UNROLL: bool = false;
    #[inline(always)]
    unsafe fn apply(&self, [x]: [V; 1]) -> V {
        tanh(x)
    }
}
pub(crate) struct GeluTanh;
impl<V: Vector> Map<V, 1> for GeluTanh {
    const UNROLL: bool = false;
    #[inline(always)]
    unsafe fn apply(&self, [x]: [V; 1]) -> V {
        gelu_tanh(x)
    }
}

// ---- the approximations ----------------------------------------------------

/// Below this, `exp` returns +0.0 (true value < 1.9e-38); it also keeps the
/// scale factor `2^(k-1)` a normal number.
pub(crate) const EXP_MIN: f32 = -86.9;
/// Above this the result overflows to +inf through the final doubling.
const EXP_CLAMP_HI: f32 = 88.8;
pub(crate) const LOG2E: f32 = core::f32::consts::LOG2_E;
/// ln 2 split so that `k * LN2_HI` is exact for |k| <= 256 (9 significant bits).
pub(crate) const LN2_HI: f32 = 0.693_359_4;
pub(crate) const LN2_LO: f32 = -2.121_944_4e-4;
/// 1.5 * 2^23: adding and subtracting it rounds to the nearest integer.
pub(crate) const ROUND_MAGIC: f32 = 12_582_912.0;

/// `e^x`: `x = k ln2 + r`, |r| <= ln2/2, degree-7 Taylor polynomial for `e^r`
/// (truncation error < 6e-9), then scaled by `2^(k-1) * 2` so that k = 128
/// (results just below f32::MAX) needs no special case.
#[inline(always)]
pub(crate) unsafe fn exp<V: Vector>(x: V) -> V {
    // Operand order keeps NaN (see `Clamp`).
    let xc = V::splat(EXP_CLAMP_HI).min(V::splat(EXP_MIN).max(x));
    let k = xc
        .mul_add(V::splat(LOG2E), V::splat(ROUND_MAGIC))
        .sub(V::splat(ROUND_MAGIC));
    let r = k.mul_add(V::splat(-LN2_HI), xc);
    let r = k.mul_add(V::splat(-LN2_LO), r);
    let mut p = V::splat(1.0 / 5040.0);
    p = p.mul_add(r, V::splat(1.0 / 720.0));
    p = p.mul_add(r, V::splat(1.0 / 120.0));
    p = p.mul_add(r, V::splat(1.0 / 24.0));
    p = p.mul_add(r, V::splat(1.0 / 6.0));
    p = p.mul_add(r, V::splat(0.5));
    p = p.mul_add(r, V::splat(1.0));
    p = p.mul_add(r, V::splat(1.0));
    let scale = k.sub(V::splat(1.0)).pow2i();
    let y = p.mul(scale).mul(V::splat(2.0));
    // Flush below EXP_MIN (also turns exp(-inf) into exactly 0).
    x.lt(V::splat(EXP_MIN)).andnot(y)
}

/// `1 / (1 + e^-x)` with a true division (no reciprocal estimate).
#[inline(always)]
pub(crate) unsafe fn sigmoid<V: Vector>(x: V) -> V {
    let one = V::splat(1.0);
    one.div(one.add(exp(V::zero().sub(x))))
}

/// Below this |x|, `tanh` uses its odd Taylor series (error < 5e-9) because
/// `(1 - e)/(1 + e)` would lose digits to cancellation.
const TANH_SMALL: f32 = 0.4;

#[inline(always)]
pub(crate) unsafe fn tanh<V: Vector>(x: V) -> V {
    let ax = x.abs();
    // Small: x + x^3 * q(x^2).
    let z = x.mul(x);
    let mut q = V::splat(21844.0 / 6081075.0);
    q = q.mul_add(z, V::splat(-1382.0 / 155925.0));
    q = q.mul_add(z, V::splat(62.0 / 2835.0));
    q = q.mul_add(z, V::splat(-17.0 / 315.0));
    q = q.mul_add(z, V::splat(2.0 / 15.0));
    q = q.mul_add(z, V::splat(-1.0 / 3.0));
    let small = x.mul(z).mul_add(q, x);
    // Large: sign(x) * (1 - e) / (1 + e), e = e^(-2|x|) in (0, 0.45].
    let one = V::splat(1.0);
    let e = exp(V::splat(-2.0).mul(ax));
    let t = one.sub(e).div(one.add(e));
    let large = t.or(V::splat(-0.0).and(x));
    ax.lt(V::splat(TANH_SMALL)).select(small, large)
}

/// sqrt(2/pi) * 2 and the same times 0.044715: the tanh-form GELU is
/// `x * sigmoid(x * (C1 + C2 x^2))` since `1 + tanh(u) = 2 sigmoid(2u)`,
/// which avoids the cancellation of `1 + tanh(u)` for negative `x`.
const GELU_C1: f32 = 1.595_769_2;
const GELU_C2: f32 = 0.071_354_816;

#[inline(always)]
pub(crate) unsafe fn gelu_tanh<V: Vector>(x: V) -> V {
    let z = x
        .mul(x)
        .mul_add(V::splat(GELU_C2), V::splat(GELU_C1))
        .mul(x);
    x.div(V::splat(1.0).add(exp(V::zero().sub(z))))
}

/// `out[i] = e^(a[i] - m)`, returning the sum of the outputs in `f64`.
/// The rounding error of `a[i] - m` is recovered exactly (Knuth's two-sum)
/// and folded in as `e^(d + err) ~ e^d (1 + err)`, so large negative
/// differences keep full relative accuracy.
#[inline(always)]
pub(crate) unsafe fn exp_shift<V: Vector>(a: *const f32, m: f32, out: *mut f32, n: usize) -> f64 {
    #[inline(always)]
    unsafe fn one<V: Vector>(x: V, negm: V) -> V {
        let d = x.add(negm);
        let bv = d.sub(x);
        let av = d.sub(bv);
        let err = x.sub(av).add(negm.sub(bv));
        // x = -inf (a masked logit) makes `err` NaN (-inf + inf); its e^d is 0 and stays 0.
        let err = err.unord(err).andnot(err);
        let e = exp(d);
        e.mul_add(err, e)
    }
    let l = V::LANES;
    let negm = V::splat(-m);
    let mut total = 0.0f64;
    let mut i = 0;
    while i + l <= n {
        let mut s = V::zero();
        let mut it = 0;
        while it < BLOCK_ITERS && i + l <= n {
            let e = one(V::load(a.add(i)), negm);
            e.store(out.add(i));
            s = s.add(e);
            i += l;
            it += 1;
        }
        total += s.sum_f64();
    }
    if i < n {
        let count = n - i;
        let e = one(V::load_part(a.add(i), count), negm);
        e.store_part(out.add(i), count);
        // Padding lanes hold e^(0 - m): only the first `count` are summed.
        for &x in &e.to_array()[..count] {
            total += x as f64;
        }
    }
    total
}

// ---- reductions ------------------------------------------------------------

/// Folds `N` input registers into `M` accumulators.
pub(crate) trait Fold<V, const N: usize, const M: usize> {
    unsafe fn step(&self, acc: [V; M], x: [V; N]) -> [V; M];
}

/// Sums `step` over the inputs: four independent accumulator sets (to hide
/// add latency) kept in `f32` for `BLOCK_ITERS` rounds, then moved to `f64`.
/// Zero-padding the ragged end is harmless: every fold maps zeros to zero.
#[inline(always)]
pub(crate) unsafe fn reduce<V: Vector, const N: usize, const M: usize>(
    op: &impl Fold<V, N, M>,
    ins: [*const f32; N],
    n: usize,
) -> [f64; M] {
    let l = V::LANES;
    let step = 4 * l;
    let mut total = [0.0f64; M];
    // Skip to an aligned first input for the blocks; what is skipped, and
    // what is left after them, is folded into `s` below. Only if that leaves
    // fewer inputs straddling cache lines: when all share its offset, or none
    // was aligned (otherwise the split loads only move to another input and
    // the head and tail cost; docs/measurements/kernels.md).
    let head = if n >= 2 * step && (same_offset::<V, N>(&ins) || all_misaligned::<V, N>(&ins)) {
        head_len::<V>(ins[0])
    } else {
        0
    };
    let mut i = head;
    while i + step <= n {
        let rounds = ((n - i) / step).min(BLOCK_ITERS);
        let mut s0 = zeros::<V, M>();
        let mut s1 = s0;
        let mut s2 = s0;
        let mut s3 = s0;
        // Pointers that move, not one index: LLVM then addresses the four
        // loads at +0..+3 registers from them, not at negative offsets from
        // the end of the step, which streamed slower from L3
        // (docs/measurements/kernels.md).
        let mut p = ins;
        for x in p.iter_mut() {
            *x = x.add(i);
        }
        if N == 1 {
            for _ in 0..rounds {
                s0 = op.step(s0, load_n(&p, 0));
                s1 = op.step(s1, load_n(&p, l));
                s2 = op.step(s2, load_n(&p, 2 * l));
                s3 = op.step(s3, load_n(&p, 3 * l));
                p[0] = p[0].add(step);
            }
        } else {
            // A `while` on the pointer, not a counted `for`: LLVM unrolls the
            // latter 2x, which is slower for two inputs when one straddles
            // cache lines and faster for one (docs/measurements/kernels.md).
            let end = p[0].add(rounds * step);
            while p[0] < end {
                s0 = op.step(s0, load_n(&p, 0));
                s1 = op.step(s1, load_n(&p, l));
                s2 = op.step(s2, load_n(&p, 2 * l));
                s3 = op.step(s3, load_n(&p, 3 * l));
                for x in p.iter_mut() {
                    *x = x.add(step);
                }
            }
        }
        i += rounds * step;
        for k in 0..M {
            total[k] += s0[k].add(s1[k]).add(s2[k].add(s3[k])).sum_f64();
        }
    }
    // Fewer than `step + LANES` elements remain: one register at a time,
    // zero-padded at the ends (every fold maps zeros to zero).
    if head > 0 || i < n {
        let mut s = zeros::<V, M>();
        let mut piece = 0;
        while piece < 2 {
            let (start, end) = if piece == 0 { (0, head) } else { (i, n) };
            piece += 1;
            let mut j = start;
            while j < end {
                let c = l.min(end - j);
                let x = if c == l {
                    load_n(&ins, j)
                } else {
                    load_part(&ins, j, c)
                };
                s = op.step(s, x);
                j += c;
            }
        }
        for k in 0..M {
            total[k] += s[k].sum_f64();
        }
    }
    total
}

/// `count < LANES` elements at `start` of each input, zero-padded.
#[inline(always)]
unsafe fn load_part<V: Vector, const N: usize>(
    ins: &[*const f32; N],
    start: usize,
    count: usize,
) -> [V; N] {
    let mut v = zeros::<V, N>();
    if let Some(x) = v.get_mut(0) {
        *x = V::load_part(ins[0].add(start), count);
    }
    if let Some(x) = v.get_mut(1) {
        *x = V::load_part(ins[1].add(start), count);
    }
    if let Some(x) = v.get_mut(2) {
        *x = V::load_part(ins[2].add(start), count);
    }
    v
}

pub(crate) struct Sum;
impl<V: Vector> Fold<V, 1, 1> for Sum {
    #[inline(always)]
    unsafe fn step(&self, [s]: [V; 1], [x]: [V; 1]) -> [V; 1] {
        [s.add(x)]
    }
}
pub(crate) struct SumAbs;
impl<V: Vector> Fold<V, 1, 1> for SumAbs {
    #[inline(always)]
    unsafe fn step(&self, [s]: [V; 1], [x]: [V; 1]) -> [V; 1] {
        [s.add(x.abs())]
    }
}
pub(crate) struct SumSq;
impl<V: Vector> Fold<V, 1, 1> for SumSq {
    #[inline(always)]
    unsafe fn step(&self, [s]: [V; 1], [x]: [V; 1]) -> [V; 1] {
        [x.mul_add(x, s)]
    }
}
pub(crate) struct Dot;
impl<V: Vector> Fold<V, 2, 1> for Dot {
    #[inline(always)]
    unsafe fn step(&self, [s]: [V; 1], [a, b]: [V; 2]) -> [V; 1] {
        [a.mul_add(b, s)]
    }
}
pub(crate) struct DistSq;
impl<V: Vector> Fold<V, 2, 1> for DistSq {
    #[inline(always)]
    unsafe fn step(&self, [s]: [V; 1], [a, b]: [V; 2]) -> [V; 1] {
        let d = a.sub(b);
        [d.mul_add(d, s)]
    }
}
/// `a.b`, `a.a`, `b.b` in one pass (cosine).
pub(crate) struct Dot3;
impl<V: Vector> Fold<V, 2, 3> for Dot3 {
    #[inline(always)]
    unsafe fn step(&self, [ab, aa, bb]: [V; 3], [a, b]: [V; 2]) -> [V; 3] {
        [a.mul_add(b, ab), a.mul_add(a, aa), b.mul_add(b, bb)]
    }
}

// ---- dense layer -----------------------------------------------------------

/// From this many matrix bytes on, [`matvec`] goes one row at a time.
const MATVEC_ROWWISE_BYTES: usize = 8 << 20;

/// `out[r] = m[r*cols..][..cols] . x` for a row-major `rows x cols` matrix.
/// Four rows at a time share each load of `x` (five loads per four FMAs
/// instead of eight), with the same f32-lanes-then-f64 blocking as `reduce`;
/// leftover rows use the plain dot product.
#[inline(always)]
pub(crate) unsafe fn matvec<V: Vector>(
    m: *const f32,
    rows: usize,
    cols: usize,
    x: *const f32,
    out: *mut f32,
) {
    let l = V::LANES;
    let mut r = 0;
    // A matrix that comes from DRAM is read one row at a time: four rows at
    // once are four streams `cols` apart, slower than one; in cache, sharing
    // the loads of `x` wins (docs/measurements/kernels.md).
    let quads = if rows * cols * 4 >= MATVEC_ROWWISE_BYTES {
        0
    } else {
        rows / 4
    };
    while r < quads * 4 {
        let row = [
            m.add(r * cols),
            m.add((r + 1) * cols),
            m.add((r + 2) * cols),
            m.add((r + 3) * cols),
        ];
        let mut total = [0.0f64; 4];
        let mut j = 0;
        while j < cols {
            let mut s = zeros::<V, 4>();
            let mut it = 0;
            while it < BLOCK_ITERS && j < cols {
                let c = l.min(cols - j);
                let xv = if c == l {
                    V::load(x.add(j))
                } else {
                    V::load_part(x.add(j), c)
                };
                for k in 0..4 {
                    let a = if c == l {
                        V::load(row[k].add(j))
                    } else {
                        V::load_part(row[k].add(j), c)
                    };
                    s[k] = a.mul_add(xv, s[k]);
                }
                j += c;
                it += 1;
            }
            for k in 0..4 {
                total[k] += s[k].sum_f64();
            }
        }
        for (k, t) in total.iter().enumerate() {
            *out.add(r + k) = *t as f32;
        }
        r += 4;
    }
    while r < rows {
        *out.add(r) = reduce::<V, 2, 1>(&Dot, [m.add(r * cols), x], cols)[0] as f32;
        r += 1;
    }
}

// ---- max / min / argmax / argmin -------------------------------------------

/// Which extreme: `pick` is the vector max/min (x86 semantics), `better` the
/// strict scalar comparison.
pub(crate) trait Extreme {
    unsafe fn pick<V: Vector>(a: V, b: V) -> V;
    fn better(a: f32, b: f32) -> bool;
}
pub(crate) struct Max;
impl Extreme for Max {
    #[inline(always)]
    unsafe fn pick<V: Vector>(a: V, b: V) -> V {
        a.max(b)
    }
    #[inline(always)]
    fn better(a: f32, b: f32) -> bool {
        a > b
    }
}
pub(crate) struct Min;
impl Extreme for Min {
    #[inline(always)]
    unsafe fn pick<V: Vector>(a: V, b: V) -> V {
        a.min(b)
    }
    #[inline(always)]
    fn better(a: f32, b: f32) -> bool {
        a < b
    }
}

/// The max (or min) of `n >= 1` elements; NaN if any element is NaN.
/// NaN lanes are collected separately because max/min instructions drop them.
#[inline(always)]
pub(crate) unsafe fn extreme<V: Vector, E: Extreme>(a: *const f32, n: usize) -> f32 {
    let l = V::LANES;
    if n < l {
        let mut m = *a;
        for i in 0..n {
            let x = *a.add(i);
            if x.is_nan() {
                return f32::NAN;
            }
            if E::better(x, m) {
                m = x;
            }
        }
        return m;
    }
    let first = V::load(a);
    let (mut m0, mut m1, mut m2, mut m3) = (first, first, first, first);
    let mut nan = first.unord(first);
    // `first` covers a[..l]: skip to an aligned start inside it.
    let mut i = head_len::<V>(a);
    while i + 4 * l <= n {
        let v0 = V::load(a.add(i));
        let v1 = V::load(a.add(i + l));
        let v2 = V::load(a.add(i + 2 * l));
        let v3 = V::load(a.add(i + 3 * l));
        m0 = E::pick(m0, v0);
        m1 = E::pick(m1, v1);
        m2 = E::pick(m2, v2);
        m3 = E::pick(m3, v3);
        // One compare covers two registers: unord is set if either is NaN.
        nan = nan.or(v0.unord(v1)).or(v2.unord(v3));
        i += 4 * l;
    }
    while i + l <= n {
        let v = V::load(a.add(i));
        m0 = E::pick(m0, v);
        nan = nan.or(v.unord(v));
        i += l;
    }
    if i < n {
        // Re-reading some elements is harmless: max and min are idempotent.
        let v = V::load(a.add(n - l));
        m0 = E::pick(m0, v);
        nan = nan.or(v.unord(v));
    }
    if nan.bits() != 0 {
        return f32::NAN;
    }
    let m = E::pick(E::pick(m0, m1), E::pick(m2, m3)).to_array();
    let mut best = m[0];
    for &x in &m[1..l] {
        if E::better(x, best) {
            best = x;
        }
    }
    best
}

/// Index of the first NaN in `a[..n]` (`nan`), else of the first element
/// equal to `target`. (A flag, not a closure: closures would not inherit the
/// backend's target features.)
#[inline(always)]
unsafe fn first_hit<V: Vector>(a: *const f32, n: usize, nan: bool, target: f32) -> Option<usize> {
    let t = V::splat(target);
    #[inline(always)]
    unsafe fn hit<V: Vector>(v: V, nan: bool, t: V) -> V {
        if nan {
            v.unord(v)
        } else {
            v.eq(t)
        }
    }
    let l = V::LANES;
    let mut i = 0;
    while i + l <= n {
        let b = hit(V::load(a.add(i)), nan, t).bits();
        if b != 0 {
            return Some(i + b.trailing_zeros() as usize);
        }
        i += l;
    }
    while i < n {
        if hit(V::splat(*a.add(i)), nan, t).bits() & 1 != 0 {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// First index of the max (min) of `n >= 1` elements, or of the first NaN
/// (NumPy's rule). One pass of block extremes, then one scan of the block
/// that holds the winner.
#[inline(always)]
pub(crate) unsafe fn arg_extreme<V: Vector, E: Extreme>(a: *const f32, n: usize) -> usize {
    let mut best = f32::NAN;
    let mut best_start = 0;
    let mut start = 0;
    while start < n {
        let len = ARG_BLOCK.min(n - start);
        let p = a.add(start);
        let m = extreme::<V, E>(p, len);
        if m.is_nan() {
            return start + first_hit::<V>(p, len, true, 0.0).unwrap_or(0);
        }
        if start == 0 || E::better(m, best) {
            best = m;
            best_start = start;
        }
        start += len;
    }
    let len = ARG_BLOCK.min(n - best_start);
    best_start + first_hit::<V>(a.add(best_start), len, false, best).unwrap_or(0)
}

//! The gemm algorithm, written once over [`Vector`] and instantiated per ISA
//! in `arch/*/gemm_*.rs` (everything here is `#[inline(always)]`, so it is
//! compiled inside each backend's `#[target_feature]` wrapper).
//!
//! Loops, outermost first (BLIS's order with `NC` = one block of panels):
//!
//! 1. `k` in blocks of `KC` rows, so a block of B panels (`KC × 16` or
//!    `KC × 32` floats, at most 32 KiB) stays in L1 while every row of A
//!    passes it. C is loaded and stored once per block of `k`.
//! 2. `n` in blocks of `NV * LANES` columns (one or two 16-column panels):
//!    `f32` packed panels are used in place; anything else (f16 panels, B in
//!    either plain layout) is packed into a stack buffer, converting f16.
//!    Before the panels, the rows of A this block of `k` meets are packed
//!    (up to [`ABUF`] floats on the stack) tile by tile, `MR` values per step
//!    of `k` side by side, so the micro-kernel reads A as one sequential
//!    stream at constant offsets (no per-row address arithmetic in the loop).
//! 3. `m` in blocks of `MR` rows: the micro-kernel ([`tile`]) keeps an
//!    `MR × NV` block of accumulators in registers, broadcasting one element
//!    of A per row and loading `NV` vectors of B per step of `k`. Ragged
//!    edges run the same kernel with fewer rows (`R < MR`, all instantiated)
//!    or fewer columns (masked loads/stores of C), never a scalar loop.
//!
//! One row (`m = 1`) has no reuse to block for: [`gemv`] streams B once,
//! `GV` vectors in flight, f16 converted in the inner loop.
//!
//! Contract of every `unsafe fn` here: [`Args`]'s, and the CPU has `V`'s (and
//! the loader's) ISA.

use core::mem::MaybeUninit;

use super::{Args, BSrc};
use crate::f16::f16_to_f32;
use crate::vector::Vector;

/// Columns per packed panel (the layout of [`super::PackedB`]).
const P: usize = 16;

/// Stack buffer for one block of packed panels: 32 KiB of `f32`.
const BUF: usize = 8192;

#[repr(C, align(64))]
struct Buf([MaybeUninit<f32>; BUF]);

/// Loads `V::LANES` elements of B as `f32`.
pub(crate) trait Load<V: Vector> {
    type E: Copy;
    /// `LANES` elements at `p`.
    unsafe fn load(p: *const Self::E) -> V;
    /// `count < LANES` elements, zeros in the other lanes, reading nothing
    /// past `p + count`.
    unsafe fn load_part(p: *const Self::E, count: usize) -> V;
}

/// `f32` B.
pub(crate) struct F32;

impl<V: Vector> Load<V> for F32 {
    type E = f32;
    #[inline(always)]
    unsafe fn load(p: *const f32) -> V {
        V::load(p)
    }
    #[inline(always)]
    unsafe fn load_part(p: *const f32, count: usize) -> V {
        V::load_part(p, count)
    }
}

/// f16 B converted one element at a time: the fallback where the ISA has no
/// conversion instruction, and the ragged ends everywhere.
#[cfg_attr(
    all(target_arch = "aarch64", not(feature = "reference")),
    allow(dead_code)
)]
pub(crate) struct SoftHalf;

impl<V: Vector> Load<V> for SoftHalf {
    type E = u16;
    #[inline(always)]
    unsafe fn load(p: *const u16) -> V {
        soft_part(p, V::LANES)
    }
    #[inline(always)]
    unsafe fn load_part(p: *const u16, count: usize) -> V {
        soft_part(p, count)
    }
}

/// `count <= LANES` halves at `p` as `f32`, zeros in the other lanes.
#[inline(always)]
pub(crate) unsafe fn soft_part<V: Vector>(p: *const u16, count: usize) -> V {
    let mut buf = [0.0f32; 16];
    for (i, b) in buf.iter_mut().enumerate().take(count) {
        *b = f16_to_f32(*p.add(i));
    }
    V::load(buf.as_ptr())
}

/// What a backend adds to the generic kernel: its f16 loads, and hooks with
/// portable defaults that an ISA may do better.
pub(crate) trait Isa<V: Vector>: Load<V, E = u16> {
    /// Packed f16 panels are converted inside the first row block's
    /// micro-tile instead of in a pass of their own (worth its code where
    /// the conversion is one instruction; default: no).
    const FUSE_F16: bool = false;

    /// Hints that the cache line at `p` is read soon (default: nothing).
    #[inline(always)]
    unsafe fn prefetch(_p: *const f32) {}

    /// `w <= 16` rows of Bᵀ (`kc` `f32`s each, `ld` apart) into the columns
    /// of one zero-padded panel at `dst`.
    #[inline(always)]
    unsafe fn transpose_f32(src: *const f32, ld: usize, kc: usize, w: usize, dst: *mut f32) {
        transpose(src, ld, kc, w, dst, |x: f32| x)
    }

    /// [`Isa::transpose_f32`] from f16.
    #[inline(always)]
    unsafe fn transpose_f16(src: *const u16, ld: usize, kc: usize, w: usize, dst: *mut f32) {
        transpose(src, ld, kc, w, dst, f16_to_f32)
    }
}

impl<V: Vector> Isa<V> for SoftHalf {}

/// Stack buffer for one block of packed A (rows times the block of `k`):
/// 128 KiB of `f32`, which stays in L2 (512 KiB on Zen 3, 1-2 MiB on newer
/// cores) with room for B and C. With `k = 384` that is 85 rows, so 128 rows
/// are two blocks and each B panel is used (or packed) twice.
const ABUF: usize = 32768;

#[repr(C, align(64))]
struct ABuf([MaybeUninit<f32>; ABUF]);

/// The whole product. `MR`: rows per micro-tile; `NV`: vectors per tile row
/// (`NV * LANES` is 16 or 32 columns: one or two panels); `NV1`: vectors of a
/// one-panel tile (the right edge when `NV` spans two panels, else `NV`);
/// `KC`: rows of B per block; `GV`: vectors in flight for one row of A.
#[inline(always)]
pub(crate) unsafe fn gemm<
    V: Vector,
    H: Isa<V>,
    const MR: usize,
    const NV: usize,
    const NV1: usize,
    const KC: usize,
    const GV: usize,
>(
    x: &Args,
) {
    const {
        assert!(KC * NV * V::LANES <= BUF && MR >= 1 && MR <= 15 && GV >= NV1);
        assert!(KC * MR <= ABUF);
    }
    let (m, n, k) = (x.m, x.n, x.k);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        return fill(x);
    }
    if m == 1 {
        return gemv::<V, H, GV>(x);
    }
    let nb = NV * V::LANES;
    debug_assert!(nb == P || nb == 2 * P);
    debug_assert!(NV1 * V::LANES == P);
    let mut buf = Buf([const { MaybeUninit::uninit() }; BUF]);
    let bufp = buf.0.as_mut_ptr() as *mut f32;
    let mut abuf = ABuf([const { MaybeUninit::uninit() }; ABUF]);
    let abufp = abuf.0.as_mut_ptr() as *mut f32;
    // Equal blocks of k (512 = 2 x 256, not 384 + 128), and of m when A's
    // rows do not fit the A buffer (128 x 384: 2 x 66 rows on AVX2).
    let kb = k.div_ceil(k.div_ceil(KC));
    let mc_max = (ABUF / kb / MR).max(1) * MR;
    let mb = m.div_ceil(m.div_ceil(mc_max)).div_ceil(MR) * MR;
    let mut pc = 0;
    while pc < k {
        let kc = kb.min(k - pc);
        // The first block of k writes C (or adds to it) with the bias; later
        // blocks add to what the earlier ones stored.
        let (load_c, bias) = if pc == 0 {
            (x.acc, x.bias)
        } else {
            (true, core::ptr::null())
        };
        let mut ic = 0;
        while ic < m {
            let m_end = (ic + mb).min(m);
            pack_a::<MR>(x.a.add(ic * x.lda + pc), x.lda, m_end - ic, kc, abufp);
            let mut j = 0;
            while j < n {
                let cols = nb.min(n - j);
                // f16 panels with a whole first row block are converted by
                // that block's tile, on the way to its FMAs, into the buffer
                // the other row blocks read (a separate conversion pass,
                // with nothing to overlap it, cost m = 16 a sixth of its
                // time); `cvt` is the f16 source then.
                let whole = m_end - ic >= MR;
                let (b, ps, cvt) = match x.b {
                    BSrc::PackedF32(p) => (p.add((j / P) * k * P + pc * P), k * P, None),
                    BSrc::PackedF16(p) if H::FUSE_F16 && whole => {
                        let src = p.add((j / P) * k * P + pc * P);
                        (bufp as *const f32, kc * P, Some(src))
                    }
                    _ => {
                        pack_block::<V, H>(x, pc, kc, j, cols, bufp);
                        (bufp as *const f32, kc * P, None)
                    }
                };
                // The next block's packed panels, in place (f16 read as
                // pairs in `f32` units): each row block of A prefetches its
                // share, so they are in L1 when needed.
                let tiles_here = (m_end - ic).div_ceil(MR);
                let (pf, pf_total, pf2, pf_ps) = match x.b {
                    BSrc::PackedF32(p) if j + nb < n => {
                        let jn = j + nb;
                        let next = p.add((jn / P) * k * P + pc * P);
                        (next, kc * P, n - jn > P && nb > P, k * P)
                    }
                    BSrc::PackedF16(p) if j + nb < n => {
                        let jn = j + nb;
                        let next = p.add((jn / P) * k * P + pc * P) as *const f32;
                        (next, kc * P / 2, n - jn > P && nb > P, k * P / 2)
                    }
                    _ => (core::ptr::null(), 0, false, 0),
                };
                let share = (pf_total / tiles_here).div_ceil(P) * P;
                let mut i = ic;
                while i < m_end {
                    let r = MR.min(m_end - i);
                    let done = ((i - ic) / MR) * share;
                    let t = Tile {
                        kc,
                        a: abufp.add((i - ic) * kc),
                        b,
                        ps,
                        c: x.c.add(i * x.ldc + j),
                        ldc: x.ldc,
                        cols,
                        load_c,
                        bias: if bias.is_null() { bias } else { bias.add(j) },
                        pf: pf.wrapping_add(done),
                        pf_len: share.min(pf_total.saturating_sub(done)),
                        pf2,
                        pf_ps,
                        src: match cvt {
                            Some(src) if i == ic => src,
                            _ => core::ptr::null(),
                        },
                        sps: k * P,
                    };
                    if cols > P || nb == P {
                        tiles::<V, H, MR, NV>(r, &t);
                    } else {
                        tiles::<V, H, MR, NV1>(r, &t);
                    }
                    i += MR;
                }
                j += nb;
            }
            ic = m_end;
        }
        pc += kc;
    }
}

/// `body` for each literal `i` in `0..n` (`n <= 16` a constant): the
/// iterations are separate code with constant indices from the start, so the
/// arrays they index become registers.
macro_rules! each {
    ($i:ident < $n:expr => $body:block) => {
        each!(@ $i, $n, $body, 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)
    };
    (@ $i:ident, $n:expr, $body:block, $($k:literal)*) => {
        $(
            if $k < $n {
                let $i: usize = $k;
                $body
            }
        )*
    };
}

/// One micro-tile's operands: its `R` rows of A packed (`A[r][p]` at
/// `a + p * R + r`, see [`pack_a`]), `kc` rows of B panels at `b` (the next
/// panel `ps` elements on), C at `c + r * ldc` with `cols` valid columns.
struct Tile {
    kc: usize,
    a: *const f32,
    b: *const f32,
    ps: usize,
    c: *mut f32,
    ldc: usize,
    cols: usize,
    load_c: bool,
    bias: *const f32,
    /// Part of the next block of packed panels to prefetch: `pf_len` floats
    /// (16 a line) at `pf`, and as many again `pf_ps` on if `pf2`.
    pf: *const f32,
    pf_len: usize,
    pf2: bool,
    pf_ps: usize,
    /// For a converting tile: the f16 panels (`sps` halves apart) that
    /// become the `f32` ones at `b`.
    src: *const u16,
    sps: usize,
}

/// [`tile`] with `r <= MR` rows, each count its own instantiation (the
/// constant guards drop the counts above `MR`).
#[inline(always)]
unsafe fn tiles<V: Vector, H: Isa<V>, const MR: usize, const NV: usize>(r: usize, t: &Tile) {
    macro_rules! arms {
        ($($n:literal)*) => {
            match r {
                _ if r >= MR => tile::<V, H, MR, MR, NV>(t),
                $($n if $n < MR => tile::<V, H, MR, $n, NV>(t),)*
                _ => {}
            }
        };
    }
    arms!(1 2 3 4 5 6 7 8 9 10 11 12 13 14);
}

/// The micro-kernel: `C[0..R][0..cols] (+)= A[0..R][0..kc] · Bblock`.
/// With `t.src` set (only for `R = MR` and where `H::FUSE_F16`), the panels
/// are read as f16 there and stored to `t.b` (the gemm's buffer) as they are
/// converted, for the row blocks after this one; both loops share the rest.
#[inline(always)]
unsafe fn tile<V: Vector, H: Isa<V>, const MR: usize, const R: usize, const NV: usize>(t: &Tile) {
    // C's lines are read (or written) at the end: start fetching them now.
    for r in 0..R {
        let c = t.c.add(r * t.ldc);
        H::prefetch(c);
        H::prefetch(c.add(t.cols - 1));
    }
    let acc = if H::FUSE_F16 && R == MR && !t.src.is_null() {
        kloop::<V, H, R, NV, true>(t)
    } else {
        kloop::<V, H, R, NV, false>(t)
    };
    each!(r < R => {
        store_row(&acc[r], t.c.add(r * t.ldc), t.cols, t.load_c, t.bias);
    });
}

/// [`tile`]'s loop over `k`; `CVT`: B from f16 at `t.src`, see there.
#[inline(always)]
unsafe fn kloop<V: Vector, H: Isa<V>, const R: usize, const NV: usize, const CVT: bool>(
    t: &Tile,
) -> [[V; NV]; R] {
    let vpp = P / V::LANES;
    // This tile's share of the next B block (packed panels read in place
    // come from L2/L3, and the first row block would wait for them), spread
    // over the k loop: `step` floats a step of k (mostly the same line
    // again, which costs nothing), so misses never queue up in a burst.
    let (mut pfp, step) = if t.pf_len == 0 {
        (t.b, 0)
    } else {
        (t.pf, t.pf_len.div_ceil(t.kc))
    };
    let pf2 = NV * V::LANES > P && t.pf2;
    let mut acc: [[V; NV]; R] = zeroed();
    let mut ap = t.a;
    let mut bp = t.b;
    let mut sp = t.src;
    for _ in 0..t.kc {
        // Row `p` of the panels, column `p` of A. Unrolled by `each!` with
        // literal indices: written as loops over `R` and `NV`, LLVM at times
        // left the accumulators in memory (a store after every FMA).
        let mut bv: [V; NV] = zeroed();
        each!(v < NV => {
            let off = (v / vpp) * t.ps + (v % vpp) * V::LANES;
            bv[v] = if CVT {
                let x = H::load(sp.add((v / vpp) * t.sps + (v % vpp) * V::LANES));
                // `b` is the gemm's own buffer (a `*mut` made `*const`).
                x.store(bp.add(off) as *mut f32);
                x
            } else {
                V::load(bp.add(off))
            };
        });
        each!(r < R => {
            let s = V::splat(*ap.add(r));
            each!(v < NV => {
                acc[r][v] = s.mul_add(bv[v], acc[r][v]);
            });
        });
        H::prefetch(pfp);
        if pf2 {
            H::prefetch(pfp.wrapping_add(t.pf_ps));
        }
        pfp = pfp.wrapping_add(step);
        ap = ap.add(R);
        bp = bp.add(P);
        if CVT {
            sp = sp.add(P);
        }
    }
    acc
}

/// `C[0..cols] = acc (+ bias) (+ C)`, masked past `cols`.
#[inline(always)]
unsafe fn store_row<V: Vector, const NV: usize>(
    acc: &[V; NV],
    c: *mut f32,
    cols: usize,
    load_c: bool,
    bias: *const f32,
) {
    each!(v < NV => {
        let x = acc[v];
        let c0 = v * V::LANES;
        if c0 >= cols {
            return;
        }
        let w = cols - c0;
        let mut t = x;
        if w >= V::LANES {
            if !bias.is_null() {
                t = t.add(V::load(bias.add(c0)));
            }
            if load_c {
                t = t.add(V::load(c.add(c0)));
            }
            t.store(c.add(c0));
        } else {
            if !bias.is_null() {
                t = t.add(V::load_part(bias.add(c0), w));
            }
            if load_c {
                t = t.add(V::load_part(c.add(c0), w));
            }
            t.store_part(c.add(c0), w);
        }
    });
}

/// An array of zero registers (all-zero bits are 0.0 in every lane).
#[inline(always)]
fn zeroed<T>() -> T {
    // SAFETY: only used for arrays of `Vector`s, plain SIMD data (or f32)
    // for which all-zero bits are a valid value.
    unsafe { core::mem::zeroed() }
}

/// Packs `rows` rows of A (`kc` elements each, `lda` apart) for the
/// micro-kernel: tiles of `MR` rows `MR * kc` apart (the last one may have
/// fewer rows), each with its `R` values for one step of `k` side by side:
/// `A[t * MR + r][p]` at `dst + t * MR * kc + p * R + r`.
#[inline(always)]
unsafe fn pack_a<const MR: usize>(
    a: *const f32,
    lda: usize,
    rows: usize,
    kc: usize,
    dst: *mut f32,
) {
    let mut i = 0;
    while i < rows {
        let r = MR.min(rows - i);
        let d = dst.add(i * kc);
        let src = a.add(i * lda);
        if r == MR {
            // Constant row count: the row loop unrolls.
            for p in 0..kc {
                for q in 0..MR {
                    *d.add(p * MR + q) = *src.add(q * lda + p);
                }
            }
        } else {
            for p in 0..kc {
                for q in 0..r {
                    *d.add(p * r + q) = *src.add(q * lda + p);
                }
            }
        }
        i += MR;
    }
}

/// Packs the panels of B columns `j .. j + cols`, rows `pc .. pc + kc`, into
/// `dst` as `f32` panels `kc * 16` apart (the last one zero-padded).
#[inline(always)]
unsafe fn pack_block<V: Vector, H: Isa<V>>(
    x: &Args,
    pc: usize,
    kc: usize,
    j: usize,
    cols: usize,
    dst: *mut f32,
) {
    for q in 0..cols.div_ceil(P) {
        let d = dst.add(q * kc * P);
        let j0 = j + q * P;
        let w = P.min(x.n - j0);
        match x.b {
            BSrc::PackedF32(_) => {}
            BSrc::PackedF16(p) => {
                convert_run::<V, H>(p.add((j0 / P) * x.k * P + pc * P), d, kc * P)
            }
            BSrc::F32 { p, ld, nk: false } => {
                copy_rows::<V, F32>(p.add(pc * ld + j0), ld, kc, w, d)
            }
            BSrc::F16 { p, ld, nk: false } => copy_rows::<V, H>(p.add(pc * ld + j0), ld, kc, w, d),
            BSrc::F32 { p, ld, nk: true } => H::transpose_f32(p.add(j0 * ld + pc), ld, kc, w, d),
            BSrc::F16 { p, ld, nk: true } => H::transpose_f16(p.add(j0 * ld + pc), ld, kc, w, d),
        }
    }
}

/// `len` (a multiple of 16) halves to `f32`.
#[inline(always)]
unsafe fn convert_run<V: Vector, H: Isa<V>>(src: *const u16, dst: *mut f32, len: usize) {
    let mut i = 0;
    while i < len {
        H::load(src.add(i)).store(dst.add(i));
        i += V::LANES;
    }
}

/// `kc` rows of `w <= 16` columns, `ld` apart, into one zero-padded panel.
#[inline(always)]
unsafe fn copy_rows<V: Vector, L: Load<V>>(
    src: *const L::E,
    ld: usize,
    kc: usize,
    w: usize,
    dst: *mut f32,
) {
    let vpp = P / V::LANES;
    if w == P {
        for p in 0..kc {
            for v in 0..vpp {
                L::load(src.add(p * ld + v * V::LANES)).store(dst.add(p * P + v * V::LANES));
            }
        }
        return;
    }
    for p in 0..kc {
        for v in 0..vpp {
            let c0 = v * V::LANES;
            let x = if c0 >= w {
                V::zero()
            } else if w - c0 >= V::LANES {
                L::load(src.add(p * ld + c0))
            } else {
                L::load_part(src.add(p * ld + c0), w - c0)
            };
            x.store(dst.add(p * P + c0));
        }
    }
}

/// `w <= 16` rows of Bᵀ (`kc` elements each, `ld` apart) into the columns of
/// one zero-padded panel, one element at a time.
#[inline(always)]
pub(crate) unsafe fn transpose<T: Copy>(
    src: *const T,
    ld: usize,
    kc: usize,
    w: usize,
    dst: *mut f32,
    f: impl Fn(T) -> f32,
) {
    for c in 0..P {
        if c < w {
            let s = src.add(c * ld);
            for p in 0..kc {
                *dst.add(p * P + c) = f(*s.add(p));
            }
        } else {
            for p in 0..kc {
                *dst.add(p * P + c) = 0.0;
            }
        }
    }
}

/// `k = 0`: `C = bias` (or 0), or `C += bias`.
#[inline(always)]
unsafe fn fill(x: &Args) {
    for i in 0..x.m {
        let c = x.c.add(i * x.ldc);
        for j in 0..x.n {
            let b = if x.bias.is_null() {
                0.0
            } else {
                *x.bias.add(j)
            };
            *c.add(j) = if x.acc { *c.add(j) + b } else { b };
        }
    }
}

/// One row of A: `C[0][..] (+)= a · B`, B read once.
#[inline(always)]
unsafe fn gemv<V: Vector, H: Isa<V>, const GV: usize>(x: &Args) {
    match x.b {
        BSrc::PackedF32(p) => gemv_panels::<V, F32, GV>(x, p, P, x.k * P, true),
        BSrc::PackedF16(p) => gemv_panels::<V, H, GV>(x, p, P, x.k * P, true),
        BSrc::F32 { p, ld, nk: false } => gemv_panels::<V, F32, GV>(x, p, ld, P, false),
        BSrc::F16 { p, ld, nk: false } => gemv_panels::<V, H, GV>(x, p, ld, P, false),
        BSrc::F32 { p, ld, nk: true } => gemv_dots::<V, F32>(x, p, ld),
        BSrc::F16 { p, ld, nk: true } => gemv_dots::<V, H>(x, p, ld),
    }
}

/// B as 16-column panels: `B[p][j]` at `b + (j / 16) * ps + p * rs + j % 16`.
/// `padded`: every panel up to `ceil(n / 16)` is readable in full (packed
/// B); otherwise (B read in place, `k × n`) the last columns are loaded
/// masked.
#[inline(always)]
unsafe fn gemv_panels<V: Vector, L: Load<V>, const GV: usize>(
    x: &Args,
    b: *const L::E,
    rs: usize,
    ps: usize,
    padded: bool,
) {
    let vpp = P / V::LANES;
    let panels = x.n.div_ceil(P);
    // Panels every vector of which may be loaded whole.
    let whole = if padded { panels } else { x.n / P };
    let per_group = GV / vpp;
    let mut q = 0;
    while q + per_group <= whole {
        gemv_group::<V, L, GV, false>(x, b.add(q * ps), rs, ps, q * P);
        q += per_group;
    }
    // The rest one vector at a time (at most a group's worth).
    let mut j = q * P;
    while j < x.n {
        let sub = b.add((j / P) * ps + j % P);
        if padded || x.n - j >= V::LANES {
            gemv_group::<V, L, 1, false>(x, sub, rs, ps, j);
        } else {
            gemv_group::<V, L, 1, true>(x, sub, rs, ps, j);
        }
        j += V::LANES;
    }
}

/// `NV` vectors of C from column `j` on (columns past `n` are not stored);
/// `MASKED`: fewer than `LANES` columns are left and must be loaded masked.
#[inline(always)]
unsafe fn gemv_group<V: Vector, L: Load<V>, const NV: usize, const MASKED: bool>(
    x: &Args,
    b: *const L::E,
    rs: usize,
    ps: usize,
    j: usize,
) {
    let vpp = P / V::LANES;
    let w = x.n - j;
    let mut acc: [V; NV] = zeroed();
    for p in 0..x.k {
        let s = V::splat(*x.a.add(p));
        let row = b.add(p * rs);
        for (v, a) in acc.iter_mut().enumerate() {
            let bp = row.add((v / vpp) * ps + (v % vpp) * V::LANES);
            let bv = if MASKED {
                L::load_part(bp, w)
            } else {
                L::load(bp)
            };
            *a = s.mul_add(bv, *a);
        }
    }
    let bias = if x.bias.is_null() {
        x.bias
    } else {
        x.bias.add(j)
    };
    store_row(&acc, x.c.add(j), w, x.acc, bias);
}

/// One row of A against B stored `n × k`: a dot product per column of C,
/// four columns at a time.
#[inline(always)]
unsafe fn gemv_dots<V: Vector, L: Load<V>>(x: &Args, b: *const L::E, ld: usize) {
    let mut j = 0;
    while j + 4 <= x.n {
        let r = dots::<V, L, 4>(x.a, b.add(j * ld), ld, x.k);
        for (t, v) in r.iter().enumerate() {
            put(x, j + t, *v);
        }
        j += 4;
    }
    while j < x.n {
        let [v] = dots::<V, L, 1>(x.a, b.add(j * ld), ld, x.k);
        put(x, j, v);
        j += 1;
    }
}

#[inline(always)]
unsafe fn put(x: &Args, j: usize, v: f32) {
    let mut v = v;
    if !x.bias.is_null() {
        v += *x.bias.add(j);
    }
    let c = x.c.add(j);
    *c = if x.acc { *c + v } else { v };
}

/// `R` dot products of `a` with rows of `b` (`ld` apart), `k` long.
#[inline(always)]
unsafe fn dots<V: Vector, L: Load<V>, const R: usize>(
    a: *const f32,
    b: *const L::E,
    ld: usize,
    k: usize,
) -> [f32; R] {
    let l = V::LANES;
    let mut acc: [[V; 2]; R] = zeroed();
    let mut p = 0;
    while p + 2 * l <= k {
        let a0 = V::load(a.add(p));
        let a1 = V::load(a.add(p + l));
        for (r, s) in acc.iter_mut().enumerate() {
            let br = b.add(r * ld + p);
            s[0] = a0.mul_add(L::load(br), s[0]);
            s[1] = a1.mul_add(L::load(br.add(l)), s[1]);
        }
        p += 2 * l;
    }
    while p < k {
        let w = (k - p).min(l);
        let a0 = if w == l {
            V::load(a.add(p))
        } else {
            V::load_part(a.add(p), w)
        };
        for (r, s) in acc.iter_mut().enumerate() {
            let br = b.add(r * ld + p);
            let bv = if w == l {
                L::load(br)
            } else {
                L::load_part(br, w)
            };
            s[0] = a0.mul_add(bv, s[0]);
        }
        p += w;
    }
    let mut out = [0.0; R];
    for (o, s) in out.iter_mut().zip(acc.iter()) {
        *o = s[0].add(s[1]).sum_f64() as f32;
    }
    out
}

/// `n` halves to `f32`: whole vectors with `H`, the tail one by one.
#[inline(always)]
pub(crate) unsafe fn convert_slice<V: Vector, H: Isa<V>>(src: *const u16, dst: *mut f32, n: usize) {
    let mut i = 0;
    while i + V::LANES <= n {
        H::load(src.add(i)).store(dst.add(i));
        i += V::LANES;
    }
    while i < n {
        *dst.add(i) = f16_to_f32(*src.add(i));
        i += 1;
    }
}

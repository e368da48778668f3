//! gemm on every backend (the SIMD ones this CPU has, and the scalar one)
//! against a plain `f64` reference written here, sharing no code with the
//! kernels: every (m, n, k) with each in 1..=33, random shapes up to 1024,
//! the encoder's shapes, both B layouts, f32 and f16 B, packed and not, with
//! and without bias and accumulate, unaligned starts, strided A, B and C.
//!
//! Error bound asserted per element (stated in `gemm`'s docs):
//! `|c - ref| <= (k + 2) * 2^-23 * (sum_p |a b| + |bias| + |c0|)`, the
//! reference computed in `f64` from the very values the kernel sees (f16
//! decoded by the `half` crate). Elements outside C's view must be untouched.

mod common;

use common::{say, Rng};
use rayo_kernels::{Backend, Layout, Mat, MatMut, PackedB, Rhs};

/// Every backend compiled in and supported here, scalar last.
fn backends() -> Vec<Backend> {
    let mut out = common::simd_backends();
    out.push(common::scalar());
    out
}

#[derive(Clone, Copy, Debug)]
struct Case {
    m: usize,
    n: usize,
    k: usize,
    layout: Layout,
    f16: bool,
    packed: bool,
    bias: bool,
    acc: bool,
    /// Start offsets (elements) of A, B, C past a 64-byte boundary.
    off: [usize; 3],
    /// Extra row stride (elements) of A, B, C beyond their columns.
    pad: [usize; 3],
}

impl Case {
    /// Variant `v` (0..32) of layout/f16/packed/bias/acc, offsets and
    /// paddings from `rng`.
    fn new(m: usize, n: usize, k: usize, v: usize, rng: &mut Rng) -> Case {
        let mut pick = |opts: &[usize]| opts[rng.below(opts.len())];
        Case {
            m,
            n,
            k,
            layout: if v & 1 == 0 { Layout::KxN } else { Layout::NxK },
            f16: v & 2 != 0,
            packed: v & 4 != 0,
            bias: v & 8 != 0,
            acc: v & 16 != 0,
            off: [pick(&[0, 1, 3, 5]), pick(&[0, 1, 7]), pick(&[0, 2, 3])],
            pad: [pick(&[0, 0, 3]), pick(&[0, 0, 5]), pick(&[0, 0, 1])],
        }
    }
}

/// A buffer whose element `off` sits on a 64-byte boundary.
struct Aligned<T> {
    buf: Vec<T>,
    start: usize,
}

impl<T: Copy + Default> Aligned<T> {
    fn new(len: usize, off: usize) -> Aligned<T> {
        let size = std::mem::size_of::<T>();
        let buf = vec![T::default(); len + off + 64 / size];
        let start = buf.as_ptr().align_offset(64) + off;
        Aligned { buf, start }
    }
    fn slice(&self) -> &[T] {
        &self.buf[self.start..]
    }
    fn slice_mut(&mut self) -> &mut [T] {
        &mut self.buf[self.start..]
    }
}

fn f16_value(h: u16) -> f64 {
    half::f16::from_bits(h).to_f64()
}

/// Runs `case` on every backend in `bes` (same data, the reference computed
/// once) and checks every element of C, and that nothing outside C's view
/// changed. Returns a description of the first failure.
fn run(bes: &[Backend], case: &Case, rng: &mut Rng) -> Result<(), String> {
    let Case { m, n, k, .. } = *case;
    let lda = k + case.pad[0];
    let ldc = n + case.pad[2];
    let (b_rows, b_cols) = match case.layout {
        Layout::KxN => (k, n),
        Layout::NxK => (n, k),
    };
    let ldb = b_cols + case.pad[1];

    let mut a = Aligned::<f32>::new(m * lda, case.off[0]);
    for x in a.slice_mut() {
        *x = rng.range(-1.0, 1.0);
    }
    let a_len = if m == 0 { 0 } else { (m - 1) * lda + k };
    // B in f32 and, rounded, in f16.
    let mut b32 = Aligned::<f32>::new(b_rows * ldb, case.off[1]);
    let mut b16 = Aligned::<u16>::new(b_rows * ldb, case.off[1]);
    for (x, h) in b32.slice_mut().iter_mut().zip(b16.slice_mut()) {
        *x = rng.range(-1.0, 1.0);
        *h = half::f16::from_f32(*x).to_bits();
    }
    let b_len = if b_rows == 0 {
        0
    } else {
        (b_rows - 1) * ldb + b_cols
    };
    // The k x n values the kernel sees, in f64.
    let mut bv = vec![0.0f64; k * n];
    for p in 0..k {
        for j in 0..n {
            let idx = match case.layout {
                Layout::KxN => p * ldb + j,
                Layout::NxK => j * ldb + p,
            };
            bv[p * n + j] = if case.f16 {
                f16_value(b16.slice()[idx])
            } else {
                b32.slice()[idx] as f64
            };
        }
    }
    let bias: Vec<f32> = (0..n).map(|_| rng.range(-2.0, 2.0)).collect();

    let mut c = Aligned::<f32>::new(m * ldc + 8, case.off[2]);
    for x in c.slice_mut() {
        // Accumulate starts from values; overwrite from NaN, which any
        // element the kernel forgets keeps.
        *x = if case.acc {
            rng.range(-1.0, 1.0)
        } else {
            f32::NAN
        };
    }
    let c0: Vec<f32> = c.slice().to_vec();

    // The reference and the bound's magnitude, row by row.
    let mut exact = vec![0.0f64; m * n];
    let mut mag = vec![0.0f64; m * n];
    for i in 0..m {
        let (e, g) = (&mut exact[i * n..][..n], &mut mag[i * n..][..n]);
        for p in 0..k {
            let x = a.slice()[i * lda + p] as f64;
            for j in 0..n {
                let t = x * bv[p * n + j];
                e[j] += t;
                g[j] += t.abs();
            }
        }
        for j in 0..n {
            if case.bias {
                e[j] += bias[j] as f64;
                g[j] += (bias[j] as f64).abs();
            }
            if case.acc {
                e[j] += c0[i * ldc + j] as f64;
                g[j] += (c0[i * ldc + j] as f64).abs();
            }
        }
    }

    // Packed B, if asked for: from the f16 or f32 values into f16 or f32
    // panels of the same type.
    let plen = PackedB::len(k, n).map_err(|e| e.to_string())?;
    let mut p32 = Aligned::<f32>::new(plen, 0);
    let mut p16 = Aligned::<u16>::new(plen, 0);
    let rhs = if case.packed {
        let pb = if case.f16 {
            let src = Mat::strided(&b16.slice()[..b_len], b_rows, b_cols, ldb);
            PackedB::pack(src, case.layout, &mut p16.slice_mut()[..plen])
        } else {
            let src = Mat::strided(&b32.slice()[..b_len], b_rows, b_cols, ldb);
            PackedB::pack(src, case.layout, &mut p32.slice_mut()[..plen])
        };
        Rhs::Packed(pb.map_err(|e| e.to_string())?)
    } else if case.f16 {
        Rhs::F16(
            Mat::strided(&b16.slice()[..b_len], b_rows, b_cols, ldb),
            case.layout,
        )
    } else {
        Rhs::F32(
            Mat::strided(&b32.slice()[..b_len], b_rows, b_cols, ldb),
            case.layout,
        )
    };

    let av = Mat::strided(&a.slice()[..a_len], m, k, lda);
    let c_len = if m == 0 { 0 } else { (m - 1) * ldc + n };
    let bias_arg = case.bias.then_some(&bias[..]);
    let u = 2f64.powi(-23);
    for &be in bes {
        c.slice_mut().copy_from_slice(&c0);
        let cv = MatMut::strided(&mut c.slice_mut()[..c_len], m, n, ldc);
        let r = if case.acc {
            be.gemm_accumulate(av, rhs, bias_arg, cv)
        } else {
            be.gemm(av, rhs, bias_arg, cv)
        };
        r.map_err(|e| format!("backend {be:?}: unexpected error: {e}"))?;
        let out = c.slice();
        for i in 0..m {
            for j in 0..n {
                let (want, got) = (exact[i * n + j], out[i * ldc + j] as f64);
                let tol = (k as f64 + 2.0) * u * mag[i * n + j] + 1e-37;
                let err = (got - want).abs();
                if err.is_nan() || err > tol {
                    return Err(format!(
                        "backend {be:?}: C[{i}][{j}] = {got}, reference {want}, |error| {:e} > bound {tol:e}",
                        (got - want).abs()
                    ));
                }
            }
        }
        // Row padding and the tail past the view are untouched.
        for (idx, (x, y)) in out.iter().zip(&c0).enumerate() {
            let inside = idx < c_len && idx % ldc < n;
            if !inside && x.to_bits() != y.to_bits() {
                return Err(format!(
                    "backend {be:?}: element {idx} outside C's view changed"
                ));
            }
        }
    }
    Ok(())
}

fn check(bes: &[Backend], case: &Case, rng: &mut Rng) {
    if let Err(e) = run(bes, case, rng) {
        panic!("{case:?}: {e}");
    }
}

#[test]
fn every_shape_up_to_33() {
    // Under qemu (aarch64) only NEON: the scalar backend is the same
    // target-independent code the x86_64 run sweeps in full, and the sweep
    // is most of this file's time under emulation (~1 min).
    let bes = if cfg!(target_arch = "aarch64") {
        common::simd_backends()
    } else {
        backends()
    };
    {
        let mut rng = Rng::new(16);
        let mut count = 0;
        let mut idx = 0usize;
        for m in 1..=33 {
            for n in 1..=33 {
                for k in 1..=33 {
                    idx += 1;
                    // Each shape gets one of the 32 variants, in rotation
                    // (a multiplier coprime to 32 spreads them over m, n, k).
                    let v = (idx * 7 + m) % 32;
                    check(&bes, &Case::new(m, n, k, v, &mut rng), &mut rng);
                    count += 1;
                }
            }
        }
        say(&format!(
            "ran: gemm backends {bes:?}, {count} shapes up to 33"
        ));
    }
}

#[test]
fn every_variant_on_edge_shapes() {
    // Shapes around the micro-tile and block edges of every backend: rows
    // 1..=9 and 12..=17 (MR 1..8), columns around 16/32, k across KC = 128
    // (AVX-512), 256 (SSE2, NEON, scalar) and 384 (AVX2).
    let shapes = [
        (2, 17, 129),
        (9, 33, 257),
        (13, 48, 300),
        (17, 31, 128),
        (6, 16, 256),
        (1, 47, 513),
        (1, 16, 1),
        (8, 1, 40),
        (7, 40, 385),
        (12, 17, 769),
    ];
    let bes = backends();
    let mut rng = Rng::new(17);
    {
        for &(m, n, k) in &shapes {
            for v in 0..32 {
                check(&bes, &Case::new(m, n, k, v, &mut rng), &mut rng);
            }
        }
    }
}

#[test]
fn random_shapes_up_to_1024() {
    let bes = backends();
    let mut rng = Rng::new(18);
    {
        let cases = if cfg!(target_arch = "aarch64") { 6 } else { 24 };
        for t in 0..cases {
            // Bounded work per case: m * n * k <= 2^22 (the reference is a
            // plain f64 loop).
            let (m, n, k) = loop {
                let d = [0, 1, 2].map(|_| 1 + rng.below(1024));
                if d[0] * d[1] * d[2] <= 1 << 22 {
                    break (d[0], d[1], d[2]);
                }
            };
            check(&bes, &Case::new(m, n, k, t % 32, &mut rng), &mut rng);
        }
    }
}

#[test]
fn encoder_shapes() {
    // all-MiniLM-L6-v2's products: tokens x 384 by 384 x 384, 384 x 1536,
    // 1536 x 384 (packed f16 and f32, as the encoder uses them), and one
    // attention head: 128 x 32 by 32 x 128 from a stride-384 activation.
    let sizes: &[(usize, usize, usize)] = if cfg!(target_arch = "aarch64") {
        &[(16, 384, 384), (1, 1536, 384)]
    } else {
        &[
            (16, 384, 384),
            (16, 1536, 384),
            (40, 384, 1536),
            (1, 1536, 384),
            (1, 384, 1536),
        ]
    };
    let bes = backends();
    let mut rng = Rng::new(19);
    {
        for &(m, n, k) in sizes {
            for v in [0b00111, 0b00110, 0b01101, 0b11011] {
                check(&bes, &Case::new(m, n, k, v, &mut rng), &mut rng);
            }
        }
        // Q · Kᵀ for one head: A = Q[:, 32h..32h+32], B = K[:, 32h..] as n x k.
        let mut case = Case::new(128, 128, 32, 0b00001, &mut rng);
        case.pad = [352, 352, 0];
        check(&bes, &case, &mut rng);
    }
}

#[test]
fn k_zero_sets_bias() {
    for be in backends() {
        let a: [f32; 0] = [];
        let b: [f32; 0] = [];
        let mut c = [9.0f32; 6];
        be.gemm(
            Mat::new(&a, 2, 0),
            Rhs::F32(Mat::new(&b, 0, 3), Layout::KxN),
            Some(&[1.0, 2.0, 3.0]),
            MatMut::new(&mut c, 2, 3),
        )
        .unwrap();
        assert_eq!(c, [1.0, 2.0, 3.0, 1.0, 2.0, 3.0], "{be:?}");
        be.gemm_accumulate(
            Mat::new(&a, 2, 0),
            Rhs::F32(Mat::new(&b, 0, 3), Layout::KxN),
            Some(&[1.0, 2.0, 3.0]),
            MatMut::new(&mut c, 2, 3),
        )
        .unwrap();
        assert_eq!(c, [2.0, 4.0, 6.0, 2.0, 4.0, 6.0], "{be:?}");
        be.gemm(
            Mat::new(&a, 2, 0),
            Rhs::F32(Mat::new(&b, 0, 3), Layout::KxN),
            None,
            MatMut::new(&mut c, 2, 3),
        )
        .unwrap();
        assert_eq!(c, [0.0; 6], "{be:?}");
    }
}

#[test]
fn nan_and_infinity_propagate() {
    // A NaN in row 1 of A makes row 1 of C NaN; an infinity in B makes its
    // column infinite where A is positive there.
    let (m, n, k) = (5, 40, 20);
    for be in backends() {
        for packed in [false, true] {
            let mut a = vec![0.5f32; m * k];
            a[k + 3] = f32::NAN;
            let mut b = vec![0.25f32; k * n];
            b[7 * n + 33] = f32::INFINITY;
            let mut buf = vec![0.0f32; PackedB::len(k, n).unwrap() + 16];
            let rhs = if packed {
                let out = &mut PackedB::aligned_mut(&mut buf)[..PackedB::len(k, n).unwrap()];
                Rhs::Packed(PackedB::pack(Mat::new(&b, k, n), Layout::KxN, out).unwrap())
            } else {
                Rhs::F32(Mat::new(&b, k, n), Layout::KxN)
            };
            let mut c = vec![0.0f32; m * n];
            be.gemm(Mat::new(&a, m, k), rhs, None, MatMut::new(&mut c, m, n))
                .unwrap();
            for i in 0..m {
                for j in 0..n {
                    let x = c[i * n + j];
                    if i == 1 {
                        assert!(x.is_nan(), "{be:?} C[{i}][{j}] = {x}");
                    } else if j == 33 {
                        assert_eq!(x, f32::INFINITY, "{be:?} C[{i}][{j}]");
                    } else {
                        assert_eq!(x, 0.125 * k as f32, "{be:?} C[{i}][{j}]");
                    }
                }
            }
        }
    }
}

#[test]
fn packed_layout_is_the_documented_one() {
    // Element B[p][j] at (j / 16) * 16k + p * 16 + j % 16, zero padding.
    let (k, n) = (3, 20);
    let b: Vec<f32> = (0..k * n).map(|i| i as f32 + 1.0).collect();
    let len = PackedB::len(k, n).unwrap();
    assert_eq!(len, 2 * 16 * k);
    let mut buf = vec![-1.0f32; len + 16];
    let out = &mut PackedB::aligned_mut(&mut buf)[..len];
    let pb = PackedB::pack(Mat::new(&b, k, n), Layout::KxN, out).unwrap();
    let d = pb.as_f32().unwrap();
    for p in 0..k {
        for j in 0..32 {
            let want = if j < n { b[p * n + j] } else { 0.0 };
            assert_eq!(d[(j / 16) * 16 * k + p * 16 + j % 16], want, "p {p} j {j}");
        }
    }
    // The same B given transposed packs to the same panels; f16 panels hold
    // the rounded values.
    let bt: Vec<f32> = (0..n * k).map(|i| b[(i % k) * n + i / k]).collect();
    let mut buf2 = vec![0.0f32; len + 16];
    let out2 = &mut PackedB::aligned_mut(&mut buf2)[..len];
    let pt = PackedB::pack(Mat::new(&bt, n, k), Layout::NxK, out2).unwrap();
    assert_eq!(pt.as_f32().unwrap(), d);
    let mut buf3 = vec![0u16; len + 32];
    let out3 = &mut PackedB::aligned_mut(&mut buf3)[..len];
    let ph = PackedB::pack(Mat::new(&b, k, n), Layout::KxN, out3).unwrap();
    let h: Vec<u16> = d
        .iter()
        .map(|x| half::f16::from_f32(*x).to_bits())
        .collect();
    assert_eq!(ph.as_f16().unwrap(), &h[..]);
    // f16 -> f16 packing copies bits, NaN payloads included.
    let src = [0x7d01u16, 0xfc00, 0x0001, 0x8000];
    let mut buf4 = vec![0u16; 64 + 32];
    let out4 = &mut PackedB::aligned_mut(&mut buf4)[..64];
    let p4 = PackedB::pack(Mat::new(&src, 4, 1), Layout::KxN, out4).unwrap();
    let f = p4.as_f16().unwrap();
    assert_eq!([f[0], f[16], f[32], f[48]], src);
}

#[test]
fn packed_from_bytes_and_bad_buffers() {
    let (k, n) = (4, 17);
    let len = PackedB::len(k, n).unwrap();
    let mut buf = vec![0u16; len + 64];
    let base = PackedB::aligned_mut(&mut buf);
    // Wrong length, misaligned start, overflowing shape: errors, not panics.
    let e = PackedB::from_packed(&base[..len - 1], k, n).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "rayo_kernels::PackedB: length mismatch: the buffer's length is {} but PackedB::len(k, n) is {len}",
            len - 1
        )
    );
    let e = PackedB::from_packed(&base[1..len + 1], k, n).unwrap_err();
    assert_eq!(
        e.to_string(),
        "rayo_kernels::PackedB: length mismatch: the buffer's start, in bytes past a 64-byte boundary, is 2 but the required is 0"
    );
    assert!(PackedB::from_packed(&base[..len], usize::MAX, 40).is_err());
    assert!(PackedB::len(usize::MAX, 40).is_err());
    assert!(PackedB::from_packed(&base[..len], k, n).is_ok());
    // Bytes: a mapped file's slice.
    let mut bytes = vec![0u8; len * 4 + 64];
    let bb = PackedB::aligned_mut(&mut bytes);
    let p = PackedB::from_bytes::<f32>(&bb[..len * 4], k, n).unwrap();
    assert!(!p.is_f16() && p.k() == k && p.n() == n);
    let p = PackedB::from_bytes::<u16>(&bb[..len * 2], k, n).unwrap();
    assert!(p.is_f16());
    assert!(PackedB::from_bytes::<f32>(&bb[..len * 4 - 1], k, n).is_err());
    assert!(PackedB::from_bytes::<f32>(&bb[4..len * 4 + 4], k, n).is_err());
    // Packing into a misaligned or short buffer is an error too.
    let b = vec![1.0f32; k * n];
    let mut out = vec![0.0f32; len + 32];
    let o = PackedB::aligned_mut(&mut out);
    assert!(PackedB::pack(Mat::new(&b, k, n), Layout::KxN, &mut o[1..len + 1]).is_err());
    assert!(PackedB::pack(Mat::new(&b, k, n), Layout::KxN, &mut o[..len - 16]).is_err());
}

#[test]
fn shape_errors_name_both_sizes() {
    let a = [0.0f32; 12];
    let b = [0.0f32; 20];
    let mut c = [0.0f32; 15];
    let err = |r: Result<(), rayo_kernels::Error>| r.unwrap_err().to_string();
    let kxn = |rows, cols| Rhs::F32(Mat::new(&b, rows, cols), Layout::KxN);
    let e = err(rayo_kernels::checked::gemm(
        Mat::new(&a, 3, 4),
        kxn(5, 4),
        None,
        MatMut::new(&mut c, 3, 4),
    ));
    assert_eq!(
        e,
        "rayo_kernels::gemm: length mismatch: a.cols (k) is 4 but b's k is 5"
    );
    let e = err(rayo_kernels::checked::gemm(
        Mat::new(&a, 3, 4),
        kxn(4, 5),
        None,
        MatMut::new(&mut c, 3, 4),
    ));
    assert_eq!(
        e,
        "rayo_kernels::gemm: length mismatch: c.cols is 4 but b's n is 5"
    );
    let e = err(rayo_kernels::checked::gemm(
        Mat::new(&a, 3, 4),
        kxn(4, 5),
        Some(&[0.0; 4]),
        MatMut::new(&mut c, 3, 5),
    ));
    assert_eq!(
        e,
        "rayo_kernels::gemm: length mismatch: bias.len() is 4 but b's n is 5"
    );
    let e = err(rayo_kernels::checked::gemm(
        Mat::new(&a, 4, 4),
        kxn(4, 5),
        None,
        MatMut::new(&mut c, 3, 5),
    ));
    assert_eq!(
        e,
        "rayo_kernels::gemm: length mismatch: a's slice length is 12 but (a.rows() - 1) * stride + a.cols() is 16"
    );
    let e = err(rayo_kernels::checked::gemm(
        Mat::strided(&a, 2, 4, 3),
        kxn(4, 5),
        None,
        MatMut::new(&mut c, 2, 5),
    ));
    assert_eq!(
        e,
        "rayo_kernels::gemm: length mismatch: a's row stride is 3 but a.cols() is 4"
    );
    // B transposed: n x k = 5 x 4 is a 4 x 5 B, so this one is fine...
    assert!(rayo_kernels::checked::gemm(
        Mat::new(&a, 3, 4),
        Rhs::F32(Mat::new(&b, 5, 4), Layout::NxK),
        None,
        MatMut::new(&mut c, 3, 5),
    )
    .is_ok());
    // ... and C with the wrong row count is not.
    let e = err(rayo_kernels::checked::gemm(
        Mat::new(&a, 3, 4),
        Rhs::F32(Mat::new(&b, 5, 4), Layout::NxK),
        None,
        MatMut::new(&mut c, 2, 5),
    ));
    assert_eq!(
        e,
        "rayo_kernels::gemm: length mismatch: c.rows is 2 but a.rows (m) is 3"
    );
}

#[test]
#[should_panic(expected = "rayo_kernels::gemm: length mismatch: c.rows is 2 but a.rows (m) is 3")]
fn gemm_panics_naming_both_sizes() {
    let a = [0.0f32; 12];
    let b = [0.0f32; 20];
    let mut c = [0.0f32; 10];
    rayo_kernels::gemm(
        Mat::new(&a, 3, 4),
        Rhs::F32(Mat::new(&b, 4, 5), Layout::KxN),
        None,
        MatMut::new(&mut c, 2, 5),
    );
}

#[test]
fn free_functions_use_the_active_backend() {
    let a = [1.0f32, 2.0, 3.0, 4.0];
    let b = [1.0f32, 0.0, 0.0, 1.0];
    let mut c = [0.0f32; 4];
    rayo_kernels::gemm(
        Mat::new(&a, 2, 2),
        Rhs::F32(Mat::new(&b, 2, 2), Layout::KxN),
        None,
        MatMut::new(&mut c, 2, 2),
    );
    assert_eq!(c, a);
    rayo_kernels::gemm_accumulate(
        Mat::new(&a, 2, 2),
        Rhs::F32(Mat::new(&b, 2, 2), Layout::NxK),
        Some(&[1.0, 1.0]),
        MatMut::new(&mut c, 2, 2),
    );
    assert_eq!(c, [3.0, 5.0, 7.0, 9.0]);
    say(&format!("ran: gemm active backend {:?}", Backend::active()));
}

//! Every SIMD backend against the scalar reference: every length 0..=257,
//! random lengths up to 1M and past the streaming-store threshold,
//! unaligned starts, NaN, ±inf, signed zeros, subnormals, empty input.

mod common;

use common::{close, data, same, say, scalar, simd_backends, Rng};
use rayo_kernels::Backend;

/// Runs every operation on `b` and on the scalar reference and compares.
/// `off` shifts each slice's start by 0..3 elements inside a larger buffer,
/// so vector loads see every misalignment.
fn check(b: Backend, rng: &mut Rng, n: usize, off: [usize; 3], specials: bool) {
    let s = scalar();
    let ctx =
        |op: &str| format!("backend {b:?}, op {op}, n {n}, offsets {off:?}, specials {specials}");
    let buf_a = data(rng, n + 3, specials);
    let buf_b = data(rng, n + 3, specials);
    let buf_c = data(rng, n + 3, specials);
    let a = &buf_a[off[0]..off[0] + n];
    let x = &buf_b[off[1]..off[1] + n];
    let c = &buf_c[off[2]..off[2] + n];
    let abs_sum = |v: &[f32]| v.iter().map(|x| x.abs() as f64).sum::<f64>();
    let prod_sum = |u: &[f32], v: &[f32]| {
        u.iter()
            .zip(v)
            .map(|(p, q)| (*p as f64 * *q as f64).abs())
            .sum::<f64>()
    };
    // Lanes are f32 within blocks: allow 1e-5 of the magnitude that was summed,
    // plus an absolute floor for subnormal-only data.
    let tol = |mag: f64| 1e-5 * mag + 1e-30;

    // Reductions.
    let m = abs_sum(a);
    assert!(close(b.sum(a), s.sum(a), tol(m)), "{}", ctx("sum"));
    assert!(
        close(b.norm_l1(a), s.norm_l1(a), tol(m)),
        "{}",
        ctx("norm_l1")
    );
    if n > 0 {
        assert!(
            close(b.mean(a), s.mean(a), tol(m / n as f64)),
            "{}",
            ctx("mean")
        );
    }
    let sq = prod_sum(a, a);
    assert!(
        close(b.norm_l2(a), s.norm_l2(a), tol(sq.sqrt())),
        "{}: {} vs {}",
        ctx("norm_l2"),
        b.norm_l2(a),
        s.norm_l2(a)
    );
    let ax = prod_sum(a, x);
    assert!(
        close(b.dot(a, x).unwrap(), s.dot(a, x).unwrap(), tol(ax)),
        "{}",
        ctx("dot")
    );
    let d2: f64 = a
        .iter()
        .zip(x)
        .map(|(p, q)| (*p as f64 - *q as f64).powi(2))
        .sum();
    assert!(
        close(
            b.euclidean_sq(a, x).unwrap(),
            s.euclidean_sq(a, x).unwrap(),
            tol(d2)
        ),
        "{}",
        ctx("euclidean_sq")
    );
    assert!(
        close(
            b.euclidean(a, x).unwrap(),
            s.euclidean(a, x).unwrap(),
            tol(d2.sqrt())
        ),
        "{}",
        ctx("euclidean")
    );
    assert!(
        close(b.cosine(a, x).unwrap(), s.cosine(a, x).unwrap(), 1e-5),
        "{}: {} vs {}",
        ctx("cosine"),
        b.cosine(a, x).unwrap(),
        s.cosine(a, x).unwrap()
    );
    // Extremes must match exactly, NaN rules included.
    assert_eq!(
        b.max(a).map(f32::to_bits),
        s.max(a).map(f32::to_bits),
        "{}",
        ctx("max")
    );
    assert_eq!(
        b.min(a).map(f32::to_bits),
        s.min(a).map(f32::to_bits),
        "{}",
        ctx("min")
    );
    assert_eq!(b.argmax(a), s.argmax(a), "{}", ctx("argmax"));
    assert_eq!(b.argmin(a), s.argmin(a), "{}", ctx("argmin"));

    // Element-wise: exact, except where FMA may round once instead of twice.
    let mut buf_o1 = vec![0.0; n + 3];
    let mut buf_o2 = vec![0.0; n + 3];
    let o1 = &mut buf_o1[off[2]..off[2] + n];
    let o2 = &mut buf_o2[off[2]..off[2] + n];
    type Bin = fn(Backend, &[f32], &[f32], &mut [f32]) -> Result<(), rayo_kernels::Error>;
    let bins: [(&str, Bin); 4] = [
        ("add", |b, p, q, o| b.add(p, q, o)),
        ("sub", |b, p, q, o| b.sub(p, q, o)),
        ("mul", |b, p, q, o| b.mul(p, q, o)),
        ("div", |b, p, q, o| b.div(p, q, o)),
    ];
    for (name, f) in bins {
        f(b, a, x, o1).unwrap();
        f(s, a, x, o2).unwrap();
        for i in 0..n {
            assert!(
                same(o1[i], o2[i]),
                "{} at {i}: {} vs {}",
                ctx(name),
                o1[i],
                o2[i]
            );
        }
    }
    type Un = fn(Backend, &[f32], &mut [f32]) -> Result<(), rayo_kernels::Error>;
    let exact: [(&str, Un); 4] = [
        ("abs", |b, p, o| b.abs(p, o)),
        ("relu", |b, p, o| b.relu(p, o)),
        ("scale", |b, p, o| b.scale(p, -1.5, o)),
        ("clamp", |b, p, o| b.clamp(p, -2.0, 3.0, o)),
    ];
    for (name, f) in exact {
        f(b, a, o1).unwrap();
        f(s, a, o2).unwrap();
        for i in 0..n {
            assert!(
                same(o1[i], o2[i]),
                "{} at {i}: {} vs {}",
                ctx(name),
                o1[i],
                o2[i]
            );
        }
    }
    // fma/axpy: one rounding (FMA) vs two differ by at most an ulp of the terms.
    b.fma(a, x, c, o1).unwrap();
    s.fma(a, x, c, o2).unwrap();
    for i in 0..n {
        let mag = (a[i] as f64 * x[i] as f64).abs() + (c[i] as f64).abs();
        assert!(
            close(o1[i], o2[i], mag * 2.4e-7 + 1e-44),
            "{} at {i}: {} vs {}",
            ctx("fma"),
            o1[i],
            o2[i]
        );
    }
    o1.copy_from_slice(c);
    o2.copy_from_slice(c);
    b.axpy(0.75, a, o1).unwrap();
    s.axpy(0.75, a, o2).unwrap();
    for i in 0..n {
        let mag = (a[i] as f64 * 0.75).abs() + (c[i] as f64).abs();
        assert!(
            close(o1[i], o2[i], mag * 2.4e-7 + 1e-44),
            "{} at {i}",
            ctx("axpy")
        );
    }
    // Activations: the same approximation; FMA vs separate rounding differ by
    // a few ulps (GELU's negative tail amplifies it, within its abs bound).
    let acts: [(&str, Un); 5] = [
        ("exp", |b, p, o| b.exp(p, o)),
        ("sigmoid", |b, p, o| b.sigmoid(p, o)),
        ("tanh", |b, p, o| b.tanh(p, o)),
        ("gelu_tanh", |b, p, o| b.gelu_tanh(p, o)),
        ("softmax", |b, p, o| b.softmax(p, o)),
    ];
    for (name, f) in acts {
        f(b, a, o1).unwrap();
        f(s, a, o2).unwrap();
        for i in 0..n {
            assert!(
                close(
                    o1[i],
                    o2[i],
                    (o2[i] as f64).abs() * 2e-6 + 1e-9 * (name == "gelu_tanh") as u8 as f64 + 1e-37
                ),
                "{} at {i} (x = {}): {} vs {}",
                ctx(name),
                a[i],
                o1[i],
                o2[i]
            );
        }
    }
    // A dense layer: every row a dot product.
    let rows = n.min(7);
    if let Some(cols) = n.checked_div(rows) {
        let mut r1 = vec![0.0; rows];
        let mut r2 = vec![0.0; rows];
        b.matvec(&a[..rows * cols], rows, cols, &x[..cols], &mut r1)
            .unwrap();
        s.matvec(&a[..rows * cols], rows, cols, &x[..cols], &mut r2)
            .unwrap();
        for r in 0..rows {
            let mag = prod_sum(&a[r * cols..(r + 1) * cols], &x[..cols]);
            assert!(close(r1[r], r2[r], tol(mag)), "{} row {r}", ctx("matvec"));
        }
    }
}

#[test]
fn every_length_up_to_257() {
    let mut rng = Rng::new(1);
    for b in simd_backends() {
        for n in 0..=257 {
            let off = [n % 4, (n / 4) % 4, (n / 16) % 4];
            check(b, &mut rng, n, off, false);
            check(b, &mut rng, n, off, true);
        }
        say(&format!(
            "ran: backend `{}` vs scalar, lengths 0..=257",
            b.name()
        ));
    }
}

#[test]
fn random_lengths_up_to_1m() {
    let mut rng = Rng::new(2);
    for b in simd_backends() {
        let mut lengths = vec![1 << 20, (1 << 20) - 13];
        for _ in 0..4 {
            lengths.push(rng.below(1 << 20) + 1);
        }
        for &n in &lengths {
            let off = [rng.below(4), rng.below(4), rng.below(4)];
            check(b, &mut rng, n, off, true);
        }
        say(&format!(
            "ran: backend `{}` vs scalar, lengths {lengths:?}",
            b.name()
        ));
    }
}

/// From 8 MiB of input on (2 MiB for two-input reductions), the AVX-512
/// table's reductions run the AVX2 code (faster from L3/DRAM on Zen 4);
/// check those switch-overs against the reference, just past each.
#[cfg(target_arch = "x86_64")]
#[test]
fn avx512_large_reductions() {
    let Some(b) = simd_backends().into_iter().find(|b| b.name() == "avx512") else {
        say("NOT RUN: backend `avx512` large-input reductions (this CPU has no AVX-512F)");
        return;
    };
    let mut rng = Rng::new(7);
    for n in [(1 << 21) + 7, (1 << 20) + 3, (1 << 18) + 5] {
        check(b, &mut rng, n, [1, 2, 3], true);
    }
    say("ran: backend `avx512` large-input reductions");
}

/// From 12 MiB touched per call (inputs plus output) on, x86 element-wise ops
/// write with non-temporal stores after aligning the output; check that path
/// (2M elements: 16 MiB unary, 24 MiB binary), from an unaligned start, and
/// the in-place call (axpy) that never streams.
#[cfg(target_arch = "x86_64")]
#[test]
fn streaming_store_path() {
    let n = (1 << 21) + 13;
    let mut rng = Rng::new(5);
    let buf_a = data(&mut rng, n + 1, true);
    let buf_b = data(&mut rng, n + 1, true);
    let (a, x) = (&buf_a[1..], &buf_b[..n]);
    let s = scalar();
    let mut want = vec![0.0; n + 3];
    let mut got = vec![0.0; n + 3];
    for b in simd_backends() {
        for off in [0, 3] {
            let (w, g) = (&mut want[off..off + n], &mut got[off..off + n]);
            s.add(a, x, w).unwrap();
            b.add(a, x, g).unwrap();
            assert!(
                w.iter().zip(g.iter()).all(|(p, q)| same(*p, *q)),
                "{b:?} add, offset {off}"
            );
            s.scale(a, 3.0, w).unwrap();
            b.scale(a, 3.0, g).unwrap();
            assert!(
                w.iter().zip(g.iter()).all(|(p, q)| same(*p, *q)),
                "{b:?} scale"
            );
            s.exp(a, w).unwrap();
            b.exp(a, g).unwrap();
            assert!(
                w.iter()
                    .zip(g.iter())
                    .all(|(p, q)| close(*q, *p, p.abs() as f64 * 2e-6)),
                "{b:?} exp"
            );
            w.copy_from_slice(x);
            g.copy_from_slice(x);
            s.axpy(0.5, a, w).unwrap();
            b.axpy(0.5, a, g).unwrap();
            for i in 0..n {
                let mag = (a[i] as f64 * 0.5).abs() + (x[i] as f64).abs();
                assert!(close(g[i], w[i], mag * 2.4e-7 + 1e-44), "{b:?} axpy at {i}");
            }
        }
        say(&format!(
            "ran: backend `{}` streaming-store path, n = {n}",
            b.name()
        ));
    }
}

#[test]
fn nan_positions_in_every_lane() {
    // A single NaN at each position of a length-70 vector: max/min must be NaN
    // and argmax/argmin its index, in every backend, including the ragged end.
    for b in simd_backends().into_iter().chain([scalar()]) {
        for n in [1, 5, 17, 70, 5000] {
            for pos in (0..n).step_by(if n > 100 { 97 } else { 1 }) {
                let mut a: Vec<f32> = (0..n).map(|i| i as f32).collect();
                a[pos] = f32::NAN;
                assert!(b.max(&a).unwrap().is_nan(), "{b:?} n {n} pos {pos}");
                assert!(b.min(&a).unwrap().is_nan(), "{b:?} n {n} pos {pos}");
                assert_eq!(b.argmax(&a), Some(pos), "{b:?} n {n}");
                assert_eq!(b.argmin(&a), Some(pos), "{b:?} n {n}");
                // With the first NaN earlier than a second one.
                if pos + 3 < n {
                    a[pos + 3] = f32::NAN;
                    assert_eq!(b.argmax(&a), Some(pos), "{b:?} n {n}");
                }
            }
        }
    }
}

#[test]
fn extremes_in_every_position_and_ties() {
    for b in simd_backends().into_iter().chain([scalar()]) {
        for n in [1, 3, 16, 33, 4095, 4096, 4097, 10_000] {
            for pos in [0, n / 3, n / 2, n - 1] {
                let mut a = vec![1.0f32; n];
                a[pos] = 2.0;
                assert_eq!(b.argmax(&a), Some(pos), "{b:?} n {n}");
                assert_eq!(b.max(&a), Some(2.0));
                a[pos] = -f32::INFINITY;
                assert_eq!(b.argmin(&a), Some(pos), "{b:?} n {n}");
                assert_eq!(b.min(&a), Some(f32::NEG_INFINITY));
                // All equal: the first index.
                let t = vec![-3.5f32; n];
                assert_eq!(b.argmax(&t), Some(0));
                assert_eq!(b.argmin(&t), Some(0));
            }
        }
        // A later block with the same max does not win.
        let mut a = vec![0.0f32; 20_000];
        a[100] = 9.0;
        a[15_000] = 9.0;
        assert_eq!(b.argmax(&a), Some(100), "{b:?}");
    }
}

#[test]
fn all_infinite_and_empty() {
    for b in simd_backends().into_iter().chain([scalar()]) {
        let a = vec![f32::NEG_INFINITY; 37];
        assert_eq!(b.max(&a), Some(f32::NEG_INFINITY));
        assert_eq!(b.argmax(&a), Some(0));
        assert_eq!(b.sum(&a), f32::NEG_INFINITY);
        let mut o = vec![0.0; 37];
        b.exp(&a, &mut o).unwrap();
        assert!(o.iter().all(|&v| v == 0.0), "{b:?}: exp(-inf) must be 0");
        b.softmax(&a, &mut o).unwrap();
        assert!(
            o.iter().all(|v| v.is_nan()),
            "{b:?}: softmax of all -inf is NaN"
        );
        let e: [f32; 0] = [];
        assert_eq!(b.max(&e), None);
        assert_eq!(b.sum(&e), 0.0);
        assert_eq!(b.dot(&e, &e), Ok(0.0));
    }
}

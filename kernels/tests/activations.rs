//! Maximum relative error of the vectorised activations against `f64`
//! references, over the ranges their docs promise, for every backend; and
//! what they return outside those ranges.

mod common;

use common::{say, scalar, simd_backends, Rng};
use rayo_kernels::Backend;

type Act = fn(Backend, &[f32], &mut [f32]) -> Result<(), rayo_kernels::Error>;
/// Name, function, f64 reference, range.
type Case = (&'static str, Act, fn(f64) -> f64, f32, f32);

/// Inputs covering `[lo, hi]`: an even grid plus random points, plus the ends.
fn inputs(lo: f32, hi: f32, n: usize, rng: &mut Rng) -> Vec<f32> {
    let mut v: Vec<f32> = (0..n)
        .map(|i| lo + (hi - lo) * (i as f32 / (n - 1) as f32))
        .collect();
    v.extend((0..n).map(|_| rng.range(lo, hi)));
    v.push(lo);
    v.push(hi);
    v.retain(|x| *x >= lo && *x <= hi);
    v
}

/// Max relative error of `f` on `xs` against `reference`.
fn max_rel(b: Backend, f: Act, xs: &[f32], reference: fn(f64) -> f64) -> (f64, f32) {
    let mut out = vec![0.0; xs.len()];
    f(b, xs, &mut out).unwrap();
    let mut worst = (0.0, 0.0);
    for (&x, &y) in xs.iter().zip(&out) {
        let r = reference(x as f64);
        let e = if r == 0.0 {
            (y as f64).abs()
        } else {
            ((y as f64) - r).abs() / r.abs()
        };
        if e > worst.0 || e.is_nan() {
            worst = (e, x);
        }
    }
    worst
}

fn sigmoid64(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn gelu64(x: f64) -> f64 {
    // 0.5 x (1 + tanh(u)) == x * sigmoid(2u), without the cancellation.
    let u = (2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * x * x * x);
    x * sigmoid64(2.0 * u)
}

#[test]
fn relative_error_within_1e6_over_documented_ranges() {
    let mut rng = Rng::new(7);
    let cases: [Case; 6] = [
        ("exp", |b, a, o| b.exp(a, o), f64::exp, -86.9, 88.72),
        (
            "sigmoid",
            |b, a, o| b.sigmoid(a, o),
            sigmoid64,
            -86.9,
            100.0,
        ),
        ("tanh", |b, a, o| b.tanh(a, o), f64::tanh, -20.0, 20.0),
        ("tanh small", |b, a, o| b.tanh(a, o), f64::tanh, -0.5, 0.5),
        ("gelu_tanh", |b, a, o| b.gelu_tanh(a, o), gelu64, -3.0, 20.0),
        (
            "gelu_tanh near 0",
            |b, a, o| b.gelu_tanh(a, o),
            gelu64,
            -1e-3,
            1e-3,
        ),
    ];
    for b in simd_backends().into_iter().chain([scalar()]) {
        for (name, f, reference, lo, hi) in cases {
            let xs = inputs(lo, hi, 200_000, &mut rng);
            let (e, at) = max_rel(b, f, &xs, reference);
            say(&format!(
                "backend {:>6}: {name} max relative error {e:.2e} (at x = {at}) over [{lo}, {hi}]",
                b.name()
            ));
            assert!(e <= 1e-6, "{b:?} {name}: relative error {e:e} at x = {at}");
        }
        // Tiny and subnormal inputs keep full relative accuracy where the
        // function is ~x.
        let tiny = [1e-40f32, -1e-38, 1e-20, -3e-10, 1e-6];
        let mut o = [0.0; 5];
        b.tanh(&tiny, &mut o).unwrap();
        assert_eq!(o, tiny, "{b:?}: tanh(x) == x for tiny x");
    }
}

#[test]
fn softmax_relative_error_within_1e6() {
    let mut rng = Rng::new(9);
    for b in simd_backends().into_iter().chain([scalar()]) {
        for (n, spread) in [(10, 5.0f32), (1000, 40.0), (100_003, 80.0), (33, 1e4)] {
            let a: Vec<f32> = (0..n).map(|_| rng.range(-spread, spread)).collect();
            let mut out = vec![0.0; n];
            b.softmax(&a, &mut out).unwrap();
            let m = a.iter().fold(f64::MIN, |m, &x| m.max(x as f64));
            let total: f64 = a.iter().map(|&x| (x as f64 - m).exp()).sum();
            let mut worst = 0.0f64;
            for (&x, &y) in a.iter().zip(&out) {
                let r = (x as f64 - m).exp() / total;
                if r >= f32::MIN_POSITIVE as f64 {
                    worst = worst.max(((y as f64) - r).abs() / r);
                } else {
                    assert!((y as f64) < 2e-38, "{b:?}: tiny output {y} for {r}");
                }
            }
            say(&format!(
                "backend {:>6}: softmax n {n} spread ±{spread}: max relative error {worst:.2e}",
                b.name()
            ));
            assert!(worst <= 1e-6, "{b:?} softmax n {n}: {worst:e}");
        }
    }
}

#[test]
fn behaviour_outside_the_ranges() {
    for b in simd_backends().into_iter().chain([scalar()]) {
        let x = [
            -87.0f32,
            -100.0,
            -1e30,
            f32::NEG_INFINITY,
            88.73,
            1000.0,
            f32::INFINITY,
            f32::NAN,
        ];
        let mut o = [0.0; 8];
        b.exp(&x, &mut o).unwrap();
        assert_eq!(&o[..4], &[0.0; 4], "{b:?} exp underflow flushes to +0");
        assert_eq!(&o[4..7], &[f32::INFINITY; 3], "{b:?} exp overflow is +inf");
        assert!(o[7].is_nan());
        b.sigmoid(&x, &mut o).unwrap();
        assert!(o[0] > 0.0 && o[0] < 2e-38, "{b:?} sigmoid(-87) = {}", o[0]);
        assert_eq!(&o[1..4], &[0.0; 3], "{b:?} sigmoid far left is 0");
        assert_eq!(&o[4..7], &[1.0; 3], "{b:?} sigmoid far right is 1");
        assert!(o[7].is_nan());
        b.tanh(&x, &mut o).unwrap();
        assert_eq!(&o[..4], &[-1.0; 4], "{b:?} tanh far left is -1");
        assert_eq!(&o[4..7], &[1.0; 3], "{b:?} tanh far right is 1");
        assert!(o[7].is_nan());
        b.gelu_tanh(&x, &mut o).unwrap();
        assert_eq!(&o[..3], &[0.0; 3], "{b:?} gelu_tanh far left is -0");
        assert!(o[3].is_nan(), "{b:?} gelu_tanh(-inf) is NaN as in PyTorch");
        assert_eq!(
            &o[4..7],
            &[88.73, 1000.0, f32::INFINITY],
            "{b:?} gelu_tanh(x) = x far right"
        );
        assert!(o[7].is_nan());
        // Below -3 GELU's absolute error stays below 1e-8.
        let mut rng = Rng::new(3);
        let xs: Vec<f32> = (0..100_000).map(|_| rng.range(-30.0, -3.0)).collect();
        let mut out = vec![0.0; xs.len()];
        b.gelu_tanh(&xs, &mut out).unwrap();
        for (&x, &y) in xs.iter().zip(&out) {
            let e = ((y as f64) - gelu64(x as f64)).abs();
            assert!(e < 1e-8, "{b:?} gelu_tanh({x}) = {y}: abs error {e:e}");
        }
    }
}

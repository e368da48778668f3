//! Accuracy of the reductions on 4M values uniform in [0, 1) against an
//! `f64` reference, for every backend, asserted to be no worse than NumPy's
//! pairwise summation of the same `f32` values (re-implemented below), and
//! within half an `f32` ulp of the exact value (correct rounding) plus a
//! hair for the `f64` carry.

mod common;

use common::{say, scalar, simd_backends, Rng};

/// NumPy's float32 `add.reduce` algorithm: blocks of up to 128 elements are
/// summed with eight interleaved accumulators, longer runs are split in
/// halves (at a multiple of 8) and the halves added, all in `f32`.
fn pairwise(a: &[f32]) -> f32 {
    let n = a.len();
    if n < 8 {
        let mut s = 0.0f32;
        for &x in a {
            s += x;
        }
        s
    } else if n <= 128 {
        let mut r = [0.0f32; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i + 8 <= n {
            for k in 0..8 {
                r[k] += a[i + k];
            }
            i += 8;
        }
        let mut s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &x in &a[i..] {
            s += x;
        }
        s
    } else {
        let half = (n / 2) & !7;
        pairwise(&a[..half]) + pairwise(&a[half..])
    }
}

fn rel(x: f32, exact: f64) -> f64 {
    ((x as f64) - exact).abs() / exact.abs()
}

#[test]
fn reductions_on_4m_uniform_values_beat_numpy_pairwise() {
    const N: usize = 4 << 20;
    let mut rng = Rng::new(42);
    let a: Vec<f32> = (0..N).map(|_| rng.unit()).collect();
    let b: Vec<f32> = (0..N).map(|_| rng.unit()).collect();

    let exact_sum: f64 = a.iter().map(|&x| x as f64).sum();
    let exact_dot: f64 = a.iter().zip(&b).map(|(&x, &y)| x as f64 * y as f64).sum();
    let exact_sq: f64 = a.iter().map(|&x| x as f64 * x as f64).sum();
    let exact_mean = exact_sum / N as f64;
    let exact_norm = exact_sq.sqrt();

    // NumPy's figures on the same data: pairwise over the f32 values and over
    // the f32 products (what an f32 `sum(a * b)` sees).
    let prods: Vec<f32> = a.iter().zip(&b).map(|(x, y)| x * y).collect();
    let squares: Vec<f32> = a.iter().map(|x| x * x).collect();
    let np_sum = rel(pairwise(&a), exact_sum);
    let np_dot = rel(pairwise(&prods), exact_dot);
    let np_mean = rel(pairwise(&a) / N as f32, exact_mean);
    let np_norm = rel(pairwise(&squares).sqrt(), exact_norm);
    say(&format!(
        "NumPy-style pairwise relative errors: sum {np_sum:.2e}, dot {np_dot:.2e}, mean {np_mean:.2e}, norm_l2 {np_norm:.2e}"
    ));

    // Correct rounding gives at most half an ulp: 2^-24 relative.
    let half_ulp = 2f64.powi(-24) * 1.001;
    for bk in simd_backends().into_iter().chain([scalar()]) {
        let e_sum = rel(bk.sum(&a), exact_sum);
        let e_dot = rel(bk.dot(&a, &b).unwrap(), exact_dot);
        let e_mean = rel(bk.mean(&a), exact_mean);
        let e_norm = rel(bk.norm_l2(&a), exact_norm);
        say(&format!(
            "backend {:>6}: relative errors sum {e_sum:.2e}, dot {e_dot:.2e}, mean {e_mean:.2e}, norm_l2 {e_norm:.2e}",
            bk.name()
        ));
        for (op, e, np) in [
            ("sum", e_sum, np_sum),
            ("dot", e_dot, np_dot),
            ("mean", e_mean, np_mean),
            ("norm_l2", e_norm, np_norm),
        ] {
            assert!(
                e <= np,
                "{bk:?} {op}: error {e:e} is worse than NumPy pairwise {np:e}"
            );
            assert!(
                e <= half_ulp,
                "{bk:?} {op}: error {e:e} is not correctly rounded"
            );
        }
    }
}

#[test]
fn blocked_sum_beats_a_single_f32_accumulator_on_hard_data() {
    // A large first value then many small ones: a single f32 accumulator
    // loses the small ones entirely; the blocked sum loses only those that
    // share a lane block with the large value (64 of them here).
    let mut a = vec![1e-4f32; 1 << 20];
    a[0] = 1e4;
    let exact = 1e4 + (((1 << 20) - 1) as f64) * (1e-4f32 as f64);
    let naive: f32 = a.iter().sum();
    for bk in simd_backends().into_iter().chain([scalar()]) {
        let e = rel(bk.sum(&a), exact);
        assert!(e < 1e-6, "{bk:?}: relative error {e:e}");
        assert!(e < rel(naive, exact) / 1000.0);
    }
}

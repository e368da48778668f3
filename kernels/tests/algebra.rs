//! Property tests: algebraic identities that must hold, within rounding
//! bounds, on the active backend for arbitrary inputs.

use proptest::prelude::*;

fn vec_pair() -> impl Strategy<Value = (Vec<f32>, Vec<f32>)> {
    (0usize..300).prop_flat_map(|n| {
        (
            prop::collection::vec(-100.0f32..100.0, n),
            prop::collection::vec(-100.0f32..100.0, n),
        )
    })
}

fn mag(a: &[f32]) -> f64 {
    a.iter().map(|x| x.abs() as f64).sum()
}

proptest! {
    #[test]
    fn dot_with_itself_is_squared_norm(a in prop::collection::vec(-100.0f32..100.0, 0..300)) {
        let d = rayo_kernels::dot(&a, &a) as f64;
        let n = rayo_kernels::norm_l2(&a) as f64;
        prop_assert!((d - n * n).abs() <= 1e-5 * d + 1e-6, "dot {d} vs norm^2 {}", n * n);
    }

    #[test]
    fn sum_is_linear((a, b) in vec_pair()) {
        let mut s = vec![0.0; a.len()];
        rayo_kernels::add(&a, &b, &mut s);
        let lhs = rayo_kernels::sum(&s) as f64;
        let rhs = rayo_kernels::sum(&a) as f64 + rayo_kernels::sum(&b) as f64;
        prop_assert!((lhs - rhs).abs() <= 1e-5 * (mag(&a) + mag(&b)) + 1e-4);
    }

    #[test]
    fn euclidean_sq_is_dot_of_difference((a, b) in vec_pair()) {
        let mut d = vec![0.0; a.len()];
        rayo_kernels::sub(&a, &b, &mut d);
        let e = rayo_kernels::euclidean_sq(&a, &b) as f64;
        let dd = rayo_kernels::dot(&d, &d) as f64;
        prop_assert!((e - dd).abs() <= 1e-5 * e + 1e-4);
        let eu = rayo_kernels::euclidean(&a, &b) as f64;
        prop_assert!((eu * eu - e).abs() <= 1e-5 * e + 1e-4);
    }

    #[test]
    fn mean_times_len_is_sum(a in prop::collection::vec(-100.0f32..100.0, 1..300)) {
        let m = rayo_kernels::mean(&a) as f64 * a.len() as f64;
        prop_assert!((m - rayo_kernels::sum(&a) as f64).abs() <= 1e-5 * mag(&a) + 1e-4);
    }

    #[test]
    fn norms_are_ordered(a in prop::collection::vec(-100.0f32..100.0, 0..300)) {
        let l1 = rayo_kernels::norm_l1(&a);
        let l2 = rayo_kernels::norm_l2(&a);
        prop_assert!(rayo_kernels::sum(&a).abs() <= l1 * (1.0 + 1e-5));
        prop_assert!(l2 <= l1 * (1.0 + 1e-5) + 1e-6);
    }

    #[test]
    fn extremes_bound_every_element(a in prop::collection::vec(-1e6f32..1e6, 1..300)) {
        let max = rayo_kernels::max(&a).unwrap();
        let min = rayo_kernels::min(&a).unwrap();
        prop_assert!(a.iter().all(|&x| min <= x && x <= max));
        let i = rayo_kernels::argmax(&a).unwrap();
        prop_assert_eq!(a[i], max);
        prop_assert!(a[..i].iter().all(|&x| x < max), "argmax is the first maximum");
        let j = rayo_kernels::argmin(&a).unwrap();
        prop_assert_eq!(a[j], min);
        prop_assert!(a[..j].iter().all(|&x| x > min));
    }

    #[test]
    fn softmax_is_a_distribution(a in prop::collection::vec(-50.0f32..50.0, 1..300)) {
        let mut s = vec![0.0; a.len()];
        rayo_kernels::softmax(&a, &mut s);
        let total: f64 = s.iter().map(|&x| x as f64).sum();
        prop_assert!((total - 1.0).abs() <= 1e-5, "sums to {total}");
        prop_assert!(s.iter().all(|&x| (0.0..=1.0).contains(&x)));
        // Order-preserving: the largest input has the largest probability.
        prop_assert_eq!(rayo_kernels::argmax(&s), rayo_kernels::argmax(&a));
    }

    #[test]
    fn cosine_of_scaled_copy_is_sign(a in prop::collection::vec(1.0f32..100.0, 1..300), k in 0.5f32..4.0) {
        let mut b = vec![0.0; a.len()];
        rayo_kernels::scale(&a, -k, &mut b);
        let c = rayo_kernels::cosine(&a, &b);
        prop_assert!((c + 1.0).abs() <= 1e-5, "cosine {c}");
        prop_assert!(rayo_kernels::cosine(&a, &a) > 1.0 - 1e-5);
    }

    #[test]
    fn relu_is_clamp_at_zero_and_abs_is_idempotent(a in prop::collection::vec(-100.0f32..100.0, 0..300)) {
        let mut r = vec![0.0; a.len()];
        let mut c = vec![0.0; a.len()];
        rayo_kernels::relu(&a, &mut r);
        rayo_kernels::clamp(&a, 0.0, f32::INFINITY, &mut c);
        prop_assert_eq!(&r, &c);
        let mut x = vec![0.0; a.len()];
        let mut y = vec![0.0; a.len()];
        rayo_kernels::abs(&a, &mut x);
        rayo_kernels::abs(&x, &mut y);
        prop_assert_eq!(x, y);
    }

    #[test]
    fn tanh_is_odd_and_sigmoid_symmetric(a in prop::collection::vec(-30.0f32..30.0, 0..300)) {
        let neg: Vec<f32> = a.iter().map(|x| -x).collect();
        let (mut t1, mut t2) = (vec![0.0; a.len()], vec![0.0; a.len()]);
        rayo_kernels::tanh(&a, &mut t1);
        rayo_kernels::tanh(&neg, &mut t2);
        prop_assert!(t1.iter().zip(&t2).all(|(p, q)| *p == -*q));
        rayo_kernels::sigmoid(&a, &mut t1);
        rayo_kernels::sigmoid(&neg, &mut t2);
        prop_assert!(t1.iter().zip(&t2).all(|(p, q)| ((p + q) - 1.0).abs() <= 2e-7));
    }

    #[test]
    fn matvec_rows_are_dots(rows in 1usize..9, cols in 0usize..70, seed in any::<u32>()) {
        let m: Vec<f32> = (0..rows * cols).map(|i| ((i as u32 ^ seed) % 97) as f32 - 48.0).collect();
        let x: Vec<f32> = (0..cols).map(|i| ((i as u32).wrapping_mul(seed) % 13) as f32 - 6.0).collect();
        let mut out = vec![0.0; rows];
        rayo_kernels::matvec(&m, rows, cols, &x, &mut out);
        for r in 0..rows {
            prop_assert_eq!(out[r], rayo_kernels::dot(&m[r * cols..(r + 1) * cols], &x));
        }
    }
}

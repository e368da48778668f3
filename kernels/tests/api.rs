//! The public API on small hand-checked inputs: values, NaN rules, empty
//! input, and the length checks of both the panicking and `checked` forms.

use rayo_kernels::{checked, Error};

#[test]
fn reductions_on_small_inputs() {
    let a = [1.0, -2.0, 3.0, 4.0, -5.0];
    let b = [2.0, 1.0, 0.5, -1.0, 1.0];
    assert_eq!(rayo_kernels::sum(&a), 1.0);
    assert_eq!(rayo_kernels::mean(&a), 0.2);
    assert_eq!(rayo_kernels::norm_l1(&a), 15.0);
    assert_eq!(rayo_kernels::norm_l2(&[3.0, 4.0]), 5.0);
    assert_eq!(rayo_kernels::dot(&a, &b), 2.0 - 2.0 + 1.5 - 4.0 - 5.0);
    assert_eq!(rayo_kernels::max(&a), Some(4.0));
    assert_eq!(rayo_kernels::min(&a), Some(-5.0));
    assert_eq!(rayo_kernels::argmax(&a), Some(3));
    assert_eq!(rayo_kernels::argmin(&a), Some(4));
    assert_eq!(rayo_kernels::euclidean_sq(&[1.0, 2.0], &[4.0, 6.0]), 25.0);
    assert_eq!(rayo_kernels::euclidean(&[1.0, 2.0], &[4.0, 6.0]), 5.0);
    assert_eq!(rayo_kernels::cosine(&[1.0, 0.0], &[0.0, 2.0]), 0.0);
    assert_eq!(rayo_kernels::cosine(&[3.0, 4.0], &[6.0, 8.0]), 1.0);
}

#[test]
fn empty_inputs() {
    let e: [f32; 0] = [];
    assert_eq!(rayo_kernels::sum(&e), 0.0);
    assert!(rayo_kernels::mean(&e).is_nan());
    assert_eq!(rayo_kernels::norm_l2(&e), 0.0);
    assert_eq!(rayo_kernels::dot(&e, &e), 0.0);
    assert_eq!(rayo_kernels::max(&e), None);
    assert_eq!(rayo_kernels::min(&e), None);
    assert_eq!(rayo_kernels::argmax(&e), None);
    assert_eq!(rayo_kernels::argmin(&e), None);
    let mut out: [f32; 0] = [];
    rayo_kernels::softmax(&e, &mut out);
    rayo_kernels::add(&e, &e, &mut out);
    rayo_kernels::matvec(&e, 0, 5, &[0.0; 5], &mut out);
}

#[test]
fn nan_propagates_like_numpy() {
    let a = [1.0, f32::NAN, 7.0, f32::NAN];
    assert!(rayo_kernels::max(&a).unwrap().is_nan());
    assert!(rayo_kernels::min(&a).unwrap().is_nan());
    assert_eq!(rayo_kernels::argmax(&a), Some(1));
    assert_eq!(rayo_kernels::argmin(&a), Some(1));
    assert!(rayo_kernels::sum(&a).is_nan());
    // Ties: the first index wins.
    assert_eq!(rayo_kernels::argmax(&[2.0, 5.0, 5.0]), Some(1));
    assert_eq!(rayo_kernels::argmin(&[2.0, 1.0, 1.0]), Some(1));
}

#[test]
fn element_wise_on_small_inputs() {
    let a = [1.0, -2.0, 3.0];
    let b = [4.0, 5.0, -6.0];
    let mut out = [0.0; 3];
    rayo_kernels::add(&a, &b, &mut out);
    assert_eq!(out, [5.0, 3.0, -3.0]);
    rayo_kernels::sub(&a, &b, &mut out);
    assert_eq!(out, [-3.0, -7.0, 9.0]);
    rayo_kernels::mul(&a, &b, &mut out);
    assert_eq!(out, [4.0, -10.0, -18.0]);
    rayo_kernels::div(&a, &b, &mut out);
    assert_eq!(out, [0.25, -0.4, -0.5]);
    rayo_kernels::scale(&a, 2.0, &mut out);
    assert_eq!(out, [2.0, -4.0, 6.0]);
    rayo_kernels::fma(&a, &b, &[1.0, 1.0, 1.0], &mut out);
    assert_eq!(out, [5.0, -9.0, -17.0]);
    rayo_kernels::clamp(&[-5.0, 0.5, 5.0, f32::NAN], -1.0, 1.0, &mut [0.0; 4]);
    let mut c = [0.0; 4];
    rayo_kernels::clamp(&[-5.0, 0.5, 5.0, f32::NAN], -1.0, 1.0, &mut c);
    assert_eq!(&c[..3], &[-1.0, 0.5, 1.0]);
    assert!(c[3].is_nan());
    rayo_kernels::abs(&a, &mut out);
    assert_eq!(out, [1.0, 2.0, 3.0]);
    let mut y = [1.0, 1.0, 1.0];
    rayo_kernels::axpy(2.0, &a, &mut y);
    assert_eq!(y, [3.0, -3.0, 7.0]);
    rayo_kernels::relu(&a, &mut out);
    assert_eq!(out, [1.0, 0.0, 3.0]);
}

#[test]
fn activations_on_known_points() {
    let x = [0.0, 1.0, -1.0, 2.0];
    let mut out = [0.0; 4];
    rayo_kernels::exp(&x, &mut out);
    let want = [1.0f32, 2.718_281_7, 0.367_879_44, 7.389_056];
    for (o, w) in out.iter().zip(want) {
        assert!((o - w).abs() <= w * 1e-6, "exp: {o} vs {w}");
    }
    rayo_kernels::sigmoid(&x, &mut out);
    assert_eq!(out[0], 0.5);
    rayo_kernels::tanh(&x, &mut out);
    assert_eq!(out[0], 0.0);
    assert!((out[1] - 0.761_594_2).abs() < 1e-6);
    rayo_kernels::gelu_tanh(&x, &mut out);
    assert_eq!(out[0], 0.0);
    assert!((out[1] - 0.841_192).abs() < 1e-5, "{}", out[1]);
    let mut s = [0.0; 3];
    rayo_kernels::softmax(&[1.0, 2.0, 3.0], &mut s);
    let total: f32 = s.iter().sum();
    assert!((total - 1.0).abs() < 1e-6);
    assert!((s[2] - 0.665_240_9).abs() < 1e-6, "{}", s[2]);
    // Stable: huge inputs do not overflow.
    rayo_kernels::softmax(&[1000.0, 1000.0, -1000.0], &mut s);
    assert_eq!(s, [0.5, 0.5, 0.0]);
}

#[test]
fn matvec_small() {
    // [[1 2 3] [4 5 6]] . [1 0 -1]
    let m = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let mut out = [0.0; 2];
    rayo_kernels::matvec(&m, 2, 3, &[1.0, 0.0, -1.0], &mut out);
    assert_eq!(out, [-2.0, -2.0]);
}

#[test]
fn checked_reports_both_lengths() {
    let e = checked::dot(&[1.0; 3], &[1.0; 4]).unwrap_err();
    assert_eq!(
        e,
        Error::LengthMismatch {
            op: "dot",
            left: "a.len()",
            left_len: 3,
            right: "b.len()",
            right_len: 4
        }
    );
    assert_eq!(
        e.to_string(),
        "rayo_kernels::dot: length mismatch: a.len() is 3 but b.len() is 4"
    );
    let e = checked::add(&[1.0; 3], &[1.0; 3], &mut [0.0; 2]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "rayo_kernels::add: length mismatch: a.len() is 3 but out.len() is 2"
    );
    let e = checked::matvec(&[0.0; 5], 2, 3, &[0.0; 3], &mut [0.0; 2]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "rayo_kernels::matvec: shape mismatch: m.len() is 5 but rows * cols is 2 * 3 = 6"
    );
    let e = checked::matvec(&[0.0; 5], usize::MAX, 2, &[0.0; 2], &mut [0.0; 2]).unwrap_err();
    assert!(e.to_string().contains("overflows"), "{e}");
    let e = checked::matvec(&[0.0; 6], 2, 3, &[0.0; 2], &mut [0.0; 2]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "rayo_kernels::matvec: length mismatch: x.len() is 2 but cols is 3"
    );
    let e = checked::matvec(&[0.0; 6], 2, 3, &[0.0; 3], &mut [0.0; 1]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "rayo_kernels::matvec: length mismatch: out.len() is 1 but rows is 2"
    );
    assert!(checked::fma(&[0.0; 2], &[0.0; 2], &[0.0; 1], &mut [0.0; 2]).is_err());
    assert!(checked::axpy(1.0, &[0.0; 2], &mut [0.0; 1]).is_err());
    assert!(checked::softmax(&[0.0; 2], &mut [0.0; 1]).is_err());
    assert!(checked::cosine(&[0.0; 2], &[0.0; 1]).is_err());
    assert_eq!(checked::dot(&[2.0], &[3.0]), Ok(6.0));
}

#[test]
#[should_panic(expected = "rayo_kernels::dot: length mismatch: a.len() is 2 but b.len() is 3")]
fn dot_panics_naming_both_lengths() {
    rayo_kernels::dot(&[1.0; 2], &[1.0; 3]);
}

#[test]
#[should_panic(expected = "rayo_kernels::mul: length mismatch: a.len() is 2 but b.len() is 1")]
fn mul_panics_naming_both_lengths() {
    rayo_kernels::mul(&[1.0; 2], &[1.0; 1], &mut [0.0; 2]);
}

#[test]
#[should_panic(expected = "rayo_kernels::tanh: length mismatch: a.len() is 4 but out.len() is 3")]
fn activation_panics_naming_both_lengths() {
    rayo_kernels::tanh(&[1.0; 4], &mut [0.0; 3]);
}

#[test]
fn backends_are_listed_and_one_is_active() {
    let names: Vec<_> = rayo_kernels::Backend::names().collect();
    assert!(names.contains(&"scalar"));
    let active = rayo_kernels::Backend::active();
    assert!(names.contains(&active.name()));
    assert!(rayo_kernels::Backend::by_name("scalar").is_some());
    assert!(rayo_kernels::Backend::by_name("no-such-isa").is_none());
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        assert_ne!(
            active.name(),
            "sse2",
            "a default-target build must run AVX2 here"
        );
    }
}

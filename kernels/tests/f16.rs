//! f16 <-> f32 conversions against two independent references: a float64
//! decoding of the bit fields written here, and the `half` crate.

mod common;

use common::{say, Rng};
use rayo_kernels::{f16_to_f32, f32_to_f16, Backend};

/// The value of half bits `h` from its fields, in f64 arithmetic; `None` for
/// NaN.
fn decode(h: u16) -> Option<f64> {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let e = ((h >> 10) & 0x1f) as i32;
    let m = (h & 0x3ff) as f64;
    match e {
        0 => Some(sign * m * 2f64.powi(-24)),
        31 if m == 0.0 => Some(sign * f64::INFINITY),
        31 => None,
        _ => Some(sign * (1.0 + m / 1024.0) * 2f64.powi(e - 15)),
    }
}

#[test]
fn f16_to_f32_is_exact_on_all_65536_patterns() {
    let mut nans = 0;
    for h in 0..=u16::MAX {
        let got = f16_to_f32(h);
        let other = half::f16::from_bits(h).to_f32();
        match decode(h) {
            Some(v) => {
                assert_eq!(got as f64, v, "bits {h:#06x}");
                // Signed zeros too.
                assert_eq!(got.to_bits(), other.to_bits(), "bits {h:#06x}");
            }
            None => {
                nans += 1;
                // NaN: same sign, payload in the top bits, quiet bit set.
                assert!(got.is_nan(), "bits {h:#06x}");
                let want = ((h as u32 & 0x8000) << 16) | 0x7fc0_0000 | ((h as u32 & 0x3ff) << 13);
                assert_eq!(got.to_bits(), want, "bits {h:#06x}");
                assert_eq!(got.to_bits(), other.to_bits(), "bits {h:#06x}");
            }
        }
    }
    assert_eq!(nans, 2 * 1023);
}

#[test]
fn slice_conversion_matches_on_every_backend() {
    let all: Vec<u16> = (0..=u16::MAX).collect();
    let want: Vec<u32> = all.iter().map(|&h| f16_to_f32(h).to_bits()).collect();
    let mut bes = common::simd_backends();
    bes.push(common::scalar());
    for be in bes {
        // Every start offset and a ragged end, so whole vectors and tails
        // both see every pattern.
        for off in [0usize, 1, 3, 7] {
            let src = &all[off..];
            let mut dst = vec![0.0f32; src.len()];
            be.f16_to_f32_slice(src, &mut dst).unwrap();
            for (i, d) in dst.iter().enumerate() {
                assert_eq!(
                    d.to_bits(),
                    want[off + i],
                    "backend {be:?}, bits {:#06x}",
                    all[off + i]
                );
            }
        }
        say(&format!("ran: f16_to_f32_slice backend {be:?}"));
    }
    let mut dst = vec![0.0f32; 3];
    rayo_kernels::f16_to_f32_slice(&[0x3c00, 0x4000, 0xc200], &mut dst);
    assert_eq!(dst, [1.0, 2.0, -3.0]);
    let e = rayo_kernels::checked::f16_to_f32_slice(&[1, 2], &mut dst).unwrap_err();
    assert_eq!(
        e.to_string(),
        "rayo_kernels::f16_to_f32_slice: length mismatch: src.len() is 2 but dst.len() is 3"
    );
    let _ = Backend::active();
}

/// `f32_to_f16(x)` is the nearest half, ties to the even one: checked
/// against the neighbours in f64, and against `half`.
fn check_rounding(x: f32) {
    let h = f32_to_f16(x);
    assert_eq!(
        h,
        half::f16::from_f32(x).to_bits(),
        "x = {x:e} ({:#010x})",
        x.to_bits()
    );
    if x.is_nan() {
        assert!(f16_to_f32(h).is_nan());
        return;
    }
    let xv = x as f64;
    let Some(v) = decode(h) else {
        panic!("{x:e} became NaN")
    };
    if v.is_infinite() {
        // Overflow: |x| at least halfway between 65504 and 65536.
        assert!(xv.abs() >= 65520.0, "{x:e} overflowed");
        return;
    }
    // Neighbouring halves (toward zero and away), one step in the bits.
    let err = (xv - v).abs();
    for nb in [h.wrapping_add(1), h.wrapping_sub(1)] {
        if let Some(w) = decode(nb) {
            if w.is_finite() && (w.abs() - v.abs()).abs() <= v.abs().max(1e-7) {
                let e2 = (xv - w).abs();
                assert!(err <= e2, "{x:e} -> {v:e} but {w:e} is closer");
                if err == e2 && err != 0.0 {
                    assert_eq!(h & 1, 0, "{x:e}: tie not to even");
                }
            }
        }
    }
}

#[test]
fn f32_to_f16_rounds_to_nearest_even() {
    // Every half, the midpoints between neighbours and one f32 step either
    // side of them (ties, and the values that must not round as ties).
    for h in 0..0x7c00u16 {
        for sign in [0u16, 0x8000] {
            let lo = decode(h | sign).unwrap();
            let hi = decode((h + 1) | sign).unwrap_or(65536.0);
            let mid = ((lo + if hi.is_finite() { hi } else { 65536.0 }) / 2.0) as f32;
            for x in [lo as f32, mid] {
                check_rounding(x);
                check_rounding(f32::from_bits(x.to_bits() + 1));
                if x != 0.0 {
                    check_rounding(f32::from_bits(x.to_bits() - 1));
                }
            }
        }
    }
    // A stride through all 2^32 bit patterns, and random ones.
    let mut bits = 0u32;
    while let Some(b) = bits.checked_add(65_521) {
        check_rounding(f32::from_bits(b));
        bits = b;
    }
    let mut rng = Rng::new(3);
    for _ in 0..200_000 {
        check_rounding(f32::from_bits(rng.next_u64() as u32));
    }
    for x in [
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::MAX,
        f32::MIN_POSITIVE,
        1e-45,
    ] {
        check_rounding(x);
    }
    let mut out = [0u16; 2];
    rayo_kernels::f32_to_f16_slice(&[1.0, -65504.0], &mut out);
    assert_eq!(out, [0x3c00, 0xfbff]);
    assert!(rayo_kernels::checked::f32_to_f16_slice(&[1.0], &mut out).is_err());
}

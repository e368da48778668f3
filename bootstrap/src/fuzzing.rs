//! Entry points for the fuzz targets in `fuzz/` and for the corpus replay test. Built only
//! with the non-default `fuzzing` feature: the `bootstrap` binary does not contain it.
//!
//! Each function takes arbitrary bytes, must never panic on them, and asserts the decoder's
//! invariants: an assertion failing here is a bug the fuzzer reports as a crash.

use crate::compute::{decode_f32_array, handle, parse_number, Request, MAX_OPS};

/// The compute request decoder (JSON and base64 operands) and the whole service behind it.
/// The first byte picks what the rest is fed to: the whole event handler (most inputs), one
/// JSON number (checked against the standard library's correctly rounded parser), or a bare
/// number array.
pub fn compute(data: &[u8]) {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    match selector % 8 {
        0 => number(input),
        1 => {
            if let Ok(v) = decode_f32_array(input) {
                assert!(v.len() <= input.len(), "more numbers than bytes");
            }
        }
        _ => event(input),
    }
}

fn number(text: &[u8]) {
    let Ok(v) = parse_number(text) else {
        return;
    };
    assert!(v.is_finite(), "a JSON number decoded to {v}");
    // JSON numbers are a subset of what std accepts; both round to nearest, ties to even.
    let s = std::str::from_utf8(text).expect("an accepted number is ASCII");
    let reference: f32 = s.parse().expect("std accepts every JSON number");
    assert_eq!(
        v.to_bits(),
        reference.to_bits(),
        "{s:?}: decoded {v:e}, std says {reference:e}"
    );
}

fn event(input: &[u8]) {
    if let Ok(Request::Batch(ops)) = crate::compute::parse(input) {
        assert!(ops.len() <= MAX_OPS);
    }
    match handle(input) {
        Ok(out) => {
            let text = std::str::from_utf8(&out).expect("the response is UTF-8");
            assert!(
                miniserde::json::from_str::<miniserde::json::Value>(text).is_ok(),
                "the response is not JSON: {text}"
            );
        }
        Err(e) => {
            assert!(!e.error_type().is_empty());
            assert!(!e.to_string().is_empty());
        }
    }
}

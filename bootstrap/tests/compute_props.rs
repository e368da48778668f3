//! Property tests: whatever the bytes, `handle` returns a response or a typed error, never a
//! panic; valid requests survive a JSON round trip of their numbers bit for bit.

use proptest::prelude::*;
use rayo_bootstrap::compute::{handle, parse_number};

/// Valid events of every shape, the seeds that mutations start from.
fn valid_event() -> impl Strategy<Value = String> {
    let nums = prop::collection::vec(any::<f32>().prop_filter("finite", |v| v.is_finite()), 0..12);
    let ops = prop::sample::select(vec![
        "dot",
        "sum",
        "mean",
        "norm_l1",
        "norm_l2",
        "max",
        "min",
        "argmax",
        "argmin",
        "add",
        "sub",
        "mul",
        "div",
        "abs",
        "cosine",
        "euclidean",
        "euclidean_sq",
        "relu",
        "sigmoid",
        "tanh",
        "gelu",
        "exp",
        "softmax",
    ]);
    (ops, nums.clone(), nums, any::<bool>()).prop_map(|(op, a, b, batch)| {
        let list = |v: &[f32]| {
            v.iter()
                .map(|x| format!("{x:e}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        let two_operands = matches!(
            op,
            "dot" | "add" | "sub" | "mul" | "div" | "cosine" | "euclidean" | "euclidean_sq"
        );
        let one = if two_operands {
            format!(r#"{{"op":"{op}","a":[{}],"b":[{}]}}"#, list(&a), list(&b))
        } else {
            format!(r#"{{"op":"{op}","a":[{}]}}"#, list(&a))
        };
        if batch {
            format!(r#"{{"ops":[{one},{{"op":"matvec","m":[1,2],"rows":1,"cols":2,"x":[3,4]}}]}}"#)
        } else {
            one
        }
    })
}

/// Ways to break an event: overwrite, insert, delete or truncate at a position.
#[derive(Debug, Clone)]
enum Mutation {
    Set(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Truncate(usize),
}

/// Hand-written events of every other shape (scalars, integers, base64, encodings, batches
/// with errors), as further seeds for mutation.
fn other_event() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        r#"{"op":"scale","a":[1,2.5,-3e-3],"s":2}"#.to_string(),
        r#"{"op":"axpy","alpha":-0.5,"x":[1,2],"y":[3,4],"encoding":"b64"}"#.to_string(),
        r#"{"op":"clamp","a":[1,-2,3.5],"lo":-1,"hi":3}"#.to_string(),
        r#"{"op":"fma","a":[1],"b":[2],"c":[3]}"#.to_string(),
        r#"{"op":"matvec","m_b64":"AACAPwAAAEA=","rows":1,"cols":2,"x":[3,4]}"#.to_string(),
        r#"{"op":"dot","a_b64":"AACAPw==","b_b64":"AACAPw"}"#.to_string(),
        r#"{"ops":[{"op":"sum","a":[1e38,1e38,1e38,1e38]},{"op":"argmax","a":[]},"x",{"op":"softmax","a":[1,2]}],"encoding":"b64"}"#.to_string(),
        r#"{"op":"sum","a":[1,2],"x\u0031":"\ud83d\ude00"}"#.to_string(),
    ])
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let interesting = prop::sample::select(b"{}[]\",:-+.eE0123456789 \\nubtfx\x00\xff".to_vec());
    let byte = prop_oneof![interesting, any::<u8>()];
    prop_oneof![
        (any::<usize>(), byte.clone()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (any::<usize>(), byte).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn apply(mut bytes: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        let n = bytes.len();
        match *m {
            Mutation::Set(i, b) if n > 0 => bytes[i % n] = b,
            Mutation::Insert(i, b) => bytes.insert(i % (n + 1), b),
            Mutation::Delete(i) if n > 0 => {
                bytes.remove(i % n);
            }
            Mutation::Truncate(i) => bytes.truncate(i % (n + 1)),
            _ => {}
        }
    }
    bytes
}

fn assert_typed(bytes: &[u8]) {
    match handle(bytes) {
        Ok(out) => {
            let v: serde_json::Value = serde_json::from_slice(&out)
                .unwrap_or_else(|e| panic!("response is not JSON ({e}): {out:?}"));
            assert!(
                v.get("result").is_some()
                    || v.get("result_b64").is_some()
                    || v.get("results").is_some(),
                "{v}"
            );
        }
        Err(e) => {
            assert!(matches!(e.error_type(), "InvalidJson" | "InvalidRequest"));
            assert!(!e.to_string().is_empty());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        assert_typed(&bytes);
    }

    #[test]
    fn mutated_events_never_panic(event in valid_event(), muts in prop::collection::vec(mutation(), 1..6)) {
        assert_typed(&apply(event.into_bytes(), &muts));
    }

    #[test]
    fn mutated_other_events_never_panic(event in other_event(), muts in prop::collection::vec(mutation(), 0..6)) {
        assert_typed(&apply(event.into_bytes(), &muts));
    }

    #[test]
    fn valid_events_succeed_or_fail_only_on_lengths(event in valid_event()) {
        match handle(event.as_bytes()) {
            Ok(_) => {}
            // Random a and b differ in length for two-operand ops; empty a for max & co.
            Err(e) => prop_assert!(
                e.to_string().contains("length") || e.to_string().contains("is empty"),
                "{event}: {e}"
            ),
        }
    }

    #[test]
    fn every_finite_f32_round_trips_through_its_shortest_text(bits in any::<u32>()) {
        let v = f32::from_bits(bits);
        prop_assume!(v.is_finite());
        let event = format!(r#"{{"op":"abs","a":[{v:e}]}}"#);
        let out = handle(event.as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let text = String::from_utf8(out).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let inner = text.trim_start_matches(r#"{"result":["#).trim_end_matches("]}");
        let back = parse_number(inner.as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back.to_bits(), v.abs().to_bits(), "{} -> {}", v, inner);
    }
}

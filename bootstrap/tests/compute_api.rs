//! `compute::handle` end to end: every op family, batches, base64, the NaN rule and the
//! errors, with results checked against plain reference arithmetic.

use rayo_bootstrap::compute::{handle, ComputeError};
use serde_json::{json, Value};

fn call(event: &Value) -> Value {
    let out = handle(event.to_string().as_bytes())
        .unwrap_or_else(|e| panic!("{event}: {} {e}", e.error_type()));
    serde_json::from_slice(&out).expect("response is JSON")
}

fn fail(event: &str) -> ComputeError {
    match handle(event.as_bytes()) {
        Ok(out) => panic!(
            "{event}: expected an error, got {}",
            String::from_utf8_lossy(&out)
        ),
        Err(e) => e,
    }
}

fn num(v: &Value) -> f32 {
    v.as_f64().unwrap_or_else(|| panic!("{v} is not a number")) as f32
}

fn arr(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap_or_else(|| panic!("{v} is not an array"))
        .iter()
        .map(num)
        .collect()
}

fn close(got: f32, want: f32) {
    assert!(
        (got - want).abs() <= 1e-5 * want.abs().max(1.0),
        "got {got}, want {want}"
    );
}

const A: [f32; 5] = [1.0, -2.0, 3.5, 0.25, 4.0];
const B: [f32; 5] = [2.0, 0.5, -1.0, 8.0, 1.0];

#[test]
fn reductions_return_numbers_and_indices() {
    let dot: f32 = A.iter().zip(B).map(|(a, b)| a * b).sum();
    assert_eq!(
        call(&json!({"op": "dot", "a": A, "b": B})),
        json!({"result": dot})
    );
    assert_eq!(
        call(&json!({"op":"dot","a":[1,2,3],"b":[4,5,6]})).to_string(),
        r#"{"result":32.0}"#
    );
    close(num(&call(&json!({"op":"sum","a":A}))["result"]), 6.75);
    close(num(&call(&json!({"op":"mean","a":A}))["result"]), 1.35);
    close(num(&call(&json!({"op":"norm_l1","a":A}))["result"]), 10.75);
    let l2 = A.iter().map(|v| v * v).sum::<f32>().sqrt();
    close(num(&call(&json!({"op":"norm_l2","a":A}))["result"]), l2);
    assert_eq!(call(&json!({"op":"max","a":A})), json!({"result": 4.0}));
    assert_eq!(call(&json!({"op":"min","a":A})), json!({"result": -2.0}));
    assert_eq!(call(&json!({"op":"argmax","a":A})), json!({"result": 4}));
    assert_eq!(call(&json!({"op":"argmin","a":A})), json!({"result": 1}));
    let ab: f32 = A.iter().zip(B).map(|(a, b)| a * b).sum();
    let na = A.iter().map(|v| v * v).sum::<f32>().sqrt();
    let nb = B.iter().map(|v| v * v).sum::<f32>().sqrt();
    close(
        num(&call(&json!({"op":"cosine","a":A,"b":B}))["result"]),
        ab / (na * nb),
    );
    let d2: f32 = A.iter().zip(B).map(|(a, b)| (a - b) * (a - b)).sum();
    close(
        num(&call(&json!({"op":"euclidean_sq","a":A,"b":B}))["result"]),
        d2,
    );
    close(
        num(&call(&json!({"op":"euclidean","a":A,"b":B}))["result"]),
        d2.sqrt(),
    );
}

#[test]
fn elementwise_ops_return_arrays() {
    let zip = |f: fn(f32, f32) -> f32| A.iter().zip(B).map(|(&a, b)| f(a, b)).collect::<Vec<_>>();
    assert_eq!(
        arr(&call(&json!({"op":"add","a":A,"b":B}))["result"]),
        zip(|a, b| a + b)
    );
    assert_eq!(
        arr(&call(&json!({"op":"sub","a":A,"b":B}))["result"]),
        zip(|a, b| a - b)
    );
    assert_eq!(
        arr(&call(&json!({"op":"mul","a":A,"b":B}))["result"]),
        zip(|a, b| a * b)
    );
    assert_eq!(
        arr(&call(&json!({"op":"div","a":A,"b":B}))["result"]),
        zip(|a, b| a / b)
    );
    assert_eq!(
        arr(&call(&json!({"op":"scale","a":A,"s":2}))["result"]),
        A.map(|v| v * 2.0).to_vec()
    );
    assert_eq!(
        arr(&call(&json!({"op":"axpy","alpha":0.5,"x":A,"y":B}))["result"]),
        zip(|a, b| 0.5 * a + b)
    );
    let fma: Vec<f32> = (0..5).map(|i| A[i].mul_add(B[i], 1.0)).collect();
    let got = arr(&call(&json!({"op":"fma","a":A,"b":B,"c":[1,1,1,1,1]}))["result"]);
    for (g, w) in got.iter().zip(&fma) {
        close(*g, *w);
    }
    assert_eq!(
        arr(&call(&json!({"op":"clamp","a":A,"lo":-1,"hi":3}))["result"]),
        vec![1.0, -1.0, 3.0, 0.25, 3.0]
    );
    assert_eq!(
        arr(&call(&json!({"op":"abs","a":A}))["result"]),
        A.map(f32::abs).to_vec()
    );
}

#[test]
fn activations() {
    let x = [-3.0f32, -0.5, 0.0, 0.5, 3.0];
    let check = |op: &str, f: fn(f32) -> f32| {
        let got = arr(&call(&json!({"op": op, "a": x}))["result"]);
        assert_eq!(got.len(), x.len(), "{op}");
        for (g, v) in got.iter().zip(x) {
            close(*g, f(v));
        }
    };
    check("relu", |v| v.max(0.0));
    check("sigmoid", |v| 1.0 / (1.0 + (-v).exp()));
    check("tanh", f32::tanh);
    check("exp", f32::exp);
    check("gelu", |v| {
        // tanh form; the kernel's documented error bound is far below this test's tolerance
        let c = (2.0f32 / std::f32::consts::PI).sqrt();
        0.5 * v * (1.0 + (c * (v + 0.044715 * v * v * v)).tanh())
    });
    let sm = arr(&call(&json!({"op":"softmax","a":x}))["result"]);
    let total: f32 = x.iter().map(|v| v.exp()).sum();
    for (g, v) in sm.iter().zip(x) {
        close(*g, v.exp() / total);
    }
}

#[test]
fn matvec_dense_layer() {
    let r = call(&json!({"op":"matvec","m":[1,2,3,4,5,6],"rows":2,"cols":3,"x":[1,0,-1]}));
    assert_eq!(r, json!({"result":[-2.0,-2.0]}));
    let e = fail(r#"{"op":"matvec","m":[1,2,3,4,5],"rows":2,"cols":3,"x":[1,0,-1]}"#);
    assert_eq!(
        e.to_string(),
        "field `m`: has 5 elements, but rows * cols = 2 * 3"
    );
    let e = fail(r#"{"op":"matvec","m":[1,2,3,4,5,6],"rows":2,"cols":3,"x":[1,0]}"#);
    assert_eq!(e.to_string(), "field `x`: length 2 differs from cols = 3");
    let e = fail(r#"{"op":"matvec","m":[],"rows":2097152,"cols":2097152,"x":[]}"#);
    assert!(e.to_string().starts_with("field `m`:"), "{e}");
}

#[test]
fn base64_in_and_out() {
    let b64 = |v: &[f32]| {
        use std::fmt::Write;
        let bytes: Vec<u8> = v.iter().flat_map(|f| f.to_le_bytes()).collect();
        // Reference encoder written out plainly, independent of the crate's.
        let abc = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut s = String::new();
        for c in bytes.chunks(3) {
            let n = (c[0] as u32) << 16
                | (*c.get(1).unwrap_or(&0) as u32) << 8
                | *c.get(2).unwrap_or(&0) as u32;
            for k in 0..4 {
                if k <= c.len() {
                    s.write_char(abc[(n >> (18 - 6 * k)) as usize & 63] as char)
                        .unwrap();
                } else {
                    s.push('=');
                }
            }
        }
        s
    };
    let r = call(&json!({"op":"dot","a_b64": b64(&A),"b_b64": b64(&B)}));
    let dot: f32 = A.iter().zip(B).map(|(a, b)| a * b).sum();
    assert_eq!(r, json!({"result": dot}));
    let r = call(&json!({"op":"add","a_b64": b64(&A),"b":B,"encoding":"b64"}));
    let sum: Vec<f32> = A.iter().zip(B).map(|(a, b)| a + b).collect();
    assert_eq!(r, json!({"result_b64": b64(&sum)}));
    // JSON may escape `/` as `\/`: still base64.
    let escaped = format!(
        r#"{{"op":"sum","a_b64":"{}"}}"#,
        b64(&[-1.0e-38]).replace('/', "\\/")
    );
    assert!(handle(escaped.as_bytes()).is_ok());

    let e = fail(r#"{"op":"sum","a_b64":"AAA="}"#);
    assert_eq!(
        e.to_string(),
        "field `a_b64`: base64 decodes to 2 bytes, not a multiple of 4 (little-endian f32s)"
    );
    let e = fail(r#"{"op":"sum","a_b64":"AAC*Pw=="}"#);
    assert_eq!(
        e.to_string(),
        "field `a_b64`: invalid base64 character '*' at offset 3"
    );
    let e = fail(r#"{"op":"sum","a":[1],"a_b64":"AACAPw=="}"#);
    assert!(e.to_string().contains("given more than once"), "{e}");
}

#[test]
fn non_finite_results_become_null_with_a_flag() {
    assert_eq!(
        call(&json!({"op":"div","a":[1,0,-1,4],"b":[0,0,0,2]})),
        json!({"result":[null,null,null,2.0],"non_finite":true})
    );
    assert_eq!(
        call(&json!({"op":"sum","a":[3e38,3e38]})),
        json!({"result":null,"non_finite":true})
    );
    // With base64 the bits carry NaN and infinity exactly, so no flag.
    let r = call(&json!({"op":"div","a":[1],"b":[0],"encoding":"b64"}));
    assert_eq!(r, json!({"result_b64":"AACAfw=="}));
}

#[test]
fn batches_report_each_op() {
    let r = call(&json!({"ops":[
        {"op":"dot","a":[1,2],"b":[3,4]},
        {"op":"dto","a":[1]},
        {"op":"sum","a":[1,"x"]},
        {"op":"add","a":[1],"b":[2],"encoding":"json"},
        {"op":"add","a":[1],"b":[2]},
        {"op":"max","a":[]},
        7
    ], "encoding":"b64"}));
    let results = r["results"].as_array().unwrap();
    assert_eq!(results.len(), 7);
    assert_eq!(results[0], json!({"result": 11.0}));
    assert_eq!(results[1]["error"]["type"], "InvalidRequest");
    assert!(results[1]["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("field `ops[1].op`: unknown op \"dto\""));
    assert_eq!(
        results[2]["error"]["message"],
        "field `ops[2].a`: element 1 is not a number: found a string `\"x\"`"
    );
    assert_eq!(results[3], json!({"result":[3.0]}));
    assert_eq!(results[4], json!({"result_b64":"AABAQA=="}));
    assert_eq!(
        results[5]["error"]["message"],
        "field `ops[5].a`: is empty; op `max` needs at least one element"
    );
    assert!(results[6]["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("invalid request: ops[6]: expected an op object, found a number"));
    assert_eq!(call(&json!({"ops":[]})), json!({"results":[]}));
}

#[test]
fn request_errors_name_field_problem_and_value() {
    let cases: &[(&str, &str, &str)] = &[
        (
            r#"{"op":"dto","a":[1]}"#,
            "InvalidRequest",
            "field `op`: unknown op \"dto\" (known: dot, sum,",
        ),
        (r#"{"a":[1]}"#, "InvalidRequest", "field `op`: missing"),
        (
            r#"{"op":"dot","a":[1,2]}"#,
            "InvalidRequest",
            "field `b`: missing, op `dot` requires it",
        ),
        (
            r#"{"op":"sum","a":[1],"b":[2]}"#,
            "InvalidRequest",
            "field `b`: not an operand of op `sum`",
        ),
        (
            r#"{"op":"dot","a":[1,2],"b":[1]}"#,
            "InvalidRequest",
            "field `b`: length 1 differs from the length 2 of `a`",
        ),
        (
            r#"{"op":"fma","a":[1],"b":[1],"c":[1,2]}"#,
            "InvalidRequest",
            "field `c`: length 2 differs",
        ),
        (
            r#"{"op":"axpy","alpha":1,"x":[1],"y":[]}"#,
            "InvalidRequest",
            "field `y`: length 0 differs",
        ),
        (
            r#"{"op":"sum","a":"1,2"}"#,
            "InvalidRequest",
            "field `a`: expected an array of numbers, found a string `\"1,2\"`",
        ),
        (
            r#"{"op":"sum","a":[1,null]}"#,
            "InvalidRequest",
            "field `a`: element 1 is not a number: found null",
        ),
        (
            r#"{"op":"sum","a":[1,1e39]}"#,
            "InvalidRequest",
            "field `a`: element 1 is out of f32 range: `1e39]}`",
        ),
        (
            r#"{"op":"scale","a":[1],"s":"2"}"#,
            "InvalidRequest",
            "field `s`: expected a number, found a string",
        ),
        (
            r#"{"op":"matvec","m":[1],"rows":1.0,"cols":1,"x":[1]}"#,
            "InvalidRequest",
            "field `rows`: expected a non-negative integer, found a number `1.0`",
        ),
        (
            r#"{"op":"matvec","m":[1],"rows":-1,"cols":1,"x":[1]}"#,
            "InvalidRequest",
            "field `rows`: expected a non-negative integer",
        ),
        (
            r#"{"op":"sum","a":[1],"zz":2}"#,
            "InvalidRequest",
            "field `zz`: unknown field (known: op, ops,",
        ),
        (
            r#"{"op":"sum","s_b64":"","a":[1]}"#,
            "InvalidRequest",
            "field `s_b64`: unknown field: only array fields",
        ),
        (
            r#"{"op":"sum","a":[1],"encoding":"hex"}"#,
            "InvalidRequest",
            "field `encoding`: unknown encoding \"hex\"",
        ),
        (
            r#"{"op":"sum","op":"sum","a":[1]}"#,
            "InvalidRequest",
            "field `op`: given more than once",
        ),
        (
            r#"{"op":"clamp","a":[1],"lo":2,"hi":1}"#,
            "InvalidRequest",
            "field `lo`: 2.0 is greater than `hi` 1.0",
        ),
        (
            r#"{"op":"argmin","a":[]}"#,
            "InvalidRequest",
            "field `a`: is empty",
        ),
        (
            r#"{"op":"sum","a":[1],"ops":[]}"#,
            "InvalidRequest",
            "invalid request: `ops` (a batch) cannot be combined",
        ),
        (
            r#"{"ops":{}}"#,
            "InvalidRequest",
            "field `ops`: expected an array of op objects, found an object",
        ),
        (
            r#"{"op":"sum","a":[1,]}"#,
            "InvalidJson",
            "invalid JSON at byte 19: expected a number as element 1 of `a`, found `]}`",
        ),
        (
            r#"{"op":"sum","a":[1 2]}"#,
            "InvalidJson",
            "invalid JSON at byte 19: expected `,` or `]` after element 0 of `a`",
        ),
        (
            r#"{"op":"sum","a":[1]"#,
            "InvalidJson",
            "invalid JSON at byte 19: expected `,` or `}` in object, found `end of input`",
        ),
        (
            r#"{"op":"sum","a":[1]} x"#,
            "InvalidJson",
            "invalid JSON at byte 21: expected end of input after the request object",
        ),
        (
            r#"[1,2]"#,
            "InvalidJson",
            "invalid JSON at byte 0: expected a JSON object (the request)",
        ),
        (
            "",
            "InvalidJson",
            "invalid JSON at byte 0: expected a JSON object",
        ),
        (
            "{\"op\":\"su\u{0}m\"}",
            "InvalidJson",
            "invalid JSON at byte 9: control character in string",
        ),
    ];
    for (event, ty, prefix) in cases {
        let e = fail(event);
        assert_eq!(e.error_type(), *ty, "{event}: {e}");
        assert!(
            e.to_string().starts_with(prefix),
            "{event}:\n  got  {e}\n  want {prefix}..."
        );
    }
    // Invalid UTF-8 anywhere in a string is a JSON error, not a panic.
    let e = handle(b"{\"op\":\"s\xffm\",\"a\":[1]}").unwrap_err();
    assert_eq!(e.error_type(), "InvalidJson");
}

#[test]
fn caps_are_enforced() {
    // One element more than the per-array cap, in the cheapest JSON form.
    let cap = rayo_bootstrap::compute::MAX_ELEMENTS;
    let mut event = String::from(r#"{"op":"sum","a":["#);
    event.push_str(&"0,".repeat(cap));
    event.push_str("0]}");
    let e = fail(&event);
    assert_eq!(
        e.to_string(),
        format!("field `a`: more than {cap} elements (the per-array cap)")
    );
    let ops = vec![json!({"op":"sum","a":[1]}); rayo_bootstrap::compute::MAX_OPS + 1];
    let e = handle(json!({ "ops": ops }).to_string().as_bytes()).unwrap_err();
    assert!(e.to_string().contains("the batch cap"), "{e}");
}

#[test]
fn readme_examples_are_exact() {
    // Every `request -> response` line in the README is run and compared byte for byte.
    let readme = include_str!("../README.md");
    let mut checked = 0;
    for line in readme.lines() {
        let Some((req, resp)) = line.split_once(" -> ") else {
            continue;
        };
        let (req, resp) = (req.trim(), resp.trim());
        if !req.starts_with('{') || !resp.starts_with('{') || resp.contains("...") {
            continue;
        }
        let out = handle(req.as_bytes()).unwrap_or_else(|e| panic!("{req}: {e}"));
        assert_eq!(String::from_utf8_lossy(&out), resp, "{req}");
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} README examples found");
}

//! The compute service: a JSON (or base64) request in, a kernel run, a JSON response out.
//!
//! ```text
//! {"op":"dot","a":[1,2],"b":[3,4]}             -> {"result":11.0}
//! {"op":"add","a":[1],"b":[2],"encoding":"b64"} -> {"result_b64":"AABAQA=="}
//! {"ops":[{...},{...}]}                         -> {"results":[{...},{"error":{...}}]}
//! ```
//! See `bootstrap/README.md` for every op, the rules (NaN -> null, caps) and the error types.

mod b64;
mod encode;
mod error;
mod float;
mod json;
mod ops;
mod pow5;
mod request;

pub use error::ComputeError;
pub use ops::{run, Output};
pub use request::{parse, Encoding, Op, OpRequest, Request};

/// Most elements in one array operand (and rows of a `matvec` result): 2^21 = 2,097,152 f32s,
/// 8 MiB. Lambda's 6 MB event limit already allows only about 3M one-digit JSON numbers or
/// 1.1M base64 f32s; the cap bounds what a single field can make the function allocate.
pub const MAX_ELEMENTS: usize = 1 << 21;

/// Most ops in one batch.
pub const MAX_OPS: usize = 4096;

/// Decodes one JSON number (the whole input, no surrounding whitespace) to the nearest f32,
/// exactly as the request decoder does for every array element and scalar.
pub fn parse_number(text: &[u8]) -> Result<f32, ComputeError> {
    match float::parse_f32_outlined(text) {
        Ok((v, used)) if used == text.len() => Ok(v),
        Ok((_, used)) => Err(ComputeError::json(
            used,
            "unexpected bytes after the number",
        )),
        Err(float::NumError::Syntax) => Err(ComputeError::json(0, "not a JSON number")),
        Err(float::NumError::Overflow) => Err(ComputeError::field(
            "number",
            format!("out of f32 range: {}", error::snippet(text, 0)),
        )),
    }
}

/// Decodes a bare JSON array of numbers (`[1, 2.5e-3, -0]`) into f32s, as the request decoder
/// does for `a`, `b`, ... (same rounding, same errors, same cap).
pub fn decode_f32_array(json: &[u8]) -> Result<Vec<f32>, ComputeError> {
    let mut sc = json::Scanner::new(json);
    let v = sc.f32_array("array", MAX_ELEMENTS)?;
    sc.end()?;
    Ok(v)
}

/// Serves one event: returns the response JSON, or the error for the whole invocation
/// (malformed JSON, or any problem of a single-op request). In a batch, each op's problem is
/// reported in its own slot of `results` and the invocation succeeds.
pub fn handle(event: &[u8]) -> Result<Vec<u8>, ComputeError> {
    let mut out = Vec::with_capacity(64);
    match parse(event)? {
        Request::Single(req) => {
            let encoding = req.encoding.unwrap_or_default();
            let result = run(req)?;
            encode::push_result(&mut out, &Ok(result), encoding);
        }
        Request::Batch(reqs) => {
            out.extend_from_slice(b"{\"results\":[");
            for (i, req) in reqs.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let (result, encoding) = match req {
                    Ok(req) => {
                        let encoding = req.encoding.unwrap_or_default();
                        (run(req).map_err(|e| request::in_batch(i, e)), encoding)
                    }
                    Err(e) => (Err(e), Encoding::Json),
                };
                encode::push_result(&mut out, &result, encoding);
            }
            out.extend_from_slice(b"]}");
        }
    }
    Ok(out)
}

//! Response JSON: shortest round-trip f32 numbers, `null` plus a flag for NaN and infinities.

use super::b64;
use super::error::ComputeError;
use super::ops::Output;
use super::request::Encoding;
use rayo_wire::json::push_str;

/// Appends the shortest decimal that parses back to exactly `v` (finite `v` only).
#[inline]
fn push_f32(out: &mut Vec<u8>, v: f32, buf: &mut zmij::Buffer) {
    out.extend_from_slice(buf.format_finite(v).as_bytes());
}

/// `v` as text for messages, through the same shortest formatting as responses (so the
/// binary carries one float printer, not also core's).
pub(crate) fn f32_text(v: f32) -> String {
    zmij::Buffer::new().format(v).to_string()
}

/// Appends `v`, or `null` if it is NaN or infinite; returns whether it wrote `null`.
#[inline]
fn push_number(out: &mut Vec<u8>, v: f32, buf: &mut zmij::Buffer) -> bool {
    if v.is_finite() {
        push_f32(out, v, buf);
        false
    } else {
        out.extend_from_slice(b"null");
        true
    }
}

/// Appends one result object: `{"result":...}` (+ `"non_finite":true` when a NaN or infinity
/// became `null`), `{"result_b64":"..."}`, or `{"error":{"type":...,"message":...}}`.
pub(crate) fn push_result(
    out: &mut Vec<u8>,
    result: &Result<Output, ComputeError>,
    encoding: Encoding,
) {
    let mut buf = zmij::Buffer::new();
    match result {
        Ok(Output::Number(v)) => {
            out.extend_from_slice(b"{\"result\":");
            let nulled = push_number(out, *v, &mut buf);
            finish(out, nulled);
        }
        Ok(Output::Index(i)) => {
            out.extend_from_slice(b"{\"result\":");
            out.extend_from_slice(i.to_string().as_bytes());
            out.push(b'}');
        }
        Ok(Output::Array(values)) if encoding == Encoding::B64 => {
            // Raw bits carry NaN and infinities exactly: no nulls, no flag.
            out.extend_from_slice(b"{\"result_b64\":\"");
            b64::encode_f32s(values, out);
            out.extend_from_slice(b"\"}");
        }
        Ok(Output::Array(values)) => {
            // Most shortest f32s take at most 15 bytes with the comma.
            out.reserve(values.len() * 16 + 16);
            out.extend_from_slice(b"{\"result\":[");
            let mut nulled = false;
            for (i, &v) in values.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                nulled |= push_number(out, v, &mut buf);
            }
            out.push(b']');
            finish(out, nulled);
        }
        Err(e) => {
            out.extend_from_slice(b"{\"error\":{\"type\":");
            push_str(out, e.error_type());
            out.extend_from_slice(b",\"message\":");
            push_str(out, &e.to_string());
            out.extend_from_slice(b"}}");
        }
    }
}

fn finish(out: &mut Vec<u8>, nulled: bool) {
    if nulled {
        out.extend_from_slice(b",\"non_finite\":true");
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(r: Result<Output, ComputeError>, enc: Encoding) -> String {
        let mut out = Vec::new();
        push_result(&mut out, &r, enc);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn numbers_and_arrays() {
        assert_eq!(
            show(Ok(Output::Number(12.5)), Encoding::Json),
            r#"{"result":12.5}"#
        );
        assert_eq!(
            show(Ok(Output::Number(0.1)), Encoding::Json),
            r#"{"result":0.1}"#
        );
        assert_eq!(
            show(Ok(Output::Index(7)), Encoding::Json),
            r#"{"result":7}"#
        );
        assert_eq!(
            show(Ok(Output::Array(vec![1.0, -0.5, 3e-7])), Encoding::Json),
            r#"{"result":[1.0,-0.5,3e-7]}"#
        );
        assert_eq!(
            show(Ok(Output::Array(vec![])), Encoding::Json),
            r#"{"result":[]}"#
        );
        assert_eq!(
            show(Ok(Output::Array(vec![1.0])), Encoding::B64),
            r#"{"result_b64":"AACAPw=="}"#
        );
    }

    #[test]
    fn non_finite_becomes_null_with_flag() {
        assert_eq!(
            show(Ok(Output::Number(f32::NAN)), Encoding::Json),
            r#"{"result":null,"non_finite":true}"#
        );
        assert_eq!(
            show(
                Ok(Output::Array(vec![1.0, f32::INFINITY, f32::NEG_INFINITY])),
                Encoding::Json
            ),
            r#"{"result":[1.0,null,null],"non_finite":true}"#
        );
    }

    #[test]
    fn errors_are_escaped() {
        let e = ComputeError::field("op", "unknown op \"x\\\n\u{1}\"");
        assert_eq!(
            show(Err(e), Encoding::Json),
            r#"{"error":{"type":"InvalidRequest","message":"field `op`: unknown op \"x\\\n\u0001\""}}"#
        );
    }

    #[test]
    fn every_f32_sample_round_trips() {
        // Shortest output must parse back to the same bits; walk the whole range in big steps.
        let mut buf = zmij::Buffer::new();
        let mut bits: u32 = 0;
        while bits < 0x7F80_0000 {
            let v = f32::from_bits(bits);
            let mut out = Vec::new();
            push_f32(&mut out, v, &mut buf);
            let text = std::str::from_utf8(&out).unwrap();
            assert_eq!(text.parse::<f32>().unwrap().to_bits(), bits, "{text}");
            bits += 997;
        }
    }
}

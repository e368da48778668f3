//! The response: `{"model": ..., "dims": N, "embeddings": [...], "truncated": N}`, written
//! by hand. Numbers are the shortest decimals that read back as the same f32 (zmij);
//! `b64` vectors are standard base64 (with padding) of the little-endian f32 bytes.

use crate::error::Error;
use crate::request::Encoding;

/// Appends the standard base64 of `bytes` (RFC 4648, with `=` padding): rayo-wire's.
pub fn base64(bytes: &[u8], out: &mut Vec<u8>) {
    rayo_wire::base64::encode(bytes, out);
}

/// Writes the response for `vectors` (`count` rows of `dims`). A non-finite value cannot
/// come from a verified weight file; it is an error rather than invalid JSON.
pub fn write(
    model_id: &str,
    dims: usize,
    vectors: &[f32],
    encoding: Encoding,
    truncated: usize,
) -> Result<Vec<u8>, Error> {
    let count = vectors.len() / dims.max(1);
    let per = match encoding {
        Encoding::Json => dims * 12,
        Encoding::B64 => dims * 16 / 3 + 8,
    };
    let mut out = Vec::with_capacity(80 + count * per);
    out.extend_from_slice(b"{\"model\":");
    rayo_runtime::write_json_string(&mut out, model_id);
    out.extend_from_slice(b",\"dims\":");
    out.extend_from_slice(dims.to_string().as_bytes());
    out.extend_from_slice(b",\"embeddings\":[");
    let mut buf = zmij::Buffer::new();
    let mut bytes = Vec::with_capacity(dims * 4);
    for (i, v) in vectors.chunks_exact(dims.max(1)).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if let Some(j) = v.iter().position(|x| !x.is_finite()) {
            return Err(Error::Internal(format!(
                "embedding {i} has a non-finite value at dimension {j}"
            )));
        }
        match encoding {
            Encoding::Json => {
                out.push(b'[');
                for (j, &x) in v.iter().enumerate() {
                    if j > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(buf.format_finite(x).as_bytes());
                }
                out.push(b']');
            }
            Encoding::B64 => {
                bytes.clear();
                for x in v {
                    bytes.extend_from_slice(&x.to_le_bytes());
                }
                out.push(b'"');
                base64(&bytes, &mut out);
                out.push(b'"');
            }
        }
    }
    out.extend_from_slice(b"],\"truncated\":");
    out.extend_from_slice(truncated.to_string().as_bytes());
    out.push(b'}');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (plain, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            let mut out = Vec::new();
            base64(plain.as_bytes(), &mut out);
            assert_eq!(out, want.as_bytes(), "{plain}");
        }
        let mut out = Vec::new();
        base64(&[0xfb, 0xff, 0xfe], &mut out);
        assert_eq!(out, b"+//+");
    }

    #[test]
    fn writes_json_and_b64_responses() {
        let v = [0.1f32, -2.0, 1e-7, 0.0, 3.0, 0.5];
        let json = write("m\"x", 3, &v, Encoding::Json, 1).unwrap();
        assert_eq!(
            String::from_utf8(json).unwrap(),
            r#"{"model":"m\"x","dims":3,"embeddings":[[0.1,-2.0,1e-7],[0.0,3.0,0.5]],"truncated":1}"#
        );
        let b64 = write("m", 1, &[1.0, 2.0], Encoding::B64, 0).unwrap();
        assert_eq!(
            String::from_utf8(b64).unwrap(),
            r#"{"model":"m","dims":1,"embeddings":["AACAPw==","AAAAQA=="],"truncated":0}"#
        );
        let e = write("m", 2, &[1.0, f32::NAN], Encoding::Json, 0).unwrap_err();
        assert!(e
            .to_string()
            .contains("embedding 0 has a non-finite value at dimension 1"));
    }
}

//! Standard base64 (RFC 4648 section 4, `+/`) of little-endian f32 arrays.
//!
//! Decoding accepts the text with or without `=` padding, and nothing else: no whitespace,
//! no URL-safe alphabet, no bits set past the end of the data.

use rayo_wire::base64::{decode, decoded_len, encode, DecodeError, Rules};

/// Why base64 text could not become f32s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum B64Error {
    /// Byte `at` of the text is not in the alphabet (or padding in the wrong place).
    BadByte { at: usize, byte: u8 },
    /// The text length is impossible for base64 (one char left over, or bad padding).
    BadLength(usize),
    /// Bits past the data in the last character are not zero (not canonical base64).
    TrailingBits,
    /// The decoded byte count is not a multiple of 4.
    NotF32s(usize),
    /// More elements than the cap.
    TooMany { elements: usize, cap: usize },
}

impl core::fmt::Display for B64Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            B64Error::BadByte { at, byte } => {
                write!(
                    f,
                    "invalid base64 character {:?} at offset {at}",
                    *byte as char
                )
            }
            B64Error::BadLength(n) => write!(f, "base64 text length {n} is impossible"),
            B64Error::TrailingBits => write!(f, "base64 text has non-zero trailing bits"),
            B64Error::NotF32s(n) => write!(
                f,
                "base64 decodes to {n} bytes, not a multiple of 4 (little-endian f32s)"
            ),
            B64Error::TooMany { elements, cap } => {
                write!(f, "{elements} elements, more than the per-array cap {cap}")
            }
        }
    }
}

impl From<DecodeError> for B64Error {
    fn from(e: DecodeError) -> Self {
        match e {
            DecodeError::BadByte { at, byte } => B64Error::BadByte { at, byte },
            DecodeError::BadLength(n) => B64Error::BadLength(n),
            DecodeError::TrailingBits => B64Error::TrailingBits,
        }
    }
}

/// Decodes base64 text into little-endian f32s.
pub(crate) fn decode_f32s(text: &[u8], cap: usize) -> Result<Vec<f32>, B64Error> {
    // The length first, so an oversized array is refused before anything is decoded.
    let nbytes = decoded_len(text, Rules::Canonical)?;
    if nbytes / 4 > cap {
        return Err(B64Error::TooMany {
            elements: nbytes / 4,
            cap,
        });
    }
    let mut bytes = Vec::with_capacity(nbytes);
    decode(text, Rules::Canonical, &mut bytes)?;
    // Checked after the characters, so a bad character is reported as such.
    if nbytes % 4 != 0 {
        return Err(B64Error::NotF32s(nbytes));
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

/// Appends the padded base64 of `values` as little-endian f32s to `out`.
pub(crate) fn encode_f32s(values: &[f32], out: &mut Vec<u8>) {
    let mut bytes = Vec::with_capacity(values.len() * 4);
    for v in values {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    encode(&bytes, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(v: &[f32]) -> String {
        let mut out = Vec::new();
        encode_f32s(v, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn known_vectors() {
        // 1.0f32 = 00 00 80 3f (LE); base64 of those bytes is "AACAPw==".
        assert_eq!(enc(&[1.0]), "AACAPw==");
        assert_eq!(decode_f32s(b"AACAPw==", 10), Ok(vec![1.0]));
        assert_eq!(decode_f32s(b"AACAPw", 10), Ok(vec![1.0]));
        assert_eq!(enc(&[]), "");
        assert_eq!(decode_f32s(b"", 10), Ok(vec![]));
        // 3 floats = 12 bytes = 16 chars, no padding.
        assert_eq!(
            decode_f32s(enc(&[1.0, -2.5, 3.0]).as_bytes(), 10),
            Ok(vec![1.0, -2.5, 3.0])
        );
    }

    #[test]
    fn round_trips_every_length() {
        for n in 0..40 {
            let v: Vec<f32> = (0..n).map(|i| i as f32 * 1.25 - 7.0).collect();
            assert_eq!(decode_f32s(enc(&v).as_bytes(), 100).unwrap(), v);
        }
        let special = [f32::NAN, f32::INFINITY, -0.0, f32::from_bits(1)];
        let back = decode_f32s(enc(&special).as_bytes(), 100).unwrap();
        let bits: Vec<u32> = back.iter().map(|v| v.to_bits()).collect();
        assert_eq!(bits, special.map(f32::to_bits));
    }

    #[test]
    fn errors() {
        assert_eq!(
            decode_f32s(b"AAC Pw==", 9),
            Err(B64Error::BadByte { at: 3, byte: b' ' })
        );
        assert_eq!(decode_f32s(b"AACAP", 9), Err(B64Error::BadLength(5)));
        assert_eq!(decode_f32s(b"AACAPw=", 9), Err(B64Error::BadLength(7)));
        assert_eq!(decode_f32s(b"AAA=", 9), Err(B64Error::NotF32s(2)));
        assert_eq!(decode_f32s(b"AACAPx==", 9), Err(B64Error::TrailingBits));
        assert_eq!(
            decode_f32s(b"AA=A", 9),
            Err(B64Error::BadByte { at: 2, byte: b'=' })
        );
        assert_eq!(
            decode_f32s(b"AACAP-==", 9),
            Err(B64Error::BadByte { at: 5, byte: b'-' })
        );
        assert_eq!(
            decode_f32s(enc(&[1.0, 2.0]).as_bytes(), 1),
            Err(B64Error::TooMany {
                elements: 2,
                cap: 1
            })
        );
    }
}

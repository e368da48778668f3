//! Standard base64 (RFC 4648 section 4, `+/`) of little-endian f32 arrays.
//!
//! Decoding accepts the text with or without `=` padding, and nothing else: no whitespace,
//! no URL-safe alphabet, no bits set past the end of the data.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const INVALID: u8 = 0xFF;

/// Maps an input byte to its 6-bit value, or INVALID.
static DECODE: [u8; 256] = {
    let mut t = [INVALID; 256];
    let mut i = 0;
    while i < 64 {
        t[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    t
};

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

/// Decodes base64 text into little-endian f32s.
pub(crate) fn decode_f32s(text: &[u8], cap: usize) -> Result<Vec<f32>, B64Error> {
    let body_len = match text {
        [.., b'=', b'='] => text.len() - 2,
        [.., b'='] => text.len() - 1,
        _ => text.len(),
    };
    let padded = body_len != text.len();
    if (padded && text.len() % 4 != 0) || body_len % 4 == 1 {
        return Err(B64Error::BadLength(text.len()));
    }
    let body = &text[..body_len];
    let nbytes = body_len / 4 * 3 + (body_len % 4).saturating_sub(1);
    if nbytes / 4 > cap {
        return Err(B64Error::TooMany {
            elements: nbytes / 4,
            cap,
        });
    }
    let mut bytes = Vec::with_capacity(nbytes);
    let mut chunks = body.chunks_exact(4);
    for (n, chunk) in chunks.by_ref().enumerate() {
        let mut acc = 0u32;
        for (k, &c) in chunk.iter().enumerate() {
            let v = DECODE[c as usize];
            if v == INVALID {
                return Err(B64Error::BadByte {
                    at: n * 4 + k,
                    byte: c,
                });
            }
            acc = (acc << 6) | v as u32;
        }
        bytes.extend_from_slice(&acc.to_be_bytes()[1..]);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        let mut acc = 0u32;
        for (k, &c) in tail.iter().enumerate() {
            let v = DECODE[c as usize];
            if v == INVALID {
                return Err(B64Error::BadByte {
                    at: body_len - tail.len() + k,
                    byte: c,
                });
            }
            acc = (acc << 6) | v as u32;
        }
        // 2 chars carry 1 byte (+4 spare bits), 3 chars carry 2 bytes (+2 spare bits).
        let spare = if tail.len() == 2 { 4 } else { 2 };
        if acc & ((1 << spare) - 1) != 0 {
            return Err(B64Error::TrailingBits);
        }
        acc >>= spare;
        let out = acc.to_be_bytes();
        bytes.extend_from_slice(&out[4 - (tail.len() - 1)..]);
    }
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
    out.reserve(bytes.len().div_ceil(3) * 4);
    let mut chunks = bytes.chunks_exact(3);
    for c in chunks.by_ref() {
        let n = (c[0] as u32) << 16 | (c[1] as u32) << 8 | c[2] as u32;
        for shift in [18, 12, 6, 0] {
            out.push(ALPHABET[(n >> shift) as usize & 63]);
        }
    }
    match *chunks.remainder() {
        [a] => {
            let n = (a as u32) << 16;
            out.extend_from_slice(&[
                ALPHABET[(n >> 18) as usize & 63],
                ALPHABET[(n >> 12) as usize & 63],
                b'=',
                b'=',
            ]);
        }
        [a, b] => {
            let n = (a as u32) << 16 | (b as u32) << 8;
            out.extend_from_slice(&[
                ALPHABET[(n >> 18) as usize & 63],
                ALPHABET[(n >> 12) as usize & 63],
                ALPHABET[(n >> 6) as usize & 63],
                b'=',
            ]);
        }
        _ => {}
    }
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

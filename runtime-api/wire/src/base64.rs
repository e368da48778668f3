//! Standard base64 (RFC 4648 section 4: `A-Z a-z 0-9 + /`, `=` padding).
//!
//! One encoder, and one decoder with two sets of [`Rules`]: canonical, for data the caller
//! must be able to re-encode to the same text (the compute API's f32 arrays), and lenient,
//! for what other programs send (API Gateway bodies, client contexts).

use alloc::vec::Vec;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const INVALID: u8 = 0xFF;

/// Each input byte's 6-bit value, or INVALID.
static DECODE: [u8; 256] = {
    let mut t = [INVALID; 256];
    let mut i = 0;
    while i < 64 {
        t[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// Appends the padded base64 of `data` to `out`.
#[inline]
pub fn encode(data: &[u8], out: &mut Vec<u8>) {
    let sym = |n: u32, shift: u32| ALPHABET[(n >> shift) as usize & 63];
    out.reserve(data.len().div_ceil(3) * 4);
    let mut chunks = data.chunks_exact(3);
    for c in chunks.by_ref() {
        let n = u32::from(c[0]) << 16 | u32::from(c[1]) << 8 | u32::from(c[2]);
        out.extend_from_slice(&[sym(n, 18), sym(n, 12), sym(n, 6), sym(n, 0)]);
    }
    match *chunks.remainder() {
        [a] => {
            let n = u32::from(a) << 16;
            out.extend_from_slice(&[sym(n, 18), sym(n, 12), b'=', b'=']);
        }
        [a, b] => {
            let n = u32::from(a) << 16 | u32::from(b) << 8;
            out.extend_from_slice(&[sym(n, 18), sym(n, 12), sym(n, 6), b'=']);
        }
        _ => {}
    }
}

/// How strictly [`decode`] reads its input. Neither accepts whitespace or the URL-safe
/// alphabet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rules {
    /// Padding optional, but padded text is a whole number of 4-character groups, and the
    /// unused bits of the last character are zero: exactly what [`encode`] writes, with or
    /// without its `=`.
    Canonical,
    /// Up to two trailing `=` whatever the length, unused bits ignored.
    Lenient,
}

/// Why text is not base64 under the [`Rules`] asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// Byte `at` of the text is not in the alphabet (or is padding in the wrong place).
    BadByte {
        /// Offset in the text.
        at: usize,
        /// The byte found there.
        byte: u8,
    },
    /// No base64 text has this length (one character left over, or bad padding).
    BadLength(usize),
    /// The last character sets bits past the end of the data ([`Rules::Canonical`] only).
    TrailingBits,
}

/// The length of `text` without its padding, or why that length is impossible.
#[inline]
fn unpadded_len(text: &[u8], rules: Rules) -> Result<usize, DecodeError> {
    let bad = DecodeError::BadLength(text.len());
    let body = match rules {
        Rules::Canonical => {
            let body = match text {
                [.., b'=', b'='] => text.len() - 2,
                [.., b'='] => text.len() - 1,
                _ => text.len(),
            };
            if body != text.len() && text.len() % 4 != 0 {
                return Err(bad);
            }
            body
        }
        Rules::Lenient => {
            let pad = text.iter().rev().take_while(|&&c| c == b'=').count();
            if pad > 2 {
                return Err(bad);
            }
            text.len() - pad
        }
    };
    if body % 4 == 1 {
        return Err(bad);
    }
    Ok(body)
}

/// How many bytes `text` decodes to, checking only its length and padding: for a caller
/// that caps or sizes its output before decoding.
#[inline]
pub fn decoded_len(text: &[u8], rules: Rules) -> Result<usize, DecodeError> {
    let body = unpadded_len(text, rules)?;
    Ok(body / 4 * 3 + (body % 4).saturating_sub(1))
}

/// Appends the bytes `text` encodes to `out`. On an error `out` may hold part of them.
#[inline]
pub fn decode(text: &[u8], rules: Rules, out: &mut Vec<u8>) -> Result<(), DecodeError> {
    let body = &text[..unpadded_len(text, rules)?];
    out.reserve(body.len() / 4 * 3 + 2);
    for (n, group) in body.chunks(4).enumerate() {
        let mut acc = 0u32;
        for (k, &c) in group.iter().enumerate() {
            let v = DECODE[usize::from(c)];
            if v == INVALID {
                return Err(DecodeError::BadByte {
                    at: n * 4 + k,
                    byte: c,
                });
            }
            acc = acc << 6 | u32::from(v);
        }
        // 4 characters carry 3 bytes; 3 carry 2 (+2 spare bits), 2 carry 1 (+4 spare bits).
        let spare = match group.len() {
            2 => 4,
            3 => 2,
            _ => 0,
        };
        if rules == Rules::Canonical && acc & ((1 << spare) - 1) != 0 {
            return Err(DecodeError::TrailingBits);
        }
        let bytes = (acc >> spare).to_be_bytes();
        out.extend_from_slice(&bytes[4 - (group.len() - 1)..]);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    const RFC_4648: [(&str, &str); 7] = [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ];

    fn enc(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        encode(data, &mut out);
        out
    }

    fn dec(text: &str, rules: Rules) -> Result<Vec<u8>, DecodeError> {
        let mut out = Vec::new();
        decode(text.as_bytes(), rules, &mut out).map(|()| out)
    }

    #[test]
    fn rfc_4648_vectors_both_ways() {
        for (plain, text) in RFC_4648 {
            assert_eq!(enc(plain.as_bytes()), text.as_bytes(), "{plain}");
            for rules in [Rules::Canonical, Rules::Lenient] {
                assert_eq!(dec(text, rules).as_deref(), Ok(plain.as_bytes()), "{text}");
                let bare = text.trim_end_matches('=');
                assert_eq!(dec(bare, rules).as_deref(), Ok(plain.as_bytes()), "{bare}");
                assert_eq!(decoded_len(text.as_bytes(), rules), Ok(plain.len()));
            }
        }
        assert_eq!(enc(&[0xfb, 0xff, 0xfe]), b"+//+");
    }

    /// Every byte value, every length up to 3 groups, every alignment of the tail.
    #[test]
    fn round_trips() {
        let all: Vec<u8> = (0..=255).collect();
        for len in 0..=all.len() {
            let data = &all[all.len() - len..];
            let text = enc(data);
            assert_eq!(text.len(), len.div_ceil(3) * 4);
            for rules in [Rules::Canonical, Rules::Lenient] {
                let mut back = Vec::new();
                assert_eq!(decode(&text, rules, &mut back), Ok(()));
                assert_eq!(back, data);
            }
        }
    }

    #[test]
    fn canonical_rejects_what_encode_never_writes() {
        let c = Rules::Canonical;
        assert_eq!(dec("Zg=", c), Err(DecodeError::BadLength(3)));
        assert_eq!(dec("Zm9vY", c), Err(DecodeError::BadLength(5)));
        assert_eq!(dec("Zh==", c), Err(DecodeError::TrailingBits));
        assert_eq!(dec("Zm9=", c), Err(DecodeError::TrailingBits));
        assert_eq!(
            dec("Zg=A", c),
            Err(DecodeError::BadByte { at: 2, byte: b'=' })
        );
        assert_eq!(
            dec("Zm 9", c),
            Err(DecodeError::BadByte { at: 2, byte: b' ' })
        );
        assert_eq!(
            dec("Zm9-", c),
            Err(DecodeError::BadByte { at: 3, byte: b'-' })
        );
    }

    #[test]
    fn lenient_takes_loose_padding_and_spare_bits() {
        let l = Rules::Lenient;
        assert_eq!(dec("Zg=", l), Ok(vec![b'f']));
        assert_eq!(dec("Zm9v==", l), Ok(vec![b'f', b'o', b'o']));
        assert_eq!(dec("Zh==", l), Ok(vec![b'f']));
        assert_eq!(dec("Zg===", l), Err(DecodeError::BadLength(5)));
        assert_eq!(dec("Z", l), Err(DecodeError::BadLength(1)));
        assert_eq!(dec("Zm9v!", l), Err(DecodeError::BadLength(5)));
        assert_eq!(
            dec("Zm9v!A", l),
            Err(DecodeError::BadByte { at: 4, byte: b'!' })
        );
        assert_eq!(
            dec("Zg==Zg", l),
            Err(DecodeError::BadByte { at: 2, byte: b'=' })
        );
    }
}

//! JSON string literals, written by hand so a byte handler needs no serializer.

use alloc::vec::Vec;

/// Appends `s` to `out` as a JSON string literal, quotes included.
///
/// Escapes what RFC 8259 requires (`"`, `\` and U+0000..U+001F), with the short forms for
/// `\n`, `\r` and `\t`, and also DEL (U+007F), which JSON allows raw but which terminals and
/// log viewers do not show. Everything else, UTF-8 included, is copied as it is.
#[inline]
pub fn push_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(s.len() + 2);
    out.push(b'"');
    for &b in s.as_bytes() {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..=0x1f | 0x7f => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;

    fn lit(s: &str) -> String {
        let mut out = Vec::new();
        push_str(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escapes_what_json_requires() {
        assert_eq!(lit(""), "\"\"");
        assert_eq!(lit("a\"b\\\n\u{1}"), "\"a\\\"b\\\\\\n\\u0001\"");
        assert_eq!(lit("\r\t\u{1f}\u{7f}"), "\"\\r\\t\\u001f\\u007f\"");
        assert_eq!(lit("é ሴ 😀 / '"), "\"é ሴ 😀 / '\"");
    }

    /// Every char below U+0100 against a plain reference written from the rule.
    #[test]
    fn matches_a_char_by_char_reference() {
        for c in (0u32..0x100).filter_map(char::from_u32) {
            let want = match c {
                '"' => String::from("\\\""),
                '\\' => String::from("\\\\"),
                '\n' => String::from("\\n"),
                '\r' => String::from("\\r"),
                '\t' => String::from("\\t"),
                c if (c as u32) < 0x20 || c as u32 == 0x7f => alloc::format!("\\u{:04x}", c as u32),
                c => String::from(c),
            };
            let mut s = String::new();
            s.push(c);
            assert_eq!(lit(&s), alloc::format!("\"{want}\""), "U+{:04X}", c as u32);
        }
    }
}

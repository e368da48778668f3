//! The request: `{"inputs": ["...", ...], "encoding": "json" | "b64", "normalize": bool}`,
//! decoded by hand from the event's bytes (no value tree; strict JSON; every error names the
//! field and the problem).

use crate::error::Error;

/// At most this many sentences per request.
pub const MAX_INPUTS: usize = 256;
/// At most this many bytes (UTF-8, after unescaping) per sentence: ~30 times what 256 tokens
/// of English take, so truncation, not this cap, is what long texts meet.
pub const MAX_INPUT_BYTES: usize = 32 * 1024;
/// At most this many bytes of sentences per request, all inputs together.
pub const MAX_TOTAL_BYTES: usize = 1024 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// Each vector as a JSON array of numbers.
    Json,
    /// Each vector as a base64 string of its little-endian f32 bytes.
    B64,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    pub inputs: Vec<String>,
    pub encoding: Encoding,
    /// `None`: the model's default (all-MiniLM-L6-v2: normalised).
    pub normalize: Option<bool>,
}

const FIELDS: &str = "inputs, encoding, normalize";

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

fn bad(msg: String) -> Error {
    Error::Request(msg)
}

impl Parser<'_> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// What the next value looks like, for "found ..." in messages.
    fn found(&self) -> String {
        match self.peek() {
            None => "the end of the request".to_string(),
            Some(b'"') => "a string".to_string(),
            Some(b'[') => "an array".to_string(),
            Some(b'{') => "an object".to_string(),
            Some(b't' | b'f') => "a boolean".to_string(),
            Some(b'n') => "null".to_string(),
            Some(b'-' | b'0'..=b'9') => "a number".to_string(),
            Some(c) if c.is_ascii_graphic() => format!("`{}`", c as char),
            Some(c) => format!("byte 0x{c:02x}"),
        }
    }

    fn syntax(&self, expected: &str) -> Error {
        bad(format!(
            "invalid JSON at byte {}: expected {expected}, found {}",
            self.i,
            self.found()
        ))
    }

    fn eat(&mut self, c: u8, expected: &str) -> Result<(), Error> {
        self.ws();
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.syntax(expected))
        }
    }

    fn literal(&mut self, word: &[u8]) -> bool {
        if self.b[self.i.min(self.b.len())..].starts_with(word) {
            self.i += word.len();
            true
        } else {
            false
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.b.get(self.i..self.i + 4)?;
        let mut v = 0;
        for &d in digits {
            v = v * 16 + (d as char).to_digit(16)?;
        }
        self.i += 4;
        Some(v)
    }

    /// A string value at the cursor (after whitespace), for `field`, at most `max` bytes.
    fn string(&mut self, field: &str, max: usize) -> Result<String, Error> {
        self.ws();
        if self.peek() != Some(b'"') {
            return Err(bad(format!(
                "field `{field}`: expected a string, found {}",
                self.found()
            )));
        }
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            // The plain run up to the next quote, backslash or control character.
            let run = self.b[self.i..]
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                .unwrap_or(self.b.len() - self.i);
            out.extend_from_slice(&self.b[self.i..self.i + run]);
            self.i += run;
            if out.len() > max {
                return Err(bad(format!("field `{field}`: longer than {max} bytes")));
            }
            match self.peek() {
                Some(b'"') => {
                    self.i += 1;
                    break;
                }
                Some(b'\\') => {
                    let at = self.i;
                    self.i += 1;
                    let c = self.peek();
                    self.i += 1;
                    let ch = match c {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => self.unicode_escape(field, at)?,
                        _ => {
                            return Err(bad(format!(
                                "invalid JSON at byte {at}: unknown escape in field `{field}`"
                            )))
                        }
                    };
                    let mut tmp = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
                }
                Some(_) => {
                    return Err(bad(format!(
                        "invalid JSON at byte {}: a raw control character in field `{field}` (escape it)",
                        self.i
                    )))
                }
                None => {
                    return Err(bad(format!(
                        "invalid JSON: field `{field}`: the string does not end"
                    )))
                }
            }
        }
        if out.len() > max {
            return Err(bad(format!("field `{field}`: longer than {max} bytes")));
        }
        String::from_utf8(out).map_err(|e| {
            let at = e.utf8_error().valid_up_to();
            bad(format!(
                "field `{field}`: not valid UTF-8 (byte 0x{:02x} at offset {at} of the string)",
                e.as_bytes().get(at).copied().unwrap_or(0)
            ))
        })
    }

    /// After `\u`: one code point, a surrogate pair taken together.
    fn unicode_escape(&mut self, field: &str, at: usize) -> Result<char, Error> {
        let bad_escape = |what: &str| {
            bad(format!(
                "invalid JSON at byte {at}: field `{field}`: {what}"
            ))
        };
        let hi = self
            .hex4()
            .ok_or_else(|| bad_escape("\\u needs four hex digits"))?;
        let code = match hi {
            0xd800..=0xdbff => {
                if !self.literal(b"\\u") {
                    return Err(bad_escape(&format!(
                        "\\u{hi:04x} is a lone surrogate (not valid Unicode)"
                    )));
                }
                let lo = self
                    .hex4()
                    .ok_or_else(|| bad_escape("\\u needs four hex digits"))?;
                if !(0xdc00..=0xdfff).contains(&lo) {
                    return Err(bad_escape(&format!(
                        "\\u{hi:04x} is not followed by a low surrogate (found \\u{lo:04x})"
                    )));
                }
                0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00)
            }
            0xdc00..=0xdfff => {
                return Err(bad_escape(&format!(
                    "\\u{hi:04x} is a lone surrogate (not valid Unicode)"
                )))
            }
            c => c,
        };
        char::from_u32(code).ok_or_else(|| bad_escape("not a Unicode scalar value"))
    }

    fn inputs(&mut self) -> Result<Vec<String>, Error> {
        self.ws();
        if self.peek() != Some(b'[') {
            return Err(bad(format!(
                "field `inputs`: expected an array of strings, found {}",
                self.found()
            )));
        }
        self.i += 1;
        let mut inputs = Vec::new();
        let mut total = 0;
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Err(bad(
                "field `inputs`: empty: give at least one string".to_string()
            ));
        }
        loop {
            if inputs.len() == MAX_INPUTS {
                return Err(bad(format!(
                    "field `inputs`: more than {MAX_INPUTS} inputs (send several requests)"
                )));
            }
            let s = self.string(&format!("inputs[{}]", inputs.len()), MAX_INPUT_BYTES)?;
            total += s.len();
            if total > MAX_TOTAL_BYTES {
                return Err(bad(format!(
                    "field `inputs`: more than {MAX_TOTAL_BYTES} bytes in all (send several requests)"
                )));
            }
            inputs.push(s);
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(inputs);
                }
                _ => {
                    return Err(self.syntax(&format!(
                        "`,` or `]` after element {} of `inputs`",
                        inputs.len() - 1
                    )))
                }
            }
        }
    }
}

/// Decodes a request event.
pub fn parse(event: &[u8]) -> Result<Request, Error> {
    let mut p = Parser { b: event, i: 0 };
    p.ws();
    if p.peek() != Some(b'{') {
        return Err(bad(format!(
            "the request must be a JSON object like {{\"inputs\": [\"a sentence\"]}}, found {}",
            p.found()
        )));
    }
    p.i += 1;
    let mut inputs = None;
    let mut encoding = None;
    let mut normalize = None;
    p.ws();
    if p.peek() == Some(b'}') {
        p.i += 1;
    } else {
        loop {
            p.ws();
            if p.peek() != Some(b'"') {
                return Err(p.syntax("a field name in quotes"));
            }
            let key = p.string("(a field name)", 64)?;
            p.eat(b':', &format!("`:` after field name \"{key}\""))?;
            let twice = || bad(format!("field `{key}`: given twice"));
            match key.as_str() {
                "inputs" => {
                    if inputs.is_some() {
                        return Err(twice());
                    }
                    inputs = Some(p.inputs()?);
                }
                "encoding" => {
                    if encoding.is_some() {
                        return Err(twice());
                    }
                    let e = p.string("encoding", 64)?;
                    encoding = Some(match e.as_str() {
                        "json" => Encoding::Json,
                        "b64" => Encoding::B64,
                        _ => {
                            return Err(bad(format!(
                                "field `encoding`: unknown encoding {e:?} (known: json, b64)"
                            )))
                        }
                    });
                }
                "normalize" => {
                    if normalize.is_some() {
                        return Err(twice());
                    }
                    p.ws();
                    normalize = Some(if p.literal(b"true") {
                        true
                    } else if p.literal(b"false") {
                        false
                    } else {
                        return Err(bad(format!(
                            "field `normalize`: expected true or false, found {}",
                            p.found()
                        )));
                    });
                }
                _ => {
                    return Err(bad(format!(
                        "field `{key}`: unknown field (known: {FIELDS})"
                    )))
                }
            }
            p.ws();
            match p.peek() {
                Some(b',') => p.i += 1,
                Some(b'}') => {
                    p.i += 1;
                    break;
                }
                _ => return Err(p.syntax("`,` or `}` after a field")),
            }
        }
    }
    p.ws();
    if p.i != event.len() {
        return Err(p.syntax("nothing after the request object"));
    }
    Ok(Request {
        inputs: inputs.ok_or_else(|| {
            bad("field `inputs`: missing (give {\"inputs\": [\"a sentence\", ...]})".to_string())
        })?,
        encoding: encoding.unwrap_or(Encoding::Json),
        normalize,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Request {
        parse(s.as_bytes()).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn err(s: &[u8]) -> String {
        match parse(s) {
            Ok(r) => panic!(
                "{}: expected an error, got {r:?}",
                String::from_utf8_lossy(s)
            ),
            Err(e) => {
                assert_eq!(e.error_type(), "InvalidRequest");
                e.to_string()
            }
        }
    }

    #[test]
    fn decodes_the_fields() {
        let r = ok(r#"{"inputs": ["a", "b c"]}"#);
        assert_eq!(r.inputs, ["a", "b c"]);
        assert_eq!((r.encoding, r.normalize), (Encoding::Json, None));
        let r = ok(" {\"normalize\":false,\n\"encoding\":\"b64\",\"inputs\":[\"\"]} ");
        assert_eq!(r.inputs, [""]);
        assert_eq!((r.encoding, r.normalize), (Encoding::B64, Some(false)));
        assert_eq!(
            ok(r#"{"inputs":["x"],"encoding":"json","normalize":true}"#).normalize,
            Some(true)
        );
    }

    #[test]
    fn unescapes_strings() {
        let r = ok(r#"{"inputs":["q\"b\\s\/ \b\f\n\r\t \u00e9 \ud83d\ude00 caf\u00C9", "é 😀"]}"#);
        assert_eq!(r.inputs[0], "q\"b\\s/ \u{8}\u{c}\n\r\t é 😀 cafÉ");
        assert_eq!(r.inputs[1], "é 😀");
        // Escaped field names are the same names.
        assert_eq!(ok(r#"{"\u0069nputs":["x"]}"#).inputs, ["x"]);
    }

    #[test]
    fn every_bad_request_names_the_field_and_the_problem() {
        let cases: &[(&[u8], &str)] = &[
            (b"", "must be a JSON object"),
            (
                b"[\"a\"]",
                "must be a JSON object like {\"inputs\": [\"a sentence\"]}, found an array",
            ),
            (b"{}", "field `inputs`: missing"),
            (
                br#"{"inputs":"a"}"#,
                "field `inputs`: expected an array of strings, found a string",
            ),
            (br#"{"inputs":[]}"#, "field `inputs`: empty"),
            (
                br#"{"inputs":["a",1]}"#,
                "field `inputs[1]`: expected a string, found a number",
            ),
            (
                br#"{"inputs":[null]}"#,
                "field `inputs[0]`: expected a string, found null",
            ),
            (
                br#"{"inputs":[["a"]]}"#,
                "field `inputs[0]`: expected a string, found an array",
            ),
            (
                br#"{"inputs":["a"],"encoding":"hex"}"#,
                "field `encoding`: unknown encoding \"hex\" (known: json, b64)",
            ),
            (
                br#"{"inputs":["a"],"encoding":64}"#,
                "field `encoding`: expected a string, found a number",
            ),
            (
                br#"{"inputs":["a"],"normalize":"no"}"#,
                "field `normalize`: expected true or false, found a string",
            ),
            (
                br#"{"inputs":["a"],"normalize":1}"#,
                "field `normalize`: expected true or false, found a number",
            ),
            (
                br#"{"inputs":["a"],"inputs":["b"]}"#,
                "field `inputs`: given twice",
            ),
            (
                br#"{"input":["a"]}"#,
                "field `input`: unknown field (known: inputs, encoding, normalize)",
            ),
            (
                br#"{"inputs":["a"]} x"#,
                "invalid JSON at byte 17: expected nothing after the request object, found `x`",
            ),
            (
                br#"{"inputs":["a"]"#,
                "expected `,` or `}` after a field, found the end of the request",
            ),
            (
                br#"{"inputs":["a" "b"]}"#,
                "expected `,` or `]` after element 0 of `inputs`, found a string",
            ),
            (
                br#"{"inputs":["a]}"#,
                "field `inputs[0]`: the string does not end",
            ),
            (
                b"{\"inputs\":[\"a\nb\"]}",
                "a raw control character in field `inputs[0]`",
            ),
            (
                br#"{"inputs":["\x"]}"#,
                "unknown escape in field `inputs[0]`",
            ),
            (
                br#"{"inputs":["\ud800"]}"#,
                "field `inputs[0]`: \\ud800 is a lone surrogate",
            ),
            (br#"{"inputs":["\udc00x"]}"#, "\\udc00 is a lone surrogate"),
            (
                br#"{"inputs":["\ud800\u0041"]}"#,
                "not followed by a low surrogate (found \\u0041)",
            ),
            (br#"{"inputs":["\u12"]}"#, "\\u needs four hex digits"),
            (
                b"{\"inputs\":[\"ok\",\"a\xff\"]}",
                "field `inputs[1]`: not valid UTF-8 (byte 0xff at offset 1 of the string)",
            ),
            (
                b"{\"inputs\":[\"\xc3\"]}",
                "field `inputs[0]`: not valid UTF-8",
            ),
            (
                br#"{inputs:["a"]}"#,
                "expected a field name in quotes, found `i`",
            ),
            (
                br#"{"inputs" ["a"]}"#,
                "expected `:` after field name \"inputs\"",
            ),
        ];
        for (input, want) in cases {
            let got = err(input);
            assert!(
                got.contains(want),
                "{}: got {got:?}, want {want:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn caps_are_enforced_and_named() {
        let many = format!(
            "{{\"inputs\":[{}]}}",
            vec!["\"a\""; MAX_INPUTS + 1].join(",")
        );
        assert!(err(many.as_bytes()).contains("more than 256 inputs"));
        let most = format!("{{\"inputs\":[{}]}}", vec!["\"a\""; MAX_INPUTS].join(","));
        assert_eq!(ok(&most).inputs.len(), MAX_INPUTS);
        let long = format!("{{\"inputs\":[\"{}\"]}}", "a".repeat(MAX_INPUT_BYTES + 1));
        assert!(err(long.as_bytes()).contains("field `inputs[0]`: longer than 32768 bytes"));
        let exact = format!("{{\"inputs\":[\"{}\"]}}", "a".repeat(MAX_INPUT_BYTES));
        assert_eq!(ok(&exact).inputs[0].len(), MAX_INPUT_BYTES);
        // Escapes count by what they decode to: 6 text bytes, 2 UTF-8 bytes.
        let esc = format!(
            "{{\"inputs\":[\"{}\"]}}",
            "\\u00e9".repeat(MAX_INPUT_BYTES / 2)
        );
        assert_eq!(ok(&esc).inputs[0].len(), MAX_INPUT_BYTES);
        let item = format!("\"{}\"", "b".repeat(MAX_INPUT_BYTES));
        let n = MAX_TOTAL_BYTES / MAX_INPUT_BYTES + 1;
        let total = format!("{{\"inputs\":[{}]}}", vec![item.as_str(); n].join(","));
        assert!(err(total.as_bytes()).contains("more than 1048576 bytes in all"));
    }
}

//! A small strict JSON scanner: just what the request object needs (objects, strings, float
//! arrays, numbers, skipping any other value), with no intermediate value tree.

use std::borrow::Cow;

use super::error::{snippet, ComputeError};
use super::float::{parse_f32_at, parse_f32_outlined, NumError};

/// How deep `skip_value` follows nested arrays/objects before refusing (no recursion is used,
/// this only bounds the bookkeeping).
const MAX_DEPTH: usize = 128;

pub(crate) struct Scanner<'a> {
    s: &'a [u8],
    pub(crate) pos: usize,
}

impl<'a> Scanner<'a> {
    pub(crate) fn new(s: &'a [u8]) -> Self {
        Scanner { s, pos: 0 }
    }

    pub(crate) fn syntax(&self, problem: &str) -> ComputeError {
        ComputeError::json(
            self.pos,
            format!("{problem}, found `{}`", snippet(self.s, self.pos)),
        )
    }

    #[inline]
    pub(crate) fn ws(&mut self) {
        while let Some(&b) = self.s.get(self.pos) {
            if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                break;
            }
            self.pos += 1;
        }
    }

    /// The next byte after whitespace, not consumed.
    #[inline]
    pub(crate) fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.pos).copied()
    }

    /// Consumes `b` (after whitespace) or fails with a syntax error naming `what`.
    pub(crate) fn expect(&mut self, b: u8, what: &str) -> Result<(), ComputeError> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.syntax(&format!("expected {what}")))
        }
    }

    /// After the last value: only whitespace may follow.
    pub(crate) fn end(&mut self) -> Result<(), ComputeError> {
        if self.peek().is_some() {
            return Err(self.syntax("expected end of input after the request object"));
        }
        Ok(())
    }

    /// What the value at the cursor is, for "expected X, found Y" messages: its kind and its
    /// first token (a whole short string or number, or the start of a longer value).
    pub(crate) fn describe(&mut self) -> String {
        let kind = match self.peek() {
            Some(b'"') => "a string",
            Some(b'[') => "an array",
            Some(b'{') => "an object",
            Some(b't' | b'f') => "a boolean",
            Some(b'n') => "null",
            Some(b'-' | b'0'..=b'9') => "a number",
            None => "end of input",
            Some(_) => "an invalid token",
        };
        let rest = self.s.get(self.pos..).unwrap_or(&[]);
        let len = match rest.first() {
            None => return kind.to_string(),
            Some(b'"') => {
                // Up to the closing quote, stepping over escaped characters.
                let mut i = 1;
                while i < rest.len() && rest[i] != b'"' {
                    i += if rest[i] == b'\\' { 2 } else { 1 };
                }
                (i + 1).min(rest.len())
            }
            Some(b'[' | b'{') => rest.len(),
            Some(_) => rest
                .iter()
                .position(|b| matches!(b, b',' | b']' | b'}' | b' ' | b'\n' | b'\r' | b'\t'))
                .unwrap_or(rest.len())
                .max(1),
        };
        let shown = snippet(&rest[..len], 0);
        if kind == "null" && shown == "null" {
            return kind.to_string();
        }
        format!("{kind} `{shown}`")
    }

    /// A JSON string; borrowed unless it has escapes. The cursor must be on the opening quote.
    pub(crate) fn string(&mut self) -> Result<Cow<'a, str>, ComputeError> {
        self.expect(b'"', "a string")?;
        let start = self.pos;
        // Fast scan to the first quote, backslash or control byte.
        let mut i = start;
        while let Some(&b) = self.s.get(i) {
            if b == b'"' || b == b'\\' || b < 0x20 {
                break;
            }
            i += 1;
        }
        if self.s.get(i) == Some(&b'"') {
            let text = self.utf8(start, i)?;
            self.pos = i + 1;
            return Ok(Cow::Borrowed(text));
        }
        let mut out = String::from(self.utf8(start, i)?);
        self.pos = i;
        loop {
            match self.s.get(self.pos) {
                None => return Err(self.syntax("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut out)?;
                }
                Some(&b) if b < 0x20 => {
                    return Err(self.syntax("control character in string (must be escaped)"))
                }
                Some(_) => {
                    let run = self.pos;
                    while let Some(&b) = self.s.get(self.pos) {
                        if b == b'"' || b == b'\\' || b < 0x20 {
                            break;
                        }
                        self.pos += 1;
                    }
                    out.push_str(self.utf8(run, self.pos)?);
                }
            }
        }
    }

    fn utf8(&self, from: usize, to: usize) -> Result<&'a str, ComputeError> {
        std::str::from_utf8(&self.s[from..to])
            .map_err(|e| ComputeError::json(from + e.valid_up_to(), "string is not valid UTF-8"))
    }

    /// One escape after the backslash.
    fn escape(&mut self, out: &mut String) -> Result<(), ComputeError> {
        let c = match self.s.get(self.pos) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let first = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&first) {
                    if self.s.get(self.pos..self.pos + 2) != Some(b"\\u") {
                        return Err(self.syntax("unpaired surrogate in \\u escape"));
                    }
                    self.pos += 2;
                    let second = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&second) {
                        return Err(self.syntax("invalid low surrogate in \\u escape"));
                    }
                    0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                } else {
                    first
                };
                let c = char::from_u32(code)
                    .ok_or_else(|| self.syntax("unpaired surrogate in \\u escape"))?;
                out.push(c);
                return Ok(());
            }
            _ => return Err(self.syntax("invalid escape in string")),
        };
        self.pos += 1;
        out.push(c);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, ComputeError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.s.get(self.pos) {
                Some(&b @ b'0'..=b'9') => b - b'0',
                Some(&b @ b'a'..=b'f') => b - b'a' + 10,
                Some(&b @ b'A'..=b'F') => b - b'A' + 10,
                _ => return Err(self.syntax("expected 4 hex digits in \\u escape")),
            };
            v = v * 16 + d as u32;
            self.pos += 1;
        }
        Ok(v)
    }

    /// A JSON array of numbers into f32s, at most `cap` of them. A non-number element or one out
    /// of f32 range is a field error naming its index; broken syntax is a JSON error.
    pub(crate) fn f32_array(&mut self, field: &str, cap: usize) -> Result<Vec<f32>, ComputeError> {
        if self.peek() != Some(b'[') {
            let found = self.describe();
            return Err(ComputeError::field(
                field,
                format!("expected an array of numbers, found {found}"),
            ));
        }
        self.pos += 1;
        let mut out = Vec::new();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(out);
        }
        // The hot loop keeps the position in a local: it is stored back before any other
        // method runs (the error paths, and the slow separator path below).
        let s = self.s;
        let mut pos = self.pos;
        loop {
            match parse_f32_at(s, pos) {
                Ok((v, end)) => {
                    if out.len() == cap {
                        return Err(ComputeError::field(
                            field,
                            format!("more than {cap} elements (the per-array cap)"),
                        ));
                    }
                    out.push(v);
                    pos = end;
                }
                // Whitespace before an element is rare: rather than test for it before every
                // number, skip it when the number fails to start, and try again.
                Err(_) if matches!(s.get(pos), Some(b' ' | b'\n' | b'\r' | b'\t')) => {
                    self.pos = pos;
                    self.ws();
                    pos = self.pos;
                    continue;
                }
                Err(e) => {
                    self.pos = pos;
                    return Err(self.element_error(field, out.len(), e));
                }
            }
            // Common case first: the separator right after the number.
            match s.get(pos) {
                Some(b',') => {
                    pos += 1;
                    continue;
                }
                Some(b']') => {
                    self.pos = pos + 1;
                    return Ok(out);
                }
                _ => {}
            }
            self.pos = pos;
            match self.peek() {
                Some(b',') => pos = self.pos + 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(out);
                }
                _ => {
                    return Err(self.syntax(&format!(
                        "expected `,` or `]` after element {} of `{field}`",
                        out.len() - 1
                    )))
                }
            }
        }
    }

    #[cold]
    fn element_error(&mut self, field: &str, index: usize, e: NumError) -> ComputeError {
        match e {
            NumError::Overflow => ComputeError::field(
                field,
                format!(
                    "element {index} is out of f32 range: `{}`",
                    snippet(self.s, self.pos)
                ),
            ),
            // Another kind of JSON value is a type error in this field; anything else
            // (`]` after a comma, `+1`, `.5`, `NaN`) is not JSON at all.
            NumError::Syntax
                if matches!(self.peek(), Some(b'"' | b'[' | b'{' | b't' | b'f' | b'n')) =>
            {
                let found = self.describe();
                ComputeError::field(
                    field,
                    format!("element {index} is not a number: found {found}"),
                )
            }
            NumError::Syntax => self.syntax(&format!(
                "expected a number as element {index} of `{field}`"
            )),
        }
    }

    /// One JSON number as f32 (a scalar field).
    pub(crate) fn f32_value(&mut self, field: &str) -> Result<f32, ComputeError> {
        self.ws();
        let rest = self.s.get(self.pos..).unwrap_or(&[]);
        match parse_f32_outlined(rest) {
            Ok((v, used)) => {
                self.pos += used;
                Ok(v)
            }
            Err(NumError::Overflow) => Err(ComputeError::field(
                field,
                format!("out of f32 range: `{}`", snippet(self.s, self.pos)),
            )),
            Err(NumError::Syntax) => {
                let found = self.describe();
                Err(ComputeError::field(
                    field,
                    format!("expected a number, found {found}"),
                ))
            }
        }
    }

    /// A non-negative JSON integer no larger than `max` (no fraction, no exponent).
    pub(crate) fn usize_value(&mut self, field: &str, max: usize) -> Result<usize, ComputeError> {
        self.ws();
        let start = self.pos;
        let mut v: usize = 0;
        let mut too_big = false;
        while let Some(&b) = self.s.get(self.pos) {
            if !b.is_ascii_digit() {
                break;
            }
            match v
                .checked_mul(10)
                .and_then(|v| v.checked_add((b - b'0') as usize))
            {
                Some(n) if n <= max => v = n,
                _ => too_big = true,
            }
            self.pos += 1;
        }
        let digits = self.pos - start;
        let continues = matches!(self.s.get(self.pos), Some(b'.' | b'e' | b'E'));
        let leading_zero = digits > 1 && self.s[start] == b'0';
        if digits == 0 || continues || leading_zero {
            self.pos = start;
            let found = self.describe();
            return Err(ComputeError::field(
                field,
                format!("expected a non-negative integer, found {found}"),
            ));
        }
        if too_big {
            return Err(ComputeError::field(
                field,
                format!(
                    "{} is larger than the cap {max}",
                    String::from_utf8_lossy(&self.s[start..self.pos])
                ),
            ));
        }
        Ok(v)
    }

    /// Skips one JSON value of any kind, checking its syntax, without recursion.
    pub(crate) fn skip_value(&mut self) -> Result<(), ComputeError> {
        // Stack of open containers: true = object (expects keys), false = array.
        let mut stack: Vec<bool> = Vec::new();
        loop {
            // A value.
            match self.peek() {
                Some(b'{') | Some(b'[') => {
                    if stack.len() == MAX_DEPTH {
                        return Err(self.syntax(&format!("nesting deeper than {MAX_DEPTH}")));
                    }
                    let is_obj = self.s[self.pos] == b'{';
                    self.pos += 1;
                    let close = if is_obj { b'}' } else { b']' };
                    if self.peek() == Some(close) {
                        self.pos += 1;
                    } else {
                        stack.push(is_obj);
                        if is_obj {
                            self.string()?;
                            self.expect(b':', "`:` after object key")?;
                        }
                        continue;
                    }
                }
                Some(b'"') => {
                    self.string()?;
                }
                Some(b't') => self.literal(b"true")?,
                Some(b'f') => self.literal(b"false")?,
                Some(b'n') => self.literal(b"null")?,
                Some(_) => {
                    let rest = self.s.get(self.pos..).unwrap_or(&[]);
                    match parse_f32_outlined(rest) {
                        // An out-of-range number is still valid JSON when it is skipped.
                        Ok((_, used)) => self.pos += used,
                        Err(NumError::Overflow) => self.skip_number(),
                        Err(NumError::Syntax) => return Err(self.syntax("expected a JSON value")),
                    }
                }
                None => return Err(self.syntax("expected a JSON value")),
            }
            // After a value: close containers or move to the next element.
            loop {
                let Some(&is_obj) = stack.last() else {
                    return Ok(());
                };
                let close = if is_obj { b'}' } else { b']' };
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        if is_obj {
                            self.string()?;
                            self.expect(b':', "`:` after object key")?;
                        }
                        break;
                    }
                    Some(c) if c == close => {
                        self.pos += 1;
                        stack.pop();
                    }
                    _ => {
                        let what = if is_obj { "`,` or `}`" } else { "`,` or `]`" };
                        return Err(self.syntax(&format!("expected {what}")));
                    }
                }
            }
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), ComputeError> {
        if self.s.get(self.pos..self.pos + word.len()) == Some(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.syntax("expected a JSON value"))
        }
    }

    /// Past a number already known to be well-formed.
    fn skip_number(&mut self) {
        while let Some(b) = self.s.get(self.pos) {
            if !matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
                break;
            }
            self.pos += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_with_escapes() {
        let mut s = Scanner::new(br#""a\"b\\c\/\n\u00e9\ud83d\ude00""#);
        assert_eq!(s.string().unwrap(), "a\"b\\c/\n\u{e9}\u{1F600}");
        let mut s = Scanner::new(br#""plain""#);
        assert!(matches!(s.string().unwrap(), Cow::Borrowed("plain")));
        for bad in [
            &br#""abc"#[..],
            br#""\x""#,
            br#""\ud800""#,
            b"\"a\nb\"",
            b"\"\xff\"",
        ] {
            assert!(
                matches!(Scanner::new(bad).string(), Err(ComputeError::Json { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn arrays() {
        let mut s = Scanner::new(b"[ 1, -2.5 ,3e2]");
        assert_eq!(s.f32_array("a", 10).unwrap(), vec![1.0, -2.5, 300.0]);
        assert_eq!(s.pos, 15);
        let mut s = Scanner::new(b"[]");
        assert!(s.f32_array("a", 10).unwrap().is_empty());
        let e = Scanner::new(b"[1,\"x\"]").f32_array("a", 10).unwrap_err();
        assert_eq!(
            e.to_string(),
            "field `a`: element 1 is not a number: found a string `\"x\"`"
        );
        let e = Scanner::new(b"[1,1e40]").f32_array("b", 10).unwrap_err();
        assert_eq!(
            e.to_string(),
            "field `b`: element 1 is out of f32 range: `1e40]`"
        );
        let e = Scanner::new(b"[1,2,3]").f32_array("a", 2).unwrap_err();
        assert!(e.to_string().contains("more than 2 elements"), "{e}");
        for bad in [&b"[1,]"[..], b"[1 2]", b"[1", b"[", b"[01]"] {
            let e = Scanner::new(bad).f32_array("a", 10).unwrap_err();
            assert_eq!(e.error_type(), "InvalidJson", "{bad:?}: {e}");
        }
    }

    #[test]
    fn integers() {
        assert_eq!(Scanner::new(b"42").usize_value("rows", 100).unwrap(), 42);
        for bad in [
            &b"-1"[..],
            b"1.0",
            b"1e2",
            b"01",
            b"\"3\"",
            b"101",
            b"99999999999999999999999",
        ] {
            let e = Scanner::new(bad).usize_value("rows", 100).unwrap_err();
            assert!(e.to_string().starts_with("field `rows`:"), "{e}");
        }
    }

    #[test]
    fn skips_any_value() {
        let doc = br#"{"a":[1,{"b":[true,false,null]},"x",-1e999],"c":{}} ,"#;
        let mut s = Scanner::new(doc);
        s.skip_value().unwrap();
        assert_eq!(s.peek(), Some(b','));
        for bad in [&b"[1,]"[..], b"{\"a\"}", b"{\"a\":1,}", b"tru", b"[", b"]"] {
            assert!(Scanner::new(bad).skip_value().is_err(), "{bad:?}");
        }
        let deep = vec![b'['; 10_000];
        assert!(Scanner::new(&deep).skip_value().is_err());
    }
}

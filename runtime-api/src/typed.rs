//! Typed handlers: the event decoded from JSON with miniserde, the result encoded back.
//!
//! miniserde's errors carry no detail by design, so when an event does not decode, this
//! module finds out why on the error path only: a small recursive JSON reader feeds the event
//! into the type's own visitor again, step by step, until the step the type refuses, keeping
//! the path to it. The success path is miniserde's, unchanged.
//!
//! The explainer is built for size (it ships in every typed function): no `format!`, no
//! `Value` tree, no float parsing or formatting (a number is shown as the event wrote it),
//! and strings are quoted with the JSON escaper the runtime links anyway.

use std::borrow::Cow;

use miniserde::de::Visitor;

use crate::http::push_decimal;
use crate::{Context, Diagnostic, LambdaEvent};

/// The body of every typed handler form: decode the event, call, encode the result.
pub(crate) fn call_typed<T, R>(
    f: impl FnOnce(LambdaEvent<T>) -> Result<R, Diagnostic>,
    event: &[u8],
    ctx: &Context,
) -> Result<Vec<u8>, Diagnostic>
where
    T: miniserde::Deserialize,
    R: miniserde::Serialize,
{
    let out = f(self::event(event, ctx)?)?;
    Ok(miniserde::json::to_string(&out).into_bytes())
}

/// The event decoded, with a copy of its context.
pub(crate) fn event<T: miniserde::Deserialize>(
    event: &[u8],
    ctx: &Context,
) -> Result<LambdaEvent<T>, Diagnostic> {
    Ok(LambdaEvent {
        payload: decode(event)?,
        context: ctx.clone(),
    })
}

/// Decodes a typed event; an `InvalidEvent` diagnostic says what is wrong with it.
pub fn decode<T: miniserde::Deserialize>(event: &[u8]) -> Result<T, Diagnostic> {
    let Ok(text) = std::str::from_utf8(event) else {
        return Err(not_utf8(event));
    };
    match miniserde::json::from_str::<T>(text) {
        Ok(value) => Ok(value),
        Err(_) => {
            let mut out: Option<T> = None;
            Err(explain(
                std::any::type_name::<T>(),
                text,
                T::begin(&mut out),
            ))
        }
    }
}

/// Nesting deeper than this is not replayed (the replay recurses; the event is untrusted).
const MAX_DEPTH: usize = 128;

#[cold]
#[inline(never)]
fn not_utf8(event: &[u8]) -> Diagnostic {
    let at = std::str::from_utf8(event)
        .err()
        .map_or(0, |e| e.valid_up_to());
    let mut out = b"the event is not UTF-8 (an invalid byte sequence at offset ".to_vec();
    push_decimal(&mut out, at);
    out.push(b')');
    Diagnostic::new("InvalidEvent", into_string(out))
}

/// Why `text` did not decode into the type behind `visitor`. Not generic, so one copy of it
/// serves every typed handler in a binary, and it runs only once decoding has failed.
#[cold]
#[inline(never)]
fn explain(type_name: &str, text: &str, visitor: &mut dyn Visitor) -> Diagnostic {
    let mut out = b"the event is not a valid ".to_vec();
    out.extend_from_slice(type_name.as_bytes());
    out.extend_from_slice(b": ");
    let mut typed = Reader::new(text, 0);
    let replayed = typed.document(visitor);
    // A syntax error anywhere wins over a type's refusal earlier in the text, so the
    // explanation never blames the type for an event that is not JSON at all.
    let valid = !matches!(replayed, Err(Stop::Syntax))
        && !matches!(
            Reader::new(text, 0).document(<dyn Visitor>::ignore()),
            Err(Stop::Syntax)
        );
    if !valid {
        out.extend_from_slice(b"it is not valid JSON (");
        preview(&mut out, text);
        out.push(b')');
    } else if replayed.is_ok() {
        // The replay accepted what miniserde's parser refused: say so rather than guess.
        out.extend_from_slice(b"it does not fit the type (miniserde gives no detail)");
    } else {
        out.extend_from_slice(&typed.message);
    }
    Diagnostic::new("InvalidEvent", into_string(out))
}

/// Why the replay stopped: the text is not JSON, or the type refused (the sentence is in
/// `Reader::message`).
enum Stop {
    Syntax,
    Refused,
}

type Step = Result<(), Stop>;

/// A value the type refused, as the message describes it.
enum Got<'a> {
    Null,
    Bool(bool),
    /// The string's value, unescaped.
    Str(&'a str),
    /// The number as written, and the kind the visitor was offered.
    Number(&'a str, NumberKind),
    /// Where the array starts, to count its elements.
    Array(usize),
    Object,
}

#[derive(Clone, Copy, PartialEq)]
enum NumberKind {
    Nonnegative,
    Negative,
    Float,
}

/// A recursive-descent JSON reader (RFC 8259) that drives a miniserde visitor.
struct Reader<'t> {
    text: &'t str,
    pos: usize,
    /// `$.a[1]`: where the value being read is.
    path: Vec<u8>,
    /// The sentence, once a type refused.
    message: Vec<u8>,
}

impl<'t> Reader<'t> {
    fn new(text: &'t str, pos: usize) -> Self {
        Reader {
            text,
            pos,
            path: b"$".to_vec(),
            message: Vec::new(),
        }
    }

    fn document(&mut self, visitor: &mut dyn Visitor) -> Step {
        self.value(visitor, 0)?;
        self.whitespace();
        if self.pos == self.text.len() {
            Ok(())
        } else {
            Err(Stop::Syntax)
        }
    }

    fn peek(&self) -> u8 {
        self.text.as_bytes().get(self.pos).copied().unwrap_or(0)
    }

    fn whitespace(&mut self) {
        while matches!(self.peek(), b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
    }

    /// Consumes `byte` after optional whitespace.
    fn expect(&mut self, byte: u8) -> Step {
        self.whitespace();
        if self.peek() == byte {
            self.pos += 1;
            Ok(())
        } else {
            Err(Stop::Syntax)
        }
    }

    /// Starts the sentence: `at $.path: `.
    fn at(&mut self) -> &mut Vec<u8> {
        self.message.clear();
        self.message.extend_from_slice(b"at ");
        self.message.extend_from_slice(&self.path);
        self.message.extend_from_slice(b": ");
        &mut self.message
    }

    fn value(&mut self, visitor: &mut dyn Visitor, depth: usize) -> Step {
        if depth > MAX_DEPTH {
            let m = self.at();
            m.extend_from_slice(b"nested deeper than ");
            push_decimal(m, MAX_DEPTH);
            m.extend_from_slice(b" levels (not inspected further)");
            return Err(Stop::Refused);
        }
        self.whitespace();
        let start = self.pos;
        let (accepted, got) = match self.peek() {
            b'n' => (self.word("null")? && visitor.null().is_ok(), Got::Null),
            b't' => (
                self.word("true")? && visitor.boolean(true).is_ok(),
                Got::Bool(true),
            ),
            b'f' => (
                self.word("false")? && visitor.boolean(false).is_ok(),
                Got::Bool(false),
            ),
            b'"' => {
                let s = self.string()?;
                if visitor.string(&s).is_ok() {
                    return Ok(());
                }
                return self.wrong_kind(visitor, &Got::Str(&s));
            }
            b'-' | b'0'..=b'9' => match self.number(visitor)? {
                Ok(()) => return Ok(()),
                Err(kind) => (false, Got::Number(&self.text[start..self.pos], kind)),
            },
            b'[' => return self.array(visitor, depth, start),
            b'{' => return self.object(visitor, depth),
            _ => return Err(Stop::Syntax),
        };
        if accepted {
            Ok(())
        } else {
            self.wrong_kind(visitor, &got)
        }
    }

    /// Consumes the literal `word`; always `Ok(true)` when it is there.
    fn word(&mut self, word: &str) -> Result<bool, Stop> {
        if self.text[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(true)
        } else {
            Err(Stop::Syntax)
        }
    }

    /// Reads a number and offers it to the visitor as miniserde's parser would; the inner
    /// `Err` is the kind the visitor refused.
    fn number(&mut self, visitor: &mut dyn Visitor) -> Result<Result<(), NumberKind>, Stop> {
        let bytes = self.text.as_bytes();
        let negative = self.peek() == b'-';
        if negative {
            self.pos += 1;
        }
        let digits = |pos: &mut usize| {
            let start = *pos;
            while bytes.get(*pos).is_some_and(u8::is_ascii_digit) {
                *pos += 1;
            }
            *pos - start
        };
        let int_start = self.pos;
        let int_len = digits(&mut self.pos);
        if int_len == 0 || (int_len > 1 && bytes[int_start] == b'0') {
            return Err(Stop::Syntax);
        }
        let mut integer = true;
        if self.peek() == b'.' {
            self.pos += 1;
            if digits(&mut self.pos) == 0 {
                return Err(Stop::Syntax);
            }
            integer = false;
        }
        if matches!(self.peek(), b'e' | b'E') {
            self.pos += 1;
            if matches!(self.peek(), b'+' | b'-') {
                self.pos += 1;
            }
            if digits(&mut self.pos) == 0 {
                return Err(Stop::Syntax);
            }
            integer = false;
        }
        let magnitude = self.text[int_start..int_start + int_len]
            .parse::<u64>()
            .ok();
        let (kind, ok) = match (integer, magnitude) {
            (true, Some(n)) if !negative => (NumberKind::Nonnegative, visitor.nonnegative(n)),
            // miniserde's rule: a negative integer that does not fit i64 becomes a float.
            (true, Some(n)) if (n as i64).wrapping_neg() <= 0 => (
                NumberKind::Negative,
                visitor.negative((n as i64).wrapping_neg()),
            ),
            _ => {
                let text = &self.text[int_start - usize::from(negative)..self.pos];
                (NumberKind::Float, visitor.float(rough_float(text)))
            }
        };
        Ok(ok.map_err(|_| kind))
    }

    /// Reads a string (the reader is at its opening quote), unescaped.
    fn string(&mut self) -> Result<Cow<'t, str>, Stop> {
        let bytes = self.text.as_bytes();
        self.pos += 1;
        let mut run = self.pos;
        let mut owned: Option<String> = None;
        loop {
            let Some(&b) = bytes.get(self.pos) else {
                return Err(Stop::Syntax);
            };
            match b {
                b'"' => {
                    let tail = &self.text[run..self.pos];
                    self.pos += 1;
                    return Ok(match owned {
                        None => Cow::Borrowed(tail),
                        Some(mut s) => {
                            s.push_str(tail);
                            Cow::Owned(s)
                        }
                    });
                }
                b'\\' => {
                    let s = owned.get_or_insert_with(String::new);
                    s.push_str(&self.text[run..self.pos]);
                    self.pos += 1;
                    let escaped = match bytes.get(self.pos).copied().unwrap_or(0) {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let high = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&high) {
                                if !self.text[self.pos + 1..].starts_with("\\u") {
                                    return Err(Stop::Syntax);
                                }
                                self.pos += 2;
                                let low = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&low) {
                                    return Err(Stop::Syntax);
                                }
                                0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                            } else {
                                high
                            };
                            char::from_u32(code).ok_or(Stop::Syntax)?
                        }
                        _ => return Err(Stop::Syntax),
                    };
                    s.push(escaped);
                    self.pos += 1;
                    run = self.pos;
                }
                0..=0x1f => return Err(Stop::Syntax),
                _ => self.pos += 1,
            }
        }
    }

    /// The four hex digits after `\u` (the reader is at the `u`; it ends on the last digit).
    fn hex4(&mut self) -> Result<u32, Stop> {
        let digits = self
            .text
            .get(self.pos + 1..self.pos + 5)
            .ok_or(Stop::Syntax)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Stop::Syntax);
        }
        self.pos += 4;
        u32::from_str_radix(digits, 16).map_err(|_| Stop::Syntax)
    }

    fn array(&mut self, visitor: &mut dyn Visitor, depth: usize, start: usize) -> Step {
        let Ok(mut seq) = visitor.seq() else {
            return self.wrong_kind(visitor, &Got::Array(start));
        };
        self.pos += 1;
        let mut count = 0;
        self.whitespace();
        if self.peek() == b']' {
            self.pos += 1;
        } else {
            loop {
                let Ok(element) = seq.element() else {
                    let all = count_elements(self.text, start);
                    let m = self.at();
                    array_of(m, all);
                    m.extend_from_slice(b", more than the type takes");
                    return Err(Stop::Refused);
                };
                let len = self.path.len();
                self.path.push(b'[');
                push_decimal(&mut self.path, count);
                self.path.push(b']');
                self.value(element, depth + 1)?;
                self.path.truncate(len);
                count += 1;
                self.whitespace();
                match self.peek() {
                    b',' => self.pos += 1,
                    b']' => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(Stop::Syntax),
                }
            }
        }
        if seq.finish().is_err() {
            let m = self.at();
            array_of(m, Some(count));
            m.extend_from_slice(b", fewer than the type needs");
            return Err(Stop::Refused);
        }
        Ok(())
    }

    fn object(&mut self, visitor: &mut dyn Visitor, depth: usize) -> Step {
        let Ok(mut map) = visitor.map() else {
            return self.wrong_kind(visitor, &Got::Object);
        };
        self.pos += 1;
        // The keys seen, for a missing field's message (this is the error path: allocating
        // is fine).
        let mut keys: Vec<Cow<'t, str>> = Vec::new();
        self.whitespace();
        if self.peek() == b'}' {
            self.pos += 1;
        } else {
            loop {
                self.whitespace();
                if self.peek() != b'"' {
                    return Err(Stop::Syntax);
                }
                let key = self.string()?;
                self.expect(b':')?;
                let Ok(field) = map.key(&key) else {
                    let m = self.at();
                    m.extend_from_slice(b"the key ");
                    crate::write_json_string(m, &key);
                    m.extend_from_slice(b" is refused");
                    return Err(Stop::Refused);
                };
                let len = self.path.len();
                push_key(&mut self.path, &key);
                self.value(field, depth + 1)?;
                self.path.truncate(len);
                keys.push(key);
                self.whitespace();
                match self.peek() {
                    b',' => self.pos += 1,
                    b'}' => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(Stop::Syntax),
                }
            }
        }
        if map.finish().is_err() {
            let m = self.at();
            m.extend_from_slice(b"a field the type requires is missing (");
            if keys.is_empty() {
                m.extend_from_slice(b"it has no fields");
            } else {
                m.extend_from_slice(b"it has ");
                for (i, key) in keys.iter().enumerate() {
                    if i > 0 {
                        m.extend_from_slice(b", ");
                    }
                    m.extend_from_slice(key.as_bytes());
                }
            }
            m.push(b')');
            return Err(Stop::Refused);
        }
        Ok(())
    }

    /// What the visitor would have taken instead of `got`, found by offering it one value of
    /// each kind (the visitor is thrown away afterwards, so what the probes write is
    /// harmless).
    fn wrong_kind(&mut self, visitor: &mut dyn Visitor, got: &Got) -> Step {
        let whole = visitor.nonnegative(0).is_ok();
        let negative = visitor.negative(-1).is_ok();
        let float = visitor.float(0.5).is_ok();
        let mut kinds: Vec<&str> = Vec::new();
        if visitor.string("").is_ok() {
            kinds.push("a string");
        }
        if float {
            kinds.push("a number");
        } else if whole {
            kinds.push("a whole number");
        } else if negative {
            kinds.push("a negative whole number");
        }
        if visitor.boolean(false).is_ok() {
            kinds.push("true or false");
        }
        if visitor.seq().is_ok() {
            kinds.push("an array");
        }
        if visitor.map().is_ok() {
            kinds.push("an object");
        }
        if visitor.null().is_ok() {
            kinds.push("null");
        }
        let same_kind = match got {
            Got::Number(_, NumberKind::Nonnegative) => whole,
            Got::Number(_, NumberKind::Negative) => negative,
            Got::Number(_, NumberKind::Float) => float,
            _ => false,
        };
        let text = self.text;
        let m = self.at();
        if same_kind {
            describe(m, text, got);
            m.extend_from_slice(b" is out of range for the type");
            return Err(Stop::Refused);
        }
        match kinds.split_last() {
            None => m.extend_from_slice(b"the type takes no value here"),
            Some((last, first)) => {
                m.extend_from_slice(b"expected ");
                for (i, kind) in first.iter().enumerate() {
                    if i > 0 {
                        m.extend_from_slice(b", ");
                    }
                    m.extend_from_slice(kind.as_bytes());
                }
                if !first.is_empty() {
                    m.extend_from_slice(b" or ");
                }
                m.extend_from_slice(last.as_bytes());
            }
        }
        m.extend_from_slice(b", got ");
        describe(m, text, got);
        Err(Stop::Refused)
    }
}

/// "the string \"x\"", "the number 3.5", "an array of 2 elements", ...
fn describe(out: &mut Vec<u8>, text: &str, got: &Got) {
    match got {
        Got::Null => out.extend_from_slice(b"null"),
        Got::Bool(true) => out.extend_from_slice(b"true"),
        Got::Bool(false) => out.extend_from_slice(b"false"),
        Got::Number(written, _) => {
            out.extend_from_slice(b"the number ");
            out.extend_from_slice(written.as_bytes());
        }
        Got::Str(s) => {
            out.extend_from_slice(b"the string ");
            quote_start(out, s, "...");
        }
        Got::Array(start) => array_of(out, count_elements(text, *start)),
        Got::Object => out.extend_from_slice(b"an object"),
    }
}

/// "an array of 3 elements", or "an array" when it is too deep to count.
fn array_of(out: &mut Vec<u8>, count: Option<usize>) {
    out.extend_from_slice(b"an array");
    if let Some(n) = count {
        out.extend_from_slice(b" of ");
        push_decimal(out, n);
        out.extend_from_slice(b" elements");
    }
}

/// The number of elements of the array that starts at `start`, if it reads as JSON.
fn count_elements(text: &str, start: usize) -> Option<usize> {
    let mut reader = Reader::new(text, start + 1);
    let mut count = 0;
    reader.whitespace();
    if reader.peek() == b']' {
        return Some(0);
    }
    loop {
        reader.value(<dyn Visitor>::ignore(), 1).ok()?;
        count += 1;
        reader.whitespace();
        match reader.peek() {
            b',' => reader.pos += 1,
            b']' => return Some(count),
            _ => return None,
        }
    }
}

/// The first 40 characters of `s`, quoted as JSON, with `cut` inside the quotes when cut.
fn quote_start(out: &mut Vec<u8>, s: &str, cut: &str) {
    match s.char_indices().nth(40) {
        None => crate::write_json_string(out, s),
        Some((end, _)) => {
            let mut shown = String::with_capacity(end + cut.len());
            shown.push_str(&s[..end]);
            shown.push_str(cut);
            crate::write_json_string(out, &shown);
        }
    }
}

/// A float close to the one `text` (a JSON number) writes: the visitor is only asked whether
/// it takes a float here, so the replay needs no exact (and large) float parser.
fn rough_float(text: &str) -> f64 {
    let (mantissa, exponent) = text.split_once(['e', 'E']).unwrap_or((text, "0"));
    let mut value = 0.0f64;
    let mut scale: i32 = 0;
    let mut fraction = false;
    for b in mantissa.bytes() {
        match b {
            b'0'..=b'9' => {
                value = value * 10.0 + f64::from(b - b'0');
                scale -= i32::from(fraction);
            }
            b'.' => fraction = true,
            _ => {}
        }
    }
    let exponent = exponent
        .parse::<i32>()
        .unwrap_or(if exponent.starts_with('-') {
            -1000
        } else {
            1000
        });
    let mut e = (scale.saturating_add(exponent)).clamp(-400, 400);
    while e > 0 {
        value *= 10.0;
        e -= 1;
    }
    while e < 0 {
        value /= 10.0;
        e += 1;
    }
    if text.starts_with('-') {
        -value
    } else {
        value
    }
}

/// `$.name`, or `$["odd key"]` when the key is not a plain identifier.
fn push_key(path: &mut Vec<u8>, key: &str) {
    let plain = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if plain {
        path.push(b'.');
        path.extend_from_slice(key.as_bytes());
    } else {
        path.push(b'[');
        crate::write_json_string(path, key);
        path.push(b']');
    }
}

/// The start of a text that is not JSON, for the message.
fn preview(out: &mut Vec<u8>, text: &str) {
    if text.trim().is_empty() {
        out.extend_from_slice(b"it is empty");
    } else if text.chars().nth(40).is_some() {
        out.extend_from_slice(b"it starts with ");
        quote_start(out, text, "");
    } else {
        out.extend_from_slice(b"it is ");
        crate::write_json_string(out, text);
    }
}

/// Every byte pushed came from `&str`s and ASCII, so this never fails.
fn into_string(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(miniserde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Inner {
        id: u8,
        tags: Vec<String>,
    }

    #[derive(miniserde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Req {
        name: String,
        times: u32,
        ratio: Option<f64>,
        inner: Option<Inner>,
        pair: Option<(i32, bool)>,
    }

    fn message(event: &str) -> String {
        let d = decode::<Req>(event.as_bytes()).unwrap_err();
        assert_eq!(d.error_type, "InvalidEvent");
        let prefix = "the event is not a valid rayo_runtime::typed::tests::Req: ";
        assert!(d.error_message.starts_with(prefix), "{}", d.error_message);
        d.error_message[prefix.len()..].to_string()
    }

    #[test]
    fn a_good_event_decodes() {
        let r = decode::<Req>(br#"{"name":"a","times":2,"inner":{"id":7,"tags":["x"]}}"#).unwrap();
        assert_eq!((r.name.as_str(), r.times, r.inner.unwrap().id), ("a", 2, 7));
    }

    #[test]
    fn missing_fields_name_the_object_and_its_keys() {
        assert_eq!(
            message(r#"{"name":"ab"}"#),
            "at $: a field the type requires is missing (it has name)"
        );
        assert_eq!(
            message(r#"{}"#),
            "at $: a field the type requires is missing (it has no fields)"
        );
        assert_eq!(
            message(r#"{"name":"a","times":1,"inner":{"tags":[]}}"#),
            "at $.inner: a field the type requires is missing (it has tags)"
        );
    }

    #[test]
    fn wrong_kinds_say_what_was_expected_and_where() {
        assert_eq!(
            message(r#"{"name":"a","times":"two"}"#),
            r#"at $.times: expected a whole number, got the string "two""#
        );
        assert_eq!(
            message(r#"{"name":3,"times":1}"#),
            "at $.name: expected a string, got the number 3"
        );
        assert_eq!(
            message(r#"{"name":"a","times":1.5}"#),
            "at $.times: expected a whole number, got the number 1.5"
        );
        assert_eq!(
            message(r#"{"name":"a","times":1,"ratio":"x"}"#),
            r#"at $.ratio: expected a number or null, got the string "x""#
        );
        assert_eq!(
            message(r#"{"name":"a","times":1,"inner":{"id":1,"tags":["ok",5]}}"#),
            "at $.inner.tags[1]: expected a string, got the number 5"
        );
        assert_eq!(
            message("[1,2]"),
            "at $: expected an object, got an array of 2 elements"
        );
        assert_eq!(message("null"), "at $: expected an object, got null");
    }

    #[test]
    fn ranges_and_tuple_lengths() {
        assert_eq!(
            message(r#"{"name":"a","times":-1}"#),
            "at $.times: expected a whole number, got the number -1"
        );
        assert_eq!(
            message(r#"{"name":"a","times":4294967296}"#),
            "at $.times: the number 4294967296 is out of range for the type"
        );
        assert_eq!(
            message(r#"{"name":"a","times":1,"inner":{"id":300,"tags":[]}}"#),
            "at $.inner.id: the number 300 is out of range for the type"
        );
        assert_eq!(
            message(r#"{"name":"a","times":1,"pair":[1]}"#),
            "at $.pair: an array of 1 elements, fewer than the type needs"
        );
        assert_eq!(
            message(r#"{"name":"a","times":1,"pair":[1,true,3]}"#),
            "at $.pair: an array of 3 elements, more than the type takes"
        );
    }

    #[test]
    fn invalid_json_and_odd_keys() {
        assert_eq!(
            message(r#"{"name":"#),
            r#"it is not valid JSON (it is "{\"name\":")"#
        );
        assert_eq!(message("  "), "it is not valid JSON (it is empty)");
        let long = format!("{{\"name\": \"{}", "x".repeat(100));
        assert!(message(&long).starts_with("it is not valid JSON (it starts with "));
        // Unknown keys are ignored as miniserde ignores them; odd ones are quoted in paths.
        #[derive(miniserde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Odd {
            #[serde(rename = "a key")]
            a: u8,
        }
        let d = decode::<Odd>(br#"{"a key":"x","zz":1}"#).unwrap_err();
        assert!(
            d.error_message
                .ends_with(r#"at $["a key"]: expected a whole number, got the string "x""#),
            "{}",
            d.error_message
        );
        let d = decode::<Odd>(b"\xff").unwrap_err();
        assert!(d.error_message.contains("not UTF-8"), "{d}");
    }

    /// Mutated events (bytes flipped, inserted, cut) never panic the explainer: each is
    /// decoded or gets an InvalidEvent with a message that names the type.
    #[test]
    fn mutated_events_never_panic_and_always_explain() {
        let seeds = [
            r#"{"name":"a","times":2,"ratio":1.5e3,"inner":{"id":7,"tags":["x","\u00e9\n"]},"pair":[-1,true]}"#,
            r#"{"name":"\ud83d\ude00","times":4294967295,"inner":null,"pair":null,"extra":[{},[],-0.0]}"#,
            r#"[{"name":1}, "a", 12345678901234567890, -1e400, tru, nul]"#,
        ];
        let alphabet = b"{}[]\",:\\ 0123456789-+.eEtrufalsn\x00\xff\xc3\xa9u";
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut explained = 0;
        for round in 0..30_000 {
            let mut e = seeds[round % seeds.len()].as_bytes().to_vec();
            for _ in 0..1 + next() % 4 {
                let at = (next() as usize) % (e.len() + 1);
                let c = alphabet[(next() as usize) % alphabet.len()];
                match next() % 3 {
                    0 if at < e.len() => e[at] = c,
                    1 => e.insert(at, c),
                    _ => e.truncate(at.max(1)),
                }
            }
            if let Err(d) = decode::<Req>(&e) {
                assert_eq!(d.error_type, "InvalidEvent");
                let m = &d.error_message;
                assert!(
                    (m.starts_with("the event is not a valid rayo_runtime::typed::tests::Req: ")
                        && m.len() > 60)
                        || m.starts_with("the event is not UTF-8 (an invalid byte sequence at"),
                    "{:?}: {}",
                    String::from_utf8_lossy(&e),
                    m
                );
                explained += 1;
            }
        }
        assert!(
            explained > 20_000,
            "{explained} of 30000 mutations explained"
        );
    }

    #[test]
    fn deep_nesting_is_bounded() {
        // A hostile event: the replay stops at MAX_DEPTH instead of exhausting the stack.
        let deep = format!(
            "{{\"name\":\"a\",\"times\":1,\"inner\":{{\"id\":1,\"tags\":[{}]}}}}",
            "[".repeat(100_000) + &"]".repeat(100_000)
        );
        let m = message(&deep);
        assert!(
            m.starts_with("at $.inner.tags[0]: expected a string, got an array"),
            "{m}"
        );
        #[derive(miniserde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Tree {
            v: Vec<miniserde::json::Value>,
            w: u8,
        }
        let nested = format!("{{\"v\":[{}]}}", "[".repeat(1000) + &"]".repeat(1000));
        let d = decode::<Tree>(nested.as_bytes()).unwrap_err();
        assert!(
            d.error_message.contains("nested deeper than 128 levels"),
            "{}",
            d.error_message
        );
    }
}

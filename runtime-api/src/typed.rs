//! Typed handlers: the event decoded from JSON with miniserde, the result encoded back.
//!
//! miniserde's errors carry no detail by design, so when an event does not decode, this
//! module finds out why on the error path only: it parses the event again as a
//! `miniserde::json::Value` and replays it into the type's own visitor, step by step, until
//! the step the type refuses. The success path is miniserde's, unchanged.

use miniserde::de::Visitor;
use miniserde::json::{Number, Value};

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
    let text = std::str::from_utf8(event)
        .map_err(|e| Diagnostic::new("InvalidEvent", format!("the event is not UTF-8: {e}")))?;
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

/// Why `text` did not decode into the type behind `visitor`. Not generic, so one copy of it
/// serves every typed handler in a binary, and it runs only once decoding has failed.
#[cold]
#[inline(never)]
fn explain(type_name: &str, text: &str, visitor: &mut dyn Visitor) -> Diagnostic {
    let problem = match miniserde::json::from_str::<Value>(text) {
        Err(_) => format!("it is not valid JSON ({})", preview(text)),
        Ok(value) => {
            let mut path = String::from("$");
            match replay(visitor, &value, &mut path, 0) {
                Err(problem) => problem,
                // The replay accepted what miniserde's parser refused: say so rather than guess.
                Ok(()) => "it does not fit the type (miniserde gives no detail)".to_string(),
            }
        }
    };
    Diagnostic::new(
        "InvalidEvent",
        format!("the event is not a valid {type_name}: {problem}"),
    )
}

/// Feeds `value` to `visitor` as miniserde's parser would; the first refusal becomes a
/// sentence naming the place (`path`) and the problem.
fn replay(
    visitor: &mut dyn Visitor,
    value: &Value,
    path: &mut String,
    depth: usize,
) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!(
            "at {path}: nested deeper than {MAX_DEPTH} levels (not inspected further)"
        ));
    }
    let accepted = match value {
        Value::Null => visitor.null().is_ok(),
        Value::Bool(b) => visitor.boolean(*b).is_ok(),
        Value::Number(Number::U64(n)) => visitor.nonnegative(*n).is_ok(),
        Value::Number(Number::I64(n)) => visitor.negative(*n).is_ok(),
        Value::Number(Number::F64(n)) => visitor.float(*n).is_ok(),
        Value::String(s) => visitor.string(s).is_ok(),
        Value::Array(items) => {
            let Ok(mut seq) = visitor.seq() else {
                return Err(wrong_kind(visitor, value, path));
            };
            for (i, item) in items.iter().enumerate() {
                let Ok(element) = seq.element() else {
                    return Err(format!(
                        "at {path}: an array of {} elements, more than the type takes",
                        items.len()
                    ));
                };
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                replay(element, item, path, depth + 1)?;
                path.truncate(len);
            }
            if seq.finish().is_err() {
                return Err(format!(
                    "at {path}: an array of {} elements, fewer than the type needs",
                    items.len()
                ));
            }
            return Ok(());
        }
        Value::Object(fields) => {
            let Ok(mut map) = visitor.map() else {
                return Err(wrong_kind(visitor, value, path));
            };
            for (key, item) in fields.iter() {
                let Ok(field) = map.key(key) else {
                    return Err(format!("at {path}: the key {key:?} is refused"));
                };
                let len = path.len();
                push_key(path, key);
                replay(field, item, path, depth + 1)?;
                path.truncate(len);
            }
            if map.finish().is_err() {
                let keys: Vec<&str> = fields.keys().map(String::as_str).collect();
                let has = if keys.is_empty() {
                    "it has no fields".to_string()
                } else {
                    format!("it has {}", keys.join(", "))
                };
                return Err(format!(
                    "at {path}: a field the type requires is missing ({has})"
                ));
            }
            return Ok(());
        }
    };
    if accepted {
        Ok(())
    } else {
        Err(wrong_kind(visitor, value, path))
    }
}

/// `$.name`, or `$["odd key"]` when the key is not a plain identifier.
fn push_key(path: &mut String, key: &str) {
    let plain = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if plain {
        path.push('.');
        path.push_str(key);
    } else {
        path.push_str(&format!("[{key:?}]"));
    }
}

/// What the visitor would have taken instead of `value`, found by offering it one value of
/// each kind (the visitor is thrown away afterwards, so what the probes write is harmless).
fn wrong_kind(visitor: &mut dyn Visitor, value: &Value, path: &str) -> String {
    let whole = visitor.nonnegative(0).is_ok();
    let negative = visitor.negative(-1).is_ok();
    let float = visitor.float(0.5).is_ok();
    let mut kinds: Vec<&str> = Vec::new();
    if visitor.string("").is_ok() {
        kinds.push("a string");
    }
    match (whole, negative, float) {
        (_, _, true) => kinds.push("a number"),
        (true, true, false) => kinds.push("a whole number"),
        (true, false, false) => kinds.push("a whole number"),
        (false, true, false) => kinds.push("a negative whole number"),
        (false, false, false) => {}
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
    let got = describe(value);
    let same_kind = match value {
        Value::Number(Number::U64(_)) => whole,
        Value::Number(Number::I64(_)) => negative,
        Value::Number(Number::F64(_)) => float,
        _ => false,
    };
    if same_kind {
        return format!("at {path}: {got} is out of range for the type");
    }
    match kinds.as_slice() {
        [] => format!("at {path}: the type takes no value here, got {got}"),
        [one] => format!("at {path}: expected {one}, got {got}"),
        [first @ .., last] => format!(
            "at {path}: expected {} or {last}, got {got}",
            first.join(", ")
        ),
    }
}

/// "the string \"x\"", "the number 3.5", "an array of 2 elements", ...
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => {
            let mut shown: String = s.chars().take(40).collect();
            if shown.len() < s.len() {
                shown.push_str("...");
            }
            format!("the string {shown:?}")
        }
        Value::Array(a) => format!("an array of {} elements", a.len()),
        Value::Object(_) => "an object".to_string(),
    }
}

/// The start of a text that is not JSON, for the message.
fn preview(text: &str) -> String {
    if text.trim().is_empty() {
        return "it is empty".to_string();
    }
    let shown: String = text.chars().take(40).collect();
    if shown.len() < text.len() {
        format!("it starts with {shown:?}")
    } else {
        format!("it is {shown:?}")
    }
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

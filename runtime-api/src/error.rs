//! The runtime's one error enum, and `Diagnostic`, the error a handler returns.

use std::fmt;

/// Everything that can stop the runtime. Each message names what failed and the value.
pub enum Error {
    /// An environment variable is missing or malformed.
    Env {
        /// The variable's name.
        var: &'static str,
        /// Its value, when it is set.
        value: Option<String>,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Connecting to, writing to or reading from the Runtime API failed.
    Io {
        /// What the runtime was doing.
        during: &'static str,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The Runtime API answered with bytes that are not the HTTP we accept.
    Http {
        /// What the runtime was doing.
        during: &'static str,
        /// What was malformed, with the bytes in question.
        detail: String,
    },
    /// The Runtime API answered with a status the runtime cannot go on after.
    Status {
        /// What the runtime was doing.
        during: &'static str,
        /// The HTTP status.
        status: u16,
        /// The answer's body, as text.
        body: String,
    },
    /// `GET /next` gave an invocation without a usable header.
    Invocation {
        /// The header's name.
        header: &'static str,
        /// Its value, when present.
        value: Option<String>,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Env { var, value, reason } => match value {
                Some(v) => write!(f, "environment variable {var}={v:?}: {reason}"),
                None => write!(f, "environment variable {var} is not set: {reason}"),
            },
            Error::Io { during, source } => write!(f, "{during}: {source}"),
            Error::Http { during, detail } => {
                write!(f, "{during}: malformed HTTP from the Runtime API: {detail}")
            }
            Error::Status {
                during,
                status,
                body,
            } => write!(f, "{during}: the Runtime API answered {status}: {body}"),
            Error::Invocation {
                header,
                value,
                reason,
            } => match value {
                Some(v) => write!(f, "invocation header {header}: {v:?}: {reason}"),
                None => write!(f, "invocation header {header} is missing: {reason}"),
            },
        }
    }
}

/// `main` returning an `Error` prints its `Debug`: make that the same readable sentence.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// The error a handler returns: a type name and a message, as Lambda reports them
/// (`errorType`, `errorMessage`) to the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// `errorType`: a short type name, e.g. `InvalidEvent`.
    pub error_type: String,
    /// `errorMessage`: the sentence the caller reads.
    pub error_message: String,
}

impl Diagnostic {
    /// A diagnostic with this type and message.
    pub fn new(error_type: impl Into<String>, error_message: impl Into<String>) -> Self {
        Diagnostic {
            error_type: error_type.into(),
            error_message: error_message.into(),
        }
    }

    /// The body Lambda expects on `/error` and `/init/error`.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(48 + self.error_type.len() + self.error_message.len());
        out.extend_from_slice(b"{\"errorMessage\":");
        write_json_string(&mut out, &self.error_message);
        out.extend_from_slice(b",\"errorType\":");
        write_json_string(&mut out, &self.error_type);
        out.extend_from_slice(b",\"stackTrace\":[]}");
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error_type, self.error_message)
    }
}

impl From<&str> for Diagnostic {
    fn from(message: &str) -> Self {
        Diagnostic::new("Error", message)
    }
}

impl From<String> for Diagnostic {
    fn from(message: String) -> Self {
        Diagnostic::new("Error", message)
    }
}

impl From<std::io::Error> for Diagnostic {
    fn from(e: std::io::Error) -> Self {
        Diagnostic::new("IoError", e.to_string())
    }
}

impl From<miniserde::Error> for Diagnostic {
    fn from(_: miniserde::Error) -> Self {
        // miniserde deliberately carries no detail.
        Diagnostic::new(
            "InvalidEvent",
            "the event is not valid JSON for this handler's type",
        )
    }
}

impl From<Error> for Diagnostic {
    fn from(e: Error) -> Self {
        Diagnostic::new("Runtime.Error", e.to_string())
    }
}

/// Appends `s` to `out` as a JSON string literal, quotes included. Byte handlers that build
/// small JSON answers by hand can use it instead of linking a serializer.
pub fn write_json_string(out: &mut Vec<u8>, s: &str) {
    rayo_wire::json::push_str(out, s);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostic_json_escapes_everything_json_requires() {
        let d = Diagnostic::new("My\"Type", "line1\nline2\t\\ \u{1} é \u{7f}");
        let json = String::from_utf8(d.to_json()).unwrap();
        assert_eq!(
            json,
            "{\"errorMessage\":\"line1\\nline2\\t\\\\ \\u0001 é \\u007f\",\
             \"errorType\":\"My\\\"Type\",\"stackTrace\":[]}"
        );
        // And it parses back to the same strings.
        #[derive(miniserde::Deserialize)]
        struct Body {
            #[serde(rename = "errorMessage")]
            message: String,
            #[serde(rename = "errorType")]
            kind: String,
        }
        let back: Body = miniserde::json::from_str(&json).unwrap();
        assert_eq!(back.message, d.error_message);
        assert_eq!(back.kind, d.error_type);
    }

    #[test]
    fn errors_name_the_value() {
        let e = Error::Env {
            var: "AWS_LAMBDA_RUNTIME_API",
            value: Some("nope".into()),
            reason: "expected host:port",
        };
        assert_eq!(
            e.to_string(),
            "environment variable AWS_LAMBDA_RUNTIME_API=\"nope\": expected host:port"
        );
    }
}

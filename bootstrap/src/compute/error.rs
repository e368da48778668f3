//! The one error type of the compute service.

use core::fmt;

/// Why a request could not be served. Each variant maps to the `errorType` of the Lambda
/// invocation error ([`ComputeError::error_type`]); `Display` is its `errorMessage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComputeError {
    /// The event is not well-formed JSON (or not UTF-8) at byte `offset`.
    Json {
        /// Byte offset of the problem in the event.
        offset: usize,
        /// What is wrong there.
        problem: String,
    },
    /// Well-formed JSON, but a field is missing, unknown, of the wrong type, out of range or
    /// inconsistent with another field.
    Field {
        /// The field's name (or path).
        field: String,
        /// What is wrong with it, with the value.
        problem: String,
    },
    /// The request as a whole is wrong (e.g. neither `op` nor `ops`).
    Request {
        /// What is wrong.
        problem: String,
    },
}

impl ComputeError {
    /// The error type name reported to the caller: `InvalidJson` or `InvalidRequest`.
    pub fn error_type(&self) -> &str {
        match self {
            ComputeError::Json { .. } => "InvalidJson",
            ComputeError::Field { .. } | ComputeError::Request { .. } => "InvalidRequest",
        }
    }

    pub(crate) fn json(offset: usize, problem: impl Into<String>) -> Self {
        ComputeError::Json {
            offset,
            problem: problem.into(),
        }
    }

    pub(crate) fn field(field: impl Into<String>, problem: impl Into<String>) -> Self {
        ComputeError::Field {
            field: field.into(),
            problem: problem.into(),
        }
    }

    pub(crate) fn request(problem: impl Into<String>) -> Self {
        ComputeError::Request {
            problem: problem.into(),
        }
    }
}

impl fmt::Display for ComputeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ComputeError::Json { offset, problem } => {
                write!(f, "invalid JSON at byte {offset}: {problem}")
            }
            ComputeError::Field { field, problem } => write!(f, "field `{field}`: {problem}"),
            ComputeError::Request { problem } => write!(f, "invalid request: {problem}"),
        }
    }
}

impl std::error::Error for ComputeError {}

/// Up to 40 bytes of the input from `at`, for messages that show the offending value.
pub(crate) fn snippet(s: &[u8], at: usize) -> String {
    let rest = s.get(at..).unwrap_or(&[]);
    let mut end = rest.len().min(40);
    // Cut at a char boundary: the lossy conversion would otherwise show a replacement char.
    while end < rest.len() && end > 0 && (rest[end] & 0xC0) == 0x80 {
        end -= 1;
    }
    let mut out = String::from_utf8_lossy(&rest[..end]).into_owned();
    if end < rest.len() {
        out.push_str("...");
    }
    if out.is_empty() {
        out.push_str("end of input");
    }
    out
}

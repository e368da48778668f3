//! cargo-rayo's one error type. Each message is one line that says what is wrong and what
//! to do next; the variant decides the exit status.

use std::fmt;

/// Everything that stops a `cargo rayo` command.
#[derive(Debug)]
pub(crate) enum Error {
    /// A bad command line (exit 2).
    Usage(String),
    /// A tool is missing or could not be installed (exit 3).
    Tool(String),
    /// The crate cannot be built as asked: no rayo-runtime dependency, no such binary, a
    /// bad `[package.metadata.rayo]`, cargo failed (exit 3).
    Build(String),
    /// A built binary is over its budget (exit 1); the size report was printed.
    OverBudget(String),
    /// The function answered with an error, or did not answer (exit 1 for `invoke`, 4 for
    /// `build --event`).
    Function(String),
    /// A file could not be read or written (exit 3).
    Io {
        /// What was being done, with the path.
        what: String,
        /// The operating system's error.
        source: std::io::Error,
    },
}

impl Error {
    /// An `Io` error for `what` (a sentence naming the path).
    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            what: what.into(),
            source,
        }
    }

    /// The process exit status for this error.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) => 2,
            Error::OverBudget(_) => 1,
            Error::Function(_) => 1,
            Error::Tool(_) | Error::Build(_) | Error::Io { .. } => 3,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(m)
            | Error::Tool(m)
            | Error::Build(m)
            | Error::OverBudget(m)
            | Error::Function(m) => f.write_str(m),
            Error::Io { what, source } => write!(f, "{what}: {source}"),
        }
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

/// The crate's result type.
pub(crate) type Result<T> = std::result::Result<T, Error>;

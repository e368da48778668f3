//! The crate's one error type: every message names what failed and the offending value.
use std::fmt;
use std::io;

#[derive(Debug)]
/// What can stop a benchmark.
pub enum Error {
    /// A command-line problem; the string is the whole message.
    Usage(String),
    /// An I/O operation failed; `what` names the operation and its target.
    Io {
        /// The operation and its target.
        what: String,
        /// The operating system's error.
        source: io::Error,
    },
    /// The emulator or the bootstrap misbehaved during a run.
    Run {
        /// The bootstrap's name.
        bootstrap: String,
        /// The run (0 is the warm-up).
        run: usize,
        /// What went wrong.
        what: String,
    },
    /// A /proc file was missing a field or held an unexpected value.
    Proc {
        /// The file.
        path: String,
        /// What was wrong.
        what: String,
    },
    /// A Lambda REPORT line (or platform.report record) could not be parsed.
    Report {
        /// The line.
        line: String,
        /// What was wrong.
        what: String,
    },
    /// A log tail had no REPORT line at all.
    NoReport {
        /// The log tail that was searched.
        log_tail: String,
    },
    /// An AWS control-plane or invoke call failed.
    Aws(String),
    /// A CPU-quota cgroup (`--memory`) could not be found, created, set or removed.
    Cgroup {
        /// The group's directory.
        path: String,
        /// What failed.
        what: String,
    },
}

impl Error {
    pub(crate) fn io(what: impl Into<String>, source: io::Error) -> Error {
        Error::Io {
            what: what.into(),
            source,
        }
    }
}

/// Long values (log tails, lines) are cut so an error stays readable.
fn clip(s: &str) -> String {
    const MAX: usize = 300;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(msg) => write!(f, "{msg}"),
            Error::Io { what, source } => write!(f, "{what}: {source}"),
            Error::Run {
                bootstrap,
                run,
                what,
            } => write!(f, "bootstrap `{bootstrap}`, run {run}: {what}"),
            Error::Proc { path, what } => write!(f, "{path}: {what}"),
            Error::Report { line, what } => {
                write!(f, "bad REPORT line ({what}): {:?}", clip(line))
            }
            Error::NoReport { log_tail } => {
                write!(f, "no REPORT line in the log tail: {:?}", clip(log_tail))
            }
            Error::Aws(msg) => write!(f, "AWS: {msg}"),
            Error::Cgroup { path, what } => write!(f, "cgroup {path}: {what}"),
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
pub type Result<T> = std::result::Result<T, Error>;

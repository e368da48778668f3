//! The crate's one error type.
//!
//! No variant ever holds a secret access key or a session token: credentials travel as
//! [`crate::Credentials`], whose `Debug` redacts them, and request bodies or signed headers are
//! never copied into an error.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// An error answered by the AWS API: its code, message, HTTP status and request id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The API operation that failed, e.g. `UpdateFunctionCode`.
    pub operation: String,
    /// HTTP status code.
    pub status: u16,
    /// AWS error code, e.g. `ResourceNotFoundException` (empty when the service sent none).
    pub code: String,
    /// AWS error message.
    pub message: String,
    /// `x-amzn-RequestId` (or `x-amz-request-id`), when the service sent one.
    pub request_id: Option<String>,
    /// How many attempts were made (more than one when a retryable error persisted).
    pub attempts: u32,
}

impl ApiError {
    /// The service refused for rate: the request did not run, so retrying is always safe.
    pub fn is_throttling(&self) -> bool {
        self.status == 429
            || matches!(
                self.code.as_str(),
                "TooManyRequestsException"
                    | "ThrottlingException"
                    | "Throttling"
                    | "RequestLimitExceeded"
                    | "EC2ThrottledException"
            )
    }

    /// Throttling or a server-side failure: worth another try after a pause.
    pub fn is_retryable(&self) -> bool {
        self.is_throttling() || self.status >= 500 || self.code == "ServiceException"
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = if self.code.is_empty() {
            "(no error code)"
        } else {
            &self.code
        };
        write!(
            f,
            "{} failed: {code} (HTTP {})",
            self.operation, self.status
        )?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        match &self.request_id {
            Some(id) => write!(f, " [request id {id}]")?,
            None => write!(f, " [no request id]")?,
        }
        if self.attempts > 1 {
            write!(f, " after {} attempts", self.attempts)?;
        }
        Ok(())
    }
}

/// Everything that can go wrong in `deploy`.
#[derive(Debug)]
pub enum Error {
    /// No usable credentials, or a profile lacks a key. The message names the profile and file.
    Credentials(String),
    /// A shared config or credentials file is malformed.
    ConfigFile {
        /// The file.
        path: PathBuf,
        /// The line (1-based).
        line: usize,
        /// What is wrong there.
        message: String,
    },
    /// No region could be found.
    Region(String),
    /// Reading a local file failed.
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A command-line or library argument is invalid.
    InvalidArgument(String),
    /// The request never got an HTTP answer (DNS, TCP, TLS, timeout).
    Transport {
        /// The API operation, e.g. `GetFunctionConfiguration`.
        operation: String,
        /// The URL it was sent to.
        url: String,
        /// What failed (DNS, connect, TLS, timeout...).
        message: String,
        /// How many attempts were made.
        attempts: u32,
    },
    /// AWS answered with an error.
    Api(ApiError),
    /// AWS answered 2xx but the body was not what the API documents.
    InvalidResponse {
        /// The API operation.
        operation: String,
        /// What was wrong with the body.
        message: String,
    },
    /// The function reached `State: Failed` or `LastUpdateStatus: Failed`.
    FunctionFailed {
        /// The function's name.
        function: String,
        /// `State` or `LastUpdateStatus`, as Lambda reported it.
        status: String,
        /// Lambda's reason.
        reason: String,
    },
    /// Waiting for the function to settle took longer than allowed.
    WaitTimeout {
        /// The function's name.
        function: String,
        /// How long was waited.
        waited: Duration,
        /// The last state seen.
        last_state: String,
    },
}

impl Error {
    /// True when AWS said the function (or alias, role...) does not exist.
    pub fn is_resource_not_found(&self) -> bool {
        matches!(self, Error::Api(e) if e.code == "ResourceNotFoundException" || e.code == "NoSuchEntity" || (e.status == 404 && e.code.is_empty()))
    }

    /// The AWS error, when this is one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The AWS error code, when this is an AWS error.
    pub fn code(&self) -> Option<&str> {
        self.api_error().map(|e| e.code.as_str())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Credentials(m) => write!(f, "credentials: {m}"),
            Error::ConfigFile {
                path,
                line,
                message,
            } => write!(f, "{}:{line}: {message}", path.display()),
            Error::Region(m) => write!(f, "region: {m}"),
            Error::Io { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            Error::InvalidArgument(m) => write!(f, "invalid argument: {m}"),
            Error::Transport {
                operation,
                url,
                message,
                attempts,
            } => {
                write!(f, "{operation}: no HTTP answer from {url}: {message}")?;
                if *attempts > 1 {
                    write!(f, " (after {attempts} attempts)")?;
                }
                Ok(())
            }
            Error::Api(e) => e.fmt(f),
            Error::InvalidResponse { operation, message } => {
                write!(f, "{operation}: unexpected response: {message}")
            }
            Error::FunctionFailed {
                function,
                status,
                reason,
            } => write!(f, "function {function} is {status}: {reason}"),
            Error::WaitTimeout {
                function,
                waited,
                last_state,
            } => write!(
                f,
                "function {function} did not become ready within {:.1}s (last seen: {last_state})",
                waited.as_secs_f64()
            ),
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

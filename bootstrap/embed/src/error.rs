//! The crate's one error enum. Every message names what is wrong and the offending value.

use std::fmt;

use crate::tokenizer::TokenizerError;

#[derive(Debug)]
pub enum Error {
    /// No weight file where the function looks for one.
    NoWeights { tried: Vec<String> },
    /// A weight (or model) file could not be opened, mapped or read.
    Io {
        path: String,
        during: &'static str,
        source: std::io::Error,
    },
    /// The weight file is not one this build can use: corrupt, truncated, the wrong version,
    /// or shapes that do not fit its own configuration.
    Weights { path: String, problem: String },
    /// The vocabulary inside the weight file does not load.
    Vocab {
        path: String,
        source: TokenizerError,
    },
    /// A bad request: the message names the field and the problem.
    Request(String),
    /// The function's configuration (an environment variable) is not one it knows.
    Config(String),
    /// A library caller's mistake (token ids out of range, an empty sentence, ...).
    Input(String),
    /// The converter's input (safetensors, config.json) is not a model it can convert.
    Convert(String),
    /// Cannot happen with a verified weight file (e.g. a non-finite embedding); reported,
    /// never written as invalid JSON.
    Internal(String),
}

impl Error {
    /// The `errorType` Lambda reports.
    pub fn error_type(&self) -> &'static str {
        match self {
            Error::NoWeights { .. } => "ModelNotFound",
            Error::Io { .. } => "ModelLoadError",
            Error::Weights { .. } => "InvalidWeights",
            Error::Vocab { .. } => "InvalidVocab",
            Error::Request(_) => "InvalidRequest",
            Error::Config(_) => "InvalidConfiguration",
            Error::Input(_) => "InvalidInput",
            Error::Convert(_) => "ConvertError",
            Error::Internal(_) => "EmbedError",
        }
    }

    pub(crate) fn weights(path: &str, problem: impl Into<String>) -> Error {
        Error::Weights {
            path: path.to_string(),
            problem: problem.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NoWeights { tried } => write!(
                f,
                "no weight file: looked for {} (set RAYO_EMBED_MODEL to its path)",
                tried.join(", ")
            ),
            Error::Io {
                path,
                during,
                source,
            } => write!(f, "{during} {path}: {source}"),
            Error::Weights { path, problem } => write!(f, "weight file {path}: {problem}"),
            Error::Vocab { path, source } => write!(f, "weight file {path}: {source}"),
            Error::Request(m)
            | Error::Config(m)
            | Error::Input(m)
            | Error::Convert(m)
            | Error::Internal(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::Vocab { source, .. } => Some(source),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_file_and_the_problem() {
        let e = Error::weights(
            "/var/task/embed-model.rayo",
            "truncated: 10 bytes, header says 99",
        );
        assert_eq!(
            e.to_string(),
            "weight file /var/task/embed-model.rayo: truncated: 10 bytes, header says 99"
        );
        assert_eq!(e.error_type(), "InvalidWeights");
        let e = Error::NoWeights {
            tried: vec!["/a/x".into(), "/opt/x".into()],
        };
        assert!(e.to_string().contains("/a/x, /opt/x"), "{e}");
        assert_eq!(Error::Request("x".into()).error_type(), "InvalidRequest");
    }
}

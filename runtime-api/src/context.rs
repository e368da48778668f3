//! What a handler knows about its invocation and its function.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::http::Response;
use crate::Error;

/// The function's own settings, read once from the environment Lambda gives the bootstrap.
/// A variable that is not set reads as empty (or `None`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// `AWS_LAMBDA_FUNCTION_NAME`
    pub function_name: String,
    /// `AWS_LAMBDA_FUNCTION_VERSION`
    pub version: String,
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, in MB.
    pub memory_size_mb: Option<u32>,
    /// `AWS_LAMBDA_LOG_GROUP_NAME`
    pub log_group: String,
    /// `AWS_LAMBDA_LOG_STREAM_NAME`
    pub log_stream: String,
}

impl Config {
    /// Reads the `AWS_LAMBDA_*` variables; a memory size that is not a number is an error.
    pub fn from_env() -> Result<Config, Error> {
        let memory = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE";
        let memory_size_mb = match var(memory)? {
            s if s.is_empty() => None,
            s => Some(s.parse::<u32>().map_err(|_| Error::Env {
                var: memory,
                value: Some(s.clone()),
                reason: "expected a whole number of MB",
            })?),
        };
        Ok(Config {
            function_name: var("AWS_LAMBDA_FUNCTION_NAME")?,
            version: var("AWS_LAMBDA_FUNCTION_VERSION")?,
            memory_size_mb,
            log_group: var("AWS_LAMBDA_LOG_GROUP_NAME")?,
            log_stream: var("AWS_LAMBDA_LOG_STREAM_NAME")?,
        })
    }
}

fn var(name: &'static str) -> Result<String, Error> {
    match std::env::var(name) {
        Ok(v) => Ok(v),
        Err(std::env::VarError::NotPresent) => Ok(String::new()),
        Err(std::env::VarError::NotUnicode(v)) => Err(Error::Env {
            var: name,
            value: Some(v.to_string_lossy().into_owned()),
            reason: "not valid UTF-8",
        }),
    }
}

/// One invocation's context, from the headers of `GET /next`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context {
    /// `Lambda-Runtime-Aws-Request-Id`
    pub request_id: String,
    /// `Lambda-Runtime-Deadline-Ms`: when Lambda stops the invocation, in ms since the epoch.
    pub deadline_ms: u64,
    /// `Lambda-Runtime-Invoked-Function-Arn`
    pub invoked_function_arn: String,
    /// `Lambda-Runtime-Trace-Id`; also set as `_X_AMZN_TRACE_ID` during the invocation,
    /// unless several workers serve at once (`run_concurrent`): then only here.
    pub xray_trace_id: Option<String>,
    /// `Lambda-Runtime-Client-Context`: the mobile SDK's client context, as raw JSON.
    pub client_context: Option<String>,
    /// `Lambda-Runtime-Cognito-Identity`: the Cognito identity, as raw JSON.
    pub identity: Option<String>,
    /// `Lambda-Runtime-Aws-Tenant-Id`, for functions with tenant isolation.
    pub tenant_id: Option<String>,
    /// The function's settings from the environment.
    pub env_config: Arc<Config>,
}

impl Context {
    /// A context for a handler's unit tests: request id `test-request-id`, a deadline 3 s
    /// from now (Lambda's default timeout), the ARN of a function called `test-function`,
    /// no trace id, client context, identity or tenant, and empty settings. Change what a
    /// test needs with the `with_*` setters:
    ///
    /// ```
    /// use std::time::Duration;
    /// use rayo_runtime::Context;
    ///
    /// let ctx = Context::for_test()
    ///     .with_request_id("req-42")
    ///     .with_remaining(Duration::from_millis(50));
    /// assert_eq!(ctx.request_id, "req-42");
    /// assert!(ctx.remaining() <= Duration::from_millis(50));
    /// ```
    pub fn for_test() -> Context {
        Context {
            request_id: "test-request-id".into(),
            deadline_ms: 0,
            invoked_function_arn: "arn:aws:lambda:us-east-1:123456789012:function:test-function"
                .into(),
            xray_trace_id: None,
            client_context: None,
            identity: None,
            tenant_id: None,
            env_config: Arc::default(),
        }
        .with_remaining(Duration::from_secs(3))
    }

    /// Sets [`Context::request_id`].
    pub fn with_request_id(mut self, id: impl Into<String>) -> Context {
        self.request_id = id.into();
        self
    }

    /// Sets [`Context::deadline_ms`] (ms since the Unix epoch).
    pub fn with_deadline_ms(mut self, deadline_ms: u64) -> Context {
        self.deadline_ms = deadline_ms;
        self
    }

    /// Sets the deadline to `remaining` from now.
    pub fn with_remaining(mut self, remaining: Duration) -> Context {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        self.deadline_ms = u64::try_from((now + remaining).as_millis()).unwrap_or(u64::MAX);
        self
    }

    /// Sets [`Context::invoked_function_arn`].
    pub fn with_invoked_function_arn(mut self, arn: impl Into<String>) -> Context {
        self.invoked_function_arn = arn.into();
        self
    }

    /// Sets [`Context::xray_trace_id`].
    pub fn with_xray_trace_id(mut self, id: impl Into<String>) -> Context {
        self.xray_trace_id = Some(id.into());
        self
    }

    /// Sets [`Context::client_context`] (raw JSON).
    pub fn with_client_context(mut self, json: impl Into<String>) -> Context {
        self.client_context = Some(json.into());
        self
    }

    /// Sets [`Context::identity`] (raw JSON).
    pub fn with_identity(mut self, json: impl Into<String>) -> Context {
        self.identity = Some(json.into());
        self
    }

    /// Sets [`Context::tenant_id`].
    pub fn with_tenant_id(mut self, id: impl Into<String>) -> Context {
        self.tenant_id = Some(id.into());
        self
    }

    /// Sets [`Context::env_config`], the function's settings.
    pub fn with_config(mut self, config: Config) -> Context {
        self.env_config = Arc::new(config);
        self
    }

    /// [`Context::deadline_ms`] as a `SystemTime`.
    pub fn deadline(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.deadline_ms)
    }

    /// Time left before the deadline; zero once it has passed.
    pub fn remaining(&self) -> Duration {
        self.deadline()
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO)
    }
}

/// The context of the invocation `GET /next` answered with `resp`: its headers checked
/// (the request id goes into URL paths) and read.
pub(crate) fn from_invocation(resp: &Response, config: &Arc<Config>) -> Result<Context, Error> {
    fn text<'a>(resp: &'a Response, header: &'static str) -> Result<Option<&'a str>, Error> {
        match resp.header(header) {
            None => Ok(None),
            Some(v) => std::str::from_utf8(v)
                .map(Some)
                .map_err(|_| Error::Invocation {
                    header,
                    value: Some(String::from_utf8_lossy(v).into_owned()),
                    reason: "not valid UTF-8",
                }),
        }
    }
    fn required<'a>(resp: &'a Response, header: &'static str) -> Result<&'a str, Error> {
        text(resp, header)?.ok_or(Error::Invocation {
            header,
            value: None,
            reason: "Lambda always sends it",
        })
    }
    let id_header = "Lambda-Runtime-Aws-Request-Id";
    let request_id = required(resp, id_header)?;
    check_request_id(request_id).map_err(|reason| Error::Invocation {
        header: id_header,
        value: Some(request_id.to_string()),
        reason,
    })?;
    let deadline_header = "Lambda-Runtime-Deadline-Ms";
    let deadline = required(resp, deadline_header)?;
    let deadline_ms = deadline.parse::<u64>().map_err(|_| Error::Invocation {
        header: deadline_header,
        value: Some(deadline.to_string()),
        reason: "expected milliseconds since the epoch",
    })?;
    let optional = |h| Ok::<_, Error>(text(resp, h)?.filter(|s| !s.is_empty()).map(String::from));
    Ok(Context {
        request_id: request_id.to_string(),
        deadline_ms,
        invoked_function_arn: text(resp, "Lambda-Runtime-Invoked-Function-Arn")?
            .unwrap_or_default()
            .to_string(),
        xray_trace_id: optional("Lambda-Runtime-Trace-Id")?,
        client_context: optional("Lambda-Runtime-Client-Context")?,
        identity: optional("Lambda-Runtime-Cognito-Identity")?,
        tenant_id: optional("Lambda-Runtime-Aws-Tenant-Id")?,
        env_config: Arc::clone(config),
    })
}

/// A request id goes into a URL path: accept only a plain token, so no header or path can be
/// injected through it.
pub(crate) fn check_request_id(id: &str) -> Result<(), &'static str> {
    if id.is_empty() {
        return Err("empty");
    }
    if id.len() > 128 {
        return Err("longer than 128 bytes");
    }
    if id.as_bytes().windows(2).any(|w| w == b"..") {
        return Err("contains '..'");
    }
    if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'+' | b'='))
    {
        return Err("has a character other than letters, digits and -_.:+=");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids() {
        assert!(check_request_id("8476a536-e9f4-11e8-9739-2dfe598c3fcd").is_ok());
        assert!(check_request_id(&"a".repeat(128)).is_ok());
        for bad in [
            "",
            "a/b",
            "a b",
            "a\r\nX: y",
            "..",
            "a..b",
            "a%2fb",
            "a?b",
            "a#b",
            "é",
        ] {
            assert!(check_request_id(bad).is_err(), "{bad:?}");
        }
        assert!(check_request_id(&"a".repeat(129)).is_err());
    }

    #[test]
    fn remaining_saturates() {
        let ctx = Context {
            deadline_ms: 1,
            ..Context::for_test().with_request_id("x")
        };
        assert_eq!(ctx.remaining(), Duration::ZERO);
        let later = Context {
            deadline_ms: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_millis() as u64
                + 60_000,
            ..ctx
        };
        assert!(later.remaining() > Duration::from_secs(50));
    }
}

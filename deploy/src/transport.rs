//! Signed HTTP over a blocking `ureq` agent, with bounded retries.
//!
//! Every attempt is signed afresh (a new `X-Amz-Date`). Throttling (429,
//! `TooManyRequestsException`, ...) and 5xx answers, and requests that got no answer at all, are
//! retried with exponential backoff and jitter, at most [`RetryPolicy::max_attempts`] times.
//! Verbose output names the method, path, status, duration and request id: never a header
//! value, a body or a credential.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::credentials::Credentials;
use crate::error::{ApiError, Error};
use crate::sigv4::{self, Scope, SigningSettings};
use crate::time::AmzDate;

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts including the first (1 = no retry).
    pub max_attempts: u32,
    /// Delay before the first retry; doubles each time.
    pub base_delay: Duration,
    /// Upper bound for one delay, including one asked for by `Retry-After`.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// Delay before retry number `retry` (1-based): half fixed, half jitter, capped.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << retry.saturating_sub(1).min(16));
        let capped = exp.min(self.max_delay);
        let half = capped / 2;
        let jitter = half.mul_f64(pseudo_random_unit());
        let d = half + jitter;
        match retry_after {
            Some(ra) => d.max(ra.min(self.max_delay)),
            None => d,
        }
    }
}

/// A number in [0, 1) from the clock: jitter only has to differ between processes.
fn pseudo_random_unit() -> f64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let mut x = u64::from(nanos) ^ 0x9E37_79B9_7F4A_7C15;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// Where verbose lines go.
pub type Logger = Arc<dyn Fn(&str) + Send + Sync>;

/// A logger that writes to standard error.
pub fn stderr_logger() -> Logger {
    Arc::new(|line: &str| eprintln!("{line}"))
}

/// A parsed service URL: scheme, `host[:port]` and a base path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `https`, or `http` on loopback.
    pub scheme: String,
    /// `host[:port]`.
    pub authority: String,
    /// The host alone.
    pub host: String,
    /// A path every request goes under (empty for AWS).
    pub base_path: String,
}

impl Endpoint {
    /// Parses `https://host[:port][/path]`. Plain `http` is accepted only on loopback, so a
    /// signed request (and the code it carries) never crosses a network unencrypted.
    pub fn parse(url: &str) -> Result<Self, Error> {
        let bad = |why: &str| Error::InvalidArgument(format!("endpoint URL {url:?}: {why}"));
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("expected http(s)://host[:port]"))?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "https" && scheme != "http" {
            return Err(bad("scheme must be https (or http on loopback)"));
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if authority.is_empty() || authority.contains('@') {
            return Err(bad("missing host, or user info in the URL"));
        }
        if path.contains(['?', '#']) {
            return Err(bad("query or fragment not allowed"));
        }
        let host = if let Some(v6) = authority.strip_prefix('[') {
            match v6.split_once(']') {
                Some((h, _)) => h.to_string(),
                None => return Err(bad("unclosed '[' in IPv6 host")),
            }
        } else {
            match authority.rsplit_once(':') {
                Some((h, port)) => {
                    if port.parse::<u16>().is_err() {
                        return Err(bad("port is not a number from 0 to 65535"));
                    }
                    h.to_string()
                }
                None => authority.to_string(),
            }
        };
        if scheme == "http" && !is_loopback(&host) {
            return Err(bad(
                "plain http is only allowed for a loopback host (127.0.0.0/8, localhost, [::1])",
            ));
        }
        Ok(Endpoint {
            scheme,
            authority: authority.to_ascii_lowercase(),
            host: host.to_ascii_lowercase(),
            base_path: path.trim_end_matches('/').to_string(),
        })
    }

    /// The host is 127.0.0.0/8, `::1` or `localhost`.
    pub fn is_loopback(&self) -> bool {
        is_loopback(&self.host)
    }
}

fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => false,
    }
}

/// An HTTP answer with lowercase header names.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// The HTTP status.
    pub status: u16,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header named `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `x-amzn-RequestId` or `x-amz-request-id`, when sent.
    pub fn request_id(&self) -> Option<String> {
        ["x-amzn-requestid", "x-amz-request-id", "x-amzn-request-id"]
            .iter()
            .find_map(|h| self.header(h))
            .map(str::to_string)
    }
}

/// One outgoing request, before signing. `path` is already percent-encoded.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// The API operation, for logs and errors.
    pub operation: &'a str,
    /// `GET`, `POST`, ...
    pub method: &'a str,
    /// The path, percent-encoded.
    pub path: &'a str,
    /// The query string, encoded (without `?`).
    pub query: &'a str,
    /// The body's content type.
    pub content_type: Option<&'a str>,
    /// Headers beyond those signing adds.
    pub extra_headers: &'a [(&'a str, &'a str)],
    /// The body.
    pub body: &'a [u8],
    /// When false (Invoke), only throttling is retried: a 5xx or a lost answer may mean the
    /// request already ran, and running it twice is worse than failing.
    pub idempotent: bool,
}

/// Signs and sends requests to one service endpoint.
#[derive(Clone)]
pub struct Transport {
    agent: ureq::Agent,
    endpoint: Endpoint,
    region: String,
    service: String,
    credentials: Credentials,
    retry: RetryPolicy,
    logger: Option<Logger>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("service", &self.service)
            .field("credentials", &self.credentials)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// Responses larger than this are refused (Invoke answers are at most 6 MB).
const MAX_RESPONSE_BYTES: u64 = 32 * 1024 * 1024;

impl Transport {
    /// A transport for one service and region, with the default retry policy.
    pub fn new(
        endpoint: Endpoint,
        region: &str,
        service: &str,
        credentials: Credentials,
    ) -> Result<Self, Error> {
        // Proxies from the environment apply to AWS, never to a local test endpoint.
        let proxy = if endpoint.is_loopback() {
            None
        } else {
            ureq::Proxy::try_from_env()
        };
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(Duration::from_secs(10)))
            // Invoke may run for 15 minutes; nothing else comes close.
            .timeout_global(Some(Duration::from_secs(16 * 60)))
            .user_agent(concat!("rayo-deploy/", env!("CARGO_PKG_VERSION")))
            .proxy(proxy)
            .build();
        Ok(Transport {
            agent: ureq::Agent::new_with_config(config),
            endpoint,
            region: region.to_string(),
            service: service.to_string(),
            credentials,
            retry: RetryPolicy::default(),
            logger: None,
        })
    }

    /// Replaces the retry policy.
    pub fn set_retry_policy(&mut self, retry: RetryPolicy) {
        self.retry = retry;
    }

    /// Verbose request lines (method, path, status, request id; never secrets or bodies).
    pub fn set_logger(&mut self, logger: Option<Logger>) {
        self.logger = logger;
    }

    /// The service's endpoint.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The region it signs for.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Replaces any occurrence of the secret key or session token with a marker.
    fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        let secrets = [
            Some(self.credentials.secret_access_key()),
            self.credentials.session_token(),
        ];
        for s in secrets.into_iter().flatten().filter(|s| s.len() >= 4) {
            out = out.replace(s, "** redacted **");
        }
        out
    }

    fn log(&self, line: &str) {
        if let Some(l) = &self.logger {
            l(line);
        }
    }

    /// Sends with retries. A 2xx or 3xx answer is returned; anything else becomes
    /// [`Error::Api`] (after retries when retryable) or [`Error::Transport`].
    pub fn send(&self, out: &Outgoing<'_>) -> Result<HttpResponse, Error> {
        let max = self.retry.max_attempts.max(1);
        let mut attempt = 1;
        loop {
            let started = Instant::now();
            let result = self.send_once(out);
            let elapsed_ms = started.elapsed().as_millis();
            let (retryable, retry_after, what) = match &result {
                Ok(resp) if resp.status < 400 => {
                    self.log(&format!(
                        "<- {} {} {} in {elapsed_ms} ms [request id {}]",
                        out.operation,
                        resp.status,
                        out.path,
                        resp.request_id().as_deref().unwrap_or("-")
                    ));
                    return result;
                }
                Ok(resp) => {
                    let mut err = parse_api_error(out.operation, resp, attempt);
                    // A service (or a proxy) echoing a request header must not leak the token.
                    err.message = self.scrub(&err.message);
                    self.log(&format!(
                        "<- {} {} {} in {elapsed_ms} ms: {} [request id {}]",
                        out.operation,
                        resp.status,
                        out.path,
                        if err.code.is_empty() { "-" } else { &err.code },
                        err.request_id.as_deref().unwrap_or("-")
                    ));
                    let retry_after = resp
                        .header("retry-after")
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    let what = format!("HTTP {} {}", err.status, err.code);
                    let retry_ok = if out.idempotent {
                        err.is_retryable()
                    } else {
                        err.is_throttling()
                    };
                    if !retry_ok || attempt >= max {
                        return Err(Error::Api(err));
                    }
                    (true, retry_after, what)
                }
                Err(Error::Transport { message, .. }) => {
                    self.log(&format!(
                        "<- {} {}: no answer after {elapsed_ms} ms: {message}",
                        out.operation, out.path
                    ));
                    (out.idempotent, None, "no answer".to_string())
                }
                Err(_) => return result,
            };
            if !retryable || attempt >= max {
                return match result {
                    Err(Error::Transport {
                        operation,
                        url,
                        message,
                        ..
                    }) => Err(Error::Transport {
                        operation,
                        url,
                        message,
                        attempts: attempt,
                    }),
                    other => other,
                };
            }
            let delay = self.retry.delay(attempt, retry_after);
            self.log(&format!(
                "   retrying {} in {} ms after {what} (attempt {}/{max})",
                out.operation,
                delay.as_millis(),
                attempt + 1
            ));
            std::thread::sleep(delay);
            attempt += 1;
        }
    }

    fn send_once(&self, out: &Outgoing<'_>) -> Result<HttpResponse, Error> {
        let path = format!("{}{}", self.endpoint.base_path, out.path);
        let mut headers: Vec<(String, String)> =
            vec![("host".to_string(), self.endpoint.authority.clone())];
        if let Some(ct) = out.content_type {
            headers.push(("content-type".to_string(), ct.to_string()));
        }
        for (k, v) in out.extra_headers {
            headers.push((k.to_string(), v.to_string()));
        }
        let scope = Scope {
            credentials: &self.credentials,
            region: &self.region,
            service: &self.service,
            time: AmzDate::now(),
        };
        let signed = sigv4::sign(
            &sigv4::Request {
                method: out.method,
                path: &path,
                query: out.query,
                headers: &headers,
                body: out.body,
            },
            &scope,
            &SigningSettings::default(),
        );
        headers.extend(signed.headers);

        let mut url = format!(
            "{}://{}{}",
            self.endpoint.scheme, self.endpoint.authority, path
        );
        if !out.query.is_empty() {
            url.push('?');
            url.push_str(out.query);
        }
        self.log(&format!(
            "-> {} {} {}{}{} ({} bytes)",
            out.operation,
            out.method,
            path,
            if out.query.is_empty() { "" } else { "?" },
            out.query,
            out.body.len()
        ));
        let transport_err = |message: String| Error::Transport {
            operation: out.operation.to_string(),
            url: format!(
                "{}://{}{}",
                self.endpoint.scheme, self.endpoint.authority, path
            ),
            message: self.scrub(&message),
            attempts: 1,
        };
        let mut builder = ureq::http::Request::builder()
            .method(out.method)
            .uri(url.as_str());
        for (k, v) in &headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let request = builder
            .body(out.body)
            .map_err(|e| Error::InvalidArgument(format!("cannot build request {url}: {e}")))?;
        let mut response = self
            .agent
            .run(request)
            .map_err(|e| transport_err(e.to_string()))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_vec()
            .map_err(|e| transport_err(format!("reading the response body: {e}")))?;
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

/// Builds an [`ApiError`] from an error answer: JSON (Lambda: `x-amzn-ErrorType` header plus
/// `message`) or XML (IAM: `<Code>`, `<Message>`, `<RequestId>`).
pub fn parse_api_error(operation: &str, resp: &HttpResponse, attempts: u32) -> ApiError {
    let mut code = resp
        .header("x-amzn-errortype")
        .map(|v| v.split(':').next().unwrap_or(v).trim().to_string())
        .unwrap_or_default();
    let mut message = String::new();
    let mut request_id = resp.request_id();
    let text = String::from_utf8_lossy(&resp.body);
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        if let Ok(miniserde::json::Value::Object(obj)) =
            miniserde::json::from_str::<miniserde::json::Value>(trimmed)
        {
            let get = |k: &str| match obj.get(k) {
                Some(miniserde::json::Value::String(s)) => Some(s.clone()),
                _ => None,
            };
            if code.is_empty() {
                if let Some(t) = get("__type")
                    .or_else(|| get("code"))
                    .or_else(|| get("Code"))
                {
                    // `__type` may be `namespace#Code`.
                    code = t.rsplit('#').next().unwrap_or(&t).to_string();
                }
            }
            message = get("message")
                .or_else(|| get("Message"))
                .or_else(|| get("errorMessage"))
                .unwrap_or_default();
        }
    } else if trimmed.starts_with('<') {
        if code.is_empty() {
            code = xml_tag(trimmed, "Code").unwrap_or_default();
        }
        message = xml_tag(trimmed, "Message").unwrap_or_default();
        if request_id.is_none() {
            request_id = xml_tag(trimmed, "RequestId");
        }
    } else if !trimmed.is_empty() {
        // Not an AWS error body (a proxy page, say): keep a short excerpt.
        message = trimmed.chars().take(200).collect();
    }
    ApiError {
        operation: operation.to_string(),
        status: resp.status,
        code,
        message,
        request_id,
        attempts,
    }
}

/// The text of the first `<tag>...</tag>`, entity-decoded: enough for AWS's flat XML answers.
pub fn xml_tag(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&close)?;
    Some(
        xml[start..end]
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_parsing_and_loopback_rule() {
        let e = Endpoint::parse("http://127.0.0.1:5000").unwrap();
        assert_eq!(e.authority, "127.0.0.1:5000");
        assert_eq!(e.host, "127.0.0.1");
        assert!(Endpoint::parse("http://localhost:1/").is_ok());
        assert!(Endpoint::parse("http://[::1]:9000").is_ok());
        let err = Endpoint::parse("http://example.com")
            .unwrap_err()
            .to_string();
        assert!(err.contains("loopback"), "{err}");
        assert!(Endpoint::parse("https://lambda.us-east-1.amazonaws.com").is_ok());
        assert!(Endpoint::parse("ftp://x").is_err());
        assert!(Endpoint::parse("https://h:99999").is_err());
        assert!(Endpoint::parse("http://user:pw@127.0.0.1").is_err());
    }

    #[test]
    fn retry_delay_is_bounded_and_grows() {
        let p = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        };
        for retry in 1..20 {
            let d = p.delay(retry, None);
            assert!(d <= Duration::from_secs(1), "{d:?}");
        }
        assert!(p.delay(1, None) >= Duration::from_millis(50));
        assert!(p.delay(4, None) >= Duration::from_millis(400));
        // Retry-After is honoured but capped.
        assert!(p.delay(1, Some(Duration::from_millis(700))) >= Duration::from_millis(700));
        assert!(p.delay(1, Some(Duration::from_secs(60))) <= Duration::from_secs(1));
    }

    #[test]
    fn parses_lambda_and_iam_errors() {
        let lambda = HttpResponse {
            status: 404,
            headers: vec![
                (
                    "x-amzn-errortype".into(),
                    "ResourceNotFoundException:http://internal.amazon.com/coral/".into(),
                ),
                ("x-amzn-requestid".into(), "req-1".into()),
            ],
            body: br#"{"Type":"User","Message":"Function not found: arn:x"}"#.to_vec(),
        };
        let e = parse_api_error("GetFunctionConfiguration", &lambda, 1);
        assert_eq!(e.code, "ResourceNotFoundException");
        assert_eq!(e.message, "Function not found: arn:x");
        assert_eq!(e.request_id.as_deref(), Some("req-1"));
        let shown = Error::Api(e).to_string();
        assert!(
            shown.contains("HTTP 404") && shown.contains("req-1"),
            "{shown}"
        );

        let iam = HttpResponse {
            status: 409,
            headers: vec![],
            body: b"<ErrorResponse><Error><Type>Sender</Type><Code>EntityAlreadyExists</Code><Message>Role with name r already exists.</Message></Error><RequestId>abc</RequestId></ErrorResponse>".to_vec(),
        };
        let e = parse_api_error("CreateRole", &iam, 1);
        assert_eq!(e.code, "EntityAlreadyExists");
        assert_eq!(e.request_id.as_deref(), Some("abc"));

        let typed = HttpResponse {
            status: 429,
            headers: vec![],
            body: br#"{"__type":"com.amazon#TooManyRequestsException","message":"Rate exceeded"}"#
                .to_vec(),
        };
        let e = parse_api_error("Invoke", &typed, 1);
        assert_eq!(e.code, "TooManyRequestsException");
        assert!(e.is_retryable());
    }
}

//! API Gateway HTTP API payload 2.0, which Function URLs use too.

use std::collections::BTreeMap;

use miniserde::json::Value;
use miniserde::{Deserialize, Serialize};

use crate::b64::push_base64;
use crate::Diagnostic;
#[cfg(feature = "streaming")]
use crate::HttpResponseHead;

/// The request: what API Gateway (HTTP API, payload 2.0) or a Function URL hands the function.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct ApiGatewayV2httpRequest {
    /// `"2.0"`.
    pub version: Option<String>,
    /// `"$default"` for Function URLs; `"GET /pets"` style for API Gateway routes.
    #[serde(rename = "routeKey")]
    pub route_key: Option<String>,
    #[serde(rename = "rawPath")]
    /// The request's path, as the client sent it (not decoded).
    pub raw_path: Option<String>,
    /// Without the `?`; empty when there is no query.
    #[serde(rename = "rawQueryString")]
    pub raw_query_string: Option<String>,
    /// The request's cookies (`name=value`), one per entry; not in `headers`.
    pub cookies: Option<Vec<String>>,
    /// Header names lower-cased; repeated headers joined with commas.
    pub headers: Option<BTreeMap<String, String>>,
    /// Repeated parameters joined with commas.
    #[serde(rename = "queryStringParameters")]
    pub query_string_parameters: Option<BTreeMap<String, String>>,
    #[serde(rename = "pathParameters")]
    /// Values of the route's `{name}` parameters (API Gateway only).
    pub path_parameters: Option<BTreeMap<String, String>>,
    #[serde(rename = "stageVariables")]
    /// The stage's variables (API Gateway only).
    pub stage_variables: Option<BTreeMap<String, String>>,
    #[serde(rename = "requestContext")]
    /// Who called, how, and through which route.
    pub request_context: RequestContext,
    /// The body as sent, or base64 of it when `is_base64_encoded`; see [`Self::body_bytes`].
    pub body: Option<String>,
    #[serde(rename = "isBase64Encoded")]
    /// Whether `body` is base64 (binary bodies); see [`ApiGatewayV2httpRequest::body_bytes`].
    pub is_base64_encoded: Option<bool>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
/// `requestContext` of a payload 2.0 event.
pub struct RequestContext {
    #[serde(rename = "accountId")]
    /// The AWS account that owns the API or URL.
    pub account_id: Option<String>,
    /// The API id, or the Function URL's id.
    #[serde(rename = "apiId")]
    pub api_id: Option<String>,
    #[serde(rename = "domainName")]
    /// The host name the client called.
    pub domain_name: Option<String>,
    #[serde(rename = "domainPrefix")]
    /// The first label of `domain_name`.
    pub domain_prefix: Option<String>,
    /// The HTTP method, path, protocol, source IP and user agent.
    pub http: HttpDescription,
    #[serde(rename = "requestId")]
    /// API Gateway's or the URL's id for this request (not the Lambda request id).
    pub request_id: Option<String>,
    #[serde(rename = "routeKey")]
    /// The route that matched (`$default` for Function URLs).
    pub route_key: Option<String>,
    /// The stage (`$default` for Function URLs).
    pub stage: Option<String>,
    /// `"12/Mar/2020:19:03:58 +0000"`.
    pub time: Option<String>,
    /// Milliseconds since the epoch.
    #[serde(rename = "timeEpoch")]
    pub time_epoch: Option<u64>,
    /// JWT claims and scopes (`{"jwt":{..}}`), IAM caller (`{"iam":{..}}`, Function URLs with
    /// AWS_IAM auth) or a Lambda authorizer's context (`{"lambda":{..}}`), as sent.
    pub authorizer: Option<Value>,
    /// mTLS client certificate details, as sent.
    pub authentication: Option<Value>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
/// `requestContext.http`: required, so another kind of event is refused.
pub struct HttpDescription {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request's path.
    pub path: String,
    /// `HTTP/1.1`, `HTTP/2.0`, ...
    pub protocol: Option<String>,
    #[serde(rename = "sourceIp")]
    /// The client's address.
    pub source_ip: Option<String>,
    #[serde(rename = "userAgent")]
    /// The client's `User-Agent`.
    pub user_agent: Option<String>,
}

impl ApiGatewayV2httpRequest {
    /// The HTTP method (`requestContext.http.method`).
    pub fn method(&self) -> &str {
        &self.request_context.http.method
    }

    /// The request path (`requestContext.http.path`).
    pub fn path(&self) -> &str {
        self.raw_path
            .as_deref()
            .unwrap_or(&self.request_context.http.path)
    }

    /// A header's value; `name` is matched ASCII case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .as_ref()?
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A query parameter's value (repeated parameters come joined with commas).
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query_string_parameters
            .as_ref()?
            .get(name)
            .map(String::as_str)
    }

    /// A path parameter (API Gateway routes like `/pets/{id}`).
    pub fn path_parameter(&self, name: &str) -> Option<&str> {
        self.path_parameters.as_ref()?.get(name).map(String::as_str)
    }

    /// The body's bytes, base64-decoded when `isBase64Encoded`; empty when there is none.
    pub fn body_bytes(&self) -> Result<Vec<u8>, Diagnostic> {
        let body = self.body.as_deref().unwrap_or("");
        if self.is_base64_encoded.unwrap_or(false) {
            crate::b64::decode_base64(body).ok_or_else(|| {
                let shown: String = body.chars().take(40).collect();
                Diagnostic::new(
                    "InvalidEvent",
                    format!("isBase64Encoded is true but the body is not base64: {shown:?}"),
                )
            })
        } else {
            Ok(body.as_bytes().to_vec())
        }
    }

    /// A string claim of the JWT authorizer (`requestContext.authorizer.jwt.claims`).
    pub fn jwt_claim(&self, name: &str) -> Option<&str> {
        let Some(Value::Object(authorizer)) = &self.request_context.authorizer else {
            return None;
        };
        let Some(Value::Object(jwt)) = authorizer.get("jwt") else {
            return None;
        };
        let Some(Value::Object(claims)) = jwt.get("claims") else {
            return None;
        };
        match claims.get(name) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        }
    }
}

/// The response a function returns to API Gateway (payload 2.0) or a Function URL.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct ApiGatewayV2httpResponse {
    #[serde(rename = "statusCode")]
    /// The HTTP status.
    pub status_code: u16,
    /// Response headers; a repeated header once, its values joined with commas.
    pub headers: BTreeMap<String, String>,
    /// Each becomes a `Set-Cookie` header.
    pub cookies: Vec<String>,
    /// The body: text, or base64 when `is_base64_encoded`.
    pub body: String,
    #[serde(rename = "isBase64Encoded")]
    /// Whether `body` is base64 of the bytes to send.
    pub is_base64_encoded: bool,
}

impl ApiGatewayV2httpResponse {
    /// A text body, sent as is.
    pub fn text(status_code: u16, body: impl Into<String>) -> Self {
        ApiGatewayV2httpResponse {
            status_code,
            headers: BTreeMap::new(),
            cookies: Vec::new(),
            body: body.into(),
            is_base64_encoded: false,
        }
    }

    /// A binary body, sent base64-encoded (`isBase64Encoded: true`); the caller gets the bytes.
    pub fn binary(status_code: u16, body: &[u8]) -> Self {
        let mut b64 = Vec::with_capacity(body.len().div_ceil(3) * 4);
        push_base64(&mut b64, body);
        ApiGatewayV2httpResponse {
            // The alphabet is ASCII: this is always valid UTF-8.
            body: String::from_utf8_lossy(&b64).into_owned(),
            is_base64_encoded: true,
            ..ApiGatewayV2httpResponse::text(status_code, "")
        }
    }

    /// Adds a response header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.insert(name.into(), value.into());
        self
    }

    /// Adds a `Set-Cookie` value.
    pub fn cookie(mut self, cookie: impl Into<String>) -> Self {
        self.cookies.push(cookie.into());
        self
    }

    /// Status, headers and cookies, as the prelude of a streamed Function URL response
    /// ([`crate::ResponseStream::start_http_response`]); the body is then streamed.
    #[cfg(feature = "streaming")]
    pub fn head(&self) -> HttpResponseHead {
        HttpResponseHead {
            status_code: self.status_code,
            headers: self
                .headers
                .iter()
                .map(|(n, v)| (n.clone(), v.clone()))
                .collect(),
            cookies: self.cookies.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::b64::decode_base64;
    use miniserde::json;

    const API_GATEWAY: &str = include_str!("fixtures/apigw_v2_jwt.json");
    const FUNCTION_URL: &str = include_str!("fixtures/function_url_iam.json");
    const FUNCTION_URL_BINARY: &str = include_str!("fixtures/function_url_binary.json");

    #[test]
    fn an_api_gateway_http_api_request_decodes() {
        let r: ApiGatewayV2httpRequest = json::from_str(API_GATEWAY).unwrap();
        assert_eq!(r.version.as_deref(), Some("2.0"));
        assert_eq!(r.route_key.as_deref(), Some("POST /pets/{id}"));
        assert_eq!(r.method(), "POST");
        assert_eq!(r.path(), "/prod/pets/42");
        assert_eq!(r.raw_query_string.as_deref(), Some("tag=a&tag=b&limit=5"));
        assert_eq!(r.query("tag"), Some("a,b"));
        assert_eq!(r.query("limit"), Some("5"));
        assert_eq!(r.query("nope"), None);
        assert_eq!(r.path_parameter("id"), Some("42"));
        assert_eq!(r.header("Content-Type"), Some("application/json"));
        assert_eq!(
            r.header("x-forwarded-for"),
            Some("198.51.100.7, 203.0.113.9")
        );
        assert_eq!(
            r.cookies.as_deref(),
            Some(&["theme=dark".to_string(), "session=s3cr3t".to_string()][..])
        );
        assert_eq!(r.body_bytes().unwrap(), br#"{"name":"Rex","kind":"dog"}"#);
        assert_eq!(r.jwt_claim("sub"), Some("user-123"));
        assert_eq!(r.jwt_claim("exp"), None, "a number is not a string claim");
        let ctx = &r.request_context;
        assert_eq!(ctx.time_epoch, Some(1_764_000_000_123));
        assert_eq!(ctx.http.source_ip.as_deref(), Some("198.51.100.7"));
        assert_eq!(ctx.stage.as_deref(), Some("prod"));
        assert_eq!(r.stage_variables.as_ref().unwrap()["table"], "pets-prod");
    }

    #[test]
    fn a_function_url_request_decodes() {
        let r: ApiGatewayV2httpRequest = json::from_str(FUNCTION_URL).unwrap();
        assert_eq!(r.route_key.as_deref(), Some("$default"));
        assert_eq!(r.method(), "GET");
        assert_eq!(r.path(), "/report");
        assert_eq!(r.raw_query_string.as_deref(), Some(""));
        assert!(r.query_string_parameters.is_none(), "absent");
        assert!(r.path_parameters.is_none(), "null");
        assert!(r.cookies.is_none());
        assert_eq!(r.body_bytes().unwrap(), b"");
        assert_eq!(r.jwt_claim("sub"), None, "an IAM authorizer has no JWT");
        let Some(Value::Object(auth)) = &r.request_context.authorizer else {
            panic!(
                "the IAM authorizer is kept: {:?}",
                r.request_context.authorizer
            );
        };
        assert!(auth.get("iam").is_some());
        assert_eq!(
            r.request_context.domain_prefix.as_deref(),
            Some("abcdefghijklmnopqrstuvwxyz012345")
        );
    }

    #[test]
    fn a_base64_body_is_decoded() {
        let r: ApiGatewayV2httpRequest = json::from_str(FUNCTION_URL_BINARY).unwrap();
        assert_eq!(r.is_base64_encoded, Some(true));
        assert_eq!(
            r.body_bytes().unwrap(),
            [0x00, 0xff, 0x10, b'r', b'a', b'y', b'o']
        );
        let bad = ApiGatewayV2httpRequest {
            body: Some("not base64!".into()),
            ..r
        };
        let e = bad.body_bytes().unwrap_err();
        assert_eq!(e.error_type, "InvalidEvent");
        assert!(e.error_message.contains("not base64!"), "{e}");
    }

    #[test]
    fn other_events_are_refused_not_half_read() {
        for not_http in [
            r#"{"Records":[{"eventSource":"aws:s3"}]}"#,
            r#"{"requestContext":{"http":{"path":"/no-method"}}}"#,
            r#"{"version":"2.0","requestContext":{"http":{"method":1,"path":"/"}}}"#,
            "[]",
            "",
        ] {
            assert!(
                json::from_str::<ApiGatewayV2httpRequest>(not_http).is_err(),
                "{not_http}"
            );
        }
        let minimal = r#"{"requestContext":{"http":{"method":"GET","path":"/"}}}"#;
        let r: ApiGatewayV2httpRequest = json::from_str(minimal).unwrap();
        assert_eq!((r.method(), r.path()), ("GET", "/"));
    }

    #[test]
    fn a_request_survives_a_round_trip() {
        let r: ApiGatewayV2httpRequest = json::from_str(API_GATEWAY).unwrap();
        let again: ApiGatewayV2httpRequest = json::from_str(&json::to_string(&r)).unwrap();
        assert_eq!(again.headers, r.headers);
        assert_eq!(again.body, r.body);
        assert_eq!(again.jwt_claim("sub"), Some("user-123"));
        assert_eq!(
            again.request_context.time_epoch,
            r.request_context.time_epoch
        );
    }

    #[test]
    fn responses_encode_as_both_services_expect() {
        let r = ApiGatewayV2httpResponse::text(404, "no \"pet\" here")
            .header("content-type", "text/plain")
            .cookie("seen=1; Max-Age=60");
        assert_eq!(
            json::to_string(&r),
            r#"{"statusCode":404,"headers":{"content-type":"text/plain"},"cookies":["seen=1; Max-Age=60"],"body":"no \"pet\" here","isBase64Encoded":false}"#
        );
        let b = ApiGatewayV2httpResponse::binary(200, &[0, 0xff, b'x']);
        assert_eq!(b.body, "AP94");
        assert!(b.is_base64_encoded);
        let back: ApiGatewayV2httpResponse = json::from_str(&json::to_string(&b)).unwrap();
        assert_eq!(back.body, "AP94");
        #[cfg(feature = "streaming")]
        {
            let head = r.head();
            assert_eq!(head.status_code, 404);
            assert_eq!(
                head.to_json(),
                br#"{"statusCode":404,"headers":{"content-type":"text/plain"},"cookies":["seen=1; Max-Age=60"]}"#
            );
        }
    }

    #[test]
    fn typed_handlers_work_through_service_fn() {
        use crate::{service_fn, Context, Handler, LambdaEvent};
        let mut h = service_fn(|e: LambdaEvent<ApiGatewayV2httpRequest>| {
            let body = e.payload.body_bytes()?;
            Ok::<_, Diagnostic>(ApiGatewayV2httpResponse::text(
                200,
                format!("{} {} {}", e.payload.method(), e.payload.path(), body.len()),
            ))
        });
        let out = h
            .call(
                API_GATEWAY.as_bytes(),
                &Context::for_test().with_request_id("r"),
            )
            .unwrap();
        let resp: ApiGatewayV2httpResponse =
            json::from_str(std::str::from_utf8(&out).unwrap()).unwrap();
        assert_eq!(resp.body, "POST /prod/pets/42 27");
        let e = h
            .call(
                br#"{"Records":[]}"#,
                &Context::for_test().with_request_id("r"),
            )
            .unwrap_err();
        assert_eq!(e.error_type, "InvalidEvent");
    }

    #[test]
    fn base64_decoding_is_strict() {
        assert_eq!(decode_base64("").unwrap(), b"");
        assert_eq!(decode_base64("Zg==").unwrap(), b"f");
        assert_eq!(decode_base64("Zm9vYg").unwrap(), b"foob");
        for bad in ["Z", "Zm9v!", "Zg===", "Zm 9v", "Zm9v\n"] {
            assert_eq!(decode_base64(bad), None, "{bad:?}");
        }
    }
}

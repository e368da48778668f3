//! The Lambda REST API (version 2015-03-31) over [`Transport`].

use std::time::{Duration, Instant};

use miniserde::json::{self, Array, Number, Object, Value};

use crate::credentials::Credentials;
use crate::encoding::{base64_decode, base64_encode, uri_encode};
use crate::error::Error;
use crate::transport::{Endpoint, HttpResponse, Logger, Outgoing, RetryPolicy, Transport};

const API: &str = "/2015-03-31/functions";

/// The parts of a function's configuration deploy and the benchmark read. Fields Lambda did not
/// send are empty / `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FunctionConfiguration {
    /// `FunctionName`.
    pub function_name: String,
    /// `FunctionArn`.
    pub function_arn: String,
    /// `Runtime`, e.g. `provided.al2023`.
    pub runtime: Option<String>,
    /// `Role`: the execution role's ARN.
    pub role: Option<String>,
    /// `Handler`.
    pub handler: Option<String>,
    /// `CodeSize`, bytes.
    pub code_size: Option<u64>,
    /// Base64 of the zip's SHA-256, as Lambda reports it.
    pub code_sha256: String,
    /// `Description`.
    pub description: Option<String>,
    /// `Timeout`, seconds.
    pub timeout: Option<u32>,
    /// `MemorySize`, MB.
    pub memory_size: Option<u32>,
    /// `LastModified`.
    pub last_modified: Option<String>,
    /// `Version`.
    pub version: Option<String>,
    /// `Pending`, `Active`, `Inactive` or `Failed`.
    pub state: Option<String>,
    /// `StateReason`.
    pub state_reason: Option<String>,
    /// `StateReasonCode`.
    pub state_reason_code: Option<String>,
    /// `InProgress`, `Successful` or `Failed`.
    pub last_update_status: Option<String>,
    /// `LastUpdateStatusReason`.
    pub last_update_status_reason: Option<String>,
    /// `LastUpdateStatusReasonCode`.
    pub last_update_status_reason_code: Option<String>,
    /// Environment variables, sorted by name.
    pub environment: Vec<(String, String)>,
    /// `Architectures`.
    pub architectures: Vec<String>,
    /// `PackageType` (`Zip` or `Image`).
    pub package_type: Option<String>,
    /// `RevisionId`.
    pub revision_id: Option<String>,
}

/// `GetFunction`: the configuration plus where the code can be downloaded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FunctionInfo {
    /// The configuration.
    pub configuration: FunctionConfiguration,
    /// A presigned URL to download the code.
    pub code_location: Option<String>,
    /// `S3` for zips.
    pub code_repository_type: Option<String>,
}

/// An alias and the version it points at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AliasConfiguration {
    /// The alias's name.
    pub name: String,
    /// Its ARN.
    pub alias_arn: String,
    /// The version it points at.
    pub function_version: String,
    /// Its description.
    pub description: Option<String>,
}

/// `UpdateFunctionConfiguration`: only the fields that are `Some` are sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigUpdate {
    /// MB.
    pub memory_size: Option<u32>,
    /// Seconds.
    pub timeout: Option<u32>,
    /// The full set of variables: Lambda replaces the map, it does not merge.
    pub environment: Option<Vec<(String, String)>>,
    /// The description.
    pub description: Option<String>,
    /// The execution role's ARN.
    pub role: Option<String>,
    /// The runtime, e.g. `provided.al2023`.
    pub runtime: Option<String>,
    /// The handler.
    pub handler: Option<String>,
}

impl ConfigUpdate {
    /// Nothing to change.
    pub fn is_empty(&self) -> bool {
        *self == ConfigUpdate::default()
    }
}

/// `CreateFunction` for a zip package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateFunction<'a> {
    /// The function's name.
    pub function_name: &'a str,
    /// The execution role's ARN.
    pub role: &'a str,
    /// The zip, sent inline (at most 50 MB).
    pub zip: &'a [u8],
    /// `arm64` or `x86_64`.
    pub architecture: &'a str,
    /// `provided.al2023` for rayo.
    pub runtime: &'a str,
    /// `bootstrap` for custom runtimes (Lambda requires a value but does not use it).
    pub handler: &'a str,
    /// MB; Lambda's default when `None`.
    pub memory_size: Option<u32>,
    /// Seconds; Lambda's default when `None`.
    pub timeout: Option<u32>,
    /// Environment variables.
    pub environment: Vec<(String, String)>,
    /// The description.
    pub description: Option<&'a str>,
    /// Publish version 1 with the creation.
    pub publish: bool,
}

/// The answer to `Invoke`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvokeOutput {
    /// The HTTP status (200 for a synchronous invocation).
    pub status: u16,
    /// The function's response, or its error JSON.
    pub payload: Vec<u8>,
    /// `Unhandled` or `Handled` when the function failed (`X-Amz-Function-Error`).
    pub function_error: Option<String>,
    /// The last 4 KB of the log, base64-decoded, when `log_tail` was asked for.
    pub log_result: Option<String>,
    /// `X-Amz-Executed-Version`.
    pub executed_version: Option<String>,
    /// `x-amzn-RequestId`.
    pub request_id: Option<String>,
}

/// A blocking Lambda client.
#[derive(Debug, Clone)]
pub struct LambdaClient {
    transport: Transport,
}

/// The public endpoint of a service in a region.
pub fn default_endpoint(service: &str, region: &str) -> String {
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!("https://{service}.{region}.{suffix}")
}

/// Percent-encodes one path segment (a function name may be an ARN with `:`).
fn seg(s: &str) -> String {
    uri_encode(s.as_bytes(), false)
}

impl LambdaClient {
    /// A client for `region`; `endpoint_url` overrides the public endpoint (e.g. moto on
    /// `http://127.0.0.1:PORT`; plain http only on loopback).
    pub fn new(
        region: &str,
        creds: Credentials,
        endpoint_url: Option<&str>,
    ) -> Result<Self, Error> {
        let url = match endpoint_url {
            Some(u) => u.to_string(),
            None => default_endpoint("lambda", region),
        };
        let endpoint = Endpoint::parse(&url)?;
        Ok(LambdaClient {
            transport: Transport::new(endpoint, region, "lambda", creds)?,
        })
    }

    /// Credentials and region found as the AWS CLI finds them (see [`crate::credentials`]),
    /// then [`LambdaClient::new`].
    pub fn from_env(
        profile: Option<&str>,
        region: Option<&str>,
        endpoint_url: Option<&str>,
    ) -> Result<Self, Error> {
        let creds = crate::credentials::load_credentials(profile)?;
        let region = crate::credentials::resolve_region(region, profile)?;
        Self::new(&region, creds, endpoint_url)
    }

    /// Retries for throttling and 5xx (default: 5 attempts, 200 ms doubling, 10 s cap).
    pub fn set_retry_policy(&mut self, retry: RetryPolicy) {
        self.transport.set_retry_policy(retry);
    }

    /// Verbose request lines (method, path, status, request id; never secrets or bodies).
    pub fn set_logger(&mut self, logger: Option<Logger>) {
        self.transport.set_logger(logger);
    }

    /// The region the client signs for.
    pub fn region(&self) -> &str {
        self.transport.region()
    }

    fn call(
        &self,
        operation: &str,
        method: &str,
        path: &str,
        query: &str,
        body: Option<&Value>,
    ) -> Result<HttpResponse, Error> {
        let body_text = body.map(json::to_string);
        self.transport.send(&Outgoing {
            operation,
            method,
            path,
            query,
            content_type: body_text.as_ref().map(|_| "application/json"),
            extra_headers: &[],
            body: body_text.as_deref().map_or(&[][..], str::as_bytes),
            idempotent: true,
        })
    }

    fn call_config(
        &self,
        operation: &str,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<FunctionConfiguration, Error> {
        let resp = self.call(operation, method, path, "", body)?;
        let obj = parse_object(operation, &resp.body)?;
        Ok(config_from(&obj))
    }

    /// `GetFunctionConfiguration`. A missing function gives an error for which
    /// [`Error::is_resource_not_found`] is true.
    pub fn get_function_configuration(&self, name: &str) -> Result<FunctionConfiguration, Error> {
        self.call_config(
            "GetFunctionConfiguration",
            "GET",
            &format!("{API}/{}/configuration", seg(name)),
            None,
        )
    }

    /// `GetFunction`.
    pub fn get_function(&self, name: &str) -> Result<FunctionInfo, Error> {
        let op = "GetFunction";
        let resp = self.call(op, "GET", &format!("{API}/{}", seg(name)), "", None)?;
        let obj = parse_object(op, &resp.body)?;
        let configuration = match obj.get("Configuration") {
            Some(Value::Object(c)) => config_from(c),
            _ => {
                return Err(Error::InvalidResponse {
                    operation: op.into(),
                    message: "no Configuration object".into(),
                })
            }
        };
        let code = match obj.get("Code") {
            Some(Value::Object(c)) => Some(c),
            _ => None,
        };
        Ok(FunctionInfo {
            configuration,
            code_location: code.and_then(|c| get_str(c, "Location")),
            code_repository_type: code.and_then(|c| get_str(c, "RepositoryType")),
        })
    }

    /// `CreateFunction` with the zip inline.
    pub fn create_function(&self, f: &CreateFunction<'_>) -> Result<FunctionConfiguration, Error> {
        let mut body = Object::new();
        put_str(&mut body, "FunctionName", f.function_name);
        put_str(&mut body, "Role", f.role);
        put_str(&mut body, "Runtime", f.runtime);
        put_str(&mut body, "Handler", f.handler);
        put_str(&mut body, "PackageType", "Zip");
        let mut code = Object::new();
        put_str(&mut code, "ZipFile", &base64_encode(f.zip));
        body.insert("Code".into(), Value::Object(code));
        body.insert("Architectures".into(), str_array(&[f.architecture]));
        if let Some(m) = f.memory_size {
            body.insert("MemorySize".into(), num(m));
        }
        if let Some(t) = f.timeout {
            body.insert("Timeout".into(), num(t));
        }
        if !f.environment.is_empty() {
            body.insert("Environment".into(), env_value(&f.environment));
        }
        if let Some(d) = f.description {
            put_str(&mut body, "Description", d);
        }
        body.insert("Publish".into(), Value::Bool(f.publish));
        self.call_config("CreateFunction", "POST", API, Some(&Value::Object(body)))
    }

    /// `UpdateFunctionCode` with the zip inline; `architecture` switches arm64/x86_64.
    pub fn update_function_code(
        &self,
        name: &str,
        zip: &[u8],
        architecture: Option<&str>,
        publish: bool,
    ) -> Result<FunctionConfiguration, Error> {
        let mut body = Object::new();
        put_str(&mut body, "ZipFile", &base64_encode(zip));
        if let Some(a) = architecture {
            body.insert("Architectures".into(), str_array(&[a]));
        }
        body.insert("Publish".into(), Value::Bool(publish));
        self.call_config(
            "UpdateFunctionCode",
            "PUT",
            &format!("{API}/{}/code", seg(name)),
            Some(&Value::Object(body)),
        )
    }

    /// `UpdateFunctionConfiguration`: memory, timeout, the full environment map, description
    /// (and role, runtime, handler when set).
    pub fn update_function_configuration(
        &self,
        name: &str,
        update: &ConfigUpdate,
    ) -> Result<FunctionConfiguration, Error> {
        let mut body = Object::new();
        if let Some(m) = update.memory_size {
            body.insert("MemorySize".into(), num(m));
        }
        if let Some(t) = update.timeout {
            body.insert("Timeout".into(), num(t));
        }
        if let Some(env) = &update.environment {
            body.insert("Environment".into(), env_value(env));
        }
        if let Some(d) = &update.description {
            put_str(&mut body, "Description", d);
        }
        if let Some(r) = &update.role {
            put_str(&mut body, "Role", r);
        }
        if let Some(r) = &update.runtime {
            put_str(&mut body, "Runtime", r);
        }
        if let Some(h) = &update.handler {
            put_str(&mut body, "Handler", h);
        }
        self.call_config(
            "UpdateFunctionConfiguration",
            "PUT",
            &format!("{API}/{}/configuration", seg(name)),
            Some(&Value::Object(body)),
        )
    }

    /// Polls `GetFunctionConfiguration` until `State` is `Active` (or `Inactive`, which Lambda
    /// leaves on the next update or invoke) and `LastUpdateStatus` is `Successful` (or absent),
    /// with backoff from 250 ms to 5 s, for at most `max_wait`.
    /// `Failed` in either gives [`Error::FunctionFailed`] with Lambda's reason.
    pub fn wait_until_updated(
        &self,
        name: &str,
        max_wait: Duration,
    ) -> Result<FunctionConfiguration, Error> {
        let started = Instant::now();
        let mut delay = Duration::from_millis(250);
        loop {
            let c = self.get_function_configuration(name)?;
            if let Some(done) = settled(name, &c)? {
                return Ok(done);
            }
            let waited = started.elapsed();
            if waited >= max_wait {
                return Err(Error::WaitTimeout {
                    function: name.to_string(),
                    waited,
                    last_state: describe_state(&c),
                });
            }
            std::thread::sleep(delay.min(max_wait.saturating_sub(waited)));
            delay = (delay * 3 / 2).min(Duration::from_secs(5));
        }
    }

    /// `PublishVersion`; `code_sha256` makes Lambda refuse if the code changed meanwhile.
    pub fn publish_version(
        &self,
        name: &str,
        code_sha256: Option<&str>,
        description: Option<&str>,
    ) -> Result<FunctionConfiguration, Error> {
        let mut body = Object::new();
        if let Some(s) = code_sha256 {
            put_str(&mut body, "CodeSha256", s);
        }
        if let Some(d) = description {
            put_str(&mut body, "Description", d);
        }
        self.call_config(
            "PublishVersion",
            "POST",
            &format!("{API}/{}/versions", seg(name)),
            Some(&Value::Object(body)),
        )
    }

    /// `GetAlias`.
    pub fn get_alias(&self, name: &str, alias: &str) -> Result<AliasConfiguration, Error> {
        let op = "GetAlias";
        let path = format!("{API}/{}/aliases/{}", seg(name), seg(alias));
        let resp = self.call(op, "GET", &path, "", None)?;
        Ok(alias_from(&parse_object(op, &resp.body)?))
    }

    /// `CreateAlias` pointing at `version`.
    pub fn create_alias(
        &self,
        name: &str,
        alias: &str,
        version: &str,
        description: Option<&str>,
    ) -> Result<AliasConfiguration, Error> {
        let op = "CreateAlias";
        let mut body = Object::new();
        put_str(&mut body, "Name", alias);
        put_str(&mut body, "FunctionVersion", version);
        if let Some(d) = description {
            put_str(&mut body, "Description", d);
        }
        let path = format!("{API}/{}/aliases", seg(name));
        let resp = self.call(op, "POST", &path, "", Some(&Value::Object(body)))?;
        Ok(alias_from(&parse_object(op, &resp.body)?))
    }

    /// `UpdateAlias` to point at `version`.
    pub fn update_alias(
        &self,
        name: &str,
        alias: &str,
        version: &str,
    ) -> Result<AliasConfiguration, Error> {
        let op = "UpdateAlias";
        let mut body = Object::new();
        put_str(&mut body, "FunctionVersion", version);
        let path = format!("{API}/{}/aliases/{}", seg(name), seg(alias));
        let resp = self.call(op, "PUT", &path, "", Some(&Value::Object(body)))?;
        Ok(alias_from(&parse_object(op, &resp.body)?))
    }

    /// `DeleteFunction` (all versions).
    pub fn delete_function(&self, name: &str) -> Result<(), Error> {
        self.call(
            "DeleteFunction",
            "DELETE",
            &format!("{API}/{}", seg(name)),
            "",
            None,
        )
        .map(|_| ())
    }

    /// `Invoke` (RequestResponse) of `$LATEST`.
    pub fn invoke(
        &self,
        name: &str,
        payload: &[u8],
        log_tail: bool,
    ) -> Result<InvokeOutput, Error> {
        self.invoke_qualified(name, None, payload, log_tail)
    }

    /// `Invoke` (RequestResponse) of a version or alias. Only throttling is retried: after a
    /// 5xx or a lost answer the function may have run, and a second run would skew timings.
    pub fn invoke_qualified(
        &self,
        name: &str,
        qualifier: Option<&str>,
        payload: &[u8],
        log_tail: bool,
    ) -> Result<InvokeOutput, Error> {
        let query = qualifier
            .map(|q| format!("Qualifier={}", seg(q)))
            .unwrap_or_default();
        let mut headers: Vec<(&str, &str)> = vec![("x-amz-invocation-type", "RequestResponse")];
        if log_tail {
            headers.push(("x-amz-log-type", "Tail"));
        }
        let resp = self.transport.send(&Outgoing {
            operation: "Invoke",
            method: "POST",
            path: &format!("{API}/{}/invocations", seg(name)),
            query: &query,
            content_type: Some("application/json"),
            extra_headers: &headers,
            body: payload,
            idempotent: false,
        })?;
        let log_result = match resp.header("x-amz-log-result") {
            Some(b64) => match base64_decode(b64) {
                Some(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
                None => {
                    return Err(Error::InvalidResponse {
                        operation: "Invoke".into(),
                        message: "X-Amz-Log-Result is not base64".into(),
                    })
                }
            },
            None => None,
        };
        Ok(InvokeOutput {
            status: resp.status,
            function_error: resp.header("x-amz-function-error").map(str::to_string),
            log_result,
            executed_version: resp.header("x-amz-executed-version").map(str::to_string),
            request_id: resp.request_id(),
            payload: resp.body,
        })
    }
}

/// `Some(config)` when settled, `None` while still changing, an error when failed.
fn settled(name: &str, c: &FunctionConfiguration) -> Result<Option<FunctionConfiguration>, Error> {
    if c.state.as_deref() == Some("Failed") {
        return Err(Error::FunctionFailed {
            function: name.to_string(),
            status: "State=Failed".into(),
            reason: reason(&c.state_reason_code, &c.state_reason),
        });
    }
    if c.last_update_status.as_deref() == Some("Failed") {
        return Err(Error::FunctionFailed {
            function: name.to_string(),
            status: "LastUpdateStatus=Failed".into(),
            reason: reason(
                &c.last_update_status_reason_code,
                &c.last_update_status_reason,
            ),
        });
    }
    // `Inactive` (idle, resources reclaimed) is not a change in progress: the next update or
    // invoke reactivates it, so waiting for `Active` there would only time out.
    let active = c
        .state
        .as_deref()
        .is_none_or(|s| s == "Active" || s == "Inactive");
    let updated = c
        .last_update_status
        .as_deref()
        .is_none_or(|s| s == "Successful");
    Ok((active && updated).then(|| c.clone()))
}

fn reason(code: &Option<String>, text: &Option<String>) -> String {
    match (code, text) {
        (Some(c), Some(t)) => format!("{c}: {t}"),
        (None, Some(t)) => t.clone(),
        (Some(c), None) => c.clone(),
        (None, None) => "(Lambda gave no reason)".into(),
    }
}

fn describe_state(c: &FunctionConfiguration) -> String {
    format!(
        "State={} LastUpdateStatus={}",
        c.state.as_deref().unwrap_or("-"),
        c.last_update_status.as_deref().unwrap_or("-")
    )
}

fn parse_object(operation: &str, body: &[u8]) -> Result<Object, Error> {
    let text = std::str::from_utf8(body).map_err(|_| Error::InvalidResponse {
        operation: operation.into(),
        message: "body is not UTF-8".into(),
    })?;
    match json::from_str::<Value>(text) {
        Ok(Value::Object(o)) => Ok(o),
        _ => Err(Error::InvalidResponse {
            operation: operation.into(),
            message: format!(
                "expected a JSON object, got {:?}",
                text.chars().take(120).collect::<String>()
            ),
        }),
    }
}

fn get_str(o: &Object, key: &str) -> Option<String> {
    match o.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    }
}

fn get_u64(o: &Object, key: &str) -> Option<u64> {
    match o.get(key) {
        Some(Value::Number(Number::U64(n))) => Some(*n),
        Some(Value::Number(Number::I64(n))) => u64::try_from(*n).ok(),
        Some(Value::Number(Number::F64(f))) if *f >= 0.0 && f.fract() == 0.0 => Some(*f as u64),
        _ => None,
    }
}

fn get_u32(o: &Object, key: &str) -> Option<u32> {
    get_u64(o, key).and_then(|n| u32::try_from(n).ok())
}

fn config_from(o: &Object) -> FunctionConfiguration {
    let mut environment: Vec<(String, String)> = match o.get("Environment") {
        Some(Value::Object(env)) => match env.get("Variables") {
            Some(Value::Object(vars)) => vars
                .iter()
                .filter_map(|(k, v)| match v {
                    Value::String(s) => Some((k.clone(), s.clone())),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    environment.sort();
    let architectures = match o.get("Architectures") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    FunctionConfiguration {
        function_name: get_str(o, "FunctionName").unwrap_or_default(),
        function_arn: get_str(o, "FunctionArn").unwrap_or_default(),
        runtime: get_str(o, "Runtime"),
        role: get_str(o, "Role"),
        handler: get_str(o, "Handler"),
        code_size: get_u64(o, "CodeSize"),
        code_sha256: get_str(o, "CodeSha256").unwrap_or_default(),
        description: get_str(o, "Description"),
        timeout: get_u32(o, "Timeout"),
        memory_size: get_u32(o, "MemorySize"),
        last_modified: get_str(o, "LastModified"),
        version: get_str(o, "Version"),
        state: get_str(o, "State"),
        state_reason: get_str(o, "StateReason"),
        state_reason_code: get_str(o, "StateReasonCode"),
        last_update_status: get_str(o, "LastUpdateStatus"),
        last_update_status_reason: get_str(o, "LastUpdateStatusReason"),
        last_update_status_reason_code: get_str(o, "LastUpdateStatusReasonCode"),
        environment,
        architectures,
        package_type: get_str(o, "PackageType"),
        revision_id: get_str(o, "RevisionId"),
    }
}

fn alias_from(o: &Object) -> AliasConfiguration {
    AliasConfiguration {
        name: get_str(o, "Name").unwrap_or_default(),
        alias_arn: get_str(o, "AliasArn").unwrap_or_default(),
        function_version: get_str(o, "FunctionVersion").unwrap_or_default(),
        description: get_str(o, "Description"),
    }
}

fn put_str(o: &mut Object, key: &str, value: &str) {
    o.insert(key.to_string(), Value::String(value.to_string()));
}

fn num(n: u32) -> Value {
    Value::Number(Number::U64(u64::from(n)))
}

fn str_array(items: &[&str]) -> Value {
    let mut a = Array::new();
    for i in items {
        a.push(Value::String((*i).to_string()));
    }
    Value::Array(a)
}

fn env_value(vars: &[(String, String)]) -> Value {
    let mut v = Object::new();
    for (k, val) in vars {
        v.insert(k.clone(), Value::String(val.clone()));
    }
    let mut env = Object::new();
    env.insert("Variables".into(), Value::Object(v));
    Value::Object(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(state: Option<&str>, update: Option<&str>) -> FunctionConfiguration {
        FunctionConfiguration {
            state: state.map(str::to_string),
            last_update_status: update.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn settled_rules() {
        assert!(settled("f", &cfg(Some("Active"), Some("Successful")))
            .unwrap()
            .is_some());
        assert!(settled("f", &cfg(Some("Active"), None)).unwrap().is_some());
        assert!(settled("f", &cfg(Some("Pending"), None)).unwrap().is_none());
        assert!(settled("f", &cfg(Some("Inactive"), Some("Successful")))
            .unwrap()
            .is_some());
        assert!(settled("f", &cfg(Some("Active"), Some("InProgress")))
            .unwrap()
            .is_none());
        let mut failed = cfg(Some("Active"), Some("Failed"));
        failed.last_update_status_reason = Some("bad zip".into());
        let e = settled("f", &failed).unwrap_err().to_string();
        assert!(
            e.contains("bad zip") && e.contains("LastUpdateStatus=Failed"),
            "{e}"
        );
        let e = settled("f", &cfg(Some("Failed"), None))
            .unwrap_err()
            .to_string();
        assert!(e.contains("State=Failed"), "{e}");
    }

    #[test]
    fn parses_a_configuration() {
        let text = r#"{"FunctionName":"f","FunctionArn":"arn:aws:lambda:us-east-1:1:function:f",
            "Runtime":"provided.al2023","CodeSha256":"abc=","MemorySize":128,"Timeout":10,
            "Environment":{"Variables":{"B":"2","A":"1"}},"Architectures":["arm64"],
            "State":"Active","LastUpdateStatus":"Successful","Version":"$LATEST","CodeSize":12}"#;
        let o = parse_object("t", text.as_bytes()).unwrap();
        let c = config_from(&o);
        assert_eq!(c.function_name, "f");
        assert_eq!(c.memory_size, Some(128));
        assert_eq!(c.timeout, Some(10));
        assert_eq!(c.code_size, Some(12));
        assert_eq!(
            c.environment,
            vec![("A".into(), "1".into()), ("B".into(), "2".into())]
        );
        assert_eq!(c.architectures, vec!["arm64".to_string()]);
        assert!(parse_object("t", b"[1]").is_err());
    }

    #[test]
    fn endpoints() {
        assert_eq!(
            default_endpoint("lambda", "eu-west-1"),
            "https://lambda.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            default_endpoint("lambda", "cn-north-1"),
            "https://lambda.cn-north-1.amazonaws.com.cn"
        );
    }
}

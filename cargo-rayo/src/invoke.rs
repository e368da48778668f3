//! `cargo rayo invoke`: one event to the invoke endpoint `watch` serves; the answer on
//! stdout, exit status 1 when the function answered with an error.

use std::time::Duration;

use crate::error::{Error, Result};

/// The invoke endpoint's path (AWS's Runtime Interface Emulator's, which `watch` serves).
pub(crate) const PATH: &str = "/2015-03-31/functions/function/invocations";

/// Posts `event` to 127.0.0.1:`port`; prints the body; `Err(Function)` on a function error.
pub(crate) fn run(port: u16, event: Vec<u8>, timeout: Duration) -> Result<()> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .build()
        .into();
    let url = format!("http://127.0.0.1:{port}{PATH}");
    let mut resp = match agent.post(&url).header("content-type", "application/json").send(&event[..]) {
        Ok(r) => r,
        Err(ureq::Error::Io(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            return Err(Error::Tool(format!(
                "nothing answers on 127.0.0.1:{port}: start `cargo rayo watch{}` in the function's directory first",
                if port == 9000 { String::new() } else { format!(" --port {port}") }
            )))
        }
        Err(e) => return Err(Error::Tool(format!("POST {url}: {e}"))),
    };
    let status = resp.status().as_u16();
    let function_error = resp
        .headers()
        .get("x-amz-function-error")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let body = resp
        .body_mut()
        .with_config()
        .limit(32 * 1024 * 1024)
        .read_to_vec()
        .map_err(|e| Error::Tool(format!("reading the answer from {url}: {e}")))?;
    println!("{}", String::from_utf8_lossy(&body));
    if status != 200 {
        return Err(Error::Function(format!(
            "the invoke endpoint answered HTTP {status} (see the body above)"
        )));
    }
    if let Some(kind) = function_error {
        let error_type = error_type(&body).unwrap_or_else(|| "no errorType".into());
        return Err(Error::Function(format!(
            "the function answered with an error ({error_type}; X-Amz-Function-Error: {kind})"
        )));
    }
    Ok(())
}

/// `errorType` of a Lambda error body, when it is one.
fn error_type(body: &[u8]) -> Option<String> {
    #[derive(miniserde::Deserialize)]
    struct ErrorBody {
        #[serde(rename = "errorType")]
        error_type: String,
    }
    let text = std::str::from_utf8(body).ok()?;
    miniserde::json::from_str::<ErrorBody>(text)
        .ok()
        .map(|e| e.error_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_types() {
        assert_eq!(
            error_type(br#"{"errorMessage":"m","errorType":"InvalidEvent","stackTrace":[]}"#)
                .as_deref(),
            Some("InvalidEvent")
        );
        assert_eq!(error_type(b"not json"), None);
    }

    #[test]
    fn nobody_listening_says_what_to_start() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let e = run(port, b"{}".to_vec(), Duration::from_secs(5))
            .unwrap_err()
            .to_string();
        assert!(e.contains("start `cargo rayo watch --port"), "{e}");
    }
}

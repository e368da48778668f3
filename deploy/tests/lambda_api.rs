//! Lambda client calls moto cannot exercise here (Invoke needs Docker in moto; state changes
//! are instant in moto), against a scripted server on 127.0.0.1.

mod common;

use std::time::Duration;

use common::{Canned, ScriptServer};
use rayo_deploy::{ConfigUpdate, Credentials, Error, LambdaClient, RetryPolicy};

fn client(url: &str) -> LambdaClient {
    let mut c = LambdaClient::new(
        "us-east-1",
        Credentials::new("AKIDTEST", "lambda-api-test-secret", None),
        Some(url),
    )
    .expect("client");
    c.set_retry_policy(RetryPolicy {
        max_attempts: 1,
        ..RetryPolicy::default()
    });
    c
}

fn config(state: &str, update: &str, extra: &str) -> Canned {
    Canned::json(
        200,
        &format!(
            r#"{{"FunctionName":"f","CodeSha256":"x=","State":"{state}","LastUpdateStatus":"{update}"{extra}}}"#
        ),
    )
}

#[test]
fn wait_polls_until_active_and_successful() {
    let server = ScriptServer::start(vec![
        config("Pending", "InProgress", ""),
        config("Active", "InProgress", ""),
        config("Active", "Successful", r#","Version":"$LATEST""#),
    ]);
    let c = client(&server.url)
        .wait_until_updated("f", Duration::from_secs(20))
        .expect("settles on the third poll");
    assert_eq!(c.state.as_deref(), Some("Active"));
    assert_eq!(c.last_update_status.as_deref(), Some("Successful"));
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn wait_reports_failure_with_lambdas_reason() {
    let server = ScriptServer::start(vec![
        config("Active", "InProgress", ""),
        config(
            "Active",
            "Failed",
            r#","LastUpdateStatusReason":"Lambda could not unzip the package","LastUpdateStatusReasonCode":"InvalidZipFileException""#,
        ),
    ]);
    let e = client(&server.url)
        .wait_until_updated("f", Duration::from_secs(20))
        .expect_err("failed update");
    let msg = e.to_string();
    assert!(matches!(e, Error::FunctionFailed { .. }), "{e:?}");
    assert!(
        msg.contains("LastUpdateStatus=Failed")
            && msg.contains("InvalidZipFileException: Lambda could not unzip the package"),
        "{msg}"
    );
}

#[test]
fn wait_is_bounded() {
    let server = ScriptServer::start(vec![config("Pending", "InProgress", ""); 20]);
    let e = client(&server.url)
        .wait_until_updated("f", Duration::from_millis(600))
        .expect_err("never settles");
    match e {
        Error::WaitTimeout {
            waited, last_state, ..
        } => {
            assert!(waited >= Duration::from_millis(600), "{waited:?}");
            assert!(waited < Duration::from_secs(10), "{waited:?}");
            assert_eq!(last_state, "State=Pending LastUpdateStatus=InProgress");
        }
        other => panic!("expected WaitTimeout, got {other:?}"),
    }
    assert!(server.requests().len() < 20);
}

#[test]
fn invoke_returns_payload_error_log_and_version() {
    let log = rayo_deploy::encoding::base64_encode(b"START RequestId: 1\nhello from rayo\nEND\n");
    let server = ScriptServer::start(vec![Canned::json(
        200,
        r#"{"errorType":"Handled","errorMessage":"bad input"}"#,
    )
    .header("X-Amz-Function-Error", "Unhandled")
    .header("X-Amz-Log-Result", &log)
    .header("X-Amz-Executed-Version", "7")
    .header("x-amzn-RequestId", "inv-1")]);
    let out = client(&server.url)
        .invoke_qualified("f", Some("live"), br#"{"n":3}"#, true)
        .expect("invoke");
    assert_eq!(out.status, 200);
    assert_eq!(
        out.payload,
        br#"{"errorType":"Handled","errorMessage":"bad input"}"#
    );
    assert_eq!(out.function_error.as_deref(), Some("Unhandled"));
    assert_eq!(
        out.log_result.as_deref(),
        Some("START RequestId: 1\nhello from rayo\nEND\n")
    );
    assert_eq!(out.executed_version.as_deref(), Some("7"));
    assert_eq!(out.request_id.as_deref(), Some("inv-1"));
    let seen = server.requests();
    assert_eq!(seen[0].method, "POST");
    assert_eq!(
        seen[0].target,
        "/2015-03-31/functions/f/invocations?Qualifier=live"
    );
    assert_eq!(seen[0].header("x-amz-log-type"), Some("Tail"));
    assert_eq!(
        seen[0].header("x-amz-invocation-type"),
        Some("RequestResponse")
    );
    assert_eq!(seen[0].body, br#"{"n":3}"#);
}

#[test]
fn function_arns_are_percent_encoded_in_the_path() {
    let server = ScriptServer::start(vec![config("Active", "Successful", "")]);
    client(&server.url)
        .get_function_configuration("arn:aws:lambda:us-east-1:123456789012:function:f")
        .expect("ok");
    assert_eq!(
        server.requests()[0].target,
        "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af/configuration"
    );
}

#[test]
fn update_configuration_sends_only_what_was_set() {
    let server = ScriptServer::start(vec![config("Active", "InProgress", "")]);
    client(&server.url)
        .update_function_configuration(
            "f",
            &ConfigUpdate {
                memory_size: Some(1024),
                environment: Some(vec![("A".into(), "1".into()), ("B".into(), "two".into())]),
                ..ConfigUpdate::default()
            },
        )
        .expect("update");
    let seen = server.requests();
    assert_eq!(seen[0].method, "PUT");
    assert_eq!(seen[0].header("content-type"), Some("application/json"));
    let body = String::from_utf8(seen[0].body.clone()).expect("utf-8");
    assert_eq!(
        body,
        r#"{"Environment":{"Variables":{"A":"1","B":"two"}},"MemorySize":1024}"#
    );
}

#[test]
fn malformed_success_bodies_are_errors_not_panics() {
    let server = ScriptServer::start(vec![
        Canned::json(200, "not json"),
        Canned::json(200, "[1,2]"),
        Canned::json(200, r#"{"Configuration":"nope"}"#),
    ]);
    let c = client(&server.url);
    for e in [
        c.get_function_configuration("f").expect_err("not json"),
        c.get_function_configuration("f").expect_err("array"),
    ] {
        assert!(matches!(e, Error::InvalidResponse { .. }), "{e:?}");
    }
    let e = c.get_function("f").expect_err("bad Configuration");
    assert!(e.to_string().contains("no Configuration object"), "{e}");
}

#[test]
fn invoke_retries_throttling_but_not_server_errors() {
    let server = ScriptServer::start(vec![
        Canned::json(429, r#"{"message":"Rate exceeded"}"#)
            .header("x-amzn-ErrorType", "TooManyRequestsException"),
        Canned::json(502, r#"{"message":"bad gateway"}"#),
        Canned::json(200, "{}"),
    ]);
    let mut c = client(&server.url);
    c.set_retry_policy(RetryPolicy {
        max_attempts: 5,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
    });
    let e = c.invoke("f", b"{}", false).expect_err("502 is not retried");
    assert_eq!(e.api_error().map(|a| a.status), Some(502), "{e}");
    assert_eq!(
        server.requests().len(),
        2,
        "the 429 was retried once, the 502 not"
    );
}

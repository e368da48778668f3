//! Retries against a scripted server on 127.0.0.1: throttling and 5xx are retried with backoff
//! a bounded number of times; other errors are not.

mod common;

use std::time::Duration;

use common::{Canned, ScriptServer};
use rayo_deploy::{Credentials, Error, LambdaClient, RetryPolicy};

const CONFIG: &str = r#"{"FunctionName":"f","CodeSha256":"abc=","State":"Active","LastUpdateStatus":"Successful","MemorySize":128}"#;

fn client(url: &str, max_attempts: u32) -> LambdaClient {
    let mut c = LambdaClient::new(
        "us-east-1",
        Credentials::new("AKIDTEST", "retry-test-secret", None),
        Some(url),
    )
    .expect("client");
    c.set_retry_policy(RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(40),
    });
    c
}

fn throttled() -> Canned {
    Canned::json(
        429,
        r#"{"message":"Rate exceeded","Reason":"CallerRateLimitExceeded"}"#,
    )
    .header("x-amzn-ErrorType", "TooManyRequestsException")
    .header("x-amzn-RequestId", "req-throttled")
}

#[test]
fn throttling_then_success_is_retried() {
    let server = ScriptServer::start(vec![
        throttled(),
        Canned::json(200, CONFIG).header("x-amzn-RequestId", "req-ok"),
    ]);
    let c = client(&server.url, 3)
        .get_function_configuration("f")
        .expect("the second attempt succeeds");
    assert_eq!(c.function_name, "f");
    let seen = server.requests();
    assert_eq!(seen.len(), 2, "exactly one retry");
    for r in &seen {
        assert_eq!(r.method, "GET");
        assert_eq!(r.target, "/2015-03-31/functions/f/configuration");
        let auth = r.header("authorization").expect("every attempt is signed");
        assert!(
            auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDTEST/"),
            "{auth}"
        );
        assert!(r.header("x-amz-date").is_some());
    }
}

#[test]
fn server_errors_are_retried_until_success() {
    let server = ScriptServer::start(vec![
        Canned::json(500, r#"{"message":"internal"}"#)
            .header("x-amzn-ErrorType", "ServiceException"),
        Canned::json(502, "{}"),
        Canned::json(503, r#"{"message":"busy"}"#),
        Canned::json(200, CONFIG),
    ]);
    let c = client(&server.url, 4)
        .get_function_configuration("f")
        .expect("the fourth attempt succeeds");
    assert_eq!(c.memory_size, Some(128));
    assert_eq!(server.requests().len(), 4);
}

#[test]
fn retries_are_bounded() {
    let server = ScriptServer::start(vec![throttled(); 10]);
    let e = client(&server.url, 3)
        .get_function_configuration("f")
        .expect_err("always throttled");
    let api = e.api_error().expect("an AWS error");
    assert_eq!(api.status, 429);
    assert_eq!(api.code, "TooManyRequestsException");
    assert_eq!(api.attempts, 3);
    assert_eq!(api.request_id.as_deref(), Some("req-throttled"));
    assert_eq!(
        server.requests().len(),
        3,
        "no more than max_attempts requests"
    );
    let shown = e.to_string();
    assert!(
        shown.contains("TooManyRequestsException (HTTP 429): Rate exceeded")
            && shown.contains("after 3 attempts"),
        "{shown}"
    );
}

#[test]
fn client_errors_are_not_retried() {
    let server = ScriptServer::start(vec![
        Canned::json(404, r#"{"Type":"User","Message":"Function not found: arn:aws:lambda:us-east-1:1:function:f"}"#)
            .header("x-amzn-ErrorType", "ResourceNotFoundException:http://internal.amazon.com/coral/com.amazonaws.awsgirlambda/")
            .header("x-amzn-RequestId", "req-404"),
        Canned::json(200, CONFIG),
    ]);
    let e = client(&server.url, 5)
        .get_function_configuration("f")
        .expect_err("404");
    assert!(e.is_resource_not_found(), "{e}");
    assert_eq!(server.requests().len(), 1);
    assert!(e.to_string().contains("[request id req-404]"), "{e}");
}

#[test]
fn throttling_code_on_a_400_is_retried() {
    let server = ScriptServer::start(vec![
        Canned::json(
            400,
            r#"{"__type":"ThrottlingException","message":"slow down"}"#,
        ),
        Canned::json(200, CONFIG),
    ]);
    client(&server.url, 2)
        .get_function_configuration("f")
        .expect("retried on ThrottlingException");
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn no_answer_is_a_transport_error_after_bounded_attempts() {
    // A port that was free a moment ago: nothing listens there.
    let port = common::free_port();
    let e = client(&format!("http://127.0.0.1:{port}"), 2)
        .get_function_configuration("f")
        .expect_err("connection refused");
    match &e {
        Error::Transport {
            operation,
            attempts,
            url,
            ..
        } => {
            assert_eq!(operation, "GetFunctionConfiguration");
            assert_eq!(*attempts, 2);
            assert!(url.contains(&port.to_string()), "{url}");
        }
        other => panic!("expected a transport error, got {other:?}"),
    }
}

//! No secret access key or session token in any error's Display or Debug, in Debug of the
//! client types, or in the binary's output at any verbosity.

mod common;

use std::process::Command;

use common::{bootstrap_zip, Canned, ScriptServer, TempDir};
use rayo_deploy::credentials::load_credentials_from;
use rayo_deploy::sigv4::{sign, Request, Scope, SigningSettings};
use rayo_deploy::time::AmzDate;
use rayo_deploy::{Credentials, Error, IamClient, LambdaClient, RetryPolicy};

const SECRET: &str = "Zk9SECRETdoNotPrint/abcdefghijklmnopqrstu";
const TOKEN: &str = "FwoGZXIvYXdzTOKENdoNotPrint0123456789";

fn assert_clean(what: &str, text: &str) {
    assert!(
        !text.contains(SECRET),
        "{what} shows the secret key: {text}"
    );
    assert!(
        !text.contains(TOKEN),
        "{what} shows the session token: {text}"
    );
}

fn check_error(what: &str, e: &Error) {
    assert_clean(what, &e.to_string());
    assert_clean(what, &format!("{e:?}"));
}

fn creds() -> Credentials {
    Credentials::new("AKIDSECRETTEST", SECRET, Some(TOKEN.to_string()))
}

#[test]
fn debug_of_credentials_clients_and_signatures_is_redacted() {
    assert_clean("Credentials Debug", &format!("{:?}", creds()));
    let lambda = LambdaClient::new("us-east-1", creds(), None).expect("client");
    assert_clean("LambdaClient Debug", &format!("{lambda:?}"));
    let iam = IamClient::new(creds(), None).expect("client");
    assert_clean("IamClient Debug", &format!("{iam:?}"));
    let headers = vec![("host".to_string(), "example.com".to_string())];
    let c = creds();
    let signed = sign(
        &Request {
            method: "GET",
            path: "/",
            query: "",
            headers: &headers,
            body: b"",
        },
        &Scope {
            credentials: &c,
            region: "us-east-1",
            service: "lambda",
            time: AmzDate::from_unix(0),
        },
        &SigningSettings::default(),
    );
    assert_clean("Signed Debug", &format!("{signed:?}"));
}

#[test]
fn errors_never_carry_secrets() {
    // Credential errors, including a profile holding only the secret.
    let dir = TempDir::new("secrets");
    let aws = dir.0.join(".aws");
    std::fs::create_dir_all(&aws).expect("mkdir");
    std::fs::write(
        aws.join("credentials"),
        format!("[only-secret]\naws_secret_access_key = {SECRET}\n\n[junk]\n{SECRET}\n"),
    )
    .expect("write");
    let home = dir.0.to_string_lossy().into_owned();
    let env = |k: &str| (k == "HOME").then(|| home.clone());
    let e = load_credentials_from(Some("only-secret"), &env).expect_err("parse error first");
    check_error("credentials file error", &e);
    std::fs::write(
        aws.join("credentials"),
        format!("[only-secret]\naws_secret_access_key = {SECRET}\n"),
    )
    .expect("write");
    let e = load_credentials_from(Some("only-secret"), &env).expect_err("no key id");
    assert!(e.to_string().contains("no aws_access_key_id"), "{e}");
    check_error("missing key id", &e);
    let only_secret_env = |k: &str| match k {
        "AWS_SECRET_ACCESS_KEY" => Some(SECRET.to_string()),
        "AWS_SESSION_TOKEN" => Some(TOKEN.to_string()),
        _ => None,
    };
    let e = load_credentials_from(None, &only_secret_env).expect_err("half env");
    check_error("half environment", &e);

    // An API error whose message echoes the token (as a misbehaving proxy might).
    let server = ScriptServer::start(vec![Canned::json(
        400,
        &format!(r#"{{"message":"bad token {TOKEN} with key {SECRET}"}}"#),
    )
    .header("x-amzn-ErrorType", "UnrecognizedClientException")]);
    let mut lambda = LambdaClient::new("us-east-1", creds(), Some(&server.url)).expect("client");
    lambda.set_retry_policy(RetryPolicy {
        max_attempts: 1,
        ..RetryPolicy::default()
    });
    let e = lambda.get_function_configuration("f").expect_err("400");
    assert!(e.to_string().contains("** redacted **"), "{e}");
    check_error("API error", &e);
    // The token did go out, in its header: it is only kept out of messages.
    let seen = server.requests();
    assert_eq!(seen[0].header("x-amz-security-token"), Some(TOKEN));

    // A transport error.
    let port = common::free_port();
    let lambda = LambdaClient::new(
        "us-east-1",
        creds(),
        Some(&format!("http://127.0.0.1:{port}")),
    )
    .expect("client");
    let e = lambda.get_function_configuration("f").expect_err("refused");
    check_error("transport error", &e);
}

#[test]
fn verbose_binary_output_has_no_secrets() {
    let dir = TempDir::new("secrets-cli");
    let zip = dir.write("b.zip", &bootstrap_zip("secret"));
    let server = ScriptServer::start(vec![
        Canned::json(404, r#"{"message":"Function not found"}"#)
            .header("x-amzn-ErrorType", "ResourceNotFoundException"),
        Canned::json(500, r#"{"message":"boom"}"#),
        Canned::json(500, r#"{"message":"boom"}"#),
        Canned::json(500, r#"{"message":"boom"}"#),
        Canned::json(500, r#"{"message":"boom"}"#),
        Canned::json(500, r#"{"message":"boom"}"#),
    ]);
    let out = Command::new(env!("CARGO_BIN_EXE_deploy"))
        .args([
            "--function-name",
            "f",
            "--zip",
            zip.to_str().expect("utf-8"),
            "--arch",
            "arm64",
            "--role",
            "arn:aws:iam::1:role/r",
            "--endpoint-url",
            &server.url,
            "-v",
            "--wait-timeout",
            "5",
        ])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &dir.0)
        .env("AWS_ACCESS_KEY_ID", "AKIDSECRETTEST")
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_SESSION_TOKEN", TOKEN)
        .env("AWS_REGION", "us-east-1")
        .output()
        .expect("run deploy");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // It ran for real: planned, tried to create, was refused with 500s, retried, failed.
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("access key AKIDSECRETTEST from the environment"),
        "{stderr}"
    );
    assert!(stderr.contains("-> CreateFunction POST"), "{stderr}");
    assert!(stderr.contains("retrying CreateFunction"), "{stderr}");
    assert!(
        stderr.contains("CreateFunction failed: (no error code) (HTTP 500)"),
        "{stderr}"
    );
    assert_clean("stdout", &stdout);
    assert_clean("stderr", &stderr);
}

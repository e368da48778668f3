//! The `deploy` binary: `--dry-run` plans, usage errors, API errors and exit codes, against a
//! scripted server on 127.0.0.1.

mod common;

use std::process::{Command, Output};

use common::{bootstrap_zip, Canned, ScriptServer, TempDir};

fn deploy(dir: &TempDir, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deploy"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &dir.0)
        .env("AWS_ACCESS_KEY_ID", "AKIDCLITEST")
        .env("AWS_SECRET_ACCESS_KEY", "cli-test-secret-value")
        .env("AWS_REGION", "eu-west-1")
        .output()
        .expect("run deploy")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn dry_run_plans_a_create_and_changes_nothing() {
    let dir = TempDir::new("cli-create");
    let zip = dir.write("b.zip", &bootstrap_zip("cli"));
    let server = ScriptServer::start(vec![Canned::json(
        404,
        r#"{"Type":"User","Message":"Function not found"}"#,
    )
    .header("x-amzn-ErrorType", "ResourceNotFoundException")]);
    let out = deploy(
        &dir,
        &[
            "--function-name",
            "rayo-echo",
            "--zip",
            zip.to_str().expect("utf-8"),
            "--arch",
            "arm64",
            "--role",
            "arn:aws:iam::123456789012:role/r",
            "--endpoint-url",
            &server.url,
            "--publish",
            "--dry-run",
        ],
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let sha = rayo_deploy::code_sha256(&bootstrap_zip("cli"));
    assert!(stdout.contains("plan for function rayo-echo:"), "{stdout}");
    assert!(
        stdout.contains("1. CreateFunction (provided.al2023, ") && stdout.contains(&sha),
        "{stdout}"
    );
    assert!(stdout.contains("2. PublishVersion"), "{stdout}");
    assert!(stdout.contains("dry run: nothing changed"), "{stdout}");
    let seen = server.requests();
    assert_eq!(seen.len(), 1, "a dry run only reads");
    assert_eq!(seen[0].method, "GET");
    assert!(
        seen[0]
            .header("authorization")
            .is_some_and(|a| a.contains("/eu-west-1/lambda/aws4_request")),
        "signed for the region from AWS_REGION"
    );
}

#[test]
fn dry_run_plans_skip_and_config_changes_for_an_existing_function() {
    let dir = TempDir::new("cli-update");
    let bytes = bootstrap_zip("same");
    let zip = dir.write("b.zip", &bytes);
    let current = format!(
        r#"{{"FunctionName":"rayo-echo","CodeSha256":"{}","Runtime":"provided.al2023","Handler":"bootstrap","Architectures":["arm64"],"MemorySize":128,"Timeout":10,"Role":"arn:aws:iam::1:role/r","State":"Active","LastUpdateStatus":"Successful"}}"#,
        rayo_deploy::code_sha256(&bytes)
    );
    let server = ScriptServer::start(vec![
        Canned::json(200, &current),
        Canned::json(404, r#"{"message":"Alias not found"}"#)
            .header("x-amzn-ErrorType", "ResourceNotFoundException"),
    ]);
    let out = deploy(
        &dir,
        &[
            "--function-name",
            "rayo-echo",
            "--zip",
            zip.to_str().expect("utf-8"),
            "--arch",
            "arm64",
            "--endpoint-url",
            &server.url,
            "--memory",
            "512",
            "--timeout",
            "10",
            "--env",
            "MODE=hidden-value",
            "--publish",
            "--alias",
            "live",
            "--dry-run",
        ],
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("1. skip UpdateFunctionCode"), "{stdout}");
    assert!(stdout.contains("memory 128 -> 512 MB"), "{stdout}");
    assert!(
        !stdout.contains("timeout"),
        "timeout is unchanged: {stdout}"
    );
    assert!(
        stdout.contains("environment (none) -> MODE (values not shown)"),
        "{stdout}"
    );
    assert!(!stdout.contains("hidden-value"), "{stdout}");
    assert!(stdout.contains("CreateAlias live"), "{stdout}");
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|r| r.method == "GET"));
    assert_eq!(
        seen[1].target,
        "/2015-03-31/functions/rayo-echo/aliases/live"
    );
}

#[test]
fn api_errors_exit_non_zero_with_code_status_and_request_id() {
    let dir = TempDir::new("cli-error");
    let zip = dir.write("b.zip", &bootstrap_zip("err"));
    let server = ScriptServer::start(vec![Canned::json(
        403,
        r#"{"Message":"User is not authorized to perform: lambda:GetFunctionConfiguration"}"#,
    )
    .header("x-amzn-ErrorType", "AccessDeniedException")
    .header("x-amzn-RequestId", "0f1e2d3c")]);
    let out = deploy(
        &dir,
        &[
            "--function-name",
            "f",
            "--zip",
            zip.to_str().expect("utf-8"),
            "--arch",
            "x86_64",
            "--endpoint-url",
            &server.url,
        ],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("GetFunctionConfiguration failed: AccessDeniedException (HTTP 403): User is not authorized")
            && stderr.contains("[request id 0f1e2d3c]"),
        "{stderr}"
    );
}

#[test]
fn usage_errors_exit_2_and_name_the_problem() {
    let dir = TempDir::new("cli-usage");
    let zip = dir.write("b.zip", &bootstrap_zip("u"));
    let not_zip = dir.write("x.txt", b"hello");
    let z = zip.to_str().expect("utf-8");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec![], "--function-name is required"),
        (vec!["--function-name", "f"], "--zip is required"),
        (
            vec!["--function-name", "f", "--zip", z],
            "--arch is required",
        ),
        (
            vec!["--function-name", "f", "--zip", z, "--arch", "mips"],
            "architecture \"mips\"",
        ),
        (
            vec![
                "--function-name",
                "f",
                "--zip",
                "/nonexistent/b.zip",
                "--arch",
                "arm64",
            ],
            "cannot read /nonexistent/b.zip",
        ),
        (
            vec![
                "--function-name",
                "f",
                "--zip",
                not_zip.to_str().expect("utf-8"),
                "--arch",
                "arm64",
            ],
            "not a zip file (no PK",
        ),
        (
            vec![
                "--function-name",
                "f",
                "--zip",
                z,
                "--arch",
                "arm64",
                "--memory",
                "64",
            ],
            "--memory \"64\"",
        ),
        (
            vec![
                "--function-name",
                "f",
                "--zip",
                z,
                "--arch",
                "arm64",
                "--env",
                "NOEQUALS",
            ],
            "expected KEY=VALUE",
        ),
        (
            vec![
                "--function-name",
                "f",
                "--zip",
                z,
                "--arch",
                "arm64",
                "--bogus",
            ],
            "--bogus",
        ),
    ];
    for (args, expected) in cases {
        let out = deploy(&dir, &args);
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(expected),
            "{args:?}: expected {expected:?} in {stderr}"
        );
    }
    // Plain http to anything but loopback is refused before any connection is made.
    let out = deploy(
        &dir,
        &[
            "--function-name",
            "f",
            "--zip",
            z,
            "--arch",
            "arm64",
            "--endpoint-url",
            "http://example.invalid:80",
        ],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("only allowed for a loopback host"),
        "{stderr}"
    );

    let out = deploy(&dir, &["--help"]);
    assert!(out.status.success());
    assert!(text(&out).0.contains("usage: deploy --function-name NAME"));
}

/// An ELF header for `machine` (62 x86_64, 183 arm64), padded: enough for the zip check.
fn elf(machine: u16) -> Vec<u8> {
    let mut h = b"\x7fELF\x02\x01\x01".to_vec();
    h.resize(18, 0);
    h.extend_from_slice(&machine.to_le_bytes());
    h.resize(256, 0);
    h
}

#[test]
fn zips_lambda_cannot_run_are_refused_offline_before_any_request() {
    let dir = TempDir::new("cli-zipcheck");
    let server = ScriptServer::start(vec![]);
    let cases: Vec<(Vec<u8>, &str, &str)> = vec![
        (
            common::stored_zip(&[("bootstrap", &elf(62))]),
            "arm64",
            "bootstrap is an ELF executable for x86_64, but --arch is arm64",
        ),
        (
            common::stored_zip(&[("bootstrap", &elf(183))]),
            "x86_64",
            "ELF executable for arm64, but --arch is x86_64",
        ),
        (
            common::stored_zip(&[("target/bootstrap", &elf(62))]),
            "x86_64",
            "no bootstrap at its root, only \"target/bootstrap\"",
        ),
        (
            common::stored_zip(&[("handler", &elf(62))]),
            "x86_64",
            "no file named bootstrap at its root",
        ),
    ];
    for (i, (bytes, arch, want)) in cases.into_iter().enumerate() {
        let zip = dir.write(&format!("z{i}.zip"), &bytes);
        let out = deploy(
            &dir,
            &[
                "--function-name",
                "f",
                "--zip",
                zip.to_str().expect("utf-8"),
                "--arch",
                arch,
                "--endpoint-url",
                &server.url,
            ],
        );
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{want}: {stderr}");
        assert!(stderr.contains(want), "want {want:?} in {stderr}");
    }
    assert!(server.requests().is_empty(), "nothing may be sent");
}

#[test]
fn dry_run_works_without_credentials_or_network() {
    let dir = TempDir::new("cli-offline");
    let bytes = common::stored_zip(&[("bootstrap", &elf(183))]);
    let zip = dir.write("b.zip", &bytes);
    // No credentials anywhere: an empty HOME, no AWS_* variables.
    let out = Command::new(env!("CARGO_BIN_EXE_deploy"))
        .args([
            "--function-name",
            "f",
            "--arch",
            "arm64",
            "--publish",
            "--dry-run",
            "--zip",
        ])
        .arg(&zip)
        .env_clear()
        .env("HOME", &dir.0)
        .output()
        .expect("run deploy");
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("bootstrap: an ELF executable for arm64, mode 755, 256 bytes"),
        "{stdout}"
    );
    assert!(stdout.contains("(offline: credentials: "), "{stdout}");
    assert!(
        stdout.contains(&rayo_deploy::code_sha256(&bytes)),
        "{stdout}"
    );
    assert!(stdout.contains("then publish a version"), "{stdout}");
    assert!(stdout.contains("dry run: nothing changed"), "{stdout}");

    // Credentials but no network: an endpoint where nothing listens.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let out = deploy(
        &dir,
        &[
            "--function-name",
            "f",
            "--zip",
            zip.to_str().expect("utf-8"),
            "--arch",
            "arm64",
            "--endpoint-url",
            &url,
            "--dry-run",
        ],
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("(offline: GetFunctionConfiguration: no HTTP answer"),
        "{stdout}"
    );
    // Without --dry-run the same missing network is a failure.
    let out = deploy(
        &dir,
        &[
            "--function-name",
            "f",
            "--zip",
            zip.to_str().expect("utf-8"),
            "--arch",
            "arm64",
            "--endpoint-url",
            &url,
        ],
    );
    assert_eq!(out.status.code(), Some(1));
}

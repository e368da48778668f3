//! End to end against moto, a real implementation of the Lambda and IAM APIs.
//!
//! moto runs with `INITIAL_NO_AUTH_ACTION_COUNT=4`: the first four actions (creating the
//! execution role, a user, its policy and its access key) are unauthenticated; every request
//! after that has its SigV4 signature recomputed by moto (botocore) and compared, so this also
//! proves the signer against an independent implementation.
//!
//! Needs `moto_server` (scripts/deps.sh test puts it in target/venv/bin): the test fails, not skips, without it.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{bootstrap_zip, Moto, TempDir};
use rayo_deploy::iam::LAMBDA_TRUST_POLICY;
use rayo_deploy::transport::xml_tag;
use rayo_deploy::{Credentials, IamClient, LambdaClient};
use sha2::Digest;

const REGION: &str = "us-east-1";
const FUNCTION: &str = "rayo-deploy-it";

/// Base64 SHA-256, computed here with `sha2` directly (not through the crate's helper).
fn b64_sha256(data: &[u8]) -> String {
    rayo_deploy::encoding::base64_encode(&sha2::Sha256::digest(data))
}

struct Cli<'a> {
    endpoint: &'a str,
    key_id: &'a str,
    secret: &'a str,
    home: &'a Path,
}

impl Cli<'_> {
    fn run(&self, args: &[&str]) -> Output {
        let out = Command::new(env!("CARGO_BIN_EXE_deploy"))
            .args(args)
            .args(["--endpoint-url", self.endpoint, "--function-name", FUNCTION])
            .arg("-v")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home)
            .env("AWS_ACCESS_KEY_ID", self.key_id)
            .env("AWS_SECRET_ACCESS_KEY", self.secret)
            .env("AWS_REGION", REGION)
            .output()
            .expect("run the deploy binary");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stdout.contains(self.secret) && !stderr.contains(self.secret),
            "the secret access key was printed:\n{stdout}\n{stderr}"
        );
        out
    }

    fn ok(&self, args: &[&str]) -> (String, String) {
        let out = self.run(args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            out.status.success(),
            "deploy {args:?} failed ({}):\n{stdout}\n{stderr}",
            out.status
        );
        (stdout, stderr)
    }
}

#[test]
fn deploy_lifecycle_against_moto() {
    let dir = TempDir::new("moto");
    let moto = Moto::start(&[("INITIAL_NO_AUTH_ACTION_COUNT", "4")], &dir);

    // Unauthenticated set-up: four actions.
    let setup = IamClient::new(
        Credentials::new("AKIDSETUP", "setup-not-checked", None),
        Some(&moto.url),
    )
    .expect("iam client");
    let role_arn = setup
        .create_role("rayo-deploy-it-role", LAMBDA_TRUST_POLICY)
        .expect("CreateRole");
    assert!(role_arn.contains(":role/rayo-deploy-it-role"), "{role_arn}");
    setup
        .query("CreateUser", &[("UserName", "deployer")])
        .expect("CreateUser");
    setup
        .query(
            "PutUserPolicy",
            &[
                ("UserName", "deployer"),
                ("PolicyName", "everything"),
                (
                    "PolicyDocument",
                    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
                ),
            ],
        )
        .expect("PutUserPolicy");
    let key_xml = setup
        .query("CreateAccessKey", &[("UserName", "deployer")])
        .expect("CreateAccessKey");
    let key_id = xml_tag(&key_xml, "AccessKeyId").expect("AccessKeyId in answer");
    let secret = xml_tag(&key_xml, "SecretAccessKey").expect("SecretAccessKey in answer");
    let creds = Credentials::new(key_id.clone(), secret.clone(), None);

    // From here moto recomputes every signature with botocore and compares. A wrong secret
    // must be refused...
    let forged = IamClient::new(
        Credentials::new(key_id.clone(), "not-the-secret", None),
        Some(&moto.url),
    )
    .expect("iam client");
    let err = forged
        .get_role("rayo-deploy-it-role")
        .expect_err("a wrong secret must be refused");
    let api = err.api_error().expect("an AWS error");
    assert_eq!(api.status, 403, "{err}");
    assert_eq!(api.code, "SignatureDoesNotMatch", "{err}");
    assert!(!format!("{err} {err:?}").contains("not-the-secret"));

    let forged_lambda = LambdaClient::new(
        REGION,
        Credentials::new(key_id.clone(), "not-the-secret", None),
        Some(&moto.url),
    )
    .expect("client");
    let err = forged_lambda
        .publish_version("anything", None, None)
        .expect_err("a wrong secret must be refused on a Lambda POST too");
    assert_eq!(err.code(), Some("SignatureDoesNotMatch"), "{err}");

    // ...and ours accepted: a form POST (IAM) and every JSON POST/PUT the flow sends (Lambda),
    // with non-ASCII text in the bodies.
    let iam = IamClient::new(creds.clone(), Some(&moto.url)).expect("iam client");
    assert_eq!(
        iam.get_role("rayo-deploy-it-role").expect("GetRole"),
        role_arn
    );
    let lambda = LambdaClient::new(REGION, creds, Some(&moto.url)).expect("client");
    let signed_zip = bootstrap_zip("signed");
    let created = lambda
        .create_function(&rayo_deploy::CreateFunction {
            function_name: "rayo-deploy-signed",
            role: &role_arn,
            zip: &signed_zip,
            architecture: "x86_64",
            runtime: "provided.al2023",
            handler: "bootstrap",
            memory_size: Some(128),
            timeout: Some(3),
            environment: vec![("K".into(), "v w/x+y=z".into())],
            description: Some("signed: ünïcode & symbols"),
            publish: false,
        })
        .expect("CreateFunction signed with our key");
    assert_eq!(created.code_sha256, b64_sha256(&signed_zip));
    let updated = lambda
        .update_function_code("rayo-deploy-signed", &bootstrap_zip("signed2"), None, false)
        .expect("UpdateFunctionCode signed with our key");
    assert_eq!(updated.code_sha256, b64_sha256(&bootstrap_zip("signed2")));
    let reconfigured = lambda
        .update_function_configuration(
            "rayo-deploy-signed",
            &rayo_deploy::ConfigUpdate {
                memory_size: Some(256),
                environment: Some(vec![("Ü".into(), "ß € \"quoted\" \\ back".into())]),
                description: Some("déjà vu".into()),
                ..Default::default()
            },
        )
        .expect("UpdateFunctionConfiguration signed with our key");
    assert_eq!(reconfigured.memory_size, Some(256));
    let version = lambda
        .publish_version("rayo-deploy-signed", Some(&updated.code_sha256), Some("v"))
        .expect("PublishVersion signed with our key")
        .version
        .expect("a version");
    let alias = lambda
        .create_alias("rayo-deploy-signed", "live", &version, Some("signed alias"))
        .expect("CreateAlias signed with our key");
    assert_eq!(alias.function_version, version);
    lambda
        .update_alias("rayo-deploy-signed", "live", &version)
        .expect("UpdateAlias signed with our key");

    // moto 5.2 recomputes signatures of body-less requests wrongly: with no query and no
    // body its `data` falls back to the request headers, which it then hashes as the payload
    // (core/responses.py), so boto3's own Lambda GETs are refused too. Checks go off for the
    // rest: the flow below needs GET calls.
    moto.set_auth_after("inf");
    let missing = lambda
        .get_function_configuration(FUNCTION)
        .expect_err("function does not exist yet");
    assert!(missing.is_resource_not_found(), "{missing}");

    let cli = Cli {
        endpoint: &moto.url,
        key_id: &key_id,
        secret: &secret,
        home: &dir.0,
    };
    let zip1 = bootstrap_zip("one");
    let zip2 = bootstrap_zip("two");
    let zip3 = bootstrap_zip("three");
    let p1 = dir.write("one.zip", &zip1);
    let p2 = dir.write("two.zip", &zip2);
    let p3 = dir.write("three.zip", &zip3);
    let p1 = p1.to_str().expect("utf-8 path");
    let p2 = p2.to_str().expect("utf-8 path");
    let p3 = p3.to_str().expect("utf-8 path");

    // 1. Create.
    let (out, _) = cli.ok(&[
        "--zip",
        p1,
        "--arch",
        "arm64",
        "--role",
        &role_arn,
        "--memory",
        "256",
        "--timeout",
        "15",
        "--env",
        "MODE=one",
        "--description",
        "rayo test",
    ]);
    assert!(out.contains("code: created"), "{out}");
    let c = lambda
        .get_function_configuration(FUNCTION)
        .expect("read back");
    assert_eq!(c.code_sha256, b64_sha256(&zip1));
    assert_eq!(c.runtime.as_deref(), Some("provided.al2023"));
    assert_eq!(c.handler.as_deref(), Some("bootstrap"));
    assert_eq!(c.architectures, vec!["arm64".to_string()]);
    assert_eq!(c.memory_size, Some(256));
    assert_eq!(c.timeout, Some(15));
    assert_eq!(c.environment, vec![("MODE".into(), "one".into())]);
    assert_eq!(c.description.as_deref(), Some("rayo test"));

    // 2. Same code again: the upload is skipped (no UpdateFunctionCode request at all).
    let (out, log) = cli.ok(&["--zip", p1, "--arch", "arm64"]);
    assert!(out.contains("code: unchanged (upload skipped)"), "{out}");
    assert!(out.contains("configuration: unchanged"), "{out}");
    assert!(!log.contains("UpdateFunctionCode"), "{log}");
    assert!(!log.contains("UpdateFunctionConfiguration"), "{log}");

    // 3. Dry run with new code: the plan names the upload, nothing changes.
    let (out, log) = cli.ok(&["--zip", p2, "--arch", "arm64", "--dry-run"]);
    assert!(out.contains("UpdateFunctionCode"), "{out}");
    assert!(out.contains("dry run: nothing changed"), "{out}");
    assert!(!log.contains("-> UpdateFunctionCode"), "{log}");
    let c = lambda
        .get_function_configuration(FUNCTION)
        .expect("read back");
    assert_eq!(c.code_sha256, b64_sha256(&zip1), "dry run changed the code");

    // 4. New code, new settings, publish, alias.
    let (out, log) = cli.ok(&[
        "--zip",
        p2,
        "--arch",
        "arm64",
        "--memory",
        "512",
        "--env",
        "MODE=two",
        "--env",
        "EXTRA=x",
        "--publish",
        "--alias",
        "live",
    ]);
    assert!(out.contains("code: uploaded"), "{out}");
    assert!(out.contains("configuration: updated"), "{out}");
    assert!(log.contains("-> UpdateFunctionCode"), "{log}");
    let version2 = out
        .lines()
        .find_map(|l| l.strip_prefix("published version "))
        .expect("a published version line")
        .to_string();
    assert!(
        out.contains(&format!("alias live -> version {version2}")),
        "{out}"
    );
    let c = lambda
        .get_function_configuration(FUNCTION)
        .expect("read back");
    assert_eq!(c.code_sha256, b64_sha256(&zip2));
    assert_eq!(c.memory_size, Some(512));
    assert_eq!(c.timeout, Some(15), "timeout was not asked to change");
    assert_eq!(
        c.environment,
        vec![("EXTRA".into(), "x".into()), ("MODE".into(), "two".into())]
    );
    let alias = lambda.get_alias(FUNCTION, "live").expect("GetAlias");
    assert_eq!(alias.function_version, version2);
    let info = lambda.get_function(FUNCTION).expect("GetFunction");
    assert_eq!(info.configuration.code_sha256, b64_sha256(&zip2));

    // 5. Another version moves the alias.
    let (out, _) = cli.ok(&[
        "--zip",
        p3,
        "--arch",
        "arm64",
        "--publish",
        "--alias",
        "live",
    ]);
    let version3 = out
        .lines()
        .find_map(|l| l.strip_prefix("published version "))
        .expect("a published version line")
        .to_string();
    assert_ne!(version3, version2);
    let alias = lambda.get_alias(FUNCTION, "live").expect("GetAlias");
    assert_eq!(alias.function_version, version3);
    let c = lambda
        .get_function_configuration(FUNCTION)
        .expect("read back");
    assert_eq!(c.code_sha256, b64_sha256(&zip3));

    // 6. Errors carry the AWS code, status and request id; exit status is non-zero.
    let out = cli.run(&["--zip", p3, "--arch", "arm64", "--alias", "live"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--alias needs --publish"), "{err}");
    let bad_role = lambda.create_function(&rayo_deploy::CreateFunction {
        function_name: FUNCTION,
        role: &role_arn,
        zip: &zip1,
        architecture: "arm64",
        runtime: "provided.al2023",
        handler: "bootstrap",
        memory_size: None,
        timeout: None,
        environment: Vec::new(),
        description: None,
        publish: false,
    });
    let e = bad_role.expect_err("creating an existing function must fail");
    let api = e.api_error().expect("an AWS error");
    assert_eq!(api.code, "ResourceConflictException", "{e}");
    assert_eq!(api.status, 409, "{e}");
    assert!(api.request_id.is_some(), "{e}");
    let shown = e.to_string();
    assert!(
        shown.contains("CreateFunction failed: ResourceConflictException (HTTP 409)"),
        "{shown}"
    );

    lambda.delete_function(FUNCTION).expect("DeleteFunction");
    assert!(lambda
        .get_function_configuration(FUNCTION)
        .expect_err("deleted")
        .is_resource_not_found());
}

//! Credential and region lookup, and the shared-file parser, with the environment injected.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::TempDir;
use rayo_deploy::credentials::{
    load_credentials_from, parse_shared_file, resolve_region_from, FileKind, Source,
};
use rayo_deploy::Error;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

struct FakeEnv(HashMap<String, String>);

impl FakeEnv {
    fn new(pairs: &[(&str, &str)]) -> Self {
        FakeEnv(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn with_files(dir: &TempDir, extra: &[(&str, &str)]) -> Self {
        let mut env = Self::new(extra);
        env.0.insert("HOME".into(), path(&dir.0));
        env
    }

    fn get(&self) -> impl Fn(&str) -> Option<String> + '_ {
        |k: &str| self.0.get(k).cloned()
    }
}

fn path(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Writes `~/.aws/credentials` and `~/.aws/config` under a temp HOME.
fn home_with(credentials: Option<&str>, config: Option<&str>) -> TempDir {
    let dir = TempDir::new("creds");
    let aws = dir.0.join(".aws");
    std::fs::create_dir_all(&aws).expect("mkdir .aws");
    if let Some(c) = credentials {
        std::fs::write(aws.join("credentials"), c).expect("write credentials");
    }
    if let Some(c) = config {
        std::fs::write(aws.join("config"), c).expect("write config");
    }
    dir
}

#[test]
fn environment_keys_come_first() {
    let dir = home_with(
        Some("[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n"),
        None,
    );
    let env = FakeEnv::with_files(
        &dir,
        &[
            ("AWS_ACCESS_KEY_ID", "ENVKEY"),
            ("AWS_SECRET_ACCESS_KEY", SECRET),
            ("AWS_SESSION_TOKEN", "envtoken"),
        ],
    );
    let (c, source) = load_credentials_from(None, &env.get()).expect("env credentials");
    assert_eq!(c.access_key_id(), "ENVKEY");
    assert_eq!(c.secret_access_key(), SECRET);
    assert_eq!(c.session_token(), Some("envtoken"));
    assert_eq!(source, Source::Environment);

    // An explicit --profile reads the files even when the environment has keys (as the CLI).
    let (c, source) = load_credentials_from(Some("default"), &env.get()).expect("profile");
    assert_eq!(c.access_key_id(), "FILEKEY");
    assert!(matches!(source, Source::Profile { ref name, .. } if name == "default"));
}

#[test]
fn half_set_environment_is_an_error_that_names_the_missing_variable() {
    let env = FakeEnv::new(&[("AWS_ACCESS_KEY_ID", "ENVKEY"), ("HOME", "/nonexistent")]);
    let e = load_credentials_from(None, &env.get()).expect_err("no secret");
    assert!(
        e.to_string().contains("AWS_SECRET_ACCESS_KEY is not"),
        "{e}"
    );
    let env = FakeEnv::new(&[("AWS_SECRET_ACCESS_KEY", SECRET), ("HOME", "/nonexistent")]);
    let e = load_credentials_from(None, &env.get()).expect_err("no key id");
    let shown = format!("{e} {e:?}");
    assert!(shown.contains("AWS_ACCESS_KEY_ID is not"), "{shown}");
    assert!(!shown.contains(SECRET), "{shown}");
}

#[test]
fn credentials_file_uses_bare_names_and_config_uses_profile_prefix() {
    let creds = "\
# a comment
; another comment
[dev]   # trailing comment on a section
aws_access_key_id=DEVKEY
aws_secret_access_key = devsecret

[shared]
aws_access_key_id = CREDSFILE
aws_secret_access_key = credsfile-secret
";
    let config = "\
[default]
region = eu-west-1

[profile cfgonly]
aws_access_key_id = CFGKEY
aws_secret_access_key = cfgsecret
aws_session_token = cfgtoken
region = ap-southeast-2
s3 =
  max_concurrent_requests = 10
  addressing_style = path

[profile shared]
aws_access_key_id = CONFIGFILE
aws_secret_access_key = config-secret

[bare]
aws_access_key_id = BAREKEY
aws_secret_access_key = baresecret
";
    let dir = home_with(Some(creds), Some(config));
    let env = FakeEnv::with_files(&dir, &[]);
    let get = |p: &str| load_credentials_from(Some(p), &env.get());

    let (c, _) = get("dev").expect("dev");
    assert_eq!(
        (c.access_key_id(), c.secret_access_key()),
        ("DEVKEY", "devsecret")
    );
    assert_eq!(c.session_token(), None);

    let (c, source) = get("cfgonly").expect("config-only profile");
    assert_eq!(c.access_key_id(), "CFGKEY");
    assert_eq!(c.session_token(), Some("cfgtoken"));
    assert!(
        matches!(source, Source::Profile { ref path, .. } if path.ends_with("config")),
        "{source:?}"
    );

    // The credentials file wins over the config file for the same profile.
    let (c, _) = get("shared").expect("shared");
    assert_eq!(c.access_key_id(), "CREDSFILE");

    // `[bare]` in the config file is not a profile (the config file needs `[profile bare]`).
    let e = get("bare").expect_err("bare config section is not a profile");
    assert!(e.to_string().contains("profile \"bare\" not found"), "{e}");

    // Regions come from the config file's profile.
    assert_eq!(
        resolve_region_from(None, Some("cfgonly"), &env.get()).expect("region"),
        "ap-southeast-2"
    );
    assert_eq!(
        resolve_region_from(None, None, &env.get()).expect("default region"),
        "eu-west-1"
    );
}

#[test]
fn aws_profile_and_file_overrides_are_honoured() {
    let dir = TempDir::new("override");
    let creds = dir.write(
        "my-creds",
        b"[ci]\r\naws_access_key_id = CIKEY\r\naws_secret_access_key = cisecret\r\n",
    );
    let config = dir.write("my-config", b"[profile ci]\nregion = us-west-2\n");
    let env = FakeEnv::new(&[
        ("HOME", "/nonexistent-home"),
        ("AWS_PROFILE", "ci"),
        ("AWS_SHARED_CREDENTIALS_FILE", &path(&creds)),
        ("AWS_CONFIG_FILE", &path(&config)),
    ]);
    let (c, _) = load_credentials_from(None, &env.get()).expect("AWS_PROFILE=ci");
    assert_eq!(c.access_key_id(), "CIKEY");
    assert_eq!(c.secret_access_key(), "cisecret", "CRLF must be stripped");
    assert_eq!(
        resolve_region_from(None, None, &env.get()).expect("region"),
        "us-west-2"
    );
}

#[test]
fn missing_keys_give_clear_errors() {
    let creds = "[half]\naws_access_key_id = HALFKEY\n\n[empty]\n";
    let config = "[profile assume]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = half\n";
    let dir = home_with(Some(creds), Some(config));
    let env = FakeEnv::with_files(&dir, &[]);

    let e = load_credentials_from(Some("half"), &env.get()).expect_err("half");
    let msg = e.to_string();
    assert!(msg.contains("\"half\""), "{msg}");
    assert!(msg.contains("no aws_secret_access_key"), "{msg}");
    assert!(msg.contains("credentials (line 1)"), "{msg}");

    let e = load_credentials_from(Some("empty"), &env.get()).expect_err("empty");
    assert!(e.to_string().contains("has no aws_access_key_id"), "{e}");

    let e = load_credentials_from(Some("assume"), &env.get()).expect_err("role_arn");
    assert!(e.to_string().contains("role_arn"), "{e}");
    assert!(e.to_string().contains("does not support"), "{e}");

    let e = load_credentials_from(Some("nope"), &env.get()).expect_err("absent profile");
    let msg = e.to_string();
    assert!(msg.contains("profile \"nope\" not found in"), "{msg}");
    assert!(
        msg.contains(".aws/credentials") && msg.contains(".aws/config"),
        "{msg}"
    );

    // No files, no environment: the message says what was looked for.
    let bare = FakeEnv::new(&[("HOME", "/nonexistent-home")]);
    let e = load_credentials_from(None, &bare.get()).expect_err("nothing");
    assert!(e.to_string().contains("AWS_ACCESS_KEY_ID"), "{e}");
}

#[test]
fn malformed_files_name_the_line_without_echoing_secrets() {
    let text = format!("[default]\naws_access_key_id = K\n{SECRET}\n");
    let e = parse_shared_file(&text, FileKind::Credentials, Path::new("/x/credentials"))
        .expect_err("a bare line is malformed");
    let msg = format!("{e} {e:?}");
    assert!(msg.contains("/x/credentials:3"), "{msg}");
    assert!(!msg.contains(SECRET), "{msg}");
    assert!(matches!(e, Error::ConfigFile { line: 3, .. }));

    let e = parse_shared_file("[default\nx=1\n", FileKind::Config, Path::new("c"))
        .expect_err("unclosed section");
    assert!(e.to_string().contains("closing ']'"), "{e}");

    let e = parse_shared_file("x = 1\n[default]\n", FileKind::Config, Path::new("c"))
        .expect_err("key before section");
    assert!(e.to_string().contains("before any [section]"), "{e}");
}

#[test]
fn region_precedence() {
    let dir = home_with(None, Some("[default]\nregion = eu-central-1\n"));
    let files = FakeEnv::with_files(&dir, &[]);
    assert_eq!(
        resolve_region_from(Some("sa-east-1"), None, &files.get()).expect("cli"),
        "sa-east-1"
    );
    let env = FakeEnv::with_files(
        &dir,
        &[
            ("AWS_REGION", "us-east-2"),
            ("AWS_DEFAULT_REGION", "us-west-1"),
        ],
    );
    assert_eq!(
        resolve_region_from(None, None, &env.get()).expect("AWS_REGION"),
        "us-east-2"
    );
    let env = FakeEnv::with_files(&dir, &[("AWS_DEFAULT_REGION", "us-west-1")]);
    assert_eq!(
        resolve_region_from(None, None, &env.get()).expect("AWS_DEFAULT_REGION"),
        "us-west-1"
    );
    assert_eq!(
        resolve_region_from(None, None, &files.get()).expect("profile"),
        "eu-central-1"
    );
    let none = FakeEnv::new(&[("HOME", "/nonexistent-home")]);
    let e = resolve_region_from(None, None, &none.get()).expect_err("no region");
    assert!(e.to_string().contains("--region"), "{e}");
    let e = resolve_region_from(Some("us east"), None, &none.get()).expect_err("bad region");
    assert!(e.to_string().contains("\"us east\""), "{e}");
}

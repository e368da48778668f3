//! Credentials and region, found the way the AWS CLI finds them.
//!
//! Order for credentials: an explicit profile (`--profile`) reads the shared files only; without
//! one, `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`) win, then the
//! profile named by `AWS_PROFILE` (or `default`) in `~/.aws/credentials`
//! (`AWS_SHARED_CREDENTIALS_FILE`) and `~/.aws/config` (`AWS_CONFIG_FILE`). The credentials file
//! names sections `[name]`; the config file `[profile name]` (and `[default]`).
//!
//! Not supported, with a clear error when a profile needs them: `role_arn`/`source_profile`,
//! `credential_process`, SSO, and instance or container metadata.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// An access key pair with an optional session token. `Debug` never shows the secret or token.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
}

impl Credentials {
    /// Credentials from their parts (a session token for temporary ones).
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
    ) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: session_token.filter(|t| !t.is_empty()),
        }
    }

    /// The access key id (not secret: it is printed with `-v`).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The secret key: only for signing, never printed.
    pub fn secret_access_key(&self) -> &str {
        &self.secret_access_key
    }

    /// The session token of temporary credentials: only for signing, never printed.
    pub fn session_token(&self) -> Option<&str> {
        self.session_token.as_deref()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
            .finish()
    }
}

/// Where credentials came from, for `--verbose` and error messages (no secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`.
    Environment,
    /// A profile (`name`) in a shared file (`path`).
    Profile {
        /// The profile's name.
        name: String,
        /// The file it was read from.
        path: PathBuf,
    },
}

/// Reads the environment through a function so tests need not touch the process environment.
pub trait Env {
    /// The variable's value; `None` when unset.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl<F: Fn(&str) -> Option<String>> Env for F {
    fn var(&self, name: &str) -> Option<String> {
        self(name).filter(|v| !v.is_empty())
    }
}

/// One `[section]` of a shared file: its keys in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Section {
    /// The name between the brackets (`profile ` prefix kept).
    pub name: String,
    /// Line of the `[section]` header, for error messages.
    pub line: usize,
    /// `key = value` pairs, in file order.
    pub entries: Vec<(String, String)>,
}

impl Section {
    /// The last value of `key` in the section.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Which of the two shared files: they name profiles differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `~/.aws/credentials`: `[name]`.
    Credentials,
    /// `~/.aws/config`: `[profile name]`, and `[default]`.
    Config,
}

/// Parses an AWS shared file. Lines starting with `#` or `;` are comments; a section header may
/// carry a trailing comment; indented lines under a key are nested settings (e.g. `s3 =`) and
/// are skipped. Section names are returned as profile names (`profile ` stripped in config).
pub fn parse_shared_file(text: &str, kind: FileKind, path: &Path) -> Result<Vec<Section>, Error> {
    let mut sections: Vec<Section> = Vec::new();
    let mut current: Option<Section> = None;
    let mut in_nested = false;
    for (idx, raw) in text.lines().enumerate() {
        let line_no = idx + 1;
        let line = raw.trim_end_matches('\r');
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        let indented = line.starts_with([' ', '\t']);
        if indented && current.is_some() {
            // A nested setting (`s3 =\n  max_concurrent_requests = 10`) or a continuation:
            // nothing deploy reads lives there.
            if in_nested || !trimmed.starts_with('[') {
                continue;
            }
        }
        if let Some(rest) = trimmed.strip_prefix('[') {
            let Some(end) = rest.find(']') else {
                return Err(Error::ConfigFile {
                    path: path.to_path_buf(),
                    line: line_no,
                    message: format!("section header without closing ']': {trimmed:?}"),
                });
            };
            let after = rest[end + 1..].trim();
            if !(after.is_empty() || after.starts_with('#') || after.starts_with(';')) {
                return Err(Error::ConfigFile {
                    path: path.to_path_buf(),
                    line: line_no,
                    message: format!("unexpected text after section header: {trimmed:?}"),
                });
            }
            let inner = rest[..end].trim();
            let name = match kind {
                FileKind::Credentials => inner.to_string(),
                FileKind::Config => match inner.strip_prefix("profile") {
                    Some(n) if n.starts_with([' ', '\t']) => n.trim().to_string(),
                    // `[default]` is the only profile allowed without the prefix; other
                    // sections (`[sso-session x]`, `[services x]`, bare `[x]`) are not profiles.
                    _ if inner == "default" => "default".to_string(),
                    _ => format!("\0{inner}"),
                },
            };
            if name.is_empty() {
                return Err(Error::ConfigFile {
                    path: path.to_path_buf(),
                    line: line_no,
                    message: "empty profile name in section header".to_string(),
                });
            }
            if let Some(s) = current.take() {
                sections.push(s);
            }
            current = Some(Section {
                name,
                line: line_no,
                entries: Vec::new(),
            });
            in_nested = false;
            continue;
        }
        let Some((key, value)) = trimmed.split_once('=') else {
            return Err(Error::ConfigFile {
                path: path.to_path_buf(),
                line: line_no,
                message: format!(
                    "expected 'key = value' or '[section]', found {:?}",
                    redact_line(trimmed)
                ),
            });
        };
        let Some(section) = current.as_mut() else {
            return Err(Error::ConfigFile {
                path: path.to_path_buf(),
                line: line_no,
                message: format!("setting {:?} before any [section]", key.trim()),
            });
        };
        let value = value.trim();
        in_nested = value.is_empty();
        section
            .entries
            .push((key.trim().to_ascii_lowercase(), value.to_string()));
    }
    if let Some(s) = current.take() {
        sections.push(s);
    }
    Ok(sections)
}

/// A malformed line may be a secret pasted without its key: show only its shape.
fn redact_line(line: &str) -> String {
    if line.len() > 12 {
        let head: String = line.chars().take(4).collect();
        format!("{head}... ({} characters)", line.chars().count())
    } else {
        line.to_string()
    }
}

/// The two shared files, located as the AWS CLI does.
#[derive(Debug, Clone)]
pub struct SharedFiles {
    /// `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`.
    pub credentials_path: PathBuf,
    /// `AWS_CONFIG_FILE`, else `~/.aws/config`.
    pub config_path: PathBuf,
}

impl SharedFiles {
    /// Where the two files are, from the environment and `HOME`.
    pub fn locate(env: &dyn Env) -> Result<Self, Error> {
        let home = env.var("HOME").or_else(|| env.var("USERPROFILE"));
        let aws_dir = home.map(|h| PathBuf::from(h).join(".aws"));
        let pick = |var: &str, file: &str| -> Result<PathBuf, Error> {
            if let Some(p) = env.var(var) {
                return Ok(expand_home(&p, env));
            }
            aws_dir.as_ref().map(|d| d.join(file)).ok_or_else(|| {
                Error::Credentials(format!(
                    "neither {var} nor HOME is set, so the shared {file} file cannot be found"
                ))
            })
        };
        Ok(SharedFiles {
            credentials_path: pick("AWS_SHARED_CREDENTIALS_FILE", "credentials")?,
            config_path: pick("AWS_CONFIG_FILE", "config")?,
        })
    }
}

fn expand_home(p: &str, env: &dyn Env) -> PathBuf {
    match (p.strip_prefix("~/"), env.var("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(p),
    }
}

/// Reads a shared file; a missing file is an empty one (as for the CLI).
fn read_sections(path: &Path, kind: FileKind) -> Result<Vec<Section>, Error> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_shared_file(&text, kind, path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(Error::Io {
            path: path.to_path_buf(),
            source: e,
        }),
    }
}

fn find<'a>(sections: &'a [Section], name: &str) -> Option<&'a Section> {
    // Later sections of the same name override earlier keys; keep it simple: last one wins.
    sections.iter().rev().find(|s| s.name == name)
}

/// The profile to use: the explicit one, else `AWS_PROFILE`, else `default`.
pub fn profile_name(explicit: Option<&str>, env: &dyn Env) -> String {
    explicit
        .map(str::to_string)
        .or_else(|| env.var("AWS_PROFILE"))
        .or_else(|| env.var("AWS_DEFAULT_PROFILE"))
        .unwrap_or_else(|| "default".to_string())
}

/// [`load_credentials`] with the environment given explicitly (for tests and embedding).
pub fn load_credentials_from(
    profile: Option<&str>,
    env: &dyn Env,
) -> Result<(Credentials, Source), Error> {
    if profile.is_none() {
        let id = env.var("AWS_ACCESS_KEY_ID");
        let secret = env.var("AWS_SECRET_ACCESS_KEY");
        match (id, secret) {
            (Some(id), Some(secret)) => {
                return Ok((
                    Credentials::new(id, secret, env.var("AWS_SESSION_TOKEN")),
                    Source::Environment,
                ));
            }
            (Some(_), None) => {
                return Err(Error::Credentials(
                    "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not".to_string(),
                ))
            }
            (None, Some(_)) => {
                return Err(Error::Credentials(
                    "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not".to_string(),
                ))
            }
            (None, None) => {}
        }
    }
    let name = profile_name(profile, env);
    let files = SharedFiles::locate(env)?;
    let creds_sections = read_sections(&files.credentials_path, FileKind::Credentials)?;
    let config_sections = read_sections(&files.config_path, FileKind::Config)?;
    let candidates = [
        (find(&creds_sections, &name), &files.credentials_path),
        (find(&config_sections, &name), &files.config_path),
    ];
    if candidates.iter().all(|(s, _)| s.is_none()) {
        let hint = if profile.is_none() && name == "default" {
            " (and AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are not set)"
        } else {
            ""
        };
        return Err(Error::Credentials(format!(
            "profile {name:?} not found in {} or {}{hint}",
            files.credentials_path.display(),
            files.config_path.display()
        )));
    }
    for (section, path) in candidates {
        let Some(section) = section else { continue };
        let id = section.get("aws_access_key_id").filter(|v| !v.is_empty());
        let secret = section
            .get("aws_secret_access_key")
            .filter(|v| !v.is_empty());
        match (id, secret) {
            (Some(id), Some(secret)) => {
                let token = section
                    .get("aws_session_token")
                    .or_else(|| section.get("aws_security_token"))
                    .map(str::to_string);
                return Ok((
                    Credentials::new(id, secret, token),
                    Source::Profile {
                        name,
                        path: path.clone(),
                    },
                ));
            }
            (Some(_), None) => {
                return Err(Error::Credentials(format!(
                    "profile {name:?} in {} (line {}) has aws_access_key_id but no aws_secret_access_key",
                    path.display(),
                    section.line
                )))
            }
            (None, Some(_)) => {
                return Err(Error::Credentials(format!(
                    "profile {name:?} in {} (line {}) has aws_secret_access_key but no aws_access_key_id",
                    path.display(),
                    section.line
                )))
            }
            (None, None) => {}
        }
    }
    // The profile exists but holds no keys: say what it uses instead, if we know.
    let mut unsupported = Vec::new();
    for (section, _) in candidates {
        for key in [
            "role_arn",
            "credential_process",
            "sso_session",
            "sso_start_url",
            "web_identity_token_file",
            "credential_source",
        ] {
            if section.and_then(|s| s.get(key)).is_some() && !unsupported.contains(&key) {
                unsupported.push(key);
            }
        }
    }
    let why = if unsupported.is_empty() {
        "has no aws_access_key_id / aws_secret_access_key".to_string()
    } else {
        format!(
            "uses {} which deploy does not support; export static keys instead \
             (e.g. `aws configure export-credentials --format env`)",
            unsupported.join(", ")
        )
    };
    Err(Error::Credentials(format!(
        "profile {name:?} ({} / {}) {why}",
        files.credentials_path.display(),
        files.config_path.display()
    )))
}

/// Credentials as the AWS CLI finds them; see the module docs for the order.
pub fn load_credentials(profile: Option<&str>) -> Result<Credentials, Error> {
    load_credentials_from(profile, &ProcessEnv).map(|(c, _)| c)
}

/// [`resolve_region`] with the environment given explicitly.
pub fn resolve_region_from(
    cli: Option<&str>,
    profile: Option<&str>,
    env: &dyn Env,
) -> Result<String, Error> {
    if let Some(r) = cli.filter(|r| !r.is_empty()) {
        return validate_region(r);
    }
    if let Some(r) = env
        .var("AWS_REGION")
        .or_else(|| env.var("AWS_DEFAULT_REGION"))
    {
        return validate_region(&r);
    }
    let name = profile_name(profile, env);
    let files = SharedFiles::locate(env)?;
    let config_sections = read_sections(&files.config_path, FileKind::Config)?;
    if let Some(r) = find(&config_sections, &name).and_then(|s| s.get("region")) {
        return validate_region(r);
    }
    // Some tools also honour `region` in the credentials file; accept it as a last resort.
    let creds_sections = read_sections(&files.credentials_path, FileKind::Credentials)?;
    if let Some(r) = find(&creds_sections, &name).and_then(|s| s.get("region")) {
        return validate_region(r);
    }
    Err(Error::Region(format!(
        "no region: pass --region, set AWS_REGION, or set `region` in profile {name:?} of {}",
        files.config_path.display()
    )))
}

/// The region: `--region`, `AWS_REGION`, `AWS_DEFAULT_REGION`, then the profile's `region`.
pub fn resolve_region(cli: Option<&str>, profile: Option<&str>) -> Result<String, Error> {
    resolve_region_from(cli, profile, &ProcessEnv)
}

/// A region goes into a host name: letters, digits and dashes only.
fn validate_region(r: &str) -> Result<String, Error> {
    let ok = !r.is_empty()
        && r.len() <= 64
        && r.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(r.to_string())
    } else {
        Err(Error::Region(format!(
            "{r:?} is not a region name (expected something like us-east-1)"
        )))
    }
}

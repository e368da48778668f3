//! The deploy flow: look at the function, plan, then create or update, wait, publish, alias.
//!
//! Planning only reads (`GetFunctionConfiguration`, `GetAlias`), so `--dry-run` prints exactly
//! what [`execute`] would do.

use std::fmt;
use std::time::Duration;

use crate::error::Error;
use crate::lambda::{AliasConfiguration, ConfigUpdate, CreateFunction, FunctionConfiguration};
use crate::LambdaClient;

/// The runtime rayo targets.
pub const RUNTIME: &str = "provided.al2023";
/// Custom runtimes ignore the handler, but Lambda requires one.
pub const HANDLER: &str = "bootstrap";
/// Defaults used when creating a function (updates change only what was asked for).
pub const DEFAULT_MEMORY_MB: u32 = 128;
/// Timeout in seconds when creating a function without `--timeout`.
pub const DEFAULT_TIMEOUT_S: u32 = 10;
/// Lambda's limit for a zip sent inline (`ZipFile`); larger ones must go through S3.
pub const MAX_INLINE_ZIP_BYTES: usize = 50 * 1024 * 1024;

/// Lambda's CPU architectures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Architecture {
    /// Graviton (`arm64`).
    Arm64,
    /// Intel and AMD (`x86_64`).
    X86_64,
}

impl Architecture {
    /// The name Lambda's API uses (`arm64`, `x86_64`).
    pub fn as_str(self) -> &'static str {
        match self {
            Architecture::Arm64 => "arm64",
            Architecture::X86_64 => "x86_64",
        }
    }
}

impl std::str::FromStr for Architecture {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "arm64" | "aarch64" => Ok(Architecture::Arm64),
            "x86_64" | "amd64" | "x86-64" => Ok(Architecture::X86_64),
            other => Err(Error::InvalidArgument(format!(
                "architecture {other:?}: expected arm64 or x86_64"
            ))),
        }
    }
}

/// What the function should look like after the deploy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desired {
    /// The function's name.
    pub function_name: String,
    /// The zip to deploy, as bytes.
    pub zip: Vec<u8>,
    /// The zip's architecture.
    pub architecture: Architecture,
    /// Needed to create; when set on an existing function, updated if different.
    pub role: Option<String>,
    /// `None`: the default on create, unchanged on update.
    pub memory_size: Option<u32>,
    /// Seconds; `None`: the default on create, unchanged on update.
    pub timeout: Option<u32>,
    /// `None`: none on create, unchanged on update. `Some`: the full map.
    pub environment: Option<Vec<(String, String)>>,
    /// `None`: none on create, unchanged on update.
    pub description: Option<String>,
    /// Publish a version after the deploy.
    pub publish: bool,
    /// Point this alias at the published version (needs `publish`).
    pub alias: Option<String>,
}

/// What happens to the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeAction {
    /// The function does not exist: `CreateFunction`.
    Create,
    /// Same zip and architecture: no upload.
    Skip,
    /// `UpdateFunctionCode`, and why.
    Update(String),
}

/// What happens to the alias.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AliasAction {
    /// `CreateAlias` with this name.
    Create(String),
    /// `UpdateAlias`, moving it off `from_version`.
    Update {
        /// The alias's name.
        name: String,
        /// The version it points at now.
        from_version: String,
    },
}

/// The steps a deploy will take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The function's name.
    pub function_name: String,
    /// Base64 SHA-256 of the zip to deploy.
    pub code_sha256: String,
    /// The zip's size.
    pub zip_bytes: usize,
    /// The deployed code's `CodeSha256`, when the function exists.
    pub current_code_sha256: Option<String>,
    /// What happens to the code.
    pub code: CodeAction,
    /// Settings to change on an existing function (empty: none).
    pub config: ConfigUpdate,
    /// One human line per configuration change (environment values are never shown).
    pub config_changes: Vec<String>,
    /// Publish a version at the end.
    pub publish: bool,
    /// What happens to the alias, when one was asked for.
    pub alias: Option<AliasAction>,
}

fn env_summary(env: &[(String, String)]) -> String {
    if env.is_empty() {
        return "(none)".into();
    }
    let names: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
    format!("{} (values not shown)", names.join(", "))
}

fn sorted(env: &[(String, String)]) -> Vec<(String, String)> {
    let mut v = env.to_vec();
    v.sort();
    v
}

/// Decides what to do, from the function's current configuration (`None`: absent) and alias.
pub fn make_plan(
    current: Option<&FunctionConfiguration>,
    current_alias: Option<&AliasConfiguration>,
    desired: &Desired,
) -> Result<Plan, Error> {
    if desired.alias.is_some() && !desired.publish {
        return Err(Error::InvalidArgument(
            "--alias needs --publish: an alias points at a published version".into(),
        ));
    }
    if desired.zip.len() > MAX_INLINE_ZIP_BYTES {
        return Err(Error::InvalidArgument(format!(
            "the zip is {} bytes; Lambda accepts at most {MAX_INLINE_ZIP_BYTES} bytes inline \
             (uploads through S3 are not supported)",
            desired.zip.len()
        )));
    }
    let code_sha256 = crate::code_sha256(&desired.zip);
    let arch = desired.architecture.as_str();
    let mut config = ConfigUpdate::default();
    let mut changes = Vec::new();
    let code = match current {
        None => {
            if desired.role.is_none() {
                return Err(Error::InvalidArgument(format!(
                    "function {:?} does not exist; --role ARN is needed to create it",
                    desired.function_name
                )));
            }
            CodeAction::Create
        }
        Some(cur) => {
            let arch_same = cur.architectures.is_empty() && arch == "x86_64"
                || cur.architectures.iter().map(String::as_str).eq([arch]);
            if cur.code_sha256 != code_sha256 {
                CodeAction::Update(format!(
                    "CodeSha256 {} -> {code_sha256}",
                    if cur.code_sha256.is_empty() {
                        "(none)"
                    } else {
                        &cur.code_sha256
                    }
                ))
            } else if !arch_same {
                CodeAction::Update(format!(
                    "architecture {} -> {arch}",
                    cur.architectures.join(",")
                ))
            } else {
                CodeAction::Skip
            }
        }
    };
    if let Some(cur) = current {
        if let Some(m) = desired.memory_size.filter(|m| cur.memory_size != Some(*m)) {
            config.memory_size = Some(m);
            changes.push(format!(
                "memory {} -> {m} MB",
                cur.memory_size.map_or("-".into(), |v| v.to_string())
            ));
        }
        if let Some(t) = desired.timeout.filter(|t| cur.timeout != Some(*t)) {
            config.timeout = Some(t);
            changes.push(format!(
                "timeout {} -> {t} s",
                cur.timeout.map_or("-".into(), |v| v.to_string())
            ));
        }
        if let Some(env) = &desired.environment {
            if sorted(env) != sorted(&cur.environment) {
                config.environment = Some(sorted(env));
                changes.push(format!(
                    "environment {} -> {}",
                    env_summary(&cur.environment),
                    env_summary(env)
                ));
            }
        }
        if let Some(d) = &desired.description {
            if cur.description.as_deref().unwrap_or("") != d {
                config.description = Some(d.clone());
                changes.push(format!("description -> {d:?}"));
            }
        }
        if let Some(r) = &desired.role {
            if cur.role.as_deref() != Some(r.as_str()) {
                config.role = Some(r.clone());
                changes.push(format!(
                    "role {} -> {r}",
                    cur.role.as_deref().unwrap_or("-")
                ));
            }
        }
        if cur.runtime.as_deref() != Some(RUNTIME) {
            config.runtime = Some(RUNTIME.into());
            changes.push(format!(
                "runtime {} -> {RUNTIME}",
                cur.runtime.as_deref().unwrap_or("-")
            ));
        }
        if cur.handler.as_deref() != Some(HANDLER) {
            config.handler = Some(HANDLER.into());
            changes.push(format!(
                "handler {} -> {HANDLER}",
                cur.handler.as_deref().unwrap_or("-")
            ));
        }
    }
    let alias = desired.alias.as_ref().map(|name| match current_alias {
        Some(a) => AliasAction::Update {
            name: name.clone(),
            from_version: a.function_version.clone(),
        },
        None => AliasAction::Create(name.clone()),
    });
    Ok(Plan {
        function_name: desired.function_name.clone(),
        code_sha256,
        zip_bytes: desired.zip.len(),
        current_code_sha256: current.map(|c| c.code_sha256.clone()),
        code,
        config,
        config_changes: changes,
        publish: desired.publish,
        alias,
    })
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "plan for function {}:", self.function_name)?;
        let mut n = 0;
        let mut step = |f: &mut fmt::Formatter<'_>, text: String| -> fmt::Result {
            n += 1;
            writeln!(f, "  {n}. {text}")
        };
        match &self.code {
            CodeAction::Create => step(
                f,
                format!(
                    "CreateFunction ({RUNTIME}, {} byte zip, CodeSha256 {}), then wait until Active",
                    self.zip_bytes, self.code_sha256
                ),
            )?,
            CodeAction::Skip => step(
                f,
                format!(
                    "skip UpdateFunctionCode: CodeSha256 {} is already deployed",
                    self.code_sha256
                ),
            )?,
            CodeAction::Update(why) => step(
                f,
                format!(
                    "UpdateFunctionCode ({} byte zip; {why}), then wait until Successful",
                    self.zip_bytes
                ),
            )?,
        }
        if self.code != CodeAction::Create {
            if self.config_changes.is_empty() {
                step(f, "configuration unchanged".into())?;
            } else {
                step(
                    f,
                    format!(
                        "UpdateFunctionConfiguration: {}, then wait until Successful",
                        self.config_changes.join("; ")
                    ),
                )?;
            }
        }
        if self.publish {
            step(f, "PublishVersion".into())?;
        }
        match &self.alias {
            Some(AliasAction::Create(name)) => {
                step(f, format!("CreateAlias {name} -> the published version"))?
            }
            Some(AliasAction::Update { name, from_version }) => step(
                f,
                format!("UpdateAlias {name}: version {from_version} -> the published version"),
            )?,
            None => {}
        }
        Ok(())
    }
}

/// Reads the current state and plans.
pub fn plan(client: &LambdaClient, desired: &Desired) -> Result<Plan, Error> {
    let current = match client.get_function_configuration(&desired.function_name) {
        Ok(c) => Some(c),
        Err(e) if e.is_resource_not_found() => None,
        Err(e) => return Err(e),
    };
    let alias = match (&desired.alias, &current) {
        (Some(a), Some(_)) => match client.get_alias(&desired.function_name, a) {
            Ok(c) => Some(c),
            Err(e) if e.is_resource_not_found() => None,
            Err(e) => return Err(e),
        },
        _ => None,
    };
    make_plan(current.as_ref(), alias.as_ref(), desired)
}

/// What a deploy did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The function's configuration after the deploy.
    pub configuration: FunctionConfiguration,
    /// The function was created.
    pub created: bool,
    /// New code was uploaded (false when it was skipped as identical).
    pub code_uploaded: bool,
    /// The configuration was changed.
    pub config_updated: bool,
    /// The version published, with `--publish`.
    pub published_version: Option<String>,
    /// The alias, as it now points, with `--alias`.
    pub alias: Option<AliasConfiguration>,
}

/// Carries out `plan`. `max_wait` bounds each wait for the function to settle.
pub fn execute(
    client: &LambdaClient,
    desired: &Desired,
    plan: &Plan,
    max_wait: Duration,
) -> Result<Outcome, Error> {
    let name = desired.function_name.as_str();
    let mut outcome = Outcome {
        configuration: FunctionConfiguration::default(),
        created: false,
        code_uploaded: false,
        config_updated: false,
        published_version: None,
        alias: None,
    };
    match &plan.code {
        CodeAction::Create => {
            let role = desired.role.as_deref().ok_or_else(|| {
                Error::InvalidArgument("--role ARN is needed to create a function".into())
            })?;
            client.create_function(&CreateFunction {
                function_name: name,
                role,
                zip: &desired.zip,
                architecture: desired.architecture.as_str(),
                runtime: RUNTIME,
                handler: HANDLER,
                memory_size: Some(desired.memory_size.unwrap_or(DEFAULT_MEMORY_MB)),
                timeout: Some(desired.timeout.unwrap_or(DEFAULT_TIMEOUT_S)),
                environment: desired.environment.clone().unwrap_or_default(),
                description: desired.description.as_deref(),
                publish: false,
            })?;
            outcome.created = true;
            outcome.code_uploaded = true;
            outcome.configuration = client.wait_until_updated(name, max_wait)?;
        }
        CodeAction::Skip | CodeAction::Update(_) => {
            // A change still in progress would make the next call fail with a conflict.
            outcome.configuration = client.wait_until_updated(name, max_wait)?;
            if let CodeAction::Update(_) = plan.code {
                client.update_function_code(
                    name,
                    &desired.zip,
                    Some(desired.architecture.as_str()),
                    false,
                )?;
                outcome.code_uploaded = true;
                outcome.configuration = client.wait_until_updated(name, max_wait)?;
            }
            if !plan.config.is_empty() {
                client.update_function_configuration(name, &plan.config)?;
                outcome.config_updated = true;
                outcome.configuration = client.wait_until_updated(name, max_wait)?;
            }
        }
    }
    if outcome.configuration.code_sha256 != plan.code_sha256 {
        return Err(Error::InvalidResponse {
            operation: "GetFunctionConfiguration".into(),
            message: format!(
                "after the deploy CodeSha256 is {} but the zip's is {}",
                outcome.configuration.code_sha256, plan.code_sha256
            ),
        });
    }
    if plan.publish {
        let v = client.publish_version(
            name,
            Some(&plan.code_sha256),
            desired.description.as_deref(),
        )?;
        let version = v.version.clone().ok_or_else(|| Error::InvalidResponse {
            operation: "PublishVersion".into(),
            message: "no Version in the answer".into(),
        })?;
        outcome.published_version = Some(version.clone());
        outcome.alias = match &plan.alias {
            Some(AliasAction::Create(a)) => Some(client.create_alias(name, a, &version, None)?),
            Some(AliasAction::Update { name: a, .. }) => {
                Some(client.update_alias(name, a, &version)?)
            }
            None => None,
        };
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desired(zip: &[u8]) -> Desired {
        Desired {
            function_name: "f".into(),
            zip: zip.to_vec(),
            architecture: Architecture::Arm64,
            role: Some("arn:aws:iam::123456789012:role/r".into()),
            memory_size: None,
            timeout: None,
            environment: None,
            description: None,
            publish: false,
            alias: None,
        }
    }

    fn current(zip: &[u8]) -> FunctionConfiguration {
        FunctionConfiguration {
            function_name: "f".into(),
            code_sha256: crate::code_sha256(zip),
            architectures: vec!["arm64".into()],
            runtime: Some(RUNTIME.into()),
            handler: Some(HANDLER.into()),
            role: Some("arn:aws:iam::123456789012:role/r".into()),
            memory_size: Some(128),
            timeout: Some(10),
            environment: vec![("A".into(), "1".into())],
            ..Default::default()
        }
    }

    #[test]
    fn absent_function_is_created_and_needs_a_role() {
        let p = make_plan(None, None, &desired(b"zip")).unwrap();
        assert_eq!(p.code, CodeAction::Create);
        let mut d = desired(b"zip");
        d.role = None;
        let e = make_plan(None, None, &d).unwrap_err().to_string();
        assert!(e.contains("--role"), "{e}");
    }

    #[test]
    fn identical_code_is_skipped_and_new_code_updated() {
        let cur = current(b"zip");
        let p = make_plan(Some(&cur), None, &desired(b"zip")).unwrap();
        assert_eq!(p.code, CodeAction::Skip);
        assert!(p.config.is_empty(), "{:?}", p.config);
        let p = make_plan(Some(&cur), None, &desired(b"zip2")).unwrap();
        assert!(matches!(p.code, CodeAction::Update(_)));
        let mut d = desired(b"zip");
        d.architecture = Architecture::X86_64;
        let p = make_plan(Some(&cur), None, &d).unwrap();
        assert!(matches!(&p.code, CodeAction::Update(why) if why.contains("architecture")));
    }

    #[test]
    fn only_requested_changes_are_planned_and_env_values_hidden() {
        let cur = current(b"zip");
        let mut d = desired(b"zip");
        d.memory_size = Some(128);
        d.timeout = Some(30);
        d.environment = Some(vec![("A".into(), "secret-value".into())]);
        let p = make_plan(Some(&cur), None, &d).unwrap();
        assert_eq!(p.config.memory_size, None);
        assert_eq!(p.config.timeout, Some(30));
        assert!(p.config.environment.is_some());
        let shown = p.to_string();
        assert!(shown.contains("timeout 10 -> 30 s"), "{shown}");
        assert!(!shown.contains("secret-value"), "{shown}");
    }

    #[test]
    fn oversized_zips_are_refused_before_any_upload() {
        let d = desired(&vec![0u8; MAX_INLINE_ZIP_BYTES + 1]);
        let e = make_plan(None, None, &d).unwrap_err().to_string();
        assert!(e.contains("at most 52428800 bytes inline"), "{e}");
    }

    #[test]
    fn alias_needs_publish() {
        let mut d = desired(b"zip");
        d.alias = Some("live".into());
        assert!(make_plan(None, None, &d).is_err());
        d.publish = true;
        let p = make_plan(None, None, &d).unwrap();
        assert_eq!(p.alias, Some(AliasAction::Create("live".into())));
    }
}

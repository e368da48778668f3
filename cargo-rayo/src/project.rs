//! The crate being built, from `cargo metadata`: which package owns the binary, whether it
//! depends on rayo-runtime, and its `[package.metadata.rayo]` settings.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use miniserde::json::{Number, Value};

use crate::error::{Error, Result};
use crate::tools;

/// The workspace `cargo metadata` describes.
#[derive(Debug)]
pub(crate) struct Workspace {
    /// Its root directory.
    pub root: PathBuf,
    /// Where cargo builds (`CARGO_TARGET_DIR` or `ROOT/target`).
    pub target_dir: PathBuf,
    /// Its member packages.
    pub packages: Vec<Package>,
    /// `[profile.release-ultra]` is defined in the root manifest.
    pub has_release_ultra: bool,
    /// `[profile.release-ultra.package.rayo-kernels]` is defined in the root manifest.
    pub has_kernels_override: bool,
}

/// One member package.
#[derive(Debug, Clone)]
pub(crate) struct Package {
    /// Its name.
    pub name: String,
    /// Its directory.
    pub dir: PathBuf,
    /// Its binaries.
    pub bins: Vec<Bin>,
    /// Its declared dependencies (names as published, path when a path dependency).
    pub deps: Vec<(String, Option<PathBuf>)>,
    /// The features it declares.
    pub features: Vec<String>,
    /// `[package.metadata.rayo]`.
    pub rayo: Metadata,
}

/// A binary target.
#[derive(Debug, Clone)]
pub(crate) struct Bin {
    /// Its name.
    pub name: String,
    /// `required-features`.
    pub required_features: Vec<String>,
}

/// `[package.metadata.rayo]`: every key is optional. See cargo-rayo/README.md.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Metadata {
    /// `budget`: bytes for the stripped binary, one number for every tier or a table
    /// `{ default = N, tiny = N, tiniest = N }`; a tier left out keeps its default.
    pub budget: BTreeMap<String, u64>,
    /// `files`: zip path -> source, put beside `bootstrap` in bootstrap.zip (/var/task).
    pub files: BTreeMap<String, String>,
    /// `layer`: zip path -> source, put in NAME-layer.zip, which Lambda unpacks under /opt.
    pub layer: BTreeMap<String, String>,
    /// `prepare`: commands run in the package's directory before the build.
    pub prepare: Vec<Prepare>,
    /// `tiniest`: the features the tiniest tier builds with.
    pub tiniest: Option<TierFeatures>,
    /// `tier`: the tier `build` and `bench` use when `--tier` is not given (else `default`).
    pub tier: Option<crate::build::Tier>,
}

/// One `[[package.metadata.rayo.prepare]]` step.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Prepare {
    /// `run`: the program and its arguments (no shell); `{target}` and `{package}` expand.
    pub run: Vec<String>,
    /// `creates`: when every one of these exists, the step is skipped.
    pub creates: Vec<String>,
}

/// `tiniest = { default-features = false, features = [...] }`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TierFeatures {
    /// Build with the package's default features.
    pub default_features: bool,
    /// Features to add.
    pub features: Vec<String>,
}

/// What `build`, `watch` and `bench` act on: one binary of one package.
#[derive(Debug)]
pub(crate) struct Target {
    /// The workspace.
    pub ws: Workspace,
    /// Index of the package in `ws.packages`.
    pub package: usize,
    /// The binary's name.
    pub bin: String,
    /// Its `required-features`.
    pub required_features: Vec<String>,
}

impl Target {
    /// The package.
    pub(crate) fn pkg(&self) -> &Package {
        &self.ws.packages[self.package]
    }

    /// The binary's package depends on `name` (directly, or through a workspace member).
    pub(crate) fn depends_on(&self, name: &str) -> bool {
        depends_on(&self.ws, self.package, name, &mut Vec::new())
    }
}

/// Reads the workspace of `manifest` (or of the current directory) with `cargo metadata`.
pub(crate) fn load(manifest: Option<&Path>) -> Result<Workspace> {
    let mut cmd = tools::cargo();
    cmd.args(["metadata", "--format-version", "1", "--no-deps"]);
    if let Some(m) = manifest {
        cmd.arg("--manifest-path").arg(m);
    }
    let out = cmd.output().map_err(|e| {
        Error::Tool(format!(
            "cannot run {:?} ({e}): install Rust with rustup (https://rustup.rs), then run the command again",
            cmd.get_program()
        ))
    })?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let first = err
            .lines()
            .find(|l| l.starts_with("error"))
            .unwrap_or(err.trim());
        let first = first.strip_prefix("error: ").unwrap_or(first);
        return Err(Error::Build(format!(
            "cargo metadata failed: {first} (run cargo rayo in a function's directory, give --manifest-path PATH, or start one with cargo rayo new NAME)"
        )));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let doc: Value = miniserde::json::from_str(&text)
        .map_err(|_| Error::Build("cargo metadata printed something that is not JSON".into()))?;
    let root = PathBuf::from(str_of(&doc, "workspace_root")?);
    let target_dir = PathBuf::from(str_of(&doc, "target_directory")?);
    let members: Vec<&str> = array_of(&doc, "workspace_members")?
        .iter()
        .filter_map(as_str)
        .collect();
    let mut packages = Vec::new();
    for p in array_of(&doc, "packages")? {
        let id = str_of(p, "id")?;
        if !members.contains(&id) {
            continue;
        }
        packages.push(package(p)?);
    }
    let root_manifest = std::fs::read_to_string(root.join("Cargo.toml"))
        .map_err(|e| Error::io(format!("reading {}", root.join("Cargo.toml").display()), e))?;
    let has_table = |t: &str| root_manifest.lines().any(|l| l.trim() == t);
    Ok(Workspace {
        root,
        target_dir,
        packages,
        has_release_ultra: has_table("[profile.release-ultra]"),
        has_kernels_override: has_table("[profile.release-ultra.package.rayo-kernels]"),
    })
}

fn package(p: &Value) -> Result<Package> {
    let name = str_of(p, "name")?.to_string();
    let manifest = PathBuf::from(str_of(p, "manifest_path")?);
    let dir = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut bins = Vec::new();
    for t in array_of(p, "targets")? {
        let kinds = array_of(t, "kind")?;
        if kinds.iter().any(|k| as_str(k) == Some("bin")) {
            bins.push(Bin {
                name: str_of(t, "name")?.to_string(),
                required_features: get(t, "required-features")
                    .and_then(as_array)
                    .map(|a| a.iter().filter_map(as_str).map(String::from).collect())
                    .unwrap_or_default(),
            });
        }
    }
    let mut deps = Vec::new();
    for d in array_of(p, "dependencies")? {
        // Dev and build dependencies do not make a function a rayo function.
        if get(d, "kind").and_then(as_str).is_some() {
            continue;
        }
        deps.push((
            str_of(d, "name")?.to_string(),
            get(d, "path").and_then(as_str).map(PathBuf::from),
        ));
    }
    let features = match get(p, "features") {
        Some(Value::Object(f)) => f.keys().cloned().collect(),
        _ => Vec::new(),
    };
    let rayo = match get(p, "metadata").and_then(|m| get(m, "rayo")) {
        Some(v) => metadata(v).map_err(|e| {
            Error::Build(format!(
                "{}: [package.metadata.rayo]: {e} (see cargo-rayo/README.md)",
                manifest.display()
            ))
        })?,
        None => Metadata::default(),
    };
    Ok(Package {
        name,
        dir,
        bins,
        deps,
        features,
        rayo,
    })
}

/// Parses `[package.metadata.rayo]`; the `Err` names the key and what is wrong.
pub(crate) fn metadata(v: &Value) -> std::result::Result<Metadata, String> {
    let Value::Object(keys) = v else {
        return Err("expected a table".into());
    };
    let mut m = Metadata::default();
    for (key, value) in keys.iter() {
        match key.as_str() {
            "budget" => match value {
                Value::Number(_) => {
                    let n = whole(value).ok_or("budget: expected a whole number of bytes")?;
                    for tier in crate::build::TIER_NAMES {
                        m.budget.insert(tier.to_string(), n);
                    }
                }
                Value::Object(t) => {
                    for (tier, n) in t.iter() {
                        if !crate::build::TIER_NAMES.contains(&tier.as_str()) {
                            return Err(format!(
                                "budget.{tier}: not a tier (default, tiny, tiniest)"
                            ));
                        }
                        let n = whole(n)
                            .ok_or(format!("budget.{tier}: expected a whole number of bytes"))?;
                        m.budget.insert(tier.clone(), n);
                    }
                }
                _ => return Err("budget: expected bytes, or a table of bytes per tier".into()),
            },
            "files" | "layer" => {
                let Value::Object(t) = value else {
                    return Err(format!(
                        "{key}: expected a table of \"zip path\" = \"source\""
                    ));
                };
                let mut map = BTreeMap::new();
                for (zip_path, source) in t.iter() {
                    let source = as_str(source).ok_or(format!(
                        "{key}.{zip_path:?}: expected a source path (a string)"
                    ))?;
                    check_zip_path(zip_path).map_err(|e| format!("{key}: {e}"))?;
                    if key == "files" && zip_path == "bootstrap" {
                        return Err("files: \"bootstrap\" is the built binary's place".into());
                    }
                    map.insert(zip_path.clone(), source.to_string());
                }
                if key == "files" {
                    m.files = map;
                } else {
                    m.layer = map;
                }
            }
            "prepare" => {
                let Value::Array(steps) = value else {
                    return Err(
                        "prepare: expected an array of { run = [...], creates = [...] }".into(),
                    );
                };
                for (i, step) in steps.iter().enumerate() {
                    let strings = |k: &str| -> std::result::Result<Vec<String>, String> {
                        match get(step, k) {
                            None => Ok(Vec::new()),
                            Some(Value::Array(a)) => a
                                .iter()
                                .map(|s| {
                                    as_str(s)
                                        .map(String::from)
                                        .ok_or(format!("prepare[{i}].{k}: expected strings"))
                                })
                                .collect(),
                            Some(_) => {
                                Err(format!("prepare[{i}].{k}: expected an array of strings"))
                            }
                        }
                    };
                    let run = strings("run")?;
                    if run.is_empty() {
                        return Err(format!(
                            "prepare[{i}].run: give the program and its arguments"
                        ));
                    }
                    m.prepare.push(Prepare {
                        run,
                        creates: strings("creates")?,
                    });
                }
            }
            "tiniest" => {
                let default_features = match get(value, "default-features") {
                    None => true,
                    Some(Value::Bool(b)) => *b,
                    Some(_) => {
                        return Err("tiniest.default-features: expected true or false".into())
                    }
                };
                let features = match get(value, "features") {
                    None => Vec::new(),
                    Some(Value::Array(a)) => a
                        .iter()
                        .map(|s| {
                            as_str(s)
                                .map(String::from)
                                .ok_or("tiniest.features: expected strings".to_string())
                        })
                        .collect::<std::result::Result<_, _>>()?,
                    Some(_) => return Err("tiniest.features: expected an array of strings".into()),
                };
                m.tiniest = Some(TierFeatures {
                    default_features,
                    features,
                });
            }
            "tier" => {
                m.tier = Some(
                    as_str(value)
                        .and_then(crate::build::Tier::parse)
                        .ok_or("tier: expected \"default\", \"tiny\" or \"tiniest\"")?,
                );
            }
            other => {
                return Err(format!(
                    "unknown key {other:?} (known: budget, files, layer, prepare, tier, tiniest)"
                ))
            }
        }
    }
    Ok(m)
}

/// A zip path that stays inside the zip's root: relative, no `..`, no empty segments.
fn check_zip_path(p: &str) -> std::result::Result<(), String> {
    let bad = p.is_empty()
        || p.starts_with('/')
        || p.contains('\\')
        || p.split('/').any(|s| s.is_empty() || s == "." || s == "..");
    if bad {
        Err(format!(
            "{p:?} is not a relative path inside the zip (no leading /, no . or .. segments)"
        ))
    } else {
        Ok(())
    }
}

/// Finds the binary to build: `--bin` (in any member), else `-p`'s or the current
/// package's only binary; checks its package depends on rayo-runtime.
pub(crate) fn target(ws: Workspace, bin: Option<&str>, package: Option<&str>) -> Result<Target> {
    let cwd = std::env::current_dir().unwrap_or_default();
    let all_bins = || {
        let mut names: Vec<String> = ws
            .packages
            .iter()
            .flat_map(|p| p.bins.iter().map(|b| b.name.clone()))
            .collect();
        names.sort();
        names.join(", ")
    };
    let candidates: Vec<usize> = match package {
        Some(name) => match ws.packages.iter().position(|p| p.name == name) {
            Some(i) => vec![i],
            None => {
                return Err(Error::Build(format!(
                    "no package {name:?} in the workspace at {}",
                    ws.root.display()
                )))
            }
        },
        None => (0..ws.packages.len()).collect(),
    };
    let (package, b) = match bin {
        Some(name) => {
            let owners: Vec<(usize, &Bin)> = candidates
                .iter()
                .filter_map(|&i| {
                    ws.packages[i]
                        .bins
                        .iter()
                        .find(|b| b.name == name)
                        .map(|b| (i, b))
                })
                .collect();
            match owners.as_slice() {
                [one] => *one,
                [] => {
                    let names = all_bins();
                    let next = if names.is_empty() || names.contains(", ") {
                        "--bin NAME".to_string()
                    } else {
                        format!("--bin {names}")
                    };
                    return Err(Error::Build(format!(
                        "no binary {name:?} in {} (binaries: {names}): build one of them with {next}",
                        ws.root.display(),
                    )));
                }
                _ => {
                    return Err(Error::Usage(format!(
                        "several packages have a binary {name:?}: pick one with -p PACKAGE"
                    )))
                }
            }
        }
        None => {
            // The package whose directory we are in (the innermost), else every candidate.
            let here = candidates
                .iter()
                .copied()
                .filter(|&i| cwd.starts_with(&ws.packages[i].dir))
                .max_by_key(|&i| ws.packages[i].dir.as_os_str().len());
            let pool = match here {
                Some(i) => vec![i],
                None => candidates,
            };
            let bins: Vec<(usize, &Bin)> = pool
                .iter()
                .flat_map(|&i| ws.packages[i].bins.iter().map(move |b| (i, b)))
                .collect();
            match bins.as_slice() {
                [one] => *one,
                [] => {
                    return Err(Error::Build(format!(
                        "no binary to build in {}: a Lambda function is a binary crate (cargo rayo new NAME writes one)",
                        ws.root.display()
                    )))
                }
                _ => {
                    return Err(Error::Usage(format!(
                        "several binaries here: pick one with --bin NAME ({})",
                        all_bins()
                    )))
                }
            }
        }
    };
    let (bin, required_features) = (b.name.clone(), b.required_features.clone());
    if !depends_on(&ws, package, "rayo-runtime", &mut Vec::new()) {
        let p = &ws.packages[package];
        return Err(Error::Build(format!(
            "package {} does not depend on rayo-runtime, so {bin} is not a rayo function: add rayo-runtime to [dependencies] in {} (cargo rayo new NAME writes a crate that does)",
            p.name,
            p.dir.join("Cargo.toml").display()
        )));
    }
    Ok(Target {
        ws,
        package,
        bin,
        required_features,
    })
}

/// Package `i` is `name` or depends on it, directly or through another workspace member.
fn depends_on(ws: &Workspace, i: usize, name: &str, seen: &mut Vec<usize>) -> bool {
    if ws.packages[i].name == name {
        return true;
    }
    seen.push(i);
    ws.packages[i].deps.iter().any(|(dep, _)| {
        dep == name
            || ws
                .packages
                .iter()
                .position(|p| &p.name == dep)
                .is_some_and(|j| !seen.contains(&j) && depends_on(ws, j, name, seen))
    })
}

/// `{target}` and `{package}` in a metadata path or argument.
pub(crate) fn expand(s: &str, ws: &Workspace, pkg: &Package) -> String {
    s.replace("{target}", &ws.target_dir.to_string_lossy())
        .replace("{package}", &pkg.dir.to_string_lossy())
}

fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    match v {
        Value::Object(o) => o.get(key),
        _ => None,
    }
}

fn as_str(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        _ => None,
    }
}

fn as_array(v: &Value) -> Option<&[Value]> {
    match v {
        Value::Array(a) => Some(a),
        _ => None,
    }
}

fn whole(v: &Value) -> Option<u64> {
    match v {
        Value::Number(Number::U64(n)) => Some(*n),
        _ => None,
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> Result<&'a str> {
    get(v, key)
        .and_then(as_str)
        .ok_or_else(|| Error::Build(format!("cargo metadata: no string {key:?}")))
}

fn array_of<'a>(v: &'a Value, key: &str) -> Result<&'a [Value]> {
    get(v, key)
        .and_then(as_array)
        .ok_or_else(|| Error::Build(format!("cargo metadata: no array {key:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> std::result::Result<Metadata, String> {
        metadata(&miniserde::json::from_str(json).unwrap())
    }

    #[test]
    fn every_key() {
        let m = parse(
            r#"{"budget":{"default":600000,"tiniest":150000},
                "files":{"vocab.txt":"data/vocab.txt"},
                "layer":{"model/w.rayo":"{target}/rayo-model/w.rayo"},
                "prepare":[{"run":["sh","fetch.sh","{target}"],"creates":["{target}/rayo-model/w.rayo"]}],
                "tiniest":{"default-features":false,"features":["neon"]},
                "tier":"tiny"}"#,
        )
        .unwrap();
        assert_eq!(m.budget.get("default"), Some(&600000));
        assert_eq!(m.budget.get("tiny"), None);
        assert_eq!(
            m.files.get("vocab.txt").map(String::as_str),
            Some("data/vocab.txt")
        );
        assert_eq!(m.layer.len(), 1);
        assert_eq!(m.prepare[0].run, ["sh", "fetch.sh", "{target}"]);
        assert_eq!(
            m.tiniest,
            Some(TierFeatures {
                default_features: false,
                features: vec!["neon".into()]
            })
        );
        assert_eq!(m.tier, Some(crate::build::Tier::Tiny));
        let all = parse(r#"{"budget":300000}"#).unwrap();
        assert_eq!(all.budget.len(), 3);
        assert_eq!(all.tier, None);
    }

    #[test]
    fn mistakes_name_the_key() {
        for (json, want) in [
            (r#"{"budgte":1}"#, "unknown key \"budgte\""),
            (r#"{"budget":"big"}"#, "budget: expected bytes"),
            (r#"{"budget":{"huge":1}}"#, "budget.huge: not a tier"),
            (r#"{"budget":1.5}"#, "whole number"),
            (r#"{"files":{"../x":"y"}}"#, "not a relative path"),
            (r#"{"files":{"/abs":"y"}}"#, "not a relative path"),
            (r#"{"files":{"bootstrap":"y"}}"#, "built binary's place"),
            (r#"{"layer":{"a":1}}"#, "expected a source path"),
            (r#"{"prepare":[{"creates":[]}]}"#, "prepare[0].run"),
            (r#"{"tiniest":{"features":"neon"}}"#, "tiniest.features"),
            (r#"{"tier":"small"}"#, "tier: expected"),
            (r#"{"tier":2}"#, "tier: expected"),
        ] {
            let e = parse(json).unwrap_err();
            assert!(e.contains(want), "{json}: {e}");
        }
    }
}

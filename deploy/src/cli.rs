//! The `deploy` command line, as a library so `cargo rayo deploy` runs the same code:
//! [`main`] takes the arguments and returns the exit status (0 done, 1 failed, 2 bad
//! arguments, the zip's contents included).

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::credentials::{load_credentials_from, ProcessEnv, Source};
use crate::flow::{self, Architecture, Desired};
use crate::transport::stderr_logger;
use crate::{Error, LambdaClient};

/// The `--help` text.
pub const USAGE: &str = "\
usage: deploy --function-name NAME --zip PATH --arch arm64|x86_64 [--role ARN]
              [--memory MB] [--timeout S] [--env K=V]... [--description TEXT]
              [--publish] [--alias NAME] [--region R] [--profile P]
              [--endpoint-url URL] [--wait-timeout S] [--dry-run] [-v]

Creates the function (provided.al2023) when absent, otherwise updates its code (skipped when
the zip's sha256 equals the deployed CodeSha256) and the configuration that was given, waits
until it is Active and Successful, then optionally publishes a version and points an alias.

  --role ARN           execution role; required to create
  --memory MB          default 128 on create; on update only changed when given
  --timeout S          default 10 on create; on update only changed when given
  --env K=V            repeatable; the full environment (replaces the existing map)
  --publish            publish a version after the deploy
  --alias NAME         point NAME at the published version (needs --publish)
  --endpoint-url URL   another endpoint (e.g. moto); plain http only on loopback
  --wait-timeout S     bound for each wait for the function to settle (default 300)
  --dry-run            check the zip, then read the function and print the plan; change
                       nothing (offline, without credentials: the zip check and the
                       request it would send)
  -v, --verbose        log each request (never credentials or bodies) to stderr

Credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY[/AWS_SESSION_TOKEN], else the profile
(--profile, AWS_PROFILE, default) in ~/.aws/credentials and ~/.aws/config.

Before anything is sent, the zip is checked offline: an executable `bootstrap` at its root,
an ELF for --arch (or a #! script). Exit status: 0 done, 1 failed, 2 bad arguments or zip.

example: deploy --function-name hello --zip target/lambda/hello/arm64/bootstrap.zip \\
             --arch arm64 --role arn:aws:iam::123456789012:role/lambda-basic --dry-run";

struct Args {
    desired: Desired,
    bootstrap: crate::package::Bootstrap,
    zip_path: PathBuf,
    region: Option<String>,
    profile: Option<String>,
    endpoint_url: Option<String>,
    wait: Duration,
    dry_run: bool,
    verbose: bool,
}

enum Parsed {
    Run(Box<Args>),
    Help,
}

fn usage_err(msg: impl Into<String>) -> Error {
    Error::InvalidArgument(msg.into())
}

fn parse_u32(flag: &str, v: &str, min: u32, max: u32) -> Result<u32, Error> {
    match v.parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(usage_err(format!(
            "{flag} {v:?}: expected a whole number from {min} to {max}"
        ))),
    }
}

fn parse_args(args: Vec<OsString>) -> Result<Parsed, Error> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_args(args);
    let mut name = None;
    let mut zip = None;
    let mut arch = None;
    let mut role = None;
    let mut memory = None;
    let mut timeout = None;
    let mut env: Option<Vec<(String, String)>> = None;
    let mut description = None;
    let mut publish = false;
    let mut alias = None;
    let mut region = None;
    let mut profile = None;
    let mut endpoint_url = None;
    let mut wait = Duration::from_secs(300);
    let mut dry_run = false;
    let mut verbose = false;
    let lex = |e: lexopt::Error| usage_err(e.to_string());
    while let Some(arg) = parser.next().map_err(lex)? {
        let value = |parser: &mut lexopt::Parser, flag: &str| -> Result<String, Error> {
            let v = parser.value().map_err(lex)?;
            v.into_string()
                .map_err(|_| usage_err(format!("{flag}: value is not valid UTF-8")))
        };
        match arg {
            Long("function-name") => name = Some(value(&mut parser, "--function-name")?),
            Long("zip") => zip = Some(PathBuf::from(parser.value().map_err(lex)?)),
            Long("arch") => arch = Some(value(&mut parser, "--arch")?.parse::<Architecture>()?),
            Long("role") => role = Some(value(&mut parser, "--role")?),
            Long("memory") => {
                memory = Some(parse_u32(
                    "--memory",
                    &value(&mut parser, "--memory")?,
                    128,
                    10_240,
                )?)
            }
            Long("timeout") => {
                timeout = Some(parse_u32(
                    "--timeout",
                    &value(&mut parser, "--timeout")?,
                    1,
                    900,
                )?)
            }
            Long("env") => {
                let kv = value(&mut parser, "--env")?;
                let Some((k, v)) = kv.split_once('=') else {
                    return Err(usage_err(format!(
                        "--env {:?}: expected KEY=VALUE",
                        kv.split('=').next().unwrap_or("")
                    )));
                };
                let valid_key = k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                    && k.as_bytes().first().is_some_and(u8::is_ascii_alphabetic);
                if !valid_key {
                    return Err(usage_err(format!(
                        "--env key {k:?}: letters, digits and _ only, starting with a letter"
                    )));
                }
                let list = env.get_or_insert_with(Vec::new);
                list.retain(|(existing, _)| existing != k);
                list.push((k.to_string(), v.to_string()));
            }
            Long("description") => description = Some(value(&mut parser, "--description")?),
            Long("publish") => publish = true,
            Long("alias") => alias = Some(value(&mut parser, "--alias")?),
            Long("region") => region = Some(value(&mut parser, "--region")?),
            Long("profile") => profile = Some(value(&mut parser, "--profile")?),
            Long("endpoint-url") => endpoint_url = Some(value(&mut parser, "--endpoint-url")?),
            Long("wait-timeout") => {
                let s = parse_u32(
                    "--wait-timeout",
                    &value(&mut parser, "--wait-timeout")?,
                    1,
                    3600,
                )?;
                wait = Duration::from_secs(u64::from(s));
            }
            Long("dry-run") => dry_run = true,
            Short('v') | Long("verbose") => verbose = true,
            Short('h') | Long("help") => return Ok(Parsed::Help),
            other => return Err(usage_err(other.unexpected().to_string())),
        }
    }
    let name = name.ok_or_else(|| usage_err("--function-name is required"))?;
    let zip_path = zip.ok_or_else(|| usage_err("--zip is required"))?;
    let architecture = arch.ok_or_else(|| usage_err("--arch is required (arm64 or x86_64)"))?;
    let zip_bytes = std::fs::read(&zip_path).map_err(|e| Error::Io {
        path: zip_path.clone(),
        source: e,
    })?;
    let bootstrap = crate::package::check(&zip_bytes, architecture)
        .map_err(|e| usage_err(format!("{}: {}", zip_path.display(), bare(e))))?;
    Ok(Parsed::Run(Box::new(Args {
        bootstrap,
        desired: Desired {
            function_name: name,
            zip: zip_bytes,
            architecture,
            role,
            memory_size: memory,
            timeout,
            environment: env,
            description,
            publish,
            alias,
        },
        zip_path,
        region,
        profile,
        endpoint_url,
        wait,
        dry_run,
        verbose,
    })))
}

/// The message of an `InvalidArgument`, without its "invalid argument: " prefix.
fn bare(e: Error) -> String {
    match e {
        Error::InvalidArgument(m) => m,
        other => other.to_string(),
    }
}

/// What `--dry-run` can say with neither credentials nor the network.
fn offline_plan(args: &Args, why: &str) {
    let d = &args.desired;
    println!("plan for function {} (offline: {why}):", d.function_name);
    println!(
        "  create it (needs --role{}) or update its code, {} byte zip, CodeSha256 {}, arch {}",
        if d.role.is_some() { ", given" } else { "" },
        d.zip.len(),
        crate::code_sha256(&d.zip),
        d.architecture.as_str()
    );
    if d.publish {
        println!(
            "  then publish a version{}",
            match &d.alias {
                Some(a) => format!(" and point alias {a} at it"),
                None => String::new(),
            }
        );
    }
    println!("dry run: nothing changed");
}

fn run(args: &Args) -> Result<(), Error> {
    println!("{}: {}", args.zip_path.display(), args.bootstrap);
    let loaded = load_credentials_from(args.profile.as_deref(), &ProcessEnv).and_then(|c| {
        let region = crate::resolve_region(args.region.as_deref(), args.profile.as_deref())?;
        Ok((c, region))
    });
    let ((creds, source), region) = match loaded {
        Ok(found) => found,
        Err(e) if args.dry_run && matches!(e, Error::Credentials(_) | Error::Region(_)) => {
            offline_plan(args, &e.to_string());
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    if args.verbose {
        let from = match &source {
            Source::Environment => "the environment".to_string(),
            Source::Profile { name, path } => format!("profile {name:?} in {}", path.display()),
        };
        eprintln!(
            "credentials: access key {} from {from}; region {region}",
            creds.access_key_id()
        );
    }
    let mut client = LambdaClient::new(&region, creds, args.endpoint_url.as_deref())?;
    if args.verbose {
        client.set_logger(Some(stderr_logger()));
    }
    let plan = match flow::plan(&client, &args.desired) {
        Ok(plan) => plan,
        Err(e @ Error::Transport { .. }) if args.dry_run => {
            offline_plan(args, &e.to_string());
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    print!("{plan}");
    if args.dry_run {
        println!("dry run: nothing changed");
        return Ok(());
    }
    let out = flow::execute(&client, &args.desired, &plan, args.wait)?;
    let c = &out.configuration;
    println!(
        "function {} ({}) from {}",
        c.function_name,
        if c.function_arn.is_empty() {
            "-"
        } else {
            &c.function_arn
        },
        args.zip_path.display()
    );
    println!(
        "code: {} CodeSha256={}",
        if out.created {
            "created"
        } else if out.code_uploaded {
            "uploaded"
        } else {
            "unchanged (upload skipped)"
        },
        c.code_sha256
    );
    println!(
        "configuration: {}; State={} LastUpdateStatus={}",
        if out.config_updated {
            "updated"
        } else {
            "unchanged"
        },
        c.state.as_deref().unwrap_or("-"),
        c.last_update_status.as_deref().unwrap_or("-")
    );
    if let Some(v) = &out.published_version {
        println!("published version {v}");
    }
    if let Some(a) = &out.alias {
        println!("alias {} -> version {}", a.name, a.function_version);
    }
    Ok(())
}

/// Runs `deploy` with `args` (without the program name); `program` prefixes the messages.
pub fn main(program: &str, args: impl IntoIterator<Item = OsString>) -> ExitCode {
    match parse_args(args.into_iter().collect()) {
        Ok(Parsed::Help) => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Ok(Parsed::Run(args)) => match run(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{program}: error: {e}");
                ExitCode::FAILURE
            }
        },
        // One line: the problem and where the options are, not the whole usage after it.
        Err(e) => {
            eprintln!("{program}: error: {e} ({program} --help lists every option)");
            ExitCode::from(2)
        }
    }
}

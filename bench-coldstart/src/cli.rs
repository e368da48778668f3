//! Command-line parsing (lexopt: no derive machinery, every message written here).
use crate::cgroup::{self, Share};
use crate::error::{Error, Result};
use crate::local::{Options, Spec, WarmEvent};
use lexopt::prelude::*;
use std::path::PathBuf;
use std::time::Duration;

/// The `--help` text.
pub const USAGE: &str = "\
usage: bench-coldstart [OPTIONS] NAME=COMMAND ...
       bench-coldstart aws --function NAME [--function NAME ...] [--region R] [--profile P]
                           [--endpoint-url URL] [--runs N] [--invokes M] [--event JSON | --event-file F]
                           [--json OUT] [--svg OUT]

Local mode: each run cold-starts every COMMAND (split on whitespace) on a fresh emulator,
interleaved, after one uncounted warm-up each; prints a Markdown table on stdout.

  --runs N              counted runs per bootstrap (default 10)
  --invokes M           warm invocations after the first one (default 10)
  --event JSON          the event sent on every invocation (default {})
  --event-file F        ... read from a file
  --warm-event LABEL=F  after the M warm invocations of the event, M more of the event in
                        file F, in the same process (repeatable, in order): columns
                        `warm p50 LABEL`, `warm p99 LABEL`, `peak RSS after LABEL`
  --json OUT            write every sample, the summaries and the machine as JSON
  --svg OUT             write a chart of the init distributions
  --timeout SECS        bound on init and on each invocation (default 10)
  --cwd NAME=DIR        working directory of bootstrap NAME
  --env NAME=KEY=VALUE  extra environment for bootstrap NAME (repeatable)
  --size NAME=PATH      count PATH (file or directory; repeatable, summed) as NAME's size
  --init-only NAME      NAME never answers invocations: measure init, RSS and CPU only
  --show-output         let the bootstraps' stdout and stderr through
  --keep-going          drop a bootstrap that fails (and say why) instead of stopping
  --measure-errors      measure a bootstrap whose every invocation is a function error
                        (without it the run warns and exits non-zero: usually the event
                        does not suit the function, e.g. a typed handler fed {})
  --memory MB[,MB...]   run every cold start under Lambda's CPU share for MB (128..10240):
                        MB/1769 of one CPU, in a fresh CPU-quota cgroup (v1 or v2; needs
                        root), and set AWS_LAMBDA_FUNCTION_MEMORY_SIZE=MB; repeatable, one
                        table per value (--json/--svg then get a -MBmb suffix per value)
  --cpu-period US       the quota's CFS period in microseconds (default 20000; see README)
  --unthrottled-init    apply the --memory quota only once the first GET /next arrives
                        (Lambda's published Init Durations do not depend on memory)
  --cgroup-root DIR     make the groups under DIR instead of the machine's cpu hierarchy

AWS mode: each run forces a cold start (changes an environment variable and waits for
the update), invokes with LogType Tail and parses the REPORT line.
";

#[derive(Debug)]
/// What the command line asks for.
pub enum Cli {
    /// `--help`.
    Help,
    /// Cold starts on the local emulator.
    Local {
        /// The bootstraps, in the order given.
        specs: Vec<Spec>,
        /// Runs, invocations, event, timeouts.
        opts: Options,
        /// `--json` and `--svg`.
        out: Outputs,
        /// `--memory`: one benchmark per share, in order; empty = no CPU limit.
        shares: Vec<Share>,
        /// `--cgroup-root`.
        cgroup_root: Option<PathBuf>,
        /// `--unthrottled-init`.
        unthrottled_init: bool,
    },
    /// Forced cold starts on AWS (`aws`).
    Aws {
        /// Functions, region, runs.
        args: AwsArgs,
        /// `--json` and `--svg`.
        out: Outputs,
    },
}

#[derive(Debug, Default)]
/// Where the results go besides stdout.
pub struct Outputs {
    /// `--json OUT`.
    pub json: Option<PathBuf>,
    /// `--svg OUT`.
    pub svg: Option<PathBuf>,
}

#[derive(Debug, Default)]
/// The `aws` mode's arguments.
pub struct AwsArgs {
    /// `--function`, repeatable.
    pub functions: Vec<String>,
    /// `--region`.
    pub region: Option<String>,
    /// `--profile`.
    pub profile: Option<String>,
    /// `--endpoint-url`.
    pub endpoint_url: Option<String>,
    /// `--runs`.
    pub runs: usize,
    /// `--invokes` (warm invocations after each cold one; default 0 on AWS).
    pub invokes: usize,
    /// The event.
    pub event: Vec<u8>,
    /// Bound on each wait for a configuration update.
    pub update_wait: Duration,
}

fn usage(msg: impl Into<String>) -> Error {
    Error::Usage(format!("{}\n\n{USAGE}", msg.into()))
}

fn from_lexopt(e: lexopt::Error) -> Error {
    usage(e.to_string())
}

fn string(v: std::ffi::OsString, flag: &str) -> Result<String> {
    v.into_string()
        .map_err(|v| usage(format!("{flag}: value {v:?} is not UTF-8")))
}

fn number<T: std::str::FromStr>(v: std::ffi::OsString, flag: &str) -> Result<T> {
    let s = string(v, flag)?;
    s.parse()
        .map_err(|_| usage(format!("{flag}: {s:?} is not a valid number")))
}

/// Splits `NAME=REST` for the per-bootstrap options.
fn name_value(v: std::ffi::OsString, flag: &str) -> Result<(String, String)> {
    let s = string(v, flag)?;
    match s.split_once('=') {
        Some((n, rest)) if !n.is_empty() => Ok((n.to_string(), rest.to_string())),
        _ => Err(usage(format!("{flag}: expected NAME=VALUE, got {s:?}"))),
    }
}

/// The command line as a shell would need it typed (for "Command:" lines in reports).
pub fn shell_join(args: &[String]) -> String {
    let quote = |a: &String| {
        let plain = !a.is_empty()
            && a.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b));
        if plain {
            a.clone()
        } else {
            format!("'{}'", a.replace('\'', "'\\''"))
        }
    };
    args.iter().map(quote).collect::<Vec<_>>().join(" ")
}

/// Parses the arguments (without the program name).
pub fn parse<I: IntoIterator<Item = std::ffi::OsString>>(args: I) -> Result<Cli> {
    let mut p = lexopt::Parser::from_args(args);
    let mut opts = Options::default();
    let mut out = Outputs::default();
    let mut aws: Option<AwsArgs> = None;
    let mut specs: Vec<Spec> = Vec::new();
    let (mut cwds, mut envs, mut sizes, mut init_only) = (vec![], vec![], vec![], vec![]);
    let mut event: Option<Vec<u8>> = None;
    let mut first = true;
    let mut invokes_given: Option<usize> = None;
    let mut memory: Vec<u32> = Vec::new();
    let mut period_us = cgroup::DEFAULT_PERIOD_US;
    let mut cgroup_root: Option<PathBuf> = None;
    let mut unthrottled_init = false;
    while let Some(arg) = p.next().map_err(from_lexopt)? {
        match arg {
            Long("help") | Short('h') => return Ok(Cli::Help),
            Value(v) if first && v == "aws" => {
                aws = Some(AwsArgs {
                    runs: 10,
                    invokes: 0,
                    update_wait: Duration::from_secs(120),
                    ..AwsArgs::default()
                });
            }
            Long("runs") => opts.runs = number(p.value().map_err(from_lexopt)?, "--runs")?,
            Long("invokes") => {
                opts.invokes = number(p.value().map_err(from_lexopt)?, "--invokes")?;
                invokes_given = Some(opts.invokes);
            }
            Long("event") => {
                event = Some(string(p.value().map_err(from_lexopt)?, "--event")?.into_bytes())
            }
            Long("event-file") => {
                let f = PathBuf::from(p.value().map_err(from_lexopt)?);
                let bytes = std::fs::read(&f)
                    .map_err(|e| Error::io(format!("read --event-file {}", f.display()), e))?;
                event = Some(bytes);
            }
            Long("warm-event") if aws.is_none() => {
                let (label, file) = name_value(p.value().map_err(from_lexopt)?, "--warm-event")?;
                let event = std::fs::read(&file)
                    .map_err(|e| Error::io(format!("read --warm-event {label}={file}"), e))?;
                if opts.phases.iter().any(|p| p.label == label) {
                    return Err(usage(format!("--warm-event: label {label:?} given twice")));
                }
                opts.phases.push(WarmEvent { label, event });
            }
            Long("json") => out.json = Some(p.value().map_err(from_lexopt)?.into()),
            Long("svg") => out.svg = Some(p.value().map_err(from_lexopt)?.into()),
            Long("timeout") => {
                let secs: f64 = number(p.value().map_err(from_lexopt)?, "--timeout")?;
                opts.timeout = Duration::try_from_secs_f64(secs)
                    .map_err(|_| usage(format!("--timeout: {secs} is not a duration")))?;
            }
            Long("cwd") if aws.is_none() => {
                cwds.push(name_value(p.value().map_err(from_lexopt)?, "--cwd")?)
            }
            Long("env") if aws.is_none() => {
                let (name, kv) = name_value(p.value().map_err(from_lexopt)?, "--env")?;
                let (k, v) = kv.split_once('=').ok_or_else(|| {
                    usage(format!("--env: expected NAME=KEY=VALUE, got {name}={kv}"))
                })?;
                envs.push((name, k.to_string(), v.to_string()));
            }
            Long("size") if aws.is_none() => {
                sizes.push(name_value(p.value().map_err(from_lexopt)?, "--size")?)
            }
            Long("init-only") if aws.is_none() => {
                init_only.push(string(p.value().map_err(from_lexopt)?, "--init-only")?)
            }
            Long("show-output") if aws.is_none() => opts.show_output = true,
            Long("keep-going") if aws.is_none() => opts.keep_going = true,
            Long("measure-errors") if aws.is_none() => opts.measure_errors = true,
            Long("memory") if aws.is_none() => {
                let list = string(p.value().map_err(from_lexopt)?, "--memory")?;
                for mb in list.split(',') {
                    memory.push(number(mb.into(), "--memory")?);
                }
            }
            Long("cpu-period") if aws.is_none() => {
                period_us = number(p.value().map_err(from_lexopt)?, "--cpu-period")?
            }
            Long("unthrottled-init") if aws.is_none() => unthrottled_init = true,
            Long("cgroup-root") if aws.is_none() => {
                cgroup_root = Some(p.value().map_err(from_lexopt)?.into())
            }
            Long("function") if aws.is_some() => {
                let f = string(p.value().map_err(from_lexopt)?, "--function")?;
                aws.get_or_insert_with(AwsArgs::default).functions.push(f);
            }
            Long("region") if aws.is_some() => {
                let r = string(p.value().map_err(from_lexopt)?, "--region")?;
                aws.get_or_insert_with(AwsArgs::default).region = Some(r);
            }
            Long("profile") if aws.is_some() => {
                let r = string(p.value().map_err(from_lexopt)?, "--profile")?;
                aws.get_or_insert_with(AwsArgs::default).profile = Some(r);
            }
            Long("endpoint-url") if aws.is_some() => {
                let r = string(p.value().map_err(from_lexopt)?, "--endpoint-url")?;
                aws.get_or_insert_with(AwsArgs::default).endpoint_url = Some(r);
            }
            Value(v) if aws.is_none() => specs.push(Spec::parse(&string(v, "NAME=COMMAND")?)?),
            other => return Err(usage(other.unexpected().to_string())),
        }
        first = false;
    }
    if let Some(e) = &event {
        opts.event = e.clone();
    }
    if let Some(mut a) = aws {
        if a.functions.is_empty() {
            return Err(usage("aws: give at least one --function NAME"));
        }
        if opts.runs == 0 {
            return Err(usage("--runs must be at least 1"));
        }
        a.runs = opts.runs;
        // Local's default is 10 warm invokes; on AWS each costs a request, so none unless asked.
        a.invokes = invokes_given.unwrap_or(0);
        a.event = opts.event;
        a.update_wait = opts.timeout.max(Duration::from_secs(120));
        return Ok(Cli::Aws { args: a, out });
    }
    if specs.is_empty() {
        return Err(usage("give at least one NAME=COMMAND"));
    }
    if opts.runs == 0 {
        return Err(usage("--runs must be at least 1"));
    }
    let mut names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(usage(format!("bootstrap name {:?} given twice", w[0])));
    }
    let find = |specs: &mut Vec<Spec>, name: &str, flag: &str| -> Result<usize> {
        specs
            .iter()
            .position(|s| s.name == name)
            .ok_or_else(|| usage(format!("{flag}: no bootstrap named {name:?}")))
    };
    for (name, dir) in cwds {
        let i = find(&mut specs, &name, "--cwd")?;
        specs[i].cwd = Some(dir.into());
    }
    for (name, k, v) in envs {
        let i = find(&mut specs, &name, "--env")?;
        specs[i].env.push((k, v));
    }
    for (name, path) in sizes {
        let i = find(&mut specs, &name, "--size")?;
        specs[i].size_paths.push(path.into());
    }
    for name in init_only {
        let i = find(&mut specs, &name, "--init-only")?;
        specs[i].init_only = true;
    }
    if memory.is_empty() {
        if unthrottled_init {
            return Err(usage("--unthrottled-init needs --memory MB"));
        }
        if period_us != cgroup::DEFAULT_PERIOD_US || cgroup_root.is_some() {
            return Err(usage("--cpu-period and --cgroup-root need --memory MB"));
        }
    }
    let shares = memory
        .into_iter()
        .map(|mb| Share::new(mb, period_us))
        .collect::<Result<Vec<_>>>()?;
    Ok(Cli::Local {
        specs,
        opts,
        out,
        shares,
        cgroup_root,
        unthrottled_init,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<std::ffi::OsString> {
        s.split_whitespace().map(Into::into).collect()
    }

    #[test]
    fn local_mode_with_per_name_options() {
        let cli = parse(args(
            "--runs 3 --invokes 5 --event {\"a\":1} --json o.json --svg o.svg a=sh b=sh",
        ))
        .unwrap();
        let Cli::Local {
            specs, opts, out, ..
        } = cli
        else {
            panic!("not local")
        };
        assert_eq!((opts.runs, opts.invokes), (3, 5));
        assert_eq!(opts.event, b"{\"a\":1}");
        assert_eq!(out.json.unwrap(), PathBuf::from("o.json"));
        assert_eq!(out.svg.unwrap(), PathBuf::from("o.svg"));
        assert_eq!(specs.len(), 2);
    }

    #[test]
    fn per_name_options_apply() {
        let mut a: Vec<std::ffi::OsString> =
            args("--cwd b=/tmp --env b=K=V=W --size a=/bin --init-only a");
        a.insert(0, "a=sh".into());
        a.insert(1, "b=sh -c true".into());
        let Cli::Local { specs, .. } = parse(a).unwrap() else {
            panic!("not local")
        };
        assert_eq!(specs[1].args, ["-c", "true"]);
        assert_eq!(specs[1].cwd.as_deref(), Some(std::path::Path::new("/tmp")));
        assert_eq!(specs[1].env, [("K".to_string(), "V=W".to_string())]);
        assert!(specs[0].init_only && !specs[1].init_only);
        assert_eq!(specs[0].size_paths, [PathBuf::from("/bin")]);
    }

    #[test]
    fn errors_name_the_value() {
        for (a, want) in [
            ("--runs x a=sh", "\"x\" is not a valid number"),
            ("--runs 0 a=sh", "at least 1"),
            ("", "at least one NAME=COMMAND"),
            ("a=sh a=sh", "given twice"),
            ("a=sh --cwd z=/tmp", "no bootstrap named \"z\""),
            ("a=sh --env a=novalue", "NAME=KEY=VALUE"),
            ("aws --runs 2", "--function"),
            ("--bogus", "bogus"),
            (
                "--memory 127 a=sh",
                "127 MB is outside Lambda's range 128..=10240",
            ),
            ("--memory 10241 a=sh", "outside Lambda's range"),
            ("--memory 12x a=sh", "\"12x\" is not a valid number"),
            ("--warm-event x a=sh", "expected NAME=VALUE"),
            (
                "--warm-event x=/no/such/file a=sh",
                "read --warm-event x=/no/such/file",
            ),
            (
                "--warm-event x=/dev/null --warm-event x=/dev/null a=sh",
                "label \"x\" given twice",
            ),
            ("--memory 128 --cpu-period 10000 a=sh", "at least 13821 us"),
            (
                "--memory 128 --cpu-period 2000000 a=sh",
                "outside the kernel's",
            ),
        ] {
            let msg = parse(args(a)).unwrap_err().to_string();
            assert!(msg.contains(want), "{a:?} -> {msg}");
        }
    }

    #[test]
    fn shell_join_quotes_what_needs_it() {
        let a: Vec<String> = ["bench", "py=python3 -m x", "--event", "{\"a\":1}", "it's"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            shell_join(&a),
            r#"bench 'py=python3 -m x' --event '{"a":1}' 'it'\''s'"#
        );
    }

    #[test]
    fn memory_values_and_period() {
        let Cli::Local {
            shares,
            cgroup_root,
            ..
        } = parse(args(
            "--memory 128,1769 --memory 3538 --cpu-period 100000 --cgroup-root /x a=sh",
        ))
        .unwrap()
        else {
            panic!("not local")
        };
        let got: Vec<(u32, u64, u64)> = shares
            .iter()
            .map(|s| (s.memory_mb, s.quota_us, s.period_us))
            .collect();
        // 128/1769 of 100 ms = 7235.7 us; 1769 MB = one CPU; 3538 MB = two.
        assert_eq!(
            got,
            [
                (128, 7236, 100000),
                (1769, 100000, 100000),
                (3538, 200000, 100000)
            ]
        );
        assert_eq!(cgroup_root, Some(PathBuf::from("/x")));
        let Cli::Local { shares, .. } = parse(args("--memory 128 a=sh")).unwrap() else {
            panic!("not local")
        };
        assert_eq!(shares[0].period_us, cgroup::DEFAULT_PERIOD_US);
    }

    #[test]
    fn aws_mode() {
        let Cli::Aws { args: a, .. } =
            parse(args("aws --function f1 --function f2 --region eu-west-1 --runs 4 --endpoint-url http://127.0.0.1:1")).unwrap()
        else {
            panic!("not aws")
        };
        assert_eq!(a.functions, ["f1", "f2"]);
        assert_eq!(a.region.as_deref(), Some("eu-west-1"));
        assert_eq!((a.runs, a.invokes), (4, 0));
        assert!(matches!(parse(args("--help")).unwrap(), Cli::Help));
    }
}

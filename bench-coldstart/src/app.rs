//! The `bench-coldstart` command as a library function, so `cargo rayo bench` runs the same
//! code: [`main`] takes the arguments and returns the exit status.
use crate::cgroup::{self, CpuGroup, Root, Share};
use crate::cli::{self, Cli, Outputs};
use crate::error::Error;
use crate::local::{self, CpuLimit, Options, Spec};
use crate::{aws, output, progress_bar, Result};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Runs the benchmark with `args` (without the program name); `command` is the command line
/// as the user typed it, for the reports' "Command:" line, and `program` prefixes errors.
pub fn main(program: &str, command: Vec<String>, args: Vec<OsString>) -> ExitCode {
    let result = run(command, args);
    // A Ctrl-C during a --memory run: let the cleanup thread finish and exit 130.
    cgroup::wait_if_interrupted();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{program}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Vec<String>, args: Vec<OsString>) -> Result<()> {
    match cli::parse(args)? {
        Cli::Help => {
            print!("{}", cli::USAGE);
            Ok(())
        }
        Cli::Aws { args, out } => aws::main(&args, &out, &command),
        Cli::Local {
            specs,
            opts,
            out,
            shares,
            ..
        } if shares.is_empty() => local_mode(&specs, &opts, &out, &command),
        Cli::Local {
            specs,
            mut opts,
            out,
            shares,
            cgroup_root,
            unthrottled_init,
        } => {
            // First, before any other thread exists, so Ctrl-C always removes the groups.
            cgroup::install_signal_cleanup()?;
            let root = match &cgroup_root {
                Some(dir) => Root::at(dir)?,
                None => Root::detect()?,
            };
            // Fail now, with the reason, rather than as every bootstrap's first run.
            if let Some(first) = shares.first() {
                CpuGroup::create(&root, first)?.remove()?;
            }
            warn_if_more_than_the_machine(&shares);
            for (i, share) in shares.iter().enumerate() {
                if i > 0 {
                    println!();
                }
                println!(
                    "## --memory {}: {}, cgroup {} under {}\n",
                    share.memory_mb,
                    share.describe(),
                    root.flavor.name(),
                    root.path.display()
                );
                opts.cpu = Some(CpuLimit {
                    root: root.clone(),
                    share: *share,
                    unthrottled_init,
                });
                let out = if shares.len() > 1 {
                    Outputs {
                        json: out.json.as_deref().map(|p| suffixed(p, share)),
                        svg: out.svg.as_deref().map(|p| suffixed(p, share)),
                    }
                } else {
                    Outputs {
                        json: out.json.clone(),
                        svg: out.svg.clone(),
                    }
                };
                local_mode(&specs, &opts, &out, &command)?;
            }
            Ok(())
        }
    }
}

/// `results.json` -> `results-128mb.json`, one file per `--memory` value.
fn suffixed(path: &Path, share: &Share) -> PathBuf {
    let tag = format!("{}mb", share.memory_mb);
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match path.extension() {
        Some(ext) => format!("{stem}-{tag}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{tag}"),
    };
    path.with_file_name(name)
}

/// Lambda's share can exceed this machine's CPUs above 1769 MB per CPU: say so.
fn warn_if_more_than_the_machine(shares: &[Share]) {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    for s in shares {
        if s.cpus() > cpus as f64 {
            eprintln!(
                "bench-coldstart: warning: {} MB is {:.2} vCPU on Lambda, more than this machine's {cpus} CPUs; the machine is the limit",
                s.memory_mb,
                s.cpus()
            );
        }
    }
}

fn local_mode(specs: &[Spec], opts: &Options, out: &Outputs, command: &[String]) -> Result<()> {
    let bar = progress_bar((opts.runs + 1) * specs.len());
    let results = local::run_all(specs, opts, &mut |label| {
        bar.set_message(label.to_string());
        bar.inc(1);
    });
    bar.finish_and_clear();
    let results = results?;
    let table = results.table();
    println!(
        "Local cold start on the emulator: {} runs per bootstrap (interleaved, after 1 uncounted warm-up each), {} warm invocations per run, {}-byte event.",
        opts.runs,
        opts.invokes,
        opts.event.len()
    );
    if !opts.phases.is_empty() {
        let list: Vec<String> = opts
            .phases
            .iter()
            .map(|p| format!("`{}` ({} bytes)", p.label, p.event.len()))
            .collect();
        println!(
            "Then, in the same process, {} invocations of each warm event in turn: {}.",
            opts.invokes,
            list.join(", ")
        );
    }
    if let Some(c) = &opts.cpu {
        println!(
            "CPU: Lambda's share for {} (cgroup {}, a fresh group per cold start; AWS_LAMBDA_FUNCTION_MEMORY_SIZE={}){}.",
            c.share.describe(),
            c.root.flavor.name(),
            c.share.memory_mb,
            if c.unthrottled_init {
                "; no quota until the first GET /next (--unthrottled-init)"
            } else {
                "; init included"
            }
        );
    }
    println!(
        "Machine: {}. Date: {} (UTC).",
        results.machine.describe(),
        results.date
    );
    println!("Command: `{}`\n", cli::shell_join(command));
    print!("{}", table.markdown());
    print!("{}", results.failures_markdown());
    let memory = opts
        .cpu
        .as_ref()
        .map(|c| format!(", {} MB share", c.share.memory_mb))
        .unwrap_or_default();
    let title = format!(
        "Cold start (init){memory}, {} — {}",
        results.machine.cpu_model, results.date
    );
    output::write_outputs(out, &title, &table, &results.init_samples(), || {
        results.json_document(command, &table)
    })?;
    errors_check(&results, opts)
}

/// Every invocation an error usually means the event does not suit the function: say so
/// loudly, and fail unless `--measure-errors` asked for exactly that.
fn errors_check(results: &local::Results, opts: &Options) -> Result<()> {
    let mut all_errors = Vec::new();
    for (name, errors, total) in results.error_counts() {
        if errors == total {
            all_errors.push(name.to_string());
        } else if errors > 0 {
            eprintln!(
                "bench-coldstart: note: {name}: {errors} of {total} invocations were function errors"
            );
        }
    }
    if all_errors.is_empty() || opts.measure_errors {
        return Ok(());
    }
    eprintln!();
    eprintln!(
        "bench-coldstart: WARNING: every invocation of {} was a function error: the table measures error answers, not the function's work",
        all_errors.join(", ")
    );
    Err(Error::Usage(format!(
        "every invocation of {} was a function error (is --event right for it? the default is {{}}); pass --measure-errors to measure errors on purpose",
        all_errors.join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_output_file_per_memory_value() {
        let s = Share::new(128, 20_000).unwrap();
        assert_eq!(
            suffixed(Path::new("out/results.json"), &s),
            PathBuf::from("out/results-128mb.json")
        );
        assert_eq!(
            suffixed(Path::new("chart"), &s),
            PathBuf::from("chart-128mb")
        );
    }
}

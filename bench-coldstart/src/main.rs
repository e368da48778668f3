//! bench-coldstart: see `bench-coldstart --help` and bench-coldstart/README.md.
use bench_coldstart::cli::{self, Cli};
use bench_coldstart::{aws, local, output, progress_bar, Result};
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-coldstart: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let command: Vec<String> = std::env::args().collect();
    match cli::parse(std::env::args_os().skip(1))? {
        Cli::Help => {
            print!("{}", cli::USAGE);
            Ok(())
        }
        Cli::Aws { args, out } => aws::main(&args, &out, &command),
        Cli::Local { specs, opts, out } => {
            let bar = progress_bar((opts.runs + 1) * specs.len());
            let results = local::run_all(&specs, &opts, &mut |label| {
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
            println!(
                "Machine: {}. Date: {} (UTC).",
                results.machine.describe(),
                results.date
            );
            println!("Command: `{}`\n", cli::shell_join(&command));
            print!("{}", table.markdown());
            print!("{}", results.failures_markdown());
            let title = format!(
                "Cold start (init), {} — {}",
                results.machine.cpu_model, results.date
            );
            output::write_outputs(&out, &title, &table, &results.init_samples(), || {
                results.json_document(&command, &table)
            })
        }
    }
}

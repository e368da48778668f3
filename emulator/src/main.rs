//! `emulator`: run a Lambda bootstrap locally against a fresh Runtime API.
//!
//! Exit status: 0 all invocations answered with a response; 1 a function error or an
//! init error; 2 a usage or emulator error (the child exited, never polled, timed out).
use rayo_emulator::{Config, Emulator, OutcomeKind};
use std::io::{Read, Write};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

const USAGE: &str = "\
usage: emulator [--event JSON | --event-file FILE] [--repeat N] [--serve PORT]
                [--timeout SECS] [--prefix P] [--env KEY=VALUE]... -- COMMAND [ARGS...]

Runs COMMAND (a Lambda bootstrap) with a Lambda-like environment against a local
Runtime API on 127.0.0.1.

  --event JSON        send this event (N times with --repeat, default 1); each response
                      or error body is printed on stdout, one per line; timings on stderr
  --event-file FILE   the same, reading the event from FILE (`-`: standard input)
  --repeat N          how many times to send the event
  --serve PORT        serve AWS's invoke endpoint on 127.0.0.1:PORT (0: any free port)
                      until COMMAND exits or SIGINT/SIGTERM:
                      POST /2015-03-31/functions/function/invocations
  --timeout SECS      function timeout: each invocation's deadline, and how long to wait
                      for the first GET /next and for each outcome (default 3)
  --prefix P          set AWS_LAMBDA_RUNTIME_API to http://127.0.0.1:PORT/P
  --env KEY=VALUE     extra environment for COMMAND (repeatable)
  --help              this text

COMMAND's stdout and stderr both go to stderr, so stdout carries only responses.
Exit status: 0 all responses; 1 a function or init error; 2 usage or emulator error.";

#[derive(Debug)]
struct Args {
    event: Option<EventSource>,
    repeat: u32,
    serve: Option<u16>,
    timeout: Option<Duration>,
    prefix: Option<String>,
    env: Vec<(String, String)>,
    command: Vec<String>,
}

#[derive(Debug)]
enum EventSource {
    Inline(String),
    File(String),
}

/// Why the run stopped early: usage problems and emulator failures exit 2, function and
/// init errors exit 1.
enum Failure {
    Usage(String),
    Emulator(String),
    Function,
}

fn parse_args(raw: Vec<String>) -> Result<Option<Args>, Failure> {
    let mut args = Args {
        event: None,
        repeat: 1,
        serve: None,
        timeout: None,
        prefix: None,
        env: Vec::new(),
        command: Vec::new(),
    };
    let mut it = raw.into_iter();
    while let Some(arg) = it.next() {
        // Both `--opt value` and `--opt=value`.
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |what: &str| -> Result<String, Failure> {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| Failure::Usage(format!("{name} needs {what}")))
        };
        match name.as_str() {
            "--help" | "-h" => return Ok(None),
            "--event" => args.event = Some(EventSource::Inline(value("a JSON event")?)),
            "--event-file" => args.event = Some(EventSource::File(value("a file name")?)),
            "--repeat" => {
                let v = value("a count")?;
                args.repeat =
                    v.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                        Failure::Usage(format!("--repeat: not a count >= 1: {v:?}"))
                    })?;
            }
            "--serve" => {
                let v = value("a port")?;
                args.serve =
                    Some(v.parse().map_err(|_| {
                        Failure::Usage(format!("--serve: not a port number: {v:?}"))
                    })?);
            }
            "--timeout" => {
                let v = value("seconds")?;
                let secs = v
                    .parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite() && *s > 0.0 && *s < 1e9)
                    .ok_or_else(|| {
                        Failure::Usage(format!(
                            "--timeout: not a positive number of seconds: {v:?}"
                        ))
                    })?;
                args.timeout = Some(Duration::from_secs_f64(secs));
            }
            "--prefix" => args.prefix = Some(value("a URL prefix")?),
            "--env" => {
                let v = value("KEY=VALUE")?;
                let (k, val) = v
                    .split_once('=')
                    .filter(|(k, _)| !k.is_empty())
                    .ok_or_else(|| {
                        Failure::Usage(format!("--env: expected KEY=VALUE, got {v:?}"))
                    })?;
                args.env.push((k.to_string(), val.to_string()));
            }
            "--" => {
                args.command = it.collect();
                break;
            }
            other if other.starts_with('-') => {
                return Err(Failure::Usage(format!("unknown option {other:?}")))
            }
            _ => {
                // The command may also follow the options without `--`.
                args.command = std::iter::once(arg).chain(it).collect();
                break;
            }
        }
    }
    if args.command.is_empty() {
        return Err(Failure::Usage("no COMMAND given (after `--`)".into()));
    }
    match (&args.event, args.serve) {
        (None, None) => Err(Failure::Usage(
            "give --event/--event-file to send events, or --serve PORT".into(),
        )),
        (Some(_), Some(_)) => Err(Failure::Usage(
            "--event and --serve are separate modes; use one".into(),
        )),
        _ => Ok(Some(args)),
    }
}

fn read_event(source: &EventSource) -> Result<Vec<u8>, Failure> {
    match source {
        EventSource::Inline(s) => Ok(s.clone().into_bytes()),
        EventSource::File(path) if path == "-" => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(|e| Failure::Emulator(format!("reading the event from stdin: {e}")))?;
            Ok(buf)
        }
        EventSource::File(path) => std::fs::read(path)
            .map_err(|e| Failure::Emulator(format!("reading the event file {path:?}: {e}"))),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

/// Child output goes to our stderr so stdout stays machine-readable.
fn child_stdout() -> Stdio {
    use std::os::fd::AsFd;
    match std::io::stderr().as_fd().try_clone_to_owned() {
        Ok(fd) => Stdio::from(fd),
        Err(_) => Stdio::inherit(),
    }
}

fn exited(child: &mut Child) -> Option<String> {
    match child.try_wait() {
        Ok(Some(status)) => Some(status.to_string()),
        Ok(None) => None,
        Err(e) => Some(format!("unknown status ({e})")),
    }
}

/// As Lambda does: SIGTERM first when the function registered an extension (so its
/// shutdown hook runs), SIGKILL after the grace time or at once otherwise.
fn stop_child(emu: &Emulator, child: &mut Child) {
    if emu
        .stop_function(child, rayo_emulator::SHUTDOWN_GRACE)
        .is_err()
    {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Slice length for waits that also watch the child.
const SLICE: Duration = Duration::from_millis(10);

/// Prints a posted init error, if there is one; it makes the run a function failure.
fn init_error(emu: &Emulator) -> Option<Failure> {
    let e = emu.wait_init_error(Duration::ZERO).ok()?;
    eprintln!(
        "init error ({}): {}",
        e.error_type.as_deref().unwrap_or("no error type"),
        String::from_utf8_lossy(&e.body)
    );
    Some(Failure::Function)
}

/// Waits for the first `GET /next`, watching for an init error or the child exiting.
fn wait_init(emu: &Emulator, child: &mut Child, timeout: Duration) -> Result<Instant, Failure> {
    let deadline = Instant::now() + timeout;
    loop {
        if signals::received() {
            return Err(Failure::Emulator(
                "interrupted while waiting for GET /next".into(),
            ));
        }
        if let Some(failure) = init_error(emu) {
            return Err(failure);
        }
        if let Ok(at) = emu.wait_next(SLICE) {
            return Ok(at);
        }
        if let Some(status) = exited(child) {
            // It may have posted an init error just before exiting.
            if let Some(failure) = init_error(emu) {
                return Err(failure);
            }
            return Err(Failure::Emulator(format!(
                "the command exited ({status}) before calling GET /next"
            )));
        }
        if Instant::now() >= deadline {
            return Err(Failure::Emulator(format!(
                "the command did not call GET /next within {timeout:?}"
            )));
        }
    }
}

fn run_events(
    emu: &Emulator,
    child: &mut Child,
    event: &[u8],
    args: &Args,
    spawned_at: Instant,
) -> Result<(), Failure> {
    let timeout = emu.config().timeout;
    let first_next = wait_init(emu, child, timeout)?;
    eprintln!(
        "init: {} (spawn to first GET /next)",
        ms(first_next.saturating_duration_since(spawned_at))
    );
    let mut any_error = false;
    let stdout = std::io::stdout();
    for i in 1..=args.repeat {
        let start = Instant::now();
        let id = emu.enqueue(emu.invocation(event.to_vec()));
        let deadline = start + timeout;
        let out = loop {
            match emu.wait(&id, SLICE) {
                Ok(out) => break out,
                Err(rayo_emulator::EmuError::Timeout(_)) => {}
                Err(e) => return Err(Failure::Emulator(e.to_string())),
            }
            if signals::received() {
                return Err(Failure::Emulator(format!(
                    "interrupted during invocation {i}"
                )));
            }
            if let Some(status) = exited(child) {
                // A last post may have raced the exit.
                if let Ok(out) = emu.wait(&id, Duration::ZERO) {
                    break out;
                }
                return Err(Failure::Emulator(format!(
                    "the command exited ({status}) during invocation {i}"
                )));
            }
            if Instant::now() >= deadline {
                return Err(Failure::Emulator(format!(
                    "invocation {i}: no response or error within {timeout:?}"
                )));
            }
        };
        eprintln!(
            "invoke {i}: {}",
            ms(out.received_at.saturating_duration_since(start))
        );
        if let Some(st) = &out.stream {
            let first = st.first_chunk_at.map_or("no data".to_string(), |t| {
                ms(t.saturating_duration_since(start))
            });
            eprintln!(
                "invoke {i}: streamed in {} chunk(s), the first at {first}{}",
                st.chunks,
                st.error_body
                    .as_deref()
                    .map(|b| format!(", error trailer: {}", String::from_utf8_lossy(b)))
                    .unwrap_or_default()
            );
        }
        if let OutcomeKind::Error { error_type } = &out.kind {
            any_error = true;
            eprintln!(
                "invoke {i}: function error ({})",
                error_type.as_deref().unwrap_or("no error type")
            );
        }
        let mut lock = stdout.lock();
        let written = lock
            .write_all(&out.body)
            .and_then(|_| lock.write_all(b"\n"))
            .and_then(|_| lock.flush());
        if let Err(e) = written {
            return Err(Failure::Emulator(format!("writing to stdout: {e}")));
        }
    }
    if any_error {
        Err(Failure::Function)
    } else {
        Ok(())
    }
}

fn run_serve(
    emu: &Emulator,
    child: &mut Child,
    port: u16,
    spawned_at: Instant,
) -> Result<(), Failure> {
    let first_next = wait_init(emu, child, emu.config().timeout)?;
    eprintln!(
        "init: {} (spawn to first GET /next)",
        ms(first_next.saturating_duration_since(spawned_at))
    );
    let addr = emu.serve_invoke(port).map_err(|e| {
        Failure::Emulator(format!(
            "cannot serve the invoke endpoint on 127.0.0.1:{port}: {e}"
        ))
    })?;
    eprintln!(
        "Runtime API on {}; invoke endpoint on {addr}",
        emu.runtime_api()
    );
    let url = format!("http://{addr}/2015-03-31/functions/function/invocations");
    eprintln!("invoke with: curl -s -X POST {url} -d '{{}}'");
    loop {
        if signals::received() {
            eprintln!("stopping on signal");
            return Ok(());
        }
        if let Some(status) = exited(child) {
            return Err(Failure::Emulator(format!("the command exited ({status})")));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn run(args: Args) -> Result<(), Failure> {
    let event = args.event.as_ref().map(read_event).transpose()?;
    let mut config = Config {
        url_prefix: args.prefix.clone(),
        env: args.env.clone(),
        ..Config::default()
    };
    if let Some(t) = args.timeout {
        config.timeout = t;
    }
    // SIGINT/SIGTERM end the run through the normal path, so the child is killed too.
    signals::install();
    let emu = Emulator::start(config)
        .map_err(|e| Failure::Emulator(format!("cannot start the emulator: {e}")))?;
    let Some((program, program_args)) = args.command.split_first() else {
        return Err(Failure::Usage("no COMMAND given (after `--`)".into()));
    };
    let mut cmd = Command::new(program);
    cmd.args(program_args)
        .stdin(Stdio::null())
        .stdout(child_stdout());
    let spawned_at = Instant::now();
    let mut child = emu
        .spawn(cmd)
        .map_err(|e| Failure::Emulator(format!("cannot start {program:?}: {e}")))?;
    let result = match (&event, args.serve) {
        (Some(event), _) => run_events(&emu, &mut child, event, &args, spawned_at),
        (None, Some(port)) => run_serve(&emu, &mut child, port, spawned_at),
        (None, None) => Ok(()),
    };
    stop_child(&emu, &mut child);
    result
}

fn main() -> ExitCode {
    let raw: Vec<String> = match std::env::args_os()
        .skip(1)
        .map(|a| a.into_string())
        .collect::<Result<_, _>>()
    {
        Ok(v) => v,
        Err(bad) => {
            eprintln!("emulator: argument is not valid UTF-8: {bad:?}");
            return ExitCode::from(2);
        }
    };
    let outcome = match parse_args(raw) {
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Some(args)) => run(args),
        Err(e) => Err(e),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Function) => ExitCode::from(1),
        Err(Failure::Usage(msg)) => {
            eprintln!("emulator: {msg}\n\n{USAGE}");
            ExitCode::from(2)
        }
        Err(Failure::Emulator(msg)) => {
            eprintln!("emulator: {msg}");
            ExitCode::from(2)
        }
    }
}

/// SIGINT/SIGTERM set a flag the serve loop polls; std has no signal API and this is the
/// only place we need one.
#[cfg(target_os = "linux")]
mod signals {
    use std::sync::atomic::{AtomicBool, Ordering};

    static RECEIVED: AtomicBool = AtomicBool::new(false);

    extern "C" fn on_signal(_: i32) {
        // Only an atomic store: async-signal-safe.
        RECEIVED.store(true, Ordering::SeqCst);
    }

    extern "C" {
        fn signal(signum: i32, handler: extern "C" fn(i32)) -> usize;
    }

    const SIGINT: i32 = 2;
    const SIGTERM: i32 = 15;

    pub(crate) fn install() {
        for sig in [SIGINT, SIGTERM] {
            // SAFETY: `signal` is the C library's; the handler is a plain `extern "C"` fn
            // that only performs an atomic store, which is async-signal-safe, and SIGINT
            // and SIGTERM have these numbers on every Linux architecture.
            unsafe {
                signal(sig, on_signal);
            }
        }
    }

    pub(crate) fn received() -> bool {
        RECEIVED.load(Ordering::SeqCst)
    }
}

#[cfg(not(target_os = "linux"))]
mod signals {
    pub fn install() {}
    pub fn received() -> bool {
        false
    }
}

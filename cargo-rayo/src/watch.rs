//! `cargo rayo watch`: the function (a host debug build) behind AWS's invoke endpoint on
//! 127.0.0.1, through rayo's emulator; rebuilt and restarted when a source file changes;
//! every invocation's status and timings printed as it completes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use rayo_emulator::{Config, Emulator, OutcomeKind};

use crate::error::{Error, Result};
use crate::project::Target;
use crate::tools;

/// What `watch` was asked for.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// The invoke endpoint's port on 127.0.0.1.
    pub port: u16,
    /// The function timeout: each invocation's deadline, and how long the endpoint waits.
    pub timeout: Duration,
    /// `--features`.
    pub features: Option<String>,
    /// `--env KEY=VALUE`: extra environment for the function.
    pub env: Vec<(String, String)>,
}

/// Host build of the binary; the path of a copy the function runs from (so the next build
/// can replace the original while this one runs).
fn build(t: &Target, o: &Options, generation: u32) -> Result<PathBuf> {
    let mut cmd = tools::cargo();
    cmd.current_dir(&t.ws.root)
        .args(["build", "-p", &t.pkg().name, "--bin", &t.bin]);
    let mut features: Vec<String> = o.features.iter().cloned().collect();
    features.extend(t.required_features.iter().cloned());
    if !features.is_empty() {
        cmd.arg("--features").arg(features.join(","));
    }
    let started = Instant::now();
    let status = cmd
        .status()
        .map_err(|e| Error::Tool(format!("cannot run cargo build: {e}")))?;
    if !status.success() {
        return Err(Error::Build(
            "cargo build failed (see its output above)".into(),
        ));
    }
    let built = t.ws.target_dir.join("debug").join(&t.bin);
    let dir = t.ws.target_dir.join("rayo-watch");
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    let copy = dir.join(format!("{}-{generation}", t.bin));
    std::fs::copy(&built, &copy)
        .map_err(|e| Error::io(format!("copying {}", built.display()), e))?;
    if generation > 0 {
        let _ = std::fs::remove_file(dir.join(format!("{}-{}", t.bin, generation - 1)));
    }
    eprintln!(
        "watch: built {} in {:.1} s",
        t.bin,
        started.elapsed().as_secs_f64()
    );
    Ok(copy)
}

/// The files whose change means a rebuild: the package's, but not its target dir's or
/// hidden folders'; the workspace manifest and lock file.
fn snapshot(t: &Target) -> BTreeMap<PathBuf, (SystemTime, u64)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![t.pkg().dir.clone()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            let name = e.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') || path == t.ws.target_dir || name == "target" {
                continue;
            }
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                stack.push(path);
            } else if let Ok(m) = meta.modified() {
                out.insert(path, (m, meta.len()));
            }
        }
    }
    for f in ["Cargo.toml", "Cargo.lock"] {
        let p = t.ws.root.join(f);
        if let Ok(meta) = std::fs::metadata(&p) {
            if let Ok(m) = meta.modified() {
                out.insert(p, (m, meta.len()));
            }
        }
    }
    out
}

fn changed(
    old: &BTreeMap<PathBuf, (SystemTime, u64)>,
    new: &BTreeMap<PathBuf, (SystemTime, u64)>,
    root: &Path,
) -> Option<String> {
    let show = |p: &Path| p.strip_prefix(root).unwrap_or(p).display().to_string();
    for (p, v) in new {
        if old.get(p) != Some(v) {
            return Some(show(p));
        }
    }
    old.keys()
        .find(|p| !new.contains_key(*p))
        .map(|p| format!("{} (removed)", show(p)))
}

fn start(emu: &Emulator, program: &Path) -> Result<(Child, Instant)> {
    // The last process's polls must not count as this one's first GET /next.
    drain_arrivals(emu);
    let mut cmd = Command::new(program);
    cmd.stdin(Stdio::null());
    let spawned = Instant::now();
    let child = emu
        .spawn(cmd)
        .map_err(|e| Error::Build(format!("cannot start {}: {e}", program.display())))?;
    Ok((child, spawned))
}

/// Forgets the `GET /next` arrivals nobody waited for (one per invocation).
fn drain_arrivals(emu: &Emulator) {
    while emu.wait_next(Duration::ZERO).is_ok() {}
}

fn stop(emu: &Emulator, child: &mut Child) {
    if emu
        .stop_function(child, rayo_emulator::SHUTDOWN_GRACE)
        .is_err()
    {
        let _ = child.kill();
        let _ = child.wait();
    }
}

fn clock() -> String {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!(
        "{:02}:{:02}:{:02}",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    )
}

/// Serves until interrupted (Ctrl-C ends the process and the function with it).
pub(crate) fn run(t: &Target, o: &Options) -> Result<()> {
    let mut generation = 0;
    // What the build needs before it (a model to fetch and convert, say), as `build` does.
    crate::build::prepare(t)?;
    let mut env = Vec::new();
    if let Some(root) = crate::build::task_root(t, &t.ws.target_dir.join("rayo-watch/task"))? {
        eprintln!(
            "watch: LAMBDA_TASK_ROOT={} ([package.metadata.rayo] files)",
            root.display()
        );
        env.push(("LAMBDA_TASK_ROOT".to_string(), root.display().to_string()));
    }
    // --env comes later, so it wins.
    env.extend(o.env.iter().cloned());
    // A crate that does not build yet: wait for the edit that fixes it, as after a start.
    let mut program = loop {
        let files = snapshot(t);
        match build(t, o, generation) {
            Ok(p) => break p,
            Err(Error::Build(e)) => {
                eprintln!("[{}] {e}: waiting for a change to rebuild", clock());
                while changed(&files, &snapshot(t), &t.ws.root).is_none() {
                    std::thread::sleep(Duration::from_millis(400));
                }
            }
            Err(e) => return Err(e),
        }
    };
    let emu = Emulator::start(Config {
        timeout: o.timeout,
        env,
        ..Config::for_function(&t.bin)
    })
    .map_err(|e| Error::Tool(format!("cannot start the emulator: {e}")))?;
    let outcomes = emu.outcomes();
    let addr = emu.serve_invoke(o.port).map_err(|e| {
        Error::Usage(format!(
            "cannot serve on 127.0.0.1:{}: {e} (another watch? pick another with --port)",
            o.port
        ))
    })?;
    let (mut child, mut spawned) = start(&emu, &program)?;
    let mut waiting_init = true;
    eprintln!(
        "watch: {} on http://{addr}/2015-03-31/functions/function/invocations (UTC times; Ctrl-C stops)",
        t.bin
    );
    eprintln!(
        "watch: try `cargo rayo invoke{} --data '{{}}'`",
        if addr.port() == 9000 {
            String::new()
        } else {
            format!(" --port {}", addr.port())
        }
    );
    let mut files = snapshot(t);
    let mut last_scan = Instant::now();
    let mut exited_reported = false;
    loop {
        if !waiting_init {
            drain_arrivals(&emu);
        } else if let Ok(at) = emu.wait_next(Duration::from_millis(50)) {
            waiting_init = false;
            eprintln!(
                "[{}] init {:.2} ms (spawn to first GET /next)",
                clock(),
                at.saturating_duration_since(spawned).as_secs_f64() * 1e3
            );
        }
        while let Ok(out) = outcomes.recv_timeout(Duration::from_millis(50)) {
            let took = out
                .received_at
                .saturating_duration_since(out.sent_at)
                .as_secs_f64()
                * 1e3;
            let what = match &out.kind {
                OutcomeKind::Response => match &out.stream {
                    Some(s) => format!("streamed {} chunk(s), {} bytes", s.chunks, out.body.len()),
                    None => format!("ok, {} bytes", out.body.len()),
                },
                OutcomeKind::Error { error_type } => {
                    format!(
                        "ERROR {}",
                        error_type.as_deref().unwrap_or("(no error type)")
                    )
                }
            };
            eprintln!("[{}] {} {what} in {took:.2} ms", clock(), out.request_id);
        }
        if let Ok(Some(status)) = child.try_wait() {
            if !exited_reported {
                exited_reported = true;
                eprintln!("[{}] the function exited ({status})", clock());
                if spawned.elapsed() > Duration::from_secs(1) {
                    // A crash after serving (a panic): start it again at once.
                    eprintln!("[{}] restarting it", clock());
                    (child, spawned) = start(&emu, &program)?;
                    waiting_init = true;
                    exited_reported = false;
                } else {
                    eprintln!(
                        "[{}] it exited at start: waiting for a change to rebuild",
                        clock()
                    );
                }
            }
        }
        if last_scan.elapsed() >= Duration::from_millis(400) {
            last_scan = Instant::now();
            let now = snapshot(t);
            if let Some(what) = changed(&files, &now, &t.ws.root) {
                eprintln!("[{}] {what} changed: rebuilding", clock());
                match build(t, o, generation + 1) {
                    Ok(p) => {
                        generation += 1;
                        program = p;
                        stop(&emu, &mut child);
                        (child, spawned) = start(&emu, &program)?;
                        waiting_init = true;
                        exited_reported = false;
                        eprintln!("[{}] restarted with the new build", clock());
                    }
                    Err(e) => eprintln!("[{}] {e}: still serving the last good build", clock()),
                }
                files = snapshot(t);
            }
        }
    }
}

//! Local mode: cold-start each bootstrap on a fresh emulator, run after run, interleaved.
use crate::cgroup::{CpuGroup, Root, Share};
use crate::error::{Error, Result};
use crate::machine::Machine;
use crate::procfs::{self, Bootstrap};
use crate::stats;
use crate::table::{Column, Table, Unit};
use rayo_emulator::{Config, EmuError, Emulator, Outcome, OutcomeKind};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One bootstrap to measure: `NAME=COMMAND` plus per-name options.
#[derive(Clone, Debug)]
pub struct Spec {
    /// The name it is reported under.
    pub name: String,
    /// `argv[0]` resolved to an absolute path, then the arguments.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// `--cwd`: its working directory.
    pub cwd: Option<PathBuf>,
    /// Extra environment on top of the emulator's Lambda-like one.
    pub env: Vec<(String, String)>,
    /// Files or directories whose total size is reported (default: the program itself).
    pub size_paths: Vec<PathBuf>,
    /// The bootstrap never answers invocations (e.g. the bare baseline): measure init only.
    pub init_only: bool,
}

impl Spec {
    /// Parses `NAME=COMMAND`; COMMAND is split on whitespace and its program resolved now
    /// (against the current directory or PATH) so the spawn is unambiguous.
    pub fn parse(arg: &str) -> Result<Spec> {
        let (name, command) = arg
            .split_once('=')
            .ok_or_else(|| Error::Usage(format!("expected NAME=COMMAND, got {arg:?}")))?;
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::Usage(format!("empty NAME in {arg:?}")));
        }
        let mut words = command.split_whitespace().map(str::to_string);
        let program = words
            .next()
            .ok_or_else(|| Error::Usage(format!("empty COMMAND in {arg:?}")))?;
        Ok(Spec {
            name: name.to_string(),
            program: resolve_program(&program)?,
            args: words.collect(),
            cwd: None,
            env: Vec::new(),
            size_paths: Vec::new(),
            init_only: false,
        })
    }

    /// The command as a shell would need it typed.
    pub fn command_line(&self) -> String {
        let mut s = self.program.display().to_string();
        for a in &self.args {
            s.push(' ');
            s.push_str(a);
        }
        s
    }

    /// Total bytes of `size_paths` (a directory counts every regular file under it,
    /// symlinks not followed), or of the program when none is given.
    pub fn size_bytes(&self) -> Result<u64> {
        if self.size_paths.is_empty() {
            return std::fs::metadata(&self.program)
                .map(|m| m.len())
                .map_err(|e| Error::io(format!("stat {}", self.program.display()), e));
        }
        self.size_paths.iter().map(|p| tree_size(p)).sum()
    }
}

fn resolve_program(program: &str) -> Result<PathBuf> {
    let found = if program.contains('/') {
        let p = Path::new(program);
        p.is_file().then(|| std::path::absolute(p).ok()).flatten()
    } else {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join(program))
                .find(|c| c.is_file())
        })
    };
    found.ok_or_else(|| {
        Error::Usage(format!(
            "program {program:?} not found (as a path or on PATH)"
        ))
    })
}

/// Bytes of a file, or of every regular file under a directory (symlinks not followed).
pub fn tree_size(path: &Path) -> Result<u64> {
    let meta = std::fs::symlink_metadata(path)
        .map_err(|e| Error::io(format!("stat {}", path.display()), e))?;
    if meta.is_file() {
        return Ok(meta.len());
    }
    if !meta.is_dir() {
        return Ok(0);
    }
    let mut total = 0;
    let entries =
        std::fs::read_dir(path).map_err(|e| Error::io(format!("list {}", path.display()), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(format!("list {}", path.display()), e))?;
        total += tree_size(&entry.path())?;
    }
    Ok(total)
}

#[derive(Clone, Debug)]
/// How every bootstrap is run.
pub struct Options {
    /// Counted runs per bootstrap (after one uncounted warm-up each).
    pub runs: usize,
    /// Warm invocations after the first one.
    pub invokes: usize,
    /// The event sent on every invocation.
    pub event: Vec<u8>,
    /// Bound on each wait (init, each invocation).
    pub timeout: Duration,
    /// Let the bootstraps' stdout/stderr through (default: discarded).
    pub show_output: bool,
    /// A bootstrap that fails a run is dropped (and reported) instead of stopping everything.
    pub keep_going: bool,
    /// `--memory`: run each cold start in a fresh CPU-quota group with this share.
    pub cpu: Option<CpuLimit>,
    /// `--measure-errors`: a bootstrap whose every invocation is an error is measured as it
    /// is; otherwise the run fails with a warning (it usually means the wrong event).
    pub measure_errors: bool,
    /// `--warm-event LABEL=FILE`: after the warm invocations of `event`, `invokes` more of
    /// each of these, in order, in the same process (one latency series per label).
    pub phases: Vec<WarmEvent>,
}

/// One more event every run sends `invokes` times once the main event's are done.
#[derive(Clone, Debug)]
pub struct WarmEvent {
    /// The name its latency series goes by.
    pub label: String,
    /// The event body.
    pub event: Vec<u8>,
}

/// Where the quota groups go and how big they are.
#[derive(Clone, Debug)]
pub struct CpuLimit {
    /// Where the groups are made.
    pub root: Root,
    /// The share each gets.
    pub share: Share,
    /// `--unthrottled-init`: no quota until the first `GET /next` arrives (Lambda's own
    /// published Init Durations do not depend on memory; see README.md).
    pub unthrottled_init: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            runs: 10,
            invokes: 10,
            event: b"{}".to_vec(),
            timeout: Duration::from_secs(10),
            show_output: false,
            keep_going: false,
            cpu: None,
            measure_errors: false,
            phases: Vec::new(),
        }
    }
}

/// Everything measured in one cold start.
#[derive(Clone, Debug, miniserde::Serialize)]
pub struct Sample {
    /// 0 is the uncounted warm-up (never stored in results).
    pub run: usize,
    /// Just before spawn until the first bytes of the first `GET /next` arrived.
    pub init_ms: f64,
    /// First event's `/next` response written until its response body was read.
    pub first_invoke_ms: Option<f64>,
    /// Cold start as a caller sees it: `init_ms + first_invoke_ms`, spawn to the last byte
    /// of the first response without the harness's own gap between the first `GET /next`
    /// arriving and the event being written (on Lambda the event is already waiting).
    pub to_first_response_ms: Option<f64>,
    /// Each warm invocation's latency.
    pub warm_ms: Vec<f64>,
    /// Median of `warm_ms`.
    pub warm_p50_ms: Option<f64>,
    /// 99th percentile of `warm_ms`.
    pub warm_p99_ms: Option<f64>,
    /// CPU time (user + system, all threads, /proc/PID/task/*/schedstat) per warm invocation
    /// of the main event, on average: steadier than wall-clock latency on a busy machine.
    pub warm_cpu_ms: Option<f64>,
    /// VmHWM before the process was stopped.
    pub peak_rss_kib: u64,
    /// The process's live threads (`Threads` in /proc/PID/status), read with VmHWM.
    pub threads: Option<u64>,
    /// One entry per `--warm-event`, in order.
    pub phases: Vec<PhaseSample>,
    /// CPU time (user + system) spent until the first `GET /next`, from /proc/PID/schedstat.
    pub init_cpu_ms: Option<f64>,
    /// CPU time of the whole process life (init and every invocation), from wait4.
    pub cpu_ms: f64,
    /// Invocations answered on `/error` rather than `/response`.
    pub function_errors: usize,
    /// 1-minute load average when the run started.
    pub load1: Option<f64>,
    /// Under `--memory`: how long the child's move into the group took (already taken out
    /// of `init_ms`: Lambda's sandbox is limited before the runtime starts).
    pub cgroup_attach_ms: Option<f64>,
    /// Under `--memory`: CFS periods in which the group was throttled before the first
    /// `GET /next`, and the time it spent throttled (the group's cpu.stat).
    pub init_throttled_periods: Option<u64>,
    /// Time spent throttled before the first `GET /next`, in ms.
    pub init_throttled_ms: Option<f64>,
}

/// The invocations of one `--warm-event` within a run.
#[derive(Clone, Debug, miniserde::Serialize)]
pub struct PhaseSample {
    /// The `--warm-event` label.
    pub label: String,
    /// Each invocation's latency.
    pub warm_ms: Vec<f64>,
    /// Median of `warm_ms`.
    pub warm_p50_ms: Option<f64>,
    /// 99th percentile of `warm_ms`.
    pub warm_p99_ms: Option<f64>,
    /// VmHWM right after this phase's last response: the peak over everything so far.
    pub peak_rss_kib: u64,
    /// CPU time (user + system, all threads) per invocation of this phase, on average.
    pub cpu_ms: Option<f64>,
}

/// A sample with the raw instants behind it, for the accuracy self-check.
pub struct Measured {
    /// What was measured.
    pub sample: Sample,
    /// Just before spawn.
    pub spawn_at: Instant,
    /// When the first `GET /next` arrived.
    pub next_at: Instant,
    /// Every invocation's outcome.
    pub outcomes: Vec<Outcome>,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Cold-starts `spec` once on a fresh emulator and measures it.
pub fn measure_once(spec: &Spec, opts: &Options, run: usize) -> Result<Measured> {
    let fail = |what: String| Error::Run {
        bootstrap: spec.name.clone(),
        run,
        what,
    };
    let mut config = Config {
        env: spec.env.clone(),
        ..Config::default()
    };
    // Declared before the child so it is dropped (removed) after the child is reaped.
    let group = match &opts.cpu {
        Some(limit) => {
            config.memory_mb = limit.share.memory_mb;
            let g = CpuGroup::create(&limit.root, &limit.share).map_err(|e| fail(e.to_string()))?;
            if limit.unthrottled_init {
                g.lift().map_err(|e| fail(e.to_string()))?;
            }
            Some(g)
        }
        None => None,
    };
    let emu =
        Emulator::start(config).map_err(|e| fail(format!("cannot start the emulator: {e}")))?;
    let mut cmd = Command::new(&spec.program);
    cmd.args(&spec.args).stdin(Stdio::null());
    if let Some(dir) = &spec.cwd {
        cmd.current_dir(dir);
    }
    if !opts.show_output {
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
    }
    let timer = match &group {
        Some(g) => Some(g.add_to(&mut cmd).map_err(|e| fail(e.to_string()))?),
        None => None,
    };
    let load1 = procfs::loadavg().map(|l| l[0]);

    let spawn_at = Instant::now();
    let child = emu
        .spawn(cmd)
        .map_err(|e| fail(format!("cannot spawn {}: {e}", spec.command_line())))?;
    let mut proc = Bootstrap::new(child);
    let pid = proc.pid();
    // Moving into the group is set-up, not the bootstrap's start: its time is taken out.
    let attach = match timer {
        Some(t) => t.attach_duration().map_err(|e| fail(e.to_string()))?,
        None => Duration::ZERO,
    };

    // Wait in slices so a bootstrap that dies is reported at once, not after the timeout.
    // Slicing loses nothing: wait_next returns the arrival instant, not the wake-up time.
    let deadline = spawn_at + opts.timeout;
    let next_at = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(fail(format!("no GET /next within {:?}", opts.timeout)));
        }
        match emu.wait_next(left.min(Duration::from_millis(50))) {
            Ok(at) => break at,
            Err(EmuError::Timeout(_)) => {
                if let Some(why) = proc.exited() {
                    return Err(fail(format!("{why} before its first GET /next")));
                }
            }
            Err(e) => return Err(fail(format!("waiting for GET /next: {e}"))),
        }
    };
    let init_cpu_ms = procfs::schedstat_ns(pid).ok().map(|ns| ns as f64 / 1e6);
    let throttled = match &group {
        Some(g) => Some(g.throttled().map_err(|e| fail(e.to_string()))?),
        None => None,
    };
    // Init is over: from here on the invocations run under the share.
    if let (Some(g), Some(limit)) = (&group, &opts.cpu) {
        if limit.unthrottled_init {
            g.apply(&limit.share).map_err(|e| fail(e.to_string()))?;
        }
    }

    // CPU time (all threads) between two points: what an invocation cost the process,
    // whatever else the machine was doing (wall-clock latency moves with load, this barely).
    let cpu_now = || procfs::schedstat_ns(pid).ok();
    let per_invoke = |from: Option<u64>, to: Option<u64>, n: usize| match (from, to) {
        (Some(a), Some(b)) if n > 0 => Some(b.saturating_sub(a) as f64 / 1e6 / n as f64),
        _ => None,
    };
    let mut outcomes = Vec::new();
    let mut warm_cpu_ms = None;
    if !spec.init_only {
        let mut warm_from = None;
        for i in 0..=opts.invokes {
            let out = emu.invoke(opts.event.clone(), opts.timeout).map_err(|e| {
                let why = proc.exited().unwrap_or_default();
                fail(format!("invocation {i}: {e} {why}"))
            })?;
            outcomes.push(out);
            if i == 0 {
                warm_from = cpu_now();
            }
        }
        warm_cpu_ms = per_invoke(warm_from, cpu_now(), opts.invokes);
    }
    let mut phases = Vec::new();
    if !spec.init_only {
        for phase in &opts.phases {
            let mut warm = Vec::with_capacity(opts.invokes);
            let cpu_from = cpu_now();
            for i in 0..opts.invokes {
                let out = emu.invoke(phase.event.clone(), opts.timeout).map_err(|e| {
                    let why = proc.exited().unwrap_or_default();
                    fail(format!("`{}` invocation {i}: {e} {why}", phase.label))
                })?;
                warm.push(ms(out.received_at.saturating_duration_since(out.sent_at)));
                outcomes.push(out);
            }
            let cpu_ms = per_invoke(cpu_from, cpu_now(), opts.invokes);
            let (peak_rss_kib, _) =
                procfs::vm_hwm_kib_and_threads(pid).map_err(|e| fail(e.to_string()))?;
            phases.push(PhaseSample {
                cpu_ms,
                label: phase.label.clone(),
                warm_p50_ms: stats::percentile(&warm, 50.0),
                warm_p99_ms: stats::percentile(&warm, 99.0),
                warm_ms: warm,
                peak_rss_kib,
            });
        }
    }
    let (peak_rss_kib, threads) =
        procfs::vm_hwm_kib_and_threads(pid).map_err(|e| fail(e.to_string()))?;
    let reaped = proc.kill_and_reap().map_err(|e| fail(e.to_string()))?;
    drop(emu);
    if let Some(g) = group {
        g.remove().map_err(|e| fail(e.to_string()))?;
    }

    let main_events = outcomes.len() - phases.iter().map(|p| p.warm_ms.len()).sum::<usize>();
    let lat: Vec<f64> = outcomes[..main_events]
        .iter()
        .map(|o| ms(o.received_at.saturating_duration_since(o.sent_at)))
        .collect();
    let warm: Vec<f64> = lat.iter().skip(1).copied().collect();
    let init_ms = ms(next_at
        .saturating_duration_since(spawn_at)
        .saturating_sub(attach));
    let sample = Sample {
        run,
        init_ms,
        first_invoke_ms: lat.first().copied(),
        to_first_response_ms: lat.first().map(|first| init_ms + first),
        warm_p50_ms: stats::percentile(&warm, 50.0),
        warm_p99_ms: stats::percentile(&warm, 99.0),
        warm_ms: warm,
        warm_cpu_ms,
        peak_rss_kib,
        threads,
        phases,
        init_cpu_ms,
        cpu_ms: reaped.cpu_ms,
        function_errors: outcomes
            .iter()
            .filter(|o| matches!(o.kind, OutcomeKind::Error { .. }))
            .count(),
        load1,
        cgroup_attach_ms: opts.cpu.is_some().then(|| ms(attach)),
        init_throttled_periods: throttled.map(|t| t.0),
        init_throttled_ms: throttled.map(|t| t.1),
    };
    Ok(Measured {
        sample,
        spawn_at,
        next_at,
        outcomes,
    })
}

/// Every counted sample of one bootstrap.
#[derive(Clone, Debug)]
pub struct Series {
    /// The bootstrap.
    pub spec: Spec,
    /// Its size (`--size`, else the program's file).
    pub size_bytes: Option<u64>,
    /// One per counted run.
    pub samples: Vec<Sample>,
    /// Why this bootstrap was dropped (`--keep-going`); its samples stop there.
    pub failure: Option<String>,
}

/// A local run: every bootstrap's samples and the machine they were taken on.
pub struct Results {
    /// The machine.
    pub machine: Machine,
    /// UTC date of the run.
    pub date: String,
    /// How it was run.
    pub options: Options,
    /// One per bootstrap, in the order given.
    pub series: Vec<Series>,
}

/// Runs every bootstrap `runs + 1` times, interleaved (A B C A B C ...), dropping each
/// one's first (warm-up) run. `progress` is called after every run with a short label.
pub fn run_all(specs: &[Spec], opts: &Options, progress: &mut dyn FnMut(&str)) -> Result<Results> {
    let mut machine = Machine::probe();
    let mut series: Vec<Series> = specs
        .iter()
        .map(|s| Series {
            spec: s.clone(),
            size_bytes: s.size_bytes().ok(),
            samples: Vec::with_capacity(opts.runs),
            failure: None,
        })
        .collect();
    for run in 0..=opts.runs {
        for s in series.iter_mut() {
            if s.failure.is_some() {
                progress(&format!("{} skipped (failed)", s.spec.name));
                continue;
            }
            let m = match measure_once(&s.spec, opts, run) {
                Ok(m) => m,
                Err(e) if opts.keep_going => {
                    s.failure = Some(e.to_string());
                    progress(&format!("{} FAILED", s.spec.name));
                    continue;
                }
                Err(e) => return Err(e),
            };
            if let Some(l) = m.sample.load1 {
                machine.saw_load(l);
            }
            if run > 0 {
                s.samples.push(m.sample);
            }
            let label = if run == 0 { "warm-up" } else { "run" };
            progress(&format!("{} {label} {run}", s.spec.name));
        }
    }
    if let Some(l) = procfs::loadavg() {
        machine.saw_load(l[0]);
    }
    Ok(Results {
        machine,
        date: crate::machine::utc_date(),
        options: opts.clone(),
        series,
    })
}

impl Results {
    /// The Markdown table: one row per bootstrap.
    pub fn table(&self) -> Table {
        let col = |key: &str, label: &str, unit, f: &dyn Fn(&Sample) -> Option<f64>| Column {
            key: key.into(),
            label: label.into(),
            unit,
            values: self
                .series
                .iter()
                .map(|s| s.samples.iter().map(f).collect())
                .collect(),
        };
        let mut columns = vec![
            col("init_ms", "init", Unit::Ms, &|s| Some(s.init_ms)),
            col("first_invoke_ms", "first invoke", Unit::Ms, &|s| {
                s.first_invoke_ms
            }),
            col(
                "to_first_response_ms",
                "to first response",
                Unit::Ms,
                &|s| s.to_first_response_ms,
            ),
            col("warm_p50_ms", "warm p50", Unit::Ms, &|s| s.warm_p50_ms),
            col("warm_p99_ms", "warm p99", Unit::Ms, &|s| s.warm_p99_ms),
            col("warm_cpu_ms", "warm CPU", Unit::Ms, &|s| s.warm_cpu_ms),
        ];
        // Phase i's columns read phases[i] (every run has the same phases in order).
        for (i, phase) in self.options.phases.iter().enumerate() {
            let l = &phase.label;
            let p50 = move |s: &Sample| s.phases.get(i).and_then(|p| p.warm_p50_ms);
            let p99 = move |s: &Sample| s.phases.get(i).and_then(|p| p.warm_p99_ms);
            let rss = move |s: &Sample| s.phases.get(i).map(|p| p.peak_rss_kib as f64);
            let cpu = move |s: &Sample| s.phases.get(i).and_then(|p| p.cpu_ms);
            columns.push(col(
                &format!("warm_p50_ms:{l}"),
                &format!("warm p50 {l}"),
                Unit::Ms,
                &p50,
            ));
            columns.push(col(
                &format!("warm_p99_ms:{l}"),
                &format!("warm p99 {l}"),
                Unit::Ms,
                &p99,
            ));
            columns.push(col(
                &format!("warm_cpu_ms:{l}"),
                &format!("warm CPU {l}"),
                Unit::Ms,
                &cpu,
            ));
            columns.push(col(
                &format!("peak_rss_kib:{l}"),
                &format!("peak RSS after {l}"),
                Unit::KiB,
                &rss,
            ));
        }
        columns.extend([
            col("peak_rss_kib", "peak RSS", Unit::KiB, &|s| {
                Some(s.peak_rss_kib as f64)
            }),
            col("init_cpu_ms", "init CPU", Unit::Ms, &|s| s.init_cpu_ms),
            col("cpu_ms", "CPU total", Unit::Ms, &|s| Some(s.cpu_ms)),
            col("threads", "threads", Unit::Count, &|s| {
                s.threads.map(|t| t as f64)
            }),
        ]);
        if self.options.cpu.is_some() {
            columns.push(col("init_throttled_ms", "init throttled", Unit::Ms, &|s| {
                s.init_throttled_ms
            }));
        }
        Table {
            names: self.series.iter().map(|s| s.spec.name.clone()).collect(),
            sizes: self.series.iter().map(|s| s.size_bytes).collect(),
            columns,
        }
    }

    /// The `--json` document: options, machine, every sample of every bootstrap, summaries.
    pub fn json_document(&self, command: &[String], table: &Table) -> String {
        #[derive(miniserde::Serialize)]
        struct Boot<'a> {
            name: &'a str,
            command: String,
            cwd: Option<String>,
            env: Vec<Vec<String>>,
            size_bytes: Option<u64>,
            init_only: bool,
            failure: Option<&'a str>,
            samples: &'a [Sample],
        }
        #[derive(miniserde::Serialize)]
        struct WarmEventDoc<'a> {
            label: &'a str,
            event_bytes: usize,
        }
        #[derive(miniserde::Serialize)]
        struct Doc<'a> {
            tool: &'static str,
            version: &'static str,
            mode: &'static str,
            date: &'a str,
            command: &'a [String],
            machine: &'a Machine,
            runs: usize,
            invokes: usize,
            event_bytes: usize,
            /// `--warm-event` labels and sizes, in the order each run sends them.
            warm_events: Vec<WarmEventDoc<'a>>,
            timeout_s: f64,
            memory_mb: Option<u32>,
            cpu_quota: Option<f64>,
            cpu_quota_us: Option<u64>,
            cpu_period_us: Option<u64>,
            cgroup: Option<&'static str>,
            unthrottled_init: bool,
            bootstraps: Vec<Boot<'a>>,
            summary: Vec<crate::output::SummaryRow>,
        }
        let bootstraps = self
            .series
            .iter()
            .map(|s| Boot {
                name: &s.spec.name,
                command: s.spec.command_line(),
                cwd: s.spec.cwd.as_ref().map(|p| p.display().to_string()),
                env: s
                    .spec
                    .env
                    .iter()
                    .map(|(k, v)| vec![k.clone(), v.clone()])
                    .collect(),
                size_bytes: s.size_bytes,
                init_only: s.spec.init_only,
                failure: s.failure.as_deref(),
                samples: &s.samples,
            })
            .collect();
        let cpu = self.options.cpu.as_ref();
        miniserde::json::to_string(&Doc {
            tool: "bench-coldstart",
            version: env!("CARGO_PKG_VERSION"),
            mode: "local",
            date: &self.date,
            command,
            machine: &self.machine,
            runs: self.options.runs,
            invokes: self.options.invokes,
            event_bytes: self.options.event.len(),
            warm_events: self
                .options
                .phases
                .iter()
                .map(|p| WarmEventDoc {
                    label: &p.label,
                    event_bytes: p.event.len(),
                })
                .collect(),
            timeout_s: self.options.timeout.as_secs_f64(),
            memory_mb: cpu.map(|c| c.share.memory_mb),
            cpu_quota: cpu.map(|c| c.share.cpus()),
            cpu_quota_us: cpu.map(|c| c.share.quota_us),
            cpu_period_us: cpu.map(|c| c.share.period_us),
            cgroup: cpu.map(|c| c.root.flavor.name()),
            unthrottled_init: cpu.is_some_and(|c| c.unthrottled_init),
            bootstraps,
            summary: crate::output::summary_rows(table),
        })
    }

    /// Each bootstrap that answered invocations, with how many of them were function errors
    /// and how many it answered in all (init-only bootstraps are left out).
    pub fn error_counts(&self) -> Vec<(&str, usize, usize)> {
        self.series
            .iter()
            .filter(|s| !s.spec.init_only && !s.samples.is_empty())
            .map(|s| {
                let errors = s.samples.iter().map(|x| x.function_errors).sum();
                let total = s.samples.len() * (1 + self.options.invokes);
                (s.spec.name.as_str(), errors, total)
            })
            .collect()
    }

    /// A Markdown note per dropped bootstrap (empty when none failed).
    pub fn failures_markdown(&self) -> String {
        let mut out = String::new();
        for s in &self.series {
            if let Some(why) = &s.failure {
                out.push_str(&format!(
                    "\n**`{}` failed and was dropped** after {} counted runs: {}\n",
                    s.spec.name,
                    s.samples.len(),
                    why
                ));
            }
        }
        out
    }

    /// Every bootstrap's init times, for the chart.
    pub fn init_samples(&self) -> Vec<Vec<f64>> {
        self.series
            .iter()
            .map(|s| s.samples.iter().map(|x| x.init_ms).collect())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_parsing() {
        let s = Spec::parse("py=sh -c exit").unwrap();
        assert_eq!(s.name, "py");
        assert!(s.program.is_absolute() && s.program.ends_with("sh"));
        assert_eq!(s.args, ["-c", "exit"]);
        for (bad, want) in [
            ("noequals", "NAME=COMMAND"),
            ("=sh", "empty NAME"),
            ("a=   ", "empty COMMAND"),
            ("a=/no/such/prog", "not found"),
            ("a=no-such-prog-on-path-xyz", "not found"),
        ] {
            let msg = Spec::parse(bad).unwrap_err().to_string();
            assert!(msg.contains(want), "{bad:?} -> {msg}");
        }
    }

    #[test]
    fn tree_size_counts_files_not_symlinks() {
        let dir = std::env::temp_dir().join(format!("bench-tree-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("a"), [0u8; 100]).unwrap();
        std::fs::write(dir.join("sub/b"), [0u8; 23]).unwrap();
        std::os::unix::fs::symlink("/bin/sh", dir.join("link")).unwrap();
        assert_eq!(tree_size(&dir).unwrap(), 123);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_bootstrap_that_exits_is_reported_quickly() {
        let spec = Spec::parse("dies=sh -c exit").unwrap();
        let opts = Options {
            timeout: Duration::from_secs(30),
            ..Options::default()
        };
        let started = Instant::now();
        let msg = measure_once(&spec, &opts, 1).err().unwrap().to_string();
        assert!(
            msg.contains("exited early") && msg.contains("`dies`"),
            "{msg}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "waited for the whole timeout"
        );
    }
}

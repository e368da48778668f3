//! What the harness reads about a bootstrap process from /proc and from `wait4`.
use crate::error::{Error, Result};
use std::process::Child;

/// A `Key: N unit` line of /proc/PID/status, e.g. `VmHWM:\t  340 kB` or `Threads:\t4`.
fn status_field(status: &str, key: &str, unit: Option<&str>) -> Option<u64> {
    let rest = status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))?;
    let mut words = rest.split_whitespace();
    let n = words.next()?.parse().ok()?;
    (words.next() == unit).then_some(n)
}

/// `VmHWM` (peak resident set, KiB) from the text of /proc/PID/status.
pub fn parse_vm_hwm_kib(status: &str) -> Option<u64> {
    status_field(status, "VmHWM", Some("kB"))
}

/// `Threads` (the process's live threads) from the text of /proc/PID/status.
pub fn parse_threads(status: &str) -> Option<u64> {
    status_field(status, "Threads", None)
}

/// Peak RSS (KiB) and live threads of a live process, from one read of /proc/PID/status.
/// Must be read before it is killed: once reaped, its /proc entry is gone, and `wait4`'s
/// ru_maxrss is inherited from the parent across exec.
pub fn vm_hwm_kib_and_threads(pid: u32) -> Result<(u64, Option<u64>)> {
    let path = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(format!("read {path}"), e))?;
    let hwm = parse_vm_hwm_kib(&text).ok_or_else(|| Error::Proc {
        path,
        what: "no `VmHWM: N kB` line".into(),
    })?;
    Ok((hwm, parse_threads(&text)))
}

/// First field of /proc/PID/schedstat: nanoseconds the task has run on a CPU (user + system).
pub fn parse_schedstat_ns(text: &str) -> Option<u64> {
    text.split_whitespace().next()?.parse().ok()
}

/// CPU time so far of a live process, in ns: the sum over its threads (/proc/PID/task/*),
/// finer than /proc/PID/stat's clock ticks. Threads that already exited are not counted
/// (a runtime's start-up threads normally live on).
pub fn schedstat_ns(pid: u32) -> Result<u64> {
    let dir = format!("/proc/{pid}/task");
    let tasks = std::fs::read_dir(&dir).map_err(|e| Error::io(format!("list {dir}"), e))?;
    let mut total = 0;
    for task in tasks {
        let task = task.map_err(|e| Error::io(format!("list {dir}"), e))?;
        let path = task.path().join("schedstat");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            // The thread ended between listing and reading.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io(format!("read {}", path.display()), e)),
        };
        total += parse_schedstat_ns(&text).ok_or_else(|| Error::Proc {
            path: path.display().to_string(),
            what: format!("first field of {text:?} is not a number"),
        })?;
    }
    Ok(total)
}

/// The 1-, 5- and 15-minute load averages from the text of /proc/loadavg.
pub fn parse_loadavg(text: &str) -> Option<[f64; 3]> {
    let mut w = text.split_whitespace().map(|x| x.parse::<f64>().ok());
    Some([w.next()??, w.next()??, w.next()??])
}

/// The three load averages of /proc/loadavg.
pub fn loadavg() -> Option<[f64; 3]> {
    parse_loadavg(&std::fs::read_to_string("/proc/loadavg").ok()?)
}

/// Owns a spawned bootstrap: kills and reaps it exactly once, also on early return.
pub struct Bootstrap {
    child: Child,
    reaped: bool,
}

/// What `wait4` says about a killed child: its own CPU time, in ms.
pub struct Reaped {
    /// User + system CPU time of the child's whole life.
    pub cpu_ms: f64,
}

impl Bootstrap {
    /// Takes ownership of a spawned child.
    pub fn new(child: Child) -> Bootstrap {
        Bootstrap {
            child,
            reaped: false,
        }
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `Some(description)` if the process has already exited (it is then reaped).
    pub fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => {
                self.reaped = true;
                Some(format!("the process exited early ({status})"))
            }
            Ok(None) => None,
            Err(e) => Some(format!("cannot check the process: {e}")),
        }
    }

    /// SIGKILL, then `wait4` for the child's own rusage (ru_utime + ru_stime).
    pub fn kill_and_reap(&mut self) -> Result<Reaped> {
        if self.reaped {
            return Err(Error::Proc {
                path: format!("pid {}", self.pid()),
                what: "already reaped".into(),
            });
        }
        self.child
            .kill()
            .map_err(|e| Error::io(format!("kill pid {}", self.pid()), e))?;
        let pid = self.child.id() as libc::pid_t;
        let mut status: libc::c_int = 0;
        // SAFETY: rusage is a plain C struct of integers, for which all-zero bytes are valid.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        loop {
            // SAFETY: both pointers are to live, writable locals of the types wait4 expects;
            // `pid` is our own unreaped child, so this cannot reap anyone else's process.
            let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
            if r == pid {
                break;
            }
            let err = std::io::Error::last_os_error();
            if err.kind() != std::io::ErrorKind::Interrupted {
                return Err(Error::io(format!("wait4 pid {pid}"), err));
            }
        }
        self.reaped = true;
        let ms = |tv: libc::timeval| tv.tv_sec as f64 * 1e3 + tv.tv_usec as f64 / 1e3;
        Ok(Reaped {
            cpu_ms: ms(ru.ru_utime) + ms(ru.ru_stime),
        })
    }
}

impl Drop for Bootstrap {
    fn drop(&mut self) {
        // Never signal a pid we have reaped: it may belong to someone else by now.
        if !self.reaped {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// CLOCK_MONOTONIC in ns: the clock `Instant` uses on Linux, readable from another process.
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC always exists on Linux,
    // so the call cannot fail and leaves `ts` filled.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_texts() {
        let status = "Name:\tbootstrap\nVmPeak:\t  1000 kB\nVmHWM:\t     340 kB\nVmRSS:\t 300 kB\n";
        assert_eq!(parse_vm_hwm_kib(status), Some(340));
        assert_eq!(parse_vm_hwm_kib("VmHWM: 12 MB\n"), None);
        assert_eq!(parse_vm_hwm_kib("Name: x\n"), None);
        assert_eq!(parse_vm_hwm_kib("VmHWMx: 12 kB\n"), None);
        assert_eq!(
            parse_threads("Name:\tx\nThreads:\t7\nVmHWM:\t1 kB\n"),
            Some(7)
        );
        assert_eq!(parse_threads("Threads:\t7 kB\n"), None);
        assert_eq!(parse_threads(status), None);
        assert_eq!(parse_schedstat_ns("76293 45368 2\n"), Some(76293));
        assert_eq!(parse_schedstat_ns(""), None);
        assert_eq!(
            parse_loadavg("0.52 1.10 2.00 3/400 1234\n"),
            Some([0.52, 1.1, 2.0])
        );
        assert_eq!(parse_loadavg("0.52 x"), None);
    }

    #[test]
    fn reads_a_live_child_and_reaps_it_once() {
        let child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let mut b = Bootstrap::new(child);
        assert!(b.exited().is_none());
        let (hwm, threads) = vm_hwm_kib_and_threads(b.pid()).unwrap();
        assert!(hwm > 0);
        assert_eq!(threads, Some(1), "sleep is single-threaded");
        schedstat_ns(b.pid()).unwrap();
        assert!(
            schedstat_ns(std::process::id()).unwrap() > 0,
            "this test process has run"
        );
        let r = b.kill_and_reap().unwrap();
        assert!(r.cpu_ms >= 0.0 && r.cpu_ms < 5000.0);
        assert!(b.kill_and_reap().is_err(), "a second reap must be refused");
    }
}

//! The machine a benchmark ran on, so every figure can name it.
use crate::procfs;

#[derive(Clone, Debug, miniserde::Serialize)]
/// CPU, kernel and load while a benchmark ran.
pub struct Machine {
    /// `model name` from /proc/cpuinfo.
    pub cpu_model: String,
    /// CPUs the process may run on.
    pub logical_cpus: usize,
    /// The kernel release (/proc/sys/kernel/osrelease).
    pub kernel: String,
    /// 1-minute load average before the first and after the last run.
    pub load_at_start: Option<f64>,
    /// 1-minute load average after the last run.
    pub load_at_end: Option<f64>,
    /// Lowest and highest 1-minute load average seen at any run.
    pub load_min: Option<f64>,
    /// Highest 1-minute load average seen.
    pub load_max: Option<f64>,
}

/// The first `model name` of a /proc/cpuinfo text.
pub fn cpu_model_from(cpuinfo: &str) -> Option<String> {
    cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
}

impl Machine {
    /// Reads this machine's CPU, kernel and current load.
    pub fn probe() -> Machine {
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|t| cpu_model_from(&t))
            .unwrap_or_else(|| "unknown".into());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| "unknown".into());
        let load = procfs::loadavg().map(|l| l[0]);
        Machine {
            cpu_model,
            logical_cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
            kernel,
            load_at_start: load,
            load_at_end: load,
            load_min: load,
            load_max: load,
        }
    }

    /// Folds in one load reading taken during the runs.
    pub fn saw_load(&mut self, load1: f64) {
        self.load_at_end = Some(load1);
        self.load_min = Some(self.load_min.map_or(load1, |m| m.min(load1)));
        self.load_max = Some(self.load_max.map_or(load1, |m| m.max(load1)));
    }

    /// One line for a report's header.
    pub fn describe(&self) -> String {
        let l = |x: Option<f64>| x.map_or("?".into(), |v| format!("{v:.2}"));
        format!(
            "{}, {} logical CPUs, Linux {}, 1-min load {}..{} during the runs",
            self.cpu_model,
            self.logical_cpus,
            self.kernel,
            l(self.load_min),
            l(self.load_max)
        )
    }
}

/// Today's UTC date as YYYY-MM-DD, from the system clock (no date crate needed).
pub fn utc_date() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_date(secs / 86_400)
}

/// Days since 1970-01-01 to a proleptic Gregorian date (rayo-wire's civil-from-days).
pub fn civil_date(days: u64) -> String {
    let (y, m, d) = rayo_wire::date::civil_from_days(days as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_cpuinfo() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(11_016), "2000-02-29");
        assert_eq!(civil_date(20_416), "2025-11-24");
        assert_eq!(
            cpu_model_from("processor\t: 0\nmodel name\t: AMD EPYC\nflags: x\n").as_deref(),
            Some("AMD EPYC")
        );
        assert_eq!(cpu_model_from("processor: 0\n"), None);
    }

    #[test]
    fn load_range_is_tracked() {
        let mut m = Machine::probe();
        m.load_min = None;
        m.load_max = None;
        m.saw_load(2.0);
        m.saw_load(0.5);
        m.saw_load(1.0);
        assert_eq!(
            (m.load_min, m.load_max, m.load_at_end),
            (Some(0.5), Some(2.0), Some(1.0))
        );
        assert!(m.describe().contains("0.50..2.00"));
    }
}

//! Turning per-run samples into the Markdown tables both modes print.
use crate::stats::{self, Summary};
use std::fmt::Write;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// How a column's values are shown.
pub enum Unit {
    /// Milliseconds.
    Ms,
    /// Kibibytes (what /proc reports as kB).
    KiB,
    /// Megabytes as Lambda's REPORT line counts them.
    MB,
    /// A plain count (threads).
    Count,
}

impl Unit {
    /// `x` in this unit, as the tables show it.
    pub fn format(self, x: f64) -> String {
        match self {
            Unit::Ms if x < 10.0 => format!("{x:.2}"),
            Unit::Ms if x < 100.0 => format!("{x:.1}"),
            Unit::Ms => format!("{x:.0}"),
            Unit::KiB if x >= 1024.0 => format!("{:.1} MiB", x / 1024.0),
            Unit::KiB => format!("{x:.0} KiB"),
            Unit::MB => format!("{x:.0} MB"),
            Unit::Count if x.fract() == 0.0 => format!("{x:.0}"),
            Unit::Count => format!("{x:.1}"),
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            Unit::Ms => " (ms)",
            Unit::KiB | Unit::MB | Unit::Count => "",
        }
    }
}

/// One measured quantity: `values[bootstrap][run]`, `None` where the run has no value
/// (e.g. no invocations for an init-only bootstrap).
#[derive(Clone, Debug)]
pub struct Column {
    /// The JSON key, e.g. `init_ms`.
    pub key: String,
    /// The table header, e.g. `init`.
    pub label: String,
    /// How values are shown.
    pub unit: Unit,
    /// `values[bootstrap][run]`.
    pub values: Vec<Vec<Option<f64>>>,
}

impl Column {
    /// Bootstrap `b`'s summary.
    pub fn summary(&self, b: usize) -> Option<Summary> {
        let v: Vec<f64> = self.values.get(b)?.iter().flatten().copied().collect();
        stats::summarize(&v)
    }

    /// Bootstrap `b` relative to the first bootstrap, run by run.
    pub fn ratio(&self, b: usize) -> Option<Summary> {
        let base = self.values.first()?;
        stats::summarize(&stats::run_ratios(base, self.values.get(b)?))
    }
}

#[derive(Clone, Debug)]
/// Every column of every bootstrap.
pub struct Table {
    /// Bootstrap names, in row order.
    pub names: Vec<String>,
    /// Binary or package size in bytes.
    pub sizes: Vec<Option<u64>>,
    /// The measured quantities.
    pub columns: Vec<Column>,
}

/// `262144` as `256 KiB`, `2097152` as `2.0 MiB`.
pub fn format_bytes(n: u64) -> String {
    if n >= 1024 * 1024 {
        format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0))
    } else {
        format!("{:.0} KiB", n as f64 / 1024.0)
    }
}

fn cell(s: Option<Summary>, unit: Unit, pick: fn(&Summary) -> f64) -> String {
    s.map_or("–".into(), |s| unit.format(pick(&s)))
}

fn ratio_cell(s: Option<Summary>) -> String {
    s.map_or("–".into(), |s| format!("{:.2}×", s.median))
}

impl Table {
    /// A headline table (medians, and the first column's ratio to the first bootstrap),
    /// then every column's median, p90, min, max and run-by-run ratio.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let ratio_base = self.columns.first().zip(self.names.first());
        let _ = write!(out, "| bootstrap | size |");
        for c in &self.columns {
            let _ = write!(out, " {}{} |", c.label, c.unit.suffix());
        }
        if let Some((first, base)) = ratio_base {
            let _ = write!(out, " {} vs {} |", first.label, base);
        }
        out.push('\n');
        let ncols = self.columns.len() + 2 + usize::from(ratio_base.is_some());
        out.push('|');
        out.push_str(&"---|".repeat(ncols));
        out.push('\n');
        for (b, name) in self.names.iter().enumerate() {
            let size = self.sizes.get(b).copied().flatten();
            let _ = write!(
                out,
                "| {} | {} |",
                name,
                size.map_or("?".into(), format_bytes)
            );
            for c in &self.columns {
                let _ = write!(out, " {} |", cell(c.summary(b), c.unit, |s| s.median));
            }
            if let Some((first, _)) = ratio_base {
                let _ = write!(out, " {} |", ratio_cell(first.ratio(b)));
            }
            out.push('\n');
        }
        out.push_str("\nMedians above; the distributions (ratio: median of run-by-run ratios to the first bootstrap):\n\n");
        out.push_str("| bootstrap | metric | median | p90 | min | max | runs | ratio |\n");
        out.push_str("|---|---|---|---|---|---|---|---|\n");
        for (b, name) in self.names.iter().enumerate() {
            for c in &self.columns {
                let s = c.summary(b);
                let _ = writeln!(
                    out,
                    "| {} | {}{} | {} | {} | {} | {} | {} | {} |",
                    name,
                    c.label,
                    c.unit.suffix(),
                    cell(s, c.unit, |s| s.median),
                    cell(s, c.unit, |s| s.p90),
                    cell(s, c.unit, |s| s.min),
                    cell(s, c.unit, |s| s.max),
                    s.map_or(0, |s| s.n),
                    ratio_cell(c.ratio(b)),
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table {
            names: vec!["rayo".into(), "peer".into()],
            sizes: vec![Some(420 * 1024), None],
            columns: vec![
                Column {
                    key: "init_ms".into(),
                    label: "init".into(),
                    unit: Unit::Ms,
                    values: vec![
                        vec![Some(1.0), Some(2.0), Some(1.0)],
                        vec![Some(50.0), Some(60.0), Some(55.0)],
                    ],
                },
                Column {
                    key: "peak_rss_kib".into(),
                    label: "peak RSS".into(),
                    unit: Unit::KiB,
                    values: vec![vec![Some(340.0); 3], vec![None, Some(14336.0), None]],
                },
            ],
        }
    }

    #[test]
    fn ratios_are_run_by_run() {
        let t = table();
        // runs: 50/1, 60/2, 55/1 -> 50, 30, 55 -> median 50 (not 55/1 = median over medians)
        assert_eq!(t.columns[0].ratio(1).unwrap().median, 50.0);
        assert_eq!(t.columns[0].ratio(0).unwrap().median, 1.0);
        assert!(t.columns[1].ratio(1).is_some());
        assert_eq!(t.columns[1].summary(1).unwrap().n, 1);
    }

    #[test]
    fn markdown_has_every_row_and_unit() {
        let md = table().markdown();
        assert!(md.starts_with("| bootstrap | size | init (ms) | peak RSS | init vs rayo |\n|---|---|---|---|---|\n"), "{md}");
        assert!(
            md.contains("| rayo | 420 KiB | 1.00 | 340 KiB | 1.00× |"),
            "{md}"
        );
        assert!(
            md.contains("| peer | ? | 55.0 | 14.0 MiB | 50.00× |"),
            "{md}"
        );
        assert!(
            md.contains("| peer | init (ms) | 55.0 | 59.0 | 50.0 | 60.0 | 3 | 50.00× |"),
            "{md}"
        );
        assert!(
            md.contains(
                "| peer | peak RSS | 14.0 MiB | 14.0 MiB | 14.0 MiB | 14.0 MiB | 1 | 42.16× |"
            ),
            "{md}"
        );
    }

    #[test]
    fn empty_column_prints_dashes() {
        let mut t = table();
        t.columns[0].values[1] = vec![None; 3];
        let md = t.markdown();
        assert!(
            md.contains("| peer | init (ms) | – | – | – | – | 0 | – |"),
            "{md}"
        );
    }

    #[test]
    fn units_format() {
        assert_eq!(Unit::Ms.format(0.834), "0.83");
        assert_eq!(Unit::Ms.format(54.66), "54.7");
        assert_eq!(Unit::Ms.format(182.4), "182");
        assert_eq!(Unit::KiB.format(3174.4), "3.1 MiB");
        assert_eq!(Unit::MB.format(128.0), "128 MB");
        assert_eq!(Unit::Count.format(4.0), "4");
        assert_eq!(Unit::Count.format(4.5), "4.5");
        assert_eq!(format_bytes(439 * 1024), "439 KiB");
    }
}

//! The `--json` document: every sample, the summaries and the machine.
use crate::table::Table;
use miniserde::Serialize;

#[derive(Serialize)]
/// One summary row of the JSON document: a metric of a bootstrap.
pub struct SummaryRow {
    /// The bootstrap's name.
    pub bootstrap: String,
    /// The metric's key, e.g. `init_ms`.
    pub metric: String,
    /// Samples.
    pub n: usize,
    /// Median.
    pub median: f64,
    /// 90th percentile.
    pub p90: f64,
    /// Smallest sample.
    pub min: f64,
    /// Largest sample.
    pub max: f64,
    /// Median of the run-by-run ratios to the first bootstrap.
    pub ratio_to_first: Option<f64>,
}

/// Every (bootstrap, metric) pair that has samples.
pub fn summary_rows(t: &Table) -> Vec<SummaryRow> {
    let mut rows = Vec::new();
    for (b, name) in t.names.iter().enumerate() {
        for c in &t.columns {
            if let Some(s) = c.summary(b) {
                rows.push(SummaryRow {
                    bootstrap: name.clone(),
                    metric: c.key.to_string(),
                    n: s.n,
                    median: s.median,
                    p90: s.p90,
                    min: s.min,
                    max: s.max,
                    ratio_to_first: c.ratio(b).map(|r| r.median),
                });
            }
        }
    }
    rows
}

/// Writes `text` to `path`, creating its directory.
pub fn write_file(path: &std::path::Path, text: &str) -> crate::error::Result<()> {
    std::fs::write(path, text)
        .map_err(|e| crate::error::Error::io(format!("write {}", path.display()), e))
}

/// Writes `--json` and `--svg` when asked; the JSON is only built if it is wanted.
pub fn write_outputs(
    out: &crate::cli::Outputs,
    svg_title: &str,
    table: &Table,
    init_samples: &[Vec<f64>],
    json: impl FnOnce() -> String,
) -> crate::error::Result<()> {
    if let Some(path) = &out.json {
        write_file(path, &json())?;
        eprintln!("wrote {}", path.display());
    }
    if let Some(path) = &out.svg {
        write_file(
            path,
            &crate::svg::init_chart(svg_title, &table.names, init_samples),
        )?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

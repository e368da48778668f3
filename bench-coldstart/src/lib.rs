//! `bench-coldstart`: cold start, memory and latency of Lambda bootstraps, side by side,
//! locally on the emulator ([`local`]) and on AWS ([`aws`]).
//!
//! The binary's whole command line is [`app::main`] (which `cargo rayo bench` runs too); the
//! pieces are usable alone:
//!
//! ```
//! use rayo_bench::local::Spec;
//! // A bootstrap to measure, as `NAME=COMMAND` on the command line:
//! let spec = Spec::parse("echo=sh -c true").unwrap();
//! assert_eq!((spec.name.as_str(), spec.args.len()), ("echo", 2));
//! // Every table cell is a summary of per-run samples (NaNs have no rank and are dropped):
//! let s = rayo_bench::stats::summarize(&[0.31, f64::NAN, 0.29, 0.30]).unwrap();
//! assert_eq!((s.n, s.median, s.min, s.max), (3, 0.30, 0.29, 0.31));
//! ```
//!
//! What it deliberately does not do: build anything (peers.sh does), retry failed runs
//! (a failure stops the benchmark with the reason), or hide warm-up runs in the numbers.
#![warn(missing_docs)]

pub mod app;
pub mod aws;
pub mod cgroup;
pub mod cli;
pub mod error;
pub mod local;
pub mod machine;
pub mod output;
pub mod procfs;
pub mod report;
pub mod stats;
pub mod svg;
pub mod table;

pub use error::{Error, Result};

/// The progress bar both modes draw on stderr (hidden when stderr is not a terminal).
pub fn progress_bar(len: usize) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len as u64);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} [{elapsed}] {msg}")
    {
        bar.set_style(style);
    }
    bar
}

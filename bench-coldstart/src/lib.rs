//! `bench-coldstart`: cold start, memory and latency of Lambda bootstraps, side by side,
//! locally on the emulator ([`local`]) and on AWS ([`aws`]).
//!
//! What it deliberately does not do: build anything (peers.sh does), retry failed runs
//! (a failure stops the benchmark with the reason), or hide warm-up runs in the numbers.
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

//! Order statistics over samples, and run-by-run ratios.

/// Median, p90, min and max of one metric over the runs of one bootstrap.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// Samples.
    pub n: usize,
    /// Median.
    pub median: f64,
    /// 90th percentile.
    pub p90: f64,
    /// Smallest.
    pub min: f64,
    /// Largest.
    pub max: f64,
}

/// The `p`-th percentile (0..=100) of already sorted, finite samples, interpolating
/// linearly between the closest ranks (the common "R-7" definition, NumPy's default).
/// `None` for no samples.
pub fn percentile_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let p = p.clamp(0.0, 100.0);
    let rank = p / 100.0 * last as f64;
    let lo = rank.floor() as usize;
    let hi = rank.ceil() as usize;
    let frac = rank - lo as f64;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * frac)
}

/// Sorts a copy, dropping NaNs (a NaN has no rank).
pub fn sorted(samples: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = samples.iter().copied().filter(|x| !x.is_nan()).collect();
    v.sort_by(f64::total_cmp);
    v
}

/// The `p`-th percentile (0 to 100, linear interpolation); `None` when empty.
pub fn percentile(samples: &[f64], p: f64) -> Option<f64> {
    percentile_sorted(&sorted(samples), p)
}

/// Count, median, p90, min and max; `None` when empty.
pub fn summarize(samples: &[f64]) -> Option<Summary> {
    let s = sorted(samples);
    Some(Summary {
        n: s.len(),
        median: percentile_sorted(&s, 50.0)?,
        p90: percentile_sorted(&s, 90.0)?,
        min: *s.first()?,
        max: *s.last()?,
    })
}

/// Ratio of `other` to `base` for every run where both have a value and the base is not
/// zero. Computed run by run so slow drift of the machine cancels out.
pub fn run_ratios(base: &[Option<f64>], other: &[Option<f64>]) -> Vec<f64> {
    base.iter()
        .zip(other)
        .filter_map(|(b, o)| match (b, o) {
            (Some(b), Some(o)) if *b != 0.0 => Some(o / b),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_interpolates_between_ranks() {
        let s = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile_sorted(&s, 0.0), Some(1.0));
        assert_eq!(percentile_sorted(&s, 100.0), Some(4.0));
        assert_eq!(percentile_sorted(&s, 50.0), Some(2.5));
        // rank 0.9 * 3 = 2.7 -> 3 + 0.7
        let p90 = percentile_sorted(&s, 90.0).unwrap();
        assert!((p90 - 3.7).abs() < 1e-12, "{p90}");
        assert_eq!(percentile_sorted(&[], 50.0), None);
        assert_eq!(percentile_sorted(&[7.0], 99.0), Some(7.0));
    }

    #[test]
    fn summary_of_unsorted_samples_with_nan() {
        let s = summarize(&[5.0, f64::NAN, 1.0, 3.0]).unwrap();
        assert_eq!(s.n, 3);
        assert_eq!(s.median, 3.0);
        assert_eq!(s.min, 1.0);
        assert_eq!(s.max, 5.0);
        assert!((s.p90 - 4.6).abs() < 1e-12);
        assert!(summarize(&[]).is_none());
        assert!(summarize(&[f64::NAN]).is_none());
    }

    #[test]
    fn ratios_pair_runs_and_skip_gaps() {
        let base = [Some(2.0), Some(4.0), None, Some(0.0), Some(1.0)];
        let other = [Some(1.0), Some(8.0), Some(3.0), Some(1.0), None];
        assert_eq!(run_ratios(&base, &other), vec![0.5, 2.0]);
    }
}

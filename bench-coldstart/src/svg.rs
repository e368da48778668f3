//! A hand-written SVG strip chart of init distributions (no font or plotting crates:
//! text uses the viewer's sans-serif).
use crate::stats;
use std::fmt::Write;

const W: f64 = 820.0;
const LEFT: f64 = 170.0;
const RIGHT: f64 = 30.0;
const TOP: f64 = 46.0;
const ROW: f64 = 44.0;
const BOTTOM: f64 = 48.0;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Maps a value to an x pixel; logarithmic when the data span more than a decade.
struct Axis {
    lo: f64,
    hi: f64,
    log: bool,
}

impl Axis {
    fn new(all: &[f64]) -> Axis {
        let pos: Vec<f64> = all
            .iter()
            .copied()
            .filter(|x| *x > 0.0 && x.is_finite())
            .collect();
        let lo = pos.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = pos.iter().copied().fold(0.0, f64::max);
        if pos.is_empty() {
            return Axis {
                lo: 0.0,
                hi: 1.0,
                log: false,
            };
        }
        if hi / lo > 10.0 {
            // Whole decades, so ticks fall on 0.1, 1, 10, 100 ...
            Axis {
                lo: 10f64.powf(lo.log10().floor()),
                hi: 10f64.powf(hi.log10().ceil()),
                log: true,
            }
        } else {
            let pad = ((hi - lo) * 0.1).max(hi * 0.02);
            Axis {
                lo: (lo - pad).max(0.0),
                hi: hi + pad,
                log: false,
            }
        }
    }

    fn x(&self, v: f64) -> f64 {
        let f = if self.log {
            (v.max(self.lo).log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        };
        LEFT + f.clamp(0.0, 1.0) * (W - LEFT - RIGHT)
    }

    fn ticks(&self) -> Vec<f64> {
        if self.log {
            let (a, b) = (
                self.lo.log10().round() as i32,
                self.hi.log10().round() as i32,
            );
            return (a..=b).map(|e| 10f64.powi(e)).collect();
        }
        let step = nice_step((self.hi - self.lo) / 5.0);
        let mut t = (self.lo / step).ceil() * step;
        let mut out = Vec::new();
        while t <= self.hi + step * 1e-9 && out.len() < 20 {
            out.push(t);
            t += step;
        }
        out
    }
}

fn nice_step(raw: f64) -> f64 {
    if raw <= 0.0 || !raw.is_finite() {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    mag * if f < 1.5 {
        1.0
    } else if f < 3.5 {
        2.0
    } else if f < 7.5 {
        5.0
    } else {
        10.0
    }
}

fn tick_label(v: f64) -> String {
    if v >= 1.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// One row per bootstrap: every run's init as a dot, min–max whisker, p90 tick and a bold
/// median bar with its value.
pub fn init_chart(title: &str, names: &[String], samples: &[Vec<f64>]) -> String {
    let all: Vec<f64> = samples.iter().flatten().copied().collect();
    let axis = Axis::new(&all);
    let h = TOP + ROW * names.len() as f64 + BOTTOM;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{h}" viewBox="0 0 {W} {h}" font-family="sans-serif" font-size="13">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="24" font-size="15" font-weight="bold">{}</text>"#,
        LEFT,
        esc(title)
    );
    let base = TOP + ROW * names.len() as f64;
    for t in axis.ticks() {
        let x = axis.x(t);
        let _ = writeln!(
            s,
            r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{base}" stroke="#ddd"/>"##
        );
        let _ = writeln!(
            s,
            r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            base + 18.0,
            tick_label(t)
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">init: spawn to first GET /next (ms{})</text>"#,
        (LEFT + W - RIGHT) / 2.0,
        base + 38.0,
        if axis.log { ", log scale" } else { "" }
    );
    for (i, name) in names.iter().enumerate() {
        let y = TOP + ROW * i as f64 + ROW / 2.0;
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            LEFT - 10.0,
            y + 4.0,
            esc(name)
        );
        let v = samples.get(i).map_or(&[][..], |v| &v[..]);
        let Some(sum) = stats::summarize(v) else {
            continue;
        };
        let (x0, x1) = (axis.x(sum.min), axis.x(sum.max));
        let _ = writeln!(
            s,
            r##"<line x1="{x0:.1}" y1="{y:.1}" x2="{x1:.1}" y2="{y:.1}" stroke="#888"/>"##
        );
        for (j, val) in v.iter().enumerate() {
            // Deterministic jitter so equal values stay visible.
            let dy = ((j * 7) % 11) as f64 - 5.0;
            let _ = writeln!(
                s,
                r##"<circle cx="{:.1}" cy="{:.1}" r="2.5" fill="#1f77b4" fill-opacity="0.5"/>"##,
                axis.x(*val),
                y + dy
            );
        }
        let xp = axis.x(sum.p90);
        let _ = writeln!(
            s,
            r##"<line x1="{xp:.1}" y1="{:.1}" x2="{xp:.1}" y2="{:.1}" stroke="#d62728" stroke-width="2"/>"##,
            y - 8.0,
            y + 8.0
        );
        let xm = axis.x(sum.median);
        let _ = writeln!(
            s,
            r##"<line x1="{xm:.1}" y1="{:.1}" x2="{xm:.1}" y2="{:.1}" stroke="black" stroke-width="3"/>"##,
            y - 12.0,
            y + 12.0
        );
        let _ = writeln!(
            s,
            r#"<text x="{xm:.1}" y="{:.1}" text-anchor="middle" font-size="11">{}</text>"#,
            y - 14.0,
            crate::table::Unit::Ms.format(sum.median)
        );
    }
    let _ = writeln!(
        s,
        r##"<text x="{}" y="{:.1}" font-size="11" fill="#555">dots: runs; black: median; red: p90; grey: min–max</text>"##,
        10,
        h - 6.0
    );
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_is_well_formed_and_scaled() {
        let names = vec!["rayo".to_string(), "py<thon>".to_string()];
        let svg = init_chart(
            "init",
            &names,
            &[vec![0.8, 0.9, 1.0], vec![50.0, 55.0, 182.0]],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert_eq!(svg.matches("<circle").count(), 6);
        assert!(svg.contains("py&lt;thon&gt;"));
        assert!(
            svg.contains("log scale"),
            "0.8..182 spans more than a decade"
        );
        // Decade ticks 0.1 .. 1000.
        for t in [">0.1<", ">1<", ">10<", ">100<", ">1000<"] {
            assert!(svg.contains(t), "missing tick {t}");
        }
    }

    #[test]
    fn linear_axis_and_empty_rows() {
        let names = vec!["a".to_string(), "b".to_string()];
        let svg = init_chart("t", &names, &[vec![1.0, 1.2], vec![]]);
        assert!(!svg.contains("log scale"));
        assert_eq!(svg.matches("<circle").count(), 2);
        let a = Axis::new(&[1.0, 1.2]);
        assert!(a.x(1.0) < a.x(1.2));
        assert!(a.x(1.0) >= LEFT && a.x(1.2) <= W - RIGHT);
        assert_eq!(nice_step(0.23), 0.2);
    }
}

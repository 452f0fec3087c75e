//! Hand-written SVG: the plots and drawings of the report. Shared here: the plot frame, the time
//! scale and its axis, tick placement, and the shading of fault windows. Colours come from the
//! page's CSS classes (`ok`, `fail`, `info`, `fault`...), so the SVG stays small.

pub mod counterexample;
pub mod cycle;
pub mod latency;
pub mod throughput;
pub mod timeline;

use std::fmt::Write;

use super::faults::Faults;
use super::markup::{clip, escape};

/// Plot area inside an SVG of `width` × `height` user units.
#[derive(Clone, Copy, Debug)]
pub struct Frame {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
}

impl Frame {
    /// The frame of the time plots: room for the y labels, fault labels above, the time axis
    /// below.
    pub fn plot(height: f64) -> Frame {
        Frame {
            width: 1000.0,
            height,
            left: 64.0,
            right: 16.0,
            top: 28.0,
            bottom: 30.0,
        }
    }

    pub fn x0(&self) -> f64 {
        self.left
    }
    pub fn x1(&self) -> f64 {
        self.width - self.right
    }
    pub fn y0(&self) -> f64 {
        self.top
    }
    pub fn y1(&self) -> f64 {
        self.height - self.bottom
    }

    /// The opening `<svg>` tag with an id, a class and an accessible title.
    pub fn open(&self, out: &mut String, id: &str, class: &str, title: &str) {
        let _ = write!(
            out,
            "<svg id=\"{id}\" class=\"{class}\" viewBox=\"0 0 {} {}\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\"><title>{}</title>",
            self.width,
            self.height,
            escape(title)
        );
    }
}

/// How times on the report clock read: nanoseconds since the run started, or event indices when
/// the history has no times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    Nanos,
    Events,
}

impl Clock {
    pub fn unit(self) -> &'static str {
        match self {
            Clock::Nanos => "s",
            Clock::Events => "event",
        }
    }

    /// A time as axis value: seconds, or the event index.
    pub fn value(self, t: u64) -> f64 {
        match self {
            Clock::Nanos => t as f64 / 1e9,
            Clock::Events => t as f64,
        }
    }
}

/// Maps report-clock times in `[t0, t1]` to x coordinates in `[x0, x1]`.
#[derive(Clone, Copy, Debug)]
pub struct TimeScale {
    pub t0: u64,
    pub t1: u64,
    pub x0: f64,
    pub x1: f64,
}

impl TimeScale {
    pub fn new(t0: u64, t1: u64, frame: &Frame) -> TimeScale {
        TimeScale {
            t0,
            t1: t1.max(t0 + 1),
            x0: frame.x0(),
            x1: frame.x1(),
        }
    }

    pub fn x(&self, t: u64) -> f64 {
        let f = (t.saturating_sub(self.t0)) as f64 / (self.t1 - self.t0) as f64;
        self.x0 + f.min(1.0) * (self.x1 - self.x0)
    }
}

/// A coordinate with one decimal, without a trailing `.0` (the bulk of an SVG's bytes).
pub fn n(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

/// Round tick values (1, 2 or 5 × 10^k apart) covering `[lo, hi]`, about `count` of them.
pub fn ticks(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater)
        || !lo.is_finite()
        || !hi.is_finite()
    {
        return vec![lo];
    }
    let raw = (hi - lo) / count.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    // Tolerate rounding in `raw` (0.6 / 3 is not quite 0.2).
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * mag);
    // Multiples of the step, rounded so labels do not show float noise.
    let first = (lo / step - 1e-9).ceil() as i64;
    let mut out = Vec::new();
    for k in first.. {
        // k × step counted in units of `mag`, scaled by an exact power of ten.
        let units = (k * (step / mag).round() as i64) as f64;
        let t = if mag < 1.0 {
            units / (1.0 / mag).round()
        } else {
            units * mag
        };
        if t > hi + step * 1e-9 || out.len() >= 50 {
            break;
        }
        out.push(t);
    }
    out
}

/// A tick label: as few decimals as the step needs.
pub fn tick_label(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else if (v * 10.0).fract().abs() < 1e-6 {
        format!("{v:.1}")
    } else if (v * 100.0).fract().abs() < 1e-6 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// The time axis under the plot: ticks, labels, and the unit.
pub fn time_axis(out: &mut String, frame: &Frame, scale: &TimeScale, clock: Clock) {
    let (lo, hi) = (clock.value(scale.t0), clock.value(scale.t1));
    let y = frame.y1();
    let _ = write!(
        out,
        "<g class=\"axis\"><line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>",
        n(frame.x0()),
        n(y),
        n(frame.x1()),
        n(y)
    );
    for t in ticks(lo, hi, 10) {
        let x = frame.x0() + (t - lo) / (hi - lo).max(1e-12) * (frame.x1() - frame.x0());
        let _ = write!(
            out,
            "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/><text x=\"{0}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>",
            n(x),
            n(y),
            n(y + 4.0),
            n(y + 16.0),
            tick_label(t)
        );
    }
    let _ = write!(
        out,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text></g>",
        n(frame.x1()),
        n(y + 28.0),
        match clock {
            Clock::Nanos => "time since the run started (s)",
            Clock::Events => "event index (the history has no times)",
        }
    );
}

/// Shades each fault window across the plot and labels it above; marks instants with a dashed
/// line. Labels alternate between two rows so neighbours do not overprint.
pub fn fault_shading(out: &mut String, frame: &Frame, scale: &TimeScale, faults: &Faults) {
    out.push_str("<g class=\"faults\">");
    for (i, w) in faults.windows.iter().enumerate() {
        let (x0, x1) = (scale.x(w.start), scale.x(w.end));
        let _ = write!(
            out,
            "<rect class=\"fault fault-{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>{}{} from {} to {}</title></rect>",
            escape(&w.kind),
            n(x0),
            n(frame.y0()),
            n((x1 - x0).max(1.0)),
            n(frame.y1() - frame.y0()),
            escape(&w.label),
            if w.unhealed { " (not healed in the history)" } else { "" },
            w.start,
            w.end
        );
        let row = if i % 2 == 0 { 10.0 } else { 22.0 };
        let _ = write!(
            out,
            "<text class=\"fault-label\" x=\"{}\" y=\"{}\">{}</text>",
            n(x0 + 1.0),
            n(frame.y0() - 28.0 + row),
            escape(&clip(&w.label, 36))
        );
    }
    for m in &faults.instants {
        let x = scale.x(m.time);
        let _ = write!(
            out,
            "<line class=\"instant\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"><title>{3}</title></line><text class=\"fault-label\" x=\"{4}\" y=\"{5}\">{6}</text>",
            n(x),
            n(frame.y0()),
            n(frame.y1()),
            escape(&m.label),
            n(x + 2.0),
            n(frame.y0() + 10.0),
            escape(&clip(&m.label, 24))
        );
    }
    out.push_str("</g>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(ticks(0.0, 10.0, 5), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(ticks(0.3, 0.9, 3), vec![0.4, 0.6, 0.8]);
        assert_eq!(ticks(1.2, 11.45, 10), vec![2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(tick_label(0.6), "0.6");
        assert_eq!(n(12.04), "12");
        assert_eq!(n(12.06), "12.1");
    }
}

//! A linearizability counterexample drawn as Knossos does: the last operations of the longest
//! linearizable prefix, the operation that cannot be placed, and the operations concurrent with
//! it, as bars from invocation to completion, one lane per process.

use std::fmt::Write;

use super::{n, time_axis, Clock, Frame, TimeScale};
use crate::report::markup::{clip, escape};

/// The part an operation plays in the counterexample.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// In the linearizable prefix.
    Prefix,
    /// The operation no linearization gets past.
    Blocked,
    /// Concurrent with the blocked one, not in the prefix.
    Concurrent,
}

impl Role {
    fn class(self) -> &'static str {
        match self {
            Role::Prefix => "prefix",
            Role::Blocked => "blocked",
            Role::Concurrent => "concurrent",
        }
    }
}

/// One operation to draw.
#[derive(Clone, Debug)]
pub struct Bar {
    pub process: String,
    pub start: u64,
    /// `None`: never completed (or `info`): drawn to the right edge.
    pub end: Option<u64>,
    /// e.g. `read 41`, `write 103`.
    pub label: String,
    pub tooltip: String,
    pub role: Role,
}

const ROW: f64 = 26.0;

/// The counterexample as an `<svg class="counterexample">`.
pub fn render(bars: &[Bar], title: &str, clock: Clock) -> String {
    let mut processes: Vec<&str> = bars.iter().map(|b| b.process.as_str()).collect();
    processes.sort_by_key(|p| (p.parse::<u64>().unwrap_or(u64::MAX), p.to_string()));
    processes.dedup();
    let t0 = bars.iter().map(|b| b.start).min().unwrap_or(0);
    let last = bars
        .iter()
        .map(|b| b.end.unwrap_or(b.start))
        .max()
        .unwrap_or(t0);
    // Room after the last completion for bars that never end.
    let t1 = last + ((last - t0) / 8).max(1);
    let mut frame = Frame::plot(0.0);
    frame.top = 10.0;
    frame.bottom = 34.0;
    frame.height = frame.top + frame.bottom + processes.len().max(1) as f64 * ROW;
    let scale = TimeScale::new(t0, t1, &frame);
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg class=\"counterexample\" viewBox=\"0 0 {} {}\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\"><title>{}</title><g class=\"axis\">",
        frame.width,
        n(frame.height),
        escape(title)
    );
    for (i, p) in processes.iter().enumerate() {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">process {}</text>",
            n(frame.x0() - 4.0),
            n(frame.y0() + i as f64 * ROW + 16.0),
            escape(p)
        );
    }
    out.push_str("</g>");
    time_axis(&mut out, &frame, &scale, clock);
    for b in bars {
        let lane = processes.iter().position(|p| *p == b.process).unwrap_or(0);
        let x0 = scale.x(b.start);
        let x1 = scale.x(b.end.unwrap_or(t1));
        let y = frame.y0() + lane as f64 * ROW + 3.0;
        let _ = write!(
            out,
            "<g class=\"bar {}{}\"><title>{}</title><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"20\" rx=\"3\"/><text x=\"{}\" y=\"{}\">{}</text></g>",
            b.role.class(),
            if b.end.is_none() { " open" } else { "" },
            escape(&b.tooltip),
            n(x0),
            n(y),
            n((x1 - x0).max(2.0)),
            n(x0 + 3.0),
            n(y + 14.0),
            escape(&clip(&b.label, 40))
        );
    }
    out.push_str("</svg>");
    out
}

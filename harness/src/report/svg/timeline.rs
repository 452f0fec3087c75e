//! A timeline of operations per process over a window of the history: each operation a bar from
//! invocation to completion, coloured by outcome, with its details on hover. Processes that never
//! overlap in time share a lane (after an `info` a client continues under a fresh process id, so
//! lanes stay close to the number of clients). A window holds at most [`MAX_OPS`] operations: a
//! page shows a few windows, never the whole of a large history.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;

use super::{fault_shading, n, time_axis, Clock, Frame, TimeScale};
use crate::report::digest::{Outcome, Span};
use crate::report::faults::Faults;
use crate::report::markup::{duration, escape};

/// Operations per window.
pub const MAX_OPS: usize = 800;
/// Lanes drawn per window; operations of further lanes are left out (and counted).
pub const MAX_LANES: usize = 64;

const ROW: f64 = 16.0;

/// Assigns each process a lane: the lowest whose previous process ended before it began.
fn lanes(spans: &[Span]) -> BTreeMap<u64, usize> {
    let mut life: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
    for s in spans {
        let e = life.entry(s.process).or_insert((s.start, s.end));
        e.0 = e.0.min(s.start);
        e.1 = e.1.max(s.end);
    }
    let mut order: Vec<(u64, (u64, u64))> = life.into_iter().collect();
    order.sort_by_key(|(p, (start, _))| (*start, *p));
    let mut lane_end: Vec<u64> = Vec::new();
    let mut out = BTreeMap::new();
    for (p, (start, end)) in order {
        let lane = match lane_end.iter().position(|&e| e < start) {
            Some(l) => l,
            None => {
                lane_end.push(0);
                lane_end.len() - 1
            }
        };
        lane_end[lane] = end;
        out.insert(p, lane);
    }
    out
}

/// The window's operations (a slice of the digest's spans, in invocation order) as an SVG.
/// `highlight`: event indices of operations an anomaly involves (outlined).
pub fn render(
    id: &str,
    spans: &[Span],
    fs: &[String],
    highlight: &HashSet<u64>,
    clock: Clock,
    faults: &Faults,
) -> String {
    let spans = &spans[..spans.len().min(MAX_OPS)];
    let t0 = spans.iter().map(|s| s.start).min().unwrap_or(0);
    // Open operations would stretch the window to the end of the history: clip them.
    let t1 = spans
        .iter()
        .map(|s| {
            if s.outcome == Outcome::Open {
                s.start
            } else {
                s.end
            }
        })
        .max()
        .unwrap_or(t0 + 1)
        .max(t0 + 1);
    let lane_of = lanes(spans);
    let lane_count = lane_of.values().max().map_or(0, |m| m + 1).min(MAX_LANES);
    let mut frame = Frame::plot(0.0);
    frame.height = frame.top + frame.bottom + lane_count.max(1) as f64 * ROW;
    let scale = TimeScale::new(t0, t1, &frame);
    let mut out = String::with_capacity(spans.len() * 120);
    frame.open(
        &mut out,
        id,
        "timeline",
        &format!("Operations per process, {} operations", spans.len()),
    );
    // Fault windows clipped to this window.
    let local = Faults {
        windows: faults
            .windows
            .iter()
            .filter(|w| w.end >= t0 && w.start <= t1)
            .map(|w| {
                let mut w = w.clone();
                w.start = w.start.max(t0);
                w.end = w.end.min(t1);
                w
            })
            .collect(),
        instants: faults
            .instants
            .iter()
            .filter(|i| (t0..=t1).contains(&i.time))
            .cloned()
            .collect(),
    };
    fault_shading(&mut out, &frame, &scale, &local);
    // Lane labels: the processes that ran in each lane.
    let mut names: Vec<Vec<u64>> = vec![Vec::new(); lane_count];
    for (p, &l) in &lane_of {
        if l < lane_count {
            names[l].push(*p);
        }
    }
    out.push_str("<g class=\"axis\">");
    for (l, ps) in names.iter().enumerate() {
        // Two ids fit the margin; the hover text of each bar names its process.
        let text: Vec<String> = ps.iter().take(2).map(|p| p.to_string()).collect();
        let more = if ps.len() > 2 { ",…" } else { "" };
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">p{}{more}</text>",
            n(frame.x0() - 4.0),
            n(frame.y0() + l as f64 * ROW + 12.0),
            text.join(",")
        );
    }
    out.push_str("</g>");
    time_axis(&mut out, &frame, &scale, clock);
    let mut dropped = 0;
    for s in spans {
        let lane = lane_of[&s.process];
        if lane >= lane_count {
            dropped += 1;
            continue;
        }
        let end = if s.outcome == Outcome::Open {
            t1
        } else {
            s.end
        };
        let (x0, x1) = (scale.x(s.start), scale.x(end));
        let hl = highlight.contains(&s.invoke_index) || highlight.contains(&s.complete_index);
        let f = fs.get(s.f as usize).map_or("?", String::as_str);
        let events = if s.complete_index == u64::MAX {
            format!("event {}, never completed", s.invoke_index)
        } else {
            format!("events {}–{}", s.invoke_index, s.complete_index)
        };
        let took = match clock {
            Clock::Nanos if s.outcome != Outcome::Open => duration(s.latency() as f64),
            _ => String::new(),
        };
        let _ = write!(
            out,
            "<rect class=\"op {}{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"12\"><title>process {} {} ({events}): {} {took}</title></rect>",
            s.outcome.name(),
            if hl { " hl" } else { "" },
            n(x0),
            n(frame.y0() + lane as f64 * ROW + 2.0),
            n((x1 - x0).max(1.5)),
            s.process,
            escape(f),
            s.outcome.name(),
        );
    }
    if dropped > 0 {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{dropped} operations in lanes beyond {MAX_LANES} not drawn</text>",
            n(frame.x1()),
            n(frame.height - 2.0)
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn processes_that_never_overlap_share_a_lane() {
        let span = |p, start, end| Span {
            invoke_index: start,
            complete_index: end,
            process: p,
            start,
            end,
            outcome: Outcome::Ok,
            f: 0,
        };
        // Process 0 ends at 10 and continues as process 2; process 1 runs throughout.
        let l = lanes(&[span(0, 0, 10), span(1, 1, 30), span(2, 11, 20)]);
        assert_eq!(l[&0], l[&2]);
        assert_ne!(l[&0], l[&1]);
    }
}

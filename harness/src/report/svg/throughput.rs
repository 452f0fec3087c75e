//! Throughput over time: completions per second in each bucket, stacked by outcome (ok at the
//! bottom, then fail, then info), as one `<path>` of bars per outcome.

use std::fmt::Write;

use super::{fault_shading, n, tick_label, ticks, time_axis, Clock, Frame, TimeScale};
use crate::report::faults::Faults;
use crate::report::sample::Throughput;

/// The throughput plot as an `<svg id="throughput-plot">`.
pub fn render(t: &Throughput, t1: u64, clock: Clock, faults: &Faults) -> String {
    let frame = Frame::plot(240.0);
    let scale = TimeScale::new(t.t0, t1, &frame);
    // Rate per second (or per event for untimed histories: then a count per bucket).
    let per = match clock {
        Clock::Nanos => 1e9 / t.width as f64,
        Clock::Events => 1.0,
    };
    let max = t
        .buckets
        .iter()
        .map(|b| (b[0] + b[1] + b[2]) as f64 * per)
        .fold(0.0, f64::max)
        .max(1.0);
    let top = ticks(0.0, max, 5).last().copied().unwrap_or(max).max(max);
    let y = |v: f64| frame.y1() - v / top * (frame.y1() - frame.y0());
    let mut out = String::new();
    frame.open(
        &mut out,
        "throughput-plot",
        "plot",
        &format!(
            "Completed operations per {} over time, in buckets of {}",
            if clock == Clock::Nanos {
                "second"
            } else {
                "bucket"
            },
            match clock {
                Clock::Nanos => crate::report::markup::duration(t.width as f64),
                Clock::Events => format!("{} events", t.width),
            }
        ),
    );
    fault_shading(&mut out, &frame, &scale, faults);
    out.push_str("<g class=\"axis\">");
    for v in ticks(0.0, top, 5) {
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{x0}\" y1=\"{y}\" x2=\"{x1}\" y2=\"{y}\"/><text x=\"{lx}\" y=\"{ly}\" text-anchor=\"end\">{label}</text>",
            x0 = n(frame.x0()),
            y = n(y(v)),
            x1 = n(frame.x1()),
            lx = n(frame.x0() - 4.0),
            ly = n(y(v) + 4.0),
            label = tick_label(v)
        );
    }
    let _ = write!(
        out,
        "<text x=\"12\" y=\"{}\" transform=\"rotate(-90 12 {0})\" text-anchor=\"middle\">{}</text></g>",
        n((frame.y0() + frame.y1()) / 2.0),
        if clock == Clock::Nanos { "completions / s" } else { "completions / bucket" }
    );
    time_axis(&mut out, &frame, &scale, clock);
    let mut below = vec![0.0f64; t.buckets.len()];
    for (slot, class) in ["ok", "fail", "info"].iter().enumerate() {
        let mut d = String::new();
        for (i, b) in t.buckets.iter().enumerate() {
            let v = b[slot] as f64 * per;
            if v == 0.0 {
                continue;
            }
            let start = t.t0 + i as u64 * t.width;
            let (x0, x1) = (scale.x(start), scale.x(start + t.width));
            let (ya, yb) = (y(below[i]), y(below[i] + v));
            let _ = write!(
                d,
                "M{} {}h{}V{}H{}z",
                n(x0),
                n(ya),
                n((x1 - x0).max(0.5)),
                n(yb),
                n(x0)
            );
            below[i] += v;
        }
        if !d.is_empty() {
            let _ = write!(out, "<path class=\"bars {class}\" d=\"{d}\"/>");
        }
    }
    out.push_str("</svg>");
    out
}

//! Latency over time: one point per (sampled) operation at its invocation time, height its
//! latency on a log scale, coloured by outcome. Points of one outcome are a single `<path>` of
//! zero-length segments with round caps: ~14 bytes a point instead of ~40 for a `<circle>`.

use std::fmt::Write;

use super::{fault_shading, n, time_axis, Clock, Frame, TimeScale};
use crate::report::digest::Outcome;
use crate::report::faults::Faults;
use crate::report::sample::LatencySample;

/// The latency plot as an `<svg id="latency-plot">`.
pub fn render(sample: &LatencySample, t0: u64, t1: u64, clock: Clock, faults: &Faults) -> String {
    let frame = Frame::plot(300.0);
    let scale = TimeScale::new(t0, t1, &frame);
    let mut out = String::with_capacity(64 + sample.points.len() * 16);
    frame.open(
        &mut out,
        "latency-plot",
        "plot",
        &format!(
            "Latency of each operation over time ({} of {} operations drawn)",
            sample.points.len(),
            sample.total
        ),
    );
    fault_shading(&mut out, &frame, &scale, faults);
    // Log scale over the latencies present (at least one decade).
    let (unit, per): (&str, f64) = match clock {
        Clock::Nanos => ("ms", 1e6),
        Clock::Events => ("events", 1.0),
    };
    let values = sample
        .points
        .iter()
        .map(|p| (p.latency as f64 / per).max(if clock == Clock::Nanos { 1e-3 } else { 1.0 }));
    let (lo, hi) = values.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (lo, hi) = if lo > hi { (1.0, 10.0) } else { (lo, hi) };
    let (dlo, dhi) = (
        lo.log10().floor(),
        hi.log10().ceil().max(lo.log10().floor() + 1.0),
    );
    let y = |v: f64| {
        let f = (v.log10() - dlo) / (dhi - dlo);
        frame.y1() - f * (frame.y1() - frame.y0())
    };
    out.push_str("<g class=\"axis\">");
    let mut d = dlo;
    while d <= dhi {
        let v = 10f64.powf(d);
        let yy = y(v);
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{x0}\" y1=\"{y}\" x2=\"{x1}\" y2=\"{y}\"/><text x=\"{lx}\" y=\"{ly}\" text-anchor=\"end\">{label}</text>",
            x0 = n(frame.x0()),
            y = n(yy),
            x1 = n(frame.x1()),
            lx = n(frame.x0() - 4.0),
            ly = n(yy + 4.0),
            label = super::tick_label(v)
        );
        d += 1.0;
    }
    let _ = write!(
        out,
        "<text x=\"12\" y=\"{}\" transform=\"rotate(-90 12 {0})\" text-anchor=\"middle\">latency ({unit}, log)</text></g>",
        n((frame.y0() + frame.y1()) / 2.0)
    );
    time_axis(&mut out, &frame, &scale, clock);
    // ok first, so the rarer outcomes are drawn on top.
    for outcome in [Outcome::Ok, Outcome::Fail, Outcome::Info] {
        let mut d = String::new();
        for p in sample.points.iter().filter(|p| p.outcome == outcome) {
            let v = (p.latency as f64 / per).max(if clock == Clock::Nanos { 1e-3 } else { 1.0 });
            let _ = write!(d, "M{} {}h0", n(scale.x(p.time)), n(y(v)));
        }
        if !d.is_empty() {
            let _ = write!(out, "<path class=\"points {}\" d=\"{d}\"/>", outcome.name());
        }
    }
    out.push_str("</svg>");
    out
}

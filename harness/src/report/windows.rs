//! Which stretches of the history the timeline shows. A large history cannot be drawn whole, so
//! the page shows a few windows of at most [`MAX_OPS`] operations each: around the first
//! anomalies (the operations they involve), around the first fault, and the start of the run.

use std::ops::Range;

use super::digest::Span;
use super::faults::Faults;
use super::svg::timeline::MAX_OPS;

/// A stretch of the digest's spans (positions in invocation order).
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    pub title: String,
    pub range: Range<usize>,
}

/// Anomalies that get a window of their own, at most.
pub const ANOMALY_WINDOWS: usize = 3;

/// The position of the first span invoked at or after event `index`.
fn position(spans: &[Span], index: u64) -> usize {
    spans.partition_point(|s| s.invoke_index < index)
}

/// A window of at most `MAX_OPS` around positions `lo..=hi`.
fn around(spans: &[Span], lo: usize, hi: usize) -> Range<usize> {
    let len = spans.len();
    let wide = hi.saturating_sub(lo) + 1;
    if wide >= MAX_OPS {
        let start = lo.saturating_sub(20);
        return start..(start + MAX_OPS).min(len);
    }
    let pad = (MAX_OPS - wide) / 2;
    let start = lo.saturating_sub(pad);
    let end = (start + MAX_OPS).min(len);
    end.saturating_sub(MAX_OPS).min(start)..end
}

/// Chooses the windows. `anomalies`: each anomaly's name and event indices, in report order.
pub fn choose(spans: &[Span], anomalies: &[(String, Vec<u64>)], faults: &Faults) -> Vec<Window> {
    let mut windows: Vec<Window> = Vec::new();
    if spans.is_empty() {
        return windows;
    }
    let mut push = |title: String, range: Range<usize>| {
        // Skip a window mostly covered by one already chosen.
        let covered = windows.iter().any(|w| {
            let overlap = range
                .end
                .min(w.range.end)
                .saturating_sub(range.start.max(w.range.start));
            overlap * 2 > range.len()
        });
        if !covered && !range.is_empty() {
            windows.push(Window { title, range });
        }
    };
    for (name, ops) in anomalies
        .iter()
        .filter(|(_, ops)| !ops.is_empty())
        .take(ANOMALY_WINDOWS)
    {
        let lo = position(spans, *ops.iter().min().expect("not empty"));
        let hi = position(spans, *ops.iter().max().expect("not empty"));
        let hi = hi.min(spans.len() - 1).max(lo.min(spans.len() - 1));
        push(format!("around the {name} anomaly"), around(spans, lo, hi));
    }
    if let Some(w) = faults.windows.first() {
        let at = spans.partition_point(|s| s.start < w.start);
        let start = at.saturating_sub(MAX_OPS / 4);
        push(
            format!("around the first fault ({})", w.kind),
            start..(start + MAX_OPS).min(spans.len()),
        );
    }
    push(
        "the start of the history".into(),
        0..MAX_OPS.min(spans.len()),
    );
    windows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::digest::Outcome;

    fn spans(count: u64) -> Vec<Span> {
        (0..count)
            .map(|i| Span {
                invoke_index: 2 * i,
                complete_index: 2 * i + 1,
                process: i % 5,
                start: i * 10,
                end: i * 10 + 5,
                outcome: Outcome::Ok,
                f: 0,
            })
            .collect()
    }

    #[test]
    fn windows_are_bounded_and_centred_on_anomalies() {
        let s = spans(100_000);
        let w = choose(
            &s,
            &[("G-single-item".into(), vec![100_000, 100_010])],
            &Faults::default(),
        );
        assert_eq!(w.len(), 2);
        assert!(w.iter().all(|w| w.range.len() <= MAX_OPS));
        assert!(w[0].range.contains(&50_000));
        assert_eq!(w[1].range, 0..MAX_OPS);
        // A short history: one window.
        let s = spans(50);
        let w = choose(&s, &[("x".into(), vec![3])], &Faults::default());
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].range, 0..50);
    }
}

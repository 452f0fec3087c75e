//! Downsampling, so a plot of a million operations stays a few hundred kilobytes and draws at once.
//!
//! Latency points are stratified: the time axis is cut into columns, and each column keeps at most
//! a fixed number of points per outcome, evenly spread over that column's operations, plus the
//! slowest one (so spikes never vanish). `fail` and `info` points are rare and telling, so they
//! are all kept until they alone would exceed their budget. Throughput is aggregated into buckets
//! of a round width.

use super::digest::{Outcome, Span};

/// How many columns the latency plot's time axis is cut into.
pub const COLUMNS: usize = 500;
/// Points kept per column and outcome for `ok` operations.
pub const OK_PER_COLUMN: usize = 16;
/// `fail`/`info` points kept in total before they are stratified too.
pub const RARE_BUDGET: usize = 5_000;
/// Points kept per column and outcome for `fail`/`info` when over budget.
pub const RARE_PER_COLUMN: usize = 10;

/// One point of the latency plot.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub time: u64,
    pub latency: u64,
    pub outcome: Outcome,
}

/// The kept points and how many operations they stand for.
#[derive(Debug, Default)]
pub struct LatencySample {
    pub points: Vec<Point>,
    /// Completed operations (plotted or not).
    pub total: usize,
}

fn column(time: u64, t0: u64, t1: u64) -> usize {
    let width = (t1 - t0).max(1) as f64;
    (((time.saturating_sub(t0)) as f64 / width * COLUMNS as f64) as usize).min(COLUMNS - 1)
}

fn slot(outcome: Outcome) -> usize {
    match outcome {
        Outcome::Ok => 0,
        Outcome::Fail => 1,
        Outcome::Info => 2,
        Outcome::Open => 3,
    }
}

/// Latency points for completed operations (open ones have no latency), over `[t0, t1]`.
pub fn latency(spans: &[Span], t0: u64, t1: u64) -> LatencySample {
    // Pass 1: how many per column and outcome, and the slowest of each.
    let mut counts = vec![[0usize; 3]; COLUMNS];
    let mut slowest = vec![[None::<usize>; 3]; COLUMNS];
    let mut rare = 0;
    for (i, s) in spans.iter().enumerate() {
        if s.outcome == Outcome::Open {
            continue;
        }
        let (c, o) = (column(s.start, t0, t1), slot(s.outcome));
        counts[c][o] += 1;
        if o > 0 {
            rare += 1;
        }
        let slower = slowest[c][o].is_none_or(|j| spans[j].latency() < s.latency());
        if slower {
            slowest[c][o] = Some(i);
        }
    }
    let keep_rare_all = rare <= RARE_BUDGET;
    let cap = |o: usize| {
        if o == 0 {
            OK_PER_COLUMN
        } else {
            RARE_PER_COLUMN
        }
    };
    // Pass 2: every `step`-th of each column/outcome, plus its slowest.
    let mut seen = vec![[0usize; 3]; COLUMNS];
    let mut points = Vec::new();
    let mut total = 0;
    for (i, s) in spans.iter().enumerate() {
        if s.outcome == Outcome::Open {
            continue;
        }
        total += 1;
        let (c, o) = (column(s.start, t0, t1), slot(s.outcome));
        let n = counts[c][o];
        let k = seen[c][o];
        seen[c][o] += 1;
        let keep = if o > 0 && keep_rare_all {
            true
        } else {
            let step = n.div_ceil(cap(o)).max(1);
            k % step == 0
        };
        let is_slowest = slowest[c][o] == Some(i);
        if keep || is_slowest {
            points.push(Point {
                time: s.start,
                latency: s.latency(),
                outcome: s.outcome,
            });
        }
    }
    LatencySample { points, total }
}

/// Completions per bucket of the time axis.
#[derive(Debug, Default)]
pub struct Throughput {
    /// Bucket width on the report clock (ns, or events for untimed histories).
    pub width: u64,
    pub t0: u64,
    /// Per bucket: ok, fail, info completions.
    pub buckets: Vec<[u32; 3]>,
}

/// The round bucket width (1, 2 or 5 × a power of ten) that cuts `span` into at most `max`.
pub fn round_width(span: u64, max: usize) -> u64 {
    let raw = (span / max as u64).max(1);
    let mut unit = 1u64;
    loop {
        for m in [1, 2, 5] {
            if unit * m >= raw {
                return unit * m;
            }
        }
        unit = unit.saturating_mul(10);
    }
}

/// Buckets completions by completion time over `[t0, t1]`, at most `max_buckets`.
pub fn throughput(spans: &[Span], t0: u64, t1: u64, max_buckets: usize) -> Throughput {
    let width = round_width(t1.saturating_sub(t0).max(1), max_buckets);
    let n = ((t1.saturating_sub(t0)) / width + 1) as usize;
    let mut buckets = vec![[0u32; 3]; n];
    for s in spans {
        let o = slot(s.outcome);
        if o > 2 {
            continue;
        }
        let b = ((s.end.saturating_sub(t0)) / width) as usize;
        buckets[b.min(n - 1)][o] += 1;
    }
    Throughput { width, t0, buckets }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(i: u64, start: u64, latency: u64, outcome: Outcome) -> Span {
        Span {
            invoke_index: 2 * i,
            complete_index: 2 * i + 1,
            process: i % 10,
            start,
            end: start + latency,
            outcome,
            f: 0,
        }
    }

    #[test]
    fn large_histories_are_capped_but_keep_rare_outcomes_and_spikes() {
        let mut spans: Vec<Span> = (0..200_000u64)
            .map(|i| span(i, i * 1000, 100 + i % 7, Outcome::Ok))
            .collect();
        spans[123_456].end = spans[123_456].start + 9_999_999; // a spike
        for i in (0..200_000).step_by(1000) {
            spans[i].outcome = Outcome::Info;
        }
        let s = latency(&spans, 0, 200_000_000);
        assert_eq!(s.total, 200_000);
        assert!(
            s.points.len() <= COLUMNS * (OK_PER_COLUMN + 1) + 200,
            "{}",
            s.points.len()
        );
        let info = s
            .points
            .iter()
            .filter(|p| p.outcome == Outcome::Info)
            .count();
        assert_eq!(info, 200, "every info op is kept while under budget");
        assert!(
            s.points.iter().any(|p| p.latency == 9_999_999),
            "the spike is kept"
        );
    }

    #[test]
    fn throughput_buckets_count_every_completion() {
        let spans: Vec<Span> = (0..1000u64)
            .map(|i| {
                span(
                    i,
                    i * 10,
                    5,
                    if i % 10 == 0 {
                        Outcome::Fail
                    } else {
                        Outcome::Ok
                    },
                )
            })
            .collect();
        let t = throughput(&spans, 0, 10_000, 100);
        assert_eq!(t.width, 100);
        let sum: u32 = t.buckets.iter().map(|b| b[0] + b[1] + b[2]).sum();
        assert_eq!(sum, 1000);
        assert_eq!(t.buckets.iter().map(|b| b[1]).sum::<u32>(), 100);
        assert_eq!(round_width(7_000_000_000, 200), 50_000_000);
    }
}

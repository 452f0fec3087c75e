//! Data-safety checkers (DESIGN.md section 4, "Lost update / set / counter / bank / convergence"):
//! checks that need no search, only a sweep over the history in order. Each answers one question
//! about what the store kept of what clients were told it had done.
//!
//! - [`set_full`]: per element of a grow-only set, lost / stale / never read (Jepsen's `set-full`).
//! - [`set_final`]: the last read of a set holds every acknowledged add (Jepsen's `set`).
//! - [`counter`]: every read lies within the bounds the adds allow (Jepsen's `counter`).
//! - [`bank`]: every read of all balances sums to the total, no negative balance (Jepsen's `bank`).
//! - [`lost_update`]: acknowledged register writes that final reads show were overwritten by
//!   nothing that came after them.
//! - [`convergence`]: after heal and quiescence every node answers the same state.
//! - [`staleness`]: for each register read, how many versions and milliseconds it lags.
//! - [`long_fork`]: two reads that saw concurrent inserts in opposite orders (Jepsen's
//!   `long-fork`).
//!
//! Shared plumbing: [`ops`] flattens invocation/completion pairs and splits them per key,
//! [`register`] indexes register writes by value, [`distribution`] summarises latencies,
//! [`final_reads`] finds the final-read phase.

pub mod bank;
pub mod convergence;
pub mod counter;
pub mod detail;
pub mod distribution;
pub mod final_reads;
pub mod long_fork;
pub mod lost_update;
pub mod ops;
pub mod register;
pub mod set_final;
pub mod set_full;
pub mod staleness;
#[cfg(test)]
pub(crate) mod testkit;

pub use final_reads::FINAL_READS_MARKER;

use crate::{Anomaly, CheckReport};

/// How many anomalies of one kind a report lists before it only counts them: a store that lost
/// ten thousand elements needs the count and a few examples, not ten thousand entries.
pub const MAX_LISTED: usize = 100;

/// Pushes `anomaly` unless `MAX_LISTED` of its kind are listed already; counts it either way in
/// the stat `<kind>-count`. Keeps the verdict invalid in both cases.
pub(crate) fn push_capped(report: &mut CheckReport, anomaly: Anomaly) {
    let count_name = format!("{}-count", anomaly.kind);
    let count = report
        .stats
        .get(&count_name)
        .and_then(|v| v.as_u64())
        .unwrap_or(0)
        + 1;
    report.stat(&count_name, count);
    let listed = report
        .anomalies
        .iter()
        .filter(|a| a.kind == anomaly.kind)
        .count();
    if listed < MAX_LISTED {
        report.push(anomaly);
    } else {
        report.valid = crate::Validity::Invalid;
        report.stat("anomalies-truncated", true);
    }
}

/// Nanoseconds to milliseconds, for reports.
pub(crate) fn ms(nanos: u64) -> f64 {
    nanos as f64 / 1e6
}

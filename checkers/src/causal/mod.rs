//! Causal consistency and the four session guarantees, for list-append, rw-register and plain
//! register / key-value histories with unique writes.
//!
//! **What is checked.** The causal order `co` is session order ∪ reads-from, transitively closed
//! (Ahamad et al., "Causal memory", 1995). With unique writes, reads-from is known, and a history
//! is causally consistent in the sense of Bouajjani, Enea, Guerraoui and Hamza ("On verifying
//! causal consistency", POPL 2017, their *CC*) iff it has none of the bad patterns below; this
//! checker decides exactly that, lifted to transactions with atomic visibility (transactional
//! causal consistency, Cerone, Bernardi and Gotsman, CONCUR 2015) and to lists:
//!
//! - `causal-cycle`: `co` has a cycle (CyclicCO) — `cycle`;
//! - `thin-air-read` / `aborted-read`: a read of a value nobody (or only a failed op) wrote
//!   (ThinAirRead) — `reads_from`;
//! - a read that misses a write in its causal past (WriteCOInitRead, WriteCORead), named after the
//!   session guarantee it breaks (`read-your-writes`, `monotonic-reads`, `monotonic-writes`,
//!   `writes-follow-reads`), else `fractured-read` (saw part of a transaction) or `missed-cause`
//!   — `missed_write`, `classify`;
//! - `causal-reorder`: a list shows causally related appends out of causal order — `list_order`;
//! - `intermediate-read`: a read of a value its transaction overwrote before committing;
//! - only with `causal-convergence`: `convergence-cycle`, conflicting writes that no single
//!   order respecting causality explains (Bouajjani's CyclicCF) — `convergence`.
//!
//! CC is the weakest of Bouajjani's three variants: causal memory (CM) and causal convergence
//! (CCv) forbid more, so anything reported here violates all three, and histories that are
//! serializable or snapshot-isolated *with their session order* are never reported.
//!
//! **Cost.** O((transactions + reads-from edges) · log) plus, per read, O(sessions writing its key):
//! vector clocks (`clock`) answer "is a before b" in constant time.
//!
//! **Use.** `faultline check --model causal` goes through [`check`]; other checkers (the
//! transactional one's `--consistency-model causal|read-your-writes|...`) call
//! [`check_guarantees`] with the [`Guarantee`]s that [`Guarantee::from_name`] recognises.

mod analysis;
mod atom;
mod chain;
mod classify;
mod clock;
mod convergence;
mod cycle;
mod describe;
mod guarantee;
mod list_order;
mod missed_write;
mod order;
mod reads_from;
mod sessions;
mod sink;
pub mod unit;

#[cfg(test)]
mod tests;

use std::time::Instant;

use serde_json::json;

pub use guarantee::{Guarantee, GuaranteeSet};

use crate::options::{CheckError, CheckOptions};
use crate::verdict::AnomalyDetail;
use crate::{Anomaly, CheckReport, History};
use analysis::Analysis;
use missed_write::KeyWrites;
use sessions::SessionHistory;
use sink::Sink;

/// `faultline check --model causal`: checks the guarantees named in
/// `options.consistency_models` (default: `causal`, which implies the four session guarantees).
pub fn check(history: &History, options: &CheckOptions) -> Result<CheckReport, CheckError> {
    let guarantees = parse_guarantees(&options.consistency_models)?;
    check_guarantees(history, &guarantees, options)
}

/// Reads `--consistency-model` names; empty means `causal`.
pub fn parse_guarantees(names: &[String]) -> Result<Vec<Guarantee>, CheckError> {
    if names.is_empty() {
        return Ok(vec![Guarantee::Causal]);
    }
    names
        .iter()
        .map(|n| {
            Guarantee::from_name(n).ok_or_else(|| CheckError::BadOption {
                option: "--consistency-model".to_string(),
                message: format!(
                    "{n:?} is not a causal model; expected one of {}",
                    Guarantee::ALL.map(Guarantee::name).join(", ")
                ),
            })
        })
        .collect()
}

/// Checks `history` against `guarantees`: the entry point for other checkers (the transactional
/// checker's `--consistency-model causal|read-your-writes|...`).
pub fn check_guarantees(
    history: &History,
    guarantees: &[Guarantee],
    options: &CheckOptions,
) -> Result<CheckReport, CheckError> {
    let mut selected = GuaranteeSet::of(guarantees);
    if selected.contains(Guarantee::Convergence) {
        selected.insert(Guarantee::Causal);
    }
    let mut names = selected.names();
    if selected.contains(Guarantee::Convergence) {
        names.retain(|n| *n != "causal");
    }
    let checker = if names == ["causal"] {
        "causal".to_string()
    } else {
        format!("causal({})", names.join(","))
    };
    let mut report = CheckReport::new(checker);
    let started = Instant::now();
    let h = SessionHistory::from_history(history, options)?;
    let read_ms = started.elapsed().as_secs_f64() * 1e3;
    let budget = &options.budget;
    let a = match Analysis::build(&h, |bytes| budget.exhausted(bytes)) {
        Ok(a) => a,
        Err(reason) => {
            report.set_unknown(reason);
            return Ok(report);
        }
    };
    let analysis_ms = started.elapsed().as_secs_f64() * 1e3 - read_ms;
    let mut sink = Sink::default();
    if let Some(reason) = run_rules(&a, selected, &mut sink, |bytes| budget.exhausted(bytes)) {
        report.set_unknown(reason);
    }
    stats(&mut report, &a, &sink);
    let total_ms = started.elapsed().as_secs_f64() * 1e3;
    report.stat(
        "phase_ms",
        json!({
            "read": read_ms.round(),
            "order_and_clocks": analysis_ms.round(),
            "rules": (total_ms - read_ms - analysis_ms).round(),
        }),
    );
    for anomaly in sink.kept {
        report.push(anomaly);
    }
    Ok(report)
}

/// Every rule over the analysed history; `Some(reason)` when the budget ran out part-way.
fn run_rules(
    a: &Analysis,
    selected: GuaranteeSet,
    sink: &mut Sink,
    mut exhausted: impl FnMut(usize) -> Option<String>,
) -> Option<String> {
    let causal = selected.contains(Guarantee::Causal);
    report_garbage(a, sink);
    if causal {
        cycle::report(a, sink);
    }
    let kw = KeyWrites::build(a);
    if selected.contains(Guarantee::Convergence) {
        convergence::report(a, &kw, sink);
    }
    for (i, read) in a.rf.list_reads.iter().enumerate() {
        if i % 4096 == 0 {
            if let Some(reason) = exhausted(a.clocks.bytes()) {
                return Some(reason);
            }
        }
        let missed = missed_write::missed_by_list_read(a, &kw, read);
        if !missed.is_empty() {
            missed_write::report(a, sink, selected, read.txn, read.mop, None, &missed);
        }
        if let Some((first, cause)) = list_order::first_inversion(a, read) {
            list_order::report(a, sink, selected, read, first, cause);
        }
    }
    for (i, read) in a.rf.register_reads.iter().enumerate() {
        if i % 4096 == 0 {
            if let Some(reason) = exhausted(a.clocks.bytes()) {
                return Some(reason);
            }
        }
        let missed = missed_write::missed_by_register_read(a, &kw, read);
        if !missed.is_empty() {
            missed_write::report(a, sink, selected, read.txn, read.mop, read.source, &missed);
        }
        if causal {
            if let Some(later) = missed_write::intermediate(a, read) {
                missed_write::report_intermediate(a, sink, read, later);
            }
        }
    }
    None
}

/// Reads of values never written: reported under every model, since every guarantee presumes
/// reads return written values.
fn report_garbage(a: &Analysis, sink: &mut Sink) {
    let h = a.h;
    for g in &a.rf.garbage {
        let kind = if g.aborted {
            "aborted-read"
        } else {
            "thin-air-read"
        };
        sink.add(kind, || Anomaly {
            kind: kind.to_string(),
            ops: vec![h.txn(g.txn).event],
            explanation: format!(
                "{} read {}: {} is a value {} {}.",
                describe::txn(h, g.txn),
                describe::read(h, g.txn, g.mop),
                g.value,
                if g.aborted {
                    "only a failed operation (which never took effect) wrote to"
                } else {
                    "no operation wrote to"
                },
                h.key_name(g.key),
            ),
            detail: Some(AnomalyDetail::other([
                ("key", h.key_name(g.key).to_value()),
                ("value", g.value.to_value()),
                ("reader", h.txn(g.txn).event.into()),
            ])),
        });
    }
}

fn stats(report: &mut CheckReport, a: &Analysis, sink: &Sink) {
    let h = a.h;
    report.stat("shape", h.shape.clone());
    report.stat("transactions", h.txns.len());
    report.stat("sessions", h.sessions.len());
    report.stat("keys", h.keys.len());
    report.stat(
        "reads_from_edges",
        a.rf.sources.iter().map(Vec::len).sum::<usize>(),
    );
    report.stat("list_reads", a.rf.list_reads.len());
    report.stat("register_reads", a.rf.register_reads.len());
    report.stat("cyclic_components", a.order.cyclic.len());
    report.stat("clock_bytes", a.clocks.bytes());
    if a.rf.duplicate_writes > 0 {
        report.stat("duplicate_writes_unattributed", a.rf.duplicate_writes);
    }
    if a.rf.own_future_reads > 0 {
        report.stat("own_future_reads_ignored", a.rf.own_future_reads);
    }
    if !sink.counts.is_empty() {
        report.stat("anomaly_counts", json!(sink.counts));
    }
    if sink.dropped() > 0 {
        report.stat("anomalies_not_explained", sink.dropped());
    }
}

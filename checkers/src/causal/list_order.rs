//! Lists must show causally related appends in causal order.
//!
//! A causally consistent store applies a write only after its causes (causal delivery), so a list
//! that shows the element of append `b` before that of append `a` while `a` causally precedes `b`
//! came from a replica that applied `b` first. In Bouajjani et al.'s terms (POPL 2017) the read
//! cannot be explained by any serialisation of its causal past that respects the causal order;
//! for registers the same situation is the WriteCORead pattern of [`super::missed_write`].
//!
//! For each list, scanning from the end and keeping per session the lowest position among the
//! appends listed later, one look-up per (element, session listed later) decides it.

use super::analysis::Analysis;
use super::chain;
use super::classify;
use super::describe;
use super::guarantee::GuaranteeSet;
use super::reads_from::{ListRead, WriteRef};
use super::sessions::SessionId;
use super::sink::Sink;
use crate::verdict::{AnomalyDetail, CausalChain};
use crate::Anomaly;

/// The first pair `(earlier_listed, later_listed)` where the later-listed append causally
/// precedes the earlier-listed one, if any.
pub fn first_inversion(a: &Analysis, read: &ListRead) -> Option<(WriteRef, WriteRef)> {
    // (session, lowest position listed later, that append)
    let mut later: Vec<(SessionId, u32, WriteRef)> = Vec::new();
    for w in read.elements.iter().rev().flatten() {
        let t = a.h.txn(w.txn);
        for &(s, pos, cause) in &later {
            if cause.txn == w.txn || a.order.same_component(cause.txn, w.txn) {
                continue;
            }
            let before = if s == t.session {
                pos < t.pos
            } else {
                a.clocks.get(w.txn, s) >= pos
            };
            if before {
                return Some((*w, cause));
            }
        }
        match later.iter_mut().find(|(s, _, _)| *s == t.session) {
            Some(entry) if entry.1 > t.pos => *entry = (t.session, t.pos, *w),
            Some(_) => {}
            None => later.push((t.session, t.pos, *w)),
        }
    }
    None
}

/// Reports a list read whose order contradicts the causal order of its appends.
pub fn report(
    a: &Analysis,
    sink: &mut Sink,
    selected: GuaranteeSet,
    read: &ListRead,
    listed_first: WriteRef,
    cause: WriteRef,
) {
    let broken = classify::reordered(a, cause.txn, listed_first.txn);
    let Some(kind) = classify::name(broken, selected, "causal-reorder") else {
        return;
    };
    let h = a.h;
    sink.add(kind, || {
        let steps = chain::find(a, cause.txn, listed_first.txn).unwrap_or_default();
        let mut ops = chain::events(a, &steps);
        ops.push(h.txn(read.txn).event);
        Anomaly {
            kind: kind.to_string(),
            ops,
            explanation: format!(
                "{} read {}, listing {} before {}, but the second append causally precedes the \
                 first: {}. A causally consistent store applies causally related writes in \
                 causal order.",
                describe::txn(h, read.txn),
                describe::read(h, read.txn, read.mop),
                describe::write_long(h, listed_first),
                describe::write_long(h, cause),
                chain::text(a, &steps),
            ),
            detail: Some(AnomalyDetail::CausalChain(CausalChain {
                key: Some(h.key_name(read.key).to_value()),
                read: Some(describe::read_json(h, read.txn, read.mop)),
                reader: Some(h.txn(read.txn).event),
                listed_first: Some(h.txn(listed_first.txn).event),
                cause: Some(h.txn(cause.txn).event),
                guarantees: broken.names().into_iter().map(String::from).collect(),
                ..chain::detail(a, &steps)
            })),
        }
    });
}

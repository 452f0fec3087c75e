//! The chain of session and reads-from edges that makes one transaction a cause of another: the
//! evidence shown with every violation.
//!
//! Built backwards from the effect using the clocks: in the effect's session, jump to the earliest
//! transaction that already has the cause in its past; that one got it through a reads-from edge,
//! so step to the source that has the cause in its past (the cause itself when possible). Each step
//! is a binary search, so a chain costs O(length · log n).

use super::analysis::Analysis;
use super::describe;
use super::order::EdgeKind;
use super::reads_from::WriteRef;
use super::sessions::TxnId;
use crate::verdict::{CausalChain, ChainEdge};

/// One edge of a chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    pub from: TxnId,
    pub to: TxnId,
    pub kind: EdgeKind,
    /// For reads-from: the write `to` read.
    pub write: Option<WriteRef>,
}

/// A chain of edges from `cause` to `effect`, or `None` when `cause` is not before `effect`.
pub fn find(a: &Analysis, cause: TxnId, effect: TxnId) -> Option<Vec<Step>> {
    let h = a.h;
    let c = h.txn(cause);
    let mut steps = Vec::new();
    let mut x = effect;
    for _ in 0..=h.txns.len() {
        if x == cause {
            steps.reverse();
            return Some(steps);
        }
        let t = h.txn(x);
        if t.session == c.session && c.pos < t.pos {
            steps.push(Step {
                from: cause,
                to: x,
                kind: EdgeKind::Session,
                write: None,
            });
            x = cause;
            continue;
        }
        let session = &h.sessions[t.session as usize][..t.pos as usize];
        let q = session.partition_point(|&y| a.clocks.get(y, c.session) < c.pos);
        let &y = session.get(q)?;
        if y != x {
            steps.push(Step {
                from: y,
                to: x,
                kind: EdgeKind::Session,
                write: None,
            });
        }
        let sources = &a.rf.sources[y as usize];
        let edge = sources
            .iter()
            .find(|e| e.write.txn == cause)
            .or_else(|| {
                sources
                    .iter()
                    .filter(|e| a.order.comp[e.write.txn as usize] != a.order.comp[y as usize])
                    .find(|e| a.before_or_same(cause, e.write.txn))
            })
            .or_else(|| {
                sources
                    .iter()
                    .find(|e| a.before_or_same(cause, e.write.txn))
            })?;
        steps.push(Step {
            from: edge.write.txn,
            to: y,
            kind: EdgeKind::ReadsFrom,
            write: Some(edge.write),
        });
        x = edge.write.txn;
    }
    None
}

/// The chain in words: `event 1 (process 0) -[x 1 read by]-> event 5 (process 1) -[session]-> ...`.
pub fn text(a: &Analysis, steps: &[Step]) -> String {
    let mut out = String::new();
    for (i, s) in steps.iter().enumerate() {
        if i == 0 {
            out.push_str(&describe::txn(a.h, s.from));
        }
        match (s.kind, s.write) {
            (EdgeKind::ReadsFrom, Some(w)) => {
                out.push_str(&format!(" -[read {}]-> ", describe::write_short(a.h, w)))
            }
            (EdgeKind::Arbitration { reader, mop }, _) => out.push_str(&format!(
                " -[ordered before it by {}'s read of {}]-> ",
                describe::txn(a.h, reader),
                describe::read(a.h, reader, mop)
            )),
            _ => out.push_str(" -[same session, later]-> "),
        }
        out.push_str(&describe::txn(a.h, s.to));
    }
    out
}

/// The chain's edges for `detail.chain`.
pub fn edges(a: &Analysis, steps: &[Step]) -> Vec<ChainEdge> {
    steps
        .iter()
        .map(|s| {
            let (key, value) = match s.write {
                Some(w) => {
                    let (key, value) = describe::write_parts(a.h, w);
                    (Some(key), Some(value))
                }
                None => (None, None),
            };
            ChainEdge {
                from: a.h.txn(s.from).event,
                to: a.h.txn(s.to).event,
                edge: match s.kind {
                    EdgeKind::Session => "session",
                    EdgeKind::ReadsFrom => "wr",
                    EdgeKind::Arbitration { .. } => "arbitration",
                }
                .to_string(),
                reader: match s.kind {
                    EdgeKind::Arbitration { reader, .. } => Some(a.h.txn(reader).event),
                    _ => None,
                },
                key,
                value,
            }
        })
        .collect()
}

/// The anomaly detail of a chain alone; callers add what they know about the read.
pub fn detail(a: &Analysis, steps: &[Step]) -> CausalChain {
    CausalChain {
        chain: edges(a, steps),
        ..CausalChain::default()
    }
}

/// Every event of a chain, in order, for `Anomaly::ops`.
pub fn events(a: &Analysis, steps: &[Step]) -> Vec<u64> {
    let mut out: Vec<u64> = Vec::new();
    for s in steps {
        for t in [s.from, s.to] {
            let e = a.h.txn(t).event;
            if out.last() != Some(&e) {
                out.push(e);
            }
        }
    }
    out
}

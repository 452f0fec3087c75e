//! Which session guarantee a causal violation breaks (Terry et al., PDIS 1994).
//!
//! Each violation is a write `w` that must be visible at a reader `r` (`w` causally precedes `r`)
//! but is not: it is missing, or (lists) seen in the wrong order. The guarantees each forbid one
//! short shape of the chain that makes `w` a cause of `r`:
//!
//! - read-your-writes: `w` is an earlier operation of `r`'s session;
//! - monotonic-reads: an earlier transaction of `r`'s session read from `w`;
//! - monotonic-writes: `r` read from a later transaction of `w`'s session;
//! - writes-follow-reads: `r` read from a transaction `t2` of a session in which `w` had been read
//!   at or before `t2` (a read followed by a write).
//!
//! A violation matching none of them needs a longer chain (the example: A's append is read
//! by B, whose append is read by C, whose later read misses A's append): only `causal` forbids it.

use super::analysis::Analysis;
use super::guarantee::{Guarantee, GuaranteeSet};
use super::sessions::TxnId;

/// The session guarantees broken by "`reader` does not see `missed`", where `missed` causally
/// precedes `reader`.
pub fn missed_write(a: &Analysis, missed: TxnId, reader: TxnId) -> GuaranteeSet {
    let w = a.h.txn(missed);
    let r = a.h.txn(reader);
    let mut set = GuaranteeSet::default();
    if w.session == r.session && w.pos < r.pos {
        set.insert(Guarantee::ReadYourWrites);
    }
    if a.read_in_session(missed, r.session, r.pos - 1) {
        set.insert(Guarantee::MonotonicReads);
    }
    for e in &a.rf.sources[reader as usize] {
        let t2 = a.h.txn(e.write.txn);
        if t2.session == w.session && t2.pos > w.pos {
            set.insert(Guarantee::MonotonicWrites);
        }
        if e.write.txn != missed && a.read_in_session(missed, t2.session, t2.pos) {
            set.insert(Guarantee::WritesFollowReads);
        }
    }
    set
}

/// The session guarantees broken by a list that shows `later`'s element before `cause`'s while
/// `cause` causally precedes `later`.
pub fn reordered(a: &Analysis, cause: TxnId, later: TxnId) -> GuaranteeSet {
    let c = a.h.txn(cause);
    let l = a.h.txn(later);
    let mut set = GuaranteeSet::default();
    if c.session == l.session {
        set.insert(Guarantee::MonotonicWrites);
    }
    if a.read_in_session(cause, l.session, l.pos) {
        set.insert(Guarantee::WritesFollowReads);
    }
    set
}

/// Whether `reader` read some other write of the transaction whose write it missed: it saw part of
/// a transaction (a fractured read, Bailis et al., "Scalable atomic visibility with RAMP
/// transactions", SIGMOD 2014).
pub fn fractured(a: &Analysis, missed: TxnId, reader: TxnId) -> bool {
    a.rf.sources[reader as usize]
        .iter()
        .any(|e| e.write.txn == missed)
}

/// The anomaly name to report for a violation breaking `broken`, given the models the user asked
/// for; `None` when none of them forbids it. `general` names it when only `causal` does.
pub fn name(
    broken: GuaranteeSet,
    selected: GuaranteeSet,
    general: &'static str,
) -> Option<&'static str> {
    Guarantee::SESSION
        .into_iter()
        .find(|g| {
            broken.contains(*g) && (selected.contains(*g) || selected.contains(Guarantee::Causal))
        })
        .map(Guarantee::name)
        .or_else(|| selected.contains(Guarantee::Causal).then_some(general))
}

//! The central rule: a read must not miss a write that causally precedes it.
//!
//! Precisely (Bouajjani et al., POPL 2017, bad patterns WriteCOInitRead and WriteCORead, lifted to
//! transactions with atomic visibility as in Cerone et al., CONCUR 2015), with `co` the causal
//! order and `r` an external read of key `k` in transaction `T`:
//!
//! - list `k`: every append to `k` by a transaction `W ≠ T` with `W co T` has its element in the
//!   list `r` returned;
//! - register `k`, `r` returned the initial state: no transaction `W' ≠ T` with `W' co T` writes `k`;
//! - register `k`, `r` returned the value `W` wrote: no `W' ∉ {W, T}` writing `k` with
//!   `W co W' co T` (`W'` would have overwritten it); and `W`'s write is its last to `k`
//!   (otherwise `r` saw an intermediate state: `intermediate-read`).
//!
//! Per read this costs O(sessions writing `k` · log), using the clocks: the writes of session `s`
//! in `T`'s past are the prefix of `s`'s writes up to `clock(T)[s]`.

use std::collections::BTreeMap;

use super::analysis::Analysis;
use super::chain;
use super::classify;
use super::describe;
use super::guarantee::GuaranteeSet;
use super::reads_from::{ListRead, RegisterRead, WriteRef};
use super::sessions::{KeyId, KeyKind, Mop, SessionId, TxnId};
use super::sink::Sink;
use crate::verdict::{AnomalyDetail, CausalChain, MissedWrite};
use crate::Anomaly;

/// The writes of one session to one key, in session order.
#[derive(Debug)]
pub struct SessionWrites {
    pub session: SessionId,
    /// `(position, write)`, ascending.
    pub writes: Vec<(u32, WriteRef)>,
}

/// For each key, its writes grouped by session. For registers only each transaction's last write
/// to the key counts (the others are invisible outside it).
#[derive(Debug)]
pub struct KeyWrites {
    per_key: Vec<Vec<SessionWrites>>,
}

impl KeyWrites {
    pub fn build(a: &Analysis) -> KeyWrites {
        let h = a.h;
        let mut per_key: Vec<Vec<SessionWrites>> = (0..h.keys.len()).map(|_| Vec::new()).collect();
        // key -> index in per_key[key] of the session being filled
        let mut last_session: Vec<Option<(SessionId, usize)>> = vec![None; h.keys.len()];
        for (s, txns) in h.sessions.iter().enumerate() {
            let s = s as SessionId;
            for &t in txns {
                let txn = h.txn(t);
                for (m, mop) in txn.mops.iter().enumerate() {
                    let (Mop::Append { key, .. } | Mop::Write { key, .. }) = mop else {
                        continue;
                    };
                    let k = *key as usize;
                    if h.key_kinds[k] == KeyKind::Register
                        && txn.mops[m + 1..]
                            .iter()
                            .any(|o| matches!(o, Mop::Write { key: k2, .. } if k2 == key))
                    {
                        continue;
                    }
                    let idx = match last_session[k] {
                        Some((ls, i)) if ls == s => i,
                        _ => {
                            per_key[k].push(SessionWrites {
                                session: s,
                                writes: Vec::new(),
                            });
                            let i = per_key[k].len() - 1;
                            last_session[k] = Some((s, i));
                            i
                        }
                    };
                    per_key[k][idx].writes.push((
                        txn.pos,
                        WriteRef {
                            txn: t,
                            mop: m as u32,
                        },
                    ));
                }
            }
        }
        KeyWrites { per_key }
    }

    pub fn sessions(&self, key: KeyId) -> &[SessionWrites] {
        &self.per_key[key as usize]
    }
}

/// Appends to the read's key that causally precede the read and are absent from it.
pub fn missed_by_list_read(a: &Analysis, kw: &KeyWrites, read: &ListRead) -> Vec<WriteRef> {
    let mut seen: Vec<(SessionId, u32, WriteRef)> = read
        .elements
        .iter()
        .flatten()
        .map(|w| {
            let t = a.h.txn(w.txn);
            (t.session, t.pos, *w)
        })
        .collect();
    seen.sort_unstable();
    seen.dedup();
    let mut missed = Vec::new();
    for sw in kw.sessions(read.key) {
        let bound = a.seen_bound(read.txn, sw.session);
        let due = sw.writes.partition_point(|(pos, _)| *pos <= bound);
        if due == 0 {
            continue;
        }
        let from = seen.partition_point(|(s, _, _)| *s < sw.session);
        let to =
            seen.partition_point(|(s, p, _)| *s < sw.session || (*s == sw.session && *p <= bound));
        if to - from >= due {
            continue;
        }
        let present = &seen[from..to];
        for &(pos, w) in &sw.writes[..due] {
            if w.txn != read.txn
                && !a.order.same_component(w.txn, read.txn)
                && present
                    .binary_search_by(|(_, p, x)| (*p, *x).cmp(&(pos, w)))
                    .is_err()
            {
                missed.push(w);
            }
        }
    }
    missed
}

/// Writes to the register that causally precede the read and overwrite what it returned (or any
/// causally preceding write, when it returned the initial state).
pub fn missed_by_register_read(a: &Analysis, kw: &KeyWrites, read: &RegisterRead) -> Vec<WriteRef> {
    let mut missed = Vec::new();
    for sw in kw.sessions(read.key) {
        let bound = a.seen_bound(read.txn, sw.session);
        let due = sw.writes.partition_point(|(pos, _)| *pos <= bound);
        let Some(&(_, latest)) = due.checked_sub(1).map(|i| &sw.writes[i]) else {
            continue;
        };
        if latest.txn == read.txn || a.order.same_component(latest.txn, read.txn) {
            continue;
        }
        let overwrites = match read.source {
            None => true,
            Some(src) => src.txn != latest.txn && a.before_or_same(src.txn, latest.txn),
        };
        if overwrites {
            missed.push(latest);
        }
    }
    missed
}

/// Whether a register read returned a write its transaction later overwrote itself.
pub fn intermediate(a: &Analysis, read: &RegisterRead) -> Option<WriteRef> {
    let src = read.source?;
    let mops = &a.h.txn(src.txn).mops;
    mops.iter()
        .enumerate()
        .skip(src.mop as usize + 1)
        .rev()
        .find(|(_, o)| matches!(o, Mop::Write { key, .. } if *key == read.key))
        .map(|(m, _)| WriteRef {
            txn: src.txn,
            mop: m as u32,
        })
}

/// Reports one anomaly per (read, kind) for the writes the read missed.
pub fn report(
    a: &Analysis,
    sink: &mut Sink,
    selected: GuaranteeSet,
    reader: TxnId,
    mop: u32,
    source: Option<WriteRef>,
    missed: &[WriteRef],
) {
    let mut groups: BTreeMap<&'static str, Vec<(WriteRef, GuaranteeSet)>> = BTreeMap::new();
    for &w in missed {
        let broken = classify::missed_write(a, w.txn, reader);
        let general = if classify::fractured(a, w.txn, reader) {
            "fractured-read"
        } else {
            "missed-cause"
        };
        if let Some(kind) = classify::name(broken, selected, general) {
            groups.entry(kind).or_default().push((w, broken));
        }
    }
    for (kind, group) in groups {
        sink.add(kind, || explain(a, kind, reader, mop, source, &group));
    }
}

fn explain(
    a: &Analysis,
    kind: &str,
    reader: TxnId,
    mop: u32,
    source: Option<WriteRef>,
    group: &[(WriteRef, GuaranteeSet)],
) -> Anomaly {
    let h = a.h;
    let (first, broken) = group[0];
    let steps = chain::find(a, first.txn, reader).unwrap_or_default();
    let more = match group.len() {
        1 => String::new(),
        n => format!(" (and {} more such writes)", n - 1),
    };
    let register = matches!(h.txn(first.txn).mops[first.mop as usize], Mop::Write { .. });
    let what = if register {
        let read_from = match source {
            Some(s) => format!("the value from {}", describe::write_long(h, s)),
            None => "the initial state".to_string(),
        };
        format!(
            "{} read {}, {read_from}, but {}{more} overwrote it and causally precedes the read",
            describe::txn(h, reader),
            describe::read(h, reader, mop),
            describe::write_long(h, first),
        )
    } else {
        format!(
            "{} read {} without {}{more}, which causally precedes the read",
            describe::txn(h, reader),
            describe::read(h, reader, mop),
            describe::write_long(h, first),
        )
    };
    let why = match kind {
        "read-your-writes" => "A session must see its own earlier writes (read-your-writes).",
        "monotonic-reads" => {
            "An earlier read of the same session had already seen that write (monotonic reads)."
        }
        "monotonic-writes" => {
            "The read saw a later write of the writing session, so it must see this one too \
             (monotonic writes)."
        }
        "writes-follow-reads" => {
            "The read saw a write made by a session after that session had read this write \
             (writes follow reads)."
        }
        "fractured-read" => {
            "The read saw another write of the same transaction, so it saw only part of it \
             (atomic visibility, part of transactional causal consistency)."
        }
        _ => "Under causal consistency a read sees every write in its causal past.",
    };
    let mut ops = chain::events(a, &steps);
    if ops.is_empty() {
        ops = vec![h.txn(first.txn).event, h.txn(reader).event];
    }
    let missed: Vec<MissedWrite> = group
        .iter()
        .map(|(w, _)| {
            let (key, value) = describe::write_parts(h, *w);
            MissedWrite {
                event: h.txn(w.txn).event,
                process: h.txn(w.txn).process,
                key,
                value,
            }
        })
        .collect();
    let overwrite_chain = match (register, source) {
        (true, Some(src)) => chain::find(a, src.txn, first.txn).map(|over| chain::edges(a, &over)),
        _ => None,
    };
    let detail = Some(AnomalyDetail::CausalChain(CausalChain {
        key: Some(
            h.key_name(h.txn(reader).mops[mop as usize].key())
                .to_value(),
        ),
        read: Some(describe::read_json(h, reader, mop)),
        reader: Some(h.txn(reader).event),
        missed,
        guarantees: broken.names().into_iter().map(String::from).collect(),
        overwrite_chain,
        ..chain::detail(a, &steps)
    }));
    Anomaly {
        kind: kind.to_string(),
        ops,
        explanation: format!(
            "{what}: {}. {why}",
            if steps.is_empty() {
                "(chain not found)".to_string()
            } else {
                chain::text(a, &steps)
            }
        ),
        detail,
    }
}

/// Reports a register read of a write its own transaction later overwrote.
pub fn report_intermediate(a: &Analysis, sink: &mut Sink, read: &RegisterRead, later: WriteRef) {
    let h = a.h;
    let src = read.source.expect("an intermediate read has a source");
    sink.add("intermediate-read", || Anomaly {
        kind: "intermediate-read".to_string(),
        ops: vec![h.txn(src.txn).event, h.txn(read.txn).event],
        explanation: format!(
            "{} read {}, written by {}, which later in the same transaction wrote {}: the read \
             saw an intermediate state of a transaction.",
            describe::txn(h, read.txn),
            describe::read(h, read.txn, read.mop),
            describe::txn(h, src.txn),
            describe::write_short(h, later),
        ),
        detail: Some(AnomalyDetail::other([
            ("key", h.key_name(read.key).to_value()),
            ("reader", h.txn(read.txn).event.into()),
            ("writer", h.txn(src.txn).event.into()),
        ])),
    });
}

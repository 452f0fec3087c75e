//! Reads-from (`wr`): which transaction each read observed. Writes and appends are assumed unique
//! per key (the workloads generate them so), which makes the writer of every observed value known
//! and the history "differentiated" in the sense of Bouajjani et al. (POPL 2017).
//!
//! A read of a value nobody wrote is a `thin-air-read` (Bouajjani's ThinAirRead); a read of a
//! value only a `fail`ed operation wrote is an `aborted-read`.

use std::collections::HashMap;

use super::atom::Atom;
use super::sessions::{KeyId, Mop, ReadValue, SessionHistory, TxnId};
use crate::fxhash::FxBuild;

/// One write or append: a transaction and the index of the micro-op in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WriteRef {
    pub txn: TxnId,
    pub mop: u32,
}

/// A `wr` edge into a transaction: it read `write` (one witness per writer transaction).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WrEdge {
    pub write: WriteRef,
}

/// An external read of a list key: the elements other transactions appended, in list order.
#[derive(Clone, Debug)]
pub struct ListRead {
    pub txn: TxnId,
    pub mop: u32,
    pub key: KeyId,
    /// The writer of each element (`None`: nobody, already reported), in list order.
    pub elements: Vec<Option<WriteRef>>,
}

/// An external read of a register: the write it returned, `None` for the initial state.
#[derive(Clone, Debug)]
pub struct RegisterRead {
    pub txn: TxnId,
    pub mop: u32,
    pub key: KeyId,
    pub source: Option<WriteRef>,
}

/// A read of something no committed or indeterminate operation wrote.
#[derive(Clone, Debug)]
pub struct GarbageRead {
    pub txn: TxnId,
    pub mop: u32,
    pub key: KeyId,
    pub value: Atom,
    /// A `fail`ed operation wrote it (aborted read) rather than nobody (thin air).
    pub aborted: bool,
}

/// Everything the rules need to know about who read what.
#[derive(Debug, Default)]
pub struct ReadsFrom {
    /// Per transaction, the distinct transactions it read from (one witness each), by writer id.
    pub sources: Vec<Vec<WrEdge>>,
    pub list_reads: Vec<ListRead>,
    pub register_reads: Vec<RegisterRead>,
    pub garbage: Vec<GarbageRead>,
    /// `(key, value)` pairs written by more than one operation; reads of them are not attributed.
    pub duplicate_writes: usize,
    /// Reads of a value the reading transaction itself writes only later (Elle's future read);
    /// left to the transactional checker.
    pub own_future_reads: usize,
}

impl ReadsFrom {
    pub fn infer(h: &SessionHistory) -> ReadsFrom {
        let mut writer: HashMap<(KeyId, &Atom), Option<WriteRef>, FxBuild> = HashMap::default();
        for (t, txn) in h.txns.iter().enumerate() {
            for (m, mop) in txn.mops.iter().enumerate() {
                if let Some(value) = mop.written() {
                    let this = WriteRef {
                        txn: t as TxnId,
                        mop: m as u32,
                    };
                    writer
                        .entry((mop.key(), value))
                        .and_modify(|w| *w = None)
                        .or_insert(Some(this));
                }
            }
        }
        let mut out = ReadsFrom {
            sources: vec![Vec::new(); h.txns.len()],
            duplicate_writes: writer.values().filter(|w| w.is_none()).count(),
            ..ReadsFrom::default()
        };
        for (t, txn) in h.txns.iter().enumerate() {
            let t = t as TxnId;
            let mut sources: Vec<WrEdge> = Vec::new();
            for (m, mop) in txn.mops.iter().enumerate() {
                let Mop::Read { key, value } = mop else {
                    continue;
                };
                let m = m as u32;
                // Whether this transaction wrote the key before this read: the read is internal.
                let wrote_before = txn.mops[..m as usize]
                    .iter()
                    .any(|o| o.written().is_some() && o.key() == *key);
                let mut resolve = |value: &Atom, out: &mut ReadsFrom| -> Option<WriteRef> {
                    match writer.get(&(*key, value)) {
                        Some(Some(w)) if w.txn == t => {
                            if w.mop > m {
                                out.own_future_reads += 1;
                            }
                            None
                        }
                        Some(Some(w)) => {
                            sources.push(WrEdge { write: *w });
                            Some(*w)
                        }
                        Some(None) => None,
                        None => {
                            out.garbage.push(GarbageRead {
                                txn: t,
                                mop: m,
                                key: *key,
                                value: value.clone(),
                                aborted: h.failed_writes.contains(&(*key, value.clone())),
                            });
                            None
                        }
                    }
                };
                match value {
                    ReadValue::List(items) => {
                        let own = |a: &Atom| matches!(writer.get(&(*key, a)), Some(Some(w)) if w.txn == t);
                        let elements = items
                            .iter()
                            .filter(|a| !own(a))
                            .map(|a| resolve(a, &mut out))
                            .collect();
                        out.list_reads.push(ListRead {
                            txn: t,
                            mop: m,
                            key: *key,
                            elements,
                        });
                    }
                    ReadValue::Register(read) => {
                        let source = match read {
                            None => None,
                            Some(v) => match resolve(v, &mut out) {
                                Some(w) => Some(w),
                                None => continue,
                            },
                        };
                        // A read after the transaction's own write to the key is internal: what
                        // it should return is the transaction's business (the transactional
                        // checker's `internal`), but another transaction's value it did return
                        // was visible, so the edge above stays.
                        if wrote_before {
                            continue;
                        }
                        out.register_reads.push(RegisterRead {
                            txn: t,
                            mop: m,
                            key: *key,
                            source,
                        });
                    }
                }
            }
            sources.sort_by_key(|e| e.write);
            sources.dedup_by_key(|e| e.write.txn);
            out.sources[t as usize] = sources;
        }
        out
    }
}

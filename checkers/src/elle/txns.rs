//! The transactions of a history, read once into compact, interned form: every key and value an
//! integer, every read list a slice of one shared buffer.

use crate::history::txn::{parse_txn_ref, MicroKind};
use crate::options::CheckError;
use crate::{History, OpType, Value};

use super::intern::Interner;

/// Which data type the transactions operate on; it decides how versions are inferred.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// Lists that transactions append unique elements to and read whole (Elle's list-append).
    ListAppend,
    /// Registers written with unique values and read (Elle's rw-register).
    RwRegister,
}

/// The operation kinds the transactional checkers judge (`""`: Jepsen histories without `f`).
pub const TXN_KINDS: &[&str] = &["txn", ""];

impl Workload {
    pub fn name(self) -> &'static str {
        match self {
            Workload::ListAppend => "list-append",
            Workload::RwRegister => "rw-register",
        }
    }
}

/// How a transaction ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Committed; its reads are known.
    Ok,
    /// Definitely aborted; its writes must never be seen.
    Fail,
    /// Unknown: its writes may or may not have taken effect; its reads are unknown.
    Info,
}

/// What a micro-operation wrote or read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MopVal {
    /// A read whose result is not known (in a transaction that did not complete `ok`).
    Unknown,
    /// A read of a register's initial state (`nil`).
    Nil,
    /// An element appended, a register value written or read (an id of [`Txns::values`]).
    Atom(u32),
    /// A list read: `len` element ids starting at `start` in [`Txns::lists`].
    List { start: u32, len: u32 },
    /// A list read that is the first `len` elements of its key's shared list
    /// ([`Txns::key_lists`]): in a history without anomalies every read of a key is a prefix of
    /// its longest read, so a million reads of a hundred elements each cost 8 bytes each
    /// instead of 400.
    Prefix { len: u32 },
}

/// One micro-operation, interned.
#[derive(Clone, Copy, Debug)]
pub struct Mop {
    pub kind: MicroKind,
    pub key: u32,
    pub val: MopVal,
}

/// One transaction (one client operation of the history).
#[derive(Clone, Debug)]
pub struct Txn {
    pub outcome: Outcome,
    pub process: Option<u64>,
    /// `index` of its invocation and (if any) completion events.
    pub invoke_index: u64,
    pub complete_index: Option<u64>,
    /// Positions of those events in [`History::ops`].
    pub invoke_pos: u32,
    pub complete_pos: Option<u32>,
    mops_start: u32,
    mops_len: u32,
}

impl Txn {
    /// A transaction with no micro-ops yet (see [`Txns::seal`]).
    pub fn new(
        outcome: Outcome,
        process: Option<u64>,
        invoke: (u64, u32),
        complete: Option<(u64, u32)>,
    ) -> Txn {
        Txn {
            outcome,
            process,
            invoke_index: invoke.0,
            complete_index: complete.map(|c| c.0),
            invoke_pos: invoke.1,
            complete_pos: complete.map(|c| c.1),
            mops_start: 0,
            mops_len: 0,
        }
    }
}

/// Every transaction of a history, interned.
#[derive(Default)]
pub struct Txns {
    pub txns: Vec<Txn>,
    pub mops: Vec<Mop>,
    pub lists: Vec<u32>,
    /// Per key, the longest list read so far that every shared read ([`MopVal::Prefix`]) of
    /// the key is a prefix of.
    pub key_lists: Vec<Vec<u32>>,
    pub keys: Interner,
    pub values: Interner,
    /// Client operations that are not transactions (ignored).
    pub skipped: usize,
    pub workload: Option<Workload>,
}

impl Txns {
    /// Reads every `txn` operation of the history. Errors name the event and the micro-op.
    pub fn collect(history: &History, workload: Workload) -> Result<Txns, CheckError> {
        let mut out = Txns {
            workload: Some(workload),
            ..Txns::default()
        };
        out.txns.reserve(history.pairs().len());
        for pair in history.pairs() {
            let inv = history.invocation(pair);
            if inv.f != "txn" && !inv.f.is_empty() {
                out.skipped += 1;
                continue;
            }
            let outcome = match pair.outcome {
                OpType::Ok => Outcome::Ok,
                OpType::Fail => Outcome::Fail,
                _ => Outcome::Info,
            };
            let value = history.value(pair);
            let bad = |message: String| CheckError::BadOperation {
                index: history
                    .completion(pair)
                    .filter(|_| outcome == Outcome::Ok)
                    .unwrap_or(inv)
                    .index,
                message,
            };
            let mops = parse_txn_ref(value).map_err(bad)?;
            let mops_start = out.mops.len() as u32;
            for (i, m) in mops.iter().enumerate() {
                let key = out.keys.intern(m.key);
                let val = match m.kind {
                    MicroKind::Read if outcome != Outcome::Ok => MopVal::Unknown,
                    MicroKind::Read => out.read_value(workload, key, m.value).map_err(|e| {
                        bad(format!("micro-op {i}: {e}"))
                    })?,
                    MicroKind::Append if workload == Workload::RwRegister => {
                        return Err(bad(format!(
                            "micro-op {i}: append in an rw-register history (use --model list-append)"
                        )))
                    }
                    MicroKind::Write if workload == Workload::ListAppend => {
                        return Err(bad(format!(
                            "micro-op {i}: write in a list-append history (use --model rw-register)"
                        )))
                    }
                    _ => MopVal::Atom(out.values.intern(m.value)),
                };
                out.mops.push(Mop {
                    kind: m.kind,
                    key,
                    val,
                });
            }
            let complete = history.completion(pair);
            out.txns.push(Txn {
                outcome,
                process: inv.process.client(),
                invoke_index: inv.index,
                complete_index: complete.map(|c| c.index),
                invoke_pos: pair.invoke as u32,
                complete_pos: pair.complete.map(|c| c as u32),
                mops_start,
                mops_len: mops.len() as u32,
            });
        }
        out.shrink();
        Ok(out)
    }

    /// Gives back the spare capacity the reader's vectors grew by: on a million long
    /// transactions the micro-ops alone left ~100 MB unused through the whole check.
    pub fn shrink(&mut self) {
        self.txns.shrink_to_fit();
        self.mops.shrink_to_fit();
        self.lists.shrink_to_fit();
    }

    /// Appends a transaction whose micro-ops were pushed onto [`Txns::mops`] from `mops_start` on
    /// (for readers that build transactions without a [`History`]).
    pub fn seal(&mut self, mut txn: Txn, mops_start: u32) {
        txn.mops_start = mops_start;
        txn.mops_len = self.mops.len() as u32 - mops_start;
        self.txns.push(txn);
    }

    fn read_value(
        &mut self,
        workload: Workload,
        key: u32,
        value: &Value,
    ) -> Result<MopVal, String> {
        match (workload, value) {
            (Workload::RwRegister, Value::Null) => Ok(MopVal::Nil),
            (Workload::RwRegister, v) => Ok(MopVal::Atom(self.values.intern(v))),
            (Workload::ListAppend, Value::Null) => Ok(MopVal::Prefix { len: 0 }),
            (Workload::ListAppend, Value::Array(items)) => {
                let ids: Vec<u32> = items.iter().map(|v| self.values.intern(v)).collect();
                Ok(self.list_read(key, &ids))
            }
            (Workload::ListAppend, other) => Err(format!(
                "a list-append read must return a list (or nil), found {other}"
            )),
        }
    }

    pub fn len(&self) -> usize {
        self.txns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.txns.is_empty()
    }

    pub fn mops(&self, t: u32) -> &[Mop] {
        let txn = &self.txns[t as usize];
        &self.mops[txn.mops_start as usize..(txn.mops_start + txn.mops_len) as usize]
    }

    /// Global position of a transaction's `i`-th micro-op in [`Txns::mops`].
    pub fn mop_id(&self, t: u32, i: usize) -> u32 {
        self.txns[t as usize].mops_start + i as u32
    }

    /// The transaction a micro-op (a position in [`Txns::mops`]) belongs to.
    pub fn owner_of_mop(&self, mop: u32) -> u32 {
        (self.txns.partition_point(|t| t.mops_start <= mop) - 1) as u32
    }

    pub fn list(&self, start: u32, len: u32) -> &[u32] {
        &self.lists[start as usize..(start + len) as usize]
    }

    /// The value of a list read of `key` whose elements are `ids`: a prefix of the key's shared
    /// list when it is one, or extends it; its own copy otherwise (reads that disagree with
    /// each other, which the checker reports).
    pub fn list_read(&mut self, key: u32, ids: &[u32]) -> MopVal {
        if self.key_lists.len() <= key as usize {
            self.key_lists.resize_with(key as usize + 1, Vec::new);
        }
        let shared = &mut self.key_lists[key as usize];
        let common = shared.iter().zip(ids).take_while(|(a, b)| a == b).count();
        if common == ids.len() || common == shared.len() {
            shared.extend_from_slice(&ids[common..]);
            return MopVal::Prefix {
                len: ids.len() as u32,
            };
        }
        let start = self.lists.len() as u32;
        self.lists.extend_from_slice(ids);
        MopVal::List {
            start,
            len: ids.len() as u32,
        }
    }

    /// The elements of micro-op `m`'s list read (`None` when it is not one).
    pub fn read_list(&self, m: &Mop) -> Option<&[u32]> {
        match m.val {
            MopVal::List { start, len } => Some(self.list(start, len)),
            MopVal::Prefix { len } => Some(
                self.key_lists
                    .get(m.key as usize)
                    .map_or(&[][..], |l| &l[..len as usize]),
            ),
            _ => None,
        }
    }

    /// How explanations name a transaction: by its invocation's event index.
    pub fn name(&self, t: u32) -> String {
        format!("T{}", self.txns[t as usize].invoke_index)
    }

    /// The event indices of a transaction, for [`crate::Anomaly::ops`].
    pub fn event_indices(&self, t: u32) -> impl Iterator<Item = u64> {
        let txn = &self.txns[t as usize];
        std::iter::once(txn.invoke_index).chain(txn.complete_index)
    }

    /// A key in prose: `x`, or `key 7` for a number (so "read 7 = [1]" is not ambiguous).
    pub fn key(&self, k: u32) -> String {
        match self.keys.value(k) {
            crate::Value::String(_) => self.keys.show(k),
            _ => format!("key {}", self.keys.show(k)),
        }
    }

    pub fn val(&self, v: u32) -> String {
        self.values.show(v)
    }

    pub fn show_list(&self, elems: &[u32]) -> String {
        let inner: Vec<String> = elems.iter().map(|&e| self.val(e)).collect();
        format!("[{}]", inner.join(" "))
    }

    pub fn show_mop_val(&self, m: &Mop) -> String {
        match m.val {
            MopVal::Unknown => "?".to_string(),
            MopVal::Nil => "nil".to_string(),
            MopVal::Atom(v) => self.val(v),
            MopVal::List { .. } | MopVal::Prefix { .. } => {
                self.show_list(self.read_list(m).unwrap_or(&[]))
            }
        }
    }

    /// `T12 (process 3, ok, events 12–15): [append x 1] [r y [1 2]]`
    pub fn describe(&self, t: u32) -> String {
        let txn = &self.txns[t as usize];
        let outcome = match txn.outcome {
            Outcome::Ok => "ok",
            Outcome::Fail => "failed",
            Outcome::Info => "indeterminate",
        };
        let process = txn
            .process
            .map_or("nemesis".to_string(), |p| format!("process {p}"));
        let events = match txn.complete_index {
            Some(c) => format!("events {}–{c}", txn.invoke_index),
            None => format!("event {}, never completed", txn.invoke_index),
        };
        let body: Vec<String> = self
            .mops(t)
            .iter()
            .map(|m| {
                format!(
                    "[{} {} {}]",
                    m.kind.as_str(),
                    self.keys.show(m.key),
                    self.show_mop_val(m)
                )
            })
            .collect();
        format!(
            "{} ({process}, {outcome}, {events}): {}",
            self.name(t),
            body.join(" ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_that_agree_share_their_key_list_and_others_keep_their_own() {
        let mut t = Txns::default();
        let reads: [(u32, &[u32]); 7] = [
            (0, &[1, 2]),
            (0, &[1]),
            (0, &[1, 2, 3]),
            (0, &[2, 1]),
            (1, &[]),
            (1, &[7]),
            (0, &[1, 2, 3, 4]),
        ];
        let vals: Vec<MopVal> = reads.iter().map(|(k, l)| t.list_read(*k, l)).collect();
        assert_eq!(vals[0], MopVal::Prefix { len: 2 });
        assert_eq!(vals[1], MopVal::Prefix { len: 1 });
        assert!(matches!(vals[3], MopVal::List { len: 2, .. }));
        assert_eq!(t.key_lists[0], vec![1, 2, 3, 4]);
        assert_eq!(t.lists.len(), 2, "only the disagreeing read is copied");
        for ((key, list), val) in reads.iter().zip(vals) {
            let m = Mop {
                kind: MicroKind::Read,
                key: *key,
                val,
            };
            assert_eq!(t.read_list(&m), Some(*list));
        }
    }
}

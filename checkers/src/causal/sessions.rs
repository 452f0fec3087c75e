//! The history seen as sessions of transactions: the input of every causal rule.
//!
//! A session is a client process from its first operation until an `info` completion retires it
//! (DESIGN.md section 2: the client continues under a fresh id, so it is a new session with no
//! causal past). Plain `read` / `write` / `cas` / `append` operations become one-operation
//! transactions, so registers, key-value maps and list-append histories share one checker.
//!
//! Which operations count:
//! - `ok`: happened; its reads are known (from the completion).
//! - `info` (or never completed): may have happened; its writes are kept because a read may
//!   observe them, its reads are unknown and dropped. It is always the last of its session.
//! - `fail`: did not happen; its writes are remembered only to name a read of them an
//!   `aborted-read`.

use std::collections::{HashMap, HashSet};

use super::atom::{Atom, Interner};
use crate::history::txn::{parse_txn, MicroKind, MicroOp};
use crate::history::OpPair;
use crate::options::{CheckError, CheckOptions};
use crate::{History, OpType, Value};

pub type TxnId = u32;
pub type KeyId = u32;
pub type SessionId = u32;

/// How a key behaves, decided from what is done to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// Appended to; reads return lists.
    List,
    /// Written; reads return one value (`null` is the initial state).
    Register,
    /// Never written nor appended to: each read is taken as a list if it returned an array, as a
    /// register otherwise (any value it returned is then a thin-air read).
    Unwritten,
}

/// What a read returned, once the key's kind is known.
#[derive(Clone, Debug, PartialEq)]
pub enum ReadValue {
    /// A list key's elements (`null` reads as the empty list).
    List(Vec<Atom>),
    /// A register's value; `None` is the initial (never written) state.
    Register(Option<Atom>),
}

/// One micro-operation with interned key.
#[derive(Clone, Debug, PartialEq)]
pub enum Mop {
    Read { key: KeyId, value: ReadValue },
    Write { key: KeyId, value: Atom },
    Append { key: KeyId, value: Atom },
}

impl Mop {
    pub fn key(&self) -> KeyId {
        match self {
            Mop::Read { key, .. } | Mop::Write { key, .. } | Mop::Append { key, .. } => *key,
        }
    }

    /// The value written or appended, for writes.
    pub fn written(&self) -> Option<&Atom> {
        match self {
            Mop::Write { value, .. } | Mop::Append { value, .. } => Some(value),
            Mop::Read { .. } => None,
        }
    }
}

/// One transaction (or one plain operation) that happened or may have happened.
#[derive(Clone, Debug)]
pub struct Txn {
    pub session: SessionId,
    /// 1-based position in its session.
    pub pos: u32,
    pub process: u64,
    /// The history event to cite: the completion for `ok`, the invocation otherwise.
    pub event: u64,
    /// `ok` (true) or `info` (false).
    pub ok: bool,
    pub mops: Vec<Mop>,
}

/// The history as sessions of transactions.
#[derive(Debug, Default)]
pub struct SessionHistory {
    pub txns: Vec<Txn>,
    /// Session id -> its transactions in order (`pos - 1` indexes it).
    pub sessions: Vec<Vec<TxnId>>,
    pub keys: Interner,
    pub key_kinds: Vec<KeyKind>,
    /// `(key, value)` written or appended by `fail` operations.
    pub failed_writes: HashSet<(KeyId, Atom)>,
    /// `list-append`, `rw-register`, or both joined by `+`.
    pub shape: String,
}

impl SessionHistory {
    /// Reads every client operation. Errors name the event and what was expected.
    ///
    /// Two passes, so no copy of the history's values is held: the first reads invocations (whose
    /// reads are still `null`, so they are small) to learn which keys are lists and which are
    /// registers; the second reads each operation's final value and keeps only interned atoms.
    pub fn from_history(
        history: &History,
        options: &CheckOptions,
    ) -> Result<SessionHistory, CheckError> {
        let mut keys = Interner::default();
        let key_kinds = decide_key_kinds(history, options, &mut keys)?;
        let mut out = SessionHistory {
            keys,
            shape: shape_name(&key_kinds),
            key_kinds,
            ..SessionHistory::default()
        };
        // process -> its current session, and whether an `info` retired it.
        let mut current: HashMap<u64, (SessionId, bool)> = HashMap::new();
        for pair in history.pairs() {
            let invoke = history.invocation(pair);
            let Some(process) = invoke.process.client() else {
                continue;
            };
            let event = event_of(history, pair);
            let micro =
                micro_ops(history, pair, history.value(pair), options).map_err(|message| {
                    CheckError::BadOperation {
                        index: event,
                        message,
                    }
                })?;
            if pair.outcome == OpType::Fail {
                for m in micro.iter().filter(|m| m.kind != MicroKind::Read) {
                    let key = out.keys.intern(Atom::of(&m.key));
                    out.failed_writes.insert((key, Atom::of(&m.value)));
                }
                continue;
            }
            let ok = pair.outcome == OpType::Ok;
            let mut mops = Vec::with_capacity(micro.len());
            for m in micro.iter().filter(|m| ok || m.kind != MicroKind::Read) {
                let key = out.keys.intern(Atom::of(&m.key));
                mops.push(to_mop(m.kind, key, &m.value, &out.key_kinds, event)?);
            }
            let session = match current.get(&process) {
                Some(&(s, false)) => s,
                _ => {
                    out.sessions.push(Vec::new());
                    (out.sessions.len() - 1) as SessionId
                }
            };
            current.insert(process, (session, !ok));
            let id = out.txns.len() as TxnId;
            let list = &mut out.sessions[session as usize];
            list.push(id);
            out.txns.push(Txn {
                session,
                pos: list.len() as u32,
                process,
                event,
                ok,
                mops,
            });
        }
        Ok(out)
    }

    pub fn txn(&self, id: TxnId) -> &Txn {
        &self.txns[id as usize]
    }

    pub fn key_name(&self, key: KeyId) -> &Atom {
        self.keys.name(key)
    }
}

/// The micro-operations of one client operation, from its `f`, key and value.
fn micro_ops(
    history: &History,
    pair: &OpPair,
    value: &Value,
    options: &CheckOptions,
) -> Result<Vec<MicroOp>, String> {
    let invoke = history.invocation(pair);
    let f = invoke.f.as_str();
    // Some recorders leave `f` out of transactions (Elle's paper example does).
    if f == "txn" || (f.is_empty() && value.is_array()) {
        return parse_txn(value);
    }
    let (key, value) = if options.independent_tuples {
        match value.as_array().map(Vec::as_slice) {
            Some([k, v]) => (k.clone(), v.clone()),
            _ => {
                return Err(format!(
                    "expected an independent [key value] tuple as value, found {value}"
                ))
            }
        }
    } else {
        (
            history.key(pair).cloned().unwrap_or(Value::Null),
            value.clone(),
        )
    };
    let one = |kind| {
        Ok(vec![MicroOp {
            kind,
            key: key.clone(),
            value: value.clone(),
        }])
    };
    match f {
        "read" | "r" => one(MicroKind::Read),
        "write" | "w" => one(MicroKind::Write),
        "append" => one(MicroKind::Append),
        "cas" => match value.as_array().map(Vec::as_slice) {
            Some([old, new]) => Ok(vec![
                MicroOp {
                    kind: MicroKind::Read,
                    key: key.clone(),
                    value: old.clone(),
                },
                MicroOp {
                    kind: MicroKind::Write,
                    key,
                    value: new.clone(),
                },
            ]),
            _ => Err(format!("cas expects [old, new] as value, found {value}")),
        },
        other => Err(format!(
            "the causal checker reads txn, read, write, append and cas operations, not {other:?}"
        )),
    }
}

/// The event an operation is cited by: its completion when `ok`, else its invocation.
fn event_of(history: &History, pair: &OpPair) -> u64 {
    match (pair.outcome, history.completion(pair)) {
        (OpType::Ok, Some(c)) => c.index,
        _ => history.invocation(pair).index,
    }
}

/// A key that is appended to is a list; one that is written is a register; both is an error.
/// Decided from invocations, which carry every write. A key nobody writes is `Unwritten`.
fn decide_key_kinds(
    history: &History,
    options: &CheckOptions,
    keys: &mut Interner,
) -> Result<Vec<KeyKind>, CheckError> {
    let mut appended: Vec<Option<u64>> = Vec::new();
    let mut written: Vec<Option<u64>> = Vec::new();
    for pair in history.pairs() {
        let invoke = history.invocation(pair);
        if invoke.process.client().is_none() {
            continue;
        }
        let micro = micro_ops(history, pair, &invoke.value, options).map_err(|message| {
            CheckError::BadOperation {
                index: invoke.index,
                message,
            }
        })?;
        for m in micro {
            let slot = match m.kind {
                MicroKind::Append => &mut appended,
                MicroKind::Write => &mut written,
                MicroKind::Read => continue,
            };
            let k = keys.intern(Atom::of(&m.key)) as usize;
            if slot.len() <= k {
                slot.resize(k + 1, None);
            }
            slot[k].get_or_insert(invoke.index);
        }
    }
    (0..keys.len())
        .map(|k| {
            let a = appended.get(k).copied().flatten();
            let w = written.get(k).copied().flatten();
            match (a, w) {
                (Some(a), Some(w)) => Err(CheckError::BadOperation {
                    index: a.max(w),
                    message: format!(
                        "key {} is appended to (event {a}) and also written (event {w}); the \
                         causal checker needs each key to be a list or a register",
                        keys.name(k as u32)
                    ),
                }),
                (Some(_), None) => Ok(KeyKind::List),
                (None, Some(_)) => Ok(KeyKind::Register),
                (None, None) => Ok(KeyKind::Unwritten),
            }
        })
        .collect()
}

fn to_mop(
    kind: MicroKind,
    key: KeyId,
    value: &Value,
    kinds: &[KeyKind],
    event: u64,
) -> Result<Mop, CheckError> {
    let kind_of_key = match kinds.get(key as usize) {
        Some(KeyKind::Unwritten) | None if value.is_array() => KeyKind::List,
        Some(KeyKind::Unwritten) | None => KeyKind::Register,
        Some(k) => *k,
    };
    Ok(match kind {
        MicroKind::Write => Mop::Write {
            key,
            value: Atom::of(value),
        },
        MicroKind::Append => Mop::Append {
            key,
            value: Atom::of(value),
        },
        MicroKind::Read => {
            let value = match (kind_of_key, value) {
                (KeyKind::List, Value::Null) => ReadValue::List(Vec::new()),
                (KeyKind::List, Value::Array(items)) => {
                    ReadValue::List(items.iter().map(Atom::of).collect())
                }
                (KeyKind::List, other) => {
                    return Err(CheckError::BadOperation {
                        index: event,
                        message: format!("a read of a list key returned {other}, not a list"),
                    })
                }
                (_, Value::Null) => ReadValue::Register(None),
                (_, v) => ReadValue::Register(Some(Atom::of(v))),
            };
            Mop::Read { key, value }
        }
    })
}

fn shape_name(kinds: &[KeyKind]) -> String {
    let lists = kinds.contains(&KeyKind::List);
    let registers = kinds.contains(&KeyKind::Register);
    match (lists, registers) {
        (true, true) => "list-append+rw-register",
        (true, false) => "list-append",
        _ => "rw-register",
    }
    .to_string()
}

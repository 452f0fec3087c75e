//! A streaming JSON Lines reader for transactional histories: it interns each transaction as it
//! reads it, without building the whole history as JSON values first.
//!
//! A [`crate::History`] holds every value as a `serde_json::Value` (72 bytes each, plus an
//! allocation per list), which for a million list-append transactions is several gigabytes. This
//! reader keeps only the compact [`Txns`], so checking stays within a few hundred megabytes.
//! It follows the same rules as the history reader: indices must increase, a process has at
//! most one operation in flight, an invocation that never completes is `info`, a torn last line
//! is ignored with a warning. Lines it cannot read the fast way are read as ordinary events.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::io::BufRead;

use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::Deserialize;

use super::intern::{fast_map, FastMap};
use super::txns::{Mop, MopVal, Outcome, Txn, Txns, Workload};
use super::{report, ElleOptions};
use crate::history::txn::{parse_txn_ref, MicroKind};
use crate::history::{HistoryError, InputError};
use crate::options::CheckError;
pub use crate::options::JsonlError;
use crate::screen::screen;
use crate::{CheckReport, Op, OpType, Process, Value};

/// A key or an element: what can be interned.
#[derive(Clone, Debug, PartialEq)]
enum Atom {
    Int(i64),
    Str(String),
    Other(Value),
}

/// A micro-op's value.
#[derive(Clone, Debug, PartialEq)]
enum Val {
    Null,
    Atom(Atom),
    /// A list of integers, the usual read: 8 bytes an element instead of an [`Atom`]'s 40.
    Ints(Vec<i64>),
    List(Vec<Atom>),
}

struct Micro {
    kind: MicroKind,
    key: Atom,
    val: Val,
}

impl Atom {
    fn from_value(v: &Value) -> Atom {
        match v {
            Value::Number(n) if n.as_i64().is_some() => Atom::Int(n.as_i64().unwrap_or_default()),
            Value::String(s) => Atom::Str(s.clone()),
            other => Atom::Other(other.clone()),
        }
    }
}

impl Val {
    fn from_value(v: &Value) -> Val {
        match v {
            Value::Null => Val::Null,
            Value::Array(items) => Val::List(items.iter().map(Atom::from_value).collect()),
            other => Val::Atom(Atom::from_value(other)),
        }
    }
}

struct AtomVisitor;

impl<'de> Visitor<'de> for AtomVisitor {
    type Value = Atom;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key or value")
    }
    fn visit_i64<E>(self, v: i64) -> Result<Atom, E> {
        Ok(Atom::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Atom, E> {
        Ok(i64::try_from(v).map_or(Atom::Other(Value::from(v)), Atom::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Atom, E> {
        Ok(Atom::Other(Value::from(v)))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Atom, E> {
        Ok(Atom::Other(Value::Bool(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Atom, E> {
        Ok(Atom::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Atom, E> {
        Ok(Atom::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Atom, A::Error> {
        Value::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(Atom::Other)
    }
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Atom, A::Error> {
        Value::deserialize(de::value::MapAccessDeserializer::new(map)).map(Atom::Other)
    }
}

impl<'de> Deserialize<'de> for Atom {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Atom, D::Error> {
        d.deserialize_any(AtomVisitor)
    }
}

struct ValVisitor;

impl<'de> Visitor<'de> for ValVisitor {
    type Value = Val;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a micro-op value")
    }
    fn visit_unit<E>(self) -> Result<Val, E> {
        Ok(Val::Null)
    }
    fn visit_none<E>(self) -> Result<Val, E> {
        Ok(Val::Null)
    }
    fn visit_i64<E>(self, v: i64) -> Result<Val, E> {
        Ok(Val::Atom(Atom::Int(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Val, E> {
        AtomVisitor.visit_u64(v).map(Val::Atom)
    }
    fn visit_f64<E>(self, v: f64) -> Result<Val, E> {
        Ok(Val::Atom(Atom::Other(Value::from(v))))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Val, E> {
        Ok(Val::Atom(Atom::Other(Value::Bool(v))))
    }
    fn visit_str<E>(self, v: &str) -> Result<Val, E> {
        Ok(Val::Atom(Atom::Str(v.to_string())))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Val, A::Error> {
        let mut ints: Vec<i64> = Vec::with_capacity(seq.size_hint().unwrap_or(8));
        while let Some(a) = seq.next_element::<Atom>()? {
            match a {
                Atom::Int(n) => ints.push(n),
                other => {
                    // Not all integers: the general form, in order.
                    let mut items: Vec<Atom> = ints.into_iter().map(Atom::Int).collect();
                    items.push(other);
                    while let Some(a) = seq.next_element::<Atom>()? {
                        items.push(a);
                    }
                    return Ok(Val::List(items));
                }
            }
        }
        Ok(Val::Ints(ints))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Val, A::Error> {
        Value::deserialize(de::value::MapAccessDeserializer::new(map))
            .map(|v| Val::Atom(Atom::Other(v)))
    }
}

impl<'de> Deserialize<'de> for Val {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Val, D::Error> {
        d.deserialize_any(ValVisitor)
    }
}

struct MicroVisitor;

impl<'de> Visitor<'de> for MicroVisitor {
    type Value = Micro;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a micro-op [f, key, value]")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Micro, A::Error> {
        let f: std::borrow::Cow<'de, str> = seq
            .next_element()?
            .ok_or_else(|| de::Error::custom("empty micro-op"))?;
        let kind = match f.as_ref() {
            "r" | "read" => MicroKind::Read,
            "w" | "write" => MicroKind::Write,
            "append" => MicroKind::Append,
            other => return Err(de::Error::custom(format!("unknown micro-op {other:?}"))),
        };
        let key = seq
            .next_element()?
            .ok_or_else(|| de::Error::custom("micro-op without a key"))?;
        let val = seq
            .next_element()?
            .ok_or_else(|| de::Error::custom("micro-op without a value"))?;
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(de::Error::custom("micro-op with more than three parts"));
        }
        Ok(Micro { kind, key, val })
    }
}

impl<'de> Deserialize<'de> for Micro {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Micro, D::Error> {
        d.deserialize_seq(MicroVisitor)
    }
}

/// One event, read the fast way: everything but the transaction is left unparsed.
#[derive(Deserialize)]
struct Line<'a> {
    index: u64,
    process: Process,
    #[serde(rename = "type")]
    kind: OpType,
    #[serde(default, borrow)]
    f: Cow<'a, str>,
    #[serde(default)]
    value: Option<Vec<Micro>>,
}

/// An event as the checker needs it.
struct Event {
    index: u64,
    process: Process,
    kind: OpType,
    /// The operation kind, for the count of kinds found (`txn` and `""` without allocating).
    f: Cow<'static, str>,
    /// `None` for operations that are not transactions.
    txn: Option<Vec<Micro>>,
}

/// Whether an operation of kind `f` is a transaction (`txn`, or no `f` at all).
fn is_txn(f: &str) -> bool {
    f == "txn" || f.is_empty()
}

/// `f` as an [`Event`] keeps it: the two transaction kinds are static.
fn owned_f(f: &str) -> Cow<'static, str> {
    match f {
        "txn" => Cow::Borrowed("txn"),
        "" => Cow::Borrowed(""),
        other => Cow::Owned(other.to_string()),
    }
}

/// An invocation's head: everything but its value, which is skipped unread.
#[derive(Deserialize)]
struct Head<'a> {
    index: u64,
    process: Process,
    #[serde(rename = "type")]
    kind: OpType,
    #[serde(default, borrow)]
    f: Cow<'a, str>,
}

/// A transaction's micro-ops as read, or the text of its invocation (and its line), to be read
/// only if the transaction does not complete `ok`: an `ok` completion carries the transaction
/// as it ran, so the invocation's value is never needed for most transactions (the history
/// path does not look at it either).
enum Body {
    Micros(Vec<Micro>),
    Text(String, usize),
}

/// An invocation read the cheap way: its head, with the line kept for later (`None`: the line is
/// not an invocation of that shape; read it with [`read_line`]).
fn read_invocation(text: &str, line_no: usize) -> Option<(Event, Option<Body>)> {
    if !text.contains("\"invoke\"") {
        return None;
    }
    let h: Head = serde_json::from_str(text).ok()?;
    if h.kind != OpType::Invoke {
        return None;
    }
    let body = is_txn(&h.f).then(|| Body::Text(text.to_string(), line_no));
    let event = Event {
        index: h.index,
        process: h.process,
        kind: h.kind,
        f: owned_f(&h.f),
        txn: None,
    };
    Some((event, body))
}

fn read_line(text: &str) -> Result<Event, String> {
    if let Ok(l) = serde_json::from_str::<Line>(text) {
        let txn = is_txn(&l.f);
        return Ok(Event {
            index: l.index,
            process: l.process,
            kind: l.kind,
            f: owned_f(&l.f),
            txn: if txn {
                Some(l.value.unwrap_or_default())
            } else {
                None
            },
        });
    }
    // Not a transaction in the expected shape: read it as an ordinary event.
    let op: Op = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let txn = if is_txn(&op.f) {
        let mops = parse_txn_ref(&op.value).map_err(|e| format!("event {}: {e}", op.index))?;
        Some(
            mops.iter()
                .map(|m| Micro {
                    kind: m.kind,
                    key: Atom::from_value(m.key),
                    val: Val::from_value(m.value),
                })
                .collect(),
        )
    } else {
        None
    };
    Ok(Event {
        index: op.index,
        process: op.process,
        kind: op.kind,
        f: owned_f(&op.f),
        txn,
    })
}

fn intern_atom(i: &mut super::intern::Interner, a: &Atom) -> u32 {
    match a {
        Atom::Int(n) => i.intern_i64(*n),
        Atom::Str(s) => i.intern_str(s),
        Atom::Other(v) => i.intern(v),
    }
}

/// Interns one transaction's micro-ops and appends it.
fn push_txn(
    txns: &mut Txns,
    raw: &mut RawLists,
    workload: Workload,
    txn: Txn,
    micros: &[Micro],
) -> Result<(), CheckError> {
    let start = txns.mops.len() as u32;
    let ok = txn.outcome == Outcome::Ok;
    let at = if ok { txn.complete_index } else { None }.unwrap_or(txn.invoke_index);
    for (i, m) in micros.iter().enumerate() {
        let bad = |message: String| CheckError::BadOperation {
            index: at,
            message: format!("micro-op {i}: {message}"),
        };
        let key = intern_atom(&mut txns.keys, &m.key);
        let val = match (m.kind, &m.val, workload) {
            (MicroKind::Append, _, Workload::RwRegister) => {
                return Err(bad(
                    "append in an rw-register history (use --model list-append)".into(),
                ))
            }
            (MicroKind::Write, _, Workload::ListAppend) => {
                return Err(bad(
                    "write in a list-append history (use --model rw-register)".into(),
                ))
            }
            (MicroKind::Read, _, _) if !ok => MopVal::Unknown,
            (MicroKind::Read, Val::Null, Workload::RwRegister) => MopVal::Nil,
            (MicroKind::Read, Val::Null, Workload::ListAppend) => MopVal::Prefix { len: 0 },
            (MicroKind::Read, Val::List(items), Workload::ListAppend) => {
                let ids: Vec<u32> = items
                    .iter()
                    .map(|a| intern_atom(&mut txns.values, a))
                    .collect();
                txns.list_read(key, &ids)
            }
            (MicroKind::Read, Val::Ints(items), Workload::ListAppend) => raw.read(txns, key, items),
            (MicroKind::Read, Val::Atom(_), Workload::ListAppend) => {
                return Err(bad("a list-append read must return a list (or nil)".into()))
            }
            (_, Val::Atom(a), _) => MopVal::Atom(intern_atom(&mut txns.values, a)),
            (_, Val::List(items), _) => MopVal::Atom(
                txns.values
                    .intern(&Value::Array(items.iter().map(atom_value).collect())),
            ),
            (_, Val::Ints(items), _) => MopVal::Atom(txns.values.intern(&Value::Array(
                items.iter().map(|&n| Value::from(n)).collect(),
            ))),
            (_, Val::Null, _) => MopVal::Atom(txns.values.intern(&Value::Null)),
        };
        txns.mops.push(Mop {
            kind: m.kind,
            key,
            val,
        });
    }
    txns.seal(txn, start);
    Ok(())
}

/// Each key's shared list ([`Txns::key_lists`]) as the integers it was read as, so that a read
/// is matched against it without interning every element again: most reads are a prefix of it
/// or extend it by a few elements, and only those few are interned.
#[derive(Default)]
struct RawLists(Vec<Vec<i64>>);

impl RawLists {
    fn read(&mut self, txns: &mut Txns, key: u32, items: &[i64]) -> MopVal {
        let k = key as usize;
        if self.0.len() <= k {
            self.0.resize_with(k + 1, Vec::new);
        }
        if txns.key_lists.len() <= k {
            txns.key_lists.resize_with(k + 1, Vec::new);
        }
        let raw = &mut self.0[k];
        let shared = &mut txns.key_lists[k];
        // Out of step only if a read of this key was not all integers (then it was interned).
        if shared.len() == raw.len() {
            let common = raw.iter().zip(items).take_while(|(a, b)| a == b).count();
            if common == items.len() || common == raw.len() {
                for &n in &items[common..] {
                    shared.push(txns.values.intern_i64(n));
                }
                raw.extend_from_slice(&items[common..]);
                return MopVal::Prefix {
                    len: items.len() as u32,
                };
            }
        }
        let ids: Vec<u32> = items.iter().map(|&n| txns.values.intern_i64(n)).collect();
        txns.list_read(key, &ids)
    }
}

fn atom_value(a: &Atom) -> Value {
    match a {
        Atom::Int(n) => Value::from(*n),
        Atom::Str(s) => Value::String(s.clone()),
        Atom::Other(v) => v.clone(),
    }
}

struct Open {
    index: u64,
    pos: u32,
    /// `None` for operations that are not transactions.
    body: Option<Body>,
}

/// The micro-ops of an invocation, reading its kept text now if it was deferred.
fn invoked_micros(body: Body, source_name: &str) -> Result<Vec<Micro>, JsonlError> {
    match body {
        Body::Micros(m) => Ok(m),
        Body::Text(text, line_no) => read_line(&text)
            .map(|e| e.txn.unwrap_or_default())
            .map_err(|message| InputError::new(source_name, line_no, message).into()),
    }
}

/// Reads a JSON Lines history and checks it, holding only the interned transactions.
pub fn check_jsonl<R: BufRead>(
    mut reader: R,
    source_name: &str,
    workload: Workload,
    options: &ElleOptions,
) -> Result<CheckReport, JsonlError> {
    for m in &options.consistency_models {
        super::models::canonical(m).map_err(|message| CheckError::BadOption {
            option: "--consistency-model".to_string(),
            message,
        })?;
    }
    let mut txns = Txns {
        workload: Some(workload),
        ..Txns::default()
    };
    let mut open: FastMap<u64, Open> = fast_map();
    let mut raw = RawLists::default();
    let mut line = String::new();
    let mut line_no = 0usize;
    let mut pos = 0u32;
    let mut last_index: Option<u64> = None;
    let mut warnings = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    // Client invocations per operation kind: the same count the registry makes of a `History`,
    // so that a history of nothing this checker judges gets no verdict here either.
    let mut found: BTreeMap<String, u64> = BTreeMap::new();
    loop {
        line.clear();
        let n = reader.read_line(&mut line).map_err(|e| HistoryError::Io {
            path: source_name.to_string(),
            source: e,
        })?;
        if n == 0 {
            break;
        }
        line_no += 1;
        if let Some((at, message)) = pending.take() {
            // A bad line that was not the last one.
            return Err(InputError::new(source_name, at, message).into());
        }
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        let (event, body) = match read_invocation(text, line_no) {
            Some(read) => read,
            None => match read_line(text) {
                Ok(mut e) => {
                    let body = e.txn.take().map(Body::Micros);
                    (e, body)
                }
                Err(message) => {
                    pending = Some((line_no, message));
                    continue;
                }
            },
        };
        if let Some(prev) = last_index {
            if event.index <= prev {
                return Err(InputError::new(
                    source_name,
                    line_no,
                    format!(
                        "index {} does not follow {prev}: indices must increase",
                        event.index
                    ),
                )
                .into());
            }
        }
        last_index = Some(event.index);
        let here = pos;
        pos += 1;
        let Process::Client(p) = event.process else {
            continue;
        };
        match event.kind {
            OpType::Invoke => {
                match found.get_mut(event.f.as_ref()) {
                    Some(n) => *n += 1,
                    None => {
                        found.insert(event.f.into_owned(), 1);
                    }
                }
                if open.contains_key(&p) {
                    return Err(InputError::new(
                        source_name,
                        line_no,
                        format!(
                            "process {p} invokes while its previous operation is still in flight"
                        ),
                    )
                    .into());
                }
                open.insert(
                    p,
                    Open {
                        index: event.index,
                        pos: here,
                        body,
                    },
                );
            }
            kind => {
                let Some(inv) = open.remove(&p) else {
                    warnings.push(format!(
                        "line {line_no}: completion with no invocation; ignored"
                    ));
                    continue;
                };
                let Some(inv_body) = inv.body else {
                    txns.skipped += 1;
                    continue;
                };
                let outcome = match kind {
                    OpType::Ok => Outcome::Ok,
                    OpType::Fail => Outcome::Fail,
                    _ => Outcome::Info,
                };
                let invoked;
                let micros = match (outcome, &body) {
                    (Outcome::Ok, Some(Body::Micros(m))) => m,
                    _ => {
                        invoked = invoked_micros(inv_body, source_name)?;
                        &invoked
                    }
                };
                let txn = Txn::new(
                    outcome,
                    Some(p),
                    (inv.index, inv.pos),
                    Some((event.index, here)),
                );
                push_txn(&mut txns, &mut raw, workload, txn, micros)?;
            }
        }
    }
    if let Some((at, message)) = pending {
        warnings.push(format!(
            "{source_name}:{at}: torn last line ignored: {message}"
        ));
    }
    // Never completed: indeterminate, in invocation order.
    let rest: BTreeMap<u64, (u64, Open)> =
        open.into_iter().map(|(p, o)| (o.index, (p, o))).collect();
    for (_, (p, o)) in rest {
        let Some(body) = o.body else {
            txns.skipped += 1;
            continue;
        };
        push_txn(
            &mut txns,
            &mut raw,
            workload,
            Txn::new(Outcome::Info, Some(p), (o.index, o.pos), None),
            &invoked_micros(body, source_name)?,
        )?;
    }
    drop(raw);
    txns.shrink();
    let skipped = screen(workload.name(), super::txns::TXN_KINDS, &found)?;
    let mut report = report::analyse(&txns, pos as usize, workload, options)?;
    report.skipped_ops = skipped;
    report.warnings = warnings;
    Ok(report)
}

//! Words for transactions and writes in explanations.

use serde_json::Value;

use super::atom::Atom;
use super::reads_from::WriteRef;
use super::sessions::{Mop, ReadValue, SessionHistory, TxnId};

/// `event 12 (process 3)`, with `indeterminate` for an `info` operation.
pub fn txn(h: &SessionHistory, t: TxnId) -> String {
    let txn = h.txn(t);
    if txn.ok {
        format!("event {} (process {})", txn.event, txn.process)
    } else {
        format!(
            "event {} (process {}, indeterminate)",
            txn.event, txn.process
        )
    }
}

/// `x 1` for a write or append: what a reader saw.
pub fn write_short(h: &SessionHistory, w: WriteRef) -> String {
    let mop = &h.txn(w.txn).mops[w.mop as usize];
    format!(
        "{} {}",
        h.key_name(mop.key()),
        mop.written().map(ToString::to_string).unwrap_or_default()
    )
}

/// `the append of 1 to x by event 3 (process 0)`.
pub fn write_long(h: &SessionHistory, w: WriteRef) -> String {
    let mop = &h.txn(w.txn).mops[w.mop as usize];
    let key = h.key_name(mop.key());
    match mop {
        Mop::Append { value, .. } => format!("the append of {value} to {key} by {}", txn(h, w.txn)),
        Mop::Write { value, .. } => format!("the write of {key} = {value} by {}", txn(h, w.txn)),
        Mop::Read { .. } => format!("a read of {key} by {}", txn(h, w.txn)),
    }
}

/// The key and value of a write, as JSON.
pub fn write_parts(h: &SessionHistory, w: WriteRef) -> (Value, Value) {
    let mop = &h.txn(w.txn).mops[w.mop as usize];
    (
        h.key_name(mop.key()).to_value(),
        mop.written().map(|v| v.to_value()).unwrap_or(Value::Null),
    )
}

/// `x = [1, 2]` or `x = 3` or `x = nil` for the read micro-op `mop` of `t`.
pub fn read(h: &SessionHistory, t: TxnId, mop: u32) -> String {
    match &h.txn(t).mops[mop as usize] {
        Mop::Read { key, value } => format!("{} = {}", h.key_name(*key), read_value(value)),
        other => format!("{other:?}"),
    }
}

/// Lists longer than this are shortened in explanations (the JSON detail keeps them whole).
const LONG_LIST: usize = 20;

fn read_value(value: &ReadValue) -> String {
    let join = |items: &[Atom]| {
        items
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    match value {
        ReadValue::List(items) if items.len() > LONG_LIST => format!(
            "[{}, ..., {}] ({} elements)",
            join(&items[..LONG_LIST / 2]),
            join(&items[items.len() - 2..]),
            items.len()
        ),
        ReadValue::List(items) => format!("[{}]", join(items)),
        ReadValue::Register(Some(v)) => v.to_string(),
        ReadValue::Register(None) => "nil (never written)".to_string(),
    }
}

/// The value a read returned, as JSON.
pub fn read_json(h: &SessionHistory, t: TxnId, mop: u32) -> Value {
    match &h.txn(t).mops[mop as usize] {
        Mop::Read {
            value: ReadValue::List(items),
            ..
        } => Value::Array(items.iter().map(|a| a.to_value()).collect()),
        Mop::Read {
            value: ReadValue::Register(v),
            ..
        } => v.as_ref().map(|a| a.to_value()).unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

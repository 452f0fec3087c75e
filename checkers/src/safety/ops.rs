//! Client operations flattened for the data-safety checkers: one record per invocation with its
//! outcome, positions and times, split per key (P-compositionality: each key is its own object,
//! as Jepsen's independent checker treats `[key value]` tuples).

use std::collections::BTreeMap;

use crate::options::{CheckError, CheckOptions};
use crate::{History, OpType, Value};

/// One client operation: its invocation, its completion if any, and the value it is known by.
#[derive(Clone, Debug)]
pub struct FlatOp<'h> {
    pub f: &'h str,
    /// `Ok`, `Fail`, or `Info` (also when the history ended before it completed).
    pub outcome: OpType,
    /// Position of the invocation in the history; positions order events in real time.
    pub invoke: usize,
    /// Position of the completion, if the history has one.
    pub complete: Option<usize>,
    /// `index` of the invocation and completion events, for reports.
    pub invoke_index: u64,
    pub complete_index: Option<u64>,
    /// Nanoseconds, from the events.
    pub invoke_time: u64,
    pub complete_time: Option<u64>,
    /// The completion's value for `ok` operations, the invocation's otherwise (key removed when
    /// it came as a `[key value]` tuple).
    pub value: &'h Value,
    /// The invocation's value (key removed likewise): what was attempted.
    pub invoke_value: &'h Value,
    /// The node the client talked to, from the completion or else the invocation.
    pub node: Option<&'h str>,
    pub process: u64,
}

impl FlatOp<'_> {
    pub fn is_ok(&self) -> bool {
        self.outcome == OpType::Ok
    }

    /// The position after which the operation certainly had no more effect: its completion for
    /// `ok` and `fail`, never (`usize::MAX`) for `info`, which may take effect at any later time.
    pub fn effect_end(&self) -> usize {
        match (self.outcome, self.complete) {
            (OpType::Ok | OpType::Fail, Some(c)) => c,
            _ => usize::MAX,
        }
    }

    /// `events 10–11` or `event 10 (never completed)`, for explanations.
    pub fn events(&self) -> String {
        match self.complete_index {
            Some(c) => format!("events {}–{}", self.invoke_index, c),
            None => format!("event {} (never completed)", self.invoke_index),
        }
    }

    /// Event indices of the operation, invocation first.
    pub fn indices(&self) -> Vec<u64> {
        let mut v = vec![self.invoke_index];
        v.extend(self.complete_index);
        v
    }

    /// `add 5 by process 3 (events 10–11, ok)`.
    pub fn describe(&self) -> String {
        let value = if self.value.is_null() {
            String::new()
        } else {
            format!(" {}", self.value)
        };
        format!(
            "{}{} by process {} ({}, {})",
            self.f,
            value,
            self.process,
            self.events(),
            self.outcome
        )
    }
}

/// The operations on one key (or on the whole history when operations carry no key).
#[derive(Clone, Debug)]
pub struct KeyOps<'h> {
    pub key: Option<&'h Value>,
    /// In invocation order.
    pub ops: Vec<FlatOp<'h>>,
}

impl KeyOps<'_> {
    /// ` on key "x"` or nothing, for explanations.
    pub fn on_key(&self) -> String {
        match &self.key {
            Some(k) => format!(" on key {k}"),
            None => String::new(),
        }
    }
}

/// The canonical text of a value, for use as a map key (JSON has no total order or hash).
pub fn canonical(v: &Value) -> String {
    v.to_string()
}

/// A value as a hash key, with a fast path for integers (set elements and written values
/// usually are): hashing an `i64` is far cheaper than printing the value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ValueKey {
    Int(i64),
    Text(String),
}

impl ValueKey {
    pub fn of(v: &Value) -> ValueKey {
        match v.as_i64() {
            Some(i) => ValueKey::Int(i),
            None => ValueKey::Text(canonical(v)),
        }
    }
}

/// A hash map keyed by values, with the crate's Fx hasher.
pub type ValueMap<V> = std::collections::HashMap<ValueKey, V, crate::fxhash::FxBuild>;

/// A hash set of values, with the crate's Fx hasher.
pub type ValueSet = std::collections::HashSet<ValueKey, crate::fxhash::FxBuild>;

/// Flattens the client operations whose `f` is in `fs`, split per key: the op's `key` field, or
/// with `options.independent_tuples` the first element of a `[key value]` value. Keys come out in
/// a stable order.
pub fn flatten_per_key<'h>(
    history: &'h History,
    options: &CheckOptions,
    fs: &[&str],
) -> Result<Vec<KeyOps<'h>>, CheckError> {
    let mut groups: BTreeMap<String, KeyOps<'h>> = BTreeMap::new();
    for pair in history.pairs() {
        let inv = history.invocation(pair);
        if !fs.contains(&inv.f.as_str()) {
            continue;
        }
        let comp = history.completion(pair);
        let mut key = history.key(pair);
        let mut value = history.value(pair);
        let mut invoke_value = &inv.value;
        if key.is_none() && options.independent_tuples {
            let (k, v) = split_tuple(value).ok_or_else(|| CheckError::BadOperation {
                index: inv.index,
                message: format!(
                    "expected a [key value] tuple as {} value (independent tuples), found {value}",
                    inv.f
                ),
            })?;
            key = Some(k);
            value = v;
            invoke_value = split_tuple(invoke_value)
                .map(|(_, v)| v)
                .unwrap_or(&Value::Null);
        }
        let node = comp.and_then(|c| c.node.as_deref()).or(inv.node.as_deref());
        let flat = FlatOp {
            f: &inv.f,
            outcome: pair.outcome,
            invoke: pair.invoke,
            complete: pair.complete,
            invoke_index: inv.index,
            complete_index: comp.map(|c| c.index),
            invoke_time: inv.time,
            complete_time: comp.map(|c| c.time),
            value,
            invoke_value,
            node,
            process: inv.process.client().unwrap_or_default(),
        };
        let name = key.map(canonical).unwrap_or_default();
        groups
            .entry(name)
            .or_insert_with(|| KeyOps {
                key,
                ops: Vec::new(),
            })
            .ops
            .push(flat);
    }
    Ok(groups.into_values().collect())
}

fn split_tuple(v: &Value) -> Option<(&Value, &Value)> {
    match v.as_array().map(Vec::as_slice) {
        Some([k, v]) => Some((k, v)),
        _ => None,
    }
}

/// Reads a number option (`"total"`, `"group_size"`...) from the `--initial` JSON object.
pub fn initial_field<'a>(options: &'a CheckOptions, name: &str) -> Option<&'a Value> {
    options.initial.as_ref()?.as_object()?.get(name)
}

/// Errors unless `initial` is absent or a JSON object whose keys are all in `known`: a misspelt
/// option must not be silently ignored.
pub fn expect_initial_object(options: &CheckOptions, known: &[&str]) -> Result<(), CheckError> {
    let Some(initial) = &options.initial else {
        return Ok(());
    };
    let Some(map) = initial.as_object() else {
        return Err(CheckError::BadOption {
            option: "--initial".into(),
            message: format!(
                "expected a JSON object with some of the fields {}, found {initial}",
                known.join(", ")
            ),
        });
    };
    for k in map.keys() {
        if !known.contains(&k.as_str()) {
            return Err(CheckError::BadOption {
                option: "--initial".into(),
                message: format!("unknown field {k:?}; known fields: {}", known.join(", ")),
            });
        }
    }
    Ok(())
}

/// A boolean field of `initial`, `default` when absent.
pub fn initial_bool(options: &CheckOptions, name: &str, default: bool) -> Result<bool, CheckError> {
    match initial_field(options, name) {
        None => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(CheckError::BadOption {
            option: "--initial".into(),
            message: format!("field {name:?} must be true or false, found {other}"),
        }),
    }
}

/// A non-negative number field of `initial`.
pub fn initial_number(options: &CheckOptions, name: &str) -> Result<Option<f64>, CheckError> {
    match initial_field(options, name) {
        None => Ok(None),
        Some(v) => match v.as_f64() {
            Some(n) if n >= 0.0 => Ok(Some(n)),
            _ => Err(CheckError::BadOption {
                option: "--initial".into(),
                message: format!("field {name:?} must be a non-negative number, found {v}"),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Op;
    use serde_json::json;

    #[test]
    fn splits_independent_tuples_per_key() {
        let h = History::new(vec![
            Op::new(0, 1, OpType::Invoke, "add", json!([1, 5])),
            Op::new(1, 1, OpType::Ok, "add", json!([1, 5])),
            Op::new(2, 2, OpType::Invoke, "read", json!([2, null])),
            Op::new(3, 2, OpType::Ok, "read", json!([2, [7]])),
        ])
        .unwrap();
        let opts = CheckOptions {
            independent_tuples: true,
            ..Default::default()
        };
        let groups = flatten_per_key(&h, &opts, &["add", "read"]).unwrap();
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].key, Some(&json!(1)));
        assert_eq!(groups[0].ops[0].value, &json!(5));
        assert_eq!(groups[1].ops[0].value, &json!([7]));
        assert_eq!(groups[1].ops[0].invoke_value, &Value::Null);
    }

    #[test]
    fn a_non_tuple_with_independent_tuples_is_an_error_naming_the_event() {
        let h = History::new(vec![Op::new(4, 1, OpType::Invoke, "add", json!(5))]).unwrap();
        let opts = CheckOptions {
            independent_tuples: true,
            ..Default::default()
        };
        let err = flatten_per_key(&h, &opts, &["add"]).unwrap_err();
        assert!(err.to_string().contains("event 4"), "{err}");
    }

    #[test]
    fn unknown_initial_fields_are_refused() {
        let opts = CheckOptions {
            initial: Some(json!({"totl": 5})),
            ..Default::default()
        };
        let err = expect_initial_object(&opts, &["total"]).unwrap_err();
        assert!(err.to_string().contains("totl"), "{err}");
    }
}

//! Several registers read and written together atomically (Knossos's `multi-register`): the value
//! is a list of micro-operations `[["read", k, v], ["write", k, v], ...]` (`r`/`w` also accepted),
//! applied in order as one atomic step.

use super::super::intern::{Interner, ValueId, NULL_ID};
use super::super::model::{Model, Outcome, Parsed};
use super::super::unit::LinearizableChecker;
use crate::history::txn::{parse_txn, MicroKind};
use crate::Value;

/// One micro-operation, key and value interned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Micro {
    Read { key: ValueId, value: ValueId },
    Write { key: ValueId, value: ValueId },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MultiRegisterOp(pub Box<[Micro]>);

#[derive(Clone, Copy, Debug)]
pub struct MultiRegister;

impl MultiRegister {
    fn get(state: &[(ValueId, ValueId)], key: ValueId) -> ValueId {
        match state.binary_search_by_key(&key, |&(k, _)| k) {
            Ok(at) => state[at].1,
            Err(_) => NULL_ID,
        }
    }
}

impl Model for MultiRegister {
    /// `(key, value)` pairs sorted by key; a key not present holds `null`.
    type State = Box<[(ValueId, ValueId)]>;
    type Op = MultiRegisterOp;

    fn name(&self) -> &'static str {
        "multi-register"
    }

    /// Default: every key `null`. `--initial` takes an object, e.g. `{"x":0,"y":0}`.
    fn initial(
        &self,
        initial: Option<&Value>,
        values: &mut Interner,
    ) -> Result<Self::State, String> {
        let map = match initial {
            None | Some(Value::Null) => return Ok(Box::new([])),
            Some(Value::Object(map)) => map,
            Some(other) => {
                return Err(format!(
                    "a multi-register starts as an object of key: value, not {other}"
                ))
            }
        };
        let mut pairs: Vec<(ValueId, ValueId)> = map
            .iter()
            .map(|(k, v)| (values.id(&Value::String(k.clone())), values.id(v)))
            .filter(|&(_, v)| v != NULL_ID)
            .collect();
        pairs.sort_unstable();
        Ok(pairs.into_boxed_slice())
    }

    fn parse(
        &self,
        f: &str,
        value: &Value,
        outcome: Outcome,
        values: &mut Interner,
    ) -> Result<Parsed<MultiRegisterOp>, String> {
        if !matches!(f, "txn" | "read" | "write") {
            return Err(format!(
                "unknown function {f:?} for multi-register; expected txn"
            ));
        }
        let mut micros = Vec::new();
        for micro in parse_txn(value)? {
            let key = values.id(&micro.key);
            let value = values.id(&micro.value);
            match micro.kind {
                // What an `info` transaction read is unknown: its reads constrain nothing.
                MicroKind::Read if outcome == Outcome::Info => {}
                MicroKind::Read => micros.push(Micro::Read { key, value }),
                MicroKind::Write => micros.push(Micro::Write { key, value }),
                MicroKind::Append => {
                    return Err("append is not an operation of multi-register".into())
                }
            }
        }
        if micros.is_empty() && outcome == Outcome::Info {
            return Ok(Parsed::Ignore);
        }
        Ok(Parsed::Op(MultiRegisterOp(micros.into_boxed_slice())))
    }

    fn step(
        &self,
        state: &Self::State,
        op: &MultiRegisterOp,
        _choice: usize,
    ) -> Option<Self::State> {
        let mut next: Option<Vec<(ValueId, ValueId)>> = None;
        for micro in op.0.iter() {
            let current: &[(ValueId, ValueId)] = next.as_deref().unwrap_or(state);
            match *micro {
                Micro::Read { key, value } => {
                    if MultiRegister::get(current, key) != value {
                        return None;
                    }
                }
                Micro::Write { key, value } => {
                    let pairs = next.get_or_insert_with(|| state.to_vec());
                    match pairs.binary_search_by_key(&key, |&(k, _)| k) {
                        Ok(at) if value == NULL_ID => {
                            pairs.remove(at);
                        }
                        Ok(at) => pairs[at].1 = value,
                        Err(_) if value == NULL_ID => {}
                        Err(at) => pairs.insert(at, (key, value)),
                    }
                }
            }
        }
        Some(next.map_or_else(|| state.clone(), Vec::into_boxed_slice))
    }

    fn describe_op(&self, op: &MultiRegisterOp, values: &Interner) -> String {
        let parts: Vec<String> =
            op.0.iter()
                .map(|m| match *m {
                    Micro::Read { key, value } => {
                        format!("read {} = {}", values.value(key), values.value(value))
                    }
                    Micro::Write { key, value } => {
                        format!("write {} = {}", values.value(key), values.value(value))
                    }
                })
                .collect();
        format!("txn [{}]", parts.join(", "))
    }

    fn state_json(&self, state: &Self::State, values: &Interner) -> Value {
        let mut map = serde_json::Map::new();
        for &(k, v) in state.iter() {
            let key = match values.value(k) {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            map.insert(key, values.value(v).clone());
        }
        Value::Object(map)
    }
}

/// `--model multi-register`.
pub static MULTI_REGISTER: LinearizableChecker<MultiRegister> = LinearizableChecker {
    name: "multi-register",
    about: "linearizable registers read/written atomically by txn [[read k v] [write k v]]",
    judges: &["txn", "read", "write"],
    model: |_| MultiRegister,
};

//! The deterministic key-value state machine behind the `raft` and `primary-backup` modes:
//! registers, lists (list-append), grow-only sets, counters, bank transfers and transactions.
//!
//! Applying the same requests in the same order gives the same state and answers on every replica,
//! which is what replicated-state-machine replication (Schneider 1990) needs.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::protocol::{errors, key_name, OpKind, Request, Response};

/// The replicated data: one namespace per data type, so a set and a register may share a name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct KvState {
    pub registers: HashMap<String, Value>,
    /// Set elements keyed by their JSON text, so equal values are one element.
    pub sets: HashMap<String, BTreeMap<String, Value>>,
    pub counters: HashMap<String, i64>,
}

/// What applying one request did: the answer, and whether anything changed.
pub struct Applied {
    pub response: Response,
    pub changed: bool,
}

impl KvState {
    /// Applies `req` atomically. A `fail` answer leaves the state untouched.
    pub fn apply(&mut self, req: &Request) -> Applied {
        let id = req.id;
        let ok = |value: Value, changed: bool| Applied {
            response: Response::ok(id, value),
            changed,
        };
        let fail = |error: &str| Applied {
            response: Response::fail(id, error),
            changed: false,
        };
        let key = req.key.as_ref().map(key_name);
        match req.op {
            OpKind::Read => match key {
                Some(k) => ok(
                    self.registers.get(&k).cloned().unwrap_or(Value::Null),
                    false,
                ),
                None => fail(errors::BAD_REQUEST),
            },
            OpKind::Write => match key {
                Some(k) => {
                    self.registers.insert(k, req.value.clone());
                    ok(req.value.clone(), true)
                }
                None => fail(errors::BAD_REQUEST),
            },
            OpKind::Cas => {
                let (Some(k), Some([old, new])) = (key, as_pair(&req.value)) else {
                    return fail(errors::BAD_REQUEST);
                };
                let current = self.registers.get(&k).cloned().unwrap_or(Value::Null);
                if &current == old {
                    self.registers.insert(k, new.clone());
                    ok(req.value.clone(), true)
                } else {
                    fail(errors::CAS_MISMATCH)
                }
            }
            OpKind::Txn => match self.apply_txn(&req.value) {
                Ok((value, changed)) => ok(value, changed),
                Err(e) => fail(e),
            },
            OpKind::SetAdd => match key {
                Some(k) => {
                    let added = self
                        .sets
                        .entry(k)
                        .or_default()
                        .insert(req.value.to_string(), req.value.clone())
                        .is_none();
                    ok(req.value.clone(), added)
                }
                None => fail(errors::BAD_REQUEST),
            },
            OpKind::SetRead => match key {
                Some(k) => ok(self.set_value(&k), false),
                None => fail(errors::BAD_REQUEST),
            },
            OpKind::CounterAdd => match (key, req.value.as_i64()) {
                (Some(k), Some(delta)) => {
                    *self.counters.entry(k).or_default() += delta;
                    ok(req.value.clone(), true)
                }
                _ => fail(errors::BAD_REQUEST),
            },
            OpKind::CounterRead => match key {
                Some(k) => ok(json!(self.counters.get(&k).copied().unwrap_or(0)), false),
                None => fail(errors::BAD_REQUEST),
            },
            OpKind::Transfer => self.apply_transfer(req),
            OpKind::ReadAll => match req.value.as_array() {
                Some(keys) => {
                    let mut out = serde_json::Map::new();
                    for k in keys {
                        let name = key_name(k);
                        let v = self.registers.get(&name).cloned().unwrap_or(Value::Null);
                        out.insert(name, v);
                    }
                    ok(Value::Object(out), false)
                }
                None => fail(errors::BAD_REQUEST),
            },
            OpKind::Status => fail(errors::BAD_REQUEST),
        }
    }

    /// A set's elements in a stable order.
    pub fn set_value(&self, key: &str) -> Value {
        Value::Array(
            self.sets
                .get(key)
                .map(|s| s.values().cloned().collect())
                .unwrap_or_default(),
        )
    }

    /// Runs micro-ops `r`, `w`, `append` in order. Everything that could make a micro-op fail is
    /// checked first (function names, appends to non-lists), so a malformed transaction leaves
    /// nothing applied and a valid one applies in place. Returns the micro-ops with reads filled in.
    fn apply_txn(&mut self, value: &Value) -> Result<(Value, bool), &'static str> {
        let mops = parse_txn(value)?;
        let mut will_be_list: HashMap<String, bool> = HashMap::new();
        for (f, k, _) in &mops {
            let name = key_name(k);
            let is_list = *will_be_list.entry(name.clone()).or_insert_with(|| {
                matches!(
                    self.registers.get(&name),
                    None | Some(Value::Null | Value::Array(_))
                )
            });
            match *f {
                "r" => {}
                "w" => {
                    will_be_list.insert(name, false);
                }
                "append" if is_list => {}
                _ => return Err(errors::BAD_REQUEST),
            }
        }
        let mut out = Vec::with_capacity(mops.len());
        let mut changed = false;
        for (f, k, v) in mops {
            let name = key_name(k);
            match f {
                "r" => {
                    let current = self.registers.get(&name).cloned().unwrap_or(Value::Null);
                    out.push(json!(["r", k, current]));
                }
                "w" => {
                    self.registers.insert(name, v.clone());
                    changed = true;
                    out.push(json!(["w", k, v]));
                }
                _ => {
                    let slot = self.registers.entry(name).or_insert(Value::Null);
                    if slot.is_null() {
                        *slot = Value::Array(Vec::new());
                    }
                    if let Value::Array(list) = slot {
                        list.push(v.clone());
                    }
                    changed = true;
                    out.push(json!(["append", k, v]));
                }
            }
        }
        Ok((Value::Array(out), changed))
    }

    fn apply_transfer(&mut self, req: &Request) -> Applied {
        let parsed = (|| {
            let from = key_name(req.value.get("from")?);
            let to = key_name(req.value.get("to")?);
            let amount = req.value.get("amount")?.as_i64()?;
            Some((from, to, amount))
        })();
        let Some((from, to, amount)) = parsed else {
            return Applied {
                response: Response::fail(req.id, errors::BAD_REQUEST),
                changed: false,
            };
        };
        let balance = |s: &Self, k: &str| s.registers.get(k).and_then(Value::as_i64).unwrap_or(0);
        let from_balance = balance(self, &from);
        if from_balance < amount {
            return Applied {
                response: Response::fail(req.id, errors::INSUFFICIENT_FUNDS),
                changed: false,
            };
        }
        self.registers
            .insert(from.clone(), json!(from_balance - amount));
        let to_balance = balance(self, &to);
        self.registers.insert(to, json!(to_balance + amount));
        Applied {
            response: Response::ok(req.id, req.value.clone()),
            changed: true,
        }
    }
}

/// `[old, new]` of a compare-and-set.
fn as_pair(value: &Value) -> Option<&[Value; 2]> {
    value.as_array()?.as_slice().try_into().ok()
}

/// Splits a transaction value into `(f, key, value)` micro-ops, or says it is malformed.
pub fn parse_txn(value: &Value) -> Result<Vec<(&str, &Value, &Value)>, &'static str> {
    let mops = value.as_array().ok_or(errors::BAD_REQUEST)?;
    mops.iter()
        .map(|m| match m.as_array().map(Vec::as_slice) {
            Some([Value::String(f), k, v]) => Ok((f.as_str(), k, v)),
            _ => Err(errors::BAD_REQUEST),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(op: OpKind, key: Option<&str>, value: Value) -> Request {
        Request::new(1, op, key.map(|k| json!(k)), value)
    }

    #[test]
    fn transactions_fill_in_reads_and_apply_all_or_nothing() {
        let mut s = KvState::default();
        let a = s.apply(&req(
            OpKind::Txn,
            None,
            json!([["append", "x", 1], ["r", "x", null], ["w", "y", 5]]),
        ));
        assert_eq!(
            a.response.value,
            json!([["append", "x", 1], ["r", "x", [1]], ["w", "y", 5]])
        );
        let bad = s.apply(&req(
            OpKind::Txn,
            None,
            json!([["append", "x", 2], ["zap", "x", 1]]),
        ));
        assert_eq!(bad.response.outcome, crate::protocol::Outcome::Fail);
        assert_eq!(s.registers["x"], json!([1]), "a failed txn applies nothing");
    }

    #[test]
    fn cas_and_transfer_fail_without_changing_state() {
        let mut s = KvState::default();
        s.apply(&req(OpKind::Write, Some("a"), json!(10)));
        let c = s.apply(&req(OpKind::Cas, Some("a"), json!([3, 4])));
        assert_eq!(c.response.error.as_deref(), Some(errors::CAS_MISMATCH));
        let t = s.apply(&req(
            OpKind::Transfer,
            None,
            json!({"from":"a","to":"b","amount":11}),
        ));
        assert_eq!(
            t.response.error.as_deref(),
            Some(errors::INSUFFICIENT_FUNDS)
        );
        s.apply(&req(
            OpKind::Transfer,
            None,
            json!({"from":"a","to":"b","amount":4}),
        ));
        let all = s.apply(&req(OpKind::ReadAll, None, json!(["a", "b"])));
        assert_eq!(all.response.value, json!({"a":6,"b":4}));
    }
}

//! Tests of the causal checker: hand-built histories for every anomaly, and property tests against
//! simulated stores and a brute-force oracle.

mod hand_built;
mod oracle;
mod properties;

use serde_json::{json, Value};

use crate::options::CheckOptions;
use crate::{CheckReport, History, Op, OpType};

/// Builds histories one operation at a time: each is invoked and completed before the next.
#[derive(Default)]
pub struct Builder {
    ops: Vec<Op>,
}

impl Builder {
    fn push(&mut self, process: u64, kind: OpType, f: &str, value: Value, key: Option<Value>) {
        let mut op = Op::new(self.ops.len() as u64, process, kind, f, value);
        op.key = key;
        self.ops.push(op);
    }

    /// A transaction that completes `ok`; `mops` as `[f, k, v]` with read values filled in.
    pub fn txn(mut self, process: u64, mops: Value) -> Self {
        let invoke = json!(mops
            .as_array()
            .unwrap()
            .iter()
            .map(|m| if m[0] == "r" {
                json!(["r", m[1], null])
            } else {
                m.clone()
            })
            .collect::<Vec<_>>());
        self.push(process, OpType::Invoke, "txn", invoke, None);
        self.push(process, OpType::Ok, "txn", mops, None);
        self
    }

    /// A transaction completed with `kind` (`fail` or `info`); reads stay unknown.
    pub fn txn_ending(mut self, process: u64, kind: OpType, mops: Value) -> Self {
        self.push(process, OpType::Invoke, "txn", mops.clone(), None);
        self.push(process, kind, "txn", mops, None);
        self
    }

    /// A plain keyed operation (`read`, `write`, `cas`) that completes `ok`.
    pub fn op(mut self, process: u64, f: &str, key: &str, value: Value) -> Self {
        let invoke = if f == "read" {
            Value::Null
        } else {
            value.clone()
        };
        self.push(process, OpType::Invoke, f, invoke, Some(json!(key)));
        self.push(process, OpType::Ok, f, value, Some(json!(key)));
        self
    }

    pub fn history(self) -> History {
        History::new(self.ops).unwrap()
    }

    pub fn check(self) -> CheckReport {
        check_with(self.history(), &[])
    }

    pub fn check_models(self, models: &[&str]) -> CheckReport {
        check_with(self.history(), models)
    }
}

pub fn check_with(history: History, models: &[&str]) -> CheckReport {
    let options = CheckOptions {
        consistency_models: models.iter().map(|m| m.to_string()).collect(),
        ..CheckOptions::default()
    };
    crate::causal::check(&history, &options).unwrap()
}

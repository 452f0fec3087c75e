//! A history: the events in order, and each client invocation paired with its completion.
//!
//! Pairing follows Jepsen's rule: a process has at most one operation in flight, so a completion
//! belongs to its process's open invocation. An invocation that never completes is treated as `info`
//! (it may have taken effect at any time after it was invoked).

use std::collections::HashMap;

use super::{HistoryError, Op, OpType, Process, Value};

/// One client operation: its invocation and, if the history has it, its completion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpPair {
    /// Position of the `invoke` event in [`History::ops`].
    pub invoke: usize,
    /// Position of the completion event, `None` if the history ended first.
    pub complete: Option<usize>,
    /// `Ok`, `Fail` or `Info` (also `Info` when there is no completion).
    pub outcome: OpType,
}

/// A validated history.
#[derive(Clone, Debug, Default)]
pub struct History {
    ops: Vec<Op>,
    pairs: Vec<OpPair>,
    warnings: Vec<String>,
}

impl History {
    /// Pairs invocations with completions. Errors when a process has two operations in flight or
    /// indices do not increase; tolerates (with a warning) completions that have no invocation and
    /// processes reused after an `info`.
    pub fn new(ops: Vec<Op>) -> Result<History, HistoryError> {
        let mut pairs: Vec<OpPair> = Vec::new();
        let mut warnings = Vec::new();
        // process -> position in `pairs` of its open invocation
        let mut open: HashMap<u64, usize> = HashMap::new();
        let mut retired: HashMap<u64, u64> = HashMap::new();
        let mut reused_warned = false;
        for (pos, op) in ops.iter().enumerate() {
            if pos > 0 && op.index <= ops[pos - 1].index {
                return Err(HistoryError::Malformed {
                    index: op.index,
                    message: format!(
                        "indices must increase, but it follows event {}",
                        ops[pos - 1].index
                    ),
                });
            }
            let Process::Client(p) = op.process else {
                continue;
            };
            match op.kind {
                OpType::Invoke => {
                    if let Some(&i) = open.get(&p) {
                        let prev = &ops[pairs[i].invoke];
                        return Err(HistoryError::Malformed {
                            index: op.index,
                            message: format!(
                                "process {p} invokes {} while its {} from event {} is still in \
                                 flight (a process has at most one operation in flight)",
                                op.f, prev.f, prev.index
                            ),
                        });
                    }
                    if let Some(info_index) = retired.get(&p) {
                        if !reused_warned {
                            warnings.push(format!(
                                "process {p} invokes again at event {} after its operation ended \
                                 `info` at event {info_index}; treating it as a new process",
                                op.index
                            ));
                            reused_warned = true;
                        }
                    }
                    open.insert(p, pairs.len());
                    pairs.push(OpPair {
                        invoke: pos,
                        complete: None,
                        outcome: OpType::Info,
                    });
                }
                kind => match open.remove(&p) {
                    Some(i) => {
                        pairs[i].complete = Some(pos);
                        pairs[i].outcome = kind;
                        if kind == OpType::Info {
                            retired.insert(p, op.index);
                        }
                        let inv = &ops[pairs[i].invoke];
                        if inv.f != op.f {
                            warnings.push(format!(
                                "event {}: process {p} completes {} but invoked {} at event {}",
                                op.index, op.f, inv.f, inv.index
                            ));
                        }
                    }
                    None => warnings.push(format!(
                        "event {}: {kind} completion of process {p} with no invocation in flight; \
                         ignored",
                        op.index
                    )),
                },
            }
        }
        Ok(History {
            ops,
            pairs,
            warnings,
        })
    }

    /// Every event, in order.
    pub fn ops(&self) -> &[Op] {
        &self.ops
    }

    /// Every client operation, in invocation order.
    pub fn pairs(&self) -> &[OpPair] {
        &self.pairs
    }

    /// Things the reader tolerated but a user should know about.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    pub fn push_warning(&mut self, warning: String) {
        self.warnings.push(warning);
    }

    pub fn invocation(&self, pair: &OpPair) -> &Op {
        &self.ops[pair.invoke]
    }

    pub fn completion(&self, pair: &OpPair) -> Option<&Op> {
        pair.complete.map(|i| &self.ops[i])
    }

    /// The value the operation is known by: the completion's for `ok` (reads learn their value
    /// there), the invocation's otherwise.
    pub fn value(&self, pair: &OpPair) -> &Value {
        match (pair.outcome, pair.complete) {
            (OpType::Ok, Some(c)) => &self.ops[c].value,
            _ => &self.ops[pair.invoke].value,
        }
    }

    /// The key of the operation, from its invocation (or its completion if only that has one).
    pub fn key(&self, pair: &OpPair) -> Option<&Value> {
        self.ops[pair.invoke]
            .key
            .as_ref()
            .or_else(|| self.completion(pair).and_then(|c| c.key.as_ref()))
    }

    /// Events of the nemesis (fault starts and ends), in order.
    pub fn nemesis_events(&self) -> impl Iterator<Item = &Op> {
        self.ops.iter().filter(|o| o.process == Process::Nemesis)
    }

    pub fn len(&self) -> usize {
        self.ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    pub fn into_ops(self) -> Vec<Op> {
        self.ops
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn op(i: u64, p: u64, k: OpType, f: &str, v: Value) -> Op {
        Op::new(i, p, k, f, v)
    }

    #[test]
    fn pairs_invocations_with_completions_per_process() {
        let h = History::new(vec![
            op(0, 1, OpType::Invoke, "write", json!(1)),
            op(1, 2, OpType::Invoke, "read", Value::Null),
            op(2, 2, OpType::Ok, "read", json!(0)),
            op(3, 1, OpType::Info, "write", json!(1)),
            op(4, 3, OpType::Invoke, "read", Value::Null),
        ])
        .unwrap();
        let p = h.pairs();
        assert_eq!(p.len(), 3);
        assert_eq!((p[0].invoke, p[0].complete, p[0].outcome), (0, Some(3), OpType::Info));
        assert_eq!((p[1].invoke, p[1].complete, p[1].outcome), (1, Some(2), OpType::Ok));
        assert_eq!(h.value(&p[1]), &json!(0));
        assert_eq!((p[2].complete, p[2].outcome), (None, OpType::Info));
    }

    #[test]
    fn two_ops_in_flight_on_one_process_is_an_error() {
        let err = History::new(vec![
            op(0, 1, OpType::Invoke, "write", json!(1)),
            op(1, 1, OpType::Invoke, "read", Value::Null),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("still in flight"), "{err}");
    }

    #[test]
    fn orphan_completion_is_a_warning() {
        let h = History::new(vec![op(0, 1, OpType::Ok, "read", json!(1))]).unwrap();
        assert!(h.pairs().is_empty());
        assert_eq!(h.warnings().len(), 1);
    }

    #[test]
    fn decreasing_indices_are_an_error() {
        let err = History::new(vec![
            op(5, 1, OpType::Invoke, "write", json!(1)),
            op(3, 1, OpType::Ok, "write", json!(1)),
        ])
        .unwrap_err();
        assert!(matches!(err, HistoryError::Malformed { index: 3, .. }));
    }
}

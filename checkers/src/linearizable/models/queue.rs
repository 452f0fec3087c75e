//! Queues (Knossos's `unordered-queue` and `fifo-queue`): `enqueue` a value, `dequeue` one.
//!
//! An `ok` dequeue's value is what it removed; `null` means it found the queue empty. An `info`
//! dequeue removed nobody knows what: from a FIFO queue that is the head, from an unordered queue
//! any element (the search tries each distinct one).

use super::super::intern::{Interner, ValueId, NULL_ID};
use super::super::model::{Model, Outcome, Parsed};
use super::super::unit::LinearizableChecker;
use crate::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QueueOp {
    Enqueue(ValueId),
    /// Removed this value.
    Dequeue(ValueId),
    /// Found the queue empty.
    DequeueEmpty,
    /// An `info` dequeue: removed an element we do not know, or nothing at all.
    DequeueAny,
}

/// `fifo`: dequeue returns the oldest element; otherwise any element.
#[derive(Clone, Copy, Debug)]
pub struct Queue {
    pub fifo: bool,
}

impl Queue {
    fn distinct(state: &[ValueId]) -> impl Iterator<Item = usize> + '_ {
        (0..state.len()).filter(move |&i| i == 0 || state[i] != state[i - 1])
    }
}

fn remove_at(state: &[ValueId], at: usize) -> Box<[ValueId]> {
    let mut next = Vec::with_capacity(state.len() - 1);
    next.extend_from_slice(&state[..at]);
    next.extend_from_slice(&state[at + 1..]);
    next.into_boxed_slice()
}

impl Model for Queue {
    /// FIFO: the elements oldest first. Unordered: the elements sorted (a multiset).
    type State = Box<[ValueId]>;
    type Op = QueueOp;

    fn name(&self) -> &'static str {
        if self.fifo {
            "fifo-queue"
        } else {
            "queue"
        }
    }

    /// Default: empty. `--initial` takes an array (oldest first).
    fn initial(
        &self,
        initial: Option<&Value>,
        values: &mut Interner,
    ) -> Result<Self::State, String> {
        let items = match initial {
            None | Some(Value::Null) => return Ok(Box::new([])),
            Some(Value::Array(items)) => items,
            Some(other) => {
                return Err(format!(
                    "a queue starts as an array of elements, not {other}"
                ))
            }
        };
        let mut ids: Vec<ValueId> = items.iter().map(|v| values.id(v)).collect();
        if !self.fifo {
            ids.sort_unstable();
        }
        Ok(ids.into_boxed_slice())
    }

    fn parse(
        &self,
        f: &str,
        value: &Value,
        outcome: Outcome,
        values: &mut Interner,
    ) -> Result<Parsed<QueueOp>, String> {
        Ok(Parsed::Op(match f {
            "enqueue" => QueueOp::Enqueue(values.id(value)),
            "dequeue" if outcome == Outcome::Info => QueueOp::DequeueAny,
            "dequeue" => match values.id(value) {
                NULL_ID => QueueOp::DequeueEmpty,
                v => QueueOp::Dequeue(v),
            },
            other => {
                return Err(format!(
                    "unknown function {other:?} for {}; expected enqueue or dequeue",
                    self.name()
                ))
            }
        }))
    }

    fn choices(&self, state: &Self::State, op: &QueueOp) -> usize {
        match op {
            QueueOp::DequeueAny if !self.fifo => Queue::distinct(state).count(),
            _ => 1,
        }
    }

    fn step(&self, state: &Self::State, op: &QueueOp, choice: usize) -> Option<Self::State> {
        match *op {
            QueueOp::Enqueue(v) => {
                let mut next = Vec::with_capacity(state.len() + 1);
                next.extend_from_slice(state);
                if self.fifo {
                    next.push(v);
                } else {
                    let at = state.partition_point(|&x| x <= v);
                    next.insert(at, v);
                }
                Some(next.into_boxed_slice())
            }
            QueueOp::Dequeue(v) if self.fifo => {
                (state.first() == Some(&v)).then(|| remove_at(state, 0))
            }
            QueueOp::Dequeue(v) => state.binary_search(&v).ok().map(|at| remove_at(state, at)),
            QueueOp::DequeueEmpty => state.is_empty().then(|| state.clone()),
            QueueOp::DequeueAny if self.fifo => (!state.is_empty()).then(|| remove_at(state, 0)),
            QueueOp::DequeueAny => Queue::distinct(state)
                .nth(choice)
                .map(|at| remove_at(state, at)),
        }
    }

    /// An `info` enqueue of a value no dequeue returned can be dropped: the element would never
    /// be at the head when an `ok` dequeue ran (it would have returned it), it is absent whenever
    /// a dequeue found the queue empty, and an `info` dequeue that removed it can be dropped with
    /// it. So every other operation sees the same answer without it.
    fn unobserved_infos(&self, ops: &[(QueueOp, bool)]) -> Vec<bool> {
        let dequeued: std::collections::HashSet<ValueId> = ops
            .iter()
            .filter_map(|(op, _)| match op {
                QueueOp::Dequeue(v) => Some(*v),
                _ => None,
            })
            .collect();
        ops.iter()
            .map(|(op, info)| *info && matches!(op, QueueOp::Enqueue(v) if !dequeued.contains(v)))
            .collect()
    }

    fn describe_op(&self, op: &QueueOp, values: &Interner) -> String {
        match op {
            QueueOp::Enqueue(v) => format!("enqueue {}", values.value(*v)),
            QueueOp::Dequeue(v) => format!("dequeue {}", values.value(*v)),
            QueueOp::DequeueEmpty => "dequeue (found it empty)".into(),
            QueueOp::DequeueAny => "dequeue (result unknown)".into(),
        }
    }

    fn state_json(&self, state: &Self::State, values: &Interner) -> Value {
        Value::Array(state.iter().map(|v| values.value(*v).clone()).collect())
    }
}

/// `--model queue`.
pub static QUEUE: LinearizableChecker<Queue> = LinearizableChecker {
    name: "queue",
    about: "linearizable unordered queue: enqueue, dequeue any element",
    judges: &["enqueue", "dequeue"],
    model: |_| Queue { fifo: false },
};

/// `--model fifo-queue`.
pub static FIFO_QUEUE: LinearizableChecker<Queue> = LinearizableChecker {
    name: "fifo-queue",
    about: "linearizable FIFO queue: enqueue, dequeue the oldest element",
    judges: &["enqueue", "dequeue"],
    model: |_| Queue { fifo: true },
};

//! A set read whole (Knossos's `set`): `add` an element, `read` the whole set.

use super::super::intern::{Interner, ValueId};
use super::super::model::{Model, Outcome, Parsed};
use super::super::unit::LinearizableChecker;
use crate::Value;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SetOp {
    Add(ValueId),
    /// A read that returned exactly these elements (sorted, distinct).
    Read(Box<[ValueId]>),
}

#[derive(Clone, Copy, Debug)]
pub struct Set;

fn elements(value: &Value, values: &mut Interner) -> Result<Box<[ValueId]>, String> {
    let Some(items) = value.as_array() else {
        return Err(format!(
            "expected the set as an array of elements, found {value}"
        ));
    };
    let mut ids: Vec<ValueId> = items.iter().map(|v| values.id(v)).collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(ids.into_boxed_slice())
}

impl Model for Set {
    /// The elements, sorted by id.
    type State = Box<[ValueId]>;
    type Op = SetOp;

    fn name(&self) -> &'static str {
        "set"
    }

    /// Default: empty. `--initial` takes an array of elements.
    fn initial(
        &self,
        initial: Option<&Value>,
        values: &mut Interner,
    ) -> Result<Self::State, String> {
        match initial {
            None | Some(Value::Null) => Ok(Box::new([])),
            Some(v) => elements(v, values),
        }
    }

    fn parse(
        &self,
        f: &str,
        value: &Value,
        outcome: Outcome,
        values: &mut Interner,
    ) -> Result<Parsed<SetOp>, String> {
        match f {
            "add" => Ok(Parsed::Op(SetOp::Add(values.id(value)))),
            "read" | "r" if outcome == Outcome::Info => Ok(Parsed::Ignore),
            "read" | "r" => Ok(Parsed::Op(SetOp::Read(elements(value, values)?))),
            other => Err(format!(
                "unknown function {other:?} for set; expected add or read"
            )),
        }
    }

    fn step(&self, state: &Self::State, op: &SetOp, _choice: usize) -> Option<Self::State> {
        match op {
            SetOp::Add(e) => match state.binary_search(e) {
                Ok(_) => Some(state.clone()),
                Err(at) => {
                    let mut next = Vec::with_capacity(state.len() + 1);
                    next.extend_from_slice(&state[..at]);
                    next.push(*e);
                    next.extend_from_slice(&state[at..]);
                    Some(next.into_boxed_slice())
                }
            },
            SetOp::Read(seen) => (seen == state).then(|| state.clone()),
        }
    }

    fn required_state(&self, op: &SetOp) -> Option<Self::State> {
        match op {
            SetOp::Read(seen) => Some(seen.clone()),
            SetOp::Add(_) => None,
        }
    }

    /// An `info` add of an element no read contains can be dropped: every read linearized after
    /// the add would contain the element, so in any linearization nothing but adds follows it,
    /// and adds do not depend on what the set holds.
    fn unobserved_infos(&self, ops: &[(SetOp, bool)]) -> Vec<bool> {
        let mut seen = std::collections::HashSet::new();
        for (op, _) in ops {
            if let SetOp::Read(elements) = op {
                seen.extend(elements.iter().copied());
            }
        }
        ops.iter()
            .map(|(op, info)| *info && matches!(op, SetOp::Add(e) if !seen.contains(e)))
            .collect()
    }

    fn describe_op(&self, op: &SetOp, values: &Interner) -> String {
        match op {
            SetOp::Add(e) => format!("add {}", values.value(*e)),
            SetOp::Read(seen) => format!("read {}", self.state_json(seen, values)),
        }
    }

    fn state_json(&self, state: &Self::State, values: &Interner) -> Value {
        let mut items: Vec<Value> = state.iter().map(|e| values.value(*e).clone()).collect();
        items.sort_by_key(|v| v.to_string());
        Value::Array(items)
    }
}

/// `--model set`.
pub static SET: LinearizableChecker<Set> = LinearizableChecker {
    name: "set",
    about: "linearizable set: add an element, read the whole set",
    judges: &["add", "read", "r"],
    model: |_| Set,
};

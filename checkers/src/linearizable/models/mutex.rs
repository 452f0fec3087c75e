//! A lock (Knossos's `mutex`): `acquire` succeeds only when it is free, `release` only when it is
//! held. Like Knossos, the model does not track the owner.

use super::super::intern::Interner;
use super::super::model::{Model, Outcome, Parsed};
use super::super::unit::LinearizableChecker;
use crate::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MutexOp {
    Acquire,
    Release,
}

#[derive(Clone, Copy, Debug)]
pub struct Mutex;

impl Model for Mutex {
    /// `true` while held.
    type State = bool;
    type Op = MutexOp;

    fn name(&self) -> &'static str {
        "mutex"
    }

    /// Default: free. `--initial` accepts `false`/`"unlocked"`/`"free"` or
    /// `true`/`"locked"`/`"held"`.
    fn initial(&self, initial: Option<&Value>, _values: &mut Interner) -> Result<bool, String> {
        match initial {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::String(s)) if matches!(s.as_str(), "unlocked" | "free") => Ok(false),
            Some(Value::String(s)) if matches!(s.as_str(), "locked" | "held") => Ok(true),
            Some(other) => Err(format!(
                "a mutex starts \"unlocked\" or \"locked\" (or false/true), not {other}"
            )),
        }
    }

    fn parse(
        &self,
        f: &str,
        _value: &Value,
        _outcome: Outcome,
        _values: &mut Interner,
    ) -> Result<Parsed<MutexOp>, String> {
        match f {
            "acquire" | "lock" => Ok(Parsed::Op(MutexOp::Acquire)),
            "release" | "unlock" => Ok(Parsed::Op(MutexOp::Release)),
            other => Err(format!(
                "unknown function {other:?} for mutex; expected acquire or release"
            )),
        }
    }

    fn step(&self, held: &bool, op: &MutexOp, _choice: usize) -> Option<bool> {
        match op {
            MutexOp::Acquire => (!held).then_some(true),
            MutexOp::Release => held.then_some(false),
        }
    }

    fn required_state(&self, op: &MutexOp) -> Option<bool> {
        Some(*op == MutexOp::Release)
    }

    fn describe_op(&self, op: &MutexOp, _values: &Interner) -> String {
        match op {
            MutexOp::Acquire => "acquire".into(),
            MutexOp::Release => "release".into(),
        }
    }

    fn state_json(&self, held: &bool, _values: &Interner) -> Value {
        Value::String(if *held { "locked" } else { "unlocked" }.into())
    }
}

/// `--model mutex`.
pub static MUTEX: LinearizableChecker<Mutex> = LinearizableChecker {
    name: "mutex",
    about: "linearizable lock: acquire when free, release when held",
    judges: &["acquire", "lock", "release", "unlock"],
    model: |_| Mutex,
};

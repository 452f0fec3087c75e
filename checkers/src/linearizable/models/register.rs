//! Read/write registers, with or without compare-and-set (Knossos's `register` and
//! `cas-register`; Jepsen's `read`/`write`/`cas` vocabulary, `cas` value `[old, new]`).

use super::super::intern::{Interner, ValueId, NULL_ID};
use super::super::model::{show, Model, Outcome, Parsed};
use super::super::prepare::Call;
use super::super::search::SearchOutcome;
use super::super::unit::LinearizableChecker;
use super::values_of;
use crate::options::CheckOptions;
use crate::Value;

/// One register operation, values interned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegisterOp {
    /// A read that returned this value (`null` if it read an unwritten register).
    Read(ValueId),
    Write(ValueId),
    /// Compare-and-set: succeeds only if the register holds `old`, then holds `new`.
    Cas {
        old: ValueId,
        new: ValueId,
    },
}

/// A single register. `cas` says whether compare-and-set operations are allowed (`cas-register`)
/// or rejected as a sign the wrong model was chosen (`register`).
#[derive(Clone, Copy, Debug)]
pub struct Register {
    pub cas: bool,
    /// Read an `ok` read of `null` as Knossos does: the client did not learn the value, so the
    /// read constrains nothing. `REGISTER` and `CAS_REGISTER` set this when the register starts non-null
    /// (`--initial`), where `null` is Jepsen's "no value"; with the default `null` start, a read
    /// of `null` is a real observation of the unwritten register.
    pub null_read_unknown: bool,
}

impl Register {
    pub fn new(cas: bool) -> Self {
        Register {
            cas,
            null_read_unknown: false,
        }
    }
}

impl Model for Register {
    type State = ValueId;
    type Op = RegisterOp;

    fn name(&self) -> &'static str {
        if self.cas {
            "cas-register"
        } else {
            "register"
        }
    }

    /// Default: `null` (nothing written yet). Knossos's cas-register histories start at 0: pass
    /// `--initial 0`.
    fn initial(&self, initial: Option<&Value>, values: &mut Interner) -> Result<ValueId, String> {
        Ok(initial.map_or(NULL_ID, |v| values.id(v)))
    }

    fn parse(
        &self,
        f: &str,
        value: &Value,
        outcome: Outcome,
        values: &mut Interner,
    ) -> Result<Parsed<RegisterOp>, String> {
        Ok(Parsed::Op(match f {
            "read" | "r" => {
                if outcome == Outcome::Info || (self.null_read_unknown && value.is_null()) {
                    return Ok(Parsed::Ignore);
                }
                RegisterOp::Read(values.id(value))
            }
            "write" | "w" => RegisterOp::Write(values.id(value)),
            "cas" if self.cas => {
                let [old, new] = values_of::<2>(value, "[old, new]")?;
                RegisterOp::Cas {
                    old: values.id(old),
                    new: values.id(new),
                }
            }
            "cas" => {
                return Err(
                    "cas is not an operation of the `register` model; use `cas-register`".into(),
                )
            }
            other => {
                return Err(format!(
                    "unknown function {other:?} for {}; expected read, write{}",
                    self.name(),
                    if self.cas { " or cas" } else { "" }
                ))
            }
        }))
    }

    #[inline]
    fn step(&self, state: &ValueId, op: &RegisterOp, _choice: usize) -> Option<ValueId> {
        match *op {
            RegisterOp::Read(v) => (v == *state).then_some(v),
            RegisterOp::Write(v) => Some(v),
            RegisterOp::Cas { old, new } => (old == *state).then_some(new),
        }
    }

    fn blind_result(&self, op: &RegisterOp) -> Option<ValueId> {
        match *op {
            RegisterOp::Write(v) => Some(v),
            _ => None,
        }
    }

    fn required_state(&self, op: &RegisterOp) -> Option<ValueId> {
        match *op {
            RegisterOp::Read(v) => Some(v),
            RegisterOp::Cas { old, .. } => Some(old),
            RegisterOp::Write(_) => None,
        }
    }

    /// An `info` write (or compare-and-set) of a value that no read returns and no
    /// compare-and-set expects can be dropped: in any linearization, the operations between it
    /// and the next write would have to accept its value, and none does, so the next operation
    /// after it is a write, which does not care what it overwrote. Dropping a compare-and-set
    /// removes its expectation of `old`, which may make more writes droppable: repeat to a fixed
    /// point.
    fn unobserved_infos(&self, ops: &[(RegisterOp, bool)]) -> Vec<bool> {
        let mut observers: std::collections::HashMap<ValueId, usize> = Default::default();
        for (op, _) in ops {
            match *op {
                RegisterOp::Read(v) | RegisterOp::Cas { old: v, .. } => {
                    *observers.entry(v).or_default() += 1
                }
                RegisterOp::Write(_) => {}
            }
        }
        let mut dropped = vec![false; ops.len()];
        loop {
            let mut changed = false;
            for (i, (op, info)) in ops.iter().enumerate() {
                if !info || dropped[i] {
                    continue;
                }
                let written = match *op {
                    RegisterOp::Write(v) | RegisterOp::Cas { new: v, .. } => v,
                    RegisterOp::Read(_) => continue,
                };
                if observers.get(&written).copied().unwrap_or(0) == 0 {
                    dropped[i] = true;
                    changed = true;
                    if let RegisterOp::Cas { old, .. } = *op {
                        *observers.get_mut(&old).expect("counted above") -= 1;
                    }
                }
            }
            if !changed {
                return dropped;
            }
        }
    }

    /// Registers whose written values are all distinct are decided in polynomial time.
    fn decide(
        &self,
        calls: &[Call<RegisterOp>],
        initial: &ValueId,
    ) -> Option<SearchOutcome<ValueId>> {
        super::super::distinct::decide(calls, *initial)
    }

    fn describe_op(&self, op: &RegisterOp, values: &Interner) -> String {
        match *op {
            RegisterOp::Read(v) => format!("read {}", show(values, v)),
            RegisterOp::Write(v) => format!("write {}", show(values, v)),
            RegisterOp::Cas { old, new } => {
                format!("cas {} -> {}", show(values, old), show(values, new))
            }
        }
    }

    fn state_json(&self, state: &ValueId, values: &Interner) -> Value {
        values.value(*state).clone()
    }
}

/// `--model register`. A non-null `--initial` makes an `ok` read of `null` Jepsen's "no value".
pub static REGISTER: LinearizableChecker<Register> = LinearizableChecker {
    name: "register",
    about: "linearizable read/write register (per key); initial value null unless --initial",
    judges: &["read", "r", "write", "w"],
    model: |options| Register {
        cas: false,
        null_read_unknown: null_read_unknown(options),
    },
};

/// `--model cas-register`.
pub static CAS_REGISTER: LinearizableChecker<Register> = LinearizableChecker {
    name: "cas-register",
    about: "linearizable read/write/compare-and-set register (per key); cas value [old, new]",
    judges: &["read", "r", "write", "w", "cas"],
    model: |options| Register {
        cas: true,
        null_read_unknown: null_read_unknown(options),
    },
};

fn null_read_unknown(options: &CheckOptions) -> bool {
    options.initial.as_ref().is_some_and(|v| !v.is_null())
}

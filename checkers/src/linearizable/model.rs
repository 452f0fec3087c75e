//! Sequential specifications: what a single, atomic copy of the object would do with each
//! operation. The search asks only `step`; everything else helps it prune or explain.
//!
//! Operations are parsed once, before the search, into a model's own compact `Op` (values interned
//! to [`ValueId`]s), so that stepping is cheap and never touches JSON.

use std::fmt::Debug;
use std::hash::Hash;

use super::intern::{Interner, ValueId};
use super::outcome::{Call, SearchOutcome};
use crate::Value;

/// How an operation ended, as far as a model cares (`fail` operations never reach a model: they
/// did not happen and are dropped).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It happened; the value is the completion's (reads know what they read).
    Ok,
    /// It may or may not have happened; the value is the invocation's (a read's result is unknown).
    Info,
}

/// What parsing one operation gave.
#[derive(Clone, Debug, PartialEq)]
pub enum Parsed<Op> {
    /// An operation the search must place (or, if `info`, may place).
    Op(Op),
    /// An operation that cannot constrain anything and is left out: an `info` read, whose result
    /// nobody saw. Leaving it out is sound because a read does not change the state, and an `info`
    /// operation may not have happened at all.
    Ignore,
}

/// A sequential specification (in the style of stateright's and Porcupine's models).
pub trait Model {
    type State: Clone + Eq + Hash + Debug;
    /// Equal operations must be interchangeable (the search treats `info` twins as one).
    type Op: Clone + Debug + Eq + Hash;

    /// The name users pass to `--model`.
    fn name(&self) -> &'static str;

    /// The state before any operation: `initial` is `--initial` (JSON) or `None` for the model's
    /// default.
    fn initial(
        &self,
        initial: Option<&Value>,
        values: &mut Interner,
    ) -> Result<Self::State, String>;

    /// Reads one operation. `value` is the completion's value for `ok` operations and the
    /// invocation's for `info` ones. Errors say what was expected.
    fn parse(
        &self,
        f: &str,
        value: &Value,
        outcome: Outcome,
        values: &mut Interner,
    ) -> Result<Parsed<Self::Op>, String>;

    /// How many different states `op` may lead to from `state` (nondeterministic operations such
    /// as an `info` dequeue of an unordered queue, which may have removed any element). Default 1.
    fn choices(&self, _state: &Self::State, _op: &Self::Op) -> usize {
        1
    }

    /// The state after applying `op` to `state` (its `choice`-th outcome, `choice < choices`), or
    /// `None` if the object could not have answered what `op` says it answered.
    fn step(&self, state: &Self::State, op: &Self::Op, choice: usize) -> Option<Self::State>;

    /// If `op` always succeeds and leaves the same state whatever the state before (a blind
    /// write), that state. The search never places a *blind `info`* operation on its own; it
    /// places it only right before an operation that needs the state it leaves (see
    /// `search.rs`, "deferred operations").
    fn blind_result(&self, _op: &Self::Op) -> Option<Self::State> {
        None
    }

    /// If `op` can only succeed from exactly one state, that state (a read, a compare-and-set).
    /// Used to find the blind `info` operation that could have produced it.
    fn required_state(&self, _op: &Self::Op) -> Option<Self::State> {
        None
    }

    /// Which `info` operations can be dropped before the search because no other operation could
    /// ever observe their effect (see `prune.rs`). `ops[i].1` is true for `info` operations. The
    /// default drops nothing.
    fn unobserved_infos(&self, ops: &[(Self::Op, bool)]) -> Vec<bool> {
        vec![false; ops.len()]
    }

    /// Decides one key's operations without the general search, when this model has an exact
    /// procedure for their shape (registers whose written values are distinct: `distinct.rs`);
    /// `None` sends them to the search. The default has none.
    fn decide(
        &self,
        _calls: &[Call<Self::Op>],
        _initial: &Self::State,
    ) -> Option<SearchOutcome<Self::State>> {
        None
    }

    /// The operation in plain words, e.g. `read 3`, `cas 1 -> 2`.
    fn describe_op(&self, op: &Self::Op, values: &Interner) -> String;

    /// The state as JSON, for explanations and the anomaly's `detail`.
    fn state_json(&self, state: &Self::State, values: &Interner) -> Value;
}

/// Reads an interned value back as compact JSON text, for explanations.
pub fn show(values: &Interner, id: ValueId) -> String {
    values.value(id).to_string()
}

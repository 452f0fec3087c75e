//! From a key's events to the search's input: each operation parsed once into the model's compact
//! form with its invocation and completion positions, `info` operations open to the end, and the
//! operations that provably cannot matter left out (see [`Model::unobserved_infos`]).

use super::intern::Interner;
use super::model::{Model, Outcome, Parsed};
use super::split::{member_value, Member};
use crate::check::CheckError;
use crate::{History, OpType};

/// The completion position of an operation that never (certainly) completed.
pub const NEVER: usize = usize::MAX;

/// One operation the search may place.
#[derive(Clone, Debug)]
pub struct Call<Op> {
    pub op: Op,
    /// `info` (or never completed): may be placed anywhere after `invoke`, or not at all.
    pub info: bool,
    /// Position of the invocation event in the history.
    pub invoke: usize,
    /// Position of the completion event; [`NEVER`] for `info`.
    pub ret: usize,
    /// Position in [`History::pairs`].
    pub pair: usize,
}

/// A key's operations, sorted by invocation.
#[derive(Debug)]
pub struct Prepared<Op> {
    pub calls: Vec<Call<Op>>,
    /// `info` operations whose result is unknown and that cannot change the state (reads).
    pub ignored: usize,
    /// `info` operations dropped because nothing observes their effect.
    pub unobserved: usize,
}

pub fn prepare<M: Model>(
    model: &M,
    history: &History,
    members: &[Member],
    values: &mut Interner,
) -> Result<Prepared<M::Op>, CheckError> {
    let mut calls = Vec::with_capacity(members.len());
    let mut ignored = 0;
    for &member in members {
        let pair = &history.pairs()[member.pair];
        let (outcome, ret) = match (pair.outcome, pair.complete) {
            (OpType::Ok, Some(c)) => (Outcome::Ok, c),
            _ => (Outcome::Info, NEVER),
        };
        let value = member_value(history, member)?;
        let invoke = history.invocation(pair);
        let parsed = model
            .parse(&invoke.f, value, outcome, values)
            .map_err(|message| CheckError::BadOperation {
                index: invoke.index,
                message: format!("{} ({} {}): {message}", model.name(), invoke.f, value),
            })?;
        match parsed {
            Parsed::Ignore => ignored += 1,
            Parsed::Op(op) => calls.push(Call {
                op,
                info: outcome == Outcome::Info,
                invoke: pair.invoke,
                ret,
                pair: member.pair,
            }),
        }
    }
    let flags: Vec<(M::Op, bool)> = calls.iter().map(|c| (c.op.clone(), c.info)).collect();
    let drop = model.unobserved_infos(&flags);
    let before = calls.len();
    let mut i = 0;
    calls.retain(|_| {
        i += 1;
        !drop[i - 1]
    });
    let unobserved = before - calls.len();
    calls.sort_by_key(|c| c.invoke);
    Ok(Prepared {
        calls,
        ignored,
        unobserved,
    })
}

//! From a key's events to the search's input: each operation parsed once into the model's compact
//! form with its invocation and completion positions, `info` operations open to the end, and the
//! operations that provably cannot matter left out (see [`Model::unobserved_infos`]).

use super::intern::Interner;
use super::model::{Model, Outcome, Parsed};
pub use super::outcome::{Call, NEVER};
use super::split::{member_value, walk_by_key, Member};
use crate::options::CheckError;
use crate::{History, OpType, Value};

/// A key's operations, sorted by invocation.
#[derive(Debug)]
pub struct Prepared<Op> {
    pub calls: Vec<Call<Op>>,
    /// Reads that constrain nothing: `info` reads, and null reads under the Knossos convention.
    pub ignored: usize,
    /// `info` operations dropped because nothing observes their effect.
    pub unobserved: usize,
}

/// A key and its operations.
#[derive(Debug)]
pub struct KeyCalls<Op> {
    pub key: Option<Value>,
    pub prepared: Prepared<Op>,
}

/// Every key's operations, and the number of `fail` operations left out.
pub type AllKeys<Op> = (Vec<KeyCalls<Op>>, usize);

/// Splits the history by key (see `split.rs`) and prepares each key's operations, in one pass
/// over the events. Returns the keys in order of first appearance and the number of `fail`
/// operations left out.
pub fn prepare_all<M: Model>(
    model: &M,
    history: &History,
    independent_tuples: bool,
    values: &mut Interner,
) -> Result<AllKeys<M::Op>, CheckError> {
    let mut keys: Vec<KeyCalls<M::Op>> = Vec::new();
    let failed = walk_by_key(history, independent_tuples, |group, new_key, member| {
        if let Some(key) = new_key {
            keys.push(KeyCalls {
                key: key.cloned(),
                prepared: Prepared {
                    calls: Vec::new(),
                    ignored: 0,
                    unobserved: 0,
                },
            });
        }
        let prepared = &mut keys[group].prepared;
        match parse_call(model, history, member, values)? {
            Some(call) => prepared.calls.push(call),
            None => prepared.ignored += 1,
        }
        Ok(())
    })?;
    for key in &mut keys {
        finish(model, &mut key.prepared);
    }
    Ok((keys, failed))
}

/// Prepares the operations of one key's `members`.
pub fn prepare<M: Model>(
    model: &M,
    history: &History,
    members: &[Member],
    values: &mut Interner,
) -> Result<Prepared<M::Op>, CheckError> {
    let mut prepared = Prepared {
        calls: Vec::with_capacity(members.len()),
        ignored: 0,
        unobserved: 0,
    };
    for &member in members {
        match parse_call(model, history, member, values)? {
            Some(call) => prepared.calls.push(call),
            None => prepared.ignored += 1,
        }
    }
    finish(model, &mut prepared);
    Ok(prepared)
}

/// Parses one operation; `None` if the model ignores it.
fn parse_call<M: Model>(
    model: &M,
    history: &History,
    member: Member,
    values: &mut Interner,
) -> Result<Option<Call<M::Op>>, CheckError> {
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
    Ok(match parsed {
        Parsed::Ignore => None,
        Parsed::Op(op) => Some(Call {
            op,
            info: outcome == Outcome::Info,
            invoke: pair.invoke,
            ret,
            pair: member.pair,
        }),
    })
}

/// Drops the unobserved `info` operations and sorts by invocation.
fn finish<M: Model>(model: &M, prepared: &mut Prepared<M::Op>) {
    let calls = &mut prepared.calls;
    if calls.iter().any(|c| c.info) {
        let flags: Vec<(M::Op, bool)> = calls.iter().map(|c| (c.op.clone(), c.info)).collect();
        let drop = model.unobserved_infos(&flags);
        let before = calls.len();
        let mut i = 0;
        calls.retain(|_| {
            i += 1;
            !drop[i - 1]
        });
        prepared.unobserved = before - calls.len();
    }
    // Pairs are in invocation order already; keep the sort for callers that are not.
    if !calls.windows(2).all(|w| w[0].invoke <= w[1].invoke) {
        calls.sort_by_key(|c| c.invoke);
    }
}

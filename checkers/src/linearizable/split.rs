//! P-compositionality (Herlihy & Wing 1990; Horn & Kroening, "Faster linearizability checking via
//! P-compositionality", 2015): a history of independent objects is linearizable exactly when each
//! object's sub-history is. Operations are split by key, either the event's `key` field or, when
//! asked (`independent_tuples`), Jepsen's independent `[key value]` tuples, and each key is
//! checked on its own.

use super::intern::Interner;
use crate::history::OpPair;
use crate::options::CheckError;
use crate::{History, OpType, Value};

/// One client operation of a key's sub-history.
#[derive(Clone, Copy, Debug)]
pub struct Member {
    /// Position in [`History::pairs`].
    pub pair: usize,
    /// The value is a `[key value]` tuple: the model sees its second element.
    pub unwrap_tuple: bool,
}

/// The operations on one key.
#[derive(Clone, Debug)]
pub struct KeyGroup {
    /// `None` for operations that carry no key.
    pub key: Option<Value>,
    pub members: Vec<Member>,
}

/// Assigns dense group numbers to keys, in order of first appearance.
#[derive(Default)]
pub struct KeyIndex {
    keys: Interner,
    /// Key id -> group.
    groups: Vec<usize>,
    /// The group of operations without a key.
    no_key: Option<usize>,
    len: usize,
}

impl KeyIndex {
    /// The group of `key`, and whether it is new.
    pub fn group(&mut self, key: Option<&Value>) -> (usize, bool) {
        let next = self.len;
        let slot = match key {
            None => self.no_key.get_or_insert(next),
            Some(k) => {
                let id = self.keys.id(k) as usize;
                if id >= self.groups.len() {
                    self.groups.resize(id + 1, usize::MAX);
                }
                if self.groups[id] == usize::MAX {
                    self.groups[id] = next;
                }
                &mut self.groups[id]
            }
        };
        let group = *slot;
        if group == next {
            self.len += 1;
        }
        (group, group == next)
    }
}

/// The key of an operation: its `key` field, or with `independent_tuples` the first element of
/// its invocation's `[key value]`.
pub fn key_of<'h>(
    history: &'h History,
    pair: &OpPair,
    independent_tuples: bool,
) -> Result<Option<&'h Value>, CheckError> {
    if independent_tuples {
        Ok(Some(tuple_key(history, pair)?))
    } else {
        Ok(history.key(pair))
    }
}

/// Walks the history's client operations that happened, grouped by key: `visit(group, new_key,
/// member)` gets each operation's group number (keys numbered in order of first appearance) and,
/// on a group's first operation, `Some(key)`. `fail` operations are left out here already: they
/// did not happen. Returns how many were left out. One walk for [`split_by_key`] and for
/// `prepare_all`, which prepares while it splits.
pub fn walk_by_key<'h>(
    history: &'h History,
    independent_tuples: bool,
    mut visit: impl FnMut(usize, Option<Option<&'h Value>>, Member) -> Result<(), CheckError>,
) -> Result<usize, CheckError> {
    let mut index = KeyIndex::default();
    let mut failed = 0;
    for (pos, pair) in history.pairs().iter().enumerate() {
        if pair.outcome == OpType::Fail {
            failed += 1;
            continue;
        }
        let key = key_of(history, pair, independent_tuples)?;
        let (group, new) = index.group(key);
        let member = Member {
            pair: pos,
            unwrap_tuple: independent_tuples,
        };
        visit(group, new.then_some(key), member)?;
    }
    Ok(failed)
}

/// Splits the history's client operations by key, keys in order of first appearance (see
/// [`walk_by_key`]). Returns the groups and the number of `fail` operations left out.
pub fn split_by_key(
    history: &History,
    independent_tuples: bool,
) -> Result<(Vec<KeyGroup>, usize), CheckError> {
    let mut groups: Vec<KeyGroup> = Vec::new();
    let failed = walk_by_key(history, independent_tuples, |group, new_key, member| {
        if let Some(key) = new_key {
            groups.push(KeyGroup {
                key: key.cloned(),
                members: Vec::new(),
            });
        }
        groups[group].members.push(member);
        Ok(())
    })?;
    Ok((groups, failed))
}

fn tuple_key<'h>(history: &'h History, pair: &OpPair) -> Result<&'h Value, CheckError> {
    let invoke = history.invocation(pair);
    match invoke.value.as_array().map(Vec::as_slice) {
        Some([key, _]) => Ok(key),
        _ => Err(CheckError::BadOperation {
            index: invoke.index,
            message: format!(
                "with independent tuples, a value must be [key, value]; found {}",
                invoke.value
            ),
        }),
    }
}

/// The value the model should read for `member`: the completion's for `ok` operations, the
/// invocation's otherwise, without the tuple's key when it has one.
pub fn member_value(history: &History, member: Member) -> Result<&Value, CheckError> {
    let pair = &history.pairs()[member.pair];
    let value = history.value(pair);
    if !member.unwrap_tuple {
        return Ok(value);
    }
    match value.as_array().map(Vec::as_slice) {
        Some([_, v]) => Ok(v),
        _ => {
            let event = match (pair.outcome, pair.complete) {
                (OpType::Ok, Some(c)) => &history.ops()[c],
                _ => history.invocation(pair),
            };
            Err(CheckError::BadOperation {
                index: event.index,
                message: format!(
                    "with independent tuples, a value must be [key, value]; found {value}"
                ),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Op;
    use serde_json::json;

    #[test]
    fn splits_by_key_field_and_drops_failures() {
        let h = History::new(vec![
            Op::new(0, 1, OpType::Invoke, "write", json!(1)).with_key(json!("a")),
            Op::new(1, 2, OpType::Invoke, "write", json!(2)).with_key(json!("b")),
            Op::new(2, 1, OpType::Ok, "write", json!(1)).with_key(json!("a")),
            Op::new(3, 2, OpType::Fail, "write", json!(2)).with_key(json!("b")),
            Op::new(4, 1, OpType::Invoke, "read", json!(null)).with_key(json!("a")),
            Op::new(5, 1, OpType::Ok, "read", json!(1)).with_key(json!("a")),
        ])
        .unwrap();
        let (groups, failed) = split_by_key(&h, false).unwrap();
        assert_eq!(failed, 1);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].key, Some(json!("a")));
        assert_eq!(groups[0].members.len(), 2);
    }

    #[test]
    fn splits_independent_tuples_and_unwraps_values() {
        let h = History::new(vec![
            Op::new(0, 1, OpType::Invoke, "read", json!([7, null])),
            Op::new(1, 2, OpType::Invoke, "write", json!([8, 3])),
            Op::new(2, 1, OpType::Ok, "read", json!([7, 5])),
            Op::new(3, 2, OpType::Ok, "write", json!([8, 3])),
        ])
        .unwrap();
        let (groups, _) = split_by_key(&h, true).unwrap();
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].key, Some(json!(7)));
        assert_eq!(member_value(&h, groups[0].members[0]).unwrap(), &json!(5));
        let bad = History::new(vec![Op::new(0, 1, OpType::Invoke, "read", json!(3))]).unwrap();
        let err = split_by_key(&bad, true).unwrap_err();
        assert!(err.to_string().contains("event 0"), "{err}");
    }
}

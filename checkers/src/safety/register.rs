//! A register's writes indexed by the value they wrote, for the checkers that ask of a read
//! "which acknowledged writes had certainly replaced the value you returned?" (lost-update and
//! staleness).
//!
//! The reasoning is the one that makes unique written values so useful (Jepsen, Elle): a read
//! that returned `v` observed the write of `v`. If that write had completed before another write
//! `w` was even invoked, every legal order puts `w` after it; if `w` was acknowledged before the
//! read began, the read should have seen `w` or something later. Such writes *supersede* the
//! read's value. Writes `write v` and `cas [old new]` (writing `new`) count; failed ones never
//! happened; indeterminate ones may take effect at any later time, so nothing supersedes them.
//! When several writes wrote the same value, the one that could have taken effect last is
//! assumed (the most favourable reading for the store).

use std::collections::HashMap;

use super::ops::{canonical, FlatOp, KeyOps};
use crate::options::CheckError;
use crate::{OpType, Value};

/// Where the value a read returned came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The register's initial value, older than every write.
    Initial,
    /// A write whose effect certainly ended by position `end` (`usize::MAX` if indeterminate).
    Write { end: usize },
    /// No write wrote it and it is not the initial value.
    Unwritten,
}

impl Source {
    /// Whether a write invoked at position `invoke` certainly comes after this source.
    pub fn superseded_by(self, invoke: usize) -> bool {
        match self {
            Source::Initial => true,
            Source::Write { end } => end != usize::MAX && invoke > end,
            Source::Unwritten => false,
        }
    }
}

/// One write that did not fail.
#[derive(Clone, Debug)]
pub struct Write {
    /// Index into the key's ops.
    pub op: usize,
    pub value: Value,
}

/// The writes and reads of one register.
pub struct Register<'a> {
    pub group: &'a KeyOps<'a>,
    pub writes: Vec<Write>,
    /// Indices into the key's ops of the `ok` reads.
    pub reads: Vec<usize>,
    initial: Value,
    latest_end: HashMap<String, usize>,
}

impl<'a> Register<'a> {
    /// Indexes `group`'s `write`, `cas` and `read` operations. `initial` is the register's value
    /// before any write (`null` unless the user says otherwise).
    pub fn new(group: &'a KeyOps<'a>, initial: &Value) -> Result<Register<'a>, CheckError> {
        let mut writes = Vec::new();
        let mut reads = Vec::new();
        let mut latest_end: HashMap<String, usize> = HashMap::new();
        for (i, op) in group.ops.iter().enumerate() {
            let written = match op.f {
                "read" if op.is_ok() => {
                    reads.push(i);
                    continue;
                }
                _ if op.outcome == OpType::Fail => continue,
                "write" => op.invoke_value.clone(),
                "cas" => match op.invoke_value.as_array().map(Vec::as_slice) {
                    Some([_, new]) => new.clone(),
                    _ => {
                        return Err(CheckError::BadOperation {
                            index: op.invoke_index,
                            message: format!(
                                "a cas value must be [old, new], found {}",
                                op.invoke_value
                            ),
                        })
                    }
                },
                _ => continue,
            };
            let end = latest_end.entry(canonical(&written)).or_insert(0);
            *end = (*end).max(op.effect_end());
            writes.push(Write {
                op: i,
                value: written,
            });
        }
        Ok(Register {
            group,
            writes,
            reads,
            initial: initial.clone(),
            latest_end,
        })
    }

    pub fn op(&self, i: usize) -> &FlatOp<'a> {
        &self.group.ops[i]
    }

    /// Where `value` came from.
    pub fn source(&self, value: &Value) -> Source {
        match self.latest_end.get(&canonical(value)) {
            Some(&end) => Source::Write { end },
            None if value == &self.initial => Source::Initial,
            None => Source::Unwritten,
        }
    }

    /// The acknowledged writes that supersede the value `read` returned: invoked after that
    /// value's write certainly ended, acknowledged before `read` began. In invocation order.
    pub fn superseding(&self, read: &FlatOp) -> Vec<&Write> {
        let source = self.source(read.value);
        self.writes
            .iter()
            .filter(|w| {
                let op = self.op(w.op);
                op.is_ok()
                    && op.complete.is_some_and(|c| c < read.invoke)
                    && source.superseded_by(op.invoke)
            })
            .collect()
    }
}

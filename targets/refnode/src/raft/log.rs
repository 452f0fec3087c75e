//! The replicated log in memory: entries indexed from 1 (index 0 is the empty prefix, term 0).

use serde::{Deserialize, Serialize};

/// One log entry. `cmd: None` is the no-op a new leader appends to commit entries of earlier terms
/// (Raft section 5.4.2: a leader only counts replicas for entries of its own term).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry<C> {
    pub term: u64,
    pub cmd: Option<C>,
}

#[derive(Clone, Debug)]
pub struct RaftLog<C> {
    entries: Vec<Entry<C>>,
}

impl<C: Clone> RaftLog<C> {
    pub fn new(entries: Vec<Entry<C>>) -> RaftLog<C> {
        RaftLog { entries }
    }

    pub fn last_index(&self) -> u64 {
        self.entries.len() as u64
    }

    pub fn last_term(&self) -> u64 {
        self.entries.last().map_or(0, |e| e.term)
    }

    /// The term at `index`; 0 for index 0; `None` past the end.
    pub fn term_at(&self, index: u64) -> Option<u64> {
        match index {
            0 => Some(0),
            i => self.entries.get(i as usize - 1).map(|e| e.term),
        }
    }

    pub fn get(&self, index: u64) -> Option<&Entry<C>> {
        index
            .checked_sub(1)
            .and_then(|i| self.entries.get(i as usize))
    }

    /// Up to `max` entries starting at `from` (1-based).
    pub fn slice(&self, from: u64, max: usize) -> Vec<Entry<C>> {
        let start = (from.max(1) - 1) as usize;
        if start >= self.entries.len() {
            return Vec::new();
        }
        let end = start.saturating_add(max).min(self.entries.len());
        self.entries[start..end].to_vec()
    }

    /// Drops every entry at `from` and after.
    pub fn truncate(&mut self, from: u64) {
        self.entries.truncate((from.max(1) - 1) as usize);
    }

    pub fn push(&mut self, entry: Entry<C>) {
        self.entries.push(entry);
    }

    /// The first index of the term at `index` (for the fast back-off of section 5.3).
    pub fn first_index_of_term_at(&self, index: u64) -> u64 {
        let Some(term) = self.term_at(index) else {
            return self.last_index() + 1;
        };
        let mut i = index;
        while i > 1 && self.term_at(i - 1) == Some(term) {
            i -= 1;
        }
        i
    }
}

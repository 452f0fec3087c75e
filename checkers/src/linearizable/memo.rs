//! The memo table of the Wing–Gong–Lowe search: every configuration (set of linearized
//! operations, model state) the search has already entered, so it never explores one twice
//! (Lowe, "Testing for linearizability", 2017, section 4).
//!
//! A configuration is stored as a 128-bit fingerprint: the XOR of a random 128-bit key per
//! linearized operation (Zobrist hashing, updated in O(1) per step, so the search never copies or
//! hashes a bitset), XORed with a random key of the interned state. This is the fingerprinting TLC
//! uses for its state space (with 64 bits there). Two different configurations share a
//! fingerprint with probability 2^-128 per pair, i.e. below 10^-20 for a search that stores 10^9
//! configurations; such a collision could only prune a branch, never invent a linearization.

use std::hash::Hash;

use crate::fxhash::{splitmix64, FxHashMap, FxHashSet};

/// A 128-bit Zobrist key.
#[inline]
pub fn zobrist(kind: u64, i: u64) -> u128 {
    let a = splitmix64(i.wrapping_mul(4).wrapping_add(kind));
    let b = splitmix64(i.wrapping_mul(4).wrapping_add(kind + 2) ^ 0x6a09_e667_f3bc_c908);
    ((a as u128) << 64) | b as u128
}

/// Zobrist key of an operation (by its dense id).
#[inline]
pub fn op_key(op: u32) -> u128 {
    zobrist(0, op as u64)
}

/// Zobrist key of an interned state.
#[inline]
pub fn state_key(state: u32) -> u128 {
    zobrist(1, state as u64)
}

/// Interns model states to dense ids, so frames and fingerprints carry a `u32`.
pub struct StateTable<S> {
    ids: FxHashMap<S, u32>,
    states: Vec<S>,
}

impl<S: Clone + Eq + Hash> Default for StateTable<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S: Clone + Eq + Hash> StateTable<S> {
    pub fn new() -> Self {
        StateTable {
            ids: FxHashMap::default(),
            states: Vec::new(),
        }
    }

    pub fn intern(&mut self, state: S) -> u32 {
        if let Some(&id) = self.ids.get(&state) {
            return id;
        }
        let id = self.states.len() as u32;
        self.ids.insert(state.clone(), id);
        self.states.push(state);
        id
    }

    pub fn get(&self, id: u32) -> &S {
        &self.states[id as usize]
    }

    pub fn len(&self) -> usize {
        self.states.len()
    }

    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// Rough bytes held: two copies of each state plus table overhead.
    pub fn estimated_bytes(&self) -> usize {
        self.states.capacity() * std::mem::size_of::<S>() * 2 + self.ids.capacity() * 16
    }
}

/// The set of configurations seen.
#[derive(Default)]
pub struct Memo {
    seen: FxHashSet<u128>,
}

impl Memo {
    /// A table with room for `n` configurations before it grows.
    pub fn with_capacity(n: usize) -> Self {
        Memo {
            seen: FxHashSet::with_capacity_and_hasher(n, Default::default()),
        }
    }

    /// True if the configuration was new (and is now recorded).
    #[inline]
    pub fn insert(&mut self, linearized: u128, state: u32) -> bool {
        self.seen.insert(linearized ^ state_key(state))
    }

    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// Bytes held by the table (16-byte slots plus one control byte each).
    pub fn estimated_bytes(&self) -> usize {
        self.seen.capacity() * 17
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configuration_is_new_once() {
        let mut m = Memo::default();
        let set = op_key(1) ^ op_key(2);
        assert!(m.insert(set, 0));
        assert!(!m.insert(op_key(2) ^ op_key(1), 0));
        assert!(m.insert(set, 1));
        assert!(m.insert(op_key(1), 0));
        assert_eq!(m.len(), 3);
    }

    #[test]
    fn states_intern_to_stable_ids() {
        let mut t = StateTable::new();
        let a = t.intern(vec![1u32, 2]);
        assert_eq!(t.intern(vec![1u32, 2]), a);
        assert_ne!(t.intern(vec![2u32]), a);
        assert_eq!(t.get(a), &vec![1, 2]);
    }
}

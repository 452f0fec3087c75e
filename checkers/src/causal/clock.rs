//! Vector clocks over sessions: `clock(t)[s]` is the highest position of session `s` in the causal
//! past of `t` (inclusive), so `a` is causally before-or-equal `b` iff
//! `clock(b)[session(a)] >= pos(a)` — an O(1) test instead of a transitive closure (Fidge 1988,
//! Mattern 1989; sessions are the chains).
//!
//! A history with many `info` completions has many sessions, and a dense clock per transaction
//! would take `transactions × sessions` words. Clocks are therefore cut into chunks of
//! [`CHUNK`] entries kept in an arena and shared: a transaction whose predecessors agree on a chunk
//! reuses it, so memory grows with what changes, not with the number of sessions.

use super::order::CausalOrder;
use super::sessions::{SessionHistory, TxnId};

/// Entries per shared chunk.
pub const CHUNK: usize = 32;

/// The clock of every transaction.
#[derive(Debug)]
pub struct Clocks {
    chunks_per_clock: usize,
    /// Chunk 0 is all zeros.
    arena: Vec<[u32; CHUNK]>,
    /// `txn * chunks_per_clock + chunk` -> chunk id in `arena`.
    table: Vec<u32>,
}

impl Clocks {
    /// Computes every clock in the condensation's topological order. Transactions of one
    /// component (a cycle) share one clock. `predecessors(t)` lists `t`'s immediate predecessors.
    /// Returns `Err(reason)` when `exhausted(bytes)` says the budget ran out.
    pub fn compute<I>(
        h: &SessionHistory,
        order: &CausalOrder,
        predecessors: impl Fn(TxnId) -> I,
        mut exhausted: impl FnMut(usize) -> Option<String>,
    ) -> Result<Clocks, String>
    where
        I: Iterator<Item = TxnId>,
    {
        let sessions = h.sessions.len().max(1);
        let chunks_per_clock = sessions.div_ceil(CHUNK);
        let mut clocks = Clocks {
            chunks_per_clock,
            arena: vec![[0; CHUNK]],
            table: vec![0; h.txns.len() * chunks_per_clock],
        };
        let mut preds: Vec<TxnId> = Vec::new();
        let mut kept: Vec<TxnId> = Vec::new();
        let mut own: Vec<(usize, u32)> = Vec::new();
        let mut row = vec![0u32; chunks_per_clock];
        for c in 0..order.components() as u32 {
            if c % 4096 == 0 {
                if let Some(reason) = exhausted(clocks.bytes()) {
                    return Err(reason);
                }
            }
            let members = order.members(c);
            preds.clear();
            own.clear();
            for &m in members {
                let txn = h.txn(m);
                own.push((txn.session as usize, txn.pos));
                preds.extend(predecessors(m).filter(|&p| order.comp[p as usize] != c));
            }
            // Keep only maximal predecessors: one already before another adds nothing. The
            // latest in topological order are the likeliest to cover the rest, so try them first.
            preds.sort_unstable_by_key(|&p| std::cmp::Reverse(order.comp[p as usize]));
            preds.dedup();
            kept.clear();
            for &p in &preds {
                let txn = h.txn(p);
                if !kept.iter().any(|&k| clocks.get(k, txn.session) >= txn.pos) {
                    kept.push(p);
                }
            }
            own.sort_unstable();
            for (chunk, slot) in row.iter_mut().enumerate() {
                *slot = clocks.join_chunk(chunk, &kept, &own);
            }
            for &m in members {
                let start = m as usize * chunks_per_clock;
                clocks.table[start..start + chunks_per_clock].copy_from_slice(&row);
            }
        }
        Ok(clocks)
    }

    /// The join of `kept`'s clocks on one chunk, raised by the component's own positions.
    fn join_chunk(&mut self, chunk: usize, kept: &[TxnId], own: &[(usize, u32)]) -> u32 {
        let lo = chunk * CHUNK;
        let from = own.partition_point(|(s, _)| *s < lo);
        let to = own.partition_point(|(s, _)| *s < lo + CHUNK);
        let own_here = &own[from..to];
        let ids = kept
            .iter()
            .map(|&k| self.table[k as usize * self.chunks_per_clock + chunk]);
        let mut first: Option<u32> = None;
        let mut all_same = true;
        for id in ids.clone() {
            match first {
                None => first = Some(id),
                Some(f) if f != id => all_same = false,
                _ => {}
            }
        }
        if own_here.is_empty() && all_same {
            return first.unwrap_or(0);
        }
        let mut merged = [0u32; CHUNK];
        for id in ids.clone() {
            for (m, v) in merged.iter_mut().zip(self.arena[id as usize].iter()) {
                *m = (*m).max(*v);
            }
        }
        for &(s, pos) in own_here {
            let e = &mut merged[s - lo];
            *e = (*e).max(pos);
        }
        if let Some(id) = ids
            .into_iter()
            .find(|&id| self.arena[id as usize] == merged)
        {
            return id;
        }
        self.arena.push(merged);
        (self.arena.len() - 1) as u32
    }

    /// The highest position of `session` in the causal past of `txn`, inclusive.
    #[inline]
    pub fn get(&self, txn: TxnId, session: u32) -> u32 {
        let s = session as usize;
        let id = self.table[txn as usize * self.chunks_per_clock + s / CHUNK];
        self.arena[id as usize][s % CHUNK]
    }

    /// Whether `a` is causally before `b`, or is `b` (or in `b`'s cycle).
    #[inline]
    pub fn before_or_same(&self, h: &SessionHistory, a: TxnId, b: TxnId) -> bool {
        let ta = h.txn(a);
        self.get(b, ta.session) >= ta.pos
    }

    /// What the clocks hold, for the memory budget and the report.
    pub fn bytes(&self) -> usize {
        self.arena.len() * CHUNK * 4 + self.table.len() * 4
    }
}

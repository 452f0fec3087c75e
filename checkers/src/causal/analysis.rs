//! What every causal rule reads: the sessions, reads-from, the causal order and its clocks, built
//! once per history.

use std::collections::HashMap;

use super::clock::Clocks;
use super::order::{predecessors, CausalOrder};
use super::reads_from::ReadsFrom;
use super::sessions::{SessionHistory, SessionId, TxnId};

pub struct Analysis<'h> {
    pub h: &'h SessionHistory,
    pub rf: ReadsFrom,
    pub order: CausalOrder,
    pub clocks: Clocks,
    /// `(writer, session)` -> the earliest position in `session` of a transaction that read from
    /// `writer`: what monotonic-reads and writes-follow-reads ask about.
    first_reader: HashMap<(TxnId, SessionId), u32>,
}

impl<'h> Analysis<'h> {
    /// Builds everything; `Err(reason)` when the budget ran out while computing clocks.
    pub fn build(
        h: &'h SessionHistory,
        exhausted: impl FnMut(usize) -> Option<String>,
    ) -> Result<Analysis<'h>, String> {
        let rf = ReadsFrom::infer(h);
        let order = CausalOrder::build(h, &rf);
        let clocks = Clocks::compute(
            h,
            &order,
            |t| predecessors(h, &rf, t).map(|(p, _)| p),
            exhausted,
        )?;
        let mut first_reader: HashMap<(TxnId, SessionId), u32> = HashMap::new();
        for (t, sources) in rf.sources.iter().enumerate() {
            let reader = h.txn(t as TxnId);
            for e in sources {
                first_reader
                    .entry((e.write.txn, reader.session))
                    .and_modify(|p| *p = (*p).min(reader.pos))
                    .or_insert(reader.pos);
            }
        }
        Ok(Analysis {
            h,
            rf,
            order,
            clocks,
            first_reader,
        })
    }

    /// `a` is causally before-or-equal `b`.
    #[inline]
    pub fn before_or_same(&self, a: TxnId, b: TxnId) -> bool {
        self.clocks.before_or_same(self.h, a, b)
    }

    /// The earliest position in `session` of a transaction that read from `writer`.
    pub fn first_reader(&self, writer: TxnId, session: SessionId) -> Option<u32> {
        self.first_reader.get(&(writer, session)).copied()
    }

    /// The highest position of `session` that `reader` must have seen: its clock entry, or for
    /// its own session everything strictly before it.
    #[inline]
    pub fn seen_bound(&self, reader: TxnId, session: SessionId) -> u32 {
        let r = self.h.txn(reader);
        if r.session == session {
            r.pos - 1
        } else {
            self.clocks.get(reader, session)
        }
    }
}

//! What every causal rule reads: the sessions, reads-from, the causal order and its clocks, built
//! once per history.

use std::cell::OnceCell;

use super::clock::Clocks;
use super::order::{predecessors, CausalOrder};
use super::reads_from::ReadsFrom;
use super::sessions::{SessionHistory, SessionId, TxnId};

pub struct Analysis<'h> {
    pub h: &'h SessionHistory,
    pub rf: ReadsFrom,
    pub order: CausalOrder,
    pub clocks: Clocks,
    /// Per writer, the transactions that read from it, sorted by (session, position); built on
    /// the first violation, since only classifying violations needs it.
    readers: OnceCell<Vec<Vec<(SessionId, u32)>>>,
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
        Ok(Analysis {
            h,
            rf,
            order,
            clocks,
            readers: OnceCell::new(),
        })
    }

    /// `a` is causally before-or-equal `b`.
    #[inline]
    pub fn before_or_same(&self, a: TxnId, b: TxnId) -> bool {
        self.clocks.before_or_same(self.h, a, b)
    }

    /// Whether a transaction of `session` at a position up to `up_to` read from `writer`: what
    /// monotonic-reads and writes-follow-reads ask.
    pub fn read_in_session(&self, writer: TxnId, session: SessionId, up_to: u32) -> bool {
        let readers = self.readers.get_or_init(|| {
            let mut readers = vec![Vec::new(); self.h.txns.len()];
            for (t, sources) in self.rf.sources.iter().enumerate() {
                let r = self.h.txn(t as TxnId);
                for e in sources {
                    readers[e.write.txn as usize].push((r.session, r.pos));
                }
            }
            for list in &mut readers {
                list.sort_unstable();
            }
            readers
        });
        let list = &readers[writer as usize];
        let i = list.partition_point(|&(s, _)| s < session);
        list.get(i)
            .is_some_and(|&(s, p)| s == session && p <= up_to)
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

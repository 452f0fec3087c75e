//! Cycles in the causal order (Bouajjani et al.'s CyclicCO, POPL 2017): an operation in its own
//! causal past, e.g. two transactions that each read the other's write, or a read of a value its
//! own session writes only later. One shortest cycle is reported per strongly connected component.

use std::collections::{HashMap, VecDeque};

use super::analysis::Analysis;
use super::chain::{self, Step};
use super::order::{predecessors, EdgeKind};
use super::sessions::TxnId;
use super::sink::Sink;
use crate::verdict::{AnomalyDetail, CausalChain};
use crate::Anomaly;

/// A shortest cycle through the first member of component `c`, as chain steps.
pub fn shortest(a: &Analysis, c: u32) -> Option<Vec<Step>> {
    let start = *a.order.members(c).first()?;
    // Breadth-first over reversed edges: `next[u]` is the step u -> v towards `start`.
    let mut next: HashMap<TxnId, Step> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for (u, kind) in predecessors(a.h, &a.rf, v) {
            if a.order.comp[u as usize] != c {
                continue;
            }
            let step = Step {
                from: u,
                to: v,
                kind,
                write: match kind {
                    EdgeKind::Session | EdgeKind::Arbitration { .. } => None,
                    EdgeKind::ReadsFrom => a.rf.sources[v as usize]
                        .iter()
                        .find(|e| e.write.txn == u)
                        .map(|e| e.write),
                },
            };
            if u == start {
                let mut steps = vec![step];
                let mut x = v;
                while x != start {
                    let s = next[&x];
                    steps.push(s);
                    x = s.to;
                }
                return Some(steps);
            }
            if let std::collections::hash_map::Entry::Vacant(e) = next.entry(u) {
                e.insert(step);
                queue.push_back(u);
            }
        }
    }
    None
}

/// Reports one cycle per cyclic component.
pub fn report(a: &Analysis, sink: &mut Sink) {
    for &c in &a.order.cyclic {
        let Some(steps) = shortest(a, c) else {
            continue;
        };
        sink.add("causal-cycle", || Anomaly {
            kind: "causal-cycle".to_string(),
            ops: chain::events(a, &steps),
            explanation: format!(
                "The causal order has a cycle ({} transactions involved): {}. Causality cannot \
                 be circular: an operation cannot be in its own causal past.",
                a.order.members(c).len(),
                chain::text(a, &steps)
            ),
            detail: Some(AnomalyDetail::CausalChain(CausalChain {
                members: Some(a.order.members(c).len()),
                ..chain::detail(a, &steps)
            })),
        });
    }
}

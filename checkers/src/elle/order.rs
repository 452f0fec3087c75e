//! Process and real-time orders between transactions (Elle section 4.4). A transaction that
//! completed `ok` before another was invoked must be ordered before it under strict models, and a
//! process's transactions follow each other under session models.
//!
//! The real-time order is not built naively (that is O(n²) edges): as in Elle, each transaction
//! links only to the *frontier* — the transactions that completed most recently before it was
//! invoked, none of which precedes another. The frontier stays as small as the concurrency, and
//! every other real-time precedence follows by transitivity.

use super::graph::{EdgeList, PROCESS, REALTIME};
use super::intern::{fast_map, FastMap};
use super::txns::{Outcome, Txns};

/// Adds an edge from each `ok` transaction to the next transaction of the same process. Failed
/// transactions are left out (they are not in the graph); an indeterminate one may take effect
/// at any later time, so it precedes nothing.
pub fn add_process_edges(txns: &Txns, edges: &mut EdgeList) {
    let mut last_ok: FastMap<u64, u32> = fast_map();
    for (t, txn) in txns.txns.iter().enumerate() {
        let Some(p) = txn.process else { continue };
        if txn.outcome == Outcome::Fail {
            continue;
        }
        if let Some(&prev) = last_ok.get(&p) {
            edges.add(prev, t as u32, PROCESS, None);
        }
        if txn.outcome == Outcome::Ok {
            last_ok.insert(p, t as u32);
        }
    }
}

/// Adds real-time edges: from each transaction of the completion frontier at the moment a
/// transaction is invoked, to it — except between transactions of one process, which the process
/// order already relates. `event_count` is the number of events in the history.
pub fn add_realtime_edges(txns: &Txns, event_count: usize, edges: &mut EdgeList) {
    const COMPLETE: u32 = 1 << 31;
    let mut at = vec![u32::MAX; event_count];
    for (t, txn) in txns.txns.iter().enumerate() {
        if txn.outcome == Outcome::Fail {
            continue;
        }
        at[txn.invoke_pos as usize] = t as u32;
        if let (Outcome::Ok, Some(c)) = (txn.outcome, txn.complete_pos) {
            at[c as usize] = t as u32 | COMPLETE;
        }
    }
    // For each in-flight `ok` transaction: the frontier when it was invoked.
    let mut preds_at: FastMap<u32, Vec<u32>> = fast_map();
    let mut frontier: Vec<u32> = Vec::new();
    for &mark in &at {
        if mark == u32::MAX {
            continue;
        }
        if mark & COMPLETE == 0 {
            let process = txns.txns[mark as usize].process;
            for &u in &frontier {
                // Within one process the process order already says this (and says it better).
                if process.is_none() || txns.txns[u as usize].process != process {
                    edges.add(u, mark, REALTIME, None);
                }
            }
            if txns.txns[mark as usize].outcome == Outcome::Ok {
                preds_at.insert(mark, frontier.clone());
            }
        } else {
            let t = mark & !COMPLETE;
            let preds = preds_at.remove(&t).unwrap_or_default();
            frontier.retain(|u| !preds.contains(u));
            frontier.push(t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::graph::NONE;
    use super::super::txns::Workload;
    use super::*;
    use crate::{History, Op, OpType};
    use serde_json::json;

    fn edges_of(h: &History, f: fn(&Txns, &mut EdgeList)) -> Vec<(u32, u32)> {
        let txns = Txns::collect(h, Workload::ListAppend).unwrap();
        let mut e = EdgeList::default();
        f(&txns, &mut e);
        assert!(e.why.iter().all(|&w| w == NONE));
        let mut v: Vec<(u32, u32)> = e.from.iter().copied().zip(e.to.iter().copied()).collect();
        v.sort();
        v
    }

    fn txn(i: u64, p: u64, k: OpType) -> Op {
        Op::new(i, p, k, "txn", json!([["append", "x", i]]))
    }

    #[test]
    fn realtime_links_only_the_frontier() {
        // T0 [0,1]  T1 [2,3]  T2 [4,6] T3 [5,7]  T4 [8,9]
        let h = History::new(vec![
            txn(0, 0, OpType::Invoke),
            txn(1, 0, OpType::Ok),
            txn(2, 1, OpType::Invoke),
            txn(3, 1, OpType::Ok),
            txn(4, 2, OpType::Invoke),
            txn(5, 3, OpType::Invoke),
            txn(6, 2, OpType::Ok),
            txn(7, 3, OpType::Ok),
            txn(8, 4, OpType::Invoke),
            txn(9, 4, OpType::Ok),
        ])
        .unwrap();
        let rt = edges_of(&h, |t, e| add_realtime_edges(t, 10, e));
        // T0 -> T1 only (T0 -> T2 follows through T1); T1 -> T2, T1 -> T3; T2, T3 -> T4.
        assert_eq!(rt, vec![(0, 1), (1, 2), (1, 3), (2, 4), (3, 4)]);
    }

    #[test]
    fn process_order_skips_failed_and_starts_nothing_from_indeterminate() {
        let h = History::new(vec![
            txn(0, 1, OpType::Invoke),
            txn(1, 1, OpType::Ok),
            txn(2, 1, OpType::Invoke),
            txn(3, 1, OpType::Fail),
            txn(4, 1, OpType::Invoke),
            txn(5, 1, OpType::Info),
            txn(6, 1, OpType::Invoke),
            txn(7, 1, OpType::Ok),
        ])
        .unwrap();
        let p = edges_of(&h, add_process_edges);
        assert_eq!(p, vec![(0, 2), (0, 3)]);
    }
}

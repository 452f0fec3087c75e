//! Causal convergence (CCv of Bouajjani et al., POPL 2017; "causal+" of COPS, Lloyd et al.,
//! SOSP 2011): on top of causal consistency, every replica orders conflicting writes the same
//! way, so replicas converge. Asked for with `--consistency-model causal-convergence`.
//!
//! A history is CCv iff it is CC and the causal order together with the *arbitration* it forces
//! is acyclic (Bouajjani's CyclicCF pattern):
//!
//! - register: a read of `x` that returned `W`'s write while `W'` (also writing `x`) was in its
//!   causal past forces `W'` before `W`;
//! - list: a read that lists `a` before `b` forces `a`'s append before `b`'s.
//!
//! A topological order of that union is then a single order all reads agree with.

use std::collections::{HashMap, VecDeque};

use petgraph::graph::{DiGraph, NodeIndex};

use super::analysis::Analysis;
use super::chain::{self, Step};
use super::missed_write::KeyWrites;
use super::order::{predecessors, EdgeKind};
use super::reads_from::WriteRef;
use super::sessions::TxnId;
use super::sink::Sink;
use crate::verdict::AnomalyDetail;
use crate::Anomaly;

/// One forced order: `from`'s write before `to`'s, because of a read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Arbitration {
    from: TxnId,
    to: TxnId,
    reader: TxnId,
    mop: u32,
}

fn arbitrations(a: &Analysis, kw: &KeyWrites) -> Vec<Arbitration> {
    let mut out = Vec::new();
    for read in &a.rf.list_reads {
        let mut previous: Option<TxnId> = None;
        for w in read.elements.iter().flatten() {
            if let Some(p) = previous.filter(|&p| p != w.txn) {
                out.push(Arbitration {
                    from: p,
                    to: w.txn,
                    reader: read.txn,
                    mop: read.mop,
                });
            }
            previous = Some(w.txn);
        }
    }
    for read in &a.rf.register_reads {
        let Some(source) = read.source else {
            continue;
        };
        for sw in kw.sessions(read.key) {
            let bound = a.seen_bound(read.txn, sw.session);
            let due = sw.writes.partition_point(|(pos, _)| *pos <= bound);
            if let Some(&(_, latest)) = due.checked_sub(1).map(|i| &sw.writes[i]) {
                if latest.txn != source.txn && latest.txn != read.txn {
                    out.push(Arbitration {
                        from: latest.txn,
                        to: source.txn,
                        reader: read.txn,
                        mop: read.mop,
                    });
                }
            }
        }
    }
    out.sort_unstable();
    out.dedup_by_key(|e| (e.from, e.to));
    out
}

/// Reports one `convergence-cycle` per strongly connected component of causal order ∪
/// arbitration that needs an arbitration edge (pure causal cycles are `causal-cycle`s).
pub fn report(a: &Analysis, kw: &KeyWrites, sink: &mut Sink) {
    let arb = arbitrations(a, kw);
    if arb.is_empty() {
        return;
    }
    let n = a.h.txns.len();
    // successors with the step that leads there
    let mut succ: Vec<Vec<Step>> = vec![Vec::new(); n];
    for t in 0..n as TxnId {
        for (p, kind) in predecessors(a.h, &a.rf, t) {
            let write = match kind {
                EdgeKind::ReadsFrom => a.rf.sources[t as usize]
                    .iter()
                    .find(|e| e.write.txn == p)
                    .map(|e| e.write),
                _ => None,
            };
            succ[p as usize].push(step(p, t, kind, write));
        }
    }
    for e in &arb {
        let kind = EdgeKind::Arbitration {
            reader: e.reader,
            mop: e.mop,
        };
        succ[e.from as usize].push(step(e.from, e.to, kind, None));
    }
    let mut g: DiGraph<(), ()> = DiGraph::with_capacity(n, n);
    for _ in 0..n {
        g.add_node(());
    }
    for list in &succ {
        for s in list {
            g.add_edge(
                NodeIndex::new(s.from as usize),
                NodeIndex::new(s.to as usize),
                (),
            );
        }
    }
    let mut comp = vec![usize::MAX; n];
    for (c, members) in petgraph::algo::kosaraju_scc(&g).iter().enumerate() {
        if members.len() > 1 {
            for m in members {
                comp[m.index()] = c;
            }
        }
    }
    let mut reported = vec![false; n];
    for e in &arb {
        let c = comp[e.from as usize];
        if c == usize::MAX || comp[e.to as usize] != c || reported[c] {
            continue;
        }
        reported[c] = true;
        let Some(path) = shortest_path(&succ, &comp, e.to, e.from) else {
            continue;
        };
        let first = succ[e.from as usize]
            .iter()
            .find(|s| s.to == e.to && matches!(s.kind, EdgeKind::Arbitration { .. }))
            .copied()
            .expect("the arbitration edge is in the successor lists");
        let mut steps = vec![first];
        steps.extend(path);
        sink.add("convergence-cycle", || Anomaly {
            kind: "convergence-cycle".to_string(),
            ops: chain::events(a, &steps),
            explanation: format!(
                "Reads force an order of writes that contradicts causality or itself: {}. Under \
                 causal convergence every replica applies conflicting writes in one order that \
                 respects causality, so no such cycle can exist.",
                chain::text(a, &steps)
            ),
            detail: Some(AnomalyDetail::CausalChain(chain::detail(a, &steps))),
        });
    }
}

fn step(from: TxnId, to: TxnId, kind: EdgeKind, write: Option<WriteRef>) -> Step {
    Step {
        from,
        to,
        kind,
        write,
    }
}

/// Breadth-first path from `start` to `goal` inside their component.
fn shortest_path(
    succ: &[Vec<Step>],
    comp: &[usize],
    start: TxnId,
    goal: TxnId,
) -> Option<Vec<Step>> {
    let c = comp[start as usize];
    let mut came: HashMap<TxnId, Step> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(x) = queue.pop_front() {
        if x == goal {
            let mut path = Vec::new();
            let mut y = goal;
            while y != start {
                let s = came[&y];
                path.push(s);
                y = s.from;
            }
            path.reverse();
            return Some(path);
        }
        for s in &succ[x as usize] {
            if comp[s.to as usize] == c && s.to != start && !came.contains_key(&s.to) {
                came.insert(s.to, *s);
                queue.push_back(s.to);
            }
        }
    }
    None
}

//! The causal order: session order ∪ reads-from, transitively closed (Ahamad et al., "Causal
//! memory", Distributed Computing 1995; Bouajjani et al., POPL 2017).
//!
//! Here only its generating edges are built, and its strongly connected components found: a
//! component with more than one transaction is a cycle (Bouajjani's CyclicCO), reported by
//! [`super::cycle`]. The other rules run over the condensation, in the topological order computed
//! here, with [`super::clock`] answering "is a before b" in O(1).

use petgraph::graph::{DiGraph, NodeIndex};

use super::reads_from::ReadsFrom;
use super::sessions::{SessionHistory, TxnId};

/// Why one transaction is causally before another, for one generating edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeKind {
    /// Same session, earlier.
    Session,
    /// The later one read a value the earlier one wrote.
    ReadsFrom,
    /// Not causal: under causal convergence the earlier one's write must be ordered before the
    /// later one's, because the read `mop` of transaction `reader` showed them so (or showed the
    /// later one although the earlier one was in its causal past).
    Arbitration { reader: TxnId, mop: u32 },
}

/// The generating edges and the condensation's topological order.
#[derive(Debug)]
pub struct CausalOrder {
    /// Every transaction, grouped by component, components in topological order.
    pub topo: Vec<TxnId>,
    /// Component of each transaction (components are numbered in topological order).
    pub comp: Vec<u32>,
    /// Component id -> start of its members in `topo`; one extra entry at the end.
    pub comp_start: Vec<u32>,
    /// Components with more than one member.
    pub cyclic: Vec<u32>,
}

/// The immediate causal predecessors of `t`: its session predecessor and the transactions it read.
pub fn predecessors<'a>(
    h: &'a SessionHistory,
    rf: &'a ReadsFrom,
    t: TxnId,
) -> impl Iterator<Item = (TxnId, EdgeKind)> + 'a {
    let txn = h.txn(t);
    let so = (txn.pos > 1).then(|| {
        (
            h.sessions[txn.session as usize][txn.pos as usize - 2],
            EdgeKind::Session,
        )
    });
    so.into_iter().chain(
        rf.sources[t as usize]
            .iter()
            .map(|e| (e.write.txn, EdgeKind::ReadsFrom)),
    )
}

impl CausalOrder {
    pub fn build(h: &SessionHistory, rf: &ReadsFrom) -> CausalOrder {
        let n = h.txns.len();
        // Kahn's algorithm first: linear, and enough whenever the order is acyclic.
        let mut succ_count = vec![0u32; n + 1];
        let mut indegree = vec![0u32; n];
        for t in 0..n as TxnId {
            for (p, _) in predecessors(h, rf, t) {
                succ_count[p as usize + 1] += 1;
                indegree[t as usize] += 1;
            }
        }
        for i in 0..n {
            succ_count[i + 1] += succ_count[i];
        }
        let mut fill = succ_count.clone();
        let mut succ = vec![0 as TxnId; succ_count[n] as usize];
        for t in 0..n as TxnId {
            for (p, _) in predecessors(h, rf, t) {
                succ[fill[p as usize] as usize] = t;
                fill[p as usize] += 1;
            }
        }
        let mut topo: Vec<TxnId> = (0..n as TxnId)
            .filter(|&t| indegree[t as usize] == 0)
            .collect();
        let mut head = 0;
        while head < topo.len() {
            let t = topo[head] as usize;
            head += 1;
            for &s in &succ[succ_count[t] as usize..succ_count[t + 1] as usize] {
                indegree[s as usize] -= 1;
                if indegree[s as usize] == 0 {
                    topo.push(s);
                }
            }
        }
        if topo.len() == n {
            let mut comp = vec![0u32; n];
            for (rank, &t) in topo.iter().enumerate() {
                comp[t as usize] = rank as u32;
            }
            return CausalOrder {
                topo,
                comp,
                comp_start: (0..=n as u32).collect(),
                cyclic: Vec::new(),
            };
        }
        Self::condense(h, rf)
    }

    /// Strongly connected components (Kosaraju, iterative, so long sessions cannot overflow the
    /// stack), in topological order.
    fn condense(h: &SessionHistory, rf: &ReadsFrom) -> CausalOrder {
        let n = h.txns.len();
        let mut g: DiGraph<(), ()> = DiGraph::with_capacity(n, n);
        for _ in 0..n {
            g.add_node(());
        }
        for t in 0..n as TxnId {
            for (p, _) in predecessors(h, rf, t) {
                g.add_edge(NodeIndex::new(p as usize), NodeIndex::new(t as usize), ());
            }
        }
        let mut sccs = petgraph::algo::kosaraju_scc(&g);
        sccs.reverse();
        let mut topo = Vec::with_capacity(n);
        let mut comp = vec![0u32; n];
        let mut comp_start = Vec::with_capacity(sccs.len() + 1);
        let mut cyclic = Vec::new();
        for (c, members) in sccs.iter().enumerate() {
            comp_start.push(topo.len() as u32);
            if members.len() > 1 {
                cyclic.push(c as u32);
            }
            for m in members {
                comp[m.index()] = c as u32;
                topo.push(m.index() as TxnId);
            }
        }
        comp_start.push(topo.len() as u32);
        CausalOrder {
            topo,
            comp,
            comp_start,
            cyclic,
        }
    }

    pub fn components(&self) -> usize {
        self.comp_start.len() - 1
    }

    pub fn members(&self, c: u32) -> &[TxnId] {
        &self.topo[self.comp_start[c as usize] as usize..self.comp_start[c as usize + 1] as usize]
    }

    pub fn same_component(&self, a: TxnId, b: TxnId) -> bool {
        self.comp[a as usize] == self.comp[b as usize]
    }
}

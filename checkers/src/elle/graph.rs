//! The dependency graph of Adya's thesis (1999, section 3.1.4): one vertex per transaction, an edge
//! per dependency — write-write (ww), write-read (wr), read-write anti-dependency (rw) — plus the
//! process and real-time orders Elle adds for session and strict models. Stored as CSR arrays
//! (offsets + targets) because the cycle searches walk it millions of times.

/// Edge kinds, as bits so that a search can allow a set of them with one mask.
pub const WW: u8 = 1;
pub const WR: u8 = 2;
pub const RW: u8 = 4;
pub const PROCESS: u8 = 8;
pub const REALTIME: u8 = 16;
/// The three data dependencies.
pub const DATA: u8 = WW | WR | RW;
pub const ALL: u8 = DATA | PROCESS | REALTIME;

use super::intern::FastMap;

/// "no such" for `u32` indices.
pub const NONE: u32 = u32::MAX;

pub fn kind_name(kind: u8) -> &'static str {
    match kind {
        WW => "ww",
        WR => "wr",
        RW => "rw",
        PROCESS => "process",
        REALTIME => "realtime",
        _ => "?",
    }
}

/// Why a data edge exists, for the explanation: the key, the values (elements or register values)
/// that relate the two transactions, and the read micro-op that observed it (a position in
/// `Txns::mops`), each [`NONE`] when it does not apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reason {
    pub key: u32,
    /// The version the edge starts from: the element or value the first transaction wrote (ww,
    /// wr) or that the reader saw last (rw).
    pub from_val: u32,
    /// The version the edge leads to: what the second transaction wrote (ww, rw).
    pub to_val: u32,
    /// The read micro-op involved (wr: the second transaction's read; rw: the first's).
    pub read: u32,
    /// How the order between the two versions is known (one of the `VIA_*` constants).
    pub via: u8,
    /// For `VIA_WFR` / `VIA_PROCESS` / `VIA_REALTIME`: the transaction that witnessed it.
    pub witness: u32,
}

/// The versions are adjacent in the order the longest read of the key shows.
pub const VIA_READ: u8 = 0;
/// The later element was never read: every read ends before it.
pub const VIA_UNREAD: u8 = 1;
/// The earlier version is the key's initial state.
pub const VIA_INITIAL: u8 = 2;
/// A transaction read the earlier version and then wrote the later one (writes follow reads).
pub const VIA_WFR: u8 = 3;
/// One process saw the earlier version before the later one (sequential keys).
pub const VIA_PROCESS: u8 = 4;
/// The earlier write completed before the later one began (linearizable keys).
pub const VIA_REALTIME: u8 = 5;

impl Reason {
    pub fn new(key: u32, from_val: u32, to_val: u32, read: u32) -> Reason {
        Reason {
            key,
            from_val,
            to_val,
            read,
            via: VIA_READ,
            witness: NONE,
        }
    }

    pub fn via(mut self, via: u8, witness: u32) -> Reason {
        self.via = via;
        self.witness = witness;
        self
    }
}

/// Where inference puts the edges it finds.
pub trait EdgeSink {
    /// Adds an edge; self-edges are dropped (a transaction does not depend on itself).
    fn add(&mut self, from: u32, to: u32, kind: u8, reason: Option<Reason>);
}

/// Edges as they are found, before they are laid out as CSR.
#[derive(Default)]
pub struct EdgeList {
    pub from: Vec<u32>,
    pub to: Vec<u32>,
    pub kind: Vec<u8>,
    /// Index into `reasons`, or [`NONE`]; empty when the list keeps no reasons.
    pub why: Vec<u32>,
    pub reasons: Vec<Reason>,
    /// Set by [`EdgeList::without_reasons`].
    reasonless: bool,
}

impl EdgeSink for EdgeList {
    fn add(&mut self, from: u32, to: u32, kind: u8, reason: Option<Reason>) {
        EdgeList::add(self, from, to, kind, reason)
    }
}

impl EdgeList {
    /// A list that drops every reason: 9 bytes an edge instead of 37. Explanations then ask
    /// for the reasons of the few edges they show (see `list_append::reasons_for`).
    pub fn without_reasons() -> EdgeList {
        EdgeList {
            reasonless: true,
            ..EdgeList::default()
        }
    }

    /// Adds an edge; self-edges are dropped (a transaction does not depend on itself).
    pub fn add(&mut self, from: u32, to: u32, kind: u8, reason: Option<Reason>) {
        if from == to {
            return;
        }
        self.from.push(from);
        self.to.push(to);
        self.kind.push(kind);
        if self.reasonless {
            return;
        }
        self.why.push(match reason {
            Some(r) => {
                self.reasons.push(r);
                (self.reasons.len() - 1) as u32
            }
            None => NONE,
        });
    }

    pub fn len(&self) -> usize {
        self.from.len()
    }

    /// Moves `other`'s edges (and their reasons) after these, growing the arrays to exactly the
    /// size needed: on a million long transactions a doubling growth would leave a hundred
    /// megabytes of spare capacity through the rest of the check.
    pub fn append(&mut self, other: EdgeList) {
        let base = self.reasons.len() as u32;
        let n = other.len();
        self.from.reserve_exact(n);
        self.to.reserve_exact(n);
        self.kind.reserve_exact(n);
        self.from.extend(other.from);
        self.to.extend(other.to);
        self.kind.extend(other.kind);
        if self.reasonless {
            return;
        }
        self.why.reserve_exact(n);
        if other.reasonless {
            self.why.extend(std::iter::repeat_n(NONE, n));
            return;
        }
        self.reasons.reserve_exact(other.reasons.len());
        self.why.extend(
            other
                .why
                .into_iter()
                .map(|w| if w == NONE { NONE } else { w + base }),
        );
        self.reasons.extend(other.reasons);
    }

    pub fn is_empty(&self) -> bool {
        self.from.is_empty()
    }
}

/// The reasons of a few edges, caught as inference adds every edge again.
pub struct ReasonLookup {
    wanted: FastMap<(u32, u32, u8), Option<Reason>>,
}

impl ReasonLookup {
    pub fn new(wanted: impl IntoIterator<Item = (u32, u32, u8)>) -> ReasonLookup {
        ReasonLookup {
            wanted: wanted.into_iter().map(|w| (w, None)).collect(),
        }
    }

    /// The reason of each wanted edge that was added with one (the first one added).
    pub fn found(self) -> FastMap<(u32, u32, u8), Reason> {
        self.wanted
            .into_iter()
            .filter_map(|(w, r)| r.map(|r| (w, r)))
            .collect()
    }
}

impl EdgeSink for ReasonLookup {
    fn add(&mut self, from: u32, to: u32, kind: u8, reason: Option<Reason>) {
        if let Some(slot @ None) = self.wanted.get_mut(&(from, to, kind)) {
            *slot = reason;
        }
    }
}

/// A directed multigraph in CSR form: the out-edges of `v` are `offsets[v]..offsets[v + 1]`.
#[derive(Default)]
pub struct Csr {
    pub offsets: Vec<u32>,
    pub targets: Vec<u32>,
    pub kinds: Vec<u8>,
    /// Each edge's index into the graph's reasons ([`NONE`]: none); empty when the graph was
    /// built without reasons (read it through [`Csr::why_of`]).
    pub why: Vec<u32>,
}

impl Csr {
    /// Lays out `edges` over vertices `0..n` with a counting sort (no comparison sort: this runs on
    /// tens of millions of edges).
    pub fn build(n: usize, from: &[u32], to: &[u32], kind: &[u8], why: &[u32]) -> Csr {
        let mut offsets = vec![0u32; n + 1];
        for &f in from {
            offsets[f as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let m = from.len();
        let mut fill = offsets.clone();
        let mut targets = vec![0u32; m];
        let mut kinds = vec![0u8; m];
        let mut whys = if why.is_empty() {
            Vec::new()
        } else {
            vec![NONE; m]
        };
        for e in 0..m {
            let slot = &mut fill[from[e] as usize];
            let at = *slot as usize;
            *slot += 1;
            targets[at] = to[e];
            kinds[at] = kind[e];
            if let Some(&w) = why.get(e) {
                whys[at] = w;
            }
        }
        Csr {
            offsets,
            targets,
            kinds,
            why: whys,
        }
    }

    pub fn vertex_count(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    pub fn edge_count(&self) -> usize {
        self.targets.len()
    }

    /// The reason index of edge `e` ([`NONE`] when the graph keeps none).
    pub fn why_of(&self, e: usize) -> u32 {
        self.why.get(e).copied().unwrap_or(NONE)
    }

    /// Positions of `v`'s out-edges in `targets` / `kinds` / `why`.
    pub fn out(&self, v: u32) -> std::ops::Range<usize> {
        self.offsets[v as usize] as usize..self.offsets[v as usize + 1] as usize
    }

    /// The subgraph induced by `vertices` (local ids are positions in `vertices`); `local_of` is
    /// scratch of one entry per vertex of `self`, all [`NONE`], and is left that way.
    pub fn induced(&self, vertices: &[u32], local_of: &mut [u32]) -> Csr {
        for (i, &v) in vertices.iter().enumerate() {
            local_of[v as usize] = i as u32;
        }
        let (mut from, mut to, mut kind, mut why) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (i, &v) in vertices.iter().enumerate() {
            for e in self.out(v) {
                let w = local_of[self.targets[e] as usize];
                if w != NONE {
                    from.push(i as u32);
                    to.push(w);
                    kind.push(self.kinds[e]);
                    if !self.why.is_empty() {
                        why.push(self.why[e]);
                    }
                }
            }
        }
        for &v in vertices {
            local_of[v as usize] = NONE;
        }
        Csr::build(vertices.len(), &from, &to, &kind, &why)
    }
}

/// The dependency graph of a history: vertices are transactions (`Txns` indices).
pub struct Graph {
    pub csr: Csr,
    pub reasons: Vec<Reason>,
}

impl Graph {
    pub fn new(n: usize, edges: EdgeList) -> Graph {
        let csr = Csr::build(n, &edges.from, &edges.to, &edges.kind, &edges.why);
        Graph {
            csr,
            reasons: edges.reasons,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csr_keeps_every_edge_under_its_source() {
        let mut e = EdgeList::default();
        e.add(2, 0, WW, None);
        e.add(0, 1, WR, None);
        e.add(0, 2, RW, None);
        e.add(1, 1, WW, None); // self-edge: dropped
        let g = Graph::new(3, e);
        assert_eq!(g.csr.edge_count(), 3);
        let out0: Vec<(u32, u8)> = g
            .csr
            .out(0)
            .map(|i| (g.csr.targets[i], g.csr.kinds[i]))
            .collect();
        assert_eq!(out0, vec![(1, WR), (2, RW)]);
        assert!(g.csr.out(1).is_empty());
        // Order edges appended after the data edges keep every edge's reason.
        let mut e = EdgeList::default();
        for (f, t, k) in [(2, 0, WW), (0, 1, WR), (1, 2, RW), (0, 2, RW), (2, 1, WR)] {
            e.add(f, t, k, Some(Reason::new(f, t, 0, 0)));
        }
        let copied = Csr::build(3, &e.from, &e.to, &e.kind, &e.why);
        let mut order = EdgeList::default();
        order.add(1, 0, PROCESS, None);
        e.append(order);
        let copied_kinds: Vec<u8> = copied.kinds.clone();
        let g2 = Graph::new(3, e);
        assert_eq!(g2.csr.offsets, vec![0, 2, 4, 6]);
        let out = |c: &Csr, v: u32| -> Vec<(u32, u8, u32)> {
            let mut o: Vec<_> = c
                .out(v)
                .map(|i| (c.targets[i], c.kinds[i], c.why[i]))
                .collect();
            o.sort();
            o
        };
        for v in 0..3 {
            let mut want = out(&copied, v);
            if v == 1 {
                want.push((0, PROCESS, NONE));
                want.sort();
            }
            assert_eq!(out(&g2.csr, v), want, "vertex {v} ({copied_kinds:?})");
        }
        for i in 0..g2.csr.edge_count() {
            if g2.csr.why[i] != NONE {
                let r = g2.reasons[g2.csr.why[i] as usize];
                assert_eq!(g2.csr.targets[i], r.from_val, "reason follows its edge");
            }
        }
        let mut scratch = vec![NONE; 3];
        let sub = g.csr.induced(&[0, 2], &mut scratch);
        assert_eq!(sub.edge_count(), 2);
        assert!(scratch.iter().all(|&x| x == NONE));
    }
}

//! The search for the shortest cycle of each kind inside one strongly connected component.
//!
//! Every cycle of a kind contains an *anchor* edge of a kind it must have (a wr edge for G1c, an rw
//! edge for G-single...). For each anchor edge `u → v` a breadth-first search looks for the
//! shortest path `v ⇝ u` over the allowed edge kinds, tracking in a small state what the path has
//! used so far (how many rw edges, whether two were adjacent, whether a process or real-time edge
//! was taken). The product of vertex and state keeps the search exact: the first path that closes
//! the cycle in an accepting state is the shortest for that anchor, and the search depth is capped
//! by the best cycle found so far, so after a short cycle the remaining anchors cost little.
//!
//! Cycles only lie inside strongly connected components of the subgraph of their allowed edges, so
//! anchors and searches are confined to those.

use std::collections::VecDeque;
use std::time::Instant;

use super::anomaly::{classify, Base, Cycle, CycleKind, Step, Variant};
use super::graph::{Csr, Graph, ALL, DATA, NONE, PROCESS, REALTIME, RW, WR, WW};
use super::intern::{fast_map, FastMap};
use super::scc::{completion_order, component_ids};
use crate::Budget;

/// What the search of one component found.
#[derive(Default, Debug)]
pub struct ComponentSearch {
    pub cycles: Vec<Cycle>,
    /// Kinds whose search the deadline cut short before any cycle of that kind was found.
    pub incomplete: Vec<CycleKind>,
    /// Search steps taken (vertex expansions).
    pub steps: u64,
}

const MASKS: [u8; 5] = [WW, WW | WR, DATA, DATA | PROCESS, ALL];

/// Search steps spent on one kind in one component, after a cycle of that kind was found, before
/// giving up on proving it the shortest (it is then reported with `shortest: false`).
const MINIMALITY_STEPS: u64 = 200_000;

fn allowed(kind: CycleKind) -> (usize, u8) {
    let data = match kind.base {
        Base::G0 => 0,
        Base::G1c => 1,
        _ => 2,
    };
    let i = match kind.variant {
        Variant::Data => data,
        Variant::Process if data == 2 => 3,
        Variant::Realtime if data == 2 => 4,
        // G0 / G1c with session or real-time edges: their own masks.
        Variant::Process => return (5 + data, MASKS[data] | PROCESS),
        Variant::Realtime => return (7 + data, MASKS[data] | PROCESS | REALTIME),
    };
    (i, MASKS[i])
}

fn anchor(kind: CycleKind) -> u8 {
    match (kind.base, kind.variant) {
        (Base::G0, Variant::Data) => WW,
        (Base::G0, Variant::Process) => PROCESS,
        (Base::G0, Variant::Realtime) => REALTIME,
        (Base::G1c, _) => WR,
        _ => RW,
    }
}

// Path state bits.
const RW_COUNT: u8 = 0b11; // 0, 1, or 2 meaning "two or more"
const LAST_RW: u8 = 1 << 2;
const ADJACENT: u8 = 1 << 3;
const VARIANT_SEEN: u8 = 1 << 4;
const WR_SEEN: u8 = 1 << 5;

fn variant_edge(kind: CycleKind) -> u8 {
    match kind.variant {
        Variant::Data => 0,
        Variant::Process => PROCESS,
        Variant::Realtime => REALTIME,
    }
}

/// The state after taking an edge of `edge` kind, or `None` if the kind can no longer be reached.
fn advance(kind: CycleKind, state: u8, edge: u8) -> Option<u8> {
    let mut s = state;
    if edge == RW {
        if s & LAST_RW != 0 {
            s |= ADJACENT;
        }
        let n = (s & RW_COUNT) + 1;
        s = (s & !RW_COUNT) | n.min(2) | LAST_RW;
    } else {
        s &= !LAST_RW;
    }
    if edge == WR {
        s |= WR_SEEN;
    }
    if edge == variant_edge(kind) {
        s |= VARIANT_SEEN;
    }
    match kind.base {
        Base::GSingle if s & RW_COUNT > 1 => None,
        Base::GNonadjacent if s & ADJACENT != 0 => None,
        _ => Some(s),
    }
}

/// Whether a path ending in `state`, closed by the anchor edge, is a cycle of `kind`.
fn accepts(kind: CycleKind, state: u8, anchor_rw: bool) -> bool {
    if kind.variant != Variant::Data && state & VARIANT_SEEN == 0 {
        return false;
    }
    let adjacent = state & ADJACENT != 0 || (state & LAST_RW != 0 && anchor_rw);
    let rw = state & RW_COUNT;
    match kind.base {
        Base::G0 => true,
        Base::G1c => state & WR_SEEN != 0,
        Base::GSingle => rw == 1,
        Base::GNonadjacent => rw == 2 && !adjacent,
        Base::G2Item => rw == 2 && adjacent,
    }
}

struct Deadline<'a> {
    at: Option<Instant>,
    budget: Option<&'a Budget>,
    steps: u64,
    hit: bool,
}

impl Deadline<'_> {
    fn tick(&mut self) -> bool {
        self.steps += 1;
        if self.steps % 1024 == 0 {
            if let Some(at) = self.at {
                if Instant::now() >= at {
                    self.hit = true;
                }
            }
            if self.budget.is_some_and(|b| b.exhausted(0).is_some()) {
                self.hit = true;
            }
        }
        self.hit
    }
}

/// Searches one strongly connected component (`comp`: vertex ids of `graph`) for the shortest
/// cycle of every kind, until `deadline` or the overall `budget` runs out. `local_of` is scratch
/// (one [`NONE`] per graph vertex).
pub fn search_component(
    graph: &Graph,
    comp: &[u32],
    local_of: &mut [u32],
    deadline: Option<Instant>,
    budget: Option<&Budget>,
) -> ComponentSearch {
    let local = graph.csr.induced(comp, local_of);
    let mut sub: Vec<Option<Vec<u32>>> = vec![None; 10];
    let mut clock = Deadline {
        at: deadline,
        budget,
        steps: 0,
        hit: false,
    };
    let mut found: FastMap<CycleKind, Cycle> = fast_map();
    let mut incomplete = Vec::new();
    let mut bfs = Bfs::default();
    for kind in CycleKind::ALL {
        if clock.hit {
            if !found.contains_key(&kind) {
                incomplete.push(kind);
            }
            continue;
        }
        if found.get(&kind).is_some_and(|c| c.steps.len() == 2) {
            continue;
        }
        // A session or real-time variant is implied by the plain cycle (or the session one) in
        // the same component; search it only where that is missing.
        let implied_by_found = |variant: Variant| {
            found.contains_key(&CycleKind {
                base: kind.base,
                variant,
            })
        };
        let implied = match kind.variant {
            Variant::Data => false,
            Variant::Process => implied_by_found(Variant::Data),
            Variant::Realtime => {
                implied_by_found(Variant::Data) || implied_by_found(Variant::Process)
            }
        };
        if implied {
            continue;
        }
        let (slot, mask) = allowed(kind);
        let ids = sub[slot].get_or_insert_with(|| component_ids(&local, mask));
        let anchor_kind = anchor(kind);
        // G-single's path back avoids rw edges: it exists only if the anchor's source is
        // reachable from its target without them.
        let no_rw_order =
            (kind.base == Base::GSingle).then(|| completion_order(&local, mask & !RW));
        let mut best: Option<Vec<Step>> = found.get(&kind).map(|c| c.steps.clone());
        let mut shortest = true;
        let mut steps_at_first_find: Option<u64> = None;
        'anchors: for u in 0..local.vertex_count() as u32 {
            let cu = ids[u as usize];
            if cu == NONE {
                continue;
            }
            for e in local.out(u) {
                if local.kinds[e] != anchor_kind || ids[local.targets[e] as usize] != cu {
                    continue;
                }
                if let Some(order) = &no_rw_order {
                    if order[local.targets[e] as usize] < order[u as usize] {
                        continue;
                    }
                }
                if steps_at_first_find.is_some_and(|s| clock.steps - s > MINIMALITY_STEPS) {
                    // A cycle of this kind is known; stop trying to prove it the shortest.
                    shortest = false;
                    break 'anchors;
                }
                let limit = best.as_ref().map_or(usize::MAX, |b| b.len() - 1);
                let Some(path) = bfs.run(&local, ids, kind, mask, e, u, limit, &mut clock) else {
                    if clock.hit {
                        break 'anchors;
                    }
                    continue;
                };
                let mut steps = vec![Step {
                    from: u,
                    to: local.targets[e],
                    kind: anchor_kind,
                    why: local.why_of(e),
                }];
                steps.extend(path);
                let steps = shortcut(steps);
                let got = classify(&steps);
                if got == kind {
                    let short = steps.len() == 2;
                    steps_at_first_find.get_or_insert(clock.steps);
                    best = Some(steps);
                    if short {
                        break 'anchors;
                    }
                } else {
                    found.entry(got).or_insert(Cycle {
                        kind: got,
                        steps,
                        shortest: false,
                    });
                }
            }
        }
        if let Some(steps) = best {
            found.insert(
                kind,
                Cycle {
                    kind,
                    steps,
                    shortest: shortest && !clock.hit,
                },
            );
        } else if clock.hit {
            incomplete.push(kind);
        }
    }
    let mut cycles: Vec<Cycle> = found
        .into_values()
        .map(|mut c| {
            for s in &mut c.steps {
                s.from = comp[s.from as usize];
                s.to = comp[s.to as usize];
            }
            c
        })
        .collect();
    cycles.sort_by_key(|c| c.kind);
    ComponentSearch {
        cycles,
        incomplete,
        steps: clock.steps,
    }
}

/// Removes detours from a closed walk until every vertex appears once.
fn shortcut(mut steps: Vec<Step>) -> Vec<Step> {
    loop {
        let mut first_at: FastMap<u32, usize> = fast_map();
        let mut cut = None;
        for (i, s) in steps.iter().enumerate() {
            if let Some(&j) = first_at.get(&s.from) {
                cut = Some((j, i));
                break;
            }
            first_at.insert(s.from, i);
        }
        match cut {
            Some((j, i)) => {
                steps.drain(j..i);
            }
            None => return steps,
        }
    }
}

#[derive(Default)]
struct Bfs {
    /// (vertex << 8 | state) -> (parent key, edge position)
    parent: FastMap<u64, (u64, u32)>,
    queue: VecDeque<(u32, u8, usize)>,
}

impl Bfs {
    /// Shortest path from the anchor's target back to `source` (the anchor's source) that closes
    /// a cycle of `kind` of at most `limit` edges (anchor included). Returns its steps.
    #[allow(clippy::too_many_arguments)]
    fn run(
        &mut self,
        g: &Csr,
        ids: &[u32],
        kind: CycleKind,
        mask: u8,
        anchor_edge: usize,
        source: u32,
        limit: usize,
        clock: &mut Deadline,
    ) -> Option<Vec<Step>> {
        let anchor_kind = g.kinds[anchor_edge];
        let start = g.targets[anchor_edge];
        let comp = ids[source as usize];
        let s0 = advance(kind, 0, anchor_kind)?;
        self.parent.clear();
        self.queue.clear();
        let key = |v: u32, s: u8| (u64::from(v) << 8) | u64::from(s);
        self.parent.insert(key(start, s0), (u64::MAX, NONE));
        self.queue.push_back((start, s0, 1));
        while let Some((v, s, len)) = self.queue.pop_front() {
            if clock.tick() {
                return None;
            }
            // `len` edges so far (anchor included); one more must not exceed the limit.
            if len + 1 > limit {
                continue;
            }
            for e in g.out(v) {
                let k = g.kinds[e];
                let w = g.targets[e];
                if k & mask == 0 || ids[w as usize] != comp {
                    continue;
                }
                let Some(s2) = advance(kind, s, k) else {
                    continue;
                };
                if w == source {
                    if accepts(kind, s2, anchor_kind == RW) {
                        return Some(self.path(g, key(v, s), e));
                    }
                    continue;
                }
                let k2 = key(w, s2);
                if self.parent.contains_key(&k2) {
                    continue;
                }
                self.parent.insert(k2, (key(v, s), e as u32));
                self.queue.push_back((w, s2, len + 1));
            }
        }
        None
    }

    fn path(&self, g: &Csr, mut at: u64, last_edge: usize) -> Vec<Step> {
        let mut edges = vec![last_edge];
        loop {
            let (prev, e) = self.parent[&at];
            if prev == u64::MAX {
                break;
            }
            edges.push(e as usize);
            at = prev;
        }
        edges.reverse();
        // Rebuild `from` of each step from the chain: each edge's source is the previous target.
        let mut steps = Vec::with_capacity(edges.len());
        let mut from = (self.first_vertex(at)) as u32;
        for e in edges {
            steps.push(Step {
                from,
                to: g.targets[e],
                kind: g.kinds[e],
                why: g.why_of(e),
            });
            from = g.targets[e];
        }
        steps
    }

    fn first_vertex(&self, key: u64) -> u64 {
        key >> 8
    }
}

#[cfg(test)]
mod tests {
    use super::super::graph::{EdgeList, Graph};
    use super::*;

    fn graph(n: usize, edges: &[(u32, u32, u8)]) -> Graph {
        let mut e = EdgeList::default();
        for &(a, b, k) in edges {
            e.add(a, b, k, None);
        }
        Graph::new(n, e)
    }

    fn names(g: &Graph, comp: &[u32]) -> Vec<(&'static str, usize)> {
        let mut scratch = vec![NONE; g.csr.vertex_count()];
        let r = search_component(g, comp, &mut scratch, None, None);
        assert!(r.incomplete.is_empty());
        r.cycles
            .iter()
            .map(|c| (c.kind.name(), c.steps.len()))
            .collect()
    }

    #[test]
    fn finds_the_shortest_cycle_of_each_kind() {
        // A long G0 cycle 0-1-2-3-0 and a short one 0-2-0 through a different edge.
        let g = graph(
            4,
            &[(0, 1, WW), (1, 2, WW), (2, 3, WW), (3, 0, WW), (2, 0, WW)],
        );
        assert_eq!(names(&g, &[0, 1, 2, 3]), vec![("G0", 3)]);
    }

    #[test]
    fn tells_single_nonadjacent_and_adjacent_anti_dependencies_apart() {
        let single = graph(2, &[(0, 1, WR), (1, 0, RW)]);
        assert_eq!(names(&single, &[0, 1]), vec![("G-single-item", 2)]);
        let nonadjacent = graph(4, &[(0, 1, RW), (1, 2, WR), (2, 3, RW), (3, 0, WW)]);
        assert_eq!(
            names(&nonadjacent, &[0, 1, 2, 3]),
            vec![("G-nonadjacent-item", 4)]
        );
        let adjacent = graph(2, &[(0, 1, RW), (1, 0, RW)]);
        assert_eq!(names(&adjacent, &[0, 1]), vec![("G2-item", 2)]);
    }

    #[test]
    fn a_cycle_that_needs_a_process_edge_is_a_process_variant() {
        let g = graph(2, &[(0, 1, WR), (1, 0, PROCESS)]);
        assert_eq!(names(&g, &[0, 1]), vec![("G1c-process", 2)]);
        let rt = graph(3, &[(0, 1, RW), (1, 2, PROCESS), (2, 0, REALTIME)]);
        assert_eq!(names(&rt, &[0, 1, 2]), vec![("G-single-item-realtime", 3)]);
    }

    #[test]
    fn an_expired_deadline_leaves_kinds_undecided() {
        let n = 3000u32;
        let mut edges: Vec<(u32, u32, u8)> = (0..n).map(|i| (i, (i + 1) % n, WW)).collect();
        edges.push((0, 1, RW));
        let g = graph(n as usize, &edges);
        let comp: Vec<u32> = (0..n).collect();
        let mut scratch = vec![NONE; n as usize];
        let past = Instant::now();
        let r = search_component(&g, &comp, &mut scratch, Some(past), None);
        assert!(!r.incomplete.is_empty());
    }
}

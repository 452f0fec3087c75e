//! Strongly connected components (Tarjan 1972), iterative: a recursive Tarjan overflows the stack
//! on the long dependency chains of large histories. Only components of two or more vertices are
//! returned — the graph has no self-edges, so a single vertex is never on a cycle.

use super::graph::{Csr, NONE};

/// The non-trivial SCCs of `graph` restricted to edges whose kind is in `mask`.
pub fn sccs(graph: &Csr, mask: u8) -> Vec<Vec<u32>> {
    tarjan(graph, mask, &mut |_, _| {})
}

/// Every vertex's component number in the order Tarjan completes them: sinks first, so a path
/// from `a` to `b` exists only if `order[a] >= order[b]` — a cheap test that rules paths out.
pub fn completion_order(graph: &Csr, mask: u8) -> Vec<u32> {
    let mut order = vec![NONE; graph.vertex_count()];
    let mut next = 0u32;
    tarjan(graph, mask, &mut |members: &[u32], _| {
        for &v in members {
            order[v as usize] = next;
        }
        next += 1;
    });
    order
}

/// Tarjan's algorithm; `on_component` sees every component (trivial ones too) as it completes.
fn tarjan(graph: &Csr, mask: u8, on_component: &mut dyn FnMut(&[u32], usize)) -> Vec<Vec<u32>> {
    let n = graph.vertex_count();
    let mut index = vec![NONE; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<u32> = Vec::new();
    // (vertex, next out-edge position to look at)
    let mut calls: Vec<(u32, usize)> = Vec::new();
    let mut counter = 0u32;
    let mut out = Vec::new();
    for root in 0..n as u32 {
        if index[root as usize] != NONE {
            continue;
        }
        index[root as usize] = counter;
        low[root as usize] = counter;
        counter += 1;
        stack.push(root);
        on_stack[root as usize] = true;
        calls.push((root, graph.out(root).start));
        while let Some(&mut (v, ref mut pos)) = calls.last_mut() {
            let end = graph.out(v).end;
            if *pos < end {
                let e = *pos;
                *pos += 1;
                if graph.kinds[e] & mask == 0 {
                    continue;
                }
                let w = graph.targets[e];
                if index[w as usize] == NONE {
                    index[w as usize] = counter;
                    low[w as usize] = counter;
                    counter += 1;
                    stack.push(w);
                    on_stack[w as usize] = true;
                    calls.push((w, graph.out(w).start));
                } else if on_stack[w as usize] {
                    low[v as usize] = low[v as usize].min(index[w as usize]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(parent, _)) = calls.last() {
                low[parent as usize] = low[parent as usize].min(low[v as usize]);
            }
            if low[v as usize] == index[v as usize] {
                let mut component = Vec::new();
                loop {
                    let w = stack.pop().expect("Tarjan stack holds the component root");
                    on_stack[w as usize] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                on_component(&component, out.len());
                if component.len() > 1 {
                    component.sort_unstable();
                    out.push(component);
                }
            }
        }
    }
    out
}

/// For each vertex, the id of its non-trivial component under `mask`, or [`NONE`].
pub fn component_ids(graph: &Csr, mask: u8) -> Vec<u32> {
    let mut ids = vec![NONE; graph.vertex_count()];
    for (c, comp) in sccs(graph, mask).iter().enumerate() {
        for &v in comp {
            ids[v as usize] = c as u32;
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::super::graph::{Csr, ALL, RW, WW};
    use super::*;

    fn csr(n: usize, edges: &[(u32, u32, u8)]) -> Csr {
        let from: Vec<u32> = edges.iter().map(|e| e.0).collect();
        let to: Vec<u32> = edges.iter().map(|e| e.1).collect();
        let kind: Vec<u8> = edges.iter().map(|e| e.2).collect();
        Csr::build(n, &from, &to, &kind, &vec![NONE; edges.len()])
    }

    #[test]
    fn finds_components_and_respects_the_mask() {
        let g = csr(
            5,
            &[(0, 1, WW), (1, 0, RW), (2, 3, WW), (3, 4, WW), (4, 2, WW)],
        );
        let mut all = sccs(&g, ALL);
        all.sort();
        assert_eq!(all, vec![vec![0, 1], vec![2, 3, 4]]);
        assert_eq!(sccs(&g, WW), vec![vec![2, 3, 4]]);
    }

    #[test]
    fn a_long_chain_does_not_overflow_the_stack() {
        let n = 300_000u32;
        let mut edges: Vec<(u32, u32, u8)> = (0..n - 1).map(|i| (i, i + 1, WW)).collect();
        edges.push((n - 1, 0, WW));
        let g = csr(n as usize, &edges);
        let c = sccs(&g, ALL);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].len(), n as usize);
    }
}

//! Drawings of dependency cycles and chains: Elle's cycles (transactions joined by ww / wr / rw /
//! process / realtime edges), the causal checker's chains (session, wr, arbitration edges), and
//! cyclic version orders. Nodes of a cycle sit on a circle, a chain runs left to right; each edge
//! is a curved arrow in its kind's colour, labelled, with the checker's reason on hover. No
//! Graphviz needed.

use std::fmt::Write;

use super::n;
use crate::report::markup::{clip, escape};

/// One edge to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    /// `ww`, `wr`, `rw`, `process`, `realtime`, `session`, `arbitration`, `version`...
    pub kind: String,
    /// Shown next to the arrow (the kind and key, e.g. `rw 13`).
    pub label: String,
    /// Shown on hover: why the edge exists.
    pub why: String,
}

/// Nodes beyond this many are not drawn (the explanation lists them all).
pub const MAX_NODES: usize = 24;

const KINDS: &[&str] = &[
    "ww",
    "wr",
    "rw",
    "process",
    "realtime",
    "session",
    "arbitration",
    "version",
];

/// The CSS class of an edge kind (unknown kinds share `other`).
fn class(kind: &str) -> &'static str {
    KINDS
        .iter()
        .find(|k| **k == kind)
        .copied()
        .unwrap_or("other")
}

/// The arrowheads, one per kind, defined once per page and referenced by every drawing.
pub fn marker_defs() -> String {
    let mut out = String::from(
        "<svg class=\"defs\" width=\"0\" height=\"0\" aria-hidden=\"true\" xmlns=\"http://www.w3.org/2000/svg\"><defs>",
    );
    for kind in KINDS.iter().chain(["other"].iter()) {
        let _ = write!(
            out,
            "<marker id=\"arrow-{kind}\" class=\"edge-{kind}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0 0L10 5L0 10z\"/></marker>"
        );
    }
    out.push_str("</defs></svg>");
    out
}

struct Node {
    name: String,
    x: f64,
    y: f64,
    half_w: f64,
    half_h: f64,
}

/// Where the segment from the node's centre towards `(tx, ty)` leaves its box.
fn border(node: &Node, tx: f64, ty: f64) -> (f64, f64) {
    let (dx, dy) = (tx - node.x, ty - node.y);
    if dx == 0.0 && dy == 0.0 {
        return (node.x, node.y);
    }
    let t = (node.half_w / dx.abs().max(1e-9)).min(node.half_h / dy.abs().max(1e-9));
    (node.x + dx * t.min(1.0), node.y + dy * t.min(1.0))
}

/// Draws `edges` as an `<svg class="cycle">`. `tooltip(name)` describes a node on hover.
/// A closed walk (the last edge returns to the first node) is laid out as a circle.
pub fn render(edges: &[Edge], title: &str, tooltip: &dyn Fn(&str) -> Option<String>) -> String {
    let mut names: Vec<String> = Vec::new();
    for e in edges {
        for name in [&e.from, &e.to] {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
    }
    if names.len() > MAX_NODES || edges.is_empty() {
        return format!(
            "<p class=\"note\">{} nodes: too many to draw; the explanation lists them.</p>",
            names.len()
        );
    }
    let closed = edges.first().map(|e| &e.from) == edges.last().map(|e| &e.to);
    let box_w = |name: &str| (clip(name, 24).chars().count() as f64 * 7.5 + 16.0) / 2.0;
    let count = names.len() as f64;
    let mut nodes: Vec<Node> = Vec::new();
    if closed && names.len() >= 2 {
        let radius = (count * 40.0).max(70.0);
        for (i, name) in names.iter().enumerate() {
            // Start at the left, go clockwise.
            let a = std::f64::consts::PI + i as f64 * 2.0 * std::f64::consts::PI / count;
            nodes.push(Node {
                name: name.clone(),
                x: radius * a.cos(),
                y: radius * a.sin() * 0.8,
                half_w: box_w(name),
                half_h: 12.0,
            });
        }
    } else {
        let gap = 110.0;
        let mut x = 0.0;
        for name in &names {
            let w = box_w(name);
            nodes.push(Node {
                name: name.clone(),
                x: x + w,
                y: 0.0,
                half_w: w,
                half_h: 12.0,
            });
            x += 2.0 * w + gap;
        }
    }
    // Fit the view to the nodes, with room for the bulging edges and their labels.
    let margin = 44.0;
    let min_x = nodes
        .iter()
        .map(|nd| nd.x - nd.half_w)
        .fold(f64::MAX, f64::min);
    let max_x = nodes
        .iter()
        .map(|nd| nd.x + nd.half_w)
        .fold(f64::MIN, f64::max);
    let min_y = nodes
        .iter()
        .map(|nd| nd.y - nd.half_h)
        .fold(f64::MAX, f64::min);
    let max_y = nodes
        .iter()
        .map(|nd| nd.y + nd.half_h)
        .fold(f64::MIN, f64::max);
    for nd in &mut nodes {
        nd.x += margin - min_x;
        nd.y += margin - min_y;
    }
    let width = max_x - min_x + 2.0 * margin;
    let height = max_y - min_y + 2.0 * margin;
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg class=\"cycle\" viewBox=\"0 0 {} {}\" width=\"{}\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\"><title>{}</title>",
        n(width),
        n(height),
        n(width.min(1000.0)),
        escape(title)
    );
    let find = |name: &str| {
        nodes
            .iter()
            .find(|nd| nd.name == name)
            .expect("named above")
    };
    let (cx, cy) = (width / 2.0, height / 2.0);
    for (i, e) in edges.iter().enumerate() {
        let (a, b) = (find(&e.from), find(&e.to));
        let class = class(&e.kind);
        // Bend each edge to its left (so opposite edges between two nodes do not overlap); on a
        // chain, alternate above and below for parallel edges.
        let (mx, my) = ((a.x + b.x) / 2.0, (a.y + b.y) / 2.0);
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let len = (dx * dx + dy * dy).sqrt().max(1.0);
        let bend = if std::ptr::eq(a, b) {
            0.0
        } else {
            0.18 * len + 10.0
        };
        let (mut px, mut py) = (-dy / len, dx / len);
        if closed && names.len() >= 3 && (px * (mx - cx) + py * (my - cy)) < 0.0 {
            // On a circle, bow outwards.
            px = -px;
            py = -py;
        }
        let (qx, qy) = if std::ptr::eq(a, b) {
            // A self-loop: above the node.
            (a.x, a.y - 60.0)
        } else {
            (mx + px * bend, my + py * bend)
        };
        let (sx, sy) = border(a, qx, qy);
        let (ex, ey) = border(b, qx, qy);
        let (lx, ly) = (
            0.25 * sx + 0.5 * qx + 0.25 * ex,
            0.25 * sy + 0.5 * qy + 0.25 * ey,
        );
        let _ = write!(
            out,
            "<g class=\"edge edge-{class}\"><title>{}</title><path d=\"M{} {}Q{} {} {} {}\" marker-end=\"url(#arrow-{class})\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text></g>",
            escape(&e.why),
            n(sx),
            n(sy),
            n(qx),
            n(qy),
            n(ex),
            n(ey),
            n(lx),
            n(ly - 3.0 + if i % 2 == 1 && !closed { 14.0 } else { 0.0 }),
            escape(&clip(&e.label, 30))
        );
    }
    for nd in &nodes {
        let tip = tooltip(&nd.name).unwrap_or_else(|| nd.name.clone());
        let _ = write!(
            out,
            "<g class=\"node\"><title>{}</title><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"4\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text></g>",
            escape(&tip),
            n(nd.x - nd.half_w),
            n(nd.y - nd.half_h),
            n(2.0 * nd.half_w),
            n(2.0 * nd.half_h),
            n(nd.x),
            n(nd.y + 4.0),
            escape(&clip(&nd.name, 24))
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(from: &str, to: &str, kind: &str) -> Edge {
        Edge {
            from: from.into(),
            to: to.into(),
            kind: kind.into(),
            label: kind.into(),
            why: format!("{from} then {to}"),
        }
    }

    #[test]
    fn a_two_node_cycle_has_two_arrows_and_two_nodes() {
        let svg = render(
            &[edge("T1", "T2", "rw"), edge("T2", "T1", "wr")],
            "G-single-item",
            &|name| Some(format!("{name}: details")),
        );
        assert_eq!(svg.matches("<g class=\"node\">").count(), 2);
        assert_eq!(svg.matches("marker-end=\"url(#arrow-rw)\"").count(), 1);
        assert_eq!(svg.matches("marker-end=\"url(#arrow-wr)\"").count(), 1);
        assert!(svg.contains("T1: details"));
        assert!(!svg.contains("NaN"), "{svg}");
    }

    #[test]
    fn chains_and_unknown_kinds_are_drawn_too() {
        let svg = render(
            &[edge("e1", "e2", "session"), edge("e2", "e5", "strange")],
            "chain",
            &|_| None,
        );
        assert_eq!(svg.matches("<g class=\"node\">").count(), 3);
        assert!(svg.contains("url(#arrow-other)"));
        assert!(marker_defs().contains("id=\"arrow-other\""));
    }
}

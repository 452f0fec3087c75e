//! Graphviz DOT for a cycle (and SVG when the `dot` program is installed), so a report can draw it.

use super::anomaly::Cycle;
use super::explain::edge_sentence;
use super::graph::{kind_name, Reason, PROCESS, REALTIME, RW, WR, WW};
use super::txns::{Txns, Workload};

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn color(kind: u8) -> &'static str {
    match kind {
        WW => "#1f77b4",
        WR => "#2ca02c",
        RW => "#d62728",
        PROCESS => "#7f7f7f",
        REALTIME => "#9467bd",
        _ => "black",
    }
}

/// The cycle as a DOT digraph: one box per transaction, one labelled edge per dependency, the
/// full reason as the edge tooltip.
pub fn cycle_dot(txns: &Txns, workload: Workload, reasons: &[Reason], cycle: &Cycle) -> String {
    let mut out = format!(
        "digraph \"{}\" {{\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n",
        cycle.kind.name()
    );
    for s in &cycle.steps {
        out.push_str(&format!(
            "  t{} [label=\"{}\"];\n",
            s.from,
            // The transaction on one line, its micro-ops on the next.
            escape(&txns.describe(s.from)).replacen("): ", ")\\n", 1)
        ));
    }
    for s in &cycle.steps {
        let key = s
            .reason(reasons)
            .map(|r| format!(" {}", txns.keys.show(r.key)))
            .unwrap_or_default();
        out.push_str(&format!(
            "  t{} -> t{} [label=\"{}{}\", color=\"{}\", fontcolor=\"{}\", tooltip=\"{}\"];\n",
            s.from,
            s.to,
            kind_name(s.kind),
            escape(&key),
            color(s.kind),
            color(s.kind),
            escape(&edge_sentence(txns, workload, reasons, s))
        ));
    }
    out.push_str("}\n");
    out
}

/// Renders DOT to SVG with Graphviz's `dot`, when it is installed; `None` otherwise.
pub fn render_svg(dot: &str) -> Option<String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(dot.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

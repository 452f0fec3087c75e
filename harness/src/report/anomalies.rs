//! The anomaly section: for each checker, its verdict and for each anomaly its explanation, a
//! drawing of what the checker gives (an Elle cycle, a causal chain, a cyclic version order, a
//! linearizability counterexample) and the events involved.

use std::collections::BTreeMap;
use std::fmt::Write;

use faultline_checkers::verdict::{AnomalyDetail, ChainEdge, Counterexample, CycleEdge};
use faultline_checkers::{Anomaly, CheckReport, Op, OpType, Validity};

use super::digest::{Digest, Outcome};
use super::folder::RunFolder;
use super::markup::{clip, escape, short_json, truncate};
use super::svg::counterexample::{self, Bar, Role};
use super::svg::cycle::{self, Edge};
use super::svg::Clock;

/// Anomalies shown in full per checker; the rest are counted (all are in results.json).
pub const SHOWN_PER_CHECKER: usize = 30;
/// Bytes of an explanation shown.
pub const EXPLANATION_BYTES: usize = 8_000;
/// Events listed per anomaly.
const LISTED_EVENTS: usize = 12;

/// A verdict as the page words it (`valid`, `invalid`, `unknown`).
pub fn verdict(v: Validity) -> &'static str {
    v.as_str()
}

/// Whether the anomaly's `detail` holds something [`drawing`] can draw.
fn drawable(a: &Anomaly) -> bool {
    matches!(
        a.detail,
        Some(
            AnomalyDetail::Cycle(_)
                | AnomalyDetail::VersionCycle(_)
                | AnomalyDetail::CausalChain(_)
                | AnomalyDetail::Counterexample(_)
        )
    )
}

/// The anomalies the page shows for a checker, in order: those with a drawing (cycles,
/// counterexamples) first, then the rest, each group in the checker's order.
pub fn shown(checker: &CheckReport) -> Vec<&Anomaly> {
    let mut all: Vec<&Anomaly> = checker.anomalies.iter().collect();
    all.sort_by_key(|a| !drawable(a));
    all.truncate(SHOWN_PER_CHECKER);
    all
}

/// Each anomaly's type and event indices, in page order (for timeline windows and highlights).
pub fn anomaly_events(folder: &RunFolder) -> Vec<(String, Vec<u64>)> {
    let mut out = Vec::new();
    for c in folder.checkers() {
        for a in shown(c) {
            let mut ops = a.ops.clone();
            if let Some(AnomalyDetail::Counterexample(d)) = &a.detail {
                ops.push(d.op);
            }
            out.push((a.kind.clone(), ops));
        }
    }
    out
}

/// One event in a line: `event 12: process 3 ok write 4 on n2`.
pub fn describe_event(op: &Op) -> String {
    let mut s = format!(
        "event {}: process {} {} {}",
        op.index, op.process, op.kind, op.f
    );
    if let Some(k) = &op.key {
        let _ = write!(s, " key {}", short_json(k, 40));
    }
    if !op.value.is_null() {
        let _ = write!(s, " {}", short_json(&op.value, 200));
    }
    if let Some(node) = &op.node {
        let _ = write!(s, " on {node}");
    }
    if let Some(e) = &op.error {
        let _ = write!(s, " (error {})", short_json(e, 80));
    }
    s
}

/// The section's HTML.
pub fn render(folder: &RunFolder, digest: &Digest) -> String {
    let mut out = String::new();
    let checkers = folder.checkers();
    if checkers.is_empty() {
        out.push_str("<p>No checker ran.</p>");
    }
    for (i, c) in checkers.iter().enumerate() {
        let name = &c.checker;
        let v = verdict(c.valid);
        let anomalies = &c.anomalies;
        let _ = write!(
            out,
            "<article class=\"checker\" id=\"checker-{i}\"><h3>{} <span class=\"verdict {v}\">{v}</span></h3>",
            escape(name)
        );
        if let Some(reason) = &c.unknown_reason {
            let _ = write!(out, "<p class=\"reason\">Undecided: {}</p>", escape(reason));
        }
        if anomalies.is_empty() {
            out.push_str("<p>No anomalies.</p>");
        } else {
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for a in anomalies {
                *counts.entry(a.kind.as_str()).or_default() += 1;
            }
            let listed: Vec<String> = counts
                .iter()
                .map(|(k, n)| format!("{} × {n}", escape(k)))
                .collect();
            let _ = write!(
                out,
                "<p>{} anomal{} reported: {}.",
                anomalies.len(),
                if anomalies.len() == 1 { "y" } else { "ies" },
                listed.join(", ")
            );
            if let Some(total) = c.stats.get("anomaly-counts").and_then(|t| t.as_object()) {
                let found: u64 = total.values().filter_map(|n| n.as_u64()).sum();
                if found as usize > anomalies.len() {
                    let _ = write!(
                        out,
                        " The checker found {found} in all and explained the first of each type."
                    );
                }
            }
            out.push_str("</p>");
        }
        for (j, a) in shown(c).into_iter().enumerate() {
            let kind = &a.kind;
            let explanation = &a.explanation;
            let _ = write!(
                out,
                "<div class=\"anomaly\" id=\"anomaly-{i}-{j}\"><h4>{}</h4><pre class=\"explanation\">{}</pre>",
                escape(kind),
                escape(&truncate(explanation, EXPLANATION_BYTES))
            );
            if let Some(svg) = drawing(a, digest) {
                let _ = write!(out, "<figure class=\"drawing\">{svg}</figure>");
            }
            out.push_str(&involved(a, digest));
            out.push_str("</div>");
        }
        if anomalies.len() > SHOWN_PER_CHECKER {
            let _ = write!(
                out,
                "<p class=\"note\">{} more anomalies are in results.json.</p>",
                anomalies.len() - SHOWN_PER_CHECKER
            );
        }
        if !c.warnings.is_empty() {
            let _ = write!(
                out,
                "<p class=\"note\">Warnings: {}</p>",
                escape(&truncate(&c.warnings.join("; "), 2_000))
            );
        }
        if !c.stats.is_empty() {
            let text = serde_json::to_string_pretty(&c.stats).unwrap_or_default();
            let _ = write!(
                out,
                "<details><summary>checker statistics</summary><pre>{}</pre></details>",
                escape(&truncate(&text, 20_000))
            );
        }
        out.push_str("</article>");
    }
    out
}

/// The events an anomaly involves, as the history recorded them.
fn involved(a: &Anomaly, digest: &Digest) -> String {
    let ops = &a.ops;
    let lines: Vec<String> = ops
        .iter()
        .take(LISTED_EVENTS)
        .map(|i| match digest.details.get(i) {
            Some(op) => describe_event(op),
            None => format!("event {i}"),
        })
        .collect();
    if lines.is_empty() {
        return String::new();
    }
    let more = if ops.len() > LISTED_EVENTS {
        format!("\n… and {} more", ops.len() - LISTED_EVENTS)
    } else {
        String::new()
    };
    format!(
        "<details class=\"events\"><summary>events involved ({})</summary><pre>{}{more}</pre></details>",
        ops.len(),
        escape(&lines.join("\n"))
    )
}

/// The drawing for what the anomaly's `detail` carries, if anything drawable.
pub fn drawing(a: &Anomaly, digest: &Digest) -> Option<String> {
    let kind = &a.kind;
    match a.detail.as_ref()? {
        AnomalyDetail::Cycle(c) if !c.cycle.is_empty() => {
            Some(elle_cycle(kind, &c.cycle, &a.explanation))
        }
        AnomalyDetail::VersionCycle(v) if !v.cycle.is_empty() => {
            Some(version_cycle(kind, &v.cycle))
        }
        AnomalyDetail::CausalChain(c) if !c.chain.is_empty() => Some(chain(kind, &c.chain, digest)),
        AnomalyDetail::Counterexample(c) => counterexample(kind, c, digest),
        _ => None,
    }
}

/// Elle: transactions `T12` joined by typed edges; hover shows each transaction as the
/// explanation describes it.
fn elle_cycle(kind: &str, steps: &[CycleEdge], explanation: &str) -> String {
    let edges: Vec<Edge> = steps
        .iter()
        .map(|s| {
            let t = s.edge.clone();
            let label = match &s.key {
                None | Some(serde_json::Value::Null) => t.clone(),
                Some(k) => format!("{t} {}", short_json(k, 16)),
            };
            Edge {
                from: clip(&s.from, 24),
                to: clip(&s.to, 24),
                kind: t,
                label,
                why: s.why.clone(),
            }
        })
        .collect();
    // "  T316 (process 4, ok, events 316–317): [r 13 …]" lines describe the transactions.
    let describe = |name: &str| {
        let prefix = format!("{name} (");
        explanation
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with(&prefix))
            .map(str::to_string)
    };
    cycle::render(&edges, &format!("{kind} cycle"), &describe)
}

/// A cycle in a key's version order (`["1", "2", "3"]`).
fn version_cycle(kind: &str, versions: &[String]) -> String {
    let names: Vec<String> = versions.iter().map(|v| clip(v, 24)).collect();
    let edges: Vec<Edge> = (0..names.len())
        .map(|i| Edge {
            from: names[i].clone(),
            to: names[(i + 1) % names.len()].clone(),
            kind: "version".into(),
            label: "<".into(),
            why: format!(
                "version {} must precede {}",
                names[i],
                names[(i + 1) % names.len()]
            ),
        })
        .collect();
    cycle::render(&edges, &format!("{kind}: version order"), &|_| None)
}

/// The causal checker's chain: events joined by session, wr and arbitration edges.
fn chain(kind: &str, steps: &[ChainEdge], digest: &Digest) -> String {
    let name = |e: u64| format!("e{e}");
    let edges: Vec<Edge> = steps
        .iter()
        .map(|s| {
            let t = s.edge.clone();
            let label = match (&s.key, &s.value) {
                (None | Some(serde_json::Value::Null), _) => t.clone(),
                (Some(k), v) => format!(
                    "{t} {} {}",
                    short_json(k, 12),
                    short_json(v.as_ref().unwrap_or(&serde_json::Value::Null), 12)
                ),
            };
            Edge {
                from: name(s.from),
                to: name(s.to),
                why: format!("{} → {}: {t}", name(s.from), name(s.to)),
                kind: t,
                label,
            }
        })
        .collect();
    let describe = |node: &str| {
        let index: u64 = node.trim_start_matches('e').parse().ok()?;
        digest.details.get(&index).map(describe_event)
    };
    cycle::render(&edges, &format!("{kind} chain"), &describe)
}

/// A linearizability counterexample: the prefix's last operations, the blocked one, the
/// concurrent ones.
fn counterexample(kind: &str, d: &Counterexample, digest: &Digest) -> Option<String> {
    let clock = if digest.timed {
        Clock::Nanos
    } else {
        Clock::Events
    };
    let prefix = &d.prefix;
    let mut wanted: Vec<(u64, Role)> = prefix[prefix.len().saturating_sub(8)..]
        .iter()
        .map(|&i| (i, Role::Prefix))
        .collect();
    wanted.push((d.op, Role::Blocked));
    wanted.extend(d.concurrent.iter().take(12).map(|&i| (i, Role::Concurrent)));
    let mut bars = Vec::new();
    for (index, role) in wanted {
        let pos = digest.spans.partition_point(|s| s.invoke_index < index);
        let Some(span) = digest.spans.get(pos).filter(|s| s.invoke_index == index) else {
            continue;
        };
        let invoke = digest.details.get(&index);
        let completion = digest.details.get(&span.complete_index);
        // A read's result is in its completion; a write's argument in its invocation.
        let shown = match completion {
            Some(c) if c.kind == OpType::Ok && !c.value.is_null() => Some(c),
            _ => invoke,
        };
        let f = digest.fs.get(span.f as usize).map_or("?", String::as_str);
        let label = match shown {
            Some(op) if !op.value.is_null() => format!("{f} {}", short_json(&op.value, 24)),
            _ => f.to_string(),
        };
        let events = if span.complete_index == u64::MAX {
            format!("event {index}, never completed")
        } else {
            format!("events {index}–{}", span.complete_index)
        };
        bars.push(Bar {
            process: span.process.to_string(),
            start: span.start,
            end: matches!(span.outcome, Outcome::Ok | Outcome::Fail).then_some(span.end),
            tooltip: format!(
                "process {} {label} ({events}, {}){}",
                span.process,
                span.outcome.name(),
                match role {
                    Role::Prefix => ": in the linearizable prefix",
                    Role::Blocked => ": cannot be placed",
                    Role::Concurrent => ": concurrent with it",
                }
            ),
            label,
            role,
        });
    }
    if bars.is_empty() {
        return None;
    }
    let legend = "<p class=\"legend\"><span class=\"key prefix\"></span>linearizable prefix (last operations) <span class=\"key blocked\"></span>cannot be placed <span class=\"key concurrent\"></span>concurrent</p>";
    Some(format!(
        "{}{legend}",
        counterexample::render(&bars, &format!("{kind}: counterexample"), clock)
    ))
}

//! Runs the pipeline on interned transactions and turns what it found into a [`CheckReport`]:
//! anomalies with explanations and DOT, the verdict for the requested models, and Elle's model
//! boundary (`not`, `also-not`, `possible`) in the stats.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use serde_json::json;

use super::anomaly::{Cycle, CycleKind, DirectFinding, Step};
use super::cycles::search_component;
use super::dot::{cycle_dot, render_svg};
use super::explain::{edge_sentence, explain_cycle, explain_direct};
use super::graph::{kind_name, EdgeList, Graph, ALL, DATA, NONE, PROCESS, REALTIME};
use super::txns::{Outcome, Txns, Workload};
use super::{list_append, models, order, rw_register, scc, ElleOptions};
use crate::options::CheckError;
use crate::verdict::{AnomalyDetail, CycleEdge, DependencyCycle};
use crate::{Anomaly, CheckReport, Validity};

/// The report of the whole pipeline on `txns`; [`CheckError::NoDependencies`] when the history
/// has transactions but no dependency between them that the requested models care about, and
/// nothing they forbid was found either (Elle calls that an empty transaction graph, `unknown`).
pub fn analyse(
    txns: &Txns,
    event_count: usize,
    workload: Workload,
    options: &ElleOptions,
) -> Result<CheckReport, CheckError> {
    let started = Instant::now();
    let mut report = CheckReport::new(format!("elle({})", workload.name()));
    let (findings, mut edges) = match workload {
        Workload::ListAppend => {
            // Reasons are found later for the edges of the cycles explained (see
            // `explain_reasons`): kept for every edge they were a third of the check's memory.
            let mut edges = EdgeList::without_reasons();
            let findings = list_append::infer_into(txns, &mut edges);
            (findings, edges)
        }
        Workload::RwRegister => {
            let inf = rw_register::infer(txns, options.assumptions);
            report.stat("ambiguous-writes", inf.ambiguous_writes);
            (inf.findings, inf.edges)
        }
    };
    let data_edges = edges.len();
    let inferred = started.elapsed();
    // Built apart and appended once, so the edge arrays grow to their exact final size.
    let mut orders = EdgeList::default();
    order::add_process_edges(txns, &mut orders);
    order::add_realtime_edges(txns, event_count, &mut orders);
    edges.append(orders);
    let mut graph = Graph::new(txns.len(), edges);
    let forbidden: BTreeSet<String> = options
        .consistency_models
        .iter()
        .flat_map(|m| models::forbidden_by(m))
        .collect();
    // As in Elle, process and real-time order are dependencies only when a requested model
    // forbids cycles through them (Elle adds those graphs only then).
    let mut counted = DATA;
    if forbidden.iter().any(|a| a.ends_with("-process")) {
        counted |= PROCESS;
    }
    if forbidden.iter().any(|a| a.ends_with("-realtime")) {
        counted |= REALTIME;
    }
    let inferred_any = graph.csr.kinds.iter().any(|&k| k & counted != 0);
    let components = scc::sccs(&graph.csr, ALL);
    let graphed = started.elapsed();

    let mut cycles = Vec::new();
    let mut undecided: BTreeSet<&'static str> = BTreeSet::new();
    let mut scratch = vec![NONE; txns.len()];
    let mut search_steps = 0u64;
    for comp in &components {
        if let Some(reason) = options.budget.exhausted(0) {
            undecided.extend(CycleKind::ALL.iter().map(|k| k.name()));
            report.unknown_reason.get_or_insert(reason);
            break;
        }
        let deadline = options.component_time_limit.map(|d| Instant::now() + d);
        let r = search_component(&graph, comp, &mut scratch, deadline, Some(&options.budget));
        search_steps += r.steps;
        if let (false, Some(reason)) = (r.incomplete.is_empty(), options.budget.exhausted(0)) {
            report.unknown_reason.get_or_insert(reason);
        } else if !r.incomplete.is_empty() {
            report.unknown_reason.get_or_insert(format!(
                "the cycle search of a component of {} transactions ran out of its time budget \
                 ({:?}) before deciding {}",
                comp.len(),
                options.component_time_limit.unwrap_or_default(),
                r.incomplete
                    .iter()
                    .map(|k| k.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        undecided.extend(r.incomplete.iter().map(|k| k.name()));
        cycles.extend(r.cycles);
    }

    if workload == Workload::ListAppend {
        explain_reasons(txns, &mut graph, &mut cycles, options.max_reported_per_type);
    }

    // Count every anomaly; explain the first few of each type.
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut anomalies = Vec::new();
    for f in &findings {
        let n = counts.entry(f.kind.name()).or_default();
        *n += 1;
        if *n <= options.max_reported_per_type {
            anomalies.push(direct_anomaly(txns, f));
        }
    }
    for c in &cycles {
        let n = counts.entry(c.kind.name()).or_default();
        *n += 1;
        if *n > options.max_reported_per_type {
            continue;
        }
        let dot = cycle_dot(txns, workload, &graph.reasons, c);
        let cycle: Vec<CycleEdge> = c
            .steps
            .iter()
            .map(|s| CycleEdge {
                from: txns.name(s.from),
                to: txns.name(s.to),
                edge: kind_name(s.kind).to_string(),
                key: s
                    .reason(&graph.reasons)
                    .map(|r| txns.keys.value(r.key).clone()),
                why: edge_sentence(txns, workload, &graph.reasons, s),
            })
            .collect();
        let svg = if options.svg { render_svg(&dot) } else { None };
        // Elle's names carry `-item`; the family lets a reader group them by Adya's classes.
        let detail = Some(AnomalyDetail::Cycle(DependencyCycle {
            family: Some(c.kind.family().to_string()),
            variant: Some(c.kind.variant.name().to_string()),
            cycle,
            shortest: c.shortest,
            dot,
            svg,
        }));
        let mut ops: Vec<u64> = Vec::new();
        for s in &c.steps {
            ops.extend(txns.event_indices(s.from));
        }
        anomalies.push(Anomaly {
            kind: c.kind.name().to_string(),
            ops,
            explanation: explain_cycle(txns, workload, &graph.reasons, c),
            detail,
        });
    }

    let found: Vec<&str> = counts.keys().copied().collect();
    report.anomalies = anomalies;
    report.valid = if found.iter().any(|a| forbidden.contains(*a)) {
        Validity::Invalid
    } else if undecided.iter().any(|a| forbidden.contains(*a)) {
        Validity::Unknown
    } else {
        report.unknown_reason = None;
        Validity::Valid
    };
    if report.valid == Validity::Invalid {
        report.unknown_reason = None;
    } else if !inferred_any && !txns.is_empty() {
        // An anomaly the models forbid is a verdict; anything else over an empty graph is not.
        return Err(CheckError::NoDependencies {
            checker: workload.name().to_string(),
            txns: txns.len(),
            committed: txns
                .txns
                .iter()
                .filter(|t| t.outcome == Outcome::Ok)
                .count(),
            orders: counted != DATA,
        });
    }

    let boundary = models::boundary(found.iter().copied());
    report.stat("consistency-models", json!(options.consistency_models));
    report.stat("not", json!(boundary.not));
    report.stat("also-not", json!(boundary.also_not));
    report.stat("possible", json!(boundary.possible));
    report.stat("anomaly-counts", json!(counts));
    if !undecided.is_empty() {
        report.stat("undecided", json!(undecided));
    }
    report.events = Some(event_count as u64);
    report.stat("txns", txns.len());
    report.stat("keys", txns.keys.len());
    report.stat("edges", graph.csr.edge_count());
    report.stat("data-edges", data_edges);
    report.stat("cyclic-components", components.len());
    report.stat(
        "largest-component",
        components.iter().map(Vec::len).max().unwrap_or(0),
    );
    report.stat("cycle-search-steps", search_steps);
    if txns.skipped > 0 {
        report.stat("skipped-non-txn-ops", txns.skipped);
    }
    report.stat(
        "elapsed-ms",
        json!({
            "infer": inferred.as_millis() as u64,
            "graph": (graphed - inferred).as_millis() as u64,
            "search-and-explain": (started.elapsed() - graphed).as_millis() as u64,
        }),
    );
    Ok(report)
}

/// Gives the data edges of the cycles that will be explained (the first `max` of each kind,
/// as counted below) their reasons, from a second inference that keeps only those.
fn explain_reasons(txns: &Txns, graph: &mut Graph, cycles: &mut [Cycle], max: usize) {
    let mut per_kind: BTreeMap<&'static str, usize> = BTreeMap::new();
    let explained: Vec<bool> = cycles
        .iter()
        .map(|c| {
            let n = per_kind.entry(c.kind.name()).or_default();
            *n += 1;
            *n <= max
        })
        .collect();
    let needs = |s: &Step| s.why == NONE && s.kind & DATA != 0;
    let wanted: Vec<(u32, u32, u8)> = cycles
        .iter()
        .zip(&explained)
        .filter(|(_, &e)| e)
        .flat_map(|(c, _)| c.steps.iter().filter(|s| needs(s)))
        .map(|s| (s.from, s.to, s.kind))
        .collect();
    if wanted.is_empty() {
        return;
    }
    let found = list_append::reasons_for(txns, wanted);
    for (c, _) in cycles.iter_mut().zip(&explained).filter(|(_, &e)| e) {
        for s in c.steps.iter_mut().filter(|s| needs(s)) {
            if let Some(r) = found.get(&(s.from, s.to, s.kind)) {
                graph.reasons.push(*r);
                s.why = (graph.reasons.len() - 1) as u32;
            }
        }
    }
}

fn direct_anomaly(txns: &Txns, f: &DirectFinding) -> Anomaly {
    let involved: Vec<u32> = f.txns.iter().copied().filter(|&t| t != NONE).collect();
    let mut ops = Vec::new();
    for &t in &involved {
        ops.extend(txns.event_indices(t));
    }
    Anomaly {
        kind: f.kind.name().to_string(),
        ops,
        explanation: explain_direct(txns, &f.explanation, &involved),
        detail: f.detail.clone(),
    }
}

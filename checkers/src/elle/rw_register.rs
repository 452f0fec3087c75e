//! Version orders and dependencies for read-write register histories (Elle section 5.2).
//!
//! Unique written values let every read name its writer (wr edges), but a register read shows
//! only the latest value, so the version order must be inferred: the initial state (`nil`) comes
//! before every write, and — when the user says the database promises it — a transaction's write
//! follows the version it read (writes-follow-reads), or each process sees each key's versions in
//! order (sequential keys). An inferred order that is cyclic is itself an anomaly.

use serde_json::json;

use super::anomaly::{Direct, DirectFinding};
use super::graph::{
    EdgeList, Reason, NONE, RW, VIA_INITIAL, VIA_PROCESS, VIA_REALTIME, VIA_WFR, WR, WW,
};
use super::intern::{fast_map, pair, pair_map, FastMap, PairMap};
use super::txns::{MopVal, Outcome, Txns};
use crate::history::txn::MicroKind;
use crate::verdict::{AnomalyDetail, VersionCycle};

pub use crate::options::Assumptions;

/// The initial (`nil`) version of every key.
const NIL: u32 = u32::MAX - 1;

#[derive(Clone, Copy)]
struct Writer {
    txn: u32,
    mop: u32,
}

pub struct Inference {
    pub findings: Vec<DirectFinding>,
    pub edges: EdgeList,
    /// Values written to a key by more than one transaction: reads of them are not used.
    pub ambiguous_writes: usize,
}

fn version(val: MopVal) -> Option<u32> {
    match val {
        MopVal::Nil => Some(NIL),
        MopVal::Atom(v) => Some(v),
        _ => None,
    }
}

pub fn infer(txns: &Txns, assume: Assumptions) -> Inference {
    let outcome = |t: u32| txns.txns[t as usize].outcome;
    let show = |v: u32| {
        if v == NIL {
            "nil".to_string()
        } else {
            txns.val(v)
        }
    };
    let mut findings = Vec::new();
    let mut writers: PairMap<Writer> = pair_map();
    let mut ambiguous = 0usize;
    for t in 0..txns.len() as u32 {
        for (i, m) in txns.mops(t).iter().enumerate() {
            if let (MicroKind::Write, MopVal::Atom(v)) = (m.kind, m.val) {
                let w = Writer {
                    txn: t,
                    mop: txns.mop_id(t, i),
                };
                let e = writers.entry(pair(m.key, v)).or_insert(w);
                if e.txn != t {
                    e.txn = NONE; // written twice: we cannot tell who a read saw
                    ambiguous += 1;
                }
            }
        }
    }
    let writer_of = |k: u32, v: u32| writers.get(&pair(k, v)).copied().filter(|w| w.txn != NONE);
    let final_write = |t: u32, k: u32| {
        txns.mops(t)
            .iter()
            .enumerate()
            .rev()
            .find(|(_, m)| m.kind == MicroKind::Write && m.key == k)
            .map(|(i, m)| (txns.mop_id(t, i), m.val))
    };

    // External reads: (key, version) -> (reader, read mop).
    let mut readers: PairMap<Vec<(u32, u32)>> = pair_map();
    // Version-order edges: (key, earlier, later, via, witness).
    let mut vedges: Vec<(u32, u32, u32, u8, u32)> = Vec::new();
    // Per process and key, the last version it observed (sequential keys).
    let mut last_seen: PairMap<u32> = pair_map();
    let mut lost: PairMap<Vec<u32>> = pair_map();
    let mut state: Vec<(u32, Option<u32>, bool)> = Vec::new();
    for t in 0..txns.len() as u32 {
        let txn = &txns.txns[t as usize];
        // Final writes of committed or possibly committed transactions follow the initial state.
        if txn.outcome != Outcome::Fail {
            for (i, m) in txns.mops(t).iter().enumerate() {
                if let (MicroKind::Write, MopVal::Atom(v)) = (m.kind, m.val) {
                    if final_write(t, m.key).map(|f| f.0) == Some(txns.mop_id(t, i)) {
                        vedges.push((m.key, NIL, v, VIA_INITIAL, NONE));
                    }
                }
            }
        }
        if txn.outcome != Outcome::Ok {
            continue;
        }
        state.clear();
        for (i, m) in txns.mops(t).iter().enumerate() {
            let mop = txns.mop_id(t, i);
            let slot = match state.iter().position(|s| s.0 == m.key) {
                Some(s) => s,
                None => {
                    state.push((m.key, None, false));
                    state.len() - 1
                }
            };
            let (_, expected, wrote) = &mut state[slot];
            let Some(v) = version(m.val) else { continue };
            if m.kind == MicroKind::Write {
                *expected = Some(v);
                *wrote = true;
                continue;
            }
            if let Some(x) = *expected {
                if x != v {
                    findings.push(DirectFinding {
                        kind: Direct::Internal,
                        txns: vec![t],
                        explanation: format!(
                            "{} read {} = {}, but its own earlier {} of {} was {}.",
                            txns.name(t),
                            txns.key(m.key),
                            show(v),
                            if *wrote { "write" } else { "read" },
                            txns.key(m.key),
                            show(x)
                        ),
                        detail: Some(AnomalyDetail::other([(
                            "key",
                            txns.keys.value(m.key).clone(),
                        )])),
                    });
                }
                *expected = Some(v);
                continue;
            }
            *expected = Some(v);
            // The first read of the key, before any write of it: an external read.
            readers.entry(pair(m.key, v)).or_default().push((t, mop));
            if let Some((_, MopVal::Atom(w))) = final_write(t, m.key) {
                lost.entry(pair(m.key, v)).or_default().push(t);
                if assume.writes_follow_reads && w != v {
                    vedges.push((m.key, v, w, VIA_WFR, t));
                }
            }
            if v == NIL {
                continue;
            }
            let Some(w) = writer_of(m.key, v) else {
                continue;
            };
            if w.txn == t {
                findings.push(DirectFinding {
                    kind: Direct::FutureRead,
                    txns: vec![t],
                    explanation: format!(
                        "{} read {} = {} before it wrote {} itself: it saw its own future write.",
                        txns.name(t),
                        txns.key(m.key),
                        show(v),
                        show(v)
                    ),
                    detail: Some(AnomalyDetail::other([(
                        "key",
                        txns.keys.value(m.key).clone(),
                    )])),
                });
                continue;
            }
            match outcome(w.txn) {
                Outcome::Fail => findings.push(DirectFinding {
                    kind: Direct::G1a,
                    txns: vec![w.txn, t],
                    explanation: format!(
                        "{} read {} = {}, written by {} — and {} failed (aborted), so its write \
                         may never be seen.",
                        txns.name(t),
                        txns.key(m.key),
                        show(v),
                        txns.name(w.txn),
                        txns.name(w.txn)
                    ),
                    detail: Some(AnomalyDetail::other([(
                        "key",
                        txns.keys.value(m.key).clone(),
                    )])),
                }),
                _ => {
                    if final_write(w.txn, m.key).is_some_and(|(f, _)| f != w.mop) {
                        findings.push(DirectFinding {
                            kind: Direct::G1b,
                            txns: vec![w.txn, t],
                            explanation: format!(
                                "{} read {} = {}, which {} wrote and then overwrote itself: an \
                                 intermediate value that was never committed.",
                                txns.name(t),
                                txns.key(m.key),
                                show(v),
                                txns.name(w.txn)
                            ),
                            detail: Some(AnomalyDetail::other([(
                                "key",
                                txns.keys.value(m.key).clone(),
                            )])),
                        });
                    }
                }
            }
        }
        // Sequential keys: this process saw these versions after the ones it saw before.
        if let (true, Some(p)) = (assume.sequential_keys, txn.process) {
            for &(k, v, _) in &state {
                let Some(v) = v else { continue };
                if let Some(prev) = last_seen.insert(pair(p as u32, k), v) {
                    if prev != v {
                        vedges.push((k, prev, v, VIA_PROCESS, t));
                    }
                }
            }
        }
    }

    if assume.linearizable_keys {
        realtime_versions(txns, &mut vedges);
    }

    // Per key: check the version order is acyclic, then derive ww and rw edges from it.
    let mut edges = EdgeList::default();
    vedges.sort_unstable_by_key(|e| (e.0, e.1, e.2));
    vedges.dedup_by_key(|e| (e.0, e.1, e.2));
    let mut start = 0;
    while start < vedges.len() {
        let k = vedges[start].0;
        let end = start + vedges[start..].iter().take_while(|e| e.0 == k).count();
        let key_edges = &vedges[start..end];
        start = end;
        if let Some(cycle) = version_cycle(key_edges) {
            let shown: Vec<String> = cycle.iter().map(|&v| show(v)).collect();
            let witnesses: Vec<u32> = key_edges
                .iter()
                .filter(|e| e.4 != NONE && cycle.contains(&e.1) && cycle.contains(&e.2))
                .map(|e| e.4)
                .collect();
            findings.push(DirectFinding {
                kind: Direct::CyclicVersions,
                txns: witnesses,
                explanation: format!(
                    "The versions of {} must be ordered {} → {}, which is a cycle: no order of \
                     versions is consistent with what was observed.",
                    txns.key(k),
                    shown.join(" → "),
                    shown[0]
                ),
                detail: Some(AnomalyDetail::VersionCycle(VersionCycle {
                    key: txns.keys.value(k).clone(),
                    cycle: shown,
                })),
            });
            continue;
        }
        for &(_, a, b, via, witness) in key_edges {
            let Some(wb) = writer_of(k, b).filter(|w| outcome(w.txn) != Outcome::Fail) else {
                continue;
            };
            if a != NIL {
                if let Some(wa) = writer_of(k, a).filter(|w| outcome(w.txn) != Outcome::Fail) {
                    edges.add(
                        wa.txn,
                        wb.txn,
                        WW,
                        Some(Reason::new(k, a, b, NONE).via(via, witness)),
                    );
                }
            }
            for &(r, mop) in readers.get(&pair(k, a)).map_or(&[][..], |v| v.as_slice()) {
                edges.add(
                    r,
                    wb.txn,
                    RW,
                    Some(Reason::new(k, a, b, mop).via(via, witness)),
                );
            }
        }
    }
    // wr: each external read from its writer.
    for (&kv, rs) in &readers {
        let (k, v) = ((kv >> 32) as u32, kv as u32);
        if v == NIL {
            continue;
        }
        let Some(w) = writer_of(k, v).filter(|w| outcome(w.txn) != Outcome::Fail) else {
            continue;
        };
        for &(r, mop) in rs {
            edges.add(w.txn, r, WR, Some(Reason::new(k, v, NONE, mop)));
        }
    }
    let mut groups: Vec<(u64, Vec<u32>)> = lost.into_iter().filter(|(_, g)| g.len() > 1).collect();
    groups.sort_unstable();
    for (kv, group) in groups {
        let (k, v) = ((kv >> 32) as u32, kv as u32);
        let names: Vec<String> = group.iter().map(|&t| txns.name(t)).collect();
        findings.push(DirectFinding {
            kind: Direct::LostUpdate,
            txns: group,
            explanation: format!(
                "{} all read {} = {} and then wrote {}: in any serial order all but the first \
                 would have read a later value, so all but one of these updates were lost.",
                names.join(", "),
                txns.key(k),
                show(v),
                txns.key(k)
            ),
            detail: Some(AnomalyDetail::other([
                ("key", txns.keys.value(k).clone()),
                ("txns", json!(names)),
            ])),
        });
    }
    Inference {
        findings,
        edges,
        ambiguous_writes: ambiguous,
    }
}

/// A cycle among one key's version-order edges, as the versions in order, if there is one.
fn version_cycle(edges: &[(u32, u32, u32, u8, u32)]) -> Option<Vec<u32>> {
    use super::graph::Csr;
    use super::scc::sccs;
    let mut ids: FastMap<u32, u32> = fast_map();
    let mut names = Vec::new();
    let mut id = |v: u32, names: &mut Vec<u32>| {
        *ids.entry(v).or_insert_with(|| {
            names.push(v);
            names.len() as u32 - 1
        })
    };
    let (mut from, mut to) = (Vec::new(), Vec::new());
    for e in edges {
        from.push(id(e.1, &mut names));
        to.push(id(e.2, &mut names));
    }
    let csr = Csr::build(
        names.len(),
        &from,
        &to,
        &vec![WW; from.len()],
        &vec![NONE; from.len()],
    );
    let comp = sccs(&csr, WW).into_iter().next()?;
    // Walk inside the component until a vertex repeats.
    let inside: FastMap<u32, ()> = comp.iter().map(|&v| (v, ())).collect();
    let mut path = vec![comp[0]];
    let mut at = comp[0];
    loop {
        let next = csr
            .out(at)
            .map(|e| csr.targets[e])
            .find(|w| inside.contains_key(w))?;
        if let Some(i) = path.iter().position(|&p| p == next) {
            return Some(path[i..].iter().map(|&p| names[p as usize]).collect());
        }
        path.push(next);
        at = next;
    }
}

/// The first and last version of `k` a committed transaction observed or installed.
fn versions_of(txns: &Txns, t: u32, k: u32) -> Option<(u32, u32)> {
    let mut seen = txns
        .mops(t)
        .iter()
        .filter(|m| m.key == k)
        .filter_map(|m| version(m.val));
    let first = seen.next()?;
    Some((first, seen.next_back().unwrap_or(first)))
}

/// Linearizable keys: real-time order between committed transactions touching a key orders
/// their versions. Built with a per-key completion frontier, as the real-time graph is.
fn realtime_versions(txns: &Txns, vedges: &mut Vec<(u32, u32, u32, u8, u32)>) {
    let mut events: Vec<(u32, u32, bool)> = Vec::new();
    for (t, txn) in txns.txns.iter().enumerate() {
        if let (Outcome::Ok, Some(c)) = (txn.outcome, txn.complete_pos) {
            events.push((txn.invoke_pos, t as u32, false));
            events.push((c, t as u32, true));
        }
    }
    events.sort_unstable();
    let mut frontier: FastMap<u32, Vec<(u32, u32)>> = fast_map();
    let mut preds: FastMap<u32, Vec<(u32, Vec<u32>)>> = fast_map();
    let mut keys: Vec<u32> = Vec::new();
    for (_, t, complete) in events {
        keys.clear();
        keys.extend(txns.mops(t).iter().map(|m| m.key));
        keys.sort_unstable();
        keys.dedup();
        if !complete {
            let mut mine = Vec::new();
            for &k in &keys {
                let Some((first, _)) = versions_of(txns, t, k) else {
                    continue;
                };
                let f = frontier.entry(k).or_default();
                for &(u, v) in f.iter() {
                    if v != first {
                        vedges.push((k, v, first, VIA_REALTIME, u));
                    }
                }
                mine.push((k, f.iter().map(|x| x.0).collect()));
            }
            preds.insert(t, mine);
        } else {
            for (k, before) in preds.remove(&t).unwrap_or_default() {
                let Some((_, last)) = versions_of(txns, t, k) else {
                    continue;
                };
                let f = frontier.entry(k).or_default();
                f.retain(|x| !before.contains(&x.0));
                f.push((t, last));
            }
        }
    }
}

//! Version orders and dependencies for list-append histories (Elle section 5.1).
//!
//! Appends of unique elements make every read a full witness of the key's history up to that
//! point: the longest read of a key gives its version order, and every other committed read must
//! be a prefix of it. From that order come ww edges (adjacent appends), wr edges (the writer of a
//! read's last element) and rw edges (a reader to the writer of the first element its read lacks).
//! An element no read ever saw was still appended after every element that any read saw, so the
//! readers of the longest version anti-depend on its writer.

use serde_json::json;

use super::anomaly::{Direct, DirectFinding};
use super::graph::{EdgeList, EdgeSink, Reason, ReasonLookup, NONE, RW, VIA_UNREAD, WR, WW};
use super::intern::{fast_map, pair, FastMap, PairMap};
use super::txns::{MopVal, Outcome, Txns};
use crate::history::txn::MicroKind;
use crate::verdict::{AnomalyDetail, ElementDetail};

/// The writer of an element: transaction and micro-op position in `Txns::mops`.
#[derive(Clone, Copy)]
struct Writer {
    txn: u32,
    mop: u32,
}

/// One append to a key: the element and who appended it.
#[derive(Clone, Copy)]
struct Append {
    elem: u32,
    txn: u32,
    mop: u32,
}

/// Each key's appends sorted by element (first append of an element first), which is also the
/// index from element to writer: a binary search in the key's own appends instead of one hash
/// table of every (key, element), which on a million long transactions was the largest
/// structure of the check.
struct Appends(Vec<Vec<Append>>);

impl Appends {
    fn writer(&self, k: u32, e: u32) -> Option<Writer> {
        let list = &self.0[k as usize];
        let at = list.partition_point(|a| a.elem < e);
        list.get(at).filter(|a| a.elem == e).map(|a| Writer {
            txn: a.txn,
            mop: a.mop,
        })
    }

    /// The first append of each distinct element of key `k`.
    fn firsts(&self, k: u32) -> impl Iterator<Item = &Append> {
        let list = &self.0[k as usize];
        list.iter()
            .enumerate()
            .filter(move |(i, a)| *i == 0 || list[i - 1].elem != a.elem)
            .map(|(_, a)| a)
    }
}

/// A transaction's first read of a key: which micro-op, and how many of its elements precede the
/// transaction's own appends (the version it observed from others).
#[derive(Clone, Copy)]
struct ExtRead {
    txn: u32,
    mop: u32,
    observed: u32,
    /// Whether the transaction also appends to the key.
    writes: bool,
}

/// What a transaction knows of one key while its micro-ops are read in order: the key, the list
/// it must read next once it has read the key (its last read, then its own appends since), its
/// own appends so far, whether it read it yet. The last read is borrowed, not copied: a long
/// read is not copied once per read of it.
type KeyState<'a> = (u32, Option<(&'a [u32], Vec<u32>)>, Vec<u32>, bool);

/// Whether `short` is a prefix of `long`; reads sharing their key's list
/// ([`super::txns::MopVal::Prefix`]) are known to be without comparing elements.
fn is_prefix(long: &[u32], short: &[u32]) -> bool {
    short.len() <= long.len() && (short.as_ptr() == long.as_ptr() || long.starts_with(short))
}

pub struct Inference {
    pub findings: Vec<DirectFinding>,
    pub edges: EdgeList,
}

/// Infers the version orders, the non-cycle anomalies and the data edges, each edge with its
/// reason.
pub fn infer(txns: &Txns) -> Inference {
    let mut edges = EdgeList::default();
    let findings = infer_into(txns, &mut edges);
    Inference { findings, edges }
}

/// The reasons of the given data edges `(from, to, kind)`, found by inferring again: a check
/// keeps no reasons (on a million long transactions they were a third of its memory) and asks
/// for them only for the edges of the cycles it explains. Of parallel edges, the first one
/// inference adds is the one the cycle search walks first.
pub fn reasons_for(
    txns: &Txns,
    wanted: impl IntoIterator<Item = (u32, u32, u8)>,
) -> FastMap<(u32, u32, u8), Reason> {
    let mut lookup = ReasonLookup::new(wanted);
    infer_into(txns, &mut lookup);
    lookup.found()
}

/// [`infer`] into any sink of edges; returns the non-cycle anomalies.
pub fn infer_into<S: EdgeSink>(txns: &Txns, edges: &mut S) -> Vec<DirectFinding> {
    let nkeys = txns.keys.len();
    let mut findings = Vec::new();
    // Every append of each key, by element (a stable sort: of an element appended twice, the
    // first append is its writer); mop ids follow history order.
    let mut appends: Vec<Vec<Append>> = vec![Vec::new(); nkeys];
    for t in 0..txns.len() as u32 {
        for (i, m) in txns.mops(t).iter().enumerate() {
            if let (MicroKind::Append, MopVal::Atom(e)) = (m.kind, m.val) {
                appends[m.key as usize].push(Append {
                    elem: e,
                    txn: t,
                    mop: txns.mop_id(t, i),
                });
            }
        }
    }
    for list in &mut appends {
        list.sort_by_key(|a| a.elem);
    }
    let appends = Appends(appends);
    let writer_of = |k: u32, e: u32| appends.writer(k, e);
    // Appends of failed transactions (usually few): what aborted reads are checked against.
    let failed: PairMap<u32> = (0..nkeys as u32)
        .flat_map(|k| {
            appends
                .firsts(k)
                .filter(|a| txns.txns[a.txn as usize].outcome == Outcome::Fail)
                .map(move |a| (pair(k, a.elem), a.txn))
        })
        .collect();
    let outcome = |t: u32| txns.txns[t as usize].outcome;

    // Per transaction: internal consistency, future reads, aborted reads, external reads.
    let mut reads: Vec<Vec<u32>> = vec![Vec::new(); nkeys]; // read mop ids per key
    let mut ext: Vec<Vec<ExtRead>> = vec![Vec::new(); nkeys];
    let mut state: Vec<KeyState> = Vec::new();
    for t in 0..txns.len() as u32 {
        if outcome(t) != Outcome::Ok {
            continue;
        }
        state.clear();
        let mops = txns.mops(t);
        for (i, m) in mops.iter().enumerate() {
            let slot = match state.iter().position(|s| s.0 == m.key) {
                Some(s) => s,
                None => {
                    state.push((m.key, None, Vec::new(), false));
                    state.len() - 1
                }
            };
            let (_, expected, own, seen_read) = &mut state[slot];
            match m.kind {
                MicroKind::Append => {
                    if let MopVal::Atom(e) = m.val {
                        own.push(e);
                        if let Some((_, since)) = expected {
                            since.push(e);
                        }
                    }
                }
                _ => {
                    let Some(list) = txns.read_list(m) else {
                        continue;
                    };
                    let mop = txns.mop_id(t, i);
                    reads[m.key as usize].push(mop);
                    // Internal: a later read must show exactly what the transaction already knows.
                    let internal_ok = match expected {
                        Some((last, since)) => {
                            list.len() == last.len() + since.len()
                                && is_prefix(list, last)
                                && list[last.len()..] == since[..]
                        }
                        None => list.ends_with(own),
                    };
                    if !internal_ok {
                        let want = match expected {
                            Some((last, since)) => txns.show_list(&[*last, &since[..]].concat()),
                            None => format!("a list ending in {}", txns.show_list(own)),
                        };
                        findings.push(DirectFinding {
                            kind: Direct::Internal,
                            txns: vec![t],
                            explanation: format!(
                                "{} read {} = {}, but from its own earlier reads and appends it \
                                 must have seen {want}.",
                                txns.name(t),
                                txns.key(m.key),
                                txns.show_list(list),
                            ),
                            detail: Some(AnomalyDetail::other([
                                ("key", txns.keys.value(m.key).clone()),
                                ("expected", json!(want)),
                            ])),
                        });
                    } else if !*seen_read {
                        ext[m.key as usize].push(ExtRead {
                            txn: t,
                            mop,
                            observed: (list.len() - own.len()) as u32,
                            writes: mops
                                .iter()
                                .any(|x| x.kind == MicroKind::Append && x.key == m.key),
                        });
                    }
                    *seen_read = true;
                    *expected = Some((list, Vec::new()));
                    // Future read: an element this transaction appends only later. Its later
                    // appends to the key are looked up first (usually there are none), so a long
                    // read in a long transaction is not scanned once per later micro-op.
                    let later: Vec<u32> = mops[i + 1..]
                        .iter()
                        .filter(|x| x.kind == MicroKind::Append && x.key == m.key)
                        .filter_map(|x| match x.val {
                            MopVal::Atom(e) => Some(e),
                            _ => None,
                        })
                        .collect();
                    let future = if later.is_empty() {
                        None
                    } else {
                        list.iter().find(|e| later.contains(e))
                    };
                    if let Some(&e) = future {
                        findings.push(DirectFinding {
                            kind: Direct::FutureRead,
                            txns: vec![t],
                            explanation: format!(
                                "{} read {} = {} before it appended {} itself: it saw its own \
                                 future write.",
                                txns.name(t),
                                txns.key(m.key),
                                txns.show_list(list),
                                txns.val(e)
                            ),
                            detail: Some(AnomalyDetail::Element(ElementDetail {
                                key: txns.keys.value(m.key).clone(),
                                element: txns.values.value(e).clone(),
                                count: None,
                                stable_latency_ms: None,
                            })),
                        });
                    }
                    // Aborted read: an element of a failed transaction.
                    let aborted = list.iter().find_map(|&e| {
                        if failed.is_empty() {
                            return None;
                        }
                        failed.get(&pair(m.key, e)).map(|&w| (e, w))
                    });
                    if let Some((e, w)) = aborted {
                        findings.push(DirectFinding {
                            kind: Direct::G1a,
                            txns: vec![w, t],
                            explanation: format!(
                                "{} read {} = {}, which contains {}, appended by {} — and {} failed \
                                 (aborted), so nothing it wrote may ever be seen.",
                                txns.name(t),
                                txns.key(m.key),
                                txns.show_list(list),
                                txns.val(e),
                                txns.name(w),
                                txns.name(w)
                            ),
                            detail: Some(AnomalyDetail::Element(ElementDetail {
                key: txns.keys.value(m.key).clone(),
                element: txns.values.value(e).clone(),
                count: None,
                stable_latency_ms: None,
            })),
                        });
                    }
                }
            }
        }
    }

    let mut seen: FastMap<u32, ()> = fast_map();
    let list_of = |mop: u32| txns.read_list(&txns.mops[mop as usize]).unwrap_or(&[]);
    // Pass 1: each key's order (the read that gives it), and which indeterminate transactions
    // are known to have committed because a read saw one of their appends.
    let mut order_mops: Vec<Option<u32>> = vec![None; nkeys];
    let mut seen_committed = vec![false; txns.len()];
    for k in 0..nkeys as u32 {
        let key_reads = &reads[k as usize];
        if key_reads.is_empty() {
            continue;
        }
        let reader_of = |mop: u32| txns.owner_of_mop(mop);
        // Longest read without duplicates is the version order.
        let mut by_len: Vec<u32> = key_reads.clone();
        by_len.sort_by_key(|&m| std::cmp::Reverse(list_of(m).len()));
        let mut order: &[u32] = &[];
        let mut order_mop: Option<u32> = None;
        let mut dup_reported = false;
        for &m in &by_len {
            let list = list_of(m);
            seen.clear();
            match list.iter().find(|&&e| seen.insert(e, ()).is_some()) {
                None => {
                    order = list;
                    order_mop = Some(m);
                    break;
                }
                Some(&e) if !dup_reported => {
                    dup_reported = true;
                    let r = reader_of(m);
                    findings.push(DirectFinding {
                        kind: Direct::DuplicateElements,
                        txns: vec![r],
                        explanation: format!(
                            "{} read {} = {}, where {} appears more than once; every element is \
                             appended once, so no list can hold it twice.",
                            txns.name(r),
                            txns.key(k),
                            txns.show_list(list),
                            txns.val(e)
                        ),
                        detail: Some(AnomalyDetail::Element(ElementDetail {
                            key: txns.keys.value(k).clone(),
                            element: txns.values.value(e).clone(),
                            count: None,
                            stable_latency_ms: None,
                        })),
                    });
                }
                Some(_) => {}
            }
        }
        // Every other read must be a prefix of it.
        let mut incompatible_reported = false;
        let compatible = |m: u32| is_prefix(order, list_of(m));
        for &m in key_reads {
            if compatible(m) || incompatible_reported {
                continue;
            }
            let list = list_of(m);
            seen.clear();
            if list.iter().any(|&e| seen.insert(e, ()).is_some()) {
                continue; // already a duplicate-elements case
            }
            incompatible_reported = true;
            let (a, b) = (reader_of(m), order_mop.map_or(NONE, reader_of));
            findings.push(DirectFinding {
                kind: Direct::IncompatibleOrder,
                txns: if b == NONE { vec![a] } else { vec![b, a] },
                explanation: format!(
                    "{} read {k} = {}, and {} read {k} = {}: neither is a prefix of the other, so \
                     no single order of appends to {k} produces both.",
                    if b == NONE {
                        "another transaction".to_string()
                    } else {
                        txns.name(b)
                    },
                    txns.show_list(order),
                    txns.name(a),
                    txns.show_list(list),
                    k = txns.key(k),
                ),
                detail: Some(AnomalyDetail::other([
                    ("key", txns.keys.value(k).clone()),
                    (
                        "values",
                        json!([
                            order
                                .iter()
                                .map(|&e| txns.values.value(e))
                                .collect::<Vec<_>>(),
                            list.iter()
                                .map(|&e| txns.values.value(e))
                                .collect::<Vec<_>>()
                        ]),
                    ),
                ])),
            });
        }
        order_mops[k as usize] = order_mop;
        for &e in order {
            if let Some(w) = writer_of(k, e) {
                seen_committed[w.txn as usize] = true;
            }
        }
    }

    // Pass 2: dependencies from each key's order.
    for k in 0..nkeys as u32 {
        if reads[k as usize].is_empty() && appends.0[k as usize].is_empty() {
            continue;
        }
        let order: &[u32] = order_mops[k as usize].map_or(&[], list_of);
        let compatible = |m: u32| is_prefix(order, list_of(m));
        // The writer of each element of the order, looked up once.
        let ow: Vec<Option<Writer>> = order.iter().map(|&e| writer_of(k, e)).collect();

        // Dirty update: a committed append on top of an aborted one.
        let committed = |w: Option<Writer>| w.filter(|w| outcome(w.txn) != Outcome::Fail);
        if let Some(i) = ow
            .iter()
            .position(|w| w.is_some_and(|w| outcome(w.txn) == Outcome::Fail))
        {
            if let Some(j) = (i..order.len()).find(|&j| committed(ow[j]).is_some()) {
                let later = order[j];
                let (f, c) = (ow[i].map_or(NONE, |w| w.txn), ow[j].map_or(NONE, |w| w.txn));
                findings.push(DirectFinding {
                    kind: Direct::DirtyUpdate,
                    txns: vec![f, c],
                    explanation: format!(
                        "In {k}'s order {}, {} (appended by {}, which failed) comes before {} \
                         (appended by {}, which did not fail): a committed write was applied on \
                         top of an aborted one.",
                        txns.show_list(order),
                        txns.val(order[i]),
                        txns.name(f),
                        txns.val(later),
                        txns.name(c),
                        k = txns.key(k)
                    ),
                    detail: Some(AnomalyDetail::other([("key", txns.keys.value(k).clone())])),
                });
            }
        }

        // ww: each committed append to the next one by another transaction.
        let mut last: Option<(u32, u32)> = None; // (txn, element)
        for (j, &e) in order.iter().enumerate() {
            let Some(w) = committed(ow[j]) else {
                continue;
            };
            if let Some((lt, le)) = last {
                if lt != w.txn {
                    edges.add(lt, w.txn, WW, Some(Reason::new(k, le, e, NONE)));
                }
            }
            last = Some((w.txn, e));
        }
        // Appends (by committed transactions) that no read saw come after the whole order.
        seen.clear();
        for &e in order {
            seen.insert(e, ());
        }
        let mut unread: Vec<Append> = appends.0[k as usize]
            .iter()
            .copied()
            .filter(|a| {
                // Committed for sure: `ok`, or indeterminate but seen elsewhere.
                let t = a.txn;
                let committed = outcome(t) == Outcome::Ok
                    || (outcome(t) == Outcome::Info && seen_committed[t as usize]);
                committed && !seen.contains_key(&a.elem)
            })
            .collect();
        // In history order, as the appends were made.
        unread.sort_by_key(|a| a.mop);
        let unread: Vec<(u32, u32)> = unread.iter().map(|a| (a.elem, a.txn)).collect();
        if let Some((lt, le)) = last {
            for &(e, t) in &unread {
                if t != lt {
                    edges.add(
                        lt,
                        t,
                        WW,
                        Some(Reason::new(k, le, e, NONE).via(VIA_UNREAD, NONE)),
                    );
                }
            }
        }

        // wr and rw from each transaction's external read.
        let mut lost: FastMap<u32, Vec<u32>> = fast_map();
        for r in &ext[k as usize] {
            let list = list_of(r.mop);
            if !compatible(r.mop) {
                continue;
            }
            let n = r.observed as usize;
            let last_writer = if n > 0 {
                let e = order[n - 1];
                match ow[n - 1] {
                    Some(w) if w.txn != r.txn => {
                        if outcome(w.txn) != Outcome::Fail {
                            edges.add(w.txn, r.txn, WR, Some(Reason::new(k, e, NONE, r.mop)));
                        }
                        // Intermediate read: the writer appended to the key again afterwards.
                        let later = txns.mops(w.txn).iter().enumerate().any(|(i, x)| {
                            x.kind == MicroKind::Append
                                && x.key == k
                                && txns.mop_id(w.txn, i) > w.mop
                        });
                        if later {
                            findings.push(DirectFinding {
                                kind: Direct::G1b,
                                txns: vec![w.txn, r.txn],
                                explanation: format!(
                                    "{} read {} = {}, ending in {}; but {} appended more to {} \
                                     after {}, so this version was never committed: it is an \
                                     intermediate state of {}.",
                                    txns.name(r.txn),
                                    txns.key(k),
                                    txns.show_list(&list[..n]),
                                    txns.val(e),
                                    txns.name(w.txn),
                                    txns.key(k),
                                    txns.val(e),
                                    txns.name(w.txn)
                                ),
                                detail: Some(AnomalyDetail::Element(ElementDetail {
                                    key: txns.keys.value(k).clone(),
                                    element: txns.values.value(e).clone(),
                                    count: None,
                                    stable_latency_ms: None,
                                })),
                            });
                        }
                        w.txn
                    }
                    Some(w) => w.txn,
                    None => NONE,
                }
            } else {
                NONE
            };
            let from_val = if n > 0 { order[n - 1] } else { NONE };
            // The first later element by a different (committed) transaction.
            let next = (n..order.len()).find_map(|j| {
                let e = order[j];
                committed(ow[j])
                    .filter(|w| w.txn != last_writer)
                    .map(|w| (e, w.txn))
            });
            match next {
                Some((e, w)) => {
                    edges.add(r.txn, w, RW, Some(Reason::new(k, from_val, e, r.mop)));
                }
                None => {
                    for &(e, w) in &unread {
                        if w != last_writer {
                            edges.add(
                                r.txn,
                                w,
                                RW,
                                Some(Reason::new(k, from_val, e, r.mop).via(VIA_UNREAD, NONE)),
                            );
                        }
                    }
                }
            }
            if r.writes {
                lost.entry(r.observed).or_default().push(r.txn);
            }
        }
        let mut groups: Vec<(u32, Vec<u32>)> =
            lost.into_iter().filter(|(_, v)| v.len() > 1).collect();
        groups.sort_unstable();
        for (n, group) in groups {
            let names: Vec<String> = group.iter().map(|&t| txns.name(t)).collect();
            findings.push(DirectFinding {
                kind: Direct::LostUpdate,
                txns: group.clone(),
                explanation: format!(
                    "{} all read {} = {} and then appended to it: under any serial order, all \
                     but the first would have seen an earlier one's append, so one update was \
                     lost.",
                    names.join(", "),
                    txns.key(k),
                    txns.show_list(&order[..n as usize])
                ),
                detail: Some(AnomalyDetail::other([
                    ("key", txns.keys.value(k).clone()),
                    ("txns", json!(names)),
                ])),
            });
        }
    }
    findings
}

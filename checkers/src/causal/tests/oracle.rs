//! A brute-force decision of the same rules, written independently of the checker for small
//! histories: explicit transitive closure, every pair of writes compared.

use std::collections::{HashMap, HashSet};

use crate::history::txn::{parse_txn, MicroKind};
use crate::{History, OpType, Value};

struct T {
    ok: bool,
    event: u64,
    /// (kind, key text, value)
    mops: Vec<(MicroKind, String, Value)>,
}

/// The reader events the oracle finds at fault (missed causes, reorders, intermediate reads),
/// and whether the history is valid at all (no thin-air read, no cycle, no fault).
pub struct Verdict {
    pub valid: bool,
    pub faulty_readers: HashSet<u64>,
    /// No cycle in the causal order together with the write order reads force (CCv).
    pub convergent: bool,
}

pub fn decide(history: &History) -> Verdict {
    let mut txns: Vec<T> = Vec::new();
    let mut session_of: Vec<usize> = Vec::new();
    let mut so_edges: Vec<(usize, usize)> = Vec::new();
    let mut last: HashMap<u64, (usize, usize, bool)> = HashMap::new(); // process -> (session, txn, retired)
    let mut sessions = 0;
    for pair in history.pairs() {
        if pair.outcome == OpType::Fail {
            continue;
        }
        let inv = history.invocation(pair);
        let ok = pair.outcome == OpType::Ok;
        let mops = parse_txn(history.value(pair))
            .unwrap()
            .into_iter()
            .filter(|m| ok || m.kind != MicroKind::Read)
            .map(|m| (m.kind, m.key.to_string(), m.value))
            .collect();
        let id = txns.len();
        let p = inv.process.client().unwrap();
        let session = match last.get(&p) {
            Some(&(s, prev, false)) => {
                so_edges.push((prev, id));
                s
            }
            _ => {
                sessions += 1;
                sessions - 1
            }
        };
        last.insert(p, (session, id, !ok));
        session_of.push(session);
        txns.push(T {
            ok,
            event: history
                .completion(pair)
                .map(|c| c.index)
                .unwrap_or(inv.index),
            mops,
        });
    }
    let n = txns.len();
    let mut writer: HashMap<(String, String), (usize, usize)> = HashMap::new();
    for (t, txn) in txns.iter().enumerate() {
        for (m, (kind, key, value)) in txn.mops.iter().enumerate() {
            if *kind != MicroKind::Read {
                writer.insert((key.clone(), value.to_string()), (t, m));
            }
        }
    }
    let mut valid = true;
    let mut edges = so_edges;
    for (t, txn) in txns.iter().enumerate() {
        for (kind, key, value) in &txn.mops {
            if *kind != MicroKind::Read {
                continue;
            }
            let items: Vec<&Value> = match value {
                Value::Array(items) => items.iter().collect(),
                Value::Null => vec![],
                v => vec![v],
            };
            for item in items {
                match writer.get(&(key.clone(), item.to_string())) {
                    Some(&(w, _)) if w != t => edges.push((w, t)),
                    Some(_) => {}
                    None => valid = false,
                }
            }
        }
    }
    // reach[a][b]: a path of at least one edge from a to b.
    let mut succ = vec![Vec::new(); n];
    for &(a, b) in &edges {
        succ[a].push(b);
    }
    let mut reach = vec![vec![false; n]; n];
    for (a, row) in reach.iter_mut().enumerate() {
        let mut stack = succ[a].clone();
        while let Some(x) = stack.pop() {
            if !row[x] {
                row[x] = true;
                stack.extend(succ[x].iter().copied());
            }
        }
    }
    if (0..n).any(|x| reach[x][x]) {
        valid = false;
    }
    // strictly before, outside any cycle
    let before = |a: usize, b: usize| a != b && reach[a][b] && !reach[b][a];
    let mut faulty = HashSet::new();
    let mut arbitration: Vec<(usize, usize)> = Vec::new();
    for (t, txn) in txns.iter().enumerate() {
        if !txn.ok {
            continue;
        }
        for (m, (kind, key, value)) in txn.mops.iter().enumerate() {
            if *kind != MicroKind::Read {
                continue;
            }
            let own_write_before = txn.mops[..m]
                .iter()
                .any(|(k, key2, _)| *k != MicroKind::Read && key2 == key);
            let is_list = writer
                .iter()
                .any(|((k, _), &(w, wm))| k == key && txns[w].mops[wm].0 == MicroKind::Append)
                || value.is_array();
            let mut bad = false;
            if is_list {
                let listed: Vec<String> = value
                    .as_array()
                    .map(|a| a.iter().map(|v| v.to_string()).collect())
                    .unwrap_or_default();
                for ((k, v), &(w, _)) in &writer {
                    if k == key && w != t && before(w, t) && !listed.contains(v) {
                        bad = true;
                    }
                }
                let writers: Vec<usize> = listed
                    .iter()
                    .filter_map(|v| writer.get(&(key.clone(), v.clone())).map(|&(w, _)| w))
                    .filter(|&w| w != t)
                    .collect();
                for i in 0..writers.len() {
                    for j in i + 1..writers.len() {
                        if before(writers[j], writers[i]) {
                            bad = true;
                        }
                        if writers[i] != writers[j] {
                            arbitration.push((writers[i], writers[j]));
                        }
                    }
                }
            } else if !own_write_before {
                let source = (!value.is_null())
                    .then(|| writer.get(&(key.clone(), value.to_string())).copied())
                    .flatten();
                if let Some((w, wm)) = source {
                    let later_own = txns[w].mops[wm + 1..]
                        .iter()
                        .any(|(k, key2, _)| *k == MicroKind::Write && key2 == key);
                    if later_own && w != t {
                        bad = true;
                    }
                }
                if value.is_null() || source.is_some_and(|(w, _)| w != t) {
                    for (w2, txn2) in txns.iter().enumerate() {
                        let writes_key = txn2
                            .mops
                            .iter()
                            .any(|(k, key2, _)| *k == MicroKind::Write && key2 == key);
                        if !writes_key || w2 == t || !before(w2, t) {
                            continue;
                        }
                        match source {
                            None => bad = true,
                            Some((w, _)) if w != w2 && reach[w][w2] => bad = true,
                            _ => {}
                        }
                        if let Some((w, _)) = source.filter(|&(w, _)| w != w2) {
                            arbitration.push((w2, w));
                        }
                    }
                }
            }
            if bad {
                faulty.insert(txn.event);
                valid = false;
            }
        }
    }
    for &(a, b) in &arbitration {
        succ[a].push(b);
    }
    let convergent = (0..n).all(|start| {
        let mut seen = vec![false; n];
        let mut stack = succ[start].clone();
        while let Some(x) = stack.pop() {
            if x == start {
                return false;
            }
            if !seen[x] {
                seen[x] = true;
                stack.extend(succ[x].iter().copied());
            }
        }
        true
    });
    Verdict {
        valid,
        faulty_readers: faulty,
        convergent,
    }
}

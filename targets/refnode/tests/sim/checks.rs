//! Direct anomaly checks on recorded histories, for the anomalies each scenario is about. They
//! are deliberately narrow (each assumes the workload its test runs) and say, for every anomaly,
//! which operations show it.

use std::collections::{HashMap, HashSet};

use faultline_checkers::history::txn::{parse_txn, MicroKind};
use faultline_checkers::{History, Op, OpType};
use serde_json::Value;

fn key_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn paired(history: &[Op]) -> History {
    History::new(history.to_vec()).expect("the simulation records well-formed histories")
}

/// An appended element, by transaction.
struct Append {
    key: String,
    value: Value,
    acked: bool,
    /// History position of the completion (`usize::MAX` when not acknowledged).
    completed_at: usize,
    txn: usize,
}

/// A successful read inside a transaction.
struct ListRead {
    key: String,
    list: Vec<Value>,
    invoked_at: usize,
    txn: usize,
}

/// List-append checks against the final lists (read after heal and quiescence):
/// - `lost`: an acknowledged append missing from the final list;
/// - `divergent`: a read that is not a prefix of the final list;
/// - `stale`: a read missing an append acknowledged before the read was invoked;
/// - `fractured`: a transaction sees one of another transaction's appends but not another one
///   that the final state has (the writer was not atomic, or the reader was not).
pub fn list_append(history: &[Op], finals: &HashMap<String, Vec<Value>>) -> Vec<String> {
    let h = paired(history);
    let mut appends = Vec::new();
    let mut reads = Vec::new();
    for (t, pair) in h.pairs().iter().enumerate() {
        let inv = h.invocation(pair);
        if inv.f != "txn" || pair.outcome == OpType::Fail {
            continue;
        }
        let acked = pair.outcome == OpType::Ok;
        let mops = parse_txn(h.value(pair)).expect("txn values parse");
        for m in mops {
            match m.kind {
                MicroKind::Append => appends.push(Append {
                    key: key_of(&m.key),
                    value: m.value,
                    acked,
                    completed_at: if acked {
                        pair.complete.unwrap_or(usize::MAX)
                    } else {
                        usize::MAX
                    },
                    txn: t,
                }),
                MicroKind::Read if acked => reads.push(ListRead {
                    key: key_of(&m.key),
                    list: m.value.as_array().cloned().unwrap_or_default(),
                    invoked_at: pair.invoke,
                    txn: t,
                }),
                _ => {}
            }
        }
    }
    let empty = Vec::new();
    let final_of = |k: &str| finals.get(k).unwrap_or(&empty);
    let final_sets: HashMap<&str, HashSet<String>> = finals
        .iter()
        .map(|(k, l)| (k.as_str(), l.iter().map(Value::to_string).collect()))
        .collect();
    let in_final = |k: &str, v: &Value| {
        final_sets
            .get(k)
            .is_some_and(|s| s.contains(&v.to_string()))
    };
    let mut anomalies = Vec::new();
    for a in appends.iter().filter(|a| a.acked) {
        if !in_final(&a.key, &a.value) {
            anomalies.push(format!(
                "lost: acknowledged append {} to {} is missing from the final list",
                a.value, a.key
            ));
        }
    }
    // Acknowledged appends per key, in completion order.
    let mut acked_by_key: HashMap<&str, Vec<&Append>> = HashMap::new();
    for a in appends.iter().filter(|a| a.acked) {
        acked_by_key.entry(a.key.as_str()).or_default().push(a);
    }
    for list in acked_by_key.values_mut() {
        list.sort_by_key(|a| a.completed_at);
    }
    // Which transaction appended each (key, element).
    let writer_of: HashMap<(&str, String), usize> = appends
        .iter()
        .map(|a| ((a.key.as_str(), a.value.to_string()), a.txn))
        .collect();
    let mut seen_by_txn: HashMap<usize, Vec<(&ListRead, HashSet<String>)>> = HashMap::new();
    for r in &reads {
        let fin = final_of(&r.key);
        if r.list.len() > fin.len() || fin[..r.list.len()] != r.list[..] {
            anomalies.push(format!(
                "divergent: read of {} = {:?} is not a prefix of the final {:?}",
                r.key, r.list, fin
            ));
        }
        let seen: HashSet<String> = r.list.iter().map(Value::to_string).collect();
        for a in acked_by_key.get(r.key.as_str()).into_iter().flatten() {
            if a.completed_at >= r.invoked_at {
                break;
            }
            if !seen.contains(&a.value.to_string()) {
                anomalies.push(format!(
                    "stale: read of {} (event {}) misses append {} acknowledged earlier (event {})",
                    r.key,
                    h.ops()[r.invoked_at].index,
                    a.value,
                    h.ops()[a.completed_at].index
                ));
            }
        }
        seen_by_txn.entry(r.txn).or_default().push((r, seen));
    }
    // Fractured reads: reader txn R sees an append of writer txn T on one key but misses T's
    // append (present in the final state) on another key R read.
    let mut appends_by_txn: HashMap<usize, Vec<&Append>> = HashMap::new();
    for a in &appends {
        appends_by_txn.entry(a.txn).or_default().push(a);
    }
    for (rt, rs) in &seen_by_txn {
        let writers: HashSet<usize> = rs
            .iter()
            .flat_map(|(r, seen)| {
                seen.iter()
                    .filter_map(|v| writer_of.get(&(r.key.as_str(), v.clone())))
            })
            .copied()
            .filter(|wt| wt != rt)
            .collect();
        for wt in writers {
            let ws = &appends_by_txn[&wt];
            let seen = ws.iter().find(|a| {
                rs.iter()
                    .any(|(r, s)| r.key == a.key && s.contains(&a.value.to_string()))
            });
            let missed = ws.iter().find(|a| {
                in_final(&a.key, &a.value)
                    && rs
                        .iter()
                        .any(|(r, s)| r.key == a.key && !s.contains(&a.value.to_string()))
            });
            if let (Some(s), Some(m)) = (seen, missed) {
                anomalies.push(format!(
                    "fractured: a transaction saw append {} to {} but not append {} to {} of the same transaction",
                    s.value, s.key, m.value, m.key
                ));
            }
        }
    }
    anomalies
}

/// Register stale reads, for a workload where each key's writes carry increasing integers in
/// real-time order (one writer per key): a read returning less than a write acknowledged before
/// the read was invoked. Also `lost`: a final value older than an acknowledged write.
pub fn register_stale_reads(history: &[Op], finals: &HashMap<String, i64>) -> Vec<String> {
    let h = paired(history);
    let mut acked_writes: Vec<(String, i64, usize)> = Vec::new();
    for pair in h.pairs() {
        let inv = h.invocation(pair);
        if inv.f == "write" && pair.outcome == OpType::Ok {
            let key = key_of(inv.key.as_ref().expect("keyed"));
            acked_writes.push((
                key,
                inv.value.as_i64().expect("integer writes"),
                pair.complete.expect("ok has completion"),
            ));
        }
    }
    let mut anomalies = Vec::new();
    for pair in h.pairs() {
        let inv = h.invocation(pair);
        if inv.f != "read" || pair.outcome != OpType::Ok {
            continue;
        }
        let key = key_of(inv.key.as_ref().expect("keyed"));
        let got = h.value(pair).as_i64().unwrap_or(0);
        let newest = acked_writes
            .iter()
            .filter(|(k, _, done)| *k == key && *done < pair.invoke)
            .map(|(_, v, _)| *v)
            .max();
        if let Some(w) = newest {
            if got < w {
                anomalies.push(format!(
                    "stale: read of {key} at event {} returned {got}, but write {w} was acknowledged before it",
                    inv.index
                ));
            }
        }
    }
    for (key, fin) in finals {
        if let Some(w) = acked_writes
            .iter()
            .filter(|(k, _, _)| k == key)
            .map(|(_, v, _)| *v)
            .max()
        {
            if *fin < w {
                anomalies.push(format!(
                    "lost: final value of {key} is {fin}, but write {w} was acknowledged"
                ));
            }
        }
    }
    anomalies
}

/// Acknowledged set adds missing from the final read.
pub fn lost_adds(history: &[Op], key: &str, final_set: &[Value]) -> Vec<String> {
    let h = paired(history);
    h.pairs()
        .iter()
        .filter(|p| p.outcome == OpType::Ok)
        .map(|p| h.invocation(p))
        .filter(|inv| inv.f == "add" && inv.key.as_ref().map(key_of).as_deref() == Some(key))
        .filter(|inv| !final_set.contains(&inv.value))
        .map(|inv| {
            format!(
                "lost: acknowledged add {} (event {}) is missing from the final set",
                inv.value, inv.index
            )
        })
        .collect()
}

/// The verdict of one of faultline's own checkers (`cas-register`, `set`, `list-append`, ...).
pub fn verdict(model: &str, history: &[Op]) -> faultline_checkers::Validity {
    let h = paired(history);
    let options = faultline_checkers::CheckOptions::default();
    faultline_checkers::registry::check(model, &h, &options)
        .unwrap_or_else(|e| panic!("checker {model} could not run: {e}"))
        .valid
}

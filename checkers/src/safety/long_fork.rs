//! Jepsen's `long-fork` checker: a long fork is what parallel snapshot isolation allows and
//! snapshot isolation forbids — two inserts to different keys that two readers observe in
//! opposite orders (T3 sees y but not x, T4 sees x but not y). Writes are transactions of one
//! write `[["w", k, v]]`, each key written once; reads are transactions reading a whole group of
//! keys. Since values only change away from `null`, two reads of a group are ordered when one
//! holds every value the other holds; two reads that each hold a value the other lacks are a
//! fork (`long-fork`).
//!
//! `--initial` is the group size (`3`, or `{"group_size": 3}`): every read must read exactly that
//! many keys. Two writes to one key make the result unknown, as do two reads of a group with
//! different non-null values for one key (the checker assumes one write per key). Comparing
//! every pair of reads of a group costs O(reads² × group size) per group; groups are small.

use std::collections::{BTreeMap, HashSet};

use super::ops::{canonical, flatten_per_key};
use super::push_capped;
use crate::checker::{Checker, Family, Tunable};
use crate::history::txn::{parse_txn, MicroKind};
use crate::options::{CheckError, CheckOptions};
use crate::verdict::AnomalyDetail;
use crate::{Anomaly, CheckReport, History, Value};

/// One read: the group's keys (canonical, sorted) and the value read for each.
struct Read {
    op: usize,
    values: Vec<Value>,
}

fn group_size(options: &CheckOptions) -> Result<Option<usize>, CheckError> {
    let bad = |v: &Value| CheckError::BadOption {
        option: "--initial".into(),
        message: format!(
            "long-fork takes the group size, as 3 or {{\"group_size\": 3}}, found {v}"
        ),
    };
    match &options.initial {
        None => Ok(None),
        Some(v) if v.is_u64() => Ok(v.as_u64().map(|n| n as usize)),
        Some(v @ Value::Object(m)) => match m.get("group_size").and_then(Value::as_u64) {
            Some(n) if m.len() == 1 => Ok(Some(n as usize)),
            _ => Err(bad(v)),
        },
        Some(v) => Err(bad(v)),
    }
}

/// Runs the long-fork checker.
pub fn check(history: &History, options: &CheckOptions) -> Result<CheckReport, CheckError> {
    let n = group_size(options)?;
    let mut report = CheckReport::new("long-fork");
    let plain = CheckOptions {
        independent_tuples: false,
        ..options.clone()
    };
    let ops: Vec<_> = flatten_per_key(history, &plain, &["txn", "read", "write"])?
        .into_iter()
        .flat_map(|g| g.ops)
        .collect();
    let mut written: HashSet<String> = HashSet::new();
    let mut groups: BTreeMap<Vec<String>, Vec<Read>> = BTreeMap::new();
    for (i, op) in ops.iter().enumerate() {
        let Ok(txn) = parse_txn(op.value) else {
            continue;
        };
        if let [single] = txn.as_slice() {
            if single.kind == MicroKind::Write {
                if !written.insert(canonical(&single.key)) {
                    report.set_unknown(format!(
                        "key {} is written more than once (again at {}); long-fork assumes one \
                         write per key",
                        single.key,
                        op.events()
                    ));
                    return Ok(report);
                }
                continue;
            }
        }
        if !op.is_ok() || txn.is_empty() || txn.iter().any(|m| m.kind != MicroKind::Read) {
            continue;
        }
        let mut pairs: Vec<(String, Value)> = txn
            .iter()
            .map(|m| (canonical(&m.key), m.value.clone()))
            .collect();
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        pairs.dedup_by(|a, b| a.0 == b.0);
        if let Some(n) = n {
            if pairs.len() != n {
                return Err(CheckError::BadOperation {
                    index: op.complete_index.unwrap_or(op.invoke_index),
                    message: format!(
                        "every read should read a group of {n} keys, but this one read {}",
                        pairs.len()
                    ),
                });
            }
        }
        let (keys, values): (Vec<String>, Vec<Value>) = pairs.into_iter().unzip();
        groups.entry(keys).or_default().push(Read { op: i, values });
    }
    let mut read_count = 0;
    for (keys, reads) in &groups {
        read_count += reads.len();
        for (a_i, a) in reads.iter().enumerate() {
            for b in &reads[a_i + 1..] {
                match compare(&a.values, &b.values) {
                    Ok(true) => {}
                    Ok(false) => {
                        let (ra, rb) = (&ops[a.op], &ops[b.op]);
                        let mut involved = ra.indices();
                        involved.extend(rb.indices());
                        push_capped(
                            &mut report,
                            Anomaly {
                                kind: "long-fork".into(),
                                ops: involved,
                                explanation: format!(
                                    "the reads at {} ({}) and {} ({}) of keys [{}] each saw a \
                                     write the other missed, so they observed the writes in \
                                     opposite orders: no single order of the writes explains \
                                     both",
                                    ra.events(),
                                    ra.value,
                                    rb.events(),
                                    rb.value,
                                    keys.join(", ")
                                ),
                                detail: Some(AnomalyDetail::other([(
                                    "reads",
                                    Value::Array(vec![ra.value.clone(), rb.value.clone()]),
                                )])),
                            },
                        );
                    }
                    Err(k) => {
                        report.set_unknown(format!(
                            "the reads at {} and {} saw different values for key {}; long-fork \
                             assumes one write per key",
                            ops[a.op].events(),
                            ops[b.op].events(),
                            keys[k]
                        ));
                        return Ok(report);
                    }
                }
            }
        }
    }
    report.stat("groups", groups.len());
    report.stat("read-count", read_count);
    report.stat("write-count", written.len());
    Ok(report)
}

/// Whether one read dominates the other (comparable); `Err(key position)` when both hold
/// different non-null values for a key.
fn compare(a: &[Value], b: &[Value]) -> Result<bool, usize> {
    let (mut a_more, mut b_more) = (false, false);
    for (k, (va, vb)) in a.iter().zip(b).enumerate() {
        match (va.is_null(), vb.is_null()) {
            (true, true) => {}
            (false, true) => a_more = true,
            (true, false) => b_more = true,
            (false, false) if va == vb => {}
            (false, false) => return Err(k),
        }
    }
    Ok(!(a_more && b_more))
}

/// `--model long-fork` as a registered checker.
pub struct LongFork;

impl Checker for LongFork {
    fn name(&self) -> &'static str {
        "long-fork"
    }

    fn family(&self) -> Family {
        Family::DataSafety
    }

    fn about(&self) -> &'static str {
        "inserts observed in opposite orders by two reads (--initial GROUP-SIZE)"
    }

    fn judges(&self) -> &'static [&'static str] {
        &["txn", "read", "write"]
    }

    fn options(&self) -> &'static [Tunable] {
        &[Tunable::Initial]
    }

    fn check(&self, history: &History, options: &CheckOptions) -> Result<CheckReport, CheckError> {
        check(history, options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::safety::testkit::Builder;
    use crate::Validity;
    use serde_json::json;

    fn write(b: &mut Builder, p: u64, k: u64) {
        let t = json!([["w", k, 1]]);
        b.done(p, "txn", t.clone(), t);
    }

    fn read(b: &mut Builder, p: u64, seen: [Option<u64>; 2]) {
        b.done(
            p,
            "txn",
            json!([["r", 0, null], ["r", 1, null]]),
            json!([["r", 0, seen[0]], ["r", 1, seen[1]]]),
        );
    }

    #[test]
    fn opposite_orders_are_a_long_fork() {
        let mut b = Builder::new();
        write(&mut b, 0, 0);
        write(&mut b, 1, 1);
        read(&mut b, 2, [Some(1), None]);
        read(&mut b, 3, [None, Some(1)]);
        let r = check(&b.build(), &CheckOptions::default()).unwrap();
        assert_eq!(r.anomaly_types(), vec!["long-fork"]);
        assert_eq!(r.anomalies[0].ops, vec![4, 5, 6, 7]);
    }

    #[test]
    fn nested_observations_are_fine() {
        let mut b = Builder::new();
        write(&mut b, 0, 0);
        read(&mut b, 2, [Some(1), None]);
        write(&mut b, 1, 1);
        read(&mut b, 3, [Some(1), Some(1)]);
        read(&mut b, 3, [None, None]);
        let opts = CheckOptions {
            initial: Some(json!(2)),
            ..Default::default()
        };
        let r = check(&b.build(), &opts).unwrap();
        assert_eq!(r.valid, Validity::Valid, "{r:?}");
        assert_eq!(r.stats["read-count"], json!(3));
    }

    #[test]
    fn wrong_group_size_and_rewrites_are_reported() {
        let mut b = Builder::new();
        read(&mut b, 2, [Some(1), None]);
        let opts = CheckOptions {
            initial: Some(json!({"group_size": 3})),
            ..Default::default()
        };
        assert!(check(&b.build(), &opts).is_err());
        let mut b = Builder::new();
        write(&mut b, 0, 0);
        write(&mut b, 1, 0);
        let r = check(&b.build(), &CheckOptions::default()).unwrap();
        assert_eq!(r.valid, Validity::Unknown);
    }
}

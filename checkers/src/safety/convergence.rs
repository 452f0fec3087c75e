//! Convergence: once faults are healed and the store has been quiet long enough, every replica
//! must hold the same state (strong eventual consistency, as CRDTs and anti-entropy promise;
//! Shapiro et al., "Conflict-free Replicated Data Types", 2011). The run loop's final reads go
//! to every node; this checker compares, per key, the last final `read` each node answered.
//!
//! Final reads are the `ok` reads invoked after the final-reads marker (see
//! [`super::final_reads`]); without a marker, each node's last `ok` read of each key. Reads must
//! name their node (the `node` field). Arrays compare as multisets (a set or counter replica
//! may list elements in any order) unless `--initial '{"ordered": true}'`.
//!
//! Invalid (`divergent`) when two nodes' final reads of a key differ; unknown when no key was
//! read on at least two nodes.

use std::collections::BTreeMap;

use super::detail::key_value;
use super::final_reads::marker_position;
use super::ops::{canonical, expect_initial_object, flatten_per_key, initial_bool};
use super::push_capped;
use crate::checker::{Checker, Family, Tunable};
use crate::options::{CheckError, CheckOptions};
use crate::verdict::AnomalyDetail;
use crate::{Anomaly, CheckReport, History, Value};

fn normalise(v: &Value, ordered: bool) -> String {
    match v {
        Value::Array(items) if !ordered => {
            let mut parts: Vec<String> = items.iter().map(canonical).collect();
            parts.sort();
            format!("[{}]", parts.join(","))
        }
        other => canonical(other),
    }
}

/// Runs the convergence checker.
pub fn check(history: &History, options: &CheckOptions) -> Result<CheckReport, CheckError> {
    expect_initial_object(options, &["ordered"])?;
    let ordered = initial_bool(options, "ordered", false)?;
    let marker = marker_position(history);
    let mut report = CheckReport::new("convergence");
    let groups = flatten_per_key(history, options, &["read"])?;
    let (mut compared, mut without_node) = (0, 0);
    let mut nodes_seen = std::collections::BTreeSet::new();
    for group in &groups {
        // node -> its last final read
        let mut last: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, op) in group.ops.iter().enumerate() {
            if !op.is_ok() || marker.is_some_and(|m| op.invoke < m) {
                continue;
            }
            let Some(node) = op.node else {
                without_node += 1;
                continue;
            };
            nodes_seen.insert(node.to_string());
            let slot = last.entry(node).or_insert(i);
            if group.ops[*slot].complete < op.complete {
                *slot = i;
            }
        }
        if last.len() < 2 {
            continue;
        }
        compared += 1;
        let mut states: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for (node, &i) in &last {
            states
                .entry(normalise(group.ops[i].value, ordered))
                .or_default()
                .push(node);
        }
        if states.len() < 2 {
            continue;
        }
        let mut involved = Vec::new();
        let mut parts = Vec::new();
        let mut detail = serde_json::Map::new();
        for (node, &i) in &last {
            let op = &group.ops[i];
            involved.extend(op.indices());
            parts.push(format!("{node} returned {} ({})", op.value, op.events()));
            detail.insert(node.to_string(), op.value.clone());
        }
        push_capped(
            &mut report,
            Anomaly {
                kind: "divergent".into(),
                ops: involved,
                explanation: format!(
                    "after quiescence the nodes disagree{}: {}; {} distinct states",
                    group.on_key(),
                    parts.join(", "),
                    states.len()
                ),
                detail: Some(AnomalyDetail::other([
                    ("key", key_value(group.key)),
                    ("final-reads", Value::Object(detail)),
                ])),
            },
        );
    }
    report.stat("keys-compared", compared);
    report.stat("nodes", nodes_seen.len());
    report.stat(
        "final-reads-from",
        if marker.is_some() {
            "final-reads marker"
        } else {
            "each node's last read (no final-reads marker in the history)"
        },
    );
    if without_node > 0 {
        report.stat("reads-without-node", without_node);
    }
    if compared == 0 {
        report
            .set_unknown("no key has final reads from two or more nodes (reads must carry `node`)");
    }
    Ok(report)
}

/// `--model convergence` as a registered checker.
pub struct Convergence;

impl Checker for Convergence {
    fn name(&self) -> &'static str {
        "convergence"
    }

    fn family(&self) -> Family {
        Family::DataSafety
    }

    fn about(&self) -> &'static str {
        "after heal and quiescence every node's final read of a key is the same"
    }

    fn judges(&self) -> &'static [&'static str] {
        &["read"]
    }

    fn options(&self) -> &'static [Tunable] {
        &[Tunable::Initial, Tunable::Independent]
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

    fn read_on(b: &mut Builder, p: u64, node: &str, v: Value) {
        b.invoke(p, "read", Value::Null)
            .on(node)
            .ok(p, "read", v)
            .on(node);
    }

    #[test]
    fn equal_final_states_converge_whatever_the_element_order() {
        let mut b = Builder::new();
        read_on(&mut b, 0, "n1", json!([1]));
        b.nemesis("final-reads");
        read_on(&mut b, 0, "n1", json!([1, 2]));
        read_on(&mut b, 1, "n2", json!([2, 1]));
        let r = check(&b.build(), &CheckOptions::default()).unwrap();
        assert_eq!(r.valid, Validity::Valid, "{r:?}");
        let opts = CheckOptions {
            initial: Some(json!({"ordered": true})),
            ..Default::default()
        };
        assert_eq!(check(&b.build(), &opts).unwrap().valid, Validity::Invalid);
    }

    #[test]
    fn nodes_that_disagree_after_heal_diverge() {
        let mut b = Builder::new();
        b.nemesis("final-reads");
        read_on(&mut b, 0, "n1", json!(3));
        read_on(&mut b, 1, "n2", json!(4));
        read_on(&mut b, 2, "n3", json!(3));
        let r = check(&b.build(), &CheckOptions::default()).unwrap();
        assert_eq!(r.anomaly_types(), vec!["divergent"]);
        assert_eq!(r.anomalies[0].ops, vec![1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn without_marker_the_last_read_per_node_counts() {
        let mut b = Builder::new();
        read_on(&mut b, 0, "n1", json!(1));
        read_on(&mut b, 1, "n2", json!(2));
        read_on(&mut b, 0, "n1", json!(2));
        let r = check(&b.build(), &CheckOptions::default()).unwrap();
        assert_eq!(r.valid, Validity::Valid, "{r:?}");
    }

    #[test]
    fn one_node_only_is_unknown() {
        let mut b = Builder::new();
        read_on(&mut b, 0, "n1", json!(1));
        b.done(1, "read", Value::Null, json!(2));
        let r = check(&b.build(), &CheckOptions::default()).unwrap();
        assert_eq!(r.valid, Validity::Unknown);
        assert_eq!(r.stats["reads-without-node"], json!(1));
    }
}

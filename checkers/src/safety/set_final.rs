//! Jepsen's simple `set` checker: after the adds, a final read must hold every element whose add
//! was acknowledged, and nothing that no add attempted. Elements whose add was indeterminate and
//! that the read holds are *recovered* (fine). The final read is the last `ok` read (per key).
//!
//! Registered as `set-final` (the name `set` is the linearizable set model).

use std::collections::{BTreeMap, HashSet};

use super::detail::element;
use super::ops::{canonical, flatten_per_key, KeyOps, ValueKey, ValueSet};
use super::push_capped;
use crate::checker::{Checker, Family, Tunable};
use crate::options::{CheckError, CheckOptions};
use crate::{Anomaly, CheckReport, History, Value};

/// Runs the set-final checker.
pub fn check(history: &History, options: &CheckOptions) -> Result<CheckReport, CheckError> {
    let mut report = CheckReport::new("set-final");
    let groups = flatten_per_key(history, options, &["add", "read"])?;
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut unread = Vec::new();
    for group in &groups {
        match check_key(group, &mut report)? {
            Some(c) => {
                for (k, v) in c {
                    *counts.entry(k).or_default() += v;
                }
            }
            None => unread.push(group.key.map(canonical).unwrap_or_default()),
        }
    }
    report.stat("keys", groups.len());
    for (k, v) in counts {
        report.stat(k, v);
    }
    if !unread.is_empty() {
        report.set_unknown(if unread == [String::new()] {
            "the set was never read".to_string()
        } else {
            format!("the sets with keys {} were never read", unread.join(", "))
        });
    }
    Ok(report)
}

fn check_key(
    group: &KeyOps,
    report: &mut CheckReport,
) -> Result<Option<Vec<(&'static str, usize)>>, CheckError> {
    let ops = &group.ops;
    let Some(read) = ops
        .iter()
        .filter(|o| o.f == "read" && o.is_ok())
        .max_by_key(|o| o.complete)
    else {
        return Ok(None);
    };
    let Value::Array(items) = &read.value else {
        return Err(CheckError::BadOperation {
            index: read.complete_index.unwrap_or(read.invoke_index),
            message: format!(
                "a set read must return an array of elements, found {}",
                read.value
            ),
        });
    };
    let final_set: ValueSet = items.iter().map(ValueKey::of).collect();
    let adds = ops.iter().filter(|o| o.f == "add");
    let attempted: ValueSet = adds.clone().map(|o| ValueKey::of(o.invoke_value)).collect();
    let mut acknowledged = HashSet::new();
    let (mut lost, mut recovered) = (0, 0);
    for add in adds.clone().filter(|o| o.is_ok()) {
        let c = ValueKey::of(add.invoke_value);
        if !acknowledged.insert(c.clone()) || final_set.contains(&c) {
            continue;
        }
        lost += 1;
        let mut involved = add.indices();
        involved.extend(read.indices());
        push_capped(
            report,
            Anomaly {
                kind: "lost".into(),
                ops: involved,
                explanation: format!(
                    "element {}{} was added by {}, but the final read at {} does not hold it",
                    add.invoke_value,
                    group.on_key(),
                    add.describe(),
                    read.events()
                ),
                detail: Some(element(group.key, add.invoke_value.clone())),
            },
        );
    }
    let mut reported = HashSet::new();
    let mut unexpected = 0;
    for item in items {
        let c = ValueKey::of(item);
        if attempted.contains(&c) {
            if !acknowledged.contains(&c) && reported.insert(c) {
                recovered += 1;
            }
            continue;
        }
        if !reported.insert(c) {
            continue;
        }
        unexpected += 1;
        push_capped(
            report,
            Anomaly {
                kind: "unexpected".into(),
                ops: read.indices(),
                explanation: format!(
                    "the final read{} at {} holds {item}, which no add ever attempted",
                    group.on_key(),
                    read.events()
                ),
                detail: Some(element(group.key, item.clone())),
            },
        );
    }
    Ok(Some(vec![
        ("attempt-count", attempted.len()),
        ("acknowledged-count", acknowledged.len()),
        ("lost-count", lost),
        ("recovered-count", recovered),
        ("unexpected-count", unexpected),
    ]))
}

/// `--model set-final` as a registered checker.
pub struct SetFinal;

impl Checker for SetFinal {
    fn name(&self) -> &'static str {
        "set-final"
    }

    fn family(&self) -> Family {
        Family::DataSafety
    }

    fn about(&self) -> &'static str {
        "grow-only set: the last read holds every acknowledged add (Jepsen's set)"
    }

    fn judges(&self) -> &'static [&'static str] {
        &["add", "read"]
    }

    fn options(&self) -> &'static [Tunable] {
        &[Tunable::Independent]
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

    fn run(b: &Builder) -> CheckReport {
        check(&b.build(), &CheckOptions::default()).unwrap()
    }

    #[test]
    fn final_read_with_every_acknowledged_add_is_valid() {
        let mut b = Builder::new();
        b.done(0, "add", json!(1), json!(1))
            .invoke(1, "add", json!(2))
            .info(1, "add", json!(2))
            .done(0, "read", Value::Null, json!([1, 2]));
        let r = run(&b);
        assert_eq!(r.valid, Validity::Valid, "{r:?}");
        assert_eq!(r.stats["recovered-count"], json!(1));
    }

    #[test]
    fn missing_acknowledged_add_is_lost() {
        let mut b = Builder::new();
        b.done(0, "add", json!(1), json!(1))
            .done(0, "add", json!(2), json!(2))
            .done(1, "read", Value::Null, json!([1]));
        let r = run(&b);
        assert_eq!(r.valid, Validity::Invalid);
        assert_eq!(r.anomaly_types(), vec!["lost"]);
        assert_eq!(r.anomalies[0].ops, vec![2, 3, 4, 5]);
    }

    #[test]
    fn element_never_attempted_is_unexpected() {
        let mut b = Builder::new();
        b.done(0, "add", json!(1), json!(1))
            .done(1, "read", Value::Null, json!([1, 9]));
        let r = run(&b);
        assert_eq!(r.anomaly_types(), vec!["unexpected"]);
    }

    #[test]
    fn only_the_last_read_counts_and_no_read_is_unknown() {
        let mut b = Builder::new();
        b.done(0, "add", json!(1), json!(1))
            .done(1, "read", Value::Null, json!([]))
            .done(1, "read", Value::Null, json!([1]));
        assert_eq!(run(&b).valid, Validity::Valid);
        let mut b = Builder::new();
        b.done(0, "add", json!(1), json!(1));
        assert_eq!(run(&b).valid, Validity::Unknown);
    }
}

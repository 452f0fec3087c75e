//! Lost updates of registers and key-value maps: acknowledged writes that the final reads show
//! were silently discarded. After the faults are healed and the cluster has recovered, a read of a
//! key must return the last write's value or one that may have come later; if it returns a value
//! whose write had certainly completed before an acknowledged write `w` was invoked, `w` was lost
//! (see [`super::register`] for the rule). This is what last-writer-wins under clock skew and
//! asynchronous failover do: the write is acknowledged, then overwritten by an older one.
//!
//! Final reads are the `ok` reads invoked after the final-reads marker (see
//! [`super::final_reads`]). Without a marker (imported histories), a key's final reads are the
//! `ok` reads invoked after every write to the key was invoked and every acknowledged or failed
//! one had completed. A final read of a value nobody wrote is `unexpected-value`.
//!
//! `--initial` is the registers' initial value (default `null`). Operations are `write v`,
//! `cas [old new]` and `read`, per `key`.

use super::detail::key_value;
use super::final_reads::marker_position;
use super::ops::flatten_per_key;
use super::push_capped;
use super::register::{Register, Source};
use crate::checker::{Checker, Family, Tunable};
use crate::options::{CheckError, CheckOptions};
use crate::verdict::{AnomalyDetail, LostWrite};
use crate::{Anomaly, CheckReport, History, OpType, Value};

/// Runs the lost-update checker.
pub fn check(history: &History, options: &CheckOptions) -> Result<CheckReport, CheckError> {
    let initial = options.initial.clone().unwrap_or(Value::Null);
    let marker = marker_position(history);
    let mut report = CheckReport::new("lost-update");
    report.stat(
        "final-reads-from",
        if marker.is_some() {
            "final-reads marker"
        } else {
            "reads after every write (no final-reads marker in the history)"
        },
    );
    let groups = flatten_per_key(history, options, &["read", "write", "cas"])?;
    let (mut final_reads, mut acknowledged, mut lost_total) = (0, 0, 0);
    let mut unread_keys = 0;
    for group in &groups {
        let reg = Register::new(group, &initial)?;
        let cutoff = match marker {
            Some(p) => p,
            None => reg
                .writes
                .iter()
                .map(|w| {
                    let op = reg.op(w.op);
                    match op.outcome {
                        OpType::Ok | OpType::Fail => op.complete.unwrap_or(op.invoke),
                        _ => op.invoke,
                    }
                })
                .max()
                .unwrap_or(0),
        };
        let finals: Vec<usize> = reg
            .reads
            .iter()
            .copied()
            .filter(|&r| reg.op(r).invoke > cutoff || (marker.is_none() && reg.writes.is_empty()))
            .collect();
        acknowledged += reg.writes.iter().filter(|w| reg.op(w.op).is_ok()).count();
        if finals.is_empty() {
            if !reg.writes.is_empty() {
                unread_keys += 1;
            }
            continue;
        }
        final_reads += finals.len();
        let mut lost_ops: Vec<usize> = Vec::new();
        for &r in &finals {
            let read = reg.op(r);
            if reg.source(read.value) == Source::Unwritten {
                push_capped(
                    &mut report,
                    Anomaly {
                        kind: "unexpected-value".into(),
                        ops: read.indices(),
                        explanation: format!(
                            "the final read{} at {} returned {}, which no write wrote and is not \
                             the initial value {initial}",
                            group.on_key(),
                            read.events(),
                            read.value
                        ),
                        detail: Some(AnomalyDetail::Lost(LostWrite {
                            key: key_value(group.key),
                            value: Some(read.value.clone()),
                            written: None,
                            final_read: None,
                        })),
                    },
                );
                continue;
            }
            for w in reg.superseding(read) {
                if lost_ops.contains(&w.op) {
                    continue;
                }
                lost_ops.push(w.op);
                let write = reg.op(w.op);
                let mut involved = write.indices();
                involved.extend(read.indices());
                let node = read
                    .node
                    .as_ref()
                    .map(|n| format!(" on node {n}"))
                    .unwrap_or_default();
                push_capped(
                    &mut report,
                    Anomaly {
                        kind: "lost".into(),
                        ops: involved,
                        explanation: format!(
                            "{}{} was acknowledged, but the final read at {}{node} returned {}, \
                             whose write had completed before it began: the acknowledged write \
                             was discarded",
                            write.describe(),
                            group.on_key(),
                            read.events(),
                            read.value
                        ),
                        detail: Some(AnomalyDetail::Lost(LostWrite {
                            key: key_value(group.key),
                            value: None,
                            written: Some(w.value.clone()),
                            final_read: Some(read.value.clone()),
                        })),
                    },
                );
            }
        }
        lost_total += lost_ops.len();
    }
    report.stat("keys", groups.len());
    report.stat("final-read-count", final_reads);
    report.stat("acknowledged-write-count", acknowledged);
    report.stat("lost-write-count", lost_total);
    if unread_keys > 0 {
        report.stat("keys-without-final-read", unread_keys);
    }
    if final_reads == 0 {
        report.set_unknown("no final read: nothing shows what the store kept");
    }
    Ok(report)
}

/// `--model lost-update` as a registered checker.
pub struct LostUpdate;

impl Checker for LostUpdate {
    fn name(&self) -> &'static str {
        "lost-update"
    }

    fn family(&self) -> Family {
        Family::DataSafety
    }

    fn about(&self) -> &'static str {
        "registers/kv: acknowledged writes that the final reads show were discarded"
    }

    fn judges(&self) -> &'static [&'static str] {
        &["read", "write", "cas"]
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

    fn run(b: &Builder) -> CheckReport {
        check(&b.build(), &CheckOptions::default()).unwrap()
    }

    #[test]
    fn final_read_of_the_last_write_is_valid() {
        let mut b = Builder::new();
        b.done(0, "write", json!(1), json!(1))
            .done(1, "write", json!(2), json!(2))
            .done(0, "read", Value::Null, json!(2));
        let r = run(&b);
        assert_eq!(r.valid, Validity::Valid, "{r:?}");
        assert_eq!(r.stats["final-read-count"], json!(1));
    }

    #[test]
    fn final_read_of_an_older_write_loses_the_newer_one() {
        let mut b = Builder::new();
        b.done(0, "write", json!(1), json!(1))
            .done(1, "write", json!(2), json!(2))
            .done(0, "read", Value::Null, json!(1));
        let r = run(&b);
        assert_eq!(r.anomaly_types(), vec!["lost"]);
        assert_eq!(r.anomalies[0].ops, vec![2, 3, 4, 5]);
    }

    #[test]
    fn concurrent_writes_may_end_in_either_order() {
        let mut b = Builder::new();
        b.invoke(0, "write", json!(1))
            .invoke(1, "write", json!(2))
            .ok(0, "write", json!(1))
            .ok(1, "write", json!(2))
            .done(0, "read", Value::Null, json!(1));
        assert_eq!(run(&b).valid, Validity::Valid);
    }

    #[test]
    fn indeterminate_writes_and_cas_count_as_possible_sources() {
        let mut b = Builder::new();
        b.invoke(0, "write", json!(1))
            .info(0, "write", json!(1))
            .done(1, "cas", json!([null, 2]), json!([null, 2]))
            .done(2, "read", Value::Null, json!(1));
        assert_eq!(run(&b).valid, Validity::Valid);
        let mut b = Builder::new();
        b.done(1, "cas", json!([null, 2]), json!([null, 2])).done(
            2,
            "read",
            Value::Null,
            Value::Null,
        );
        assert_eq!(run(&b).anomaly_types(), vec!["lost"]);
    }

    #[test]
    fn marker_selects_final_reads_and_unwritten_values_are_reported() {
        let mut b = Builder::new();
        b.done(0, "write", json!(1), json!(1))
            .done(0, "read", Value::Null, Value::Null)
            .done(1, "write", json!(2), json!(2))
            .nemesis("final-reads")
            .done(0, "read", Value::Null, json!(2))
            .done(1, "read", Value::Null, json!(7));
        let r = run(&b);
        assert_eq!(r.anomaly_types(), vec!["unexpected-value"]);
        assert_eq!(r.stats["final-read-count"], json!(2));
    }

    #[test]
    fn keys_are_separate_registers() {
        let mut b = Builder::new();
        for (p, k, v) in [(0, "a", 1), (1, "b", 2)] {
            b.keyed(p, OpType::Invoke, "write", json!(k), json!(v))
                .keyed(p, OpType::Ok, "write", json!(k), json!(v));
        }
        b.keyed(0, OpType::Invoke, "read", json!("a"), Value::Null)
            .keyed(0, OpType::Ok, "read", json!("a"), json!(1))
            .keyed(0, OpType::Invoke, "read", json!("b"), Value::Null)
            .keyed(0, OpType::Ok, "read", json!("b"), Value::Null);
        let r = run(&b);
        assert_eq!(r.anomaly_types(), vec!["lost"]);
        assert_eq!(r.anomalies[0].detail_json()["key"], json!("b"));
    }

    #[test]
    fn no_final_read_is_unknown() {
        let mut b = Builder::new();
        b.done(0, "read", Value::Null, Value::Null)
            .done(0, "write", json!(1), json!(1));
        assert_eq!(run(&b).valid, Validity::Unknown);
    }
}

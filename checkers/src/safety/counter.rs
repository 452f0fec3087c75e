//! Jepsen's `counter` checker, extended to decrements: a counter starts at its initial value
//! (`--initial`, default 0), `add` operations change it by their value, and every `ok` read must
//! return a value the adds make possible:
//!
//! - lower bound, at the read's invocation: the initial value, plus every increment acknowledged
//!   before the read began, plus every decrement that might have happened by then (invoked and
//!   not failed);
//! - upper bound, at the read's completion: the initial value, plus every increment that might
//!   have happened by then, plus every decrement acknowledged by then.
//!
//! Failed adds never happened and count for neither bound; indeterminate (`info`) ones only
//! widen the bounds. Operations carrying a `key` are separate counters.

use serde_json::json;

use super::detail::key_value;
use super::distribution::number;
use super::ops::{flatten_per_key, KeyOps};
use super::push_capped;
use crate::checker::{Checker, Family, Tunable};
use crate::options::{CheckError, CheckOptions};
use crate::verdict::{AnomalyDetail, Bounds};
use crate::{Anomaly, CheckReport, History, OpType, Value};

/// Runs the counter checker.
pub fn check(history: &History, options: &CheckOptions) -> Result<CheckReport, CheckError> {
    let initial = match &options.initial {
        None => 0.0,
        Some(v) => v.as_f64().ok_or_else(|| CheckError::BadOption {
            option: "--initial".into(),
            message: format!("the counter's initial value must be a number, found {v}"),
        })?,
    };
    let mut report = CheckReport::new("counter");
    let groups = flatten_per_key(history, options, &["add", "read"])?;
    let mut reads = 0;
    let mut worst: Option<(f64, Value)> = None;
    for group in &groups {
        reads += check_key(group, initial, &mut report, &mut worst)?;
    }
    report.stat("keys", groups.len());
    report.stat("read-count", reads);
    if let Some((_, w)) = worst {
        report.stat("max-absolute-error", w);
    }
    Ok(report)
}

/// A change to a bound at a position of the history.
enum Step {
    Lower(f64),
    Upper(f64),
    ReadStart(usize),
    ReadEnd(usize),
}

fn number_of(v: &Value, what: &str, index: u64) -> Result<f64, CheckError> {
    v.as_f64().ok_or_else(|| CheckError::BadOperation {
        index,
        message: format!("{what} must be a number, found {v}"),
    })
}

fn check_key(
    group: &KeyOps,
    initial: f64,
    report: &mut CheckReport,
    worst: &mut Option<(f64, Value)>,
) -> Result<usize, CheckError> {
    let ops = &group.ops;
    let mut steps: Vec<(usize, Step)> = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        match op.f {
            "add" if op.outcome != OpType::Fail => {
                let d = number_of(op.invoke_value, "an add's value", op.invoke_index)?;
                // Widen at the invocation; narrow at an acknowledgement.
                let (widen, narrow) = if d >= 0.0 {
                    (Step::Upper(d), Step::Lower(d))
                } else {
                    (Step::Lower(d), Step::Upper(d))
                };
                steps.push((op.invoke, widen));
                if let (true, Some(c)) = (op.is_ok(), op.complete) {
                    steps.push((c, narrow));
                }
            }
            "read" if op.is_ok() => {
                number_of(op.value, "a counter read", op.complete_index.unwrap_or(0))?;
                steps.push((op.invoke, Step::ReadStart(i)));
                steps.push((op.complete.expect("ok has a completion"), Step::ReadEnd(i)));
            }
            _ => {}
        }
    }
    steps.sort_by_key(|(pos, _)| *pos);
    let (mut lower, mut upper) = (initial, initial);
    let mut lower_at_start = vec![0.0; ops.len()];
    let mut reads = 0;
    for (_, step) in steps {
        match step {
            Step::Lower(d) => lower += d,
            Step::Upper(d) => upper += d,
            Step::ReadStart(i) => lower_at_start[i] = lower,
            Step::ReadEnd(i) => {
                reads += 1;
                let read = &ops[i];
                let v = read.value.as_f64().expect("checked above");
                let lo = lower_at_start[i];
                if v >= lo && v <= upper {
                    continue;
                }
                let error = if v < lo { lo - v } else { v - upper };
                let bounds = [number(lo), read.value.clone(), number(upper)];
                if worst.as_ref().is_none_or(|(e, _)| error > *e) {
                    *worst = Some((error, json!(bounds)));
                }
                push_capped(
                    report,
                    Anomaly {
                        kind: "out-of-bounds".into(),
                        ops: read.indices(),
                        explanation: format!(
                            "the read{} at {} returned {}, but the adds allow only values from {} \
                             (acknowledged by its start) to {} (possibly applied by its end)",
                            group.on_key(),
                            read.events(),
                            read.value,
                            number(lo),
                            number(upper)
                        ),
                        detail: Some(AnomalyDetail::Bounds(Bounds {
                            key: key_value(group.key),
                            bounds,
                        })),
                    },
                );
            }
        }
    }
    Ok(reads)
}

/// `--model counter` as a registered checker.
pub struct Counter;

impl Checker for Counter {
    fn name(&self) -> &'static str {
        "counter"
    }

    fn family(&self) -> Family {
        Family::DataSafety
    }

    fn about(&self) -> &'static str {
        "counter: every read within the bounds the adds allow (--initial N)"
    }

    fn judges(&self) -> &'static [&'static str] {
        &["add", "read"]
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

    fn run(b: &Builder, initial: Option<Value>) -> CheckReport {
        b.check_with(check, initial)
    }

    #[test]
    fn reads_within_bounds_are_valid() {
        let mut b = Builder::new();
        b.done(0, "add", json!(2), json!(2))
            .invoke(1, "add", json!(3))
            .invoke(2, "read", Value::Null)
            .ok(2, "read", json!(5))
            .info(1, "add", json!(3))
            .done(2, "read", Value::Null, json!(2));
        let r = run(&b, None);
        assert_eq!(r.valid, Validity::Valid, "{r:?}");
        assert_eq!(r.stats["read-count"], json!(2));
    }

    #[test]
    fn read_below_acknowledged_adds_is_out_of_bounds() {
        let mut b = Builder::new();
        b.done(0, "add", json!(2), json!(2))
            .done(1, "read", Value::Null, json!(1));
        let r = run(&b, None);
        assert_eq!(r.anomaly_types(), vec!["out-of-bounds"]);
        assert_eq!(r.anomalies[0].detail_json()["bounds"], json!([2, 1, 2]));
    }

    #[test]
    fn failed_adds_count_for_nothing_and_initial_value_is_used() {
        let mut b = Builder::new();
        b.invoke(0, "add", json!(5)).fail(0, "add", json!(5)).done(
            1,
            "read",
            Value::Null,
            json!(15),
        );
        let r = run(&b, Some(json!(10)));
        assert_eq!(r.valid, Validity::Invalid);
        assert_eq!(r.anomalies[0].detail_json()["bounds"], json!([10, 15, 10]));
    }

    #[test]
    fn decrements_widen_the_lower_bound_until_acknowledged() {
        let mut b = Builder::new();
        b.invoke(0, "add", json!(-4))
            .done(1, "read", Value::Null, json!(-4))
            .ok(0, "add", json!(-4))
            .done(1, "read", Value::Null, json!(0));
        let r = run(&b, None);
        assert_eq!(r.anomalies.len(), 1, "{r:?}");
        assert_eq!(r.anomalies[0].ops, vec![4, 5]);
    }

    #[test]
    fn non_numeric_add_is_an_error() {
        let mut b = Builder::new();
        b.done(0, "add", json!("x"), json!("x"));
        let err = check(&b.build(), &CheckOptions::default()).unwrap_err();
        assert!(err.to_string().contains("event 0"), "{err}");
    }
}

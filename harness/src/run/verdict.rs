//! Judging the recorded history with the checkers the workload names.

use std::time::{Duration, Instant};

use faultline_checkers::registry;
use faultline_checkers::{Budget, CheckOptions, CheckReport, Checker, History, Op, Validity};
use serde_json::{json, Value};

/// Every checker's report and the overall verdict (the worst of them).
pub struct Verdict {
    pub valid: Validity,
    pub reports: Vec<CheckReport>,
    pub json: Value,
}

/// Runs each checker in `models` on `ops`. A checker that cannot run (bad history) is reported as
/// `unknown` with the reason, never a crash.
/// `initial` gives the `--initial` value a model needs for this workload, if any.
pub fn judge(
    ops: Vec<Op>,
    models: &[&'static dyn Checker],
    initial: &dyn Fn(&str) -> Option<Value>,
    budget: Duration,
) -> Verdict {
    let mut reports = Vec::new();
    let mut timings = serde_json::Map::new();
    let history = History::new(ops);
    for checker in models {
        let model = checker.name();
        let started = Instant::now();
        let report = match &history {
            Ok(history) => {
                let options = CheckOptions {
                    initial: initial(model),
                    budget: Budget::with_time_limit(budget),
                    ..Default::default()
                };
                // A checker that judged nothing is never a pass: its report is unknown with the
                // reason, so the run cannot exit 0 on it.
                registry::check_with(*checker, history, &options).unwrap_or_else(|e| {
                    let mut r = CheckReport::new(model);
                    r.set_unknown(format!("checker {model} could not run: {e}"));
                    r
                })
            }
            Err(e) => {
                let mut r = CheckReport::new(model);
                r.set_unknown(format!("the recorded history is malformed: {e}"));
                r
            }
        };
        timings.insert(model.to_string(), json!(started.elapsed().as_secs_f64()));
        reports.push(report);
    }
    let valid = if models.is_empty() {
        Validity::Unknown
    } else {
        reports
            .iter()
            .fold(Validity::Valid, |acc, r| acc.worst(r.valid))
    };
    let json = json!({
        "valid": valid,
        "checkers": reports,
        "checker_seconds": timings,
    });
    Verdict {
        valid,
        reports,
        json,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use faultline_checkers::OpType;

    #[test]
    fn a_checker_that_judged_nothing_fails_the_run_verdict() {
        let ops = vec![
            Op::new(0, 0, OpType::Invoke, "put", serde_json::json!("a")),
            Op::new(1, 0, OpType::Ok, "put", serde_json::json!("a")),
        ];
        let bank = registry::by_name("bank").unwrap();
        let v = judge(ops, &[bank], &|_| None, Duration::from_secs(1));
        assert_eq!(v.valid, Validity::Unknown);
        let reason = v.reports[0].unknown_reason.as_deref().unwrap();
        assert!(
            reason.contains("judged no operation") && reason.contains("put (1)"),
            "{reason}"
        );
    }

    #[test]
    fn a_checker_that_cannot_run_is_unknown_not_a_crash() {
        // Indices that go backwards: the history itself is malformed.
        let ops = vec![
            Op::new(1, 0, OpType::Invoke, "read", serde_json::Value::Null),
            Op::new(0, 0, OpType::Ok, "read", serde_json::json!(1)),
        ];
        let bank = registry::by_name("bank").unwrap();
        let v = judge(ops, &[bank], &|_| None, Duration::from_secs(1));
        assert_eq!(v.valid, Validity::Unknown);
        let reason = v.reports[0].unknown_reason.as_deref().unwrap();
        assert!(reason.contains("malformed"), "{reason}");
        assert_eq!(v.json["valid"], "unknown");
        assert_eq!(
            judge(Vec::new(), &[], &|_| None, Duration::from_secs(1)).valid,
            Validity::Unknown
        );
    }
}

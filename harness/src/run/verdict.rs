//! Judging the recorded history with the checkers the workload names.

use std::time::{Duration, Instant};

use faultline_checkers::registry;
use faultline_checkers::{Budget, CheckOptions, CheckReport, Checker, History, Op};
use serde_json::Value;

use crate::results::ResultsFile;

/// Runs each checker in `models` on `ops`: the results' verdict (the worst of the checkers'),
/// every checker's report and how long each took. A checker that cannot run (bad history) is
/// reported as `unknown` with the reason, never a crash.
/// `initial` gives the `--initial` value a model needs for this workload, if any.
pub fn judge(
    ops: Vec<Op>,
    models: &[&'static dyn Checker],
    initial: &dyn Fn(&str) -> Option<Value>,
    budget: Duration,
) -> ResultsFile {
    let mut reports = Vec::new();
    let mut seconds = Vec::new();
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
        seconds.push((report.checker.clone(), started.elapsed().as_secs_f64()));
        reports.push(report);
    }
    let mut results = ResultsFile::new(reports);
    results.checker_seconds = seconds.into_iter().collect();
    results
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_checkers::{OpType, Validity};

    #[test]
    fn a_checker_that_judged_nothing_fails_the_run_verdict() {
        let ops = vec![
            Op::new(0, 0, OpType::Invoke, "put", serde_json::json!("a")),
            Op::new(1, 0, OpType::Ok, "put", serde_json::json!("a")),
        ];
        let bank = registry::by_name("bank").unwrap();
        let v = judge(ops, &[bank], &|_| None, Duration::from_secs(1));
        assert_eq!(v.valid, Validity::Unknown);
        let reason = v.checkers[0].unknown_reason.as_deref().unwrap();
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
        let reason = v.checkers[0].unknown_reason.as_deref().unwrap();
        assert!(reason.contains("malformed"), "{reason}");
        assert!(v.seconds_of(&v.checkers[0].checker).is_some());
        assert_eq!(
            judge(Vec::new(), &[], &|_| None, Duration::from_secs(1)).valid,
            Validity::Unknown
        );
    }
}

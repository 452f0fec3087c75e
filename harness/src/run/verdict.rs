//! Judging the recorded history with the checkers the workload names.

use std::time::{Duration, Instant};

use faultline_checkers::check::{check, CheckOptions};
use faultline_checkers::{Budget, CheckReport, History, Op};
use serde_json::Value;

use crate::results::ResultsFile;

/// Runs each model in `models` on `ops`: the results' verdict (the worst of the checkers'),
/// every checker's report and how long each took. A checker that cannot run (unknown model, bad
/// history) is reported as `unknown` with the reason, never a crash.
/// `initial` gives the `--initial` value a model needs for this workload, if any.
pub fn judge(
    ops: Vec<Op>,
    models: &[&str],
    initial: &dyn Fn(&str) -> Option<Value>,
    budget: Duration,
) -> ResultsFile {
    let mut reports = Vec::new();
    let mut seconds = Vec::new();
    let history = History::new(ops);
    for model in models {
        let started = Instant::now();
        let report = match &history {
            Ok(history) => {
                let options = CheckOptions {
                    initial: initial(model),
                    budget: Budget::with_time_limit(budget),
                    ..Default::default()
                };
                check(model, history, &options).unwrap_or_else(|e| {
                    let mut r = CheckReport::new(*model);
                    r.set_unknown(format!("checker {model} could not run: {e}"));
                    r
                })
            }
            Err(e) => {
                let mut r = CheckReport::new(*model);
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
    use faultline_checkers::Validity;

    #[test]
    fn a_model_that_cannot_run_is_unknown_not_a_crash() {
        let v = judge(
            Vec::new(),
            &["no-such-model"],
            &|_| None,
            Duration::from_secs(1),
        );
        assert_eq!(v.valid, Validity::Unknown);
        assert!(v.checkers[0]
            .unknown_reason
            .as_deref()
            .unwrap()
            .contains("no-such-model"));
        assert!(v.seconds_of("no-such-model").is_some());
        assert_eq!(
            judge(Vec::new(), &[], &|_| None, Duration::from_secs(1)).valid,
            Validity::Unknown
        );
    }
}

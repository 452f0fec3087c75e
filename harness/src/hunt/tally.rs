//! What each hunt run found, and the per-case rows: detection rate and median time to the first
//! anomaly for bugs, false alarms for controls.
//!
//! The time to the first anomaly is the time, from the start of the client phase, of the earliest
//! operation any anomaly names (its `ops`, or the operation a linearizability counterexample stops
//! at): when the history first held the evidence, whatever the checker's search order.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use faultline_checkers::verdict::AnomalyDetail;
use faultline_checkers::Validity;
use serde::Serialize;
use serde_json::Value;

use super::cases::Case;
use crate::campaign::summary::{Outcome, RunRecord};
use crate::results::schema::ResultsFile;

/// How one run ended, for the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Valid,
    Invalid,
    Unknown,
    /// No verdict: the run failed or did not run.
    Error,
}

/// One run of the hunt.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub case: String,
    pub seed: u64,
    pub verdict: Verdict,
    /// Seconds from the first client operation to the earliest operation an anomaly names.
    pub first_anomaly_secs: Option<f64>,
    pub dir: Option<PathBuf>,
    /// The `faultline run` command that repeats it.
    pub command: String,
}

impl Finding {
    pub fn of(record: &RunRecord) -> Finding {
        let verdict = match &record.outcome {
            Outcome::Verdict(Validity::Valid) => Verdict::Valid,
            Outcome::Verdict(Validity::Invalid) => Verdict::Invalid,
            Outcome::Verdict(Validity::Unknown) => Verdict::Unknown,
            _ => Verdict::Error,
        };
        let first_anomaly_secs = match (&record.dir, verdict) {
            (Some(dir), Verdict::Invalid) => first_anomaly_secs(dir),
            _ => None,
        };
        Finding {
            case: record.run.label.clone().unwrap_or_default(),
            seed: record.run.seed,
            verdict,
            first_anomaly_secs,
            dir: record.dir.clone(),
            command: record.run.command(),
        }
    }
}

/// The smallest event index any anomaly of `results` names.
pub fn earliest_named(results: &ResultsFile) -> Option<u64> {
    results
        .checkers
        .iter()
        .flat_map(|c| &c.anomalies)
        .flat_map(|a| {
            let stop = match &a.detail {
                Some(AnomalyDetail::Counterexample(c)) => Some(c.op),
                _ => None,
            };
            a.ops.iter().copied().chain(stop)
        })
        .min()
}

/// Seconds from the first client event of the history in `dir` to the earliest event an anomaly
/// in its `results.json` names; `None` when either cannot be read.
pub fn first_anomaly_secs(dir: &Path) -> Option<f64> {
    let results = ResultsFile::read(&dir.join("results.json")).ok()?;
    let wanted = earliest_named(&results)?;
    let file = std::fs::File::open(dir.join("history.jsonl")).ok()?;
    let mut start: Option<u64> = None;
    for line in std::io::BufReader::new(file).lines() {
        let event: Value = serde_json::from_str(&line.ok()?).ok()?;
        let time = event["time"].as_u64();
        if start.is_none() && event["process"].is_u64() {
            start = time;
        }
        if event["index"].as_u64() == Some(wanted) {
            let (t, t0) = (time?, start.or(time)?);
            return Some(t.saturating_sub(t0) as f64 / 1e9);
        }
    }
    None
}

/// One case's line of the table.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub case: Case,
    pub runs: usize,
    /// Runs judged invalid: detections for a bug, false alarms for a control.
    pub invalid: usize,
    pub unknown: usize,
    /// Runs without a verdict.
    pub errors: usize,
    /// Median over the invalid runs of the time to the first anomaly, seconds.
    pub median_first_anomaly_secs: Option<f64>,
}

impl Row {
    /// Whether the case meets the bar: a bug caught on at least 9 runs in 10, a control never
    /// alarmed, and every run with a verdict.
    pub fn meets_bar(&self) -> bool {
        let verdicts = self.errors == 0;
        if self.case.is_control() {
            verdicts && self.invalid == 0
        } else {
            verdicts && self.invalid * 10 >= self.runs * 9
        }
    }
}

/// A row per case, in the cases' order.
pub fn rows(cases: &[Case], findings: &[Finding]) -> Vec<Row> {
    cases
        .iter()
        .map(|case| {
            let mine: Vec<&Finding> = findings.iter().filter(|f| f.case == case.name).collect();
            let count = |v: Verdict| mine.iter().filter(|f| f.verdict == v).count();
            let mut times: Vec<f64> = mine.iter().filter_map(|f| f.first_anomaly_secs).collect();
            times.sort_by(f64::total_cmp);
            Row {
                case: case.clone(),
                runs: mine.len(),
                invalid: count(Verdict::Invalid),
                unknown: count(Verdict::Unknown),
                errors: count(Verdict::Error),
                median_first_anomaly_secs: median(&times),
            }
        })
        .collect()
}

/// The median of sorted numbers (the mean of the middle two for an even count).
fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_earliest_named_event_counts_ops_and_counterexample_ops() {
        let anomaly = |ops: &str, detail: &str| {
            format!(r#"{{"type": "x", "ops": {ops}, "explanation": "", "detail": {detail}}}"#)
        };
        let text = format!(
            r#"{{"schema": 2, "valid": false, "checkers": [
                {{"checker": "a", "valid": false, "anomalies": [{}, {}]}},
                {{"checker": "b", "valid": true, "anomalies": []}}]}}"#,
            anomaly("[40, 12]", "null"),
            anomaly(
                "[]",
                r#"{"kind": "counterexample", "model": "cas-register", "key": 0, "prefix": [1],
                    "op": 9, "concurrent": [], "state": null}"#
            ),
        );
        let results = ResultsFile::parse(&text).unwrap();
        assert_eq!(earliest_named(&results), Some(9));
        let none = ResultsFile::parse(r#"{"schema": 2, "valid": true, "checkers": []}"#).unwrap();
        assert_eq!(earliest_named(&none), None);
    }

    #[test]
    fn first_anomaly_time_is_from_the_first_client_event() {
        let dir = std::env::temp_dir().join(format!("faultline-hunt-tally-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("results.json"),
            r#"{"schema": 2, "valid": false, "checkers": [{"checker": "x", "valid": false,
                "anomalies": [{"type": "lost", "ops": [3], "explanation": ""}]}]}"#,
        )
        .unwrap();
        let history = [
            r#"{"index":0,"time":500000000,"process":"nemesis","type":"info","f":"kill"}"#,
            r#"{"index":1,"time":1000000000,"process":0,"type":"invoke","f":"read"}"#,
            r#"{"index":2,"time":1500000000,"process":0,"type":"ok","f":"read"}"#,
            r#"{"index":3,"time":3500000000,"process":1,"type":"ok","f":"read"}"#,
        ];
        std::fs::write(dir.join("history.jsonl"), history.join("\n")).unwrap();
        assert_eq!(first_anomaly_secs(&dir), Some(2.5));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn finding(case: &str, verdict: Verdict, t: Option<f64>) -> Finding {
        Finding {
            case: case.into(),
            seed: 1,
            verdict,
            first_anomaly_secs: t,
            dir: None,
            command: String::new(),
        }
    }

    #[test]
    fn rows_count_detections_and_false_alarms() {
        let cases = super::super::cases::cases(&["stale-read".into()]).unwrap();
        let control = cases[1].name.clone();
        let mut findings: Vec<Finding> = (0..9)
            .map(|i| finding("stale-read", Verdict::Invalid, Some(f64::from(i))))
            .collect();
        findings.push(finding("stale-read", Verdict::Valid, None));
        findings.push(finding(&control, Verdict::Invalid, Some(1.0)));
        findings.push(finding(&control, Verdict::Valid, None));
        let rows = rows(&cases, &findings);
        assert_eq!((rows[0].runs, rows[0].invalid), (10, 9));
        assert_eq!(rows[0].median_first_anomaly_secs, Some(4.0));
        assert!(rows[0].meets_bar());
        assert_eq!((rows[1].runs, rows[1].invalid), (2, 1));
        assert!(!rows[1].meets_bar());
    }
}

//! `junit.xml` for CI: one `<testsuite>` per run, one `<testcase>` per checker.
//!
//! - valid → a passing test case;
//! - invalid → `<failure type="invalid">`, the message naming the anomaly types and counts, the
//!   body holding each anomaly's explanation;
//! - unknown → `<error type="unknown">`: the checker could not decide (budget exhausted, input it
//!   cannot judge). That is not a demonstrated anomaly, so not a failure, but the gate must not
//!   pass either, and JUnit's "error" (the test could not run to a conclusion) is what CI tools
//!   show for that;
//! - a checker the target makes inapplicable → `<skipped>` with the reason.

use std::collections::BTreeMap;
use std::fmt::Write;

use faultline_checkers::{Anomaly, Validity};

use super::anomalies::{verdict, SHOWN_PER_CHECKER};
use super::folder::RunFolder;
use super::markup::{escape, truncate};

/// `YYYYMMDDTHHMMSSZ[-n]` → `YYYY-MM-DDTHH:MM:SS` (JUnit's timestamp), if it is one.
fn iso_timestamp(stamp: &str) -> Option<String> {
    let b = stamp.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .is_some_and(|s| s.iter().all(u8::is_ascii_digit))
    };
    if b.len() < 16 || !digits(0..8) || b[8] != b'T' || !digits(9..15) || b[15] != b'Z' {
        return None;
    }
    Some(format!(
        "{}-{}-{}T{}:{}:{}",
        &stamp[0..4],
        &stamp[4..6],
        &stamp[6..8],
        &stamp[9..11],
        &stamp[11..13],
        &stamp[13..15]
    ))
}

/// The anomaly summary: `2 anomalies: G-single-item × 1, G0 × 1`.
fn anomaly_summary(anomalies: &[Anomaly]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for a in anomalies {
        *counts.entry(a.kind.as_str()).or_default() += 1;
    }
    let listed: Vec<String> = counts.iter().map(|(k, n)| format!("{k} × {n}")).collect();
    format!(
        "{} anomal{}: {}",
        anomalies.len(),
        if anomalies.len() == 1 { "y" } else { "ies" },
        listed.join(", ")
    )
}

/// The JUnit XML of a run folder.
pub fn render(folder: &RunFolder) -> String {
    let suite = folder.test_name();
    let classname = format!("faultline.{suite}");
    let checkers = folder.checkers();
    let skipped = &folder.results.skipped_checkers;
    let (mut failures, mut errors) = (0, 0);
    let mut cases = String::new();
    for c in checkers {
        let name = &c.checker;
        let time = folder.results.seconds_of(name).unwrap_or(0.0);
        let _ = write!(
            cases,
            "    <testcase name=\"{}\" classname=\"{}\" time=\"{time:.3}\">",
            escape(name),
            escape(&classname)
        );
        let anomalies = &c.anomalies;
        match c.valid {
            Validity::Invalid => {
                failures += 1;
                let mut body = String::new();
                for a in anomalies.iter().take(SHOWN_PER_CHECKER) {
                    let _ = write!(body, "{}:\n{}\n\n", a.kind, truncate(&a.explanation, 4_000));
                }
                if anomalies.len() > SHOWN_PER_CHECKER {
                    let _ = writeln!(
                        body,
                        "... and {} more anomalies in results.json",
                        anomalies.len() - SHOWN_PER_CHECKER
                    );
                }
                let message = if anomalies.is_empty() {
                    "invalid".to_string()
                } else {
                    anomaly_summary(anomalies)
                };
                let _ = write!(
                    cases,
                    "\n      <failure type=\"invalid\" message=\"{}\">{}</failure>\n    ",
                    escape(&message),
                    escape(&body)
                );
            }
            Validity::Unknown => {
                errors += 1;
                let reason = c
                    .unknown_reason
                    .as_deref()
                    .unwrap_or("the checker could not decide");
                let _ = write!(
                    cases,
                    "\n      <error type=\"unknown\" message=\"{}\">{}</error>\n    ",
                    escape(&format!("unknown: {}", truncate(reason, 500))),
                    escape(&format!(
                        "The checker could not decide whether the history is valid: {reason}\n\
                         This is not an anomaly; give it more budget (--check-budget / --time-limit) \
                         or a smaller history."
                    ))
                );
            }
            Validity::Valid => {}
        }
        cases.push_str("</testcase>\n");
    }
    for s in skipped {
        let _ = writeln!(
            cases,
            "    <testcase name=\"{}\" classname=\"{}\" time=\"0\"><skipped message=\"{}\"/></testcase>",
            escape(&s.checker),
            escape(&classname),
            escape(&s.reason)
        );
    }
    if checkers.is_empty() {
        // No checker ran: the run cannot pass a gate.
        errors += 1;
        let _ = writeln!(
            cases,
            "    <testcase name=\"checkers\" classname=\"{}\" time=\"0\"><error type=\"unknown\" message=\"no checker ran on this history\"/></testcase>",
            escape(&classname)
        );
    }
    let tests = checkers.len().max(1) + skipped.len();
    let total: f64 = folder.results.checker_seconds.values().sum();
    let timestamp = iso_timestamp(&folder.stamp())
        .map(|t| format!(" timestamp=\"{t}\""))
        .unwrap_or_default();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"faultline\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{}\" time=\"{total:.3}\">",
        skipped.len()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{}\" time=\"{total:.3}\"{timestamp}>",
        escape(&suite),
        skipped.len()
    );
    out.push_str("    <properties>\n");
    let mut property = |name: &str, value: Option<String>| {
        if let Some(text) = value {
            let _ = writeln!(
                out,
                "      <property name=\"{}\" value=\"{}\"/>",
                escape(name),
                escape(&truncate(&text, 500))
            );
        }
    };
    property("verdict", Some(verdict(folder.results.valid).into()));
    property("run_folder", Some(folder.dir.display().to_string()));
    let test = folder.test.as_ref();
    property("seed", test.and_then(|t| t.seed).map(|s| s.to_string()));
    property("run_id", test.and_then(|t| t.run_id.clone()));
    if let Some(o) = folder.options() {
        property("target", o.target.clone());
        property("mode", o.mode.clone());
        property("bug", o.bug.clone());
        property("workload", o.workload.clone());
        // As JSON, the way the first report wrote it (`["partition"]`).
        if o.all.contains_key("nemesis") {
            property("nemesis", serde_json::to_string(&o.nemesis).ok());
        }
        property("nodes", o.nodes.map(|n| n.to_string()));
        property(
            "time_limit_secs",
            o.time_limit_secs
                .and_then(|t| serde_json::to_string(&t).ok()),
        );
    }
    property("source", test.and_then(|t| t.source.clone()));
    out.push_str("    </properties>\n");
    out.push_str(&cases);
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_become_junit_timestamps() {
        assert_eq!(
            iso_timestamp("20261124T195621Z").as_deref(),
            Some("2026-11-24T19:56:21")
        );
        assert_eq!(
            iso_timestamp("20261124T195621Z-2").as_deref(),
            Some("2026-11-24T19:56:21")
        );
        assert_eq!(iso_timestamp("report"), None);
    }
}

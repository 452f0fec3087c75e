//! `faultline bench`: the performance targets of DESIGN.md section 9, measured on histories
//! generated in memory. A suite is a file in this folder that lists its cases; add a suite by
//! adding a file and a line to [`SUITES`].

pub mod adapter;
mod history_file;
pub mod linearizable;
mod memory;
pub mod report;
pub mod shaping;
pub mod transactional;

use std::time::{Duration, Instant};

use faultline_checkers::Validity;
use serde::Serialize;

pub use memory::{cpu_seconds, peak_rss_bytes, reset_peak_rss};

/// What a case's timed part reports.
pub struct Outcome {
    /// Operations checked.
    pub ops: usize,
    /// The worst verdict over the case's histories.
    pub verdict: Validity,
    /// The checker's own estimate of its peak search memory (memo tables), in bytes.
    pub search_bytes: usize,
    /// Anything else worth printing with the row (e.g. the size of a written page).
    pub note: Option<String>,
}

/// The timed work of a case, built by its (untimed) setup.
pub type Timed = Box<dyn FnOnce() -> Outcome>;

/// One benchmark case.
pub struct Case {
    pub name: String,
    /// The target it measures, in DESIGN.md's words.
    pub target: &'static str,
    /// Seconds the timed part may take to meet the target.
    pub limit: Option<Duration>,
    /// The verdict the generated input must get (anything else is a checker bug).
    pub expected: Validity,
    /// Generates the input (not timed) and returns the timed check.
    pub setup: Box<dyn FnOnce() -> Timed>,
}

/// A family of cases.
pub struct Suite {
    pub name: &'static str,
    pub about: &'static str,
    /// The cases; `quick` asks for small inputs (a smoke run of a few seconds).
    pub cases: fn(quick: bool) -> Vec<Case>,
}

/// Every suite, in the order `--suite all` runs them.
pub const SUITES: &[Suite] = &[
    linearizable::SUITE,
    transactional::SUITE,
    report::SUITE,
    adapter::SUITE,
    shaping::SUITE,
];

/// One measured case.
#[derive(Clone, Debug, Serialize)]
pub struct Measurement {
    pub suite: &'static str,
    pub case: String,
    pub ops: usize,
    pub seconds: f64,
    /// User plus system CPU seconds of the timed part (all threads), if readable: on a shared
    /// machine the figure that varies least from run to run.
    pub cpu_seconds: Option<f64>,
    pub ops_per_second: f64,
    /// Peak resident memory of the process during the case (VmHWM), if readable.
    pub peak_rss_bytes: Option<u64>,
    pub search_bytes: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub verdict: Validity,
    pub expected: Validity,
    pub target: &'static str,
    pub limit_seconds: Option<f64>,
    /// Within the time limit (when there is one) and with the expected verdict.
    pub met: bool,
}

/// Runs one case: setup, reset of the peak-memory counter, the timed check.
pub fn measure(suite: &'static str, case: Case) -> Measurement {
    let timed = (case.setup)();
    reset_peak_rss();
    let cpu_before = cpu_seconds();
    let start = Instant::now();
    let outcome = timed();
    let elapsed = start.elapsed();
    let cpu = cpu_seconds()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    let seconds = elapsed.as_secs_f64();
    Measurement {
        suite,
        case: case.name,
        ops: outcome.ops,
        seconds,
        cpu_seconds: cpu,
        ops_per_second: outcome.ops as f64 / seconds.max(1e-9),
        peak_rss_bytes: peak_rss_bytes(),
        search_bytes: outcome.search_bytes,
        note: outcome.note,
        verdict: outcome.verdict,
        expected: case.expected,
        target: case.target,
        limit_seconds: case.limit.map(|l| l.as_secs_f64()),
        met: outcome.verdict == case.expected && case.limit.is_none_or(|l| elapsed <= l),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(expected: Validity, limit: Duration) -> Case {
        Case {
            name: "tiny".into(),
            target: "test",
            limit: Some(limit),
            expected,
            setup: Box::new(|| {
                Box::new(|| Outcome {
                    ops: 10,
                    verdict: Validity::Valid,
                    search_bytes: 64,
                    note: None,
                })
            }),
        }
    }

    #[test]
    fn a_case_meets_its_target_only_with_the_expected_verdict_in_time() {
        let m = measure("test", case(Validity::Valid, Duration::from_secs(5)));
        assert!(m.met);
        assert_eq!((m.ops, m.search_bytes), (10, 64));
        assert!(m.ops_per_second > 0.0);
        assert!(!measure("test", case(Validity::Invalid, Duration::from_secs(5))).met);
        assert!(!measure("test", case(Validity::Valid, Duration::ZERO)).met);
    }

    #[test]
    fn suites_have_distinct_names_and_quick_cases() {
        let mut names: Vec<&str> = SUITES.iter().map(|s| s.name).collect();
        names.dedup();
        assert_eq!(names.len(), SUITES.len());
        assert!(SUITES.iter().all(|s| !(s.cases)(true).is_empty()));
    }
}

//! `faultline hunt`: how much teeth a nemesis setup has. Runs every planted bug of the reference
//! nodes on several seeds (with `faultline run`'s default nemesis) and the same setups without
//! a bug as controls, then reports per bug how often it was caught and how soon, and any alarm
//! on a control (a false alarm: the checkers flagged a correct system).
//!
//! - [`cases`]: what runs (one case per bug, one control per distinct mode and workload);
//! - [`tally`]: what each run found (verdict, time of the first anomaly) and the per-case rows;
//! - [`render`]: the table as text and JSON.
//!
//! The runs go through the campaign runner ([`crate::campaign::runner`]), so a hunt writes the
//! same run folders and `summary.md` as a campaign and survives a failed run or Ctrl-C the same
//! way.

pub mod cases;
pub mod render;
pub mod tally;

use std::path::{Path, PathBuf};

use crate::backend::BackendKind;
use crate::campaign::matrix::{MatrixPoint, PlannedRun};
use crate::campaign::runner;
use crate::campaign::spec::Campaign;
use crate::exit::FaultlineError;
use crate::run::plan::DEFAULT_NEMESIS;
use crate::run::{RunPlan, RunRequest, RunSettings};
use cases::Case;
use tally::{Finding, Row};

/// What a hunt runs.
#[derive(Clone, Debug)]
pub struct HuntSpec {
    pub cases: Vec<Case>,
    /// Seeds 1..=seeds for every case.
    pub seeds: u64,
    pub backend: BackendKind,
    pub settings: RunSettings,
    /// `None`: `faultline run`'s default nemesis.
    pub nemesis: Option<String>,
    pub results_dir: PathBuf,
}

/// What a hunt found.
pub struct HuntResult {
    pub rows: Vec<Row>,
    pub findings: Vec<Finding>,
    /// `results/campaigns/hunt/<stamp>/`: the summary of every run.
    pub dir: PathBuf,
    pub interrupted: bool,
}

/// Every run of `spec`, planned and checked before any starts.
pub fn plan(spec: &HuntSpec) -> Result<Vec<PlannedRun>, FaultlineError> {
    let mut runs = Vec::new();
    for case in &spec.cases {
        for seed in 1..=spec.seeds {
            let request = RunRequest {
                backend: spec.backend,
                mode: Some(case.mode.clone()),
                bug: case.bug.clone(),
                workload: case.workload.clone(),
                nemesis: spec
                    .nemesis
                    .clone()
                    .unwrap_or_else(|| DEFAULT_NEMESIS.into()),
                settings: spec.settings,
                seed: Some(seed),
                results_dir: spec.results_dir.clone(),
                ..RunRequest::default()
            };
            let point = MatrixPoint {
                index: runs.len() + 1,
                block: 0,
                label: Some(case.name.clone()),
                target: request.target.clone(),
                mode: request.mode.clone(),
                options: request.target_options.clone(),
                bug: request.bug.clone(),
                workload: request.workload.clone(),
                nemesis: request.nemesis.clone(),
                seed,
            };
            let plan = RunPlan::resolve(request)?;
            runs.push(PlannedRun { point, plan });
        }
    }
    Ok(runs)
}

/// Runs the hunt one run after another (progress on stderr) and tallies it.
pub async fn run(spec: &HuntSpec) -> Result<HuntResult, FaultlineError> {
    let runs = plan(spec)?;
    let campaign = Campaign {
        name: "hunt".into(),
        description: Some(format!(
            "faultline hunt: {} cases × {} seeds",
            spec.cases.len(),
            spec.seeds
        )),
        file: Path::new("(faultline hunt)").to_path_buf(),
        blocks: Vec::new(),
    };
    let done = runner::run_all(&campaign, runs, &spec.results_dir, false).await?;
    let findings: Vec<Finding> = done.records.iter().map(Finding::of).collect();
    Ok(HuntResult {
        rows: tally::rows(&spec.cases, &findings),
        findings,
        dir: done.dir,
        interrupted: done.interrupted,
    })
}

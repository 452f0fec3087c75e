//! Running a campaign's planned runs one after another through
//! [`crate::run::run`], recording each outcome and rewriting the summary after every run, so a
//! campaign killed half-way still leaves a summary of what it did.
//!
//! A run that fails without a verdict is recorded and the campaign goes on (unless `fail_fast`).
//! Ctrl-C / SIGTERM: the run in progress tears down (the run loop handles the signal itself) and
//! the campaign stops there; the runs after it are listed as not run.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use super::error::CampaignError;
use super::matrix::PlannedRun;
use super::spec::Campaign;
use super::summary::{self, CampaignInfo, Outcome, RunRecord};
use crate::exit::Exit;
use crate::results::store::create_stamped;

/// What a campaign did.
pub struct CampaignResult {
    pub records: Vec<RunRecord>,
    /// `results/campaigns/<name>/<stamp>/`.
    pub dir: PathBuf,
    pub interrupted: bool,
    pub exit: Exit,
}

/// Runs the checked runs in order; writes `summary.md` and `summary.json` after each.
pub async fn run_all(
    campaign: &Campaign,
    runs: Vec<PlannedRun>,
    results_dir: &Path,
    fail_fast: bool,
) -> Result<CampaignResult, CampaignError> {
    let folder =
        create_stamped(&results_dir.join("campaigns"), &campaign.name).map_err(|source| {
            CampaignError::Folder {
                dir: results_dir.join("campaigns"),
                source,
            }
        })?;
    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let listener = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let signal = crate::run::interrupted().await;
            stop.store(true, Ordering::SeqCst);
            eprintln!("faultline: {signal}: the campaign stops after this run's teardown");
        })
    };

    let total = runs.len();
    let mut records: Vec<RunRecord> = Vec::new();
    let mut failed_fast = false;
    let write = |records: &[RunRecord], finished: bool, interrupted: bool| {
        let info = CampaignInfo {
            name: &campaign.name,
            file: &campaign.file,
            description: campaign.description.as_deref(),
            stamp: &folder.stamp,
            seconds: started.elapsed().as_secs_f64(),
            finished,
            interrupted,
        };
        write_summaries(&folder.path, &info, records)
    };
    for run in runs {
        if stop.load(Ordering::SeqCst) {
            records.push(RunRecord::not_run(run, "the campaign was interrupted"));
            continue;
        }
        if failed_fast {
            records.push(RunRecord::not_run(
                run,
                "--fail-fast: an earlier run failed without a verdict",
            ));
            continue;
        }
        let label = format!("[{}/{total}]", run.index);
        eprintln!(
            "faultline: campaign {} {label} {}",
            campaign.name,
            run.describe()
        );
        let mut plan = run.plan.clone();
        plan.progress_label = Some(label.clone());
        let latest_before = std::fs::read_link(results_dir.join("latest")).ok();
        let t0 = Instant::now();
        let result = crate::run::run(plan).await;
        let mut record = RunRecord::not_run(run, "");
        record.seconds = t0.elapsed().as_secs_f64();
        match result {
            Ok(outcome) => {
                eprintln!("faultline: {label} {}", outcome.summary);
                record.outcome = Outcome::Verdict(outcome.valid);
                record.read_results(&outcome.dir);
                record.dir = Some(outcome.dir);
            }
            Err(e) => {
                eprintln!("faultline: {label} failed: {e}");
                // The run returns no folder on error; if it made one, `latest` moved to it.
                let latest_after = std::fs::read_link(results_dir.join("latest")).ok();
                if latest_after.is_some() && latest_after != latest_before {
                    record.dir = latest_after.map(|l| results_dir.join(l));
                }
                record.outcome = Outcome::Error {
                    exit: crate::exit::run_failed(&e),
                    message: e.to_string(),
                };
                failed_fast = fail_fast;
            }
        }
        records.push(record);
        if let Err(e) = write(&records, false, stop.load(Ordering::SeqCst)) {
            eprintln!("faultline: warning: {e}");
        }
    }
    listener.abort();
    let interrupted = stop.load(Ordering::SeqCst);
    write(&records, true, interrupted)?;
    Ok(CampaignResult {
        exit: summary::worst_exit(&records, interrupted),
        records,
        dir: folder.path,
        interrupted,
    })
}

fn write_summaries(
    dir: &Path,
    info: &CampaignInfo,
    records: &[RunRecord],
) -> Result<(), CampaignError> {
    let failed = |path: PathBuf| move |source| CampaignError::Summary { path, source };
    let md = dir.join("summary.md");
    std::fs::write(&md, summary::markdown(info, records)).map_err(failed(md.clone()))?;
    let json = dir.join("summary.json");
    let text = serde_json::to_string_pretty(&summary::json(info, records))
        .map_err(|e| failed(json.clone())(e.into()))?;
    std::fs::write(&json, text + "\n").map_err(failed(json.clone()))
}

//! Running a campaign: check every run first, then run them one after another through
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

use super::matrix::PlannedRun;
use super::spec::Campaign;
use super::summary::{self, CampaignInfo, Outcome, RunRecord};
use crate::exit::{Exit, FaultlineError};
use crate::results::store::create_stamped;
use crate::run::RunOptions;

/// A run that passed the checks, with the options it will run with.
pub struct Checked {
    pub run: PlannedRun,
    pub options: RunOptions,
}

/// Checks every run the way `faultline run` would before starting anything, so a bad entry
/// anywhere in the file stops the campaign before its first run. Errors name the block and run.
pub fn preflight(
    campaign: &Campaign,
    runs: Vec<PlannedRun>,
    results_dir: &Path,
) -> Result<Vec<Checked>, FaultlineError> {
    runs.into_iter()
        .map(|run| {
            let within = |e: FaultlineError| {
                FaultlineError::BadInput(format!(
                    "{}: run {} ({}): {e}",
                    campaign.file.display(),
                    run.index,
                    run.describe()
                ))
            };
            let options = run.run_options(results_dir).map_err(within)?;
            crate::run::prepare(&options).map_err(within)?;
            Ok(Checked { run, options })
        })
        .collect()
}

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
    runs: Vec<Checked>,
    results_dir: &Path,
    fail_fast: bool,
) -> Result<CampaignResult, FaultlineError> {
    let folder = create_stamped(&results_dir.join("campaigns"), &campaign.name).map_err(|e| {
        FaultlineError::Harness(format!(
            "cannot create the campaign folder under {}: {e}",
            results_dir.join("campaigns").display()
        ))
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
    for Checked { run, mut options } in runs {
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
        options.progress_label = Some(label.clone());
        let latest_before = std::fs::read_link(results_dir.join("latest")).ok();
        let t0 = Instant::now();
        let result = crate::run::run(options).await;
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
                    exit: e.exit(),
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
    write(&records, true, interrupted).map_err(FaultlineError::Harness)?;
    Ok(CampaignResult {
        exit: summary::worst_exit(&records, interrupted),
        records,
        dir: folder.path,
        interrupted,
    })
}

fn write_summaries(dir: &Path, info: &CampaignInfo, records: &[RunRecord]) -> Result<(), String> {
    let md = dir.join("summary.md");
    std::fs::write(&md, summary::markdown(info, records))
        .map_err(|e| format!("cannot write {}: {e}", md.display()))?;
    let json = dir.join("summary.json");
    let text = serde_json::to_string_pretty(&summary::json(info, records))
        .map_err(|e| format!("cannot encode {}: {e}", json.display()))?;
    std::fs::write(&json, text + "\n").map_err(|e| format!("cannot write {}: {e}", json.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::{matrix::expand, spec::parse};

    #[test]
    fn preflight_finds_a_bad_run_and_names_it() {
        // 300 nodes passes the field check (at least 1) but not the run's own limit, which only
        // the preflight through `run::prepare` applies.
        let c = parse(
            "[[matrix]]\nmodes = [\"raft\", \"lww\"]\n[[matrix]]\nnodes = 300\n",
            Path::new("camp.toml"),
        )
        .unwrap();
        let runs = expand(&c);
        assert_eq!(runs.len(), 3);
        let e = preflight(&c, runs, Path::new("results"))
            .err()
            .expect("300 nodes is refused");
        assert!(matches!(e, FaultlineError::BadInput(_)));
        let msg = e.to_string();
        assert!(
            msg.starts_with("camp.toml: run 3 (matrix[1] reference raft, register, nemesis partition, seed 1): "),
            "{msg}"
        );
        assert!(msg.contains("--nodes must be between 1 and 200"), "{msg}");
    }

    #[test]
    fn preflight_passes_good_runs_with_their_options() {
        let c = parse(
            "[[matrix]]\nmodes = [\"quorum\"]\ntarget-options = [{ w = 3, r = 1 }]\nnemeses = [\"partition\", \"clock\"]\n",
            Path::new("camp.toml"),
        )
        .unwrap();
        let checked = preflight(&c, expand(&c), Path::new("out")).unwrap();
        assert_eq!(checked.len(), 2);
        assert_eq!(checked[1].options.nemesis, vec!["clock"]);
        assert_eq!(checked[1].options.results_dir, Path::new("out"));
    }
}

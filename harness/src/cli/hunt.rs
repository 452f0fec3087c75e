//! `faultline hunt`: planted bugs × seeds with the default nemesis, and controls; how often and
//! how soon each bug is caught.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::backend::BackendKind;
use crate::exit::{Exit, FaultlineError};
use crate::hunt::{self, cases, render, HuntSpec};
use crate::run::plan::DEFAULT_RESULTS_DIR;
use crate::run::{PlanError, RunSettings};

const D: RunSettings = RunSettings::DEFAULT;

/// Options of `faultline hunt`.
#[derive(Debug, Args)]
pub struct HuntArgs {
    /// Where the runs go: docker, or in-process (the reference nodes inside faultline, no Docker).
    #[arg(long, default_value = "docker", value_parser = BackendKind::parse)]
    pub backend: BackendKind,
    /// Runs per case, seeds 1..=N.
    #[arg(long, default_value_t = 10)]
    pub seeds: u64,
    /// Seconds of client operations per run.
    #[arg(long, default_value_t = 20.0)]
    pub time_limit: f64,
    /// Only these planted bugs (comma-separated), with their controls; default every bug.
    #[arg(long, value_delimiter = ',')]
    pub bug: Vec<String>,
    /// The nemesis of every run, instead of `faultline run`'s default (to check that a setup of
    /// your own has teeth).
    #[arg(long)]
    pub nemesis: Option<String>,
    /// Seconds between faults.
    #[arg(long, default_value_t = D.nemesis_interval_secs)]
    pub nemesis_interval: f64,
    /// Seconds after healing before the final reads.
    #[arg(long, default_value_t = D.recovery_secs)]
    pub recovery: f64,
    /// Print the table as JSON (rows, every run, and whether every case meets the bar).
    #[arg(long)]
    pub json: bool,
    /// Where the run folders go; the summary goes to <DIR>/campaigns/hunt/<timestamp>/.
    #[arg(long, default_value = DEFAULT_RESULTS_DIR)]
    pub results_dir: PathBuf,
}

/// Runs `faultline hunt`: exit 0 when every bug meets the bar (caught on 9 runs in 10) and no
/// control alarms, 1 otherwise.
pub fn execute(args: HuntArgs) -> Result<Exit, FaultlineError> {
    let cases = cases::cases(&args.bug).map_err(|e| PlanError::Nemesis(format!("--bug: {e}")))?;
    let spec = HuntSpec {
        cases,
        seeds: args.seeds.max(1),
        backend: args.backend,
        settings: RunSettings {
            time_limit_secs: args.time_limit,
            nemesis_interval_secs: args.nemesis_interval,
            recovery_secs: args.recovery,
            ..D
        },
        nemesis: args.nemesis,
        results_dir: args.results_dir,
    };
    // Every run is planned (and checked) before the first starts.
    let total = hunt::plan(&spec)?.len();
    eprintln!(
        "faultline: hunt: {} cases × {} seeds = {total} runs of {} s on {}",
        spec.cases.len(),
        spec.seeds,
        args.time_limit,
        spec.backend.name()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(FaultlineError::Runtime)?;
    let result = runtime.block_on(hunt::run(&spec))?;
    let out = if args.json {
        serde_json::to_string_pretty(&render::json(&result.rows, &result.findings))
            .expect("JSON values serialise")
            + "\n"
    } else {
        render::text(&result.rows)
    };
    // `let _ =`: a closed stdout (`| head`) must not turn into a panic.
    let _ = write!(std::io::stdout().lock(), "{out}");
    eprintln!(
        "faultline: hunt{}: summary of every run in {}",
        if result.interrupted {
            " interrupted"
        } else {
            ""
        },
        result.dir.display()
    );
    Ok(
        if result.rows.iter().all(|r| r.meets_bar()) && !result.interrupted {
            Exit::Valid
        } else {
            Exit::Invalid
        },
    )
}

//! `faultline campaign FILE.toml`: run a matrix of tests and summarise them.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::campaign::{matrix, runner, spec};
use crate::exit::{Exit, FaultlineError};

/// Options of `faultline campaign`.
#[derive(Debug, Args)]
pub struct CampaignArgs {
    /// The campaign file (TOML): an optional [defaults] table and [[matrix]] blocks of modes,
    /// target-options, workloads, nemeses and seeds (see campaigns/seed-patterns.toml).
    pub file: PathBuf,
    /// Where the run folders go; the summary goes to <DIR>/campaigns/<name>/<timestamp>/.
    #[arg(long, default_value = "results")]
    pub results_dir: PathBuf,
    /// Stop at the first run that fails without a verdict (harness error). By default such a run
    /// is recorded and the campaign goes on.
    #[arg(long)]
    pub fail_fast: bool,
    /// Check the file and list the runs it expands to, with the `faultline run` command of each;
    /// start nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs `faultline campaign`.
pub fn execute(args: CampaignArgs) -> Result<Exit, FaultlineError> {
    let campaign = spec::load(&args.file)?;
    let checked = matrix::expand(&campaign, &args.results_dir)?;
    // Written with `let _ =`: a closed stdout (`| head`) must not turn into a panic.
    if args.dry_run {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "campaign {}: {} runs ({})",
            campaign.name,
            checked.len(),
            args.file.display()
        );
        for c in &checked {
            let _ = writeln!(
                out,
                "{:>3}  {}\n     {}",
                c.index,
                c.describe(),
                c.command()
            );
        }
        return Ok(Exit::Valid);
    }
    eprintln!(
        "faultline: campaign {}: {} runs from {}",
        campaign.name,
        checked.len(),
        args.file.display()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(FaultlineError::Runtime)?;
    let result = runtime.block_on(runner::run_all(
        &campaign,
        checked,
        &args.results_dir,
        args.fail_fast,
    ))?;
    let _ = write!(
        std::io::stdout().lock(),
        "{}",
        crate::campaign::summary::text_table(&result.records)
    );
    eprintln!(
        "faultline: campaign {}{}: exit {}; summary in {}",
        campaign.name,
        if result.interrupted {
            " interrupted"
        } else {
            ""
        },
        result.exit.code(),
        result.dir.join("summary.md").display()
    );
    Ok(result.exit)
}

//! `faultline report RUN_DIR...`: regenerates `report.html` and `junit.xml` of stored run folders
//! (after an upgrade, or for a run whose report was lost) and refreshes the results index above
//! them.

use std::path::PathBuf;

use clap::Args;

use crate::exit::{Exit, FaultlineError};
use crate::report;

/// Options of `faultline report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Run folders (`results/<test>/<timestamp>/`, holding results.json) to render.
    #[arg(required = true, value_name = "RUN_DIR")]
    pub runs: Vec<PathBuf>,
    /// Do not refresh `index.html` in the results folder two levels above each run.
    #[arg(long)]
    pub no_index: bool,
}

/// Renders each run; the first bad folder stops with exit 64 after the ones before it are done.
pub fn execute(args: ReportArgs) -> Result<Exit, FaultlineError> {
    let mut roots: Vec<PathBuf> = Vec::new();
    for dir in &args.runs {
        let written = report::write_reports(dir)?;
        println!(
            "{} ({}), {}",
            written.report.display(),
            crate::report::markup::bytes(written.report_bytes as u64),
            written.junit.display()
        );
        if let Some(root) = report::results_root(dir) {
            if !roots.contains(&root) {
                roots.push(root);
            }
        }
    }
    if !args.no_index {
        for root in roots {
            let path =
                report::index::write_index(&root).map_err(|source| FaultlineError::Write {
                    path: root.join("index.html"),
                    source,
                })?;
            println!("{}", path.display());
        }
    }
    Ok(Exit::Valid)
}

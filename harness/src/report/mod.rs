//! Reports of a run (DESIGN.md section 8): `report.html` (one self-contained page: options,
//! verdict, latency and throughput over time with fault windows, a per-process timeline, every
//! anomaly with its explanation and drawing, node logs), `junit.xml` for CI, and
//! `results/index.html` listing every run.
//!
//! Everything is rendered from a stored run folder (`test.json`, `results.json`,
//! `history.jsonl`), so `faultline run`, `faultline report RUN_DIR` and `faultline check --report`
//! produce the same page from the same files. The history is streamed once into a compact
//! [`digest::Digest`]; plots are downsampled so a page stays small (< 10 MB at 1M operations).

pub mod anomalies;
pub mod digest;
pub mod faults;
pub mod folder;
pub mod index;
pub mod junit;
pub mod markup;
pub mod page;
pub mod sample;
pub mod svg;
pub mod windows;

use std::path::{Path, PathBuf};

pub use folder::RunFolder;

/// What [`write_reports`] wrote.
#[derive(Debug)]
pub struct Written {
    pub report: PathBuf,
    pub junit: PathBuf,
    /// Size of `report.html` in bytes.
    pub report_bytes: usize,
}

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The folder is not a run folder (or its files cannot be parsed): bad input.
    #[error("{0}")]
    NotARun(String),
    /// Reading or writing failed.
    #[error("{0}")]
    Io(String),
}

/// Writes `report.html` and `junit.xml` into the run folder `dir` from its stored files.
pub fn write_reports(dir: &Path) -> Result<Written, ReportError> {
    let folder = RunFolder::open(dir)?;
    let digest = folder.digest()?;
    let html = page::render(&folder, &digest);
    let xml = junit::render(&folder);
    let report = dir.join("report.html");
    let junit = dir.join("junit.xml");
    let io = |path: &Path, e: std::io::Error| {
        ReportError::Io(format!("cannot write {}: {e}", path.display()))
    };
    std::fs::write(&report, &html).map_err(|e| io(&report, e))?;
    std::fs::write(&junit, &xml).map_err(|e| io(&junit, e))?;
    Ok(Written {
        report,
        junit,
        report_bytes: html.len(),
    })
}

/// The results root of a run folder `root/<test>/<stamp>/`, resolved first so that
/// `results/latest` (a link to the run) leads to `results/`.
pub fn results_root(run_dir: &Path) -> Option<PathBuf> {
    let dir = std::fs::canonicalize(run_dir).ok()?;
    Some(dir.parent()?.parent()?.to_path_buf())
}

/// What `faultline run` (and a campaign) calls once `results.json` is written: the run's
/// `report.html` and `junit.xml`, then `index.html` of the results root refreshed.
pub fn write_run_reports(dir: &Path) -> Result<Written, ReportError> {
    let written = write_reports(dir)?;
    if let Some(root) = results_root(dir) {
        index::write_index(&root)
            .map_err(|e| ReportError::Io(format!("cannot write the results index: {e}")))?;
    }
    Ok(written)
}

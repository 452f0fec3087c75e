//! A report folder for a history checked by `faultline check --report DIR`: the same files a run
//! leaves (`history.jsonl`, `test.json`, `results.json`, `report.html`, `junit.xml`), so the page
//! is the same and `faultline report DIR` can regenerate it.

use std::path::Path;

use faultline_checkers::{CheckReport, Op};
use serde_json::{json, Value};

use super::{write_reports, ReportError, Written};

/// Where the report's `history.jsonl` comes from.
pub enum HistorySource<'a> {
    /// The input already is faultline JSON Lines: copied as is.
    Copy(&'a Path),
    /// The parsed history (from EDN, Jepsen JSON or logs, or standard input): written out.
    Ops(&'a [Op]),
}

/// What was checked, and how.
pub struct Checked<'a> {
    /// The input file's name as the user gave it.
    pub file: &'a str,
    /// The test name shown on the page and in JUnit (the file's stem).
    pub name: String,
    pub model: &'a str,
    /// The `check` options, as JSON (initial, consistency models, time limit...).
    pub options: Value,
    pub report: &'a CheckReport,
    pub events: usize,
    pub warnings: &'a [String],
    pub seconds: f64,
}

/// Writes the report folder `dir` (created if needed).
pub fn write(
    dir: &Path,
    checked: &Checked,
    history: HistorySource,
) -> Result<Written, ReportError> {
    let io = |what: &str, e: std::io::Error| {
        ReportError::Io(format!("cannot write {}: {e}", dir.join(what).display()))
    };
    std::fs::create_dir_all(dir).map_err(|e| io("", e))?;
    let target = dir.join("history.jsonl");
    match history {
        HistorySource::Copy(path) => {
            let same = std::fs::canonicalize(path).ok() == std::fs::canonicalize(&target).ok();
            if !same {
                std::fs::copy(path, &target).map_err(|e| io("history.jsonl", e))?;
            }
        }
        HistorySource::Ops(ops) => {
            let file = std::fs::File::create(&target).map_err(|e| io("history.jsonl", e))?;
            faultline_checkers::history::formats::write_jsonl(ops, file)
                .map_err(|e| io("history.jsonl", e))?;
        }
    }
    let mut options = checked.options.clone();
    options["test_name"] = json!(checked.name);
    options["model"] = json!(checked.model);
    let test = json!({
        "source": checked.file,
        "options": options,
        "versions": {"faultline": env!("CARGO_PKG_VERSION")},
    });
    let results = json!({
        "schema": crate::results::SCHEMA_VERSION,
        "valid": checked.report.valid,
        "checkers": [checked.report],
        "checker_seconds": {checked.model: checked.seconds},
        "skipped_checkers": [],
        "stats": {"events": checked.events, "warnings": checked.warnings},
    });
    for (name, value) in [("test.json", &test), ("results.json", &results)] {
        let text = serde_json::to_string_pretty(value).map_err(|e| io(name, e.into()))?;
        std::fs::write(dir.join(name), text + "\n").map_err(|e| io(name, e))?;
    }
    write_reports(dir)
}

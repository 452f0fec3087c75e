//! The run folder of a history checked by `faultline check --report DIR`: the same files a run
//! leaves (`history.jsonl`, `test.json`, `results.json`), so the report renders it like a run's
//! and `faultline report DIR` can regenerate it.

use std::path::Path;

use faultline_checkers::{CheckReport, Op};

use super::schema::{self, CheckedOptions, ResultsFile, SchemaError, TestFile, Versions};

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
    /// The command's options (the test name on the page and in JUnit is the file's stem).
    pub options: CheckedOptions,
    /// The checker's report, with the history's warnings and event count.
    pub report: &'a CheckReport,
    pub seconds: f64,
}

/// Writes the folder `dir` (created if needed).
pub fn write(dir: &Path, checked: &Checked, history: HistorySource) -> Result<(), SchemaError> {
    let io = |what: &str, source: std::io::Error| SchemaError::Write {
        path: dir.join(what).display().to_string(),
        source,
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
    let test: TestFile<_, ()> = TestFile {
        run_id: None,
        source: Some(checked.file.to_string()),
        options: &checked.options,
        seed: None,
        versions: Some(Versions::faultline()),
        images: None,
        backend: None,
        packet_shaping: None,
        schedule: None,
        finished: None,
    };
    let mut results = ResultsFile::new(vec![checked.report.clone()]);
    results
        .checker_seconds
        .insert(checked.report.checker.clone(), checked.seconds);
    schema::write(&dir.join("test.json"), &test).map_err(|e| io("test.json", e))?;
    schema::write(&dir.join("results.json"), &results).map_err(|e| io("results.json", e))
}

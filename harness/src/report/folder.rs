//! A stored run folder, `results/<test>/<timestamp>/`, as the report reads it: `results.json`
//! (required: it is what makes a folder a run), `test.json`, `history.jsonl` and the node logs
//! under `nodes/<node>/`. The two JSON files are read through their typed definitions in
//! [`crate::results::schema`]; this is all the report knows of a run.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use faultline_checkers::CheckReport;

use super::digest::{self, Digest};
use super::ReportError;
use crate::results::schema::{ResultsFile, TestFile, TestOptions};

/// Event indices kept in full for anomaly drawings, at most.
const MAX_WANTED: usize = 20_000;

/// A node's log file, relative to the run folder.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeLog {
    pub node: String,
    /// `nodes/<node>/<file>`.
    pub path: String,
    pub bytes: u64,
}

/// A run folder's files, loaded.
#[derive(Debug)]
pub struct RunFolder {
    pub dir: PathBuf,
    /// `test.json`, when present.
    pub test: Option<TestFile<TestOptions>>,
    /// `test.json` as written, shown whole on the page.
    pub test_text: Option<String>,
    pub results: ResultsFile,
    /// `history.jsonl`, when present.
    pub history: Option<PathBuf>,
    pub logs: Vec<NodeLog>,
}

impl RunFolder {
    /// Opens `dir`; a folder without a readable `results.json` is not a run.
    pub fn open(dir: &Path) -> Result<RunFolder, ReportError> {
        let not_a_run = |why: String| {
            ReportError::NotARun(format!(
                "{} is not a run folder: {why} (a run folder, results/<test>/<timestamp>/, holds \
                 test.json, history.jsonl and results.json)",
                dir.display()
            ))
        };
        if !dir.is_dir() {
            return Err(not_a_run("it is not a directory".into()));
        }
        let results_path = dir.join("results.json");
        if !results_path.is_file() {
            return Err(not_a_run("it has no results.json".into()));
        }
        let results = ResultsFile::read(&results_path).map_err(|e| not_a_run(e.to_string()))?;
        let test_path = dir.join("test.json");
        let (test, test_text) = if test_path.is_file() {
            let test = TestFile::read(&test_path).map_err(|e| not_a_run(e.to_string()))?;
            (Some(test), std::fs::read_to_string(&test_path).ok())
        } else {
            (None, None)
        };
        let history = Some(dir.join("history.jsonl")).filter(|p| p.is_file());
        Ok(RunFolder {
            // Resolved, so `results/latest` is named by its timestamp.
            dir: std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf()),
            test,
            test_text,
            results,
            history,
            logs: node_logs(dir),
        })
    }

    /// The test's name: `options.test_name`, else the folder above the run's.
    pub fn test_name(&self) -> String {
        self.test
            .as_ref()
            .and_then(|t| t.options.test_name.clone())
            .or_else(|| {
                self.dir
                    .parent()
                    .and_then(Path::file_name)
                    .map(|n| n.to_string_lossy().into_owned())
            })
            .unwrap_or_else(|| "faultline".into())
    }

    /// The run's timestamp: the folder's name.
    pub fn stamp(&self) -> String {
        self.dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// Every checker's report in `results.json`.
    pub fn checkers(&self) -> &[CheckReport] {
        &self.results.checkers
    }

    /// The options of `test.json`, when it has any.
    pub fn options(&self) -> Option<&TestOptions> {
        self.test.as_ref().map(|t| &t.options)
    }

    /// The event indices anomalies point at (their `ops`, a counterexample's operation, the tail
    /// of its prefix and its concurrent operations), capped.
    pub fn wanted_events(&self) -> HashSet<u64> {
        let mut wanted = HashSet::new();
        for checker in self.checkers() {
            for a in checker.anomalies.iter().take(200) {
                wanted.extend(a.ops.iter().take(64));
                wanted.extend(a.detail.iter().flat_map(|d| d.events()));
                if wanted.len() >= MAX_WANTED {
                    return wanted;
                }
            }
        }
        wanted
    }

    /// Reads the history into a digest (empty when the folder has none).
    pub fn digest(&self) -> Result<Digest, ReportError> {
        match &self.history {
            Some(path) => digest::read_jsonl(path, self.wanted_events())
                .map_err(|e| ReportError::Io(format!("cannot read {}: {e}", path.display()))),
            None => Ok(Digest::default()),
        }
    }
}

/// `nodes/<node>/<file>` for every file under `nodes/`, sorted.
fn node_logs(dir: &Path) -> Vec<NodeLog> {
    let mut logs = Vec::new();
    let Ok(nodes) = std::fs::read_dir(dir.join("nodes")) else {
        return logs;
    };
    for node in nodes.flatten().filter(|e| e.path().is_dir()) {
        let name = node.file_name().to_string_lossy().into_owned();
        for file in std::fs::read_dir(node.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            if let Some(meta) = file.metadata().ok().filter(|m| m.is_file()) {
                logs.push(NodeLog {
                    node: name.clone(),
                    path: format!("nodes/{name}/{}", file.file_name().to_string_lossy()),
                    bytes: meta.len(),
                });
            }
        }
    }
    logs.sort_by(|a, b| a.path.cmp(&b.path));
    logs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_without_results_is_not_a_run() {
        let dir = std::env::temp_dir().join(format!("faultline-folder-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("nodes/n1")).unwrap();
        let err = RunFolder::open(&dir).unwrap_err().to_string();
        assert!(err.contains("no results.json"), "{err}");
        std::fs::write(dir.join("results.json"), "{\"valid\": true}").unwrap();
        let err = RunFolder::open(&dir).unwrap_err().to_string();
        assert!(err.contains("checkers"), "{err}");
        std::fs::write(
            dir.join("results.json"),
            r#"{"valid": false, "checkers": [{"checker": "x", "valid": false, "anomalies": [
                {"type": "nonlinearizable", "ops": [4], "explanation": "",
                 "detail": {"model": "register", "key": null, "op": 9, "prefix": [1, 2, 3],
                            "concurrent": [7], "state": 1}}]}]}"#,
        )
        .unwrap();
        std::fs::write(dir.join("nodes/n1/service.log"), "hello").unwrap();
        let run = RunFolder::open(&dir).unwrap();
        let mut wanted: Vec<u64> = run.wanted_events().into_iter().collect();
        wanted.sort();
        assert_eq!(wanted, vec![1, 2, 3, 4, 7, 9]);
        assert_eq!(run.logs[0].path, "nodes/n1/service.log");
        assert!(run.history.is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

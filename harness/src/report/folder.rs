//! A stored run folder, `results/<test>/<timestamp>/`, as the report reads it: `results.json`
//! (required: it is what makes a folder a run), `test.json`, `history.jsonl` and the node logs
//! under `nodes/<node>/`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::digest::{self, Digest};
use super::ReportError;

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
    /// `test.json`, or `null` when absent.
    pub test: Value,
    pub results: Value,
    /// `history.jsonl`, when present.
    pub history: Option<PathBuf>,
    pub logs: Vec<NodeLog>,
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not valid JSON: {e}", path.display()))
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
        let results = read_json(&results_path).map_err(not_a_run)?;
        if !results.get("checkers").is_some_and(Value::is_array) {
            return Err(not_a_run(format!(
                "{} has no \"checkers\" list",
                results_path.display()
            )));
        }
        let test_path = dir.join("test.json");
        let test = if test_path.is_file() {
            read_json(&test_path).map_err(not_a_run)?
        } else {
            Value::Null
        };
        let history = Some(dir.join("history.jsonl")).filter(|p| p.is_file());
        Ok(RunFolder {
            // Resolved, so `results/latest` is named by its timestamp.
            dir: std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf()),
            test,
            results,
            history,
            logs: node_logs(dir),
        })
    }

    /// The test's name: `options.test_name`, else the folder above the run's.
    pub fn test_name(&self) -> String {
        self.test["options"]["test_name"]
            .as_str()
            .map(str::to_string)
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
    pub fn checkers(&self) -> &[Value] {
        self.results["checkers"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The event indices anomalies point at (their `ops`, a counterexample's operation, the tail
    /// of its prefix and its concurrent operations), capped.
    pub fn wanted_events(&self) -> HashSet<u64> {
        let mut wanted = HashSet::new();
        let nums = |v: &Value| -> Vec<u64> {
            v.as_array()
                .map(|a| a.iter().filter_map(Value::as_u64).collect())
                .unwrap_or_default()
        };
        for checker in self.checkers() {
            for a in checker["anomalies"]
                .as_array()
                .into_iter()
                .flatten()
                .take(200)
            {
                wanted.extend(nums(&a["ops"]).into_iter().take(64));
                let d = &a["detail"];
                wanted.extend(d["op"].as_u64());
                let prefix = nums(&d["prefix"]);
                wanted.extend(prefix[prefix.len().saturating_sub(8)..].iter().copied());
                wanted.extend(nums(&d["concurrent"]).into_iter().take(12));
                for step in d["chain"].as_array().into_iter().flatten() {
                    wanted.extend(step["from"].as_u64());
                    wanted.extend(step["to"].as_u64());
                }
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
        assert!(err.contains("\"checkers\""), "{err}");
        std::fs::write(
            dir.join("results.json"),
            r#"{"valid": false, "checkers": [{"checker": "x", "valid": false, "anomalies": [
                {"type": "nonlinearizable", "ops": [4], "explanation": "",
                 "detail": {"op": 9, "prefix": [1, 2, 3], "concurrent": [7]}}]}]}"#,
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

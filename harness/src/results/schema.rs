//! The on-disk contract of a run folder: `test.json` (what was asked) and `results.json` (what
//! was found), typed. The run, `faultline check --report`, the report, the index, campaigns and
//! the report benchmark all write and read these types and nothing else.
//!
//! `results.json` carries its layout's version in `schema` ([`SCHEMA_VERSION`]); files of schema 1
//! (no `kind` on anomaly details, a checked file's warnings and event count under `stats`,
//! checker seconds by model name) are upgraded on reading by [`v1`].

mod v1;

use std::collections::BTreeMap;
use std::path::Path;

use faultline_checkers::{CheckReport, Validity};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The version of `results.json`'s layout (its `schema` field). Raised only when a field changes
/// meaning or disappears; new fields do not raise it. 2: anomaly details carry a `kind`; a
/// checker's warnings and event count are fields of its report, not of `stats`;
/// `checker_seconds` is keyed by the report's `checker`, not the model name.
pub const SCHEMA_VERSION: u32 = 2;

/// `results.json`: the verdict of a run or of a checked file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResultsFile {
    pub schema: u32,
    /// The worst of the checkers' verdicts; `unknown` when no checker ran.
    pub valid: Validity,
    /// Every checker's report, in the order they ran.
    pub checkers: Vec<CheckReport>,
    /// Seconds each checker took, by the `checker` of its report.
    #[serde(default)]
    pub checker_seconds: BTreeMap<String, f64>,
    /// Checkers the workload names that the target made inapplicable.
    #[serde(default)]
    pub skipped_checkers: Vec<SkippedChecker>,
    /// Figures of the run (absent for a checked file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<RunStats>,
    /// A spec target's client adapters: starts, restarts, protocol errors (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adapter: Option<faultline_targets::adapter::AdapterSummary>,
}

/// A checker not run, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SkippedChecker {
    pub checker: String,
    pub reason: String,
}

/// What a run measured.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RunStats {
    /// From starting the containers to every node answering its health check.
    pub healthy_seconds: f64,
    /// How long the clients ran.
    pub client_seconds: f64,
    /// Operations the clients invoked.
    pub client_ops: u64,
    /// History events recorded while the clients ran (invocations, completions, nemesis).
    pub client_events: u64,
    pub ops_per_second: f64,
    /// Client operations by outcome.
    pub ok: u64,
    pub fail: u64,
    pub info: u64,
    pub final_reads: FinalReads,
    /// How late the nemesis put faults in force after their scheduled time, median and worst.
    pub nemesis_median_late_ms: f64,
    pub nemesis_max_late_ms: f64,
    /// Every nemesis step's lateness, in order.
    pub nemesis_steps: Vec<StepLateness>,
}

/// Final reads asked and answered.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FinalReads {
    pub asked: u64,
    pub ok: u64,
}

/// How late one nemesis step took effect.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepLateness {
    /// The step's `f` (`partition-start`, `kill`...).
    pub f: String,
    pub late_ms: f64,
}

/// `test.json`: what was run, with `O` the options of the command that wrote it and `S` its
/// fault schedule. Writers put their own types there (the run's `RunOptions` and nemesis steps,
/// [`CheckedOptions`]); readers use [`TestOptions`], which knows the fields the report shows by
/// name and keeps the rest for display, and do not read the schedule back (the report takes
/// fault windows from the history), so the contract does not depend on the nemesis.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestFile<O, S = ()> {
    /// `<timestamp>-<pid>`, the label of the run's Docker objects (runs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// The checked file as the user named it (`check --report` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub options: O,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versions: Option<Versions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images: Option<Images>,
    /// The backend that ran the cluster when it was not Docker (`in-process`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    /// The path packet delay, duplication and reordering took: `nfqueue` (Docker, the user-space
    /// helper), `simulated` (in-process); absent in runs recorded before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packet_shaping: Option<String>,
    /// The nemesis schedule the run followed; written for the record, not read back.
    #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<S>,
    /// False while the run is going (and if it died).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<bool>,
}

/// Versions of the software involved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Versions {
    pub faultline: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_engine: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_api: Option<String>,
}

impl Versions {
    /// This faultline's version alone (no Docker involved).
    pub fn faultline() -> Versions {
        Versions {
            faultline: env!("CARGO_PKG_VERSION").to_string(),
            docker_engine: None,
            docker_api: None,
        }
    }
}

/// The images a run used, by content-hash tag.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Images {
    pub base: String,
    pub tools: String,
    pub target: String,
}

/// The options of `faultline check --report`, as given on its command line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckedOptions {
    /// `--initial`.
    pub initial: Option<String>,
    /// `--consistency-model`, repeated.
    pub consistency_models: Vec<String>,
    /// `--time-limit`.
    pub time_limit_secs: Option<f64>,
    /// `--format` (`auto` unless given).
    pub format: String,
    /// `--independent`.
    pub independent: bool,
    /// `--assume`, repeated (rw-register version-order assumptions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assume: Vec<String>,
    /// The checked file's stem.
    pub test_name: String,
    /// `--model`.
    pub model: String,
}

/// A `test.json`'s options as the report reads them: the fields it shows by name, typed, and
/// every option (those included) for the options table.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TestOptions {
    pub test_name: Option<String>,
    pub target: Option<String>,
    pub mode: Option<String>,
    pub bug: Option<String>,
    pub workload: Option<String>,
    pub nemesis: Vec<String>,
    pub nodes: Option<u64>,
    pub time_limit_secs: Option<f64>,
    /// The checked model (`check --report`).
    pub model: Option<String>,
    /// Every option in the file's order, for display.
    pub all: serde_json::Map<String, Value>,
}

impl<'de> Deserialize<'de> for TestOptions {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        /// The named fields; unknown ones are ignored here and kept in `all`.
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Named {
            test_name: Option<String>,
            target: Option<String>,
            mode: Option<String>,
            bug: Option<String>,
            workload: Option<String>,
            nemesis: Vec<String>,
            nodes: Option<u64>,
            time_limit_secs: Option<f64>,
            model: Option<String>,
        }
        let all = serde_json::Map::<String, Value>::deserialize(d)?;
        let n: Named =
            serde_json::from_value(Value::Object(all.clone())).map_err(serde::de::Error::custom)?;
        Ok(TestOptions {
            test_name: n.test_name,
            target: n.target,
            mode: n.mode,
            bug: n.bug,
            workload: n.workload,
            nemesis: n.nemesis,
            nodes: n.nodes,
            time_limit_secs: n.time_limit_secs,
            model: n.model,
            all,
        })
    }
}

/// Why a run folder's file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a valid {what}: {source}")]
    Parse {
        path: String,
        what: &'static str,
        source: serde_json::Error,
    },
}

fn read_text(path: &Path) -> Result<String, SchemaError> {
    std::fs::read_to_string(path).map_err(|source| SchemaError::Io {
        path: path.display().to_string(),
        source,
    })
}

fn parse_error(path: &Path, what: &'static str) -> impl Fn(serde_json::Error) -> SchemaError {
    let path = path.display().to_string();
    move |source| SchemaError::Parse {
        path: path.clone(),
        what,
        source,
    }
}

impl ResultsFile {
    /// The results of `checkers`, whose verdict is the worst of theirs (`unknown` for none).
    pub fn new(checkers: Vec<CheckReport>) -> ResultsFile {
        let valid = if checkers.is_empty() {
            Validity::Unknown
        } else {
            checkers
                .iter()
                .fold(Validity::Valid, |acc, r| acc.worst(r.valid))
        };
        ResultsFile {
            schema: SCHEMA_VERSION,
            valid,
            checkers,
            checker_seconds: BTreeMap::new(),
            skipped_checkers: Vec::new(),
            stats: None,
            adapter: None,
        }
    }

    /// Parses `results.json` text of any schema.
    pub fn parse(text: &str) -> Result<ResultsFile, serde_json::Error> {
        #[derive(Deserialize)]
        struct Probe {
            #[serde(default)]
            schema: Option<u32>,
        }
        match serde_json::from_str::<Probe>(text)?.schema {
            None | Some(1) => v1::upgrade(text),
            Some(_) => serde_json::from_str(text),
        }
    }

    /// Reads `results.json` of any schema.
    pub fn read(path: &Path) -> Result<ResultsFile, SchemaError> {
        ResultsFile::parse(&read_text(path)?).map_err(parse_error(path, "results.json"))
    }

    /// The seconds checker `name` took, if recorded.
    pub fn seconds_of(&self, name: &str) -> Option<f64> {
        self.checker_seconds.get(name).copied()
    }
}

impl TestFile<TestOptions> {
    /// Reads `test.json`.
    pub fn read(path: &Path) -> Result<TestFile<TestOptions>, SchemaError> {
        serde_json::from_str(&read_text(path)?).map_err(parse_error(path, "test.json"))
    }
}

/// Writes `value` as pretty JSON to `path`.
pub fn write(path: &Path, value: &impl Serialize) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(std::io::Error::from)?;
    std::fs::write(path, text + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_checkers::verdict::{AnomalyDetail, Counterexample};
    use faultline_checkers::{Anomaly, SkippedOps};

    fn sample() -> ResultsFile {
        let mut report = CheckReport::new("linearizable(cas-register)");
        report.push(Anomaly {
            kind: "nonlinearizable".into(),
            ops: vec![4],
            explanation: "no".into(),
            detail: Some(AnomalyDetail::Counterexample(Counterexample {
                model: "cas-register".into(),
                key: Value::Null,
                prefix: vec![0, 2],
                op: 4,
                concurrent: vec![],
                state: Value::from(2),
                unreachable: false,
            })),
        });
        let mut r = ResultsFile::new(vec![report]);
        r.checker_seconds
            .insert("linearizable(cas-register)".into(), 0.5);
        r.stats = Some(RunStats {
            client_ops: 10,
            ..RunStats::default()
        });
        r
    }

    #[test]
    fn results_round_trip_at_the_current_schema() {
        let r = sample();
        let text = serde_json::to_string(&r).unwrap();
        assert!(text.contains("\"schema\":2"), "{text}");
        assert_eq!(ResultsFile::parse(&text).unwrap(), r);
        assert_eq!(r.valid, Validity::Invalid);
        assert_eq!(r.seconds_of("linearizable(cas-register)"), Some(0.5));
    }

    #[test]
    fn skipped_operation_kinds_are_part_of_the_contract() {
        let mut r = sample();
        r.checkers[0].skipped_ops.push(SkippedOps {
            f: "put".into(),
            count: 3,
        });
        let text = serde_json::to_string(&r).unwrap();
        assert!(
            text.contains(r#""skipped_ops":[{"f":"put","count":3}]"#),
            "{text}"
        );
        assert_eq!(ResultsFile::parse(&text).unwrap(), r);
    }

    #[test]
    fn no_checker_is_unknown_not_valid() {
        assert_eq!(ResultsFile::new(Vec::new()).valid, Validity::Unknown);
    }

    #[test]
    fn test_options_keep_every_option_and_name_the_known_ones() {
        let t: TestFile<TestOptions> = serde_json::from_str(
            r#"{"run_id": "r", "options": {"test_name": "t", "target": "reference",
                "nemesis": ["kill"], "nodes": 3, "rate": 5.0}, "seed": 7, "finished": true}"#,
        )
        .unwrap();
        assert_eq!(t.options.target.as_deref(), Some("reference"));
        assert_eq!(t.options.nemesis, vec!["kill"]);
        assert_eq!(t.options.nodes, Some(3));
        assert_eq!(t.options.all["rate"], 5.0);
        assert_eq!(t.seed, Some(7));
        assert!(t.versions.is_none());
    }
}

//! What a caller may tune about a check, and why a check could not run: the two types every checker
//! shares. A leaf module (it imports no checker), so the checkers and the registry that lists them
//! can both depend on it without an import cycle.

use thiserror::Error;

use crate::{Budget, Value};

/// What the user may tune about a check.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    /// The model's initial state (`--initial`), as JSON. `None` is the model's own default.
    pub initial: Option<Value>,
    /// Time and memory budget; an exhausted budget gives `unknown`.
    pub budget: Budget,
    /// For transactional and causal models: the consistency models to check against
    /// (`--consistency-model`). Empty means the checker's default.
    pub consistency_models: Vec<String>,
    /// Read Jepsen's independent `[key value]` tuples in `value` as keyed operations.
    pub independent_tuples: bool,
    /// For rw-register: what the user says the database promises about each key's version order
    /// (`--assume`), so that more of it can be inferred.
    pub assumptions: Assumptions,
}

/// The version-order assumptions a user may make about an rw-register history (all off by
/// default, as in Elle). A register read shows only the latest value, so without them the checker
/// knows little more of a key's version order than that the initial `nil` came first; each one,
/// when the database really promises it, lets it order more versions and find more cycles. Claimed
/// wrongly, it can report anomalies the database did not have.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Assumptions {
    /// `wfr-keys` (Elle's `:wfr-keys?`): a transaction that reads a key and then writes it
    /// installs the version after the one it read.
    pub writes_follow_reads: bool,
    /// `sequential-keys` (Elle's `:sequential-keys?`): each process observes each key's versions
    /// in order (per-key sequential consistency).
    pub sequential_keys: bool,
    /// `linearizable-keys` (Elle's `:linearizable-keys?`): each key is linearizable: a
    /// transaction that completed before another began left a version of each key it touched
    /// that the later one observes or overwrites.
    pub linearizable_keys: bool,
}

impl Assumptions {
    /// The names `--assume` takes, as Elle spells its options (without `?`).
    pub const NAMES: [&'static str; 3] = ["linearizable-keys", "sequential-keys", "wfr-keys"];

    /// The assumptions named (each at most once is enough; repeats are harmless); an unknown name
    /// is a [`CheckError::BadOption`] that lists the known ones.
    pub fn from_names(names: &[String]) -> Result<Assumptions, CheckError> {
        let mut a = Assumptions::default();
        for name in names {
            match name.as_str() {
                "linearizable-keys" => a.linearizable_keys = true,
                "sequential-keys" => a.sequential_keys = true,
                "wfr-keys" => a.writes_follow_reads = true,
                other => {
                    return Err(CheckError::BadOption {
                        option: "--assume".to_string(),
                        message: format!(
                            "unknown assumption {other:?}; known: {}",
                            Assumptions::NAMES.join(", ")
                        ),
                    })
                }
            }
        }
        Ok(a)
    }

    /// Whether any assumption is made.
    pub fn any(self) -> bool {
        self != Assumptions::default()
    }
}

/// A checker could not run at all (as opposed to finding the history invalid).
#[derive(Debug, Error)]
pub enum CheckError {
    #[error("unknown model {name:?}; known models: {known}")]
    UnknownModel { name: String, known: String },
    #[error("bad {option}: {message}")]
    BadOption { option: String, message: String },
    /// An operation has a shape the model cannot read.
    #[error("event {index}: {message}")]
    BadOperation { index: u64, message: String },
    /// The history has client operations, but none of a kind this checker judges: no verdict,
    /// since a verdict over nothing would pass any CI gate.
    #[error("{}", nothing_judged_message(checker, found, judged_by))]
    NothingJudged {
        checker: String,
        /// Every client operation kind (`f`) of the history with its count of invocations.
        found: Vec<(String, u64)>,
        /// For each kind found, the checkers that judge it.
        judged_by: Vec<(String, Vec<String>)>,
    },
    /// The history has transactions, but not one dependency between them (nor any anomaly the
    /// requested models forbid) can be inferred: Elle's "empty transaction graph". No verdict,
    /// since nothing about the isolation of the transactions was observed.
    #[error(
        "model {checker} inferred no dependency between the {txns} transactions of this history \
         ({committed} committed){}: nothing to judge an isolation level by (Elle: empty \
         transaction graph)",
        if *orders { ", counting process and real-time order" } else { "" }
    )]
    NoDependencies {
        checker: String,
        txns: usize,
        committed: usize,
        /// Whether process and real-time order were counted as dependencies (they are when the
        /// requested models forbid cycles through them).
        orders: bool,
    },
}

fn show_f(f: &str) -> &str {
    if f.is_empty() {
        "(no f)"
    } else {
        f
    }
}

fn nothing_judged_message(
    checker: &str,
    found: &[(String, u64)],
    judged_by: &[(String, Vec<String>)],
) -> String {
    let found: Vec<String> = found
        .iter()
        .map(|(f, n)| format!("{} ({n})", show_f(f)))
        .collect();
    let by: Vec<String> = judged_by
        .iter()
        .map(|(f, models)| {
            let models = if models.is_empty() {
                "no model".to_string()
            } else {
                models.join(", ")
            };
            format!("{}: {models}", show_f(f))
        })
        .collect();
    format!(
        "model {checker} judged no operation of this history; \
         operations found: {}; models that judge them: {}",
        found.join(", "),
        by.join("; ")
    )
}

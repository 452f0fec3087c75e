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

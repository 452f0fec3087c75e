//! The model registry: `faultline check --model NAME` and the harness both come through here, so a
//! model name means the same checker everywhere.
//!
//! To add a checker: add its [`ModelInfo`] to [`MODELS`] and an arm to [`check`].

use thiserror::Error;

use crate::{Budget, CheckReport, History, Value};

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
}

/// Which family of checker a model belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Linearizable,
    Transactional,
    Causal,
    DataSafety,
}

/// A model `faultline check` accepts.
#[derive(Clone, Copy, Debug)]
pub struct ModelInfo {
    pub name: &'static str,
    pub family: Family,
    /// One line for `--help` and the README.
    pub about: &'static str,
}

/// Every model, in the order `--help` lists them.
pub const MODELS: &[ModelInfo] = &[ModelInfo {
    name: "causal",
    family: Family::Causal,
    about: "causal consistency and the session guarantees (--consistency-model causal, \
            read-your-writes, monotonic-reads, monotonic-writes, writes-follow-reads, \
            causal-convergence) for list-append, rw-register and keyed read/write histories \
            with unique writes",
}];

/// Runs the checker for `model` on `history`.
pub fn check(
    model: &str,
    history: &History,
    options: &CheckOptions,
) -> Result<CheckReport, CheckError> {
    match model {
        "causal" => crate::causal::check(history, options),
        _ => Err(unknown_model(model)),
    }
}

fn unknown_model(name: &str) -> CheckError {
    CheckError::UnknownModel {
        name: name.to_string(),
        known: MODELS
            .iter()
            .map(|m| m.name)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

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
pub const MODELS: &[ModelInfo] = &[
    ModelInfo {
        name: "register",
        family: Family::Linearizable,
        about: "linearizable read/write register (per key); initial value null unless --initial",
    },
    ModelInfo {
        name: "cas-register",
        family: Family::Linearizable,
        about: "linearizable read/write/compare-and-set register (per key); cas value [old, new]",
    },
    ModelInfo {
        name: "multi-register",
        family: Family::Linearizable,
        about: "linearizable registers read/written atomically by txn [[read k v] [write k v]]",
    },
    ModelInfo {
        name: "set",
        family: Family::Linearizable,
        about: "linearizable set: add an element, read the whole set",
    },
    ModelInfo {
        name: "queue",
        family: Family::Linearizable,
        about: "linearizable unordered queue: enqueue, dequeue any element",
    },
    ModelInfo {
        name: "fifo-queue",
        family: Family::Linearizable,
        about: "linearizable FIFO queue: enqueue, dequeue the oldest element",
    },
    ModelInfo {
        name: "mutex",
        family: Family::Linearizable,
        about: "linearizable lock: acquire when free, release when held",
    },
    ModelInfo {
        name: "set-full",
        family: Family::DataSafety,
        about: "grow-only set: per element lost, stale (and how long until visible), never read",
    },
    ModelInfo {
        name: "set-final",
        family: Family::DataSafety,
        about: "grow-only set: the last read holds every acknowledged add (Jepsen's set)",
    },
    ModelInfo {
        name: "counter",
        family: Family::DataSafety,
        about: "counter: every read within the bounds the adds allow (--initial N)",
    },
    ModelInfo {
        name: "bank",
        family: Family::DataSafety,
        about: "bank transfers: every read sums to the total, no negative balance",
    },
    ModelInfo {
        name: "lost-update",
        family: Family::DataSafety,
        about: "registers/kv: acknowledged writes that the final reads show were discarded",
    },
    ModelInfo {
        name: "convergence",
        family: Family::DataSafety,
        about: "after heal and quiescence every node's final read of a key is the same",
    },
    ModelInfo {
        name: "staleness",
        family: Family::DataSafety,
        about: "registers/kv: versions and milliseconds each read lags (replication lag)",
    },
    ModelInfo {
        name: "long-fork",
        family: Family::DataSafety,
        about: "inserts observed in opposite orders by two reads (--initial GROUP-SIZE)",
    },
    ModelInfo {
        name: "list-append",
        family: Family::Transactional,
        about: "transactions appending unique elements to lists and reading them (Elle)",
    },
    ModelInfo {
        name: "rw-register",
        family: Family::Transactional,
        about: "transactions writing unique values to registers and reading them (Elle)",
    },
    ModelInfo {
        name: "causal",
        family: Family::Causal,
        about: "causal consistency and the session guarantees (--consistency-model causal, \
                read-your-writes, monotonic-reads, monotonic-writes, writes-follow-reads, \
                causal-convergence) for list-append, rw-register and keyed read/write histories \
                with unique writes",
    },
];

/// Runs the checker for `model` on `history`.
pub fn check(
    model: &str,
    history: &History,
    options: &CheckOptions,
) -> Result<CheckReport, CheckError> {
    use crate::safety;
    match model {
        "set-full" => safety::set_full::check(history, options),
        "set-final" => safety::set_final::check(history, options),
        "counter" => safety::counter::check(history, options),
        "bank" => safety::bank::check(history, options),
        "lost-update" => safety::lost_update::check(history, options),
        "convergence" => safety::convergence::check(history, options),
        "staleness" => safety::staleness::check(history, options),
        "long-fork" => safety::long_fork::check(history, options),
        "causal" => crate::causal::check(history, options),
        "list-append" => check_elle(history, crate::elle::Workload::ListAppend, options),
        "rw-register" => check_elle(history, crate::elle::Workload::RwRegister, options),
        _ => match MODELS.iter().find(|m| m.name == model).map(|m| m.family) {
            Some(Family::Linearizable) => crate::linearizable::check_model(model, history, options),
            _ => Err(unknown_model(model)),
        },
    }
}

fn check_elle(
    history: &History,
    workload: crate::elle::Workload,
    options: &CheckOptions,
) -> Result<CheckReport, CheckError> {
    let mut elle = crate::elle::ElleOptions::with_models(&options.consistency_models)?;
    elle.budget = options.budget.clone();
    crate::elle::check(history, workload, &elle)
}

fn unknown_model(name: &str) -> CheckError {
    CheckError::UnknownModel {
        name: name.to_string(),
        known: MODELS.iter().map(|m| m.name).collect::<Vec<_>>().join(", "),
    }
}

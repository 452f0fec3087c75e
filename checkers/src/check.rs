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

/// The transactional models: Elle's cycle checker for the models of its lattice, and the causal
/// checker for `causal` and the four session guarantees. Elle's lattice alone accepts a read that
/// sees an effect but misses its cause across processes (README, "How it differs from Elle's causal
/// model"), so `causal` is checked by both and the session guarantees by the causal checker only.
fn check_elle(
    history: &History,
    workload: crate::elle::Workload,
    options: &CheckOptions,
) -> Result<CheckReport, CheckError> {
    use crate::causal::{check_guarantees, parse_guarantees, Guarantee};
    let causal_names: Vec<String> = options
        .consistency_models
        .iter()
        .filter(|m| Guarantee::from_name(m).is_some())
        .cloned()
        .collect();
    let elle_names: Vec<String> = options
        .consistency_models
        .iter()
        .filter(|m| {
            Guarantee::from_name(m).is_none()
                || crate::elle::ElleOptions::with_models(&[(*m).clone()]).is_ok()
        })
        .cloned()
        .collect();
    let mut report = if elle_names.is_empty() && !causal_names.is_empty() {
        CheckReport::new(format!("{}+causal", workload.name()))
    } else {
        let mut elle = crate::elle::ElleOptions::with_models(&elle_names)?;
        elle.budget = options.budget.clone();
        crate::elle::check(history, workload, &elle)?
    };
    if !causal_names.is_empty() {
        let causal = check_guarantees(history, &parse_guarantees(&causal_names)?, options)?;
        report.merge(causal);
    }
    Ok(report)
}

fn unknown_model(name: &str) -> CheckError {
    CheckError::UnknownModel {
        name: name.to_string(),
        known: MODELS.iter().map(|m| m.name).collect::<Vec<_>>().join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Op, OpType};
    use serde_json::json;

    /// The causal issue's example: A appends 1 to x; B reads x = [1] and appends 1 to y; C reads
    /// y = [1] and x = [] in one transaction. Elle's `causal` accepts it; ours must not.
    fn missed_cause() -> History {
        let txn = |i, p, k, v| Op::new(i, p, k, "txn", v);
        History::new(vec![
            txn(0, 0, OpType::Invoke, json!([["append", "x", 1]])),
            txn(1, 0, OpType::Ok, json!([["append", "x", 1]])),
            txn(
                2,
                1,
                OpType::Invoke,
                json!([["r", "x", null], ["append", "y", 1]]),
            ),
            txn(
                3,
                1,
                OpType::Ok,
                json!([["r", "x", [1]], ["append", "y", 1]]),
            ),
            txn(
                4,
                2,
                OpType::Invoke,
                json!([["r", "y", null], ["r", "x", null]]),
            ),
            txn(5, 2, OpType::Ok, json!([["r", "y", [1]], ["r", "x", []]])),
        ])
        .unwrap()
    }

    fn with_models(models: &[&str]) -> CheckOptions {
        CheckOptions {
            consistency_models: models.iter().map(|m| m.to_string()).collect(),
            ..CheckOptions::default()
        }
    }

    #[test]
    fn list_append_under_causal_catches_a_missed_cause() {
        let report = check("list-append", &missed_cause(), &with_models(&["causal"])).unwrap();
        assert_eq!(report.valid, crate::Validity::Invalid);
        assert!(report
            .anomaly_types()
            .contains(&"writes-follow-reads".to_string()));
    }

    #[test]
    fn a_session_guarantee_alone_is_checked_by_the_causal_checker_only() {
        let h = missed_cause();
        let ryw = check("list-append", &h, &with_models(&["read-your-writes"])).unwrap();
        assert_eq!(ryw.valid, crate::Validity::Valid, "{ryw:?}");
        let wfr = check("list-append", &h, &with_models(&["writes-follow-reads"])).unwrap();
        assert_eq!(wfr.valid, crate::Validity::Invalid);
    }

    #[test]
    fn unknown_model_lists_the_known_ones() {
        let err = check("nope", &missed_cause(), &CheckOptions::default()).unwrap_err();
        assert!(err.to_string().contains("cas-register"), "{err}");
    }
}

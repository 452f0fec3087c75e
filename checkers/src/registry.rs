//! The checker registry: every checker `faultline check --model NAME` and `faultline run` can use,
//! listed once. `--help`, the model list in errors, `--json` and the workloads' checkers all come
//! from [`CHECKERS`], so a model name means the same checker everywhere.
//!
//! To add a checker: write one file with a type implementing [`Checker`] and add one line to
//! [`CHECKERS`].

use crate::causal::unit::CAUSAL;
use crate::checker::{Checker, Family};
use crate::elle::units::{LIST_APPEND, RW_REGISTER};
use crate::linearizable::models::{kv, multi_register, mutex, queue, register, set};
use crate::options::{CheckError, CheckOptions};
use crate::safety::{
    bank, convergence, counter, long_fork, lost_update, set_final, set_full, staleness,
};
use crate::{CheckReport, History};

/// Every checker, in the order `--help` lists them.
pub static CHECKERS: &[&dyn Checker] = &[
    &register::REGISTER,
    &register::CAS_REGISTER,
    &multi_register::MULTI_REGISTER,
    &set::SET,
    &queue::QUEUE,
    &queue::FIFO_QUEUE,
    &mutex::MUTEX,
    &kv::KV,
    &set_full::SetFull,
    &set_final::SetFinal,
    &counter::Counter,
    &bank::Bank,
    &lost_update::LostUpdate,
    &convergence::Convergence,
    &staleness::Staleness,
    &long_fork::LongFork,
    &LIST_APPEND,
    &RW_REGISTER,
    &CAUSAL,
];

/// The checker called `name`.
pub fn by_name(name: &str) -> Result<&'static dyn Checker, CheckError> {
    CHECKERS
        .iter()
        .copied()
        .find(|c| c.name() == name)
        .ok_or_else(|| CheckError::UnknownModel {
            name: name.to_string(),
            known: names().join(", "),
        })
}

/// Every registered name, in list order.
pub fn names() -> Vec<&'static str> {
    CHECKERS.iter().map(|c| c.name()).collect()
}

/// The checkers of one family.
pub fn of_family(family: Family) -> impl Iterator<Item = &'static dyn Checker> {
    CHECKERS
        .iter()
        .copied()
        .filter(move |c| c.family() == family)
}

/// Runs the checker called `model` on `history`.
pub fn check(
    model: &str,
    history: &History,
    options: &CheckOptions,
) -> Result<CheckReport, CheckError> {
    by_name(model)?.check(history, options)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_and_every_checker_judges_something() {
        let names = names();
        let distinct: HashSet<&str> = names.iter().copied().collect();
        assert_eq!(distinct.len(), names.len(), "{names:?}");
        for c in CHECKERS {
            assert!(!c.judges().is_empty(), "{}", c.name());
            assert!(!c.about().is_empty(), "{}", c.name());
        }
    }

    #[test]
    fn unknown_model_lists_the_known_ones() {
        let err = check("nope", &History::default(), &CheckOptions::default()).unwrap_err();
        for name in names() {
            assert!(err.to_string().contains(name), "{err}");
        }
    }
}

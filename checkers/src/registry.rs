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
use std::collections::BTreeMap;

use crate::verdict::SkippedOps;
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

/// Runs the checker called `model` on `history` (see [`check_with`]).
pub fn check(
    model: &str,
    history: &History,
    options: &CheckOptions,
) -> Result<CheckReport, CheckError> {
    check_with(by_name(model)?, history, options)
}

/// Runs `checker` on `history`, never giving a verdict over nothing (see [`screen`]).
/// Otherwise the report lists the kinds it skipped in [`CheckReport::skipped_ops`].
pub fn check_with(
    checker: &dyn Checker,
    history: &History,
    options: &CheckOptions,
) -> Result<CheckReport, CheckError> {
    let mut found: BTreeMap<String, u64> = BTreeMap::new();
    for pair in history.pairs() {
        let f = history.invocation(pair).f.as_str();
        match found.get_mut(f) {
            Some(n) => *n += 1,
            None => {
                found.insert(f.to_string(), 1);
            }
        }
    }
    let skipped = screen(checker, &found)?;
    let mut report = checker.check(history, options)?;
    report.skipped_ops = skipped;
    Ok(report)
}

/// The rule every check follows, also for checkers that read their input themselves (streaming):
/// given the client operation kinds (`f`) of a history with how many invocations each has, the
/// kinds `checker` does not judge — or [`CheckError::NothingJudged`] when there are operations
/// but none of a kind it judges, naming the kinds found and the checkers that judge them. A
/// history whose judged operations all failed still gets a verdict: Knossos calls such histories
/// valid (they are in the corpus), since a failed operation is a definite statement that it did
/// not happen. An empty history is not "nothing judged": there was nothing to judge.
pub fn screen(
    checker: &dyn Checker,
    found: &BTreeMap<String, u64>,
) -> Result<Vec<SkippedOps>, CheckError> {
    let judged = |f: &str| checker.judges().contains(&f);
    if !found.is_empty() && !found.keys().any(|f| judged(f)) {
        return Err(CheckError::NothingJudged {
            checker: checker.name().to_string(),
            found: found.iter().map(|(f, n)| (f.clone(), *n)).collect(),
            judged_by: found
                .keys()
                .map(|f| {
                    let by = CHECKERS
                        .iter()
                        .filter(|c| c.judges().contains(&f.as_str()))
                        .map(|c| c.name().to_string())
                        .collect();
                    (f.clone(), by)
                })
                .collect(),
        });
    }
    Ok(found
        .iter()
        .filter(|(f, _)| !judged(f))
        .map(|(f, &count)| SkippedOps {
            f: f.clone(),
            count,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OpType;
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

    fn op(i: u64, p: u64, kind: OpType, f: &str, v: serde_json::Value) -> crate::Op {
        crate::Op::new(i, p, kind, f, v).with_key(serde_json::json!("k"))
    }

    #[test]
    fn a_history_with_nothing_to_judge_gets_no_verdict() {
        use serde_json::json;
        let kv = History::new(vec![
            op(0, 0, OpType::Invoke, "put", json!("a")),
            op(1, 0, OpType::Ok, "put", json!("a")),
            op(2, 0, OpType::Invoke, "get", json!(null)),
            op(3, 0, OpType::Ok, "get", json!("a")),
        ])
        .unwrap();
        for model in [
            "list-append",
            "rw-register",
            "set-full",
            "staleness",
            "register",
        ] {
            let err = check(model, &kv, &CheckOptions::default()).unwrap_err();
            let CheckError::NothingJudged {
                found, judged_by, ..
            } = &err
            else {
                panic!("{model}: {err}");
            };
            assert_eq!(found, &[("get".to_string(), 1), ("put".to_string(), 1)]);
            assert!(judged_by
                .iter()
                .all(|(_, by)| by.contains(&"kv".to_string())));
            assert!(err.to_string().contains("get (1), put (1)"), "{err}");
        }
        // Every judged operation failed: a verdict (Knossos's), not "nothing judged".
        let failed = History::new(vec![
            op(0, 0, OpType::Invoke, "put", json!("a")),
            op(1, 0, OpType::Fail, "put", json!("a")),
        ])
        .unwrap();
        assert!(check("kv", &failed, &CheckOptions::default()).is_ok());
        // An empty history is not "nothing judged": there was nothing to judge.
        assert!(check("kv", &History::default(), &CheckOptions::default()).is_ok());
    }

    #[test]
    fn skipped_kinds_are_on_the_report() {
        use serde_json::json;
        let h = History::new(vec![
            op(0, 0, OpType::Invoke, "write", json!(1)),
            op(1, 0, OpType::Ok, "write", json!(1)),
            op(2, 1, OpType::Invoke, "append", json!("x")),
            op(3, 1, OpType::Ok, "append", json!("x")),
            op(4, 1, OpType::Invoke, "append", json!("y")),
            op(5, 1, OpType::Ok, "append", json!("y")),
        ])
        .unwrap();
        let report = check("staleness", &h, &CheckOptions::default()).unwrap();
        assert_eq!(
            report.skipped_ops,
            [SkippedOps {
                f: "append".into(),
                count: 2
            }]
        );
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["skipped_ops"], json!([{"f": "append", "count": 2}]));
    }

    #[test]
    fn unknown_model_lists_the_known_ones() {
        let err = check("nope", &History::default(), &CheckOptions::default()).unwrap_err();
        for name in names() {
            assert!(err.to_string().contains(name), "{err}");
        }
    }
}

//! The two transactional checkers as registered units: `list-append` and `rw-register`.

use std::io::BufRead;

use super::stream::{check_jsonl, JsonlError};
use super::{ElleOptions, Workload};
use crate::causal::Guarantee;
use crate::checker::{Checker, Family, Tunable};
use crate::options::{CheckError, CheckOptions};
use crate::{CheckReport, History};

/// Elle's checker for one transactional workload.
pub struct Transactional {
    workload: Workload,
    about: &'static str,
}

pub static LIST_APPEND: Transactional = Transactional {
    workload: Workload::ListAppend,
    about: "transactions appending unique elements to lists and reading them (Elle)",
};

pub static RW_REGISTER: Transactional = Transactional {
    workload: Workload::RwRegister,
    about: "transactions writing unique values to registers and reading them (Elle)",
};

impl Checker for Transactional {
    fn name(&self) -> &'static str {
        self.workload.name()
    }

    fn family(&self) -> Family {
        Family::Transactional
    }

    fn about(&self) -> &'static str {
        self.about
    }

    fn judges(&self) -> &'static [&'static str] {
        &["txn", ""]
    }

    fn options(&self) -> &'static [Tunable] {
        match self.workload {
            Workload::ListAppend => &[Tunable::ConsistencyModels],
            Workload::RwRegister => &[Tunable::ConsistencyModels, Tunable::Assumptions],
        }
    }

    fn check(&self, history: &History, options: &CheckOptions) -> Result<CheckReport, CheckError> {
        check_elle(history, self.workload, options)
    }

    /// JSON Lines go straight into the compact tables, without a `History` of JSON values: 2x
    /// faster and 10x smaller on large histories (DESIGN.md section 9). Not with the causal
    /// guarantees, which need the whole history.
    fn streams(&self, options: &CheckOptions) -> bool {
        !options
            .consistency_models
            .iter()
            .any(|m| Guarantee::from_name(m).is_some())
    }

    fn check_jsonl(
        &self,
        reader: &mut dyn BufRead,
        name: &str,
        options: &CheckOptions,
    ) -> Result<CheckReport, JsonlError> {
        let elle = ElleOptions::for_workload(self.workload, &options.consistency_models, options)?;
        check_jsonl(reader, name, self.workload, &elle)
    }
}

/// The transactional models: Elle's cycle checker for the models of its lattice, and the causal
/// checker for `causal` and the four session guarantees. Elle's lattice alone accepts a read that
/// sees an effect but misses its cause across processes (README, "How it differs from Elle's causal
/// model"), so `causal` is checked by both and the session guarantees by the causal checker only.
fn check_elle(
    history: &History,
    workload: Workload,
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
            Guarantee::from_name(m).is_none() || ElleOptions::with_models(&[(*m).clone()]).is_ok()
        })
        .cloned()
        .collect();
    let mut report = if elle_names.is_empty() && !causal_names.is_empty() {
        CheckReport::new(format!("{}+causal", workload.name()))
    } else {
        let elle = ElleOptions::for_workload(workload, &elle_names, options)?;
        super::check(history, workload, &elle)?
    };
    if !causal_names.is_empty() {
        let causal = check_guarantees(history, &parse_guarantees(&causal_names)?, options)?;
        report.merge(causal);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::check;
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

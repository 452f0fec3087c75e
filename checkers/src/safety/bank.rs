//! Jepsen's `bank` checker: transfers move money between accounts, and every `ok` read of all
//! balances must show the same total, no account nobody opened, no missing balance, and (unless
//! allowed) no negative balance. Snapshot isolation or better guarantees this; a read that sees
//! half of a transfer breaks the total.
//!
//! Options (`--initial` JSON object), each optional:
//! - `total`: the conserved total. Default: the total of the first `ok` read with no missing
//!   balance (the report says which event it came from).
//! - `accounts`: the account ids. Default: the accounts of that first read plus every account a
//!   transfer names.
//! - `negative_balances`: `true` when negative balances are allowed.
//!
//! Account ids compare by their text, so `{"0": 5}` (JSON object keys) and a transfer `from: 0`
//! name the same account.

use std::collections::BTreeSet;

use serde_json::Map;

use super::distribution::number;
use super::ops::{
    expect_initial_object, flatten_per_key, initial_bool, initial_field, initial_number,
};
use super::push_capped;
use crate::checker::{Checker, Family, Tunable};
use crate::options::{CheckError, CheckOptions};
use crate::verdict::AnomalyDetail;
use crate::{Anomaly, CheckReport, History, Value};

fn account_id(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Runs the bank checker.
pub fn check(history: &History, options: &CheckOptions) -> Result<CheckReport, CheckError> {
    expect_initial_object(options, &["total", "accounts", "negative_balances"])?;
    let negative_ok = initial_bool(options, "negative_balances", false)?;
    let mut report = CheckReport::new("bank");
    let plain = CheckOptions {
        independent_tuples: false,
        ..options.clone()
    };
    let all: Vec<_> = flatten_per_key(history, &plain, &["read", "transfer"])?
        .into_iter()
        .flat_map(|g| g.ops)
        .collect();
    let mut reads: Vec<_> = all.iter().filter(|o| o.f == "read" && o.is_ok()).collect();
    reads.sort_by_key(|o| o.complete);
    let balances_of = |read: &super::ops::FlatOp| -> Result<Map<String, Value>, CheckError> {
        read.value
            .as_object()
            .cloned()
            .ok_or_else(|| CheckError::BadOperation {
                index: read.complete_index.unwrap_or(read.invoke_index),
                message: format!(
                    "a bank read must return a map of account to balance, found {}",
                    read.value
                ),
            })
    };
    let total = match initial_number(options, "total")? {
        Some(t) => Some(t),
        None => {
            let mut inferred = None;
            for r in &reads {
                let b = balances_of(r)?;
                if b.values().all(|v| v.is_number()) {
                    let t: f64 = b.values().filter_map(Value::as_f64).sum();
                    report.stat(
                        "total-source",
                        format!("inferred from the read at {}", r.events()),
                    );
                    inferred = Some(t);
                    break;
                }
            }
            inferred
        }
    };
    let accounts: BTreeSet<String> = match initial_field(options, "accounts") {
        Some(Value::Array(ids)) => ids.iter().map(account_id).collect(),
        Some(other) => {
            return Err(CheckError::BadOption {
                option: "--initial".into(),
                message: format!("field \"accounts\" must be an array of ids, found {other}"),
            })
        }
        None => {
            let mut set: BTreeSet<String> = BTreeSet::new();
            if let Some(first) = reads.first() {
                set.extend(balances_of(first)?.keys().cloned());
            }
            for t in all.iter().filter(|o| o.f == "transfer") {
                for end in ["from", "to"] {
                    if let Some(id) = t.invoke_value.get(end) {
                        set.insert(account_id(id));
                    }
                }
            }
            set
        }
    };
    let Some(total) = total else {
        report.stat("read-count", 0);
        report.set_unknown("no read returned every balance, so there is no total to check");
        return Ok(report);
    };
    report.stat("total", number(total));
    report.stat("accounts", accounts.len());
    report.stat("read-count", reads.len());
    for read in &reads {
        let balances = balances_of(read)?;
        let unexpected: Vec<&String> = balances.keys().filter(|k| !accounts.contains(*k)).collect();
        let nulls: Vec<&String> = balances
            .iter()
            .filter(|(_, v)| !v.is_number())
            .map(|(k, _)| k)
            .collect();
        let sum: f64 = balances.values().filter_map(Value::as_f64).sum();
        let negative: Vec<(&String, &Value)> = balances
            .iter()
            .filter(|(_, v)| v.as_f64().is_some_and(|x| x < 0.0))
            .collect();
        let (kind, why) = if !unexpected.is_empty() {
            (
                "unexpected-key",
                format!("it shows account(s) {unexpected:?}, which do not exist"),
            )
        } else if !nulls.is_empty() {
            (
                "nil-balance",
                format!("it has no balance for account(s) {nulls:?}"),
            )
        } else if (sum - total).abs() > 1e-9 * total.abs().max(1.0) {
            (
                "wrong-total",
                format!(
                    "its balances sum to {}, not the total {}: it saw part of a transfer, or money \
                     was created or destroyed",
                    number(sum),
                    number(total)
                ),
            )
        } else if !negative_ok && !negative.is_empty() {
            (
                "negative-value",
                format!("account(s) {negative:?} are negative, which transfers must never allow"),
            )
        } else {
            continue;
        };
        push_capped(
            &mut report,
            Anomaly {
                kind: kind.into(),
                ops: read.indices(),
                explanation: format!("the read at {} is impossible: {why}", read.events()),
                detail: Some(AnomalyDetail::other([
                    ("balances", read.value.clone()),
                    ("total", number(sum)),
                ])),
            },
        );
    }
    Ok(report)
}

/// `--model bank` as a registered checker.
pub struct Bank;

impl Checker for Bank {
    fn name(&self) -> &'static str {
        "bank"
    }

    fn family(&self) -> Family {
        Family::DataSafety
    }

    fn about(&self) -> &'static str {
        "bank transfers: every read sums to the total, no negative balance"
    }

    fn judges(&self) -> &'static [&'static str] {
        &["read", "transfer"]
    }

    fn options(&self) -> &'static [Tunable] {
        &[Tunable::Initial]
    }

    fn check(&self, history: &History, options: &CheckOptions) -> Result<CheckReport, CheckError> {
        check(history, options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::safety::testkit::Builder;
    use crate::Validity;
    use serde_json::json;

    fn run(b: &Builder, initial: Option<Value>) -> CheckReport {
        b.check_with(check, initial)
    }

    fn transfer(b: &mut Builder, p: u64, from: u64, to: u64, amount: u64) {
        let v = json!({"from": from, "to": to, "amount": amount});
        b.done(p, "transfer", v.clone(), v);
    }

    #[test]
    fn conserved_total_is_valid_and_inferred_from_the_first_read() {
        let mut b = Builder::new();
        b.done(0, "read", Value::Null, json!({"0": 10, "1": 0}));
        transfer(&mut b, 1, 0, 1, 3);
        b.done(0, "read", Value::Null, json!({"0": 7, "1": 3}));
        let r = run(&b, None);
        assert_eq!(r.valid, Validity::Valid, "{r:?}");
        assert_eq!(r.stats["total"], json!(10));
    }

    #[test]
    fn a_read_of_half_a_transfer_has_the_wrong_total() {
        let mut b = Builder::new();
        transfer(&mut b, 1, 0, 1, 3);
        b.done(0, "read", Value::Null, json!({"0": 7, "1": 0}));
        let r = run(&b, Some(json!({"total": 10})));
        assert_eq!(r.anomaly_types(), vec!["wrong-total"]);
        assert_eq!(r.anomalies[0].ops, vec![2, 3]);
    }

    #[test]
    fn negative_balances_are_anomalies_unless_allowed() {
        let mut b = Builder::new();
        b.done(0, "read", Value::Null, json!({"0": 11, "1": -1}));
        let r = run(&b, Some(json!({"total": 10})));
        assert_eq!(r.anomaly_types(), vec!["negative-value"]);
        let r = run(&b, Some(json!({"total": 10, "negative_balances": true})));
        assert_eq!(r.valid, Validity::Valid);
    }

    #[test]
    fn unknown_accounts_and_missing_balances_are_anomalies() {
        let mut b = Builder::new();
        b.done(0, "read", Value::Null, json!({"0": 10, "7": 0}));
        b.done(0, "read", Value::Null, json!({"0": 10, "1": null}));
        let r = run(&b, Some(json!({"total": 10, "accounts": [0, 1]})));
        assert_eq!(r.anomaly_types(), vec!["nil-balance", "unexpected-key"]);
    }

    #[test]
    fn no_complete_read_is_unknown() {
        let mut b = Builder::new();
        transfer(&mut b, 1, 0, 1, 3);
        assert_eq!(run(&b, None).valid, Validity::Unknown);
    }
}

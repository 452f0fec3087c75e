//! Linearizability checking (DESIGN.md section 4): does some order of the operations, consistent
//! with real time, explain every result under a sequential model?
//!
//! - [`model`]: the sequential-specification trait; [`models`]: register, cas-register,
//!   multi-register, set, unordered and FIFO queue, mutex.
//! - [`split`]: P-compositionality, one sub-history per key.
//! - [`prepare`]: parsing each operation once, `info` operations open to the end, pruning.
//! - [`search`]: the Wing–Gong–Lowe search with memoisation.
//! - [`distinct`]: the exact polynomial procedure for registers whose written values are
//!   distinct, used instead of the search when a key qualifies.
//! - [`counterexample`]: the explanation of a failure.

pub mod counterexample;
pub mod distinct;
pub mod intern;
pub mod memo;
pub mod model;
pub mod models;
pub mod outcome;
pub mod prepare;
pub mod search;
pub mod split;
pub mod unit;

use serde_json::json;

use crate::options::{CheckError, CheckOptions};
use crate::{CheckReport, History};
use counterexample::{explain, FailedKey};
use intern::Interner;
use model::Model;
use prepare::KeyCalls;
use search::Verdict;

/// Checks `history` against `model`, key by key.
pub fn check<M: Model>(
    model: &M,
    history: &History,
    options: &CheckOptions,
) -> Result<CheckReport, CheckError> {
    let mut report = CheckReport::new(format!("linearizable({})", model.name()));
    let mut values = Interner::new();
    let initial = model
        .initial(options.initial.as_ref(), &mut values)
        .map_err(|message| CheckError::BadOption {
            option: "--initial".into(),
            message,
        })?;
    let (keys, failed) =
        prepare::prepare_all(model, history, options.independent_tuples, &mut values)?;
    let (mut configurations, mut peak_bytes, mut ops, mut ignored, mut unobserved) =
        (0, 0, 0, 0, 0);
    let (mut unknown_keys, mut decided_keys) = (0, 0);
    for KeyCalls {
        key,
        prepared: calls,
    } in &keys
    {
        ops += calls.calls.len();
        ignored += calls.ignored;
        unobserved += calls.unobserved;
        let outcome = match model.decide(&calls.calls, &initial) {
            Some(decided) => {
                decided_keys += 1;
                decided
            }
            None => search::search(model, &calls.calls, initial.clone(), &options.budget),
        };
        configurations += outcome.configurations;
        peak_bytes = peak_bytes.max(outcome.memo_bytes);
        match outcome.verdict {
            Verdict::Linearizable => {}
            Verdict::NotLinearizable(failure) => report.push(explain(&FailedKey {
                model,
                history,
                calls: &calls.calls,
                failure: &failure,
                initial: &initial,
                key: key.as_ref(),
                values: &values,
            })),
            Verdict::Unknown(reason) => {
                unknown_keys += 1;
                let on = key
                    .as_ref()
                    .map_or_else(String::new, |k| format!(" on key {k}"));
                report.set_unknown(format!("{reason} while searching{on}"));
            }
        }
    }
    report.stat("keys", keys.len());
    report.stat("ops_searched", ops);
    report.stat("fail_ops_dropped", failed);
    report.stat("reads_ignored", ignored);
    report.stat("unobserved_info_dropped", unobserved);
    report.stat("configurations", configurations);
    if decided_keys > 0 {
        report.stat("keys_decided_by_distinct_values", decided_keys);
    }
    report.stat("peak_search_bytes", peak_bytes);
    if unknown_keys > 0 {
        report.stat("unknown_keys", unknown_keys);
    }
    report.stat("model", json!(model.name()));
    Ok(report)
}

#[cfg(test)]
mod tests;

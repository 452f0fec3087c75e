//! Tests of the linearizability checker: hand-built histories for each model's typical anomaly,
//! and property tests against a brute-force checker on small random histories.

mod brute;
mod differential;
mod distinct;
mod examples;
mod properties;
mod sim;
mod synthetic;

use crate::{History, Op, OpType, Value};

/// Builds a history from `(process, type, f, value)` rows, indices in row order.
pub fn history(rows: &[(u64, &str, &str, Value)]) -> History {
    let ops = rows
        .iter()
        .enumerate()
        .map(|(i, (p, t, f, v))| {
            Op::new(
                i as u64,
                *p,
                OpType::parse(t).expect("event type"),
                f,
                v.clone(),
            )
        })
        .collect();
    History::new(ops).expect("well-formed test history")
}

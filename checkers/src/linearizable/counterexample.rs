//! Turning a failed search into something a person can act on: the longest linearizable prefix
//! found, the operation no linearization could get past, and the operations concurrent with it,
//! in plain words (DESIGN.md section 4), plus the same as JSON in the anomaly's `detail`.

use super::intern::Interner;
use super::model::Model;
use super::prepare::{Call, NEVER};
use super::search::Failure;
use crate::verdict::{AnomalyDetail, Counterexample};
use crate::{Anomaly, History, Value};

/// How many prefix operations the explanation lists (the detail has all of them).
const SHOWN_PREFIX: usize = 8;
/// How many concurrent operations the explanation lists.
const SHOWN_CONCURRENT: usize = 12;

/// Everything `explain` needs about one key's failed search.
pub struct FailedKey<'a, M: Model> {
    pub model: &'a M,
    pub history: &'a History,
    pub calls: &'a [Call<M::Op>],
    pub failure: &'a Failure<M::State>,
    pub initial: &'a M::State,
    pub key: Option<&'a Value>,
    pub values: &'a Interner,
}

fn describe<M: Model>(f: &FailedKey<M>, call: u32) -> String {
    let c = &f.calls[call as usize];
    let pair = &f.history.pairs()[c.pair];
    let invoke = f.history.invocation(pair);
    let when = match f.history.completion(pair) {
        Some(done) if c.ret != NEVER => {
            format!(
                "invoked at event {}, ok at event {}",
                invoke.index, done.index
            )
        }
        Some(done) => format!(
            "invoked at event {}, indeterminate (info) at event {}",
            invoke.index, done.index
        ),
        None => format!("invoked at event {}, never completed", invoke.index),
    };
    format!(
        "process {} {} ({when})",
        invoke.process,
        f.model.describe_op(&c.op, f.values)
    )
}

fn invoke_index<M: Model>(f: &FailedKey<M>, call: u32) -> u64 {
    let pair = &f.history.pairs()[f.calls[call as usize].pair];
    f.history.invocation(pair).index
}

/// The `nonlinearizable` anomaly for a key whose search failed.
pub fn explain<M: Model>(f: &FailedKey<M>) -> Anomaly {
    let model = f.model;
    let failure = f.failure;
    let blocked = &f.calls[failure.blocked as usize];
    // Replay the prefix for the states after each operation.
    let mut state = f.initial.clone();
    let mut lines = Vec::new();
    for (i, &call) in failure.prefix.iter().enumerate() {
        state = model
            .step(&state, &f.calls[call as usize].op, 0)
            .or_else(|| {
                // A nondeterministic step: find the outcome the search took.
                let op = &f.calls[call as usize].op;
                (1..model.choices(&state, op)).find_map(|k| model.step(&state, op, k))
            })
            .unwrap_or_else(|| state.clone());
        if i + SHOWN_PREFIX >= failure.prefix.len() {
            lines.push(format!(
                "  {}. {} -> {}",
                i + 1,
                describe(f, call),
                model.state_json(&state, f.values)
            ));
        }
    }
    let placed: std::collections::HashSet<u32> = failure.prefix.iter().copied().collect();
    let concurrent: Vec<u32> = (0..f.calls.len() as u32)
        .filter(|&c| c != failure.blocked && !placed.contains(&c))
        .filter(|&c| {
            let other = &f.calls[c as usize];
            other.invoke < blocked.ret && other.ret > blocked.invoke
        })
        .collect();
    let end_state = model.state_json(&failure.state, f.values);
    let key_words = match f.key {
        Some(k) => format!("On key {k}, the"),
        None => "The".to_string(),
    };
    let mut text = format!(
        "{key_words} {} operations are not linearizable. The longest linearizable prefix has {} \
         operation(s)",
        model.name(),
        failure.prefix.len()
    );
    if failure.prefix.is_empty() {
        text.push_str(&format!(
            "; the {} starts as {}.\n",
            model.name(),
            model.state_json(f.initial, f.values)
        ));
    } else {
        if failure.prefix.len() > SHOWN_PREFIX {
            text.push_str(&format!("; its last {SHOWN_PREFIX}"));
        }
        text.push_str(" (operation -> state after it):\n");
        text.push_str(&lines.join("\n"));
        text.push('\n');
    }
    if failure.unreachable {
        let needed = model.required_state(&blocked.op).map_or_else(
            || "the state it needs".to_string(),
            |r| model.state_json(&r, f.values).to_string(),
        );
        let text = format!(
            "{key_words} {} operations are not linearizable: {} cannot be placed: it needs the \
             {} to hold {needed}, but it did not start that way ({}) and no operation invoked \
             before it completed could have left it so.",
            model.name(),
            describe(f, failure.blocked),
            model.name(),
            model.state_json(f.initial, f.values),
        );
        let blocked_event = invoke_index(f, failure.blocked);
        return Anomaly {
            kind: "nonlinearizable".into(),
            ops: vec![blocked_event],
            explanation: text,
            detail: Some(AnomalyDetail::Counterexample(Counterexample {
                model: model.name().to_string(),
                key: f.key.cloned().unwrap_or(Value::Null),
                prefix: Vec::new(),
                op: blocked_event,
                concurrent: Vec::new(),
                state: model.state_json(f.initial, f.values),
                unreachable: true,
            })),
        };
    }
    let can_step = (0..model.choices(&failure.state, &blocked.op))
        .any(|k| model.step(&failure.state, &blocked.op, k).is_some());
    text.push_str(&format!(
        "Then {} cannot be placed: {}",
        describe(f, failure.blocked),
        if can_step {
            format!(
                "from {end_state} it could take effect, but no order of it and its concurrent \
                 operations lets the rest of the history follow, and every other placement of \
                 the operations before it got no further."
            )
        } else {
            format!(
                "the {} holds {end_state}, and no operation concurrent with it can be placed \
                 first to make its result possible; every other placement of the operations \
                 before it got no further.",
                model.name()
            )
        }
    ));
    if !concurrent.is_empty() {
        text.push_str("\nConcurrent operations not in the prefix:\n");
        for &c in concurrent.iter().take(SHOWN_CONCURRENT) {
            text.push_str(&format!("  - {}\n", describe(f, c)));
        }
        if concurrent.len() > SHOWN_CONCURRENT {
            text.push_str(&format!(
                "  ... and {} more (see detail.concurrent)\n",
                concurrent.len() - SHOWN_CONCURRENT
            ));
        }
    }
    let prefix_events: Vec<u64> = failure.prefix.iter().map(|&c| invoke_index(f, c)).collect();
    let concurrent_events: Vec<u64> = concurrent.iter().map(|&c| invoke_index(f, c)).collect();
    let blocked_event = invoke_index(f, failure.blocked);
    let mut ops: Vec<u64> =
        prefix_events[prefix_events.len().saturating_sub(SHOWN_PREFIX)..].to_vec();
    ops.push(blocked_event);
    ops.extend(&concurrent_events);
    Anomaly {
        kind: "nonlinearizable".into(),
        ops,
        explanation: text.trim_end().to_string(),
        detail: Some(AnomalyDetail::Counterexample(Counterexample {
            model: model.name().to_string(),
            key: f.key.cloned().unwrap_or(Value::Null),
            prefix: prefix_events,
            op: blocked_event,
            concurrent: concurrent_events,
            state: end_state,
            unreachable: false,
        })),
    }
}

//! The reference the real search is compared with: every order of the `ok` operations and every
//! subset of the `info` ones, in every order consistent with real time. Exponential, so only for
//! histories of at most 8 operations. It shares only the models' `parse` and `step` with the
//! checker: no pruning, no deferral, no memo table.

use crate::linearizable::intern::Interner;
use crate::linearizable::model::{Model, Outcome, Parsed};
use crate::linearizable::split::{member_value, split_by_key};
use crate::{History, OpType, Value};

struct Call<Op> {
    op: Op,
    info: bool,
    invoke: usize,
    ret: usize,
}

/// True if every key's operations have a linearization.
pub fn brute_force<M: Model>(model: &M, history: &History, initial: Option<&Value>) -> bool {
    let mut values = Interner::new();
    let init = model.initial(initial, &mut values).expect("initial state");
    let (groups, _) = split_by_key(history, false).expect("split");
    groups.iter().all(|group| {
        let calls: Vec<Call<M::Op>> = group
            .members
            .iter()
            .filter_map(|&m| {
                let pair = &history.pairs()[m.pair];
                let ok = pair.outcome == OpType::Ok && pair.complete.is_some();
                let outcome = if ok { Outcome::Ok } else { Outcome::Info };
                let value = member_value(history, m).expect("value");
                let f = &history.invocation(pair).f;
                match model.parse(f, value, outcome, &mut values).expect("parse") {
                    Parsed::Ignore => None,
                    Parsed::Op(op) => Some(Call {
                        op,
                        info: !ok,
                        invoke: pair.invoke,
                        ret: if ok {
                            pair.complete.unwrap()
                        } else {
                            usize::MAX
                        },
                    }),
                }
            })
            .collect();
        assert!(calls.len() <= 10, "brute force is for tiny histories");
        linearizable_from(model, &calls, 0, &init)
    })
}

fn linearizable_from<M: Model>(
    model: &M,
    calls: &[Call<M::Op>],
    used: u32,
    state: &M::State,
) -> bool {
    let all_ok = calls
        .iter()
        .enumerate()
        .all(|(i, c)| c.info || used & (1 << i) != 0);
    if all_ok {
        return true;
    }
    for (i, c) in calls.iter().enumerate() {
        if used & (1 << i) != 0 {
            continue;
        }
        // Every unplaced operation that completed before this one was invoked must come first.
        let blocked = calls
            .iter()
            .enumerate()
            .any(|(j, d)| used & (1 << j) == 0 && j != i && d.ret < c.invoke);
        if blocked {
            continue;
        }
        for choice in 0..model.choices(state, &c.op) {
            if let Some(next) = model.step(state, &c.op, choice) {
                if linearizable_from(model, calls, used | (1 << i), &next) {
                    return true;
                }
            }
        }
    }
    false
}

//! The refined search against the plain Wing–Gong–Lowe search (memo table only: no pruning of
//! unobserved operations, no twins, no deferral, no goal direction, no dominance) on random
//! histories of up to 30 operations — beyond brute force, within reach of the plain search.

use std::time::Duration;

use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::sim::*;
use crate::linearizable::intern::Interner;
use crate::linearizable::model::{Model, Outcome, Parsed};
use crate::linearizable::models::*;
use crate::linearizable::prepare::{Call, NEVER};
use crate::linearizable::search::{search_with, Refinements, Verdict};
use crate::linearizable::{split::member_value, split::split_by_key};
use crate::options::CheckOptions;
use crate::registry::check as check_model;
use crate::{Budget, History, OpType, Validity};

/// Every key's operations as the search would get them, but without dropping unobserved `info`
/// operations (so that what is compared with the checker is not shaped by its own pruning).
pub fn unpruned_calls<M: Model>(
    model: &M,
    history: &History,
    values: &mut Interner,
) -> Vec<Vec<Call<M::Op>>> {
    let (groups, _) = split_by_key(history, false).unwrap();
    groups
        .iter()
        .map(|group| {
            let mut calls = Vec::new();
            for &m in &group.members {
                let pair = &history.pairs()[m.pair];
                let ok = pair.outcome == OpType::Ok && pair.complete.is_some();
                let outcome = if ok { Outcome::Ok } else { Outcome::Info };
                let f = &history.invocation(pair).f;
                let value = member_value(history, m).unwrap();
                if let Parsed::Op(op) = model.parse(f, value, outcome, values).unwrap() {
                    calls.push(Call {
                        op,
                        info: !ok,
                        invoke: pair.invoke,
                        ret: if ok { pair.complete.unwrap() } else { NEVER },
                        pair: m.pair,
                    });
                }
            }
            calls
        })
        .collect()
}

/// The plain search's verdict, or `None` if it ran out of time.
fn plain<M: Model>(model: &M, history: &History, initial: &serde_json::Value) -> Option<bool> {
    let mut values = Interner::new();
    let init = model.initial(Some(initial), &mut values).unwrap();
    let mut all = true;
    for calls in unpruned_calls(model, history, &mut values) {
        let budget = Budget::with_time_limit(Duration::from_secs(2));
        match search_with(model, &calls, init.clone(), &budget, Refinements::NONE).verdict {
            Verdict::Linearizable => {}
            Verdict::NotLinearizable(_) => all = false,
            Verdict::Unknown(_) => return None,
        }
    }
    Some(all)
}

fn agree<M: Model>(
    model: &M,
    sim: &dyn Sim,
    seed: u64,
    lie_rate: f64,
) -> Result<(), TestCaseError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let procs = 3 + (seed % 3) as usize;
    let history = random_history(sim, &mut rng, 30, procs, lie_rate);
    let initial = sim.initial();
    let Some(expected) = plain(model, &history, &initial) else {
        return Ok(());
    };
    let options = CheckOptions {
        initial: Some(initial),
        ..CheckOptions::default()
    };
    let report = check_model(model.name(), &history, &options).unwrap();
    prop_assert_eq!(
        report.valid == Validity::Valid,
        expected,
        "{} disagrees with the plain search on {:#?}",
        model.name(),
        history.ops()
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn cas_register_agrees_with_the_plain_search(seed in any::<u64>(), lie in 0.0..0.1f64) {
        agree(&Register { cas: true, null_read_unknown: true }, &RegisterSim { cas: true }, seed, lie)?;
    }

    #[test]
    fn register_agrees_with_the_plain_search(seed in any::<u64>(), lie in 0.0..0.1f64) {
        agree(&Register { cas: false, null_read_unknown: true }, &RegisterSim { cas: false }, seed, lie)?;
    }

    #[test]
    fn queues_and_set_agree_with_the_plain_search(seed in any::<u64>(), lie in 0.0..0.1f64) {
        agree(&Queue { fifo: true }, &QueueSim, seed, lie)?;
        agree(&Queue { fifo: false }, &QueueSim, seed, lie)?;
        agree(&Set, &SetSim, seed, lie)?;
    }

    #[test]
    fn mutex_and_multi_register_agree_with_the_plain_search(seed in any::<u64>(), lie in 0.0..0.1f64) {
        agree(&Mutex, &MutexSim, seed, lie)?;
        agree(&MultiRegister, &MultiRegisterSim, seed, lie)?;
    }
}

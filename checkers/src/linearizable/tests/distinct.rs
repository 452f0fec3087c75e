//! The distinct-value register procedure (`distinct.rs`): against brute force on tiny random
//! histories, against the search (refined and plain) on larger ones, with and without the pruning
//! of unobserved `info` operations; every counterexample checked to be a real linearizable prefix
//! that stops at the operation the search blocks on; and a hand-built history for each case the
//! procedure treats specially.

use std::time::Duration;

use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use super::brute::brute_force;
use super::differential::unpruned_calls;
use super::examples::{run, N};
use super::sim::{random_history, DistinctRegisterSim};
use crate::linearizable::distinct::decide;
use crate::linearizable::intern::{Interner, ValueId};
use crate::linearizable::model::Model;
use crate::linearizable::models::{Register, RegisterOp};
use crate::linearizable::prepare::{prepare_all, Call};
use crate::linearizable::search::{search, search_with, Failure, Refinements, Verdict};
use crate::synth::register::plant_stale_read;
use crate::synth::RegisterWorkload;
use crate::{Budget, History, Validity};

const MODEL: Register = Register {
    cas: true,
    null_read_unknown: true,
};

/// The one key's operations (pruned as the checker prunes them, or not) and the initial value 0.
fn calls_of(history: &History, pruned: bool) -> (Vec<Call<RegisterOp>>, ValueId) {
    let mut values = Interner::new();
    let initial = MODEL.initial(Some(&json!(0)), &mut values).unwrap();
    let calls = if pruned {
        let (keys, _) = prepare_all(&MODEL, history, false, &mut values).unwrap();
        keys.into_iter().next().map(|k| k.prepared.calls)
    } else {
        unpruned_calls(&MODEL, history, &mut values)
            .into_iter()
            .next()
    };
    (calls.unwrap_or_default(), initial)
}

fn decided(calls: &[Call<RegisterOp>], initial: ValueId) -> Verdict<ValueId> {
    decide(calls, initial)
        .expect("distinct written values qualify")
        .verdict
}

/// A counterexample is a linearizable prefix, in real-time order, of every `ok` operation that
/// completed before the blocked one, which it does not contain.
fn check_failure(
    calls: &[Call<RegisterOp>],
    initial: ValueId,
    f: &Failure<ValueId>,
) -> Result<(), TestCaseError> {
    let blocked = &calls[f.blocked as usize];
    prop_assert!(!blocked.info, "the blocked operation is an ok one");
    prop_assert!(!f.prefix.contains(&f.blocked));
    if f.unreachable {
        prop_assert!(f.prefix.is_empty());
        return Ok(());
    }
    let mut state = initial;
    for (i, &c) in f.prefix.iter().enumerate() {
        let call = &calls[c as usize];
        state = MODEL
            .step(&state, &call.op, 0)
            .ok_or_else(|| TestCaseError::fail(format!("prefix does not replay at {i}")))?;
        prop_assert!(
            call.invoke < blocked.ret,
            "prefix op invoked after blocked returned"
        );
        for &earlier in &f.prefix[..i] {
            prop_assert!(
                calls[earlier as usize].invoke < call.ret,
                "prefix breaks real-time order"
            );
        }
    }
    prop_assert_eq!(state, f.state);
    for (i, c) in calls.iter().enumerate() {
        if !c.info && c.ret < blocked.ret {
            prop_assert!(f.prefix.contains(&(i as u32)), "prefix misses call {}", i);
        }
    }
    Ok(())
}

fn sim_history(seed: u64, ops: usize, procs: usize, lie: f64) -> History {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    random_history(&DistinctRegisterSim::default(), &mut rng, ops, procs, lie)
}

fn against_brute_force(seed: u64, procs: usize, lie: f64) -> Result<(), TestCaseError> {
    let history = sim_history(seed, 8, procs, lie);
    let expected = brute_force(&MODEL, &history, Some(&json!(0)));
    for pruned in [true, false] {
        let (calls, initial) = calls_of(&history, pruned);
        let verdict = decided(&calls, initial);
        prop_assert_eq!(
            matches!(verdict, Verdict::Linearizable),
            expected,
            "pruned {}: {:#?}",
            pruned,
            history.ops()
        );
        if let Verdict::NotLinearizable(f) = &verdict {
            check_failure(&calls, initial, f)?;
        }
    }
    Ok(())
}

/// Against the search with `refinements`; `None` if the search ran out of time.
fn against_search(
    seed: u64,
    ops: usize,
    procs: usize,
    lie: f64,
    pruned: bool,
    refinements: Refinements,
) -> Result<Option<bool>, TestCaseError> {
    let history = sim_history(seed, ops, procs, lie);
    let (calls, initial) = calls_of(&history, pruned);
    let budget = Budget::with_time_limit(Duration::from_secs(2));
    let searched = search_with(&MODEL, &calls, initial, &budget, refinements).verdict;
    let verdict = decided(&calls, initial);
    match (&searched, &verdict) {
        (Verdict::Unknown(_), _) => return Ok(None),
        (Verdict::Linearizable, Verdict::Linearizable) => {}
        (Verdict::NotLinearizable(s), Verdict::NotLinearizable(d)) => {
            check_failure(&calls, initial, d)?;
            // The plain search has no check for unreachable values before searching; when
            // the procedure reports one, it is one operation nothing can explain, not
            // necessarily the one no order gets past.
            if refinements.goal_directed || !d.unreachable {
                prop_assert_eq!(
                    (s.blocked, s.unreachable),
                    (d.blocked, d.unreachable),
                    "blocked operations differ on {:#?}",
                    history.ops()
                );
            }
        }
        _ => prop_assert!(
            false,
            "search {:?}, decided {:?} on {:#?}",
            searched,
            verdict,
            history.ops()
        ),
    }
    Ok(Some(matches!(verdict, Verdict::Linearizable)))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 5000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn distinct_values_agree_with_brute_force(seed in any::<u64>(), procs in 2..6usize, lie in 0.0..0.4f64) {
        against_brute_force(seed, procs, lie)?;
    }

    #[test]
    fn distinct_values_agree_with_the_search(seed in any::<u64>(), procs in 2..9usize, lie in 0.0..0.1f64) {
        against_search(seed, 40, procs, lie, true, Refinements::ALL)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 800, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn distinct_values_agree_with_the_plain_search_unpruned(seed in any::<u64>(), procs in 2..6usize, lie in 0.0..0.1f64) {
        against_search(seed, 25, procs, lie, false, Refinements::NONE)?;
    }
}

/// The random histories above are often valid and often not, with `info` operations and
/// compare-and-sets in both, or the properties would prove little.
#[test]
fn random_distinct_histories_are_both_valid_and_invalid() {
    let (mut valid, mut invalid, mut cas) = (0, 0, 0);
    for seed in 0..400 {
        let h = sim_history(seed, 40, 2 + seed as usize % 6, 0.05);
        let (calls, initial) = calls_of(&h, true);
        cas += usize::from(calls.iter().any(|c| matches!(c.op, RegisterOp::Cas { .. })));
        match decided(&calls, initial) {
            Verdict::Linearizable => valid += 1,
            _ => invalid += 1,
        }
    }
    assert!(
        valid > 80 && invalid > 80,
        "{valid} valid, {invalid} invalid"
    );
    assert!(
        cas > 300,
        "only {cas} of 400 histories keep a compare-and-set"
    );
    let info = (0..50)
        .filter(|&s| {
            let (calls, _) = calls_of(&sim_history(s, 40, 4, 0.0), true);
            calls.iter().any(|c| c.info)
        })
        .count();
    assert!(
        info > 25,
        "only {info} of 50 histories keep an info operation"
    );
}

/// Values repeat: the procedure declines and the search decides.
#[test]
fn repeated_values_go_to_the_search() {
    let (calls, initial) = calls_of(&sim_history(1, 20, 3, 0.0), true);
    assert!(decide(&calls, initial).is_some());
    let rows = [
        (1, "invoke", "write", json!(1)),
        (1, "ok", "write", json!(1)),
        (1, "invoke", "write", json!(1)),
        (1, "ok", "write", json!(1)),
        (2, "invoke", "read", N),
        (2, "ok", "read", json!(1)),
    ];
    let report = run("cas-register", None, &rows);
    assert_eq!(report.valid, Validity::Valid);
    assert!(report
        .stats
        .get("keys_decided_by_distinct_values")
        .is_none());
    // Writing the initial value again also repeats it.
    let initial_again = [
        (1, "invoke", "write", json!(0)),
        (1, "ok", "write", json!(0)),
    ];
    let report = run("cas-register", Some(json!(0)), &initial_again);
    assert!(report
        .stats
        .get("keys_decided_by_distinct_values")
        .is_none());
    let distinct = run("cas-register", Some(json!(0)), &rows[2..]);
    assert_eq!(distinct.stats["keys_decided_by_distinct_values"], json!(1));
}

/// `run` with the distinct procedure asserted to be the one that decided.
fn decided_by_procedure(
    initial: Option<serde_json::Value>,
    rows: &[(u64, &str, &str, serde_json::Value)],
) -> crate::CheckReport {
    let report = run("cas-register", initial, rows);
    assert_eq!(
        report.stats["keys_decided_by_distinct_values"],
        json!(1),
        "{report:#?}"
    );
    report
}

#[test]
fn a_read_of_an_info_write_places_it() {
    let rows = [
        (1, "invoke", "write", json!(1)),
        (1, "info", "write", json!(1)),
        (2, "invoke", "read", N),
        (2, "ok", "read", json!(1)),
    ];
    assert_eq!(decided_by_procedure(None, &rows).valid, Validity::Valid);
    // The read returned before the write was invoked: no order explains it.
    let reordered = [
        rows[2].clone(),
        rows[3].clone(),
        rows[0].clone(),
        rows[1].clone(),
    ];
    let report = decided_by_procedure(None, &reordered);
    assert_eq!(report.valid, Validity::Invalid);
    assert_eq!(
        report.anomalies[0].detail_json()["unreachable"],
        json!(true)
    );
    assert_eq!(report.anomalies[0].detail_json()["op"], json!(0));
}

#[test]
fn a_read_before_its_writes_invoke_is_caught() {
    let rows = [
        (2, "invoke", "read", N),
        (2, "ok", "read", json!(1)),
        (1, "invoke", "write", json!(1)),
        (1, "ok", "write", json!(1)),
    ];
    let report = decided_by_procedure(None, &rows);
    assert_eq!(report.valid, Validity::Invalid);
    assert!(report.anomalies[0]
        .explanation
        .contains("needs the cas-register to hold 1"));
    // Overlapping, the write may come first.
    let overlapping = [
        rows[0].clone(),
        rows[2].clone(),
        rows[1].clone(),
        rows[3].clone(),
    ];
    assert_eq!(
        decided_by_procedure(None, &overlapping).valid,
        Validity::Valid
    );
}

#[test]
fn cas_chains_follow_their_old_values() {
    let chain = [
        (1, "invoke", "write", json!(1)),
        (1, "ok", "write", json!(1)),
        (2, "invoke", "cas", json!([1, 2])),
        (3, "invoke", "cas", json!([2, 3])),
        (2, "ok", "cas", json!([1, 2])),
        (3, "ok", "cas", json!([2, 3])),
        (4, "invoke", "read", N),
        (4, "ok", "read", json!(3)),
    ];
    assert_eq!(decided_by_procedure(None, &chain).valid, Validity::Valid);
    // A write of 5 completes between the chain and a read of 2: 2 is gone for good.
    let mut stale = chain[..6].to_vec();
    stale.extend([
        (5, "invoke", "write", json!(5)),
        (5, "ok", "write", json!(5)),
        (4, "invoke", "read", N),
        (4, "ok", "read", json!(2)),
    ]);
    let report = decided_by_procedure(None, &stale);
    assert_eq!(report.valid, Validity::Invalid);
    let a = &report.anomalies[0];
    assert_eq!(a.detail_json()["op"], json!(8));
    assert_eq!(a.detail_json()["prefix"], json!([0, 2, 3, 6]));
    assert_eq!(a.detail_json()["state"], json!(5));
}

#[test]
fn two_ok_cas_from_one_value_cannot_both_happen() {
    let rows = [
        (1, "invoke", "write", json!(1)),
        (1, "ok", "write", json!(1)),
        (2, "invoke", "cas", json!([1, 2])),
        (3, "invoke", "cas", json!([1, 3])),
        (2, "ok", "cas", json!([1, 2])),
        (3, "ok", "cas", json!([1, 3])),
    ];
    let report = decided_by_procedure(None, &rows);
    assert_eq!(report.valid, Validity::Invalid);
    let a = &report.anomalies[0];
    assert_eq!(a.detail_json()["op"], json!(3));
    assert_eq!(a.detail_json()["prefix"], json!([0, 2]));
    assert!(a.explanation.contains("cas 1 -> 3"), "{}", a.explanation);
    // If the second timed out, it simply did not happen.
    let mut info = rows.to_vec();
    info[5].1 = "info";
    assert_eq!(decided_by_procedure(None, &info).valid, Validity::Valid);
}

#[test]
fn an_info_cas_whose_value_is_read_must_find_its_old_value() {
    let rows = [
        (1, "invoke", "write", json!(1)),
        (1, "ok", "write", json!(1)),
        (2, "invoke", "cas", json!([1, 2])),
        (2, "info", "cas", json!([1, 2])),
        (3, "invoke", "read", N),
        (3, "ok", "read", json!(2)),
    ];
    assert_eq!(decided_by_procedure(None, &rows).valid, Validity::Valid);
    // A write of 3 completes before the read begins: the cas had to happen before the write
    // (1 is never written again), so 2 was overwritten before the read.
    let mut late = rows[..4].to_vec();
    late.extend([
        (4, "invoke", "write", json!(3)),
        (4, "ok", "write", json!(3)),
        (3, "invoke", "read", N),
        (3, "ok", "read", json!(2)),
    ]);
    let report = decided_by_procedure(None, &late);
    assert_eq!(report.valid, Validity::Invalid);
    assert_eq!(report.anomalies[0].detail_json()["op"], json!(6));
    // An info write nobody reads is dropped; it cannot make anything invalid.
    let mut unread = rows.to_vec();
    unread.extend([
        (5, "invoke", "write", json!(9)),
        (5, "info", "write", json!(9)),
    ]);
    let report = decided_by_procedure(None, &unread);
    assert_eq!(report.valid, Validity::Valid);
    assert_eq!(report.stats["unobserved_info_dropped"], json!(1));
}

#[test]
fn a_value_cannot_come_back_once_another_was_read() {
    // Gibbons and Korach's overlapping forward zones: 1, then 2, then 1 again, each read
    // completed before the next began.
    let rows = [
        (1, "invoke", "write", json!(1)),
        (2, "invoke", "write", json!(2)),
        (3, "invoke", "read", N),
        (3, "ok", "read", json!(1)),
        (3, "invoke", "read", N),
        (3, "ok", "read", json!(2)),
        (3, "invoke", "read", N),
        (3, "ok", "read", json!(1)),
        (1, "ok", "write", json!(1)),
        (2, "ok", "write", json!(2)),
    ];
    let report = decided_by_procedure(None, &rows);
    assert_eq!(report.valid, Validity::Invalid);
    assert_eq!(report.anomalies[0].detail_json()["op"], json!(6));
    assert_eq!(report.anomalies[0].detail_json()["state"], json!(2));
    // Without the third read it is fine.
    let mut fine = rows.to_vec();
    fine.drain(6..8);
    assert_eq!(decided_by_procedure(None, &fine).valid, Validity::Valid);
}

#[test]
fn cas_in_a_circle_is_unreachable() {
    // 5 would have to be there before 6, and 6 before 5.
    let rows = [
        (1, "invoke", "cas", json!([5, 6])),
        (1, "info", "cas", json!([5, 6])),
        (2, "invoke", "cas", json!([6, 5])),
        (2, "info", "cas", json!([6, 5])),
        (3, "invoke", "read", N),
        (3, "ok", "read", json!(5)),
    ];
    let report = decided_by_procedure(Some(json!(0)), &rows);
    assert_eq!(report.valid, Validity::Invalid);
    assert_eq!(report.anomalies[0].detail_json()["op"], json!(4));
}

/// The benchmark's shape, smaller: many clients on one key, unique values, 5% `info`.
#[test]
fn a_hot_key_with_many_clients_is_decided() {
    for seed in 0..3 {
        let mut w = RegisterWorkload::indeterminate(seed, 5_000, 0.05);
        w.clients = 100;
        let h = w.generate();
        let valid = crate::registry::check("cas-register", &h, &Default::default()).unwrap();
        assert_eq!(valid.valid, Validity::Valid, "seed {seed}");
        assert_eq!(valid.stats["keys_decided_by_distinct_values"], json!(1));
        let (bad, index) = plant_stale_read(&h).expect("a read to plant");
        let report = crate::registry::check("cas-register", &bad, &Default::default()).unwrap();
        assert_eq!(report.valid, Validity::Invalid, "seed {seed}");
        let blocked = report.anomalies[0].detail_json()["op"].as_u64().unwrap();
        let planted = bad
            .pairs()
            .iter()
            .find(|p| p.complete.map(|c| bad.ops()[c].index) == Some(index))
            .map(|p| bad.invocation(p).index);
        assert_eq!(Some(blocked), planted, "seed {seed}");
    }
}

/// On the same calls the search and the procedure block on the same operation (the search
/// within a budget, on small sizes).
#[test]
fn the_search_and_the_procedure_block_on_the_same_operation_in_a_planted_history() {
    let h = RegisterWorkload::indeterminate(7, 300, 0.05).generate();
    let (bad, _) = plant_stale_read(&h).unwrap();
    let (calls, initial) = calls_of(&bad, true);
    let budget = Budget::with_time_limit(Duration::from_secs(10));
    let (Verdict::NotLinearizable(s), Verdict::NotLinearizable(d)) = (
        search(&MODEL, &calls, initial, &budget).verdict,
        decided(&calls, initial),
    ) else {
        panic!("both must find the planted read");
    };
    assert_eq!(s.blocked, d.blocked);
    check_failure(&calls, initial, &d).unwrap();
}

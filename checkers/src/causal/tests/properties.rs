//! Property tests: histories of a simulated causally consistent store are valid; a store that
//! applies updates before their dependencies is judged exactly as a brute-force oracle judges it;
//! serializable and snapshot-isolated histories (with their session order) are never reported.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::{check_with, oracle};
use crate::synth::causal::{causal_store_history, CausalStoreConfig};
use crate::{CheckReport, History, Op, OpType, Validity};

fn store_config() -> impl Strategy<Value = CausalStoreConfig> {
    (
        any::<u64>(),
        1usize..6,
        1usize..4,
        1usize..5,
        any::<bool>(),
        0.0f64..0.1,
        0.0f64..0.1,
        0.0f64..0.3,
    )
        .prop_map(
            |(seed, clients, replicas, keys, registers, info, fail, switch)| CausalStoreConfig {
                transactions: 120,
                clients,
                replicas,
                active_keys: keys,
                key_rotation: 40,
                max_ops_per_txn: 3,
                registers,
                switch_probability: switch,
                delivery_probability: 0.3,
                info_probability: info,
                fail_probability: fail,
                bug_probability: 0.0,
                seed,
            },
        )
}

/// Readers the checker blames for missing or misordering a cause, or reading an intermediate
/// state (not thin-air or aborted reads, which the oracle does not list).
fn readers_at_fault(report: &CheckReport) -> std::collections::HashSet<u64> {
    report
        .anomalies
        .iter()
        .filter(|a| !a.kind.ends_with("thin-air-read") && a.kind != "aborted-read")
        .filter_map(|a| a.detail_json().get("reader").and_then(Value::as_u64))
        .collect()
}

/// Arbitrary small histories: reads return random subsets (sometimes shuffled) of values written
/// anywhere in the history, so cycles, thin-air reads, reorders and misses all occur.
fn random_history() -> impl Strategy<Value = Vec<Op>> {
    (any::<u64>(), 1usize..4, 2usize..12, any::<bool>()).prop_map(
        |(seed, sessions, txns, registers)| {
            use rand::seq::SliceRandom;
            use rand::{Rng, SeedableRng};
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let write_f = if registers { "w" } else { "append" };
            // Plan every write first, so reads may return values written later (cycles).
            let mut plans: Vec<Vec<(bool, u64, i64)>> = Vec::new();
            let mut value = 1;
            for _ in 0..txns {
                let mut plan = Vec::new();
                for _ in 0..rng.random_range(1..4) {
                    let key = rng.random_range(0..2u64);
                    if rng.random_bool(0.5) {
                        plan.push((true, key, value));
                        value += 1;
                    } else {
                        plan.push((false, key, 0));
                    }
                }
                plans.push(plan);
            }
            let written = |key: u64| -> Vec<i64> {
                plans
                    .iter()
                    .flatten()
                    .filter(|(w, k, _)| *w && *k == key)
                    .map(|(_, _, v)| *v)
                    .collect()
            };
            let mut ops = Vec::new();
            for plan in &plans {
                let process = rng.random_range(0..sessions) as u64;
                let outcome = match rng.random_range(0..10) {
                    0 => OpType::Info,
                    1 => OpType::Fail,
                    _ => OpType::Ok,
                };
                let mut invoke = Vec::new();
                let mut done = Vec::new();
                for &(w, k, v) in plan {
                    if w {
                        invoke.push(json!([write_f, k, v]));
                        done.push(json!([write_f, k, v]));
                        continue;
                    }
                    invoke.push(json!(["r", k, null]));
                    let mut pool = written(k);
                    pool.retain(|_| rng.random_bool(0.5));
                    if rng.random_bool(0.2) {
                        pool.shuffle(&mut rng);
                    }
                    if rng.random_bool(0.05) {
                        pool.push(1000);
                    }
                    if registers {
                        done.push(json!(["r", k, pool.first()]));
                    } else {
                        done.push(json!(["r", k, pool]));
                    }
                }
                let index = ops.len() as u64;
                ops.push(Op::new(
                    index,
                    process,
                    OpType::Invoke,
                    "txn",
                    Value::Array(invoke.clone()),
                ));
                let value = if outcome == OpType::Ok { done } else { invoke };
                ops.push(Op::new(
                    index + 1,
                    process,
                    outcome,
                    "txn",
                    Value::Array(value),
                ));
            }
            ops
        },
    )
}

proptest! {
    // 200 cases by default; PROPTEST_CASES=N for a longer search.
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(200)
    ))]

    #[test]
    fn causal_store_histories_are_valid(cfg in store_config()) {
        let report = check_with(History::new(causal_store_history(&cfg)).unwrap(), &[]);
        prop_assert_eq!(report.valid, Validity::Valid, "{:#?}", report.anomalies);
    }

    #[test]
    fn buggy_store_is_judged_as_brute_force_judges_it(
        mut cfg in store_config(),
        bug in 0.2f64..1.0,
        transactions in 5usize..40,
    ) {
        cfg.bug_probability = bug;
        cfg.transactions = transactions;
        cfg.delivery_probability = 0.5;
        let history = History::new(causal_store_history(&cfg)).unwrap();
        let truth = oracle::decide(&history);
        let report = check_with(history, &[]);
        prop_assert_eq!(report.valid == Validity::Valid, truth.valid, "{:#?}", report.anomalies);
        prop_assert_eq!(readers_at_fault(&report), truth.faulty_readers);
    }

    #[test]
    fn arbitrary_histories_are_judged_as_brute_force_judges_them(ops in random_history()) {
        let history = History::new(ops).unwrap();
        let truth = oracle::decide(&history);
        let report = check_with(history, &[]);
        prop_assert_eq!(report.valid == Validity::Valid, truth.valid, "{:#?}", report.anomalies);
        if report.stats["cyclic_components"] == 0 {
            prop_assert_eq!(readers_at_fault(&report), truth.faulty_readers, "{:#?}", report.anomalies);
        }
    }

    /// The simulated store is causal but not convergent (replicas apply concurrent updates in
    /// their own order), so both verdicts occur here.
    #[test]
    fn store_convergence_is_judged_as_brute_force_judges_it(mut cfg in store_config()) {
        cfg.transactions = 40;
        let history = History::new(causal_store_history(&cfg)).unwrap();
        let truth = oracle::decide(&history);
        let report = check_with(history, &["causal-convergence"]);
        prop_assert!(truth.valid);
        prop_assert_eq!(report.valid == Validity::Valid, truth.convergent, "{:#?}", report.anomalies);
    }

    #[test]
    fn convergence_is_judged_as_brute_force_judges_it(ops in random_history()) {
        let history = History::new(ops).unwrap();
        let truth = oracle::decide(&history);
        let report = check_with(history, &["causal-convergence"]);
        prop_assert_eq!(
            report.valid == Validity::Valid,
            truth.valid && truth.convergent,
            "{:#?}",
            report.anomalies
        );
    }

    #[test]
    fn serializable_histories_are_causal(seed in any::<u64>(), registers in any::<bool>(), clients in 1usize..6) {
        let history = History::new(snapshot_db(seed, registers, clients, false)).unwrap();
        let report = check_with(history, &["causal-convergence"]);
        prop_assert_eq!(report.valid, Validity::Valid, "{:#?}", report.anomalies);
    }

    #[test]
    fn snapshot_isolated_histories_are_causal(seed in any::<u64>(), registers in any::<bool>(), clients in 1usize..6) {
        let history = History::new(snapshot_db(seed, registers, clients, true)).unwrap();
        let report = check_with(history, &["causal-convergence"]);
        prop_assert_eq!(report.valid, Validity::Valid, "{:#?}", report.anomalies);
    }
}

/// Dropping dependencies must be caught, not merely agree with the oracle on valid histories:
/// with every early delivery allowed, many seeds give a violation, and each is found.
#[test]
fn dropping_dependencies_is_caught() {
    let mut invalid = 0;
    for seed in 0..200 {
        for registers in [false, true] {
            let cfg = CausalStoreConfig {
                transactions: 60,
                clients: 4,
                replicas: 3,
                active_keys: 3,
                key_rotation: 0,
                registers,
                bug_probability: 1.0,
                delivery_probability: 0.4,
                seed,
                ..Default::default()
            };
            let history = History::new(causal_store_history(&cfg)).unwrap();
            let truth = oracle::decide(&history);
            let report = check_with(history, &[]);
            assert_eq!(report.valid == Validity::Valid, truth.valid, "seed {seed}");
            if !truth.valid {
                invalid += 1;
            }
        }
    }
    assert!(
        invalid >= 100,
        "only {invalid} of 400 buggy histories were invalid"
    );
}

/// A multi-version database: each transaction reads a snapshot (the latest one when
/// `snapshot_isolation` is false, which is a serial execution), no older than what its session has
/// already seen or written, and commits unless a transaction committed since its snapshot wrote a
/// key it writes (first committer wins).
fn snapshot_db(seed: u64, registers: bool, clients: usize, snapshot_isolation: bool) -> Vec<Op> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    // Committed transactions' writes, in commit order.
    let mut commits: Vec<Vec<(u64, i64)>> = Vec::new();
    let mut floor = vec![0usize; clients];
    let mut ops = Vec::new();
    let mut next_value = 1i64;
    let write_f = if registers { "w" } else { "append" };
    for _ in 0..80 {
        let c = rng.random_range(0..clients);
        let snapshot = if snapshot_isolation {
            rng.random_range(floor[c]..=commits.len())
        } else {
            commits.len()
        };
        let mut own: Vec<(u64, i64)> = Vec::new();
        let mut done = Vec::new();
        let mut invoke = Vec::new();
        for _ in 0..rng.random_range(1..4) {
            let key = rng.random_range(0..3u64);
            if rng.random_bool(0.5) {
                own.push((key, next_value));
                done.push(json!([write_f, key, next_value]));
                invoke.push(json!([write_f, key, next_value]));
                next_value += 1;
            } else {
                let mut visible = commits[..snapshot]
                    .iter()
                    .flatten()
                    .chain(own.iter())
                    .filter(|(k, _)| *k == key)
                    .map(|(_, v)| *v);
                let read = if registers {
                    json!(visible.next_back())
                } else {
                    json!(visible.collect::<Vec<_>>())
                };
                done.push(json!(["r", key, read]));
                invoke.push(json!(["r", key, null]));
            }
        }
        let conflict = commits[snapshot..]
            .iter()
            .flatten()
            .any(|(k, _)| own.iter().any(|(k2, _)| k2 == k));
        let index = ops.len() as u64;
        ops.push(Op::new(
            index,
            c as u64,
            OpType::Invoke,
            "txn",
            Value::Array(invoke.clone()),
        ));
        floor[c] = floor[c].max(snapshot);
        if conflict {
            ops.push(Op::new(
                index + 1,
                c as u64,
                OpType::Fail,
                "txn",
                Value::Array(invoke),
            ));
        } else {
            if !own.is_empty() {
                commits.push(own);
                floor[c] = commits.len();
            }
            ops.push(Op::new(
                index + 1,
                c as u64,
                OpType::Ok,
                "txn",
                Value::Array(done),
            ));
        }
    }
    ops
}

/// More sessions than one clock chunk holds (retired processes each start one): clocks shared
/// across chunks must still answer exactly.
#[test]
fn many_sessions_span_several_clock_chunks() {
    let mut invalid = 0;
    for seed in 0..60 {
        for bug in [0.0, 1.0] {
            let cfg = CausalStoreConfig {
                transactions: 150,
                clients: 40,
                replicas: 3,
                active_keys: 3,
                key_rotation: 0,
                info_probability: 0.4,
                registers: seed % 2 == 0,
                bug_probability: bug,
                delivery_probability: 0.5,
                seed,
                ..Default::default()
            };
            let history = History::new(causal_store_history(&cfg)).unwrap();
            let truth = oracle::decide(&history);
            let report = check_with(history, &[]);
            assert!(
                report.stats["sessions"].as_u64().unwrap() > 70,
                "{:?}",
                report.stats
            );
            assert_eq!(
                report.valid == Validity::Valid,
                truth.valid,
                "seed {seed} bug {bug}"
            );
            assert_eq!(
                readers_at_fault(&report),
                truth.faulty_readers,
                "seed {seed}"
            );
            if bug == 0.0 {
                assert_eq!(report.valid, Validity::Valid, "{:#?}", report.anomalies);
            } else if !truth.valid {
                invalid += 1;
            }
        }
    }
    assert!(
        invalid >= 20,
        "only {invalid} of 60 buggy histories were invalid"
    );
}

/// The causal store's replicas order concurrent appends each their own way: the convergence
/// check must see that in many histories, and agree with brute force on each.
#[test]
fn causal_store_histories_are_often_not_convergent() {
    let mut diverged = 0;
    for seed in 0..100 {
        let cfg = CausalStoreConfig {
            transactions: 50,
            clients: 4,
            active_keys: 2,
            key_rotation: 0,
            seed,
            ..Default::default()
        };
        let history = History::new(causal_store_history(&cfg)).unwrap();
        let truth = oracle::decide(&history);
        let report = check_with(history, &["causal-convergence"]);
        assert_eq!(
            report.valid == Validity::Valid,
            truth.convergent,
            "seed {seed}"
        );
        if !truth.convergent {
            diverged += 1;
        }
    }
    assert!((20..100).contains(&diverged), "{diverged} of 100 diverged");
}

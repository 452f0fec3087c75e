//! Property tests: histories of a simulated correct store driven by each workload's generators
//! are valid for the workload's data-safety checkers; a store that drops acknowledged writes is
//! caught.

mod support;

use faultline_checkers::registry::check;
use faultline_checkers::CheckOptions;
use faultline_checkers::{CheckReport, History, Validity};
use faultline_workloads::{by_name, WorkloadOptions};
use proptest::prelude::*;
use serde_json::{json, Value};
use support::{simulate, Sim, Store};

fn run(model: &str, h: &History, initial: Option<Value>) -> CheckReport {
    let options = CheckOptions {
        initial,
        ..Default::default()
    };
    check(model, h, &options).unwrap_or_else(|e| panic!("{model}: {e}"))
}

fn sim(seed: u64, concurrency: u32) -> Sim {
    Sim {
        seed,
        concurrency,
        ops: 300,
        info_rate: 0.05,
        nodes: 3,
        frozen_node: None,
    }
}

fn options(concurrency: u32, key_count: usize) -> WorkloadOptions {
    WorkloadOptions {
        concurrency,
        key_count: Some(key_count),
        ..Default::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn correct_registers_lose_nothing_and_are_never_stale(
        seed in any::<u64>(), concurrency in 1u32..6, keys in 1usize..4, kv in any::<bool>()
    ) {
        let w = by_name(if kv { "kv" } else { "register" }, &options(concurrency, keys)).unwrap();
        let h = simulate(w.as_ref(), &sim(seed, concurrency), Store::default());
        let lost = run("lost-update", &h, None);
        prop_assert_eq!(lost.valid, Validity::Valid, "{:?}", lost);
        prop_assert!(lost.stats["final-read-count"].as_u64().unwrap() > 0);
        let stale = run("staleness", &h, Some(json!({"max_versions_behind": 0})));
        prop_assert_eq!(stale.valid, Validity::Valid, "{:?}", stale);
        let conv = run("convergence", &h, None);
        prop_assert_eq!(conv.valid, Validity::Valid, "{:?}", conv);
        prop_assert!(conv.stats["keys-compared"].as_u64().unwrap() > 0);
    }

    #[test]
    fn correct_sets_are_valid_for_set_full_and_set_final(
        seed in any::<u64>(), concurrency in 1u32..6, keys in 1usize..3
    ) {
        let w = by_name("set", &options(concurrency, keys)).unwrap();
        let store = Store { sets: true, ..Default::default() };
        let h = simulate(w.as_ref(), &sim(seed, concurrency), store);
        let full = run("set-full", &h, Some(json!({"linearizable": true})));
        prop_assert_eq!(full.valid, Validity::Valid, "{:?}", full);
        prop_assert_eq!(full.stats["lost-count"].clone(), json!(0));
        let fin = run("set-final", &h, None);
        prop_assert_eq!(fin.valid, Validity::Valid, "{:?}", fin);
        prop_assert_eq!(run("convergence", &h, None).valid, Validity::Valid);
    }

    #[test]
    fn correct_counters_stay_within_bounds(seed in any::<u64>(), concurrency in 1u32..6) {
        let w = by_name("counter", &options(concurrency, 2)).unwrap();
        let store = Store { counters: true, ..Default::default() };
        let h = simulate(w.as_ref(), &sim(seed, concurrency), store);
        let r = run("counter", &h, w.checker_initial("counter"));
        prop_assert_eq!(r.valid, Validity::Valid, "{:?}", r);
        prop_assert!(r.stats["read-count"].as_u64().unwrap() > 0);
    }

    #[test]
    fn correct_banks_conserve_the_total(seed in any::<u64>(), concurrency in 1u32..6) {
        let w = by_name("bank", &options(concurrency, 5)).unwrap();
        let h = simulate(w.as_ref(), &sim(seed, concurrency), Store::default());
        let r = run("bank", &h, w.checker_initial("bank"));
        prop_assert_eq!(r.valid, Validity::Valid, "{:?}", r);
        prop_assert!(r.stats["read-count"].as_u64().unwrap() > 0);
    }
}

#[test]
fn a_store_that_drops_acknowledged_writes_is_caught() {
    let w = by_name("kv", &options(3, 2)).unwrap();
    let store = Store {
        lose_every: 7,
        ..Default::default()
    };
    let h = simulate(w.as_ref(), &sim(11, 3), store);
    let r = run("lost-update", &h, None);
    assert_eq!(r.valid, Validity::Invalid, "{r:?}");
    assert!(r.anomaly_types().contains(&"lost".to_string()));
    let stale = run("staleness", &h, None);
    assert!(
        stale.stats["stale-read-count"].as_u64().unwrap() > 0,
        "{stale:?}"
    );
}

#[test]
fn a_set_that_drops_acknowledged_adds_is_caught() {
    let w = by_name("set", &options(3, 1)).unwrap();
    let store = Store {
        sets: true,
        lose_every: 10,
        ..Default::default()
    };
    let h = simulate(w.as_ref(), &sim(5, 3), store);
    assert_eq!(run("set-full", &h, None).anomaly_types(), vec!["lost"]);
    assert_eq!(run("set-final", &h, None).anomaly_types(), vec!["lost"]);
}

#[test]
fn a_follower_that_stops_replicating_diverges_lags_and_loses_writes_in_its_final_reads() {
    let w = by_name("kv", &options(3, 2)).unwrap();
    let mut s = sim(21, 3);
    s.frozen_node = Some(2);
    let h = simulate(w.as_ref(), &s, Store::default());
    assert_eq!(
        run("convergence", &h, None).anomaly_types(),
        vec!["divergent"]
    );
    assert_eq!(run("lost-update", &h, None).anomaly_types(), vec!["lost"]);
    let stale = run("staleness", &h, None);
    let nodes = &stale.stats["by-node"];
    assert_eq!(nodes["n1"]["stale-reads"], json!(0), "{nodes}");
    assert!(nodes["n3"]["stale-reads"].as_u64().unwrap() > 10, "{nodes}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn a_serial_store_has_no_long_forks(seed in any::<u64>(), concurrency in 2u32..6) {
        let w = by_name("long-fork", &options(concurrency, 3)).unwrap();
        let h = simulate(w.as_ref(), &sim(seed, concurrency), Store::default());
        let r = run("long-fork", &h, w.checker_initial("long-fork"));
        prop_assert_eq!(r.valid, Validity::Valid, "{:?}", r);
        prop_assert!(r.stats["read-count"].as_u64().unwrap() > 50);
        prop_assert!(r.stats["write-count"].as_u64().unwrap() > 50);
    }
}

//! The generators: replay (same seed, same schedule per slot), and the shape of what each
//! workload generates.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use faultline_checkers::history::txn::{parse_txn, MicroKind};
use faultline_checkers::registry::{self, CHECKERS};
use faultline_checkers::Family;
use faultline_workloads::{by_name, Invocation, KeyDistribution, WorkloadOptions, WORKLOADS};
use serde_json::{json, Value};

fn ops(name: &str, options: &WorkloadOptions, slot: u32, seed: u64, n: usize) -> Vec<Invocation> {
    let w = by_name(name, options).unwrap();
    let mut g = w.generator(slot, options.concurrency, seed);
    (0..n).map(|_| g.next_op()).collect()
}

#[test]
fn same_seed_replays_the_same_schedule_per_slot() {
    let options = WorkloadOptions {
        concurrency: 3,
        rate: Some(500.0),
        key_distribution: KeyDistribution::Zipfian { exponent: 1.0 },
        ..Default::default()
    };
    for (name, _) in WORKLOADS {
        for slot in 0..3 {
            let a = ops(name, &options, slot, 42, 200);
            assert_eq!(a, ops(name, &options, slot, 42, 200), "{name} slot {slot}");
            assert_ne!(
                a,
                ops(name, &options, slot, 43, 200),
                "{name}: seed must matter"
            );
        }
        assert_ne!(
            ops(name, &options, 0, 42, 200),
            ops(name, &options, 1, 42, 200),
            "{name}"
        );
        let w = by_name(name, &options).unwrap();
        let delays = |seed| {
            let mut d = w.delay_schedule(1, 3, seed);
            (0..50).map(|_| d.next_delay()).collect::<Vec<_>>()
        };
        assert_eq!(delays(42), delays(42), "{name}");
        assert_ne!(delays(42), delays(43), "{name}");
    }
}

#[test]
fn pacing_spreads_the_overall_rate_over_the_slots_and_leaves_ops_unchanged() {
    let paced = WorkloadOptions {
        concurrency: 4,
        rate: Some(100.0),
        ..Default::default()
    };
    let w = by_name("kv", &paced).unwrap();
    let mut d = w.delay_schedule(0, 4, 9);
    let total: Duration = (0..1000).map(|_| d.next_delay()).sum();
    // 4 slots sharing 100 ops/s: each waits 40 ms on average, jittered in [0, 80] ms.
    let mean = total.as_secs_f64() / 1000.0;
    assert!((0.037..0.043).contains(&mean), "{mean}");
    let unpaced = WorkloadOptions {
        concurrency: 4,
        ..Default::default()
    };
    assert_eq!(ops("kv", &paced, 0, 9, 100), ops("kv", &unpaced, 0, 9, 100));
    let mut none = by_name("kv", &unpaced).unwrap().delay_schedule(0, 4, 9);
    assert_eq!(none.next_delay(), Duration::ZERO);
}

/// Written values per key across all slots.
fn written(name: &str, options: &WorkloadOptions, n: usize) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for slot in 0..options.concurrency {
        for op in ops(name, options, slot, 7, n) {
            match op.f.as_str() {
                "write" | "add" => out.push((format!("{:?}", op.key), op.value.clone())),
                "cas" => out.push((format!("{:?}", op.key), op.value[1].clone())),
                "txn" => {
                    for m in parse_txn(&op.value).unwrap() {
                        if m.kind != MicroKind::Read {
                            out.push((m.key.to_string(), m.value));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    out
}

#[test]
fn written_values_are_unique_per_key_across_clients() {
    let options = WorkloadOptions {
        concurrency: 4,
        key_count: Some(2),
        ..Default::default()
    };
    for name in [
        "register",
        "kv",
        "list-append",
        "rw-register",
        "set",
        "causal",
    ] {
        let w = written(name, &options, 300);
        assert!(w.len() > 100, "{name}");
        let distinct: HashSet<_> = w.iter().collect();
        assert_eq!(distinct.len(), w.len(), "{name} repeats a value on a key");
    }
}

#[test]
fn transaction_keys_rotate_after_about_max_writes_per_key() {
    let options = WorkloadOptions {
        concurrency: 2,
        key_count: Some(3),
        max_writes_per_key: 10,
        ..Default::default()
    };
    let w = written("list-append", &options, 2000);
    let mut per_key: HashMap<String, usize> = HashMap::new();
    for (k, _) in &w {
        *per_key.entry(k.clone()).or_default() += 1;
    }
    assert!(per_key.len() > 20, "keys must rotate: {}", per_key.len());
    let mean = w.len() as f64 / per_key.len() as f64;
    assert!((4.0..=16.0).contains(&mean), "writes per key {mean}");
    for op in ops("rw-register", &options, 0, 1, 200) {
        let txn = parse_txn(&op.value).unwrap();
        assert!((1..=options.max_txn_length).contains(&txn.len()));
        assert!(txn.iter().all(|m| m.kind != MicroKind::Append));
    }
}

#[test]
fn mixes_and_value_shapes_follow_jepsen() {
    let options = WorkloadOptions {
        concurrency: 2,
        read_fraction: Some(0.25),
        ..Default::default()
    };
    let register = ops("register", &options, 0, 3, 2000);
    let reads = register.iter().filter(|o| o.f == "read").count();
    assert!((400..600).contains(&reads), "{reads}");
    assert!(register.iter().all(|o| o.key == Some(json!(0))));
    let cas = register.iter().find(|o| o.f == "cas").unwrap();
    assert_eq!(cas.value.as_array().unwrap().len(), 2);

    for op in ops("bank", &options, 1, 3, 500) {
        match op.f.as_str() {
            "read" => assert_eq!(op.value, Value::Null),
            "transfer" => {
                let v = &op.value;
                assert_ne!(v["from"], v["to"]);
                assert!((1..=options.max_transfer).contains(&v["amount"].as_i64().unwrap()));
            }
            other => panic!("bank generated {other}"),
        }
    }
    let causal = ops("causal", &options, 0, 3, 100);
    for pair in causal.chunks(2) {
        assert_eq!((pair[0].f.as_str(), pair[1].f.as_str()), ("read", "write"));
        assert_ne!(pair[0].key, pair[1].key, "a chain writes a different key");
    }
    let counter = ops("counter", &options, 0, 3, 200);
    assert!(counter
        .iter()
        .filter(|o| o.f == "add")
        .all(|o| (1..=5).contains(&o.value.as_i64().unwrap())));
}

#[test]
fn bank_setup_opens_accounts_holding_the_total() {
    let options = WorkloadOptions {
        key_count: Some(3),
        bank_total: 100,
        ..Default::default()
    };
    let bank = by_name("bank", &options).unwrap();
    let balances: Vec<i64> = bank
        .setup_ops()
        .iter()
        .map(|o| o.value.as_i64().unwrap())
        .collect();
    assert_eq!(balances, vec![34, 33, 33]);
    assert_eq!(
        bank.checker_initial("bank"),
        Some(json!({"total": 100, "accounts": [0, 1, 2]}))
    );
}

#[test]
fn final_reads_cover_private_keys_when_conflicts_are_partial() {
    let mut options = WorkloadOptions {
        concurrency: 3,
        key_count: Some(2),
        ..Default::default()
    };
    assert_eq!(by_name("kv", &options).unwrap().final_reads().len(), 2);
    options.conflict_rate = 0.5;
    assert_eq!(by_name("kv", &options).unwrap().final_reads().len(), 5);
    assert_eq!(
        by_name("register", &options).unwrap().final_reads().len(),
        1
    );
}

#[test]
fn registry_refuses_unknown_names_and_bad_options() {
    let err = by_name("queue", &WorkloadOptions::default()).err().unwrap();
    assert!(err.to_string().contains("list-append"), "{err}");
    let bad = WorkloadOptions {
        conflict_rate: 1.5,
        ..Default::default()
    };
    let err = by_name("kv", &bad).err().unwrap();
    assert!(err.to_string().contains("conflict rate"), "{err}");
}

#[test]
fn checkers_named_by_workloads_are_registered() {
    let safety: HashSet<&str> = registry::of_family(Family::DataSafety)
        .map(|c| c.name())
        .collect();
    let mut used = HashSet::new();
    for (name, _) in WORKLOADS {
        for c in by_name(name, &WorkloadOptions::default())
            .unwrap()
            .checkers()
        {
            // The very unit the registry lists under that name, not a look-alike.
            let listed = registry::by_name(c.name()).unwrap();
            assert!(
                std::ptr::addr_eq(listed, c),
                "{name} names an unlisted {}",
                c.name()
            );
            assert!(CHECKERS.iter().any(|l| std::ptr::addr_eq(*l, c)));
            used.insert(c.name());
        }
    }
    for c in [
        "set-full",
        "set-final",
        "counter",
        "bank",
        "lost-update",
        "convergence",
        "staleness",
    ] {
        assert!(used.contains(c) && safety.contains(c), "{c}");
    }
}

#[test]
fn controls_are_set_by_name_from_text() {
    let mut o = WorkloadOptions::default();
    o.set_pair("key-distribution=zipfian:1.2").unwrap();
    o.set_pair("read-fraction = 0.3").unwrap();
    o.set("key-count", "12").unwrap();
    assert_eq!(
        o.key_distribution,
        KeyDistribution::Zipfian { exponent: 1.2 }
    );
    assert_eq!((o.read_fraction, o.key_count), (Some(0.3), Some(12)));
    let err = o.set("read-fraction", "lots").unwrap_err();
    assert!(err.to_string().contains("read-fraction"), "{err}");
    let err = o.set_pair("keys=3").unwrap_err();
    assert!(err.to_string().contains("key-count"), "{err}");
    assert!(o.set_pair("key-count").is_err());
    for (name, _) in faultline_workloads::options::SETTINGS {
        assert!(
            !o.clone()
                .set(name, "x")
                .unwrap_err()
                .to_string()
                .contains("unknown"),
            "{name}"
        );
    }
}

//! Hand-built histories for every anomaly (each reported under its own name and no other base
//! type), and property tests on histories of a simulated strict-serializable database.

use std::collections::BTreeSet;

use proptest::prelude::*;
use serde_json::{json, Value};

use super::{check, Assumptions, ElleOptions, Workload};
use crate::options::{CheckError, CheckOptions};
use crate::synth::elle::{generate, ElleSynth};
use crate::{CheckReport, History, Op, OpType, Validity};

/// A transaction: process, outcome, micro-ops as completed (reads filled in).
pub(super) struct T(pub(super) u64, pub(super) OpType, pub(super) Value);

/// Invokes every transaction, then completes them all: fully concurrent, so no real-time or
/// process order between them.
pub(super) fn concurrent(txns: &[T]) -> History {
    let mut ops = Vec::new();
    for t in txns {
        let i = ops.len() as u64;
        ops.push(Op::new(i, t.0, OpType::Invoke, "txn", invocation(&t.2)));
    }
    for t in txns {
        let i = ops.len() as u64;
        let v = if t.1 == OpType::Ok {
            t.2.clone()
        } else {
            invocation(&t.2)
        };
        ops.push(Op::new(i, t.0, t.1, "txn", v));
    }
    History::new(ops).unwrap()
}

/// One transaction after the other, each completing before the next starts.
pub(super) fn sequential(txns: &[T]) -> History {
    let mut ops = Vec::new();
    for t in txns {
        let i = ops.len() as u64;
        ops.push(Op::new(i, t.0, OpType::Invoke, "txn", invocation(&t.2)));
        let v = if t.1 == OpType::Ok {
            t.2.clone()
        } else {
            invocation(&t.2)
        };
        ops.push(Op::new(i + 1, t.0, t.1, "txn", v));
    }
    History::new(ops).unwrap()
}

fn invocation(v: &Value) -> Value {
    let mut v = v.clone();
    for op in v.as_array_mut().unwrap() {
        if op[0] == "r" {
            op[2] = Value::Null;
        }
    }
    v
}

fn run(h: &History, w: Workload, options: &ElleOptions) -> CheckReport {
    check(h, w, options).unwrap()
}

/// The report, or `None` when the checker inferred no dependency at all (no verdict: Elle's empty
/// transaction graph); any other error fails the test.
fn judged(h: &History, w: Workload, options: &ElleOptions) -> Option<CheckReport> {
    match check(h, w, options) {
        Ok(r) => Some(r),
        Err(CheckError::NoDependencies { .. }) => None,
        Err(e) => panic!("{e}"),
    }
}

fn la(h: &History) -> CheckReport {
    run(h, Workload::ListAppend, &ElleOptions::default())
}

fn base(name: &str) -> &str {
    name.trim_end_matches("-process")
        .trim_end_matches("-realtime")
}

/// The report's anomaly types reduced to base types.
fn bases(r: &CheckReport) -> BTreeSet<String> {
    r.anomaly_types()
        .iter()
        .map(|t| base(t).to_string())
        .collect()
}

fn expect_only(r: &CheckReport, name: &str) {
    assert_eq!(r.valid, Validity::Invalid, "{r:#?}");
    assert_eq!(bases(r), BTreeSet::from([name.to_string()]), "{r:#?}");
}

const OK: OpType = OpType::Ok;

#[test]
fn g0_write_cycle() {
    let h = concurrent(&[
        T(1, OK, json!([["append", "x", 1], ["append", "y", 1]])),
        T(2, OK, json!([["append", "x", 2], ["append", "y", 2]])),
        T(3, OK, json!([["r", "x", [1, 2]], ["r", "y", [2, 1]]])),
    ]);
    let r = la(&h);
    expect_only(&r, "G0");
    assert_eq!(r.anomaly_types(), vec!["G0"]);
    let a = &r.anomalies[0];
    assert!(
        a.explanation.contains("appended 2 right after it"),
        "{}",
        a.explanation
    );
    assert!(a.explanation.contains("contradiction"));
    assert!(a.detail_json()["dot"]
        .as_str()
        .unwrap()
        .starts_with("digraph"));
    assert_eq!(r.stats["not"], json!(["read-uncommitted"]));
}

#[test]
fn g1c_circular_information_flow() {
    let h = concurrent(&[
        T(1, OK, json!([["append", "x", 1], ["r", "y", [1]]])),
        T(2, OK, json!([["append", "y", 1], ["r", "x", [1]]])),
    ]);
    let r = la(&h);
    expect_only(&r, "G1c");
    let e = &r.anomalies[0].explanation;
    assert!(
        e.contains("T1 read x = [1], so it saw T0's append of 1 (wr)"),
        "{e}"
    );
}

#[test]
fn g_single_read_skew() {
    let h = concurrent(&[
        T(1, OK, json!([["append", "x", 1], ["append", "y", 1]])),
        T(2, OK, json!([["r", "x", [1]], ["r", "y", []]])),
    ]);
    let r = la(&h);
    expect_only(&r, "G-single-item");
    // Elle's name, with the family and variant beside it for whoever groups by Adya's classes.
    assert_eq!(r.anomalies[0].detail_json()["family"], json!("G-single"));
    assert_eq!(r.anomalies[0].detail_json()["variant"], json!("data"));
    assert!(r.stats["not"]
        .as_array()
        .unwrap()
        .contains(&json!("snapshot-isolation")));
    assert!(r.stats["possible"]
        .as_array()
        .unwrap()
        .contains(&json!("read-committed")));
}

#[test]
fn g_nonadjacent() {
    let h = concurrent(&[
        T(1, OK, json!([["r", "x", []], ["r", "w", [1]]])),
        T(2, OK, json!([["append", "x", 1], ["append", "y", 1]])),
        T(3, OK, json!([["r", "y", [1]], ["r", "z", []]])),
        T(4, OK, json!([["append", "z", 1], ["append", "w", 1]])),
    ]);
    expect_only(&la(&h), "G-nonadjacent-item");
}

#[test]
fn g2_item_write_skew() {
    let h = concurrent(&[
        T(1, OK, json!([["r", "x", []], ["append", "y", 1]])),
        T(2, OK, json!([["r", "y", []], ["append", "x", 1]])),
    ]);
    let r = la(&h);
    expect_only(&r, "G2-item");
    // Serializable forbids it; snapshot isolation allows write skew.
    let si = run(
        &h,
        Workload::ListAppend,
        &ElleOptions::with_models(&["snapshot-isolation".into()]).unwrap(),
    );
    assert_eq!(si.valid, Validity::Valid);
    assert_eq!(si.anomaly_types(), vec!["G2-item"]);
}

#[test]
fn session_and_realtime_variants() {
    // Process 1 appends x, then on the same process reads x without it: G-single needs the
    // process order (which real-time edges between one process's transactions do not repeat).
    let h = sequential(&[
        T(1, OK, json!([["append", "x", 1]])),
        T(1, OK, json!([["r", "x", []]])),
    ]);
    let r = la(&h);
    assert_eq!(r.anomaly_types(), vec!["G-single-item-process"]);
    assert_eq!(r.stats["not"], json!(["strong-session-snapshot-isolation"]));
    // Different processes: only the real-time order is broken.
    let h = sequential(&[
        T(1, OK, json!([["append", "x", 1]])),
        T(2, OK, json!([["r", "x", []]])),
    ]);
    let r = la(&h);
    assert_eq!(r.anomaly_types(), vec!["G-single-item-realtime"]);
    assert_eq!(r.valid, Validity::Invalid);
    let e = &r.anomalies[0].explanation;
    assert!(
        e.contains("completed at event 1 before T2 was invoked at event 2"),
        "{e}"
    );
    let ser = run(
        &h,
        Workload::ListAppend,
        &ElleOptions::with_models(&["serializable".into()]).unwrap(),
    );
    assert_eq!(ser.valid, Validity::Valid);
    // A write cycle closed by the process order.
    let h = sequential(&[
        T(1, OK, json!([["r", "x", [2]]])),
        T(1, OK, json!([["append", "x", 2]])),
    ]);
    assert_eq!(bases(&la(&h)), BTreeSet::from(["G1c".to_string()]));
}

#[test]
fn g1a_aborted_read() {
    let h = concurrent(&[
        T(1, OpType::Fail, json!([["append", "x", 1]])),
        T(2, OK, json!([["r", "x", [1]]])),
    ]);
    let r = la(&h);
    expect_only(&r, "G1a");
    assert!(r.anomalies[0].explanation.contains("failed"));
    assert_eq!(r.anomalies[0].ops, vec![0, 2, 1, 3]);
}

#[test]
fn g1b_intermediate_read() {
    let h = concurrent(&[
        T(1, OK, json!([["append", "x", 1], ["append", "x", 2]])),
        T(2, OK, json!([["r", "x", [1]]])),
    ]);
    expect_only(&la(&h), "G1b");
}

#[test]
fn internal_inconsistency() {
    let h = concurrent(&[T(1, OK, json!([["append", "x", 1], ["r", "x", []]]))]);
    expect_only(&la(&h), "internal");
    let h = concurrent(&[T(1, OK, json!([["r", "x", [5]], ["r", "x", []]]))]);
    expect_only(&la(&h), "internal");
}

#[test]
fn dirty_update_is_also_an_aborted_read() {
    // The only way to see an aborted append under a committed one is to read both, which is
    // itself an aborted read (Elle: dirty-update implies G1a).
    let h = concurrent(&[
        T(1, OpType::Fail, json!([["append", "x", 1]])),
        T(2, OK, json!([["append", "x", 2]])),
        T(3, OK, json!([["r", "x", [1, 2]]])),
    ]);
    let r = la(&h);
    assert_eq!(r.anomaly_types(), vec!["G1a", "dirty-update"]);
}

#[test]
fn duplicate_elements() {
    let h = concurrent(&[
        T(1, OK, json!([["append", "x", 1]])),
        T(2, OK, json!([["r", "x", [1, 1]]])),
    ]);
    expect_only(&la(&h), "duplicate-elements");
}

#[test]
fn incompatible_order() {
    let h = concurrent(&[
        T(1, OK, json!([["append", "x", 1]])),
        T(2, OK, json!([["append", "x", 2]])),
        T(3, OK, json!([["r", "x", [1, 2]]])),
        T(4, OK, json!([["r", "x", [2, 1]]])),
    ]);
    expect_only(&la(&h), "incompatible-order");
}

#[test]
fn lost_update() {
    let h = concurrent(&[T(1, OK, json!([["w", "x", 0]]))]);
    let _ = h;
    let h = sequential(&[T(1, OK, json!([["w", "x", 0]]))]);
    let mut ops = h.into_ops();
    for (i, p) in [(2u64, 2u64), (3, 3)] {
        let _ = (i, p);
    }
    // Both read x = 0 (after the first write completed) and both write x.
    let n = ops.len() as u64;
    ops.push(Op::new(
        n,
        2,
        OpType::Invoke,
        "txn",
        json!([["r", "x", null], ["w", "x", 1]]),
    ));
    ops.push(Op::new(
        n + 1,
        3,
        OpType::Invoke,
        "txn",
        json!([["r", "x", null], ["w", "x", 2]]),
    ));
    ops.push(Op::new(
        n + 2,
        2,
        OK,
        "txn",
        json!([["r", "x", 0], ["w", "x", 1]]),
    ));
    ops.push(Op::new(
        n + 3,
        3,
        OK,
        "txn",
        json!([["r", "x", 0], ["w", "x", 2]]),
    ));
    let h = History::new(ops).unwrap();
    let r = run(&h, Workload::RwRegister, &ElleOptions::default());
    expect_only(&r, "lost-update");
    assert!(
        r.anomalies[0].explanation.contains("T2, T3 all read x = 0"),
        "{}",
        r.anomalies[0].explanation
    );
    // Cursor stability forbids it; read committed does not.
    let rc = run(
        &h,
        Workload::RwRegister,
        &ElleOptions::with_models(&["read-committed".into()]).unwrap(),
    );
    assert_eq!(rc.valid, Validity::Valid);
}

#[test]
fn lost_update_in_list_append_is_also_a_cycle() {
    let h = concurrent(&[
        T(1, OK, json!([["r", "x", []], ["append", "x", 1]])),
        T(2, OK, json!([["r", "x", []], ["append", "x", 2]])),
    ]);
    let r = la(&h);
    assert!(r.anomaly_types().contains(&"lost-update".to_string()));
}

#[test]
fn future_read() {
    let h = concurrent(&[T(1, OK, json!([["r", "x", [1]], ["append", "x", 1]]))]);
    expect_only(&la(&h), "future-read");
    let h = concurrent(&[T(1, OK, json!([["r", "x", 1], ["w", "x", 1]]))]);
    expect_only(
        &run(&h, Workload::RwRegister, &ElleOptions::default()),
        "future-read",
    );
}

#[test]
fn cyclic_versions_under_sequential_keys() {
    let h = sequential(&[
        T(3, OK, json!([["w", "x", 1]])),
        T(4, OK, json!([["w", "x", 2]])),
        T(1, OK, json!([["r", "x", 1]])),
        T(2, OK, json!([["r", "x", 2]])),
        T(1, OK, json!([["r", "x", 2]])),
        T(2, OK, json!([["r", "x", 1]])),
    ]);
    let plain = run(
        &h,
        Workload::RwRegister,
        &ElleOptions::with_models(&["serializable".into()]).unwrap(),
    );
    assert!(plain.anomaly_types().is_empty(), "{plain:#?}");
    let mut o = ElleOptions::with_models(&["serializable".into()]).unwrap();
    o.assumptions = Assumptions {
        sequential_keys: true,
        ..Assumptions::default()
    };
    let r = run(&h, Workload::RwRegister, &o);
    assert!(
        r.anomaly_types().contains(&"cyclic-versions".to_string()),
        "{r:#?}"
    );
    assert_eq!(bases(&r).iter().filter(|b| !b.starts_with("G")).count(), 1);
}

#[test]
fn register_g_single_with_writes_follow_reads() {
    // T1 reads x = 1 and writes x = 2; T2 reads y = 5 ... T2 saw T1's write of y but missed
    // the version of x after the one it read.
    let h = concurrent(&[
        T(1, OK, json!([["w", "x", 1], ["w", "y", 1]])),
        T(2, OK, json!([["r", "x", 1], ["w", "x", 2], ["w", "y", 2]])),
        T(3, OK, json!([["r", "y", 2], ["r", "x", 1]])),
    ]);
    let mut o = ElleOptions::default();
    o.assumptions.writes_follow_reads = true;
    let r = run(&h, Workload::RwRegister, &o);
    expect_only(&r, "G-single-item");
    let e = &r.anomalies[0].explanation;
    assert!(
        e.contains("read x = 1, and T1 wrote x = 2, a later version"),
        "{e}"
    );
    assert!(e.contains("writes follow reads"), "{e}");
}

#[test]
fn reads_of_empty_lists_precede_appends_no_one_read() {
    // Like Elle issue 30: each transaction reads a key empty that the other appends to, and no
    // later read ever shows those appends.
    let h = concurrent(&[
        T(0, OK, json!([["r", 2, []], ["r", 3, []], ["append", 4, 0]])),
        T(
            1,
            OK,
            json!([["append", 3, 1], ["append", 2, 4], ["r", 4, []]]),
        ),
    ]);
    let r = run(
        &h,
        Workload::ListAppend,
        &ElleOptions::with_models(&["serializable".into()]).unwrap(),
    );
    expect_only(&r, "G2-item");
}

#[test]
fn the_elle_paper_example_is_invalid() {
    // Figure 1 of the Elle paper, one process.
    let h = sequential(&[
        T(
            1,
            OK,
            json!([
                ["append", 253, 1],
                ["append", 253, 3],
                ["append", 253, 4],
                ["append", 255, 2],
                ["append", 255, 3],
                ["append", 255, 4],
                ["append", 255, 5],
                ["append", 256, 1],
                ["append", 256, 2]
            ]),
        ),
        T(1, OK, json!([["append", 255, 8], ["r", 253, [1, 3, 4]]])),
        T(
            1,
            OK,
            json!([
                ["append", 256, 4],
                ["r", 255, [2, 3, 4, 5, 8]],
                ["r", 256, [1, 2, 4]],
                ["r", 253, [1, 3, 4]]
            ]),
        ),
        T(
            1,
            OK,
            json!([
                ["append", 250, 10],
                ["r", 253, [1, 3, 4]],
                ["r", 255, [2, 3, 4, 5]],
                ["append", 256, 3]
            ]),
        ),
    ]);
    let r = la(&h);
    assert_eq!(r.valid, Validity::Invalid);
    assert!(
        r.anomaly_types().iter().any(|t| t.starts_with("G-single")),
        "{:?}",
        r.anomaly_types()
    );
}

#[test]
fn unknown_models_are_refused_with_the_list() {
    let err = ElleOptions::with_models(&["linearizable-ish".into()]).unwrap_err();
    assert!(err.to_string().contains("strict-serializable"), "{err}");
}

#[test]
fn non_transactions_are_an_error_naming_the_event() {
    let h = History::new(vec![
        Op::new(0, 1, OpType::Invoke, "txn", json!([["append", "x", 1]])),
        Op::new(1, 1, OK, "txn", json!([["r", "x", 7]])),
    ])
    .unwrap();
    let err = check(&h, Workload::ListAppend, &ElleOptions::default()).unwrap_err();
    assert!(
        err.to_string().contains("event 1") && err.to_string().contains("list"),
        "{err}"
    );
}

#[test]
fn the_registry_runs_both_models() {
    let h = concurrent(&[
        T(1, OK, json!([["append", "x", 1]])),
        T(2, OK, json!([["r", "x", [1]]])),
    ]);
    let r = crate::registry::check("list-append", &h, &Default::default()).unwrap();
    assert_eq!(r.valid, Validity::Valid);
    let opts = CheckOptions {
        consistency_models: vec!["nonsense".into()],
        ..Default::default()
    };
    assert!(crate::registry::check("rw-register", &h, &opts).is_err());
}

fn all_models_hold(r: &CheckReport) {
    assert_eq!(r.valid, Validity::Valid, "{r:#?}");
    assert!(r.anomalies.is_empty(), "{:#?}", r.anomalies);
    assert_eq!(r.stats["not"], json!([]));
    assert_eq!(
        r.stats["possible"].as_array().unwrap().len(),
        super::models::MODELS.len()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn strict_serializable_list_append_histories_are_valid(
        seed in any::<u64>(), txns in 1usize..300, fail in 0.0f64..0.2, info in 0.0f64..0.2,
        keys in 1usize..6, per_key in 2usize..12,
    ) {
        let ops = generate(&ElleSynth {
            txns, fail_rate: fail, info_rate: info, active_keys: keys, writes_per_key: per_key,
            seed, ..ElleSynth::default()
        });
        let h = History::new(ops).unwrap();
        if let Some(r) = judged(&h, Workload::ListAppend, &ElleOptions::default()) {
            all_models_hold(&r);
        }
    }

    #[test]
    fn strict_serializable_register_histories_are_valid_under_every_assumption(
        seed in any::<u64>(), txns in 1usize..300, fail in 0.0f64..0.2, info in 0.0f64..0.2,
        keys in 1usize..6, per_key in 2usize..12,
    ) {
        let ops = generate(&ElleSynth {
            list_append: false, txns, fail_rate: fail, info_rate: info, active_keys: keys,
            writes_per_key: per_key, seed, ..ElleSynth::default()
        });
        let h = History::new(ops).unwrap();
        let mut o = ElleOptions::default();
        if let Some(r) = judged(&h, Workload::RwRegister, &o) {
            all_models_hold(&r);
        }
        o.assumptions = Assumptions {
            writes_follow_reads: true,
            sequential_keys: true,
            linearizable_keys: true,
        };
        if let Some(r) = judged(&h, Workload::RwRegister, &o) {
            all_models_hold(&r);
        }
    }
}

/// The streaming JSON Lines reader must reach the same verdict and anomalies as the History path.
fn same_through_the_stream(h: &History, w: Workload, o: &ElleOptions) {
    let mut jsonl = Vec::new();
    for op in h.ops() {
        serde_json::to_writer(&mut jsonl, op).unwrap();
        jsonl.push(b'\n');
    }
    let b = super::stream::check_jsonl(&jsonl[..], "test.jsonl", w, o);
    let Some(a) = judged(h, w, o) else {
        let err = b
            .expect_err("the stream judged what the history path did not")
            .to_string();
        assert!(err.contains("inferred no dependency"), "{err}");
        return;
    };
    let b = b.unwrap();
    assert_eq!(a.valid, b.valid);
    assert_eq!(a.anomaly_types(), b.anomaly_types());
    assert_eq!(a.stats["edges"], b.stats["edges"]);
    assert_eq!(a.stats["not"], b.stats["not"]);
}

#[test]
fn the_stream_reader_agrees_with_the_history_path() {
    let cases = [
        concurrent(&[
            T(1, OK, json!([["append", "x", 1], ["append", "y", 1]])),
            T(2, OK, json!([["append", "x", 2], ["append", "y", 2]])),
            T(3, OK, json!([["r", "x", [1, 2]], ["r", "y", [2, 1]]])),
        ]),
        concurrent(&[
            T(1, OpType::Fail, json!([["append", "x", 1]])),
            T(2, OK, json!([["append", "x", 2]])),
            T(3, OK, json!([["r", "x", [1, 2]]])),
            T(
                4,
                OpType::Info,
                json!([["append", "y", 1], ["r", "x", null]]),
            ),
        ]),
        sequential(&[
            T(1, OK, json!([["append", "x", 1]])),
            T(2, OK, json!([["r", "x", []]])),
        ]),
    ];
    for h in &cases {
        same_through_the_stream(h, Workload::ListAppend, &ElleOptions::default());
    }
    let regs = sequential(&[
        T(3, OK, json!([["w", "x", 1]])),
        T(1, OK, json!([["r", "x", 1], ["w", "x", 2]])),
        T(2, OK, json!([["r", "x", 1], ["w", "x", 3]])),
    ]);
    same_through_the_stream(&regs, Workload::RwRegister, &ElleOptions::default());
    let ops = generate(&ElleSynth {
        txns: 400,
        fail_rate: 0.05,
        info_rate: 0.05,
        seed: 3,
        ..ElleSynth::default()
    });
    same_through_the_stream(
        &History::new(ops).unwrap(),
        Workload::ListAppend,
        &ElleOptions::default(),
    );
}

/// Every benchmark shape (many retired keys whose elements restart at 1, long lists, long
/// transactions, process churn from `info`): valid as generated, the same through both readers,
/// and with anomalies planted among thousands of transactions, exactly those are found.
#[test]
fn every_list_append_shape_is_valid_and_planted_anomalies_are_found_in_it() {
    use crate::synth::append_shapes::{write_history, Planted, SHAPES};
    for shape in SHAPES {
        for plant in [&[][..], Planted::ALL] {
            let mut jsonl = Vec::new();
            write_history(shape, 3000, 11, plant, &mut jsonl).unwrap();
            let o = ElleOptions::default();
            let r = super::stream::check_jsonl(&jsonl[..], "shape.jsonl", Workload::ListAppend, &o)
                .unwrap();
            let ops: Vec<Op> = jsonl
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .map(|l| serde_json::from_slice(l).unwrap())
                .collect();
            same_through_the_stream(&History::new(ops).unwrap(), Workload::ListAppend, &o);
            let found = r.anomaly_types();
            if plant.is_empty() {
                assert_eq!(r.valid, Validity::Valid, "{}: {found:?}", shape.name);
                continue;
            }
            assert_eq!(r.valid, Validity::Invalid, "{}", shape.name);
            for p in plant {
                assert!(
                    found.iter().any(|k| k.starts_with(p.name())),
                    "{}: {} not in {found:?}",
                    shape.name,
                    p.name()
                );
            }
            assert!(
                found
                    .iter()
                    .all(|k| plant.iter().any(|p| k.starts_with(p.name()))),
                "{}: unexpected {found:?}",
                shape.name
            );
        }
    }
}

#[test]
fn the_stream_reader_ignores_a_torn_last_line_and_names_a_bad_one() {
    let good = "{\"index\":0,\"process\":1,\"type\":\"invoke\",\"f\":\"txn\",\"value\":[[\"append\",\"x\",1]]}\n\
                {\"index\":1,\"process\":1,\"type\":\"ok\",\"f\":\"txn\",\"value\":[[\"append\",\"x\",1]]}\n\
                {\"index\":2,\"process\":2,\"type\":\"invoke\",\"f\":\"txn\",\"value\":[[\"r\",\"x\",null]]}\n\
                {\"index\":3,\"process\":2,\"type\":\"ok\",\"f\":\"txn\",\"value\":[[\"r\",\"x\",[1]]]}\n";
    let torn = format!("{good}{{\"index\":4,\"proc");
    let r = super::stream::check_jsonl(
        torn.as_bytes(),
        "h.jsonl",
        Workload::ListAppend,
        &ElleOptions::default(),
    )
    .unwrap();
    assert_eq!(r.valid, Validity::Valid);
    assert!(
        r.warnings.iter().any(|w| w.contains("torn")),
        "{:?}",
        r.warnings
    );
    let bad = format!("{{\"index\":0,\"pro\n{good}");
    let err = super::stream::check_jsonl(
        bad.as_bytes(),
        "h.jsonl",
        Workload::ListAppend,
        &ElleOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().starts_with("h.jsonl:1:"), "{err}");
}

/// A ring of `n` transactions, each reading its key empty while the previous one appends to it:
/// one G2-item cycle through all of them (every edge rw, all adjacent).
fn rw_ring(n: u64) -> History {
    let txns: Vec<T> = (0..n)
        .map(|i| T(i, OK, json!([["r", i, []], ["append", (i + 1) % n, 1]])))
        .collect();
    concurrent(&txns)
}

#[test]
fn a_component_that_outlasts_its_time_budget_is_unknown_not_valid() {
    let h = rw_ring(3000);
    let mut o = ElleOptions::with_models(&["serializable".into()]).unwrap();
    let full = run(&h, Workload::ListAppend, &o);
    assert_eq!(full.anomaly_types(), vec!["G2-item"]);
    // Found, but proving no shorter one exists would take 3000 searches of 3000 steps: the
    // minimality search gives up and says so.
    let e = &full.anomalies[0].explanation;
    assert!(
        e.starts_with("G2-item cycle of 3000 transactions (the search budget ran out"),
        "{e}"
    );
    assert_eq!(full.anomalies[0].detail_json()["shortest"], json!(false));
    o.component_time_limit = Some(std::time::Duration::ZERO);
    let cut = run(&h, Workload::ListAppend, &o);
    assert_eq!(cut.valid, Validity::Unknown, "{:?}", cut.anomaly_types());
    assert!(cut
        .unknown_reason
        .as_deref()
        .unwrap_or("")
        .contains("time budget"));
    assert!(cut.stats["undecided"]
        .as_array()
        .is_some_and(|u| !u.is_empty()));
    // The overall budget (`--time-limit`) also stops a search inside a component.
    o.component_time_limit = None;
    o.budget = crate::Budget::with_time_limit(std::time::Duration::ZERO);
    let cut = run(&h, Workload::ListAppend, &o);
    assert_eq!(cut.valid, Validity::Unknown);
    let reason = cut.unknown_reason.as_deref().unwrap_or("");
    assert!(reason.contains("time limit"), "{reason}");
}

#[test]
fn linearizable_keys_order_versions_by_real_time() {
    // T1 writes x = 1 and completes; T2 then reads x = nil: nil precedes 1 (initial state), and
    // with linearizable keys 1 precedes what T2 saw: a cycle of versions.
    let h = sequential(&[
        T(1, OK, json!([["w", "x", 1]])),
        T(2, OK, json!([["r", "x", null]])),
    ]);
    let mut o = ElleOptions::with_models(&["serializable".into()]).unwrap();
    let plain = run(&h, Workload::RwRegister, &o);
    assert_eq!(plain.anomaly_types(), vec!["G-single-item-realtime"]);
    o.assumptions.linearizable_keys = true;
    let r = run(&h, Workload::RwRegister, &o);
    assert!(
        r.anomaly_types().contains(&"cyclic-versions".to_string()),
        "{r:#?}"
    );
    // A stale read after a newer write completed: 1 then 2 by real time, then T3 reads 1 — so
    // 2 must also precede 1.
    let h = sequential(&[
        T(1, OK, json!([["w", "x", 1]])),
        T(2, OK, json!([["w", "x", 2]])),
        T(3, OK, json!([["r", "x", 1]])),
    ]);
    let r = run(&h, Workload::RwRegister, &o);
    assert_eq!(r.valid, Validity::Invalid, "{r:#?}");
    assert_eq!(r.anomaly_types(), vec!["cyclic-versions"]);
    let e = &r.anomalies[0].explanation;
    assert!(e.contains("1 → 2 → 1") || e.contains("2 → 1 → 2"), "{e}");
}

/// A transaction for brute force: micro-ops, whether its reads must match, and its invocation
/// and completion positions (completion `usize::MAX` when it never completed or ended `info`).
type Brute = (Vec<crate::history::txn::MicroOp>, bool, usize, usize);

/// Brute force: is there a serial order of the committed transactions (plus any subset of the
/// indeterminate ones) under which every committed read returns what it returned — and, when
/// `realtime`, in which no transaction comes before one that completed before it was invoked?
fn serializable_by_brute_force(h: &History, realtime: bool) -> bool {
    use crate::history::txn::{parse_txn, MicroKind};
    let mut must: Vec<Brute> = Vec::new();
    let mut may: Vec<Brute> = Vec::new();
    for p in h.pairs() {
        let mops = parse_txn(h.value(p)).unwrap();
        let done = match (p.outcome, p.complete) {
            (OpType::Ok, Some(c)) => c,
            _ => usize::MAX,
        };
        match p.outcome {
            OpType::Ok => must.push((mops, true, p.invoke, done)),
            OpType::Info => may.push((mops, false, p.invoke, done)),
            _ => {}
        }
    }
    let run_order = |order: &[&Brute]| -> bool {
        if realtime {
            for (i, a) in order.iter().enumerate() {
                if order[i + 1..].iter().any(|b| b.3 < a.2) {
                    return false;
                }
            }
        }
        let mut db: std::collections::HashMap<String, Vec<Value>> = Default::default();
        for (mops, check_reads, _, _) in order {
            for m in mops {
                let list = db.entry(m.key.to_string()).or_default();
                match m.kind {
                    MicroKind::Append | MicroKind::Write => list.push(m.value.clone()),
                    MicroKind::Read if *check_reads => {
                        let ok = match &m.value {
                            Value::Array(got) => got == list,
                            // A register read: the last value written (nil before any).
                            v => list.last().unwrap_or(&Value::Null) == v,
                        };
                        if !ok {
                            return false;
                        }
                    }
                    _ => {}
                }
            }
        }
        true
    };
    fn permute<'a>(items: &mut Vec<&'a Brute>, k: usize, run: &dyn Fn(&[&Brute]) -> bool) -> bool {
        if k == items.len() {
            return run(items);
        }
        for i in k..items.len() {
            items.swap(k, i);
            if permute(items, k + 1, run) {
                return true;
            }
            items.swap(k, i);
        }
        false
    }
    for subset in 0..(1u32 << may.len()) {
        let mut items: Vec<&Brute> = must.iter().collect();
        items.extend(
            may.iter()
                .enumerate()
                .filter(|(i, _)| subset & (1 << i) != 0)
                .map(|(_, t)| t),
        );
        if permute(&mut items, 0, &run_order) {
            return true;
        }
    }
    false
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// On small histories with planted stale reads, "serializable" and "strict-serializable"
    /// agree with brute force over every serial order.
    #[test]
    fn verdicts_agree_with_brute_force(
        seed in any::<u64>(), txns in 1usize..7, clients in 2usize..5, max_ops in 1usize..4,
        stale in 0.0f64..0.6, fail in 0.0f64..0.2, info in 0.0f64..0.25, keys in 1usize..4,
    ) {
        let ops = generate(&ElleSynth {
            txns, clients, max_ops, active_keys: keys, writes_per_key: 100,
            stale_read_rate: stale, fail_rate: fail, info_rate: info, seed, ..ElleSynth::default()
        });
        let h = History::new(ops).unwrap();
        for (model, realtime) in [("serializable", false), ("strict-serializable", true)] {
            let o = ElleOptions::with_models(&[model.into()]).unwrap();
            let brute = serializable_by_brute_force(&h, realtime);
            match judged(&h, Workload::ListAppend, &o) {
                Some(r) => prop_assert_eq!(
                    r.valid == Validity::Valid, brute, "{}: {:#?}\n{:#?}", model, h.ops(), r
                ),
                // No dependency inferred: nothing forbids any serial order.
                None => prop_assert!(brute, "{}: no dependencies but {:#?}", model, h.ops()),
            }
        }
    }

    /// Register histories: whatever the checker calls invalid (under every assumption, which a
    /// strict-serializable database keeps) has no valid serial order. (The converse does not hold:
    /// without a full version order some violations stay invisible, as in Elle.)
    #[test]
    fn register_anomalies_are_real(
        seed in any::<u64>(), txns in 1usize..7, clients in 2usize..5, max_ops in 1usize..4,
        stale in 0.0f64..0.6, fail in 0.0f64..0.2, info in 0.0f64..0.25, keys in 1usize..4,
    ) {
        let ops = generate(&ElleSynth {
            list_append: false, txns, clients, max_ops, active_keys: keys, writes_per_key: 100,
            stale_read_rate: stale, fail_rate: fail, info_rate: info, seed, ..ElleSynth::default()
        });
        let h = History::new(ops).unwrap();
        let o = ElleOptions {
            assumptions: Assumptions {
                writes_follow_reads: true,
                sequential_keys: true,
                linearizable_keys: true,
            },
            ..ElleOptions::default()
        };
        if let Some(r) = judged(&h, Workload::RwRegister, &o) {
            if r.valid == Validity::Invalid {
                prop_assert!(!serializable_by_brute_force(&h, true), "{:#?}\n{:#?}", h.ops(), r);
            }
        }
    }
}

#[test]
fn cycles_come_with_dot_that_graphviz_renders_when_installed() {
    let h = concurrent(&[
        T(
            1,
            OK,
            json!([["append", "x", 1], ["append", "y", "a \"quoted\" value"]]),
        ),
        T(2, OK, json!([["r", "x", [1]], ["r", "y", []]])),
    ]);
    let o = ElleOptions {
        svg: true,
        ..ElleOptions::default()
    };
    let r = run(&h, Workload::ListAppend, &o);
    let detail = r.anomalies[0].detail_json();
    let dot = detail["dot"].as_str().unwrap();
    assert!(
        dot.contains("t1 -> t0 [label=\"rw y\"") || dot.contains("t0 -> t1"),
        "{dot}"
    );
    let installed = std::process::Command::new("dot").arg("-V").output().is_ok();
    match detail.get("svg") {
        Some(svg) => assert!(svg.as_str().unwrap().contains("<svg")),
        None => assert!(!installed, "dot is installed but gave no SVG for:\n{dot}"),
    }
}

/// A history from events in the given order: `(process, type, completed value)`; invocations
/// get the value with reads blanked.
fn timeline(events: &[(u64, OpType, Value)]) -> History {
    let ops = events
        .iter()
        .enumerate()
        .map(|(i, (p, kind, v))| {
            let v = if *kind == OpType::Invoke {
                invocation(v)
            } else {
                v.clone()
            };
            Op::new(i as u64, *p, *kind, "txn", v)
        })
        .collect();
    History::new(ops).unwrap()
}

const INV: OpType = OpType::Invoke;

#[test]
fn every_cycle_kind_has_session_and_realtime_variants() {
    // Each case: a cycle closed by the order of `a` then `b` — on one process (`-process`) or on
    // two processes one after the other (`-realtime`) — while the other transactions span the
    // whole history (no order with anyone).
    type Case = (&'static str, Value, Value, Vec<Value>);
    let cases: Vec<Case> = vec![
        // a appends x 2, b appends x 1, a reader shows [1 2]: ww b -> a.
        (
            "G0",
            json!([["append", "x", 2]]),
            json!([["append", "x", 1]]),
            vec![json!([["r", "x", [1, 2]]])],
        ),
        // a read x = [1] that b appends later: wr b -> a.
        (
            "G1c",
            json!([["r", "x", [1]]]),
            json!([["append", "x", 1]]),
            vec![],
        ),
        // b read x = [] though a appended to it: rw b -> a.
        (
            "G-single-item",
            json!([["append", "x", 1]]),
            json!([["r", "x", []]]),
            vec![],
        ),
        // b -rw-> c -wr-> d -rw-> a, closed by a before b.
        (
            "G-nonadjacent-item",
            json!([["append", "z", 1]]),
            json!([["r", "x", []]]),
            vec![
                json!([["append", "x", 1], ["append", "y", 1]]),
                json!([["r", "y", [1]], ["r", "z", []]]),
            ],
        ),
        // b -rw-> c -rw-> a, closed by a before b.
        (
            "G2-item",
            json!([["append", "y", 1]]),
            json!([["r", "x", []]]),
            vec![json!([["append", "x", 1], ["r", "y", []]])],
        ),
    ];
    for (base, a, b, others) in cases {
        for (variant, pb) in [("process", 1u64), ("realtime", 2u64)] {
            let mut ev: Vec<(u64, OpType, Value)> = Vec::new();
            for (i, o) in others.iter().enumerate() {
                ev.push((10 + i as u64, INV, o.clone()));
            }
            ev.push((1, INV, a.clone()));
            ev.push((1, OK, a.clone()));
            ev.push((pb, INV, b.clone()));
            ev.push((pb, OK, b.clone()));
            for (i, o) in others.iter().enumerate() {
                ev.push((10 + i as u64, OK, o.clone()));
            }
            let r = la(&timeline(&ev));
            let want = format!("{base}-{variant}");
            assert_eq!(r.anomaly_types(), vec![want.clone()], "{want}: {r:#?}");
            assert_eq!(r.valid, Validity::Invalid, "{want}");
        }
    }
}

/// The check keeps no reason per edge; the reasons of the edges in the cycles it explains come
/// from a second inference. They must be what the full inference gave each edge first, and
/// every data edge of an explained cycle must have one.
#[test]
fn reasons_found_on_demand_are_those_of_the_full_inference() {
    use super::graph::NONE;
    use crate::verdict::AnomalyDetail;
    let ops = generate(&ElleSynth {
        txns: 400,
        stale_read_rate: 0.05,
        fail_rate: 0.05,
        info_rate: 0.05,
        seed: 9,
        ..ElleSynth::default()
    });
    let h = History::new(ops).unwrap();
    let txns = super::txns::Txns::collect(&h, Workload::ListAppend).unwrap();
    let full = super::list_append::infer(&txns);
    let mut first = std::collections::BTreeMap::new();
    for e in 0..full.edges.len() {
        let why = full.edges.why[e];
        assert_ne!(why, NONE, "every data edge has a reason");
        first
            .entry((full.edges.from[e], full.edges.to[e], full.edges.kind[e]))
            .or_insert(full.edges.reasons[why as usize]);
    }
    assert!(first.len() > 100);
    let found = super::list_append::reasons_for(&txns, first.keys().copied());
    assert_eq!(found.len(), first.len());
    for (edge, reason) in &first {
        assert_eq!(found[edge], *reason, "{edge:?}");
    }
    let r = la(&h);
    assert_eq!(r.valid, Validity::Invalid);
    let mut explained = 0;
    for a in &r.anomalies {
        let Some(AnomalyDetail::Cycle(c)) = &a.detail else {
            continue;
        };
        for e in c
            .cycle
            .iter()
            .filter(|e| ["ww", "wr", "rw"].contains(&&*e.edge))
        {
            assert!(e.key.is_some(), "{}: {} has no reason", a.kind, e.why);
            explained += 1;
        }
    }
    assert!(explained > 0, "{r:#?}");
}

/// Reads of one key that disagree are kept apart from the key's shared list, through both
/// readers, and still reported.
#[test]
fn disagreeing_reads_of_one_key_keep_their_own_elements() {
    let h = concurrent(&[
        T(1, OK, json!([["append", "x", 1]])),
        T(2, OK, json!([["append", "x", 2]])),
        T(3, OK, json!([["r", "x", [1]]])),
        T(4, OK, json!([["r", "x", [1, 2]]])),
        T(5, OK, json!([["r", "x", [2, 1]]])),
        T(6, OK, json!([["r", "x", [2]]])),
    ]);
    let r = la(&h);
    expect_only(&r, "incompatible-order");
    // The order is T4's read (of the shared list), the first read against it T5's (its own).
    let text: String = r.anomalies.iter().map(|a| a.explanation.clone()).collect();
    assert!(text.contains("[2 1]") && text.contains("[1 2]"), "{text}");
    same_through_the_stream(&h, Workload::ListAppend, &ElleOptions::default());
}

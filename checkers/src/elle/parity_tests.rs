//! Hand-built histories for what someone moving from Elle expects: Elle's anomaly names, no
//! verdict over a history from which no dependency can be inferred (Elle's "empty transaction
//! graph"), on both readers, and the rw-register assumptions as registry options.

use serde_json::json;

use super::stream::{check_jsonl, JsonlError};
use super::tests::{concurrent, sequential, T};
use super::{check, ElleOptions, Workload};
use crate::options::{Assumptions, CheckError, CheckOptions};
use crate::{registry, History, OpType, SkippedOps, Validity};

const OK: OpType = OpType::Ok;
const FAIL: OpType = OpType::Fail;

fn jsonl(h: &History) -> Vec<u8> {
    let mut out = Vec::new();
    for op in h.ops() {
        serde_json::to_writer(&mut out, op).unwrap();
        out.push(b'\n');
    }
    out
}

/// Both readers (the `History` path and the JSON Lines stream) on `h`; each must refuse it as
/// "no dependencies", with the counts given.
fn no_dependencies_on_both_paths(h: &History, models: &[&str], txns: usize, committed: usize) {
    let o = ElleOptions::with_models(&models.iter().map(|m| m.to_string()).collect::<Vec<_>>())
        .unwrap();
    let err = check(h, Workload::ListAppend, &o).unwrap_err();
    match &err {
        CheckError::NoDependencies {
            txns: t,
            committed: c,
            ..
        } => assert_eq!((*t, *c), (txns, committed), "{err}"),
        other => panic!("expected no dependencies, got {other}"),
    }
    assert!(err.to_string().contains("empty transaction graph"), "{err}");
    let streamed = check_jsonl(&jsonl(h)[..], "h.jsonl", Workload::ListAppend, &o).unwrap_err();
    assert!(
        matches!(
            streamed,
            JsonlError::Check(CheckError::NoDependencies { .. })
        ),
        "{streamed}"
    );
}

#[test]
fn a_single_failed_append_is_no_verdict() {
    let h = concurrent(&[T(1, FAIL, json!([["append", "x", 1]]))]);
    no_dependencies_on_both_paths(&h, &[], 1, 0);
}

#[test]
fn a_read_of_a_key_only_an_aborted_transaction_wrote_is_no_verdict() {
    // T2's only read is of x, which only the failed T1 wrote; it saw nothing of it.
    let h = concurrent(&[
        T(1, FAIL, json!([["append", "x", 1]])),
        T(2, OK, json!([["r", "x", []]])),
    ]);
    no_dependencies_on_both_paths(&h, &[], 2, 1);
    // Had it seen the aborted write, that is an aborted read: a verdict, not nothing.
    let h = concurrent(&[
        T(1, FAIL, json!([["append", "x", 1]])),
        T(2, OK, json!([["r", "x", [1]]])),
    ]);
    let r = check(&h, Workload::ListAppend, &ElleOptions::default()).unwrap();
    assert_eq!(r.valid, Validity::Invalid);
    assert_eq!(r.anomaly_types(), vec!["G1a"]);
}

#[test]
fn one_committed_write_alone_is_no_verdict() {
    let h = concurrent(&[T(1, OK, json!([["append", "x", 1], ["append", "y", 2]]))]);
    no_dependencies_on_both_paths(&h, &[], 1, 1);
}

#[test]
fn order_edges_count_only_when_a_requested_model_needs_them() {
    // Two unrelated transactions, one after the other: only the real-time order relates them.
    let h = sequential(&[
        T(1, OK, json!([["append", "x", 1]])),
        T(2, OK, json!([["append", "y", 1]])),
    ]);
    // Strict serializability forbids cycles through real-time order, so that order is judged.
    let r = check(&h, Workload::ListAppend, &ElleOptions::default()).unwrap();
    assert_eq!(r.valid, Validity::Valid);
    // Serializability does not look at it: nothing is left to judge (as Elle, which adds the
    // real-time graph only for models that need it).
    no_dependencies_on_both_paths(&h, &["serializable"], 2, 2);
    let err = check(
        &h,
        Workload::ListAppend,
        &ElleOptions::with_models(&["serializable".into()]).unwrap(),
    )
    .unwrap_err();
    assert!(!err.to_string().contains("real-time"), "{err}");
}

#[test]
fn a_forbidden_anomaly_without_dependencies_is_still_a_verdict() {
    // One transaction contradicting itself: no edge at all, but an internal anomaly.
    let h = concurrent(&[T(1, OK, json!([["append", "x", 1], ["r", "x", []]]))]);
    let r = check(&h, Workload::ListAppend, &ElleOptions::default()).unwrap();
    assert_eq!(r.valid, Validity::Invalid);
    assert_eq!(r.anomaly_types(), vec!["internal"]);
}

#[test]
fn an_empty_history_is_not_refused() {
    // There was nothing to judge (the registry's rule for every model); not "nothing inferred".
    let r = check(
        &History::default(),
        Workload::ListAppend,
        &ElleOptions::default(),
    )
    .unwrap();
    assert_eq!(r.valid, Validity::Valid);
}

#[test]
fn the_registry_and_run_see_no_dependencies_as_an_error() {
    for (model, write) in [("list-append", "append"), ("rw-register", "w")] {
        let h = concurrent(&[T(1, FAIL, json!([[write, "x", 1]]))]);
        let err = registry::check(model, &h, &CheckOptions::default()).unwrap_err();
        assert!(
            err.to_string()
                .starts_with(&format!("model {model} inferred no dependency")),
            "{err}"
        );
    }
}

/// A Porcupine-style key-value history: operations no transactional checker judges.
fn kv_lines() -> String {
    [
        r#"{"index":0,"process":0,"type":"invoke","f":"put","key":"k","value":"a"}"#,
        r#"{"index":1,"process":0,"type":"ok","f":"put","key":"k","value":"a"}"#,
        r#"{"index":2,"process":1,"type":"invoke","f":"get","key":"k","value":null}"#,
        r#"{"index":3,"process":1,"type":"ok","f":"get","key":"k","value":"a"}"#,
        r#"{"index":4,"process":1,"type":"invoke","f":"get","key":"k","value":null}"#,
        r#"{"index":5,"process":1,"type":"ok","f":"get","key":"k","value":"a"}"#,
    ]
    .join("\n")
        + "\n"
}

#[test]
fn the_stream_never_judges_a_history_of_nothing_it_reads() {
    for w in [Workload::ListAppend, Workload::RwRegister] {
        let err = check_jsonl(
            kv_lines().as_bytes(),
            "kv.jsonl",
            w,
            &ElleOptions::default(),
        )
        .unwrap_err();
        let JsonlError::Check(CheckError::NothingJudged { found, .. }) = &err else {
            panic!("{}: {err}", w.name());
        };
        assert_eq!(found, &[("get".to_string(), 2), ("put".to_string(), 1)]);
        assert!(err.to_string().contains("kv"), "{err}");
    }
}

#[test]
fn the_stream_lists_the_kinds_it_skipped() {
    let txns = concat!(
        r#"{"index":6,"process":2,"type":"invoke","f":"txn","value":[["append","x",1]]}"#,
        "\n",
        r#"{"index":7,"process":2,"type":"ok","f":"txn","value":[["append","x",1]]}"#,
        "\n",
        r#"{"index":8,"process":3,"type":"invoke","f":"txn","value":[["r","x",null]]}"#,
        "\n",
        r#"{"index":9,"process":3,"type":"ok","f":"txn","value":[["r","x",[1]]]}"#,
        "\n",
    );
    let mixed = format!("{}{txns}", kv_lines());
    let r = check_jsonl(
        mixed.as_bytes(),
        "mixed.jsonl",
        Workload::ListAppend,
        &ElleOptions::default(),
    )
    .unwrap();
    assert_eq!(r.valid, Validity::Valid);
    assert_eq!(
        r.skipped_ops,
        [
            SkippedOps {
                f: "get".into(),
                count: 2
            },
            SkippedOps {
                f: "put".into(),
                count: 1
            }
        ]
    );
}

/// T1 writes x = 1 and completes; T2 then reads x = nil. Plain inference sees a real-time
/// G-single; with linearizable keys, 1 must precede what T2 saw: a cycle of versions.
fn stale_register_read() -> History {
    sequential(&[
        T(1, OK, json!([["w", "x", 1]])),
        T(2, OK, json!([["r", "x", null]])),
    ])
}

#[test]
fn assumptions_reach_the_checker_through_the_registry_and_the_stream() {
    let h = stale_register_read();
    let plain = registry::check("rw-register", &h, &CheckOptions::default()).unwrap();
    assert_eq!(plain.anomaly_types(), vec!["G-single-item-realtime"]);
    let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let assumed = CheckOptions {
        assumptions: Assumptions::from_names(&names(&["linearizable-keys"])).unwrap(),
        ..CheckOptions::default()
    };
    let r = registry::check("rw-register", &h, &assumed).unwrap();
    assert!(
        r.anomaly_types().contains(&"cyclic-versions".to_string()),
        "{:?}",
        r.anomaly_types()
    );
    let checker = registry::by_name("rw-register").unwrap();
    let bytes = jsonl(&h);
    let streamed = checker
        .check_jsonl(&mut &bytes[..], "h.jsonl", &assumed)
        .unwrap();
    assert_eq!(streamed.anomaly_types(), r.anomaly_types());
    // List-append reads show each key's whole order: an assumption there is a mistake.
    let err = registry::check("list-append", &h, &assumed).unwrap_err();
    assert!(
        matches!(&err, CheckError::BadOption { option, .. } if option == "--assume"),
        "{err}"
    );
}

#[test]
fn assumption_names_are_elles() {
    let all = Assumptions::from_names(
        &Assumptions::NAMES
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>(),
    )
    .unwrap();
    assert_eq!(
        all,
        Assumptions {
            writes_follow_reads: true,
            sequential_keys: true,
            linearizable_keys: true,
        }
    );
    let err = Assumptions::from_names(&["wfr".to_string()]).unwrap_err();
    assert!(err.to_string().contains("wfr-keys"), "{err}");
    assert!(!Assumptions::default().any() && all.any());
}

#[test]
fn cycles_carry_elles_names_and_their_family() {
    // One process appends x, then reads x without it: a G-single over items, needing the
    // process order.
    let h = sequential(&[
        T(1, OK, json!([["append", "x", 1]])),
        T(1, OK, json!([["r", "x", []]])),
    ]);
    let r = check(&h, Workload::ListAppend, &ElleOptions::default()).unwrap();
    assert_eq!(r.anomaly_types(), vec!["G-single-item-process"]);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["anomalies"][0]["detail"]["family"], json!("G-single"));
    assert_eq!(json["anomalies"][0]["detail"]["variant"], json!("process"));
    assert_eq!(
        json["stats"]["anomaly-counts"],
        json!({"G-single-item-process": 1})
    );
}

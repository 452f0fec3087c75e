//! One small history per anomaly, each checked for the exact anomaly type and the events named.

use serde_json::json;

use super::Builder;
use crate::{OpType, Validity};

/// The issue's example: A appends 1 to x; B reads x = [1] then appends 1 to y; C reads y = [1] and,
/// in a later transaction, x = [] — C saw B's write but missed its cause.
fn issue_example_across_transactions() -> Builder {
    Builder::default()
        .txn(0, json!([["append", "x", 1]]))
        .txn(1, json!([["r", "x", [1]], ["append", "y", 1]]))
        .txn(2, json!([["r", "y", [1]]]))
        .txn(2, json!([["r", "x", []]]))
}

#[test]
fn issue_example_across_transactions_is_a_missed_cause() {
    let report = issue_example_across_transactions().check();
    assert_eq!(report.valid, Validity::Invalid);
    assert_eq!(report.anomaly_types(), vec!["missed-cause"]);
    let a = &report.anomalies[0];
    // The chain: A (event 1) -wr-> B (event 3) -wr-> C's first txn (event 5) -session-> event 7.
    assert_eq!(a.ops, vec![1, 3, 5, 7]);
    assert_eq!(a.detail_json()["missed"][0]["event"], 1);
    assert_eq!(a.detail_json()["chain"].as_array().unwrap().len(), 3);
    assert!(
        a.explanation.contains("without the append of 1 to \"x\""),
        "{}",
        a.explanation
    );
}

#[test]
fn issue_example_is_no_single_session_guarantee_violation() {
    // No one of Terry's guarantees sees a chain that long: each alone accepts the history.
    for model in [
        "read-your-writes",
        "monotonic-reads",
        "monotonic-writes",
        "writes-follow-reads",
    ] {
        let report = issue_example_across_transactions().check_models(&[model]);
        assert_eq!(
            report.valid,
            Validity::Valid,
            "{model}: {:?}",
            report.anomalies
        );
    }
}

#[test]
fn issue_example_within_one_transaction_is_caught() {
    let report = Builder::default()
        .txn(0, json!([["append", "x", 1]]))
        .txn(1, json!([["r", "x", [1]], ["append", "y", 1]]))
        .txn(2, json!([["r", "y", [1]], ["r", "x", []]]))
        .check();
    assert_eq!(report.valid, Validity::Invalid);
    // C read B's write and B had read A's: writes-follow-reads.
    assert_eq!(report.anomaly_types(), vec!["writes-follow-reads"]);
    assert_eq!(report.anomalies[0].ops, vec![1, 3, 5]);
}

#[test]
fn read_your_writes() {
    let report = Builder::default()
        .txn(0, json!([["append", "x", 1]]))
        .txn(0, json!([["r", "x", []]]))
        .check();
    assert_eq!(report.anomaly_types(), vec!["read-your-writes"]);
    let only = Builder::default()
        .txn(0, json!([["append", "x", 1]]))
        .txn(0, json!([["r", "x", []]]))
        .check_models(&["read-your-writes"]);
    assert_eq!(only.valid, Validity::Invalid);
}

#[test]
fn monotonic_reads() {
    let report = Builder::default()
        .txn(0, json!([["append", "x", 1]]))
        .txn(1, json!([["r", "x", [1]]]))
        .txn(1, json!([["r", "x", []]]))
        .check();
    assert_eq!(report.anomaly_types(), vec!["monotonic-reads"]);
    assert_eq!(
        report.anomalies[0].detail_json()["guarantees"],
        json!(["monotonic-reads"])
    );
}

#[test]
fn monotonic_writes() {
    let report = Builder::default()
        .txn(0, json!([["append", "x", 1]]))
        .txn(0, json!([["append", "y", 2]]))
        .txn(1, json!([["r", "y", [2]], ["r", "x", []]]))
        .check();
    assert_eq!(report.anomaly_types(), vec!["monotonic-writes"]);
    assert_eq!(report.anomalies[0].ops, vec![1, 3, 5]);
}

#[test]
fn writes_follow_reads_across_transactions_of_the_writer() {
    let report = Builder::default()
        .txn(0, json!([["append", "x", 1]]))
        .txn(1, json!([["r", "x", [1]]]))
        .txn(1, json!([["append", "y", 2]]))
        .txn(2, json!([["r", "y", [2]], ["r", "x", []]]))
        .check_models(&["writes-follow-reads"]);
    assert_eq!(report.anomaly_types(), vec!["writes-follow-reads"]);
}

#[test]
fn register_monotonic_reads_and_stale_initial_read() {
    let report = Builder::default()
        .txn(0, json!([["w", "x", 1]]))
        .txn(0, json!([["w", "x", 2]]))
        .txn(1, json!([["r", "x", 2]]))
        .txn(1, json!([["r", "x", 1]]))
        .check();
    assert_eq!(report.anomaly_types(), vec!["monotonic-reads"]);
    assert!(report.anomalies[0].explanation.contains("overwrote it"));
    let init = Builder::default()
        .txn(0, json!([["w", "x", 1]]))
        .txn(0, json!([["r", "x", null]]))
        .check();
    assert_eq!(init.anomaly_types(), vec!["read-your-writes"]);
}

#[test]
fn plain_keyed_registers_catch_the_issue_example() {
    let report = Builder::default()
        .op(0, "write", "x", json!(1))
        .op(1, "read", "x", json!(1))
        .op(1, "write", "y", json!(1))
        .op(2, "read", "y", json!(1))
        .op(2, "read", "x", json!(null))
        .check();
    // B's write of y follows its read of x in B's session: writes-follow-reads does not apply to
    // C's second read (it read nothing from B), so it is the general rule.
    assert_eq!(report.anomaly_types(), vec!["missed-cause"]);
    assert_eq!(report.stats["shape"], "rw-register");
}

#[test]
fn cas_is_a_read_and_a_write() {
    let report = Builder::default()
        .op(0, "write", "x", json!(1))
        .op(1, "cas", "x", json!([1, 2]))
        .op(1, "read", "x", json!(1))
        .check();
    assert_eq!(report.anomaly_types(), vec!["read-your-writes"]);
}

#[test]
fn thin_air_and_aborted_reads() {
    let report = Builder::default()
        .txn_ending(0, OpType::Fail, json!([["append", "x", 5]]))
        .txn(1, json!([["r", "x", [5]]]))
        .txn(1, json!([["r", "y", [7]]]))
        .check_models(&["monotonic-reads"]);
    assert_eq!(
        report.anomaly_types(),
        vec!["aborted-read", "thin-air-read"]
    );
}

#[test]
fn causal_cycle() {
    let report = Builder::default()
        .txn(0, json!([["append", "x", 1], ["r", "y", [2]]]))
        .txn(1, json!([["append", "y", 2], ["r", "x", [1]]]))
        .check();
    assert_eq!(report.anomaly_types(), vec!["causal-cycle"]);
    assert_eq!(
        report.anomalies[0].detail_json()["chain"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Session guarantees alone say nothing about cycles.
    let rmw = Builder::default()
        .txn(0, json!([["append", "x", 1], ["r", "y", [2]]]))
        .txn(1, json!([["append", "y", 2], ["r", "x", [1]]]))
        .check_models(&["read-your-writes"]);
    assert_eq!(rmw.valid, Validity::Valid);
}

#[test]
fn reading_own_session_future_write_is_a_cycle() {
    let report = Builder::default()
        .txn(0, json!([["r", "x", [1]]]))
        .txn(0, json!([["append", "x", 1]]))
        .check();
    assert_eq!(report.anomaly_types(), vec!["causal-cycle"]);
}

#[test]
fn reordered_list_by_one_session_is_monotonic_writes() {
    let report = Builder::default()
        .txn(0, json!([["append", "x", 1]]))
        .txn(0, json!([["append", "x", 2]]))
        .txn(1, json!([["r", "x", [2, 1]]]))
        .check();
    assert_eq!(report.anomaly_types(), vec!["monotonic-writes"]);
}

#[test]
fn reordered_list_through_a_chain_is_causal_reorder() {
    let report = Builder::default()
        .txn(0, json!([["append", "x", 1]]))
        .txn(1, json!([["r", "x", [1]], ["append", "y", 1]]))
        .txn(2, json!([["r", "y", [1]], ["append", "x", 2]]))
        .txn(3, json!([["r", "x", [2, 1]]]))
        .check();
    assert_eq!(report.anomaly_types(), vec!["causal-reorder"]);
    assert_eq!(report.anomalies[0].ops, vec![1, 3, 5, 7]);
}

#[test]
fn concurrent_appends_may_be_seen_in_either_order() {
    let report = Builder::default()
        .txn(0, json!([["append", "x", 1]]))
        .txn(1, json!([["append", "x", 2]]))
        .txn(2, json!([["r", "x", [1, 2]]]))
        .txn(3, json!([["r", "x", [2, 1]]]))
        .txn(3, json!([["r", "x", [2, 1]]]))
        .check();
    assert_eq!(report.valid, Validity::Valid, "{:?}", report.anomalies);
}

#[test]
fn fractured_read() {
    let report = Builder::default()
        .txn(0, json!([["append", "x", 1], ["append", "y", 1]]))
        .txn(1, json!([["r", "x", [1]], ["r", "y", []]]))
        .check();
    assert_eq!(report.anomaly_types(), vec!["fractured-read"]);
}

#[test]
fn intermediate_read() {
    let report = Builder::default()
        .txn(0, json!([["w", "x", 1], ["w", "x", 2]]))
        .txn(1, json!([["r", "x", 1]]))
        .check();
    assert_eq!(report.anomaly_types(), vec!["intermediate-read"]);
}

#[test]
fn indeterminate_writes_count_once_observed_and_retire_their_session() {
    // p0's info append is seen by p1, then p1 loses it: monotonic reads.
    let report = Builder::default()
        .txn_ending(0, OpType::Info, json!([["append", "x", 1]]))
        .txn(1, json!([["r", "x", [1]]]))
        .txn(1, json!([["r", "x", []]]))
        .check();
    assert_eq!(report.anomaly_types(), vec!["monotonic-reads"]);
    // After an info, process 0 is a new session: not seeing its own indeterminate write is fine.
    let fresh = Builder::default()
        .txn_ending(0, OpType::Info, json!([["append", "x", 1]]))
        .txn(0, json!([["r", "x", []]]))
        .check();
    assert_eq!(fresh.valid, Validity::Valid, "{:?}", fresh.anomalies);
}

#[test]
fn unknown_model_and_bad_operations_are_errors_not_panics() {
    let options = crate::options::CheckOptions {
        consistency_models: vec!["serializable".into()],
        ..Default::default()
    };
    let h = Builder::default()
        .txn(0, json!([["append", "x", 1]]))
        .history();
    let err = crate::causal::check(&h, &options).unwrap_err();
    assert!(err.to_string().contains("not a causal model"), "{err}");

    let bad = Builder::default().op(0, "cas", "x", json!(3)).history();
    let err = crate::causal::check(&bad, &Default::default()).unwrap_err();
    assert!(err.to_string().starts_with("event 0: cas expects"), "{err}");

    let mixed = Builder::default()
        .txn(0, json!([["append", "x", 1]]))
        .txn(1, json!([["w", "x", 2]]))
        .history();
    let err = crate::causal::check(&mixed, &Default::default()).unwrap_err();
    assert!(err.to_string().contains("appended to"), "{err}");
}

#[test]
fn registered_as_a_model_with_json_fields() {
    let h = Builder::default()
        .txn(0, json!([["append", "x", 1]]))
        .txn(0, json!([["r", "x", []]]))
        .history();
    let report = crate::registry::check("causal", &h, &Default::default()).unwrap();
    assert!(crate::registry::by_name("causal").is_ok());
    let v = serde_json::to_value(&report).unwrap();
    assert_eq!(v["valid"], json!(false));
    assert_eq!(v["checker"], json!("causal"));
    assert_eq!(v["anomalies"][0]["type"], json!("read-your-writes"));
    assert_eq!(v["anomalies"][0]["ops"], json!([1, 3]));
}

#[test]
fn explanation_names_the_chain_in_order() {
    let report = issue_example_across_transactions().check();
    assert_eq!(
        report.anomalies[0].explanation,
        "event 7 (process 2) read \"x\" = [] without the append of 1 to \"x\" by event 1 \
         (process 0), which causally precedes the read: event 1 (process 0) -[read \"x\" 1]-> \
         event 3 (process 1) -[read \"y\" 1]-> event 5 (process 2) -[same session, later]-> \
         event 7 (process 2). Under causal consistency a read sees every write in its causal past."
    );
}

#[test]
fn exhausted_budget_gives_unknown() {
    let h = issue_example_across_transactions().history();
    let options = crate::options::CheckOptions {
        budget: crate::Budget::with_time_limit(std::time::Duration::ZERO),
        ..Default::default()
    };
    let report = crate::causal::check(&h, &options).unwrap();
    assert_eq!(report.valid, Validity::Unknown);
    assert!(report.unknown_reason.unwrap().contains("time limit"));
}

#[test]
fn thin_air_read_says_nobody_wrote_it() {
    let report = Builder::default().txn(0, json!([["r", "x", 3]])).check();
    assert_eq!(report.anomaly_types(), vec!["thin-air-read"]);
    assert_eq!(
        report.anomalies[0].explanation,
        "event 1 (process 0) read \"x\" = 3: 3 is a value no operation wrote to \"x\"."
    );
}

#[test]
fn independent_tuples_are_keyed_operations() {
    use crate::{History, Op};
    let ops = vec![
        Op::new(0, 0, OpType::Invoke, "write", json!(["x", 1])),
        Op::new(1, 0, OpType::Ok, "write", json!(["x", 1])),
        Op::new(2, 0, OpType::Invoke, "read", json!(["x", null])),
        Op::new(3, 0, OpType::Ok, "read", json!(["x", null])),
    ];
    let options = crate::options::CheckOptions {
        independent_tuples: true,
        ..Default::default()
    };
    let report = crate::causal::check(&History::new(ops).unwrap(), &options).unwrap();
    assert_eq!(report.anomaly_types(), vec!["read-your-writes"]);
    assert_eq!(report.anomalies[0].detail_json()["key"], json!("x"));
}

#[test]
fn long_lists_are_shortened_in_explanations_but_whole_in_detail() {
    let mut b = Builder::default();
    for i in 0..30 {
        b = b.txn(0, json!([["append", "x", i]]));
    }
    let all: Vec<i64> = (1..30).collect();
    let report = b.txn(0, json!([["r", "x", all]])).check();
    assert_eq!(report.anomaly_types(), vec!["read-your-writes"]);
    let a = &report.anomalies[0];
    assert!(
        a.explanation
            .contains("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, ..., 28, 29] (29 elements)"),
        "{}",
        a.explanation
    );
    assert_eq!(a.detail_json()["read"].as_array().unwrap().len(), 29);
    assert_eq!(a.detail_json()["missed"][0]["value"], json!(0));
}

#[test]
fn transactions_without_f_are_read_as_txn() {
    use crate::{History, Op};
    let ops = vec![
        Op::new(0, 0, OpType::Invoke, "", json!([["append", "x", 1]])),
        Op::new(1, 0, OpType::Ok, "", json!([["append", "x", 1]])),
        Op::new(2, 0, OpType::Invoke, "", json!([["r", "x", null]])),
        Op::new(3, 0, OpType::Ok, "", json!([["r", "x", []]])),
    ];
    let report = crate::causal::check(&History::new(ops).unwrap(), &Default::default()).unwrap();
    assert_eq!(report.anomaly_types(), vec!["read-your-writes"]);
}

#[test]
fn reordered_list_after_a_read_is_writes_follow_reads() {
    let report = Builder::default()
        .txn(0, json!([["append", "x", 1]]))
        .txn(1, json!([["r", "x", [1]], ["append", "x", 2]]))
        .txn(2, json!([["r", "x", [2, 1]]]))
        .check_models(&["writes-follow-reads"]);
    assert_eq!(report.anomaly_types(), vec!["writes-follow-reads"]);
    assert_eq!(report.anomalies[0].detail_json()["cause"], json!(1));
}

#[test]
fn register_writes_follow_reads_and_monotonic_writes() {
    let wfr = Builder::default()
        .txn(0, json!([["w", "x", 1]]))
        .txn(1, json!([["r", "x", 1], ["w", "y", 1]]))
        .txn(2, json!([["r", "y", 1], ["r", "x", null]]))
        .check();
    assert_eq!(wfr.anomaly_types(), vec!["writes-follow-reads"]);
    let mw = Builder::default()
        .txn(0, json!([["w", "x", 1]]))
        .txn(0, json!([["w", "x", 2]]))
        .txn(0, json!([["w", "y", 3]]))
        .txn(1, json!([["r", "y", 3], ["r", "x", 1]]))
        .check_models(&["monotonic-writes"]);
    assert_eq!(mw.anomaly_types(), vec!["monotonic-writes"]);
    assert_eq!(
        mw.anomalies[0].detail_json()["missed"][0]["value"],
        json!(2)
    );
    assert!(mw.anomalies[0].detail_json()["overwrite_chain"].is_array());
}

#[test]
fn nemesis_events_and_unfinished_operations_are_handled() {
    use crate::{History, Op, Process};
    let mut nemesis = Op::new(2, 0, OpType::Info, "partition-start", json!({"grudge": {}}));
    nemesis.process = Process::Nemesis;
    let ops = vec![
        Op::new(0, 0, OpType::Invoke, "txn", json!([["append", "x", 1]])),
        Op::new(1, 0, OpType::Ok, "txn", json!([["append", "x", 1]])),
        nemesis,
        Op::new(3, 1, OpType::Invoke, "txn", json!([["append", "x", 2]])),
        Op::new(4, 0, OpType::Invoke, "txn", json!([["r", "x", null]])),
        Op::new(5, 0, OpType::Ok, "txn", json!([["r", "x", [2, 1]]])),
    ];
    // Process 1's append never completed, yet was observed: it counts, in the order seen.
    let report = crate::causal::check(&History::new(ops).unwrap(), &Default::default()).unwrap();
    assert_eq!(report.valid, Validity::Valid, "{:?}", report.anomalies);
    assert_eq!(report.stats["transactions"], json!(3));
    // The read saw both appends: its own session's and the unfinished one.
    assert_eq!(report.stats["reads_from_edges"], json!(2));
}

#[test]
fn diverging_orders_are_causal_but_not_convergent() {
    let lists = || {
        Builder::default()
            .txn(0, json!([["append", "x", 1]]))
            .txn(1, json!([["append", "x", 2]]))
            .txn(2, json!([["r", "x", [1, 2]]]))
            .txn(3, json!([["r", "x", [2, 1]]]))
    };
    assert_eq!(lists().check().valid, Validity::Valid);
    let report = lists().check_models(&["causal-convergence"]);
    assert_eq!(report.anomaly_types(), vec!["convergence-cycle"]);
    assert_eq!(
        report.anomalies[0].detail_json()["chain"][0]["edge"],
        json!("arbitration")
    );

    let registers = || {
        Builder::default()
            .txn(0, json!([["w", "x", 1]]))
            .txn(1, json!([["w", "x", 2]]))
            .txn(2, json!([["r", "x", 1]]))
            .txn(2, json!([["r", "x", 2]]))
            .txn(3, json!([["r", "x", 2]]))
            .txn(3, json!([["r", "x", 1]]))
    };
    assert_eq!(registers().check().valid, Validity::Valid);
    let report = registers().check_models(&["causal+"]);
    assert_eq!(report.anomaly_types(), vec!["convergence-cycle"]);
    assert!(
        report.anomalies[0]
            .explanation
            .contains("ordered before it by"),
        "{}",
        report.anomalies[0].explanation
    );
}

#[test]
fn agreeing_orders_are_convergent() {
    let report = Builder::default()
        .txn(0, json!([["append", "x", 1]]))
        .txn(1, json!([["append", "x", 2]]))
        .txn(2, json!([["r", "x", [2, 1]]]))
        .txn(3, json!([["r", "x", [2]]]))
        .txn(3, json!([["r", "x", [2, 1]]]))
        .check_models(&["causal-convergence"]);
    assert_eq!(report.valid, Validity::Valid, "{:?}", report.anomalies);
}

#[test]
fn checker_name_says_which_models() {
    let b = || Builder::default().txn(0, json!([["append", "x", 1]]));
    assert_eq!(b().check().checker, "causal");
    assert_eq!(
        b().check_models(&["causal-convergence"]).checker,
        "causal(causal-convergence)"
    );
    assert_eq!(
        b().check_models(&["monotonic-reads", "read-your-writes"])
            .checker,
        "causal(read-your-writes,monotonic-reads)"
    );
}

#[test]
fn empty_history_is_valid() {
    let report = Builder::default().check_models(&["causal-convergence"]);
    assert_eq!(report.valid, Validity::Valid);
    assert_eq!(report.stats["transactions"], json!(0));
}

//! Hand-built histories: each model's typical anomaly, a valid neighbour, and the explanation.

use serde_json::{json, Value};

use super::history;
use crate::options::{CheckError, CheckOptions};
use crate::registry::check;
use crate::Validity;

pub fn run(
    model: &str,
    initial: Option<Value>,
    rows: &[(u64, &str, &str, Value)],
) -> crate::CheckReport {
    let options = CheckOptions {
        initial,
        ..CheckOptions::default()
    };
    check(model, &history(rows), &options).expect("check runs")
}

pub const N: Value = Value::Null;

#[test]
fn stale_read_after_a_completed_write_is_not_linearizable() {
    let rows = [
        (1, "invoke", "write", json!(1)),
        (1, "ok", "write", json!(1)),
        (2, "invoke", "write", json!(2)),
        (2, "ok", "write", json!(2)),
        (3, "invoke", "read", N),
        (3, "ok", "read", json!(1)),
    ];
    let report = run("register", None, &rows);
    assert_eq!(report.valid, Validity::Invalid);
    let a = &report.anomalies[0];
    assert_eq!(a.kind, "nonlinearizable");
    assert_eq!(a.detail_json()["op"], json!(4));
    assert_eq!(a.detail_json()["prefix"], json!([0, 2]));
    assert_eq!(a.detail_json()["state"], json!(2));
    assert!(
        a.explanation.contains("process 3 read 1"),
        "{}",
        a.explanation
    );
    assert!(a.explanation.contains("holds 2"), "{}", a.explanation);
    // Concurrent with the second write, the read may see either.
    let concurrent = [
        (1, "invoke", "write", json!(1)),
        (1, "ok", "write", json!(1)),
        (2, "invoke", "write", json!(2)),
        (3, "invoke", "read", N),
        (3, "ok", "read", json!(1)),
        (2, "ok", "write", json!(2)),
    ];
    assert_eq!(run("register", None, &concurrent).valid, Validity::Valid);
}

#[test]
fn the_default_initial_register_value_is_null() {
    let rows = [
        (1, "invoke", "write", json!(1)),
        (1, "ok", "write", json!(1)),
        (1, "invoke", "read", N),
        (1, "ok", "read", N),
    ];
    // From the default null start, a read of null after the write is a stale read.
    let report = run("register", None, &rows);
    assert_eq!(report.valid, Validity::Invalid);
    assert_eq!(report.anomalies[0].detail_json()["op"], json!(2));
    assert_eq!(run("register", None, &rows[2..]).valid, Validity::Valid);
}

#[test]
fn with_a_non_null_initial_value_null_reads_mean_unknown_as_in_knossos() {
    let rows = [
        (1, "invoke", "write", json!(1)),
        (1, "ok", "write", json!(1)),
        (1, "invoke", "read", N),
        (1, "ok", "read", N),
        (1, "invoke", "read", N),
        (1, "ok", "read", json!(0)),
    ];
    let report = run("cas-register", Some(json!(0)), &rows);
    assert_eq!(report.valid, Validity::Invalid);
    // The read of 0 is the anomaly; the read of null was left out.
    assert_eq!(report.anomalies[0].detail_json()["op"], json!(4));
    assert_eq!(report.stats["reads_ignored"], json!(1));
    assert_eq!(
        run("cas-register", Some(json!(0)), &rows[..4]).valid,
        Validity::Valid
    );
}

#[test]
fn an_info_write_may_take_effect_late_or_never() {
    // The write times out; a much later read sees it; another read before it did not.
    let rows = [
        (1, "invoke", "write", json!(5)),
        (1, "info", "write", json!(5)),
        (2, "invoke", "read", N),
        (2, "ok", "read", json!(0)),
        (2, "invoke", "read", N),
        (2, "ok", "read", json!(5)),
        (2, "invoke", "read", N),
        (2, "ok", "read", json!(5)),
    ];
    assert_eq!(
        run("register", Some(json!(0)), &rows).valid,
        Validity::Valid
    );
    // ...but it cannot take effect twice.
    let mut twice = rows.to_vec();
    twice.extend([(2, "invoke", "read", N), (2, "ok", "read", json!(0))]);
    twice.extend([(2, "invoke", "read", N), (2, "ok", "read", json!(5))]);
    let report = run("register", Some(json!(0)), &twice);
    assert_eq!(report.valid, Validity::Invalid);
    assert_eq!(report.anomalies[0].detail_json()["op"], json!(8));
}

#[test]
fn a_failed_cas_never_happened_and_an_ok_one_must_match() {
    let rows = [
        (1, "invoke", "cas", json!([0, 1])),
        (1, "fail", "cas", json!([0, 1])),
        (2, "invoke", "read", N),
        (2, "ok", "read", json!(0)),
        (1, "invoke", "cas", json!([0, 2])),
        (1, "ok", "cas", json!([0, 2])),
        (2, "invoke", "cas", json!([0, 3])),
        (2, "ok", "cas", json!([0, 3])),
    ];
    let report = run("cas-register", Some(json!(0)), &rows);
    assert_eq!(report.valid, Validity::Invalid);
    assert_eq!(report.anomalies[0].detail_json()["op"], json!(6));
    assert!(report.anomalies[0].explanation.contains("cas 0 -> 3"));
    assert_eq!(report.stats["fail_ops_dropped"], json!(1));
}

#[test]
fn register_rejects_cas_and_names_the_event() {
    let rows = [
        (1, "invoke", "cas", json!([0, 1])),
        (1, "ok", "cas", json!([0, 1])),
    ];
    let err = check("register", &history(&rows), &CheckOptions::default()).unwrap_err();
    // A history of nothing but cas is not the register's to judge: it says so and names the
    // model that is.
    assert!(
        matches!(err, CheckError::NothingJudged { .. }) && err.to_string().contains("cas-register"),
        "{err}"
    );
    assert!(err.to_string().contains("cas-register"), "{err}");
    let bad = [(1, "invoke", "cas", json!(3)), (1, "ok", "cas", json!(3))];
    let err = check("cas-register", &history(&bad), &CheckOptions::default()).unwrap_err();
    assert!(err.to_string().contains("[old, new]"), "{err}");
}

#[test]
fn keys_are_checked_separately_and_the_worst_wins() {
    let ops = vec![
        crate::Op::new(0, 1, crate::OpType::Invoke, "write", json!(1)).with_key(json!("a")),
        crate::Op::new(1, 1, crate::OpType::Ok, "write", json!(1)).with_key(json!("a")),
        crate::Op::new(2, 2, crate::OpType::Invoke, "read", N).with_key(json!("b")),
        crate::Op::new(3, 2, crate::OpType::Ok, "read", N).with_key(json!("b")),
        crate::Op::new(4, 2, crate::OpType::Invoke, "read", N).with_key(json!("a")),
        crate::Op::new(5, 2, crate::OpType::Ok, "read", json!(2)).with_key(json!("a")),
    ];
    let h = crate::History::new(ops).unwrap();
    let report = check("register", &h, &CheckOptions::default()).unwrap();
    assert_eq!(report.valid, Validity::Invalid);
    assert_eq!(report.anomalies.len(), 1);
    assert_eq!(report.anomalies[0].detail_json()["key"], json!("a"));
    assert!(report.anomalies[0].explanation.starts_with("On key \"a\""));
    assert_eq!(report.stats["keys"], json!(2));
}

#[test]
fn independent_tuples_split_by_their_key() {
    let rows = [
        (1, "invoke", "write", json!(["a", 1])),
        (1, "ok", "write", json!(["a", 1])),
        (2, "invoke", "read", json!(["b", null])),
        (2, "ok", "read", json!(["b", 1])),
    ];
    let options = CheckOptions {
        independent_tuples: true,
        ..CheckOptions::default()
    };
    let report = check("register", &history(&rows), &options).unwrap();
    assert_eq!(report.valid, Validity::Invalid);
    assert_eq!(report.anomalies[0].detail_json()["key"], json!("b"));
}

#[test]
fn multi_register_reads_must_see_one_atomic_state() {
    let rows = [
        (
            1,
            "invoke",
            "txn",
            json!([["write", "x", 1], ["write", "y", 1]]),
        ),
        (
            1,
            "ok",
            "txn",
            json!([["write", "x", 1], ["write", "y", 1]]),
        ),
        (
            2,
            "invoke",
            "txn",
            json!([["read", "x", null], ["read", "y", null]]),
        ),
        (2, "ok", "txn", json!([["read", "x", 1], ["read", "y", 0]])),
    ];
    let report = run("multi-register", Some(json!({"x": 0, "y": 0})), &rows);
    assert_eq!(report.valid, Validity::Invalid);
    assert_eq!(
        report.anomalies[0].detail_json()["state"],
        json!({"x": 1, "y": 1})
    );
    let mut fine = rows.to_vec();
    fine[3].3 = json!([["read", "x", 1], ["read", "y", 1]]);
    assert_eq!(
        run("multi-register", Some(json!({"x": 0, "y": 0})), &fine).valid,
        Validity::Valid
    );
}

#[test]
fn set_read_missing_an_acknowledged_add() {
    let rows = [
        (1, "invoke", "add", json!(1)),
        (1, "ok", "add", json!(1)),
        (2, "invoke", "add", json!(2)),
        (2, "info", "add", json!(2)),
        (3, "invoke", "read", N),
        (3, "ok", "read", json!([2])),
    ];
    let report = run("set", None, &rows);
    assert_eq!(report.valid, Validity::Invalid);
    assert!(report.anomalies[0].explanation.contains("read [2]"));
    let mut fine = rows.to_vec();
    fine[5].3 = json!([1, 2]);
    assert_eq!(run("set", None, &fine).valid, Validity::Valid);
    fine[5].3 = json!([1]);
    assert_eq!(run("set", None, &fine).valid, Validity::Valid);
}

#[test]
fn fifo_queue_out_of_order_but_unordered_queue_fine() {
    let rows = [
        (1, "invoke", "enqueue", json!(1)),
        (1, "ok", "enqueue", json!(1)),
        (1, "invoke", "enqueue", json!(2)),
        (1, "ok", "enqueue", json!(2)),
        (2, "invoke", "dequeue", N),
        (2, "ok", "dequeue", json!(2)),
    ];
    assert_eq!(run("fifo-queue", None, &rows).valid, Validity::Invalid);
    assert_eq!(run("queue", None, &rows).valid, Validity::Valid);
    // An info dequeue may have taken the head.
    let mut lost = rows.to_vec();
    lost.insert(4, (3, "invoke", "dequeue", N));
    lost.insert(5, (3, "info", "dequeue", N));
    assert_eq!(run("fifo-queue", None, &lost).valid, Validity::Valid);
    // A dequeue may not return what was never enqueued, nor find a non-empty queue empty.
    let mut ghost = rows.to_vec();
    ghost[5].3 = json!(7);
    assert_eq!(run("queue", None, &ghost).valid, Validity::Invalid);
    ghost[5].3 = N;
    assert_eq!(run("queue", None, &ghost).valid, Validity::Invalid);
}

#[test]
fn mutex_cannot_be_acquired_twice() {
    let rows = [
        (1, "invoke", "acquire", N),
        (1, "ok", "acquire", N),
        (2, "invoke", "acquire", N),
        (2, "ok", "acquire", N),
    ];
    let report = run("mutex", None, &rows);
    assert_eq!(report.valid, Validity::Invalid);
    assert!(report.anomalies[0].explanation.contains("locked"));
    let mut released = rows.to_vec();
    released.insert(2, (1, "invoke", "release", N));
    released.insert(3, (1, "info", "release", N));
    assert_eq!(run("mutex", None, &released).valid, Validity::Valid);
    assert_eq!(
        run("mutex", Some(json!("locked")), &rows).valid,
        Validity::Invalid
    );
    let err = check(
        "mutex",
        &history(&rows),
        &CheckOptions {
            initial: Some(json!(7)),
            ..CheckOptions::default()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("--initial"), "{err}");
}

#[test]
fn an_exhausted_budget_is_unknown_not_a_verdict() {
    // Twenty concurrent writes of different values, then reads of 5, 6 and 5 again: the search
    // must try every order of the writes (2^20 sets) before it can say no.
    let mut rows = Vec::new();
    for p in 0..20u64 {
        rows.push((p, "invoke", "write", json!(p)));
    }
    for p in 0..20u64 {
        rows.push((p, "ok", "write", json!(p)));
    }
    for v in [5, 6, 5] {
        rows.push((100, "invoke", "read", N));
        rows.push((100, "ok", "read", json!(v)));
    }
    let options = CheckOptions {
        initial: Some(json!(0)),
        budget: crate::Budget::with_time_limit(std::time::Duration::ZERO).with_max_memory(0),
        ..CheckOptions::default()
    };
    let report = check("cas-register", &history(&rows), &options).unwrap();
    assert_eq!(report.valid, Validity::Unknown, "{report:#?}");
    assert!(report.unknown_reason.unwrap().contains("limit"));
}

#[test]
fn a_read_of_a_value_nobody_wrote_is_caught_without_a_search() {
    let rows = [
        (1, "invoke", "write", json!(1)),
        (2, "invoke", "read", N),
        (1, "info", "write", json!(1)),
        (2, "ok", "read", json!(7)),
        (3, "invoke", "write", json!(7)),
        (3, "ok", "write", json!(7)),
    ];
    let report = run("cas-register", Some(json!(0)), &rows);
    assert_eq!(report.valid, Validity::Invalid);
    let a = &report.anomalies[0];
    assert_eq!(a.detail_json()["unreachable"], json!(true));
    assert_eq!(a.detail_json()["op"], json!(1));
    assert_eq!(report.stats["configurations"], json!(0));
    assert!(
        a.explanation.contains("needs the cas-register to hold 7"),
        "{}",
        a.explanation
    );
    // Once the write of 7 may come first, it is a matter for the search (and fine here).
    let mut fine = rows.to_vec();
    fine.swap(0, 4);
    fine.swap(2, 5);
    assert_eq!(
        run("cas-register", Some(json!(0)), &fine).valid,
        Validity::Valid
    );
}

//! End-to-end reading: detection, index assignment, pairing errors with their lines, and the
//! JSONL → EDN → read round trip.

use serde_json::json;

use super::*;
use crate::history::{Op, OpType, Process};

fn read(text: &str) -> History {
    read_str(text, "h", Format::Auto).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_format_gives_the_same_history() {
    let jsonl = "{\"index\":0,\"process\":0,\"type\":\"invoke\",\"f\":\"cas\",\"value\":[1,4]}\n\
                 {\"index\":1,\"process\":0,\"type\":\"fail\",\"f\":\"cas\",\"value\":[1,4]}\n";
    let edn = "[{:process 0, :type :invoke, :f :cas, :value [1 4]}\n \
               {:process 0, :type :fail, :f :cas, :value [1 4]}]";
    let json = "[{\"process\":0,\"type\":\"invoke\",\"f\":\"cas\",\"value\":[1,4]},\n\
                {\"process\":0,\"type\":\"fail\",\"f\":\"cas\",\"value\":[1,4]}]";
    let log =
        "INFO  jepsen.util - 0\t:invoke\t:cas\t[1 4]\nINFO  jepsen.util - 0\t:fail\t:cas\t[1 4]\n";
    let want = read(jsonl).into_ops();
    assert_eq!(want.len(), 2);
    for text in [edn, json, log] {
        assert_eq!(read(text).into_ops(), want, "{text}");
    }
}

#[test]
fn indices_come_from_positions_when_missing() {
    let h = read("{:type :invoke :f :read :process 0}\n{:type :ok :f :read :process 0 :value 3}");
    let idx: Vec<u64> = h.ops().iter().map(|o| o.index).collect();
    assert_eq!(idx, vec![0, 1]);
    assert!(h.warnings().is_empty());
    let h = read("{:index 5 :type :invoke :f :read :process 0}\n{:type :ok :f :read :process 0}");
    assert_eq!(h.ops()[1].index, 1);
    assert_eq!(h.warnings().len(), 1, "{:?}", h.warnings());
}

#[test]
fn missing_process_is_a_warning() {
    let h = read("[{:type :invoke, :f :read, :value nil}\n{:type :ok, :f :read, :value 1}]");
    assert_eq!(h.pairs().len(), 1);
    assert!(h.warnings()[0].contains("no process"), "{:?}", h.warnings());
}

#[test]
fn pairing_errors_name_the_line() {
    let e = read_str(
        "{:type :invoke :f :read :process 0}\n\n{:type :invoke :f :write :process 0}",
        "two.edn",
        Format::Auto,
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("two.edn:3: event 1: process 0 invokes write"),
        "{e}"
    );
    let e = read_str(
        "{\"index\":3,\"process\":0,\"type\":\"invoke\",\"f\":\"r\"}\n{\"index\":3,\"process\":1,\"type\":\"invoke\",\"f\":\"r\"}",
        "dup.jsonl",
        Format::Auto,
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("dup.jsonl:2: event 3: indices must increase"),
        "{e}"
    );
}

#[test]
fn format_override_and_undetectable_input() {
    let e = read_str("hello", "x.txt", Format::Auto).unwrap_err();
    assert!(e.to_string().contains("--format"), "{e}");
    let e = read_str("{:type :invoke}", "x.edn", Format::Jsonl).unwrap_err();
    assert!(e.to_string().starts_with("x.edn:1:"), "{e}");
    let e = read_str("hello", "x.log", Format::JepsenLog).unwrap_err();
    assert!(e.to_string().contains("no Jepsen op lines"), "{e}");
    assert!(read_str("", "empty", Format::Auto).unwrap().is_empty());
}

#[test]
fn invalid_utf8_names_its_line() {
    let e = read_bytes(b"{:type :invoke}\n\xff", "bin", Format::Auto).unwrap_err();
    assert!(e.to_string().starts_with("bin:2: not UTF-8"), "{e}");
}

#[test]
fn missing_file_is_an_io_error() {
    let e = read_path("/nonexistent/faultline/h.jsonl", Format::Auto).unwrap_err();
    assert!(matches!(e, HistoryError::Io { .. }), "{e}");
    assert!(e.to_string().contains("/nonexistent/faultline/h.jsonl"));
}

fn sample_ops() -> Vec<Op> {
    let mut ops = vec![
        Op::new(0, 3, OpType::Invoke, "write", json!(4))
            .with_key(json!("k7"))
            .with_time(1_200_331),
        Op::new(
            1,
            5,
            OpType::Invoke,
            "txn",
            json!([["append", "x", 3], ["r", 7, null]]),
        ),
        Op::new(2, 3, OpType::Ok, "write", json!(4))
            .with_key(json!("k7"))
            .with_time(1_507_220),
        Op::new(
            3,
            5,
            OpType::Ok,
            "txn",
            json!([["append", "x", 3], ["r", 7, [1, 2]]]),
        ),
        Op::new(
            4,
            0,
            OpType::Info,
            "partition-start",
            json!({"grudge": {"n1": ["n2", "n3"]}}),
        ),
        Op::new(5, 6, OpType::Invoke, "read", json!(null)),
        Op::new(
            6,
            6,
            OpType::Ok,
            "read",
            json!({"0": 100, "1": -2.5, "a b": "x\"y\n", "nil": null}),
        ),
        Op::new(7, 8, OpType::Invoke, "cas", json!([1, u64::MAX])),
        Op::new(8, 8, OpType::Info, "cas", json!([1, u64::MAX])),
    ];
    ops[2].node = Some("n2".into());
    ops[4].process = Process::Nemesis;
    ops[8].error = Some(json!("timed-out"));
    ops[6].error = Some(json!({"code": 40001}));
    ops
}

#[test]
fn jsonl_to_edn_and_back_is_the_same_history() {
    let ops = sample_ops();
    let mut jsonl = Vec::new();
    write_jsonl(&ops, &mut jsonl).unwrap();
    let from_jsonl = read_bytes(&jsonl, "h.jsonl", Format::Auto).unwrap();
    assert_eq!(from_jsonl.ops(), &ops[..]);
    let mut edn = Vec::new();
    write_edn(from_jsonl.ops(), &mut edn).unwrap();
    assert_eq!(
        detect(std::str::from_utf8(&edn).unwrap()),
        Some(Format::Edn)
    );
    let from_edn = read_bytes(&edn, "h.edn", Format::Auto).unwrap();
    assert_eq!(from_edn.ops(), &ops[..]);
    assert!(from_edn.warnings().is_empty(), "{:?}", from_edn.warnings());
}

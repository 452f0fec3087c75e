//! The `faultline` binary's `check` and `convert` commands, run as a user would: exit codes for bad
//! input, messages that name file and line, and conversions between every format.

use std::path::PathBuf;
use std::process::{Command, Output};

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

fn faultline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .output()
        .expect("run faultline")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn unknown_model_exits_64_and_lists_the_models() {
    let o = faultline(&["check", &fixture("cas.edn"), "--model", "no-such-model"]);
    assert_eq!(code(&o), 64, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("unknown model \"no-such-model\""), "{err}");
    assert!(
        err.contains("known models:") || err.contains("no models are registered"),
        "{err}"
    );
}

#[test]
fn bad_file_exits_64_naming_file_and_line() {
    let bad = fixture("bad-type.edn");
    let o = faultline(&["check", &bad, "--model", "cas-register"]);
    assert_eq!(code(&o), 64);
    assert!(
        stderr(&o).contains(&format!(
            "{bad}:3: unknown :type :foo; expected :invoke, :ok, :fail or :info"
        )),
        "{}",
        stderr(&o)
    );
    let unclosed = fixture("unclosed.edn");
    let o = faultline(&["check", &unclosed, "--model", "cas-register", "--json"]);
    assert_eq!(code(&o), 64);
    assert!(
        stderr(&o).contains(&format!(
            "{unclosed}:4: expected `}}` to close the map opened at line 3"
        )),
        "{}",
        stderr(&o)
    );
    let line: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(line["valid"], serde_json::Value::Null);
}

#[test]
fn missing_file_exits_64() {
    let o = faultline(&["check", "/nonexistent/h.jsonl", "--model", "cas-register"]);
    assert_eq!(code(&o), 64);
    assert!(
        stderr(&o).contains("cannot read /nonexistent/h.jsonl"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn bad_command_lines_exit_64_and_help_exits_0() {
    let o = faultline(&["check", "--model"]);
    assert_eq!(code(&o), 64, "{}", stderr(&o));
    let o = faultline(&["check", "x.edn", "--model", "m", "--format", "xml"]);
    assert_eq!(code(&o), 64);
    assert!(stderr(&o).contains("jepsen-log"), "{}", stderr(&o));
    let o = faultline(&["check", "--help"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("--consistency-model"));
}

#[test]
fn every_input_format_converts_to_the_same_jsonl() {
    let want = std::fs::read_to_string(fixture("cas.jsonl")).unwrap();
    for input in ["cas.edn", "cas.json", "cas.log", "cas.jsonl"] {
        let o = faultline(&["convert", &fixture(input), "--to", "jsonl"]);
        assert_eq!(code(&o), 0, "{input}: {}", stderr(&o));
        assert_eq!(stdout(&o), want, "{input}");
    }
}

#[test]
fn jsonl_to_edn_and_back_round_trips() {
    let dir = std::env::temp_dir().join(format!("faultline-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let edn = dir.join("cas.edn").display().to_string();
    let o = faultline(&["convert", &fixture("cas.jsonl"), "--to", "edn", "-o", &edn]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = std::fs::read_to_string(&edn).unwrap();
    assert!(
        text.starts_with("{:index 0, :time 0, :process 0, :type :invoke, :f :write"),
        "{text}"
    );
    assert!(text.contains(":error :timed-out"), "{text}");
    let o = faultline(&["convert", &edn, "--to", "jsonl"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        std::fs::read_to_string(fixture("cas.jsonl")).unwrap()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn torn_last_line_is_a_warning() {
    let o = faultline(&["convert", &fixture("torn.jsonl"), "--to", "jsonl"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 2);
    assert!(
        stderr(&o).contains("torn.jsonl:3: ignored an incomplete last line"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn forced_format_mismatch_is_bad_input() {
    let o = faultline(&[
        "convert",
        &fixture("cas.edn"),
        "--to",
        "jsonl",
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 64);
    assert!(stderr(&o).contains("cas.edn:"), "{}", stderr(&o));
}

fn anomaly_types(o: &Output) -> Vec<String> {
    let line: serde_json::Value = serde_json::from_str(stdout(o).lines().next().unwrap_or("{}"))
        .unwrap_or_else(|e| panic!("--json line: {e}: {}", stdout(o)));
    serde_json::from_value(line["anomaly_types"].clone()).expect("anomaly_types is a list")
}

/// JSONL list-append files take the streaming reader; EDN goes through the general reader. Both
/// must reach the same verdict and anomalies.
#[test]
fn list_append_verdicts_agree_between_streaming_and_general_readers() {
    let jsonl = faultline(&[
        "check",
        &fixture("missed-cause.jsonl"),
        "--model",
        "list-append",
        "--json",
    ]);
    let edn = faultline(&[
        "check",
        &fixture("missed-cause.edn"),
        "--model",
        "list-append",
        "--json",
    ]);
    assert_eq!(code(&jsonl), 1, "{}", stderr(&jsonl));
    assert_eq!(code(&edn), 1, "{}", stderr(&edn));
    assert_eq!(anomaly_types(&jsonl), vec!["G-single-item".to_string()]);
    assert_eq!(anomaly_types(&jsonl), anomaly_types(&edn));
}

/// Elle's `causal` alone would accept this history; the causal checker beside it does not, and
/// under read-committed (which allows G-single) the missed cause is no concern: exit 0.
#[test]
fn consistency_model_decides_the_exit_code() {
    let f = fixture("missed-cause.jsonl");
    let causal = faultline(&[
        "check",
        &f,
        "--model",
        "list-append",
        "--consistency-model",
        "causal",
        "--json",
    ]);
    assert_eq!(code(&causal), 1, "{}", stderr(&causal));
    assert!(anomaly_types(&causal).contains(&"writes-follow-reads".to_string()));
    let rc = faultline(&[
        "check",
        &f,
        "--model",
        "list-append",
        "--consistency-model",
        "read-committed",
    ]);
    assert_eq!(code(&rc), 0, "{}{}", stdout(&rc), stderr(&rc));
}

/// Target settings are checked before Docker is touched: a typo is bad input naming the setting.
#[test]
fn bad_target_settings_exit_64_before_any_container() {
    let cases: &[(&[&str], &str)] = &[
        (&["--mode", "paxos"], "no mode \"paxos\""),
        (&["--target-option", "r"], "not NAME=VALUE"),
        (
            &["--mode", "quorum", "--target-option", "q=1"],
            "no option \"q\"",
        ),
        (
            &["--mode", "quorum", "--target-option", "w=zero"],
            "w=zero: expected a whole number",
        ),
        (&["--target", "nosuch"], "unknown target"),
    ];
    for (extra, message) in cases {
        let mut args = vec!["run", "--results-dir", "/nonexistent/faultline-test"];
        args.extend_from_slice(extra);
        let o = faultline(&args);
        assert_eq!(code(&o), 64, "{extra:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(message), "{extra:?}: {}", stderr(&o));
    }
}

/// The kv fixtures of the checkers crate (Porcupine's kv format).
fn kv_fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../checkers/tests/fixtures/kv")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn porcupine_kv_histories_are_checked_by_the_kv_model() {
    let o = faultline(&[
        "check",
        &kv_fixture("three-keys-concurrent.edn"),
        "-m",
        "kv",
    ]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let o = faultline(&["check", &kv_fixture("stale-get.edn"), "-m", "kv", "--json"]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    assert_eq!(anomaly_types(&o), ["nonlinearizable"]);
    let help = stdout(&faultline(&["check", "--help"]));
    assert!(help.contains("judges f: get, put, append"), "{help}");
}

#[test]
fn a_model_that_judges_nothing_exits_64_naming_what_was_found() {
    for model in ["list-append", "rw-register", "set-full", "staleness"] {
        let o = faultline(&["check", &kv_fixture("stale-get.edn"), "-m", model]);
        assert_eq!(code(&o), 64, "{model}: {}{}", stdout(&o), stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains("judged no operation")
                && err.contains("append (2), get (2), put (1)")
                && err.contains("kv"),
            "{model}: {err}"
        );
    }
}

#[test]
fn skipped_kinds_are_in_text_and_json() {
    // A register history with a stray append: cas-register would refuse it, staleness skips it.
    let dir = std::env::temp_dir().join(format!("faultline-skipped-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("mixed.jsonl");
    std::fs::write(
        &file,
        concat!(
            "{\"index\":0,\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"key\":\"k\",\"value\":1}\n",
            "{\"index\":1,\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"key\":\"k\",\"value\":1}\n",
            "{\"index\":2,\"process\":1,\"type\":\"invoke\",\"f\":\"append\",\"key\":\"k\",\"value\":\"x\"}\n",
            "{\"index\":3,\"process\":1,\"type\":\"ok\",\"f\":\"append\",\"key\":\"k\",\"value\":\"x\"}\n",
        ),
    )
    .unwrap();
    let path = file.display().to_string();
    let o = faultline(&["check", &path, "-m", "staleness"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("not judged by staleness: append (1)"),
        "{}",
        stdout(&o)
    );
    let o = faultline(&["check", &path, "-m", "staleness", "--json"]);
    let line: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(
        line["skipped_ops"],
        serde_json::json!([{"f": "append", "count": 1}])
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A scratch folder for one test, removed by the test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("faultline-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn streamed_transactional_histories_of_nothing_judged_exit_64() {
    // JSON Lines go through the streaming reader for list-append and rw-register: it must apply
    // the same rule as the general reader.
    let dir = scratch("stream-nothing");
    let file = dir.join("kv.jsonl");
    std::fs::write(
        &file,
        concat!(
            "{\"index\":0,\"process\":0,\"type\":\"invoke\",\"f\":\"put\",\"key\":\"k\",\"value\":\"a\"}\n",
            "{\"index\":1,\"process\":0,\"type\":\"ok\",\"f\":\"put\",\"key\":\"k\",\"value\":\"a\"}\n",
        ),
    )
    .unwrap();
    let path = file.display().to_string();
    for model in ["list-append", "rw-register"] {
        let o = faultline(&["check", &path, "-m", model, "--json"]);
        assert_eq!(code(&o), 64, "{model}: {}{}", stdout(&o), stderr(&o));
        assert!(
            stderr(&o).contains("judged no operation") && stderr(&o).contains("put (1)"),
            "{model}: {}",
            stderr(&o)
        );
        let line: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
        assert_eq!(line["valid"], serde_json::Value::Null);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_history_with_no_dependencies_exits_64_on_both_readers() {
    // One failed append: Elle's "empty transaction graph", never a pass.
    let dir = scratch("no-deps");
    let jsonl = dir.join("failed.jsonl");
    std::fs::write(
        &jsonl,
        concat!(
            "{\"index\":0,\"process\":0,\"type\":\"invoke\",\"f\":\"txn\",\"value\":[[\"append\",\"x\",1]]}\n",
            "{\"index\":1,\"process\":0,\"type\":\"fail\",\"f\":\"txn\",\"value\":[[\"append\",\"x\",1]]}\n",
        ),
    )
    .unwrap();
    let edn = dir.join("failed.edn");
    std::fs::write(
        &edn,
        concat!(
            "{:index 0, :process 0, :type :invoke, :f :txn, :value [[:append :x 1]]}\n",
            "{:index 1, :process 0, :type :fail, :f :txn, :value [[:append :x 1]]}\n",
        ),
    )
    .unwrap();
    for file in [&jsonl, &edn] {
        let o = faultline(&["check", &file.display().to_string(), "-m", "list-append"]);
        assert_eq!(code(&o), 64, "{}{}", stdout(&o), stderr(&o));
        assert!(
            stderr(&o).contains("inferred no dependency between the 1 transactions"),
            "{}",
            stderr(&o)
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn assume_lets_rw_register_infer_more_and_is_refused_elsewhere() {
    // T1 writes x = 1 and completes; T2 then reads x = nil. Serializability allows that (only
    // real time orders them); with linearizable keys, 1 must precede what T2 saw: cyclic
    // versions, which every model forbids.
    let dir = scratch("assume");
    let file = dir.join("stale.jsonl");
    std::fs::write(
        &file,
        concat!(
            "{\"index\":0,\"process\":0,\"type\":\"invoke\",\"f\":\"txn\",\"value\":[[\"w\",\"x\",1]]}\n",
            "{\"index\":1,\"process\":0,\"type\":\"ok\",\"f\":\"txn\",\"value\":[[\"w\",\"x\",1]]}\n",
            "{\"index\":2,\"process\":1,\"type\":\"invoke\",\"f\":\"txn\",\"value\":[[\"r\",\"x\",null]]}\n",
            "{\"index\":3,\"process\":1,\"type\":\"ok\",\"f\":\"txn\",\"value\":[[\"r\",\"x\",null]]}\n",
        ),
    )
    .unwrap();
    let path = file.display().to_string();
    let base = [
        "check",
        path.as_str(),
        "-m",
        "rw-register",
        "--consistency-model",
        "serializable",
        "--json",
    ];
    let plain = faultline(&base);
    assert_eq!(code(&plain), 0, "{}{}", stdout(&plain), stderr(&plain));
    assert_eq!(anomaly_types(&plain), ["G-single-item-realtime"]);
    let mut assumed = base.to_vec();
    assumed.extend(["--assume", "linearizable-keys"]);
    let o = faultline(&assumed);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    assert!(
        anomaly_types(&o).contains(&"cyclic-versions".to_string()),
        "{:?}",
        anomaly_types(&o)
    );
    let o = faultline(&["check", &path, "-m", "list-append", "--assume", "wfr-keys"]);
    assert_eq!(code(&o), 64, "{}", stderr(&o));
    assert!(stderr(&o).contains("--assume"), "{}", stderr(&o));
    let o = faultline(&["check", &path, "-m", "rw-register", "--assume", "acid"]);
    assert_eq!(code(&o), 64, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("known: linearizable-keys, sequential-keys, wfr-keys"),
        "{}",
        stderr(&o)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

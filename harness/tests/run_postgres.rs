//! `faultline run --target postgres` end to end against the real Docker engine: PostgreSQL 15 from
//! Debian's package, judged by Elle at each isolation level. A missing Docker is a failure, not a
//! skip. The runs share the machine's two cores, so they run one at a time.

use std::path::Path;
use std::process::Output;

use faultline_checkers::history::formats::{read_path, Format};
use faultline_checkers::OpType;
use serde_json::{json, Value};

mod common;
use common::{checker, faultline_command, json, leftovers, output, results_dir};

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn run(args: &[&str], results: &Path) -> Output {
    output(faultline_command(args, results))
}

/// A list-append run against postgres at `isolation` with 10 clients, plus `extra` flags.
fn list_append(isolation: &str, extra: &[&str], results: &Path) -> Output {
    let mut args = vec![
        "run",
        "--target",
        "postgres",
        "--workload",
        "list-append",
        "--isolation",
        isolation,
        "--concurrency",
        "10",
    ];
    args.extend_from_slice(extra);
    run(&args, results)
}

/// The anomaly names Elle reported, from results.json.
fn anomaly_types(results: &Value) -> Vec<String> {
    let elle = checker(results, "list-append");
    let mut types: Vec<String> = elle["stats"]["anomaly-counts"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    types.sort();
    types
}

/// Seconds since midnight of a PostgreSQL log line's `%m` stamp (`2026-11-24 20:16:52.043 UTC`),
/// plus a day per date change, for lines that say `needle`.
fn log_times(log: &str, needle: &str) -> Vec<f64> {
    log.lines()
        .filter(|l| l.contains(needle))
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            let date = parts.next()?;
            let time = parts.next()?;
            let day: f64 = date.rsplit('-').next()?.parse().ok()?;
            let mut hms = time.split(':').map(|x| x.parse::<f64>().ok());
            let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
            Some(day * 86_400.0 + h * 3600.0 + m * 60.0 + s)
        })
        .collect()
}

async fn assert_nothing_left(dir: &Path) -> Value {
    let test = json(&dir.join("test.json"));
    let run_id = test["run_id"].as_str().unwrap();
    assert_eq!(leftovers(run_id).await, 0, "run {run_id} left objects");
    test
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serializable_list_append_with_hot_keys_under_kill_pause_and_clock_is_valid() {
    let _serial = SERIAL.lock().await;
    let results = results_dir("pg-serializable");
    std::fs::create_dir_all(&results).unwrap();
    // Skew the clock an hour ahead, kill and restart under the skew, then pause and resume.
    let schedule = [
        json!({"at": 1.0, "f": "clock-offset", "value": {"offsets": {"n1": 3600.0}}}),
        json!({"at": 2.0, "f": "kill", "value": {"nodes": ["n1"]}}),
        json!({"at": 3.5, "f": "restart", "value": {"nodes": ["n1"]}}),
        json!({"at": 6.0, "f": "clock-reset"}),
        json!({"at": 7.0, "f": "pause", "value": {"nodes": ["n1"]}}),
        json!({"at": 9.0, "f": "resume", "value": {"nodes": ["n1"]}}),
    ]
    .map(|s| s.to_string())
    .join("\n");
    let schedule_path = results.join("schedule.jsonl");
    std::fs::write(&schedule_path, schedule).unwrap();
    let out = list_append(
        "serializable",
        &[
            "--schedule",
            schedule_path.to_str().unwrap(),
            "--workload-option",
            "key-distribution=hot",
            "--time-limit",
            "13",
            "--seed",
            "21",
        ],
        &results,
    );
    assert_eq!(out.status.code(), Some(0), "exit code");
    let dir = results.join("latest");
    let res = json(&dir.join("results.json"));
    assert_eq!(res["valid"], true);
    assert_eq!(checker(&res, "list-append")["valid"], true);
    assert!(anomaly_types(&res).is_empty(), "{:?}", anomaly_types(&res));
    let stats = &res["stats"];
    assert!(stats["ok"].as_u64().unwrap() > 300, "{stats}");

    let history = read_path(dir.join("history.jsonl"), Format::Jsonl).expect("history");
    let faults: Vec<&str> = history.nemesis_events().map(|o| o.f.as_str()).collect();
    for f in [
        "clock-offset",
        "kill",
        "restart",
        "pause",
        "resume",
        "clock-reset",
    ] {
        assert!(faults.contains(&f), "{f} missing from {faults:?}");
    }
    // Hot keys make SERIALIZABLE abort transactions, and the kill refuses connections: both are
    // `fail`s, named by the error mapping.
    let errors: Vec<String> = history
        .ops()
        .iter()
        .filter(|o| o.kind == OpType::Fail)
        .filter_map(|o| o.error.as_ref().map(|e| e.to_string()))
        .collect();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("serialization-failure 40001")),
        "no serialization failure among {} failures",
        errors.len()
    );
    assert!(
        errors.iter().any(|e| e.contains("connecting:")),
        "no refused connection"
    );

    // libfaketime reached PostgreSQL: the restart under the +1 h offset logged an hour ahead.
    let log = std::fs::read_to_string(dir.join("nodes/n1/service.log")).unwrap();
    let starts = log_times(&log, "starting PostgreSQL");
    assert_eq!(starts.len(), 2, "{log}");
    assert!(
        starts[1] - starts[0] > 3000.0,
        "restart logged at {starts:?}"
    );

    let test = assert_nothing_left(&dir).await;
    assert_eq!(
        test["options"]["nodes"], 1,
        "postgres runs one node by default"
    );
    assert_eq!(
        test["options"]["target_options"]["isolation"],
        "serializable"
    );
    std::fs::remove_dir_all(&results).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_committed_list_append_shows_g_single_and_g2_item() {
    let _serial = SERIAL.lock().await;
    let results = results_dir("pg-read-committed");
    let out = list_append(
        "read-committed",
        &["--nemesis", "none", "--time-limit", "8", "--seed", "5"],
        &results,
    );
    assert_eq!(out.status.code(), Some(1), "exit code");
    let dir = results.join("latest");
    let res = json(&dir.join("results.json"));
    assert_eq!(res["valid"], false);
    let types = anomaly_types(&res);
    for expected in ["G-single-item", "G2-item"] {
        assert!(
            types.iter().any(|t| t == expected),
            "{expected} not in {types:?}"
        );
    }
    let elle = checker(&res, "list-append");
    let reported: Vec<&str> = elle["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["type"].as_str())
        .collect();
    assert!(reported.contains(&"G-single-item"), "{reported:?}");
    // What READ COMMITTED forbids stays absent: no dirty writes or reads.
    for forbidden in ["G0", "G1a", "G1b", "G1c"] {
        assert!(
            !types.iter().any(|t| t == forbidden),
            "{forbidden} in {types:?}"
        );
    }
    assert_nothing_left(&dir).await;
    std::fs::remove_dir_all(&results).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeatable_read_list_append_is_snapshot_isolation_with_only_g2_item() {
    let _serial = SERIAL.lock().await;
    let results = results_dir("pg-repeatable-read");
    let out = list_append(
        "repeatable-read",
        &["--nemesis", "none", "--time-limit", "8", "--seed", "5"],
        &results,
    );
    assert_eq!(out.status.code(), Some(1), "exit code");
    let dir = results.join("latest");
    let res = json(&dir.join("results.json"));
    let types = anomaly_types(&res);
    // PostgreSQL's REPEATABLE READ is snapshot isolation: write skew (G2-item), nothing weaker.
    assert!(types.iter().any(|t| t == "G2-item"), "{types:?}");
    assert!(types.iter().all(|t| t.starts_with("G2-item")), "{types:?}");
    assert_nothing_left(&dir).await;
    std::fs::remove_dir_all(&results).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bank_at_serializable_keeps_its_total_through_kills() {
    let _serial = SERIAL.lock().await;
    let results = results_dir("pg-bank");
    let out = run(
        &[
            "run",
            "--target",
            "postgres",
            "--workload",
            "bank",
            "--nemesis",
            "kill",
            "--nemesis-interval",
            "2",
            "--time-limit",
            "8",
            "--seed",
            "3",
        ],
        &results,
    );
    assert_eq!(out.status.code(), Some(0), "exit code");
    let dir = results.join("latest");
    let res = json(&dir.join("results.json"));
    assert_eq!(checker(&res, "bank")["valid"], true);
    assert!(
        checker(&res, "bank")["stats"]["read-count"]
            .as_u64()
            .unwrap()
            > 50,
        "{res}"
    );
    assert_eq!(res["stats"]["final_reads"]["ok"], 1, "{}", res["stats"]);
    assert_nothing_left(&dir).await;
    std::fs::remove_dir_all(&results).unwrap();
}

/// Bad input is refused before Docker is touched, saying what to do instead.
#[test]
fn unsupported_settings_are_refused_as_bad_input() {
    let results = results_dir("pg-refusals");
    let refused = |extra: &[&str], says: &str| {
        let mut args = vec!["run", "--target", "postgres"];
        args.extend_from_slice(extra);
        let out = run(&args, &results);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(64), "{extra:?}: {stderr}");
        assert!(stderr.contains(says), "{extra:?}: {stderr}");
    };
    let la = ["--workload", "list-append"];
    refused(
        &[&la[..], &["--nodes", "3", "--nemesis", "kill"]].concat(),
        "at most 1 node (got --nodes 3)",
    );
    refused(
        &["--workload", "kv", "--nemesis", "kill"],
        "no client for workload kv",
    );
    refused(
        &[&la[..], &["--isolation", "snapshot", "--nemesis", "kill"]].concat(),
        "one of serializable, repeatable-read, read-committed",
    );
    refused(
        &[&la[..], &["--nemesis", "partition"]].concat(),
        "a single node has no peers",
    );
    assert!(!results.exists(), "a refused run made a results folder");
}

//! `faultline run --target zookeeper` end to end against the real Docker engine: the image is
//! built from Debian's ZooKeeper and Java packages when missing, a 3-member ensemble runs under
//! faults, and the verdicts, history and cleanup are checked. A missing Docker is a failure, not a
//! skip. The tests share the machine's two cores, so they run one at a time.
//!
//! What they pin down (docs/targets/zookeeper.md has the measurements):
//! - reads after `sync` stay linearizable under partitions of a follower and of the leader;
//! - plain reads served by a follower cut off from its leader are stale until it notices (two
//!   ticks): the register is not linearizable;
//! - set and counter stay valid under partitions and kills;
//! - the clock nemesis is refused before anything starts (the JVM under libfaketime takes over a
//!   minute to start).

use std::path::Path;

use faultline_checkers::history::formats::{read_path, Format};
use faultline_checkers::{OpType, Process};
use serde_json::Value;

mod common;
use common::{checker, faultline_command, json, leftovers, output, results_dir};

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Client completions of the run in `dir` by kind, and the nemesis events' names.
fn outcomes(dir: &Path) -> (usize, usize, usize, Vec<String>) {
    let history = read_path(dir.join("history.jsonl"), Format::Jsonl).expect("history");
    let mut counts = (0, 0, 0);
    for op in history.ops() {
        if !matches!(op.process, Process::Client(_)) {
            continue;
        }
        match op.kind {
            OpType::Ok => counts.0 += 1,
            OpType::Fail => counts.1 += 1,
            OpType::Info => counts.2 += 1,
            OpType::Invoke => {}
        }
    }
    let faults = history.nemesis_events().map(|o| o.f.clone()).collect();
    (counts.0, counts.1, counts.2, faults)
}

/// Runs ZooKeeper with `workload` and `extra` flags; returns the exit code, the results, the run
/// folder and the results folder (to remove), after checking nothing was left in Docker.
async fn zk_run(name: &str, workload: &str, extra: &[&str]) -> (i32, Value, std::path::PathBuf) {
    let results = results_dir(&format!("zookeeper-{name}"));
    let mut args = vec![
        "run",
        "--target",
        "zookeeper",
        "--workload",
        workload,
        "--nodes",
        "3",
        "--concurrency",
        "10",
    ];
    args.extend_from_slice(extra);
    let out = output(faultline_command(&args, &results));
    let dir = results.join("latest");
    let res = json(&dir.join("results.json"));
    let test = json(&dir.join("test.json"));
    assert!(
        test["images"]["target"]
            .as_str()
            .unwrap()
            .starts_with("faultline-zookeeper:"),
        "{}",
        test["images"]
    );
    assert!(dir.join("nodes/n3/service.log").is_file());
    assert_eq!(leftovers(test["run_id"].as_str().unwrap()).await, 0);
    (out.status.code().unwrap_or(-1), res, results)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_reads_under_partitions_are_linearizable() {
    let _serial = SERIAL.lock().await;
    let (code, res, results) = zk_run(
        "sync",
        "register",
        &[
            "--target-option",
            "reads=sync",
            "--nemesis",
            "partition-follower,partition-leader",
            "--time-limit",
            "20",
            "--nemesis-interval",
            "3",
            "--seed",
            "5",
        ],
    )
    .await;
    assert_eq!(code, 0, "exit code");
    assert_eq!(res["valid"], true, "{res}");
    assert_eq!(checker(&res, "cas-register")["valid"], true);
    assert_eq!(
        res["stats"]["final_reads"]["ok"],
        res["stats"]["final_reads"]["asked"]
    );
    let (ok, fail, info, faults) = outcomes(&results.join("latest"));
    assert!(ok > 100, "only {ok} ok operations");
    assert!(fail + info > 0, "faults but no fail or info completions");
    let partitions = faults.iter().filter(|f| *f == "partition-start").count();
    assert!(partitions >= 3, "{faults:?}");
    std::fs::remove_dir_all(&results).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_reads_from_a_cut_off_follower_are_stale() {
    let _serial = SERIAL.lock().await;
    let (code, res, results) = zk_run(
        "plain",
        "register",
        &[
            "--target-option",
            "reads=plain",
            "--nemesis",
            "partition-follower",
            "--time-limit",
            "20",
            "--nemesis-interval",
            "3",
            "--seed",
            "1",
        ],
    )
    .await;
    // Exit 1: the checkers found the store invalid (not a harness error).
    assert_eq!(code, 1, "exit code");
    assert_eq!(res["valid"], false, "{res}");
    assert_eq!(checker(&res, "cas-register")["valid"], false);
    std::fs::remove_dir_all(&results).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counter_through_a_kill_of_a_member_is_valid() {
    let _serial = SERIAL.lock().await;
    let dir = results_dir("zookeeper-kill-schedule");
    std::fs::create_dir_all(&dir).unwrap();
    // Kill n1 and start it again: its clients lose their session, it rejoins from its own log.
    let schedule = [
        serde_json::json!({"at": 2.0, "f": "kill", "value": {"nodes": ["n1"]}}),
        serde_json::json!({"at": 4.0, "f": "restart", "value": {"nodes": ["n1"]}}),
    ]
    .map(|s| s.to_string())
    .join("\n");
    let schedule_path = dir.join("schedule.jsonl");
    std::fs::write(&schedule_path, schedule).unwrap();
    let (code, res, results) = zk_run(
        "counter",
        "counter",
        &[
            "--schedule",
            schedule_path.to_str().unwrap(),
            "--time-limit",
            "12",
            "--seed",
            "3",
        ],
    )
    .await;
    assert_eq!(code, 0, "exit code");
    assert_eq!(res["valid"], true, "{res}");
    assert_eq!(checker(&res, "counter")["valid"], true);
    let (ok, fail, info, faults) = outcomes(&results.join("latest"));
    assert!(ok > 100, "only {ok} ok operations");
    assert!(
        fail + info > 0,
        "a member was killed but no operation failed"
    );
    assert!(
        faults.iter().any(|f| f == "kill") && faults.iter().any(|f| f == "restart"),
        "{faults:?}"
    );
    std::fs::remove_dir_all(&results).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_with_sync_reads_under_partitions_is_valid() {
    let _serial = SERIAL.lock().await;
    let (code, res, results) = zk_run(
        "set",
        "set",
        &[
            "--nemesis",
            "partition,kill",
            "--time-limit",
            "12",
            "--nemesis-interval",
            "3",
            "--seed",
            "5",
        ],
    )
    .await;
    assert_eq!(code, 0, "exit code");
    assert_eq!(res["valid"], true, "{res}");
    let (ok, _, _, _) = outcomes(&results.join("latest"));
    assert!(ok > 100, "only {ok} ok operations");
    std::fs::remove_dir_all(&results).unwrap();
}

#[test]
fn workloads_without_a_zookeeper_client_are_refused_as_bad_input() {
    let results = results_dir("zookeeper-bank");
    let out = output(faultline_command(
        &["run", "--target", "zookeeper", "--workload", "bank"],
        &results,
    ));
    assert_eq!(out.status.code(), Some(64), "exit code");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("no client for workload bank"), "{said}");
    let out = output(faultline_command(
        &[
            "run",
            "--target",
            "zookeeper",
            "--target-option",
            "reads=local",
        ],
        &results,
    ));
    assert_eq!(out.status.code(), Some(64), "exit code");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("one of sync, plain"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !results.join("latest").exists(),
        "a refused run made a run folder"
    );
}

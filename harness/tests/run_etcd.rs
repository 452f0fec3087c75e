//! `faultline run --target etcd` end to end against the real Docker engine: the image is built
//! from Debian's `etcd-server` package when missing (CI starts without images), a 3-node cluster
//! runs under partitions and kills, and the verdict, history and cleanup are checked. A missing
//! Docker is a failure, not a skip. The tests share the machine's two cores, so they run one at a
//! time.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use faultline_checkers::history::formats::{read_path, Format};
use faultline_checkers::{OpType, Process};
use serde_json::Value;

mod common;
use common::{checker, json, leftovers};

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn results_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("faultline-etcd-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn run(args: &[&str], results: &Path) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .arg("--results-dir")
        .arg(results)
        .output()
        .expect("faultline run");
    eprintln!(
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    out
}

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

/// Runs etcd under `nemesis` with `workload` and checks what every such run must show: valid,
/// the convergence checker skipped with its reason, faults and the final-read marker in the
/// history, ok and fail/info completions, nothing left in Docker.
async fn valid_etcd_run(name: &str, workload: &str, extra: &[&str]) -> (Value, PathBuf) {
    let results = results_dir(name);
    let mut args = vec![
        "run",
        "--target",
        "etcd",
        "--workload",
        workload,
        "--nodes",
        "3",
        "--concurrency",
        "10",
    ];
    args.extend_from_slice(extra);
    let out = run(&args, &results);
    assert_eq!(out.status.code(), Some(0), "exit code");
    let dir = results.join("latest");
    let res = json(&dir.join("results.json"));
    assert_eq!(res["valid"], true, "{res}");
    let (ok, fail, info, faults) = outcomes(&dir);
    assert!(ok > 100, "only {ok} ok operations");
    assert!(fail + info > 0, "faults but no fail or info completions");
    assert!(
        faults.iter().any(|f| f == "partition-start") && faults.iter().any(|f| f == "kill"),
        "{faults:?}"
    );
    assert!(faults.iter().any(|f| f == "final-reads"), "{faults:?}");
    let test = json(&dir.join("test.json"));
    assert!(
        test["images"]["target"]
            .as_str()
            .unwrap()
            .starts_with("faultline-etcd:"),
        "{}",
        test["images"]
    );
    assert!(dir.join("nodes/n3/service.log").is_file());
    assert_eq!(leftovers(test["run_id"].as_str().unwrap()).await, 0);
    (res, results)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_under_partitions_and_kills_is_valid() {
    let _serial = SERIAL.lock().await;
    // Seed 5's schedule: a ring partition, then two kills and restarts of n1.
    let (res, results) = valid_etcd_run(
        "register",
        "register",
        &[
            "--nemesis",
            "partition,kill",
            "--time-limit",
            "18",
            "--nemesis-interval",
            "3",
            "--seed",
            "5",
        ],
    )
    .await;
    assert_eq!(checker(&res, "cas-register")["valid"], true);
    assert_eq!(
        res["stats"]["final_reads"]["ok"],
        res["stats"]["final_reads"]["asked"]
    );
    let skipped = res["skipped_checkers"].as_array().unwrap();
    assert_eq!(skipped[0]["checker"], "convergence", "{skipped:?}");
    assert!(skipped[0]["reason"].as_str().unwrap().contains("leader"));
    // A killed node's connections break after requests were sent: those writes are info.
    let (_, _, info, _) = outcomes(&results.join("latest"));
    assert!(info > 0, "kills and a partition but no info completions");
    std::fs::remove_dir_all(&results).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_append_under_partitions_and_kills_is_valid() {
    let _serial = SERIAL.lock().await;
    let (res, results) = valid_etcd_run(
        "list-append",
        "list-append",
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
    assert_eq!(checker(&res, "list-append")["valid"], true);
    std::fs::remove_dir_all(&results).unwrap();
}

#[test]
fn clock_nemesis_is_refused_as_bad_input() {
    let results = results_dir("clock");
    let out = run(
        &[
            "run",
            "--target",
            "etcd",
            "--nemesis",
            "clock",
            "--time-limit",
            "5",
        ],
        &results,
    );
    assert_eq!(out.status.code(), Some(64), "exit code");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("cannot skew the clock of target etcd") && said.contains("libfaketime"),
        "{said}"
    );
    assert!(
        !results.join("latest").exists(),
        "a refused run made a run folder"
    );
}

#[test]
fn workloads_without_an_etcd_client_are_refused_as_bad_input() {
    let results = results_dir("bank");
    let out = run(&["run", "--target", "etcd", "--workload", "bank"], &results);
    assert_eq!(out.status.code(), Some(64), "exit code");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("no client for workload bank"), "{said}");
}

//! `faultline run` end to end against the real Docker engine and the reference nodes. A missing
//! Docker is a failure, not a skip. The tests share the machine's two cores, so they run one at a
//! time.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use faultline_checkers::history::formats::{read_path, Format};

mod common;
use common::{checker, faultline_command, json, leftovers, output, refnode_binary, results_dir};

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn faultline(args: &[&str], results: &Path) -> Command {
    let mut cmd = faultline_command(args, results);
    cmd.env("FAULTLINE_REFNODE_BIN", refnode_binary());
    cmd
}

fn run(args: &[&str], results: &Path) -> Output {
    output(faultline(args, results))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raft_under_partitions_and_kills_is_valid_and_leaves_nothing() {
    let _serial = SERIAL.lock().await;
    let results = results_dir("valid");
    let out = run(
        &[
            "run",
            "--target",
            "reference",
            "--mode",
            "raft",
            "--workload",
            "register",
            "--nemesis",
            "partition,kill",
            "--nodes",
            "3",
            "--time-limit",
            "12",
            "--nemesis-interval",
            "2",
            "--concurrency",
            "10",
            "--seed",
            "7",
        ],
        &results,
    );
    assert_eq!(out.status.code(), Some(0), "exit code");
    let dir = results.join("latest");
    let res = json(&dir.join("results.json"));
    assert_eq!(res["valid"], true);
    assert_eq!(checker(&res, "cas-register")["valid"], true);
    assert!(
        res["stats"]["client_ops"].as_u64().unwrap() > 1000,
        "{}",
        res["stats"]
    );
    assert_eq!(
        res["stats"]["final_reads"]["ok"],
        res["stats"]["final_reads"]["asked"]
    );
    let test = json(&dir.join("test.json"));
    assert_eq!(test["seed"], 7);
    assert_eq!(
        test["options"]["nemesis"],
        serde_json::json!(["partition", "kill"])
    );
    assert_eq!(test["versions"]["docker_api"], "1.41");
    let history = read_path(dir.join("history.jsonl"), Format::Jsonl).expect("history");
    let faults: Vec<&str> = history.nemesis_events().map(|o| o.f.as_str()).collect();
    assert!(
        faults.contains(&"partition-start") || faults.contains(&"kill"),
        "{faults:?}"
    );
    assert!(faults.contains(&"final-reads"));
    assert!(dir.join("nodes/n1/service.log").is_file());
    let run_id = test["run_id"].as_str().unwrap();
    assert_eq!(leftovers(run_id).await, 0);
    std::fs::remove_dir_all(&results).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_read_bug_under_partitions_is_invalid() {
    let _serial = SERIAL.lock().await;
    let results = results_dir("stale");
    std::fs::create_dir_all(&results).unwrap();
    // Isolate each node in turn: whichever leads at first is cut off at some point, keeps
    // answering reads locally (the bug) while the majority elects a new leader and takes writes.
    let mut schedule = String::new();
    for (i, node) in ["n1", "n2", "n3", "n1", "n2", "n3"].iter().enumerate() {
        let others: Vec<&str> = ["n1", "n2", "n3"]
            .into_iter()
            .filter(|n| n != node)
            .collect();
        let mut grudge = serde_json::Map::new();
        grudge.insert(node.to_string(), serde_json::json!(others));
        for o in &others {
            grudge.insert(o.to_string(), serde_json::json!([node]));
        }
        let start = 1.0 + i as f64 * 3.0;
        schedule += &serde_json::json!({"at": start, "f": "partition-start", "value": {"kind": "one", "grudge": grudge}}).to_string();
        schedule += "\n";
        schedule += &serde_json::json!({"at": start + 2.5, "f": "partition-stop"}).to_string();
        schedule += "\n";
    }
    let schedule_path = results.join("schedule.jsonl");
    std::fs::write(&schedule_path, schedule).unwrap();
    let out = run(
        &[
            "run",
            "--mode",
            "raft",
            "--bug",
            "stale-read",
            "--workload",
            "register",
            "--time-limit",
            "19",
            "--concurrency",
            "10",
            "--seed",
            "11",
            "--schedule",
            schedule_path.to_str().unwrap(),
            "--op-timeout-ms",
            "500",
        ],
        &results,
    );
    assert_eq!(out.status.code(), Some(1), "exit code");
    let res = json(&results.join("latest/results.json"));
    assert_eq!(res["valid"], false);
    let lin = checker(&res, "cas-register");
    assert_eq!(lin["valid"], false);
    assert!(!lin["anomalies"].as_array().unwrap().is_empty());
    assert_eq!(res["schema"], 2);
    // It reads back through the typed contract, the counterexample as a drawable detail.
    let typed =
        faultline::results::ResultsFile::read(&results.join("latest/results.json")).unwrap();
    let lin = typed
        .checkers
        .iter()
        .find(|c| c.checker.contains("cas-register"))
        .unwrap();
    assert!(matches!(
        lin.anomalies[0].detail,
        Some(faultline_checkers::verdict::AnomalyDetail::Counterexample(
            _
        ))
    ));
    assert!(typed.seconds_of(&lin.checker).is_some());
    // The run ends with its report, its JUnit file and the index of the results folder.
    let run_dir = std::fs::canonicalize(results.join("latest")).unwrap();
    let page = std::fs::read_to_string(run_dir.join("report.html")).unwrap();
    assert!(page.contains("class=\"counterexample\""));
    assert!(page.contains("class=\"fault fault-partition\""));
    let junit = std::fs::read_to_string(run_dir.join("junit.xml")).unwrap();
    assert!(junit.contains("<failure type=\"invalid\" message=\"1 anomaly: nonlinearizable"));
    let index = std::fs::read_to_string(results.join("index.html")).unwrap();
    let stamp = run_dir.file_name().unwrap().to_string_lossy().into_owned();
    assert!(index.contains(&format!("{stamp}/report.html")), "{index}");
    std::fs::remove_dir_all(&results).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkilled_run_leaves_a_readable_history_and_clean_removes_everything() {
    let _serial = SERIAL.lock().await;
    let results = results_dir("killed");
    let mut child = faultline(
        &[
            "run",
            "--nemesis",
            "partition",
            "--time-limit",
            "60",
            "--nemesis-interval",
            "1",
            "--seed",
            "5",
        ],
        &results,
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .expect("spawn faultline run");
    // Wait until clients are recording, then SIGKILL the controller: no teardown can run.
    let history = results.join("latest/history.jsonl");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let lines = std::fs::read_to_string(&history)
            .map(|t| t.lines().count())
            .unwrap_or(0);
        if lines > 200 {
            break;
        }
        assert!(Instant::now() < deadline, "the run never started recording");
        assert!(child.try_wait().unwrap().is_none(), "the run ended early");
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_millis(1500));
    child.kill().unwrap();
    child.wait().unwrap();

    let test = json(&results.join("latest/test.json"));
    let run_id = test["run_id"].as_str().unwrap().to_string();
    assert!(
        leftovers(&run_id).await > 0,
        "a SIGKILLed run cannot have cleaned up"
    );
    let partial = read_path(&history, Format::Jsonl).expect("the partial history reads");
    assert!(partial.len() > 200);

    let clean = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .arg("clean")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&clean.stdout);
    assert_eq!(clean.status.code(), Some(0), "{said}");
    assert!(said.contains(&run_id), "{said}");
    assert_eq!(leftovers(&run_id).await, 0);
    std::fs::remove_dir_all(&results).unwrap();
}

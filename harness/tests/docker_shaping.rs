//! Packet delay, duplication and reordering on real node pairs through the NFQUEUE helper (this
//! kernel has no netem): a UDP probe between two nodes measures the added round-trip time and
//! counts duplicates and reorders; a killed helper leaves traffic flowing; healing removes the
//! rules and the helper. A missing Docker is a failure, not a skip.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use faultline::backend::docker::probe::{self, start_echo, start_nodes};
use faultline::backend::Cluster;
use faultline::docker::{DockerClient, NodeContainers};
use faultline::nemesis::{faults, Nemesis};
use faultline::results::Recorder;
use faultline_netq::ProbeReport;

mod common;
use common::{faultline_command, json, leftovers, output, refnode_binary, results_dir};

/// The tests share the machine's two cores and the Docker engine: one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A probe of `count` datagrams 5 ms apart from `from` to `to`'s echo.
async fn probe(
    docker: &DockerClient,
    from: &NodeContainers,
    to: &NodeContainers,
    count: u64,
) -> ProbeReport {
    let report = probe::ping(docker, from, to, count, 5.0)
        .await
        .expect("probe");
    eprintln!("probe {} → {}: {report:?}", from.node, to.node);
    report
}

async fn chain(docker: &DockerClient, node: &NodeContainers) -> String {
    docker
        .exec_ok(&node.infra, &["iptables", "-S", "FAULTLINE-NETQ"])
        .await
        .expect("iptables -S")
}

async fn helpers(docker: &DockerClient, node: &NodeContainers) -> usize {
    let out = docker
        .exec(&node.infra, &["pgrep", "-f", "faultline-netq serve"])
        .await
        .expect("pgrep");
    out.output.lines().filter(|l| !l.trim().is_empty()).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delay_duplicates_and_reorders_are_measured_and_a_dead_helper_blocks_nothing() {
    let _serial = SERIAL.lock().await;
    common::netq_binary();
    let docker = DockerClient::connect().await.expect("Docker engine");
    let run_id = format!("test-shaping-{}", std::process::id());
    let _guard = faultline::docker::CleanupGuard::new(&run_id);
    let cluster = Arc::new(start_nodes(&docker, &run_id, 2).await.expect("two nodes"));
    let nodes = cluster.nodes.clone();
    // The preflight copies the helper into every node and binds the queue there.
    cluster
        .shaping_support()
        .await
        .expect("NFQUEUE works in the nodes");
    start_echo(&docker, &nodes[1]).await.expect("echo");
    let (n1, n2) = (&nodes[0], &nodes[1]);
    let base = probe(&docker, n1, n2, 100).await;
    assert_eq!(base.received, 100, "{base:?}");
    assert!(base.rtt_ms_p50 < 5.0, "{base:?}");

    let recorder = Recorder::in_memory(Instant::now());
    let mut nemesis = Nemesis::new(cluster.clone(), recorder.clone());
    let only_n1 = vec!["n1".to_string()];

    // Delay: 40 ms on what n1 sends; the echo's answer is not delayed, so the RTT grows by 40.
    nemesis
        .perform(&faults::delay(only_n1.clone(), 40, 0))
        .await;
    assert!(chain(&docker, n1)
        .await
        .contains("NFQUEUE --queue-num 7 --queue-bypass"));
    assert_eq!(helpers(&docker, n1).await, 1);
    assert_eq!(helpers(&docker, n2).await, 0, "n2 is not shaped");
    let delayed = probe(&docker, n1, n2, 200).await;
    assert_eq!(delayed.received, 200, "{delayed:?}");
    let added = delayed.rtt_ms_p50 - base.rtt_ms_p50;
    assert!(
        (39.0..50.0).contains(&added),
        "added {added} ms: {delayed:?}"
    );
    // The tail depends on how busy the machine's two cores are; only a bound that says the
    // helper does not hold packets far past their time.
    assert!(delayed.rtt_ms_p99 < 200.0, "{delayed:?}");

    // Duplicate and reorder on top (the layers combine): both counted by the probe.
    nemesis
        .perform(&faults::duplicate(only_n1.clone(), 0.3))
        .await;
    nemesis
        .perform(&faults::reorder(only_n1.clone(), 0.3, 30))
        .await;
    assert_eq!(helpers(&docker, n1).await, 1, "one helper per node");
    let shaped = probe(&docker, n1, n2, 400).await;
    assert_eq!(shaped.received, 400, "{shaped:?}");
    assert!(
        (60..180).contains(&shaped.duplicates),
        "about 30% duplicated: {shaped:?}"
    );
    assert!(shaped.reordered >= 40, "{shaped:?}");
    assert!(
        shaped.rtt_ms_p50 >= 40.0,
        "the delay layer stayed: {shaped:?}"
    );

    // A dead helper (SIGKILL: no chance to clean up) leaves its rules, and traffic flows.
    docker
        .exec_ok(&n1.infra, &["pkill", "-KILL", "-f", "faultline-netq serve"])
        .await
        .expect("pkill");
    assert!(chain(&docker, n1).await.contains("NFQUEUE"));
    let bypassed = probe(&docker, n1, n2, 100).await;
    assert_eq!(bypassed.received, 100, "{bypassed:?}");
    assert_eq!(bypassed.duplicates, 0, "{bypassed:?}");
    assert!(bypassed.rtt_ms_p50 < 5.0, "{bypassed:?}");

    // Heal: no rules, no helper, plain traffic.
    nemesis.heal().await;
    assert_eq!(chain(&docker, n1).await.trim(), "-N FAULTLINE-NETQ");
    // The stopped helper's counts reach the infra container's log (the run's infra.log).
    // Helpers that stopped cleanly printed their counts (the SIGKILLed one could not); the
    // first shaped the 200-packet probe.
    let stats = probe::helper_stats(&docker, n1).await;
    assert!(
        stats
            .iter()
            .any(|s| s["packets"].as_u64().unwrap_or(0) >= 200),
        "{stats:?}"
    );
    assert_eq!(helpers(&docker, n1).await, 0);
    let healed = probe(&docker, n1, n2, 100).await;
    assert_eq!((healed.received, healed.duplicates), (100, 0), "{healed:?}");
    let (events, _) = recorder.snapshot();
    let fs: Vec<&str> = events.iter().map(|e| e.f.as_str()).collect();
    assert!(
        [
            "delay-start",
            "duplicate-start",
            "reorder-start",
            "delay-stop",
            "duplicate-stop",
            "reorder-stop"
        ]
        .iter()
        .all(|f| fs.contains(f)),
        "{fs:?}"
    );
    assert!(events.iter().all(|e| e.error.is_none()), "{events:?}");

    docker.remove_run(&run_id).await.expect("remove");
    let left = docker.run_objects(Some(&run_id)).await.unwrap();
    assert!(left.values().all(|o| o.is_empty()), "{left:?}");
}

fn faultline(args: &[&str], results: &std::path::Path) -> Command {
    let mut cmd = faultline_command(args, results);
    cmd.env("FAULTLINE_REFNODE_BIN", refnode_binary());
    cmd.env("FAULTLINE_NETQ_BIN", common::netq_binary());
    cmd
}

const SHAPED_RUN: &[&str] = &[
    "run",
    "--target",
    "reference",
    "--mode",
    "raft",
    "--workload",
    "register",
    "--nemesis",
    "delay,duplicate,reorder",
    "--delay-ms",
    "20",
    "--jitter-ms",
    "10",
    "--duplicate-probability",
    "0.3",
    "--reorder-probability",
    "0.3",
    "--nemesis-interval",
    "1",
    "--seed",
    "3",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raft_under_shaping_is_valid_and_a_killed_controller_leaves_nothing_after_clean() {
    let _serial = SERIAL.lock().await;
    let results = results_dir("shaped");
    let mut args = SHAPED_RUN.to_vec();
    args.extend(["--time-limit", "7"]);
    let out = output(faultline(&args, &results));
    assert_eq!(out.status.code(), Some(0), "exit code");
    let dir = std::fs::canonicalize(results.join("latest")).unwrap();
    assert_eq!(json(&dir.join("results.json"))["valid"], true);
    let test = json(&dir.join("test.json"));
    assert_eq!(test["packet_shaping"], "nfqueue");
    assert_eq!(test["options"]["reorder_probability"], 0.3);
    let run_id = test["run_id"].as_str().unwrap().to_string();
    assert_eq!(leftovers(&run_id).await, 0);
    let history = std::fs::read_to_string(dir.join("history.jsonl")).unwrap();
    let faults: Vec<serde_json::Value> = history
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["process"] == "nemesis")
        .collect();
    for f in ["delay-start", "duplicate-start", "reorder-start"] {
        assert!(
            faults.iter().any(|e| e["f"] == f),
            "{f} missing: {faults:?}"
        );
    }
    assert!(faults.iter().all(|e| e["error"].is_null()), "{faults:?}");
    // The helpers' counts are in the nodes' saved infra logs.
    let infra = std::fs::read_to_string(dir.join("nodes/n1/infra.log")).unwrap();
    assert!(infra.contains("faultline-netq: stats"), "{infra}");
    std::fs::remove_dir_all(&results).unwrap();

    // SIGKILL the controller while a shaping fault is in force: its helper and rules stay in
    // the infra containers until `faultline clean` removes those.
    let results = results_dir("shaped-killed");
    let mut args = SHAPED_RUN.to_vec();
    args.extend(["--time-limit", "60"]);
    let mut child = faultline(&args, &results)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn faultline run");
    let history = results.join("latest/history.jsonl");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let text = std::fs::read_to_string(&history).unwrap_or_default();
        let last = text.lines().rev().find(|l| l.contains("\"nemesis\""));
        if last.is_some_and(|l| l.contains("-start\"")) {
            break;
        }
        assert!(Instant::now() < deadline, "no shaping fault started");
        assert!(child.try_wait().unwrap().is_none(), "the run ended early");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let test = json(&results.join("latest/test.json"));
    let run_id = test["run_id"].as_str().unwrap().to_string();
    let infra = format!("faultline-{run_id}-n1-infra");
    let docker = DockerClient::connect().await.unwrap();
    let running = docker
        .exec(&infra, &["pgrep", "-f", "faultline-netq serve"])
        .await
        .unwrap();
    assert!(
        !running.output.trim().is_empty(),
        "the helper was not running"
    );
    let clean = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .arg("clean")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&clean.stdout);
    assert_eq!(clean.status.code(), Some(0), "{said}");
    assert_eq!(leftovers(&run_id).await, 0, "{said}");
    std::fs::remove_dir_all(&results).unwrap();
}

//! The in-process backend: whole `faultline run`s without Docker (clients, recorder, nemesis,
//! heal, final reads, checkers, results.json, report.html, junit.xml), and each fault primitive
//! acting on the simulated network and nodes.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use faultline::backend::in_process::InProcessBackend;
use faultline::backend::{Backend, Cluster, ClusterPlan, Grudge};
use faultline::nemesis::aim::{aimed, Aim};
use faultline::nemesis::Nemesis;
use faultline::results::Recorder;
use faultline_refnode::client::Client;
use faultline_refnode::protocol::{OpKind, Outcome};
use faultline_targets::{Role, Roles};
use serde_json::{json, Value};

mod common;
use common::{checker, faultline_command, json, output, results_dir};

/// `faultline run --backend in-process ARGS`: exit code and the run folder.
fn run_in_process(name: &str, args: &[&str]) -> (Option<i32>, std::path::PathBuf) {
    let results = results_dir(name);
    std::fs::create_dir_all(&results).unwrap();
    let mut all = vec!["run", "--backend", "in-process"];
    all.extend_from_slice(args);
    let started = Instant::now();
    let out = output(faultline_command(&all, &results));
    let took = started.elapsed();
    assert!(took < Duration::from_secs(20), "the run took {took:?}");
    (out.status.code(), results)
}

/// The files every finished run writes, and its results.json.
fn finished_run(results: &Path) -> Value {
    let dir = std::fs::canonicalize(results.join("latest")).unwrap();
    for file in [
        "test.json",
        "history.jsonl",
        "results.json",
        "report.html",
        "junit.xml",
        "nodes/n1/service.log",
    ] {
        assert!(
            dir.join(file).is_file(),
            "{file} missing in {}",
            dir.display()
        );
    }
    let test = json(&dir.join("test.json"));
    assert_eq!(test["backend"], "in-process");
    assert_eq!(test["options"]["backend"], "in-process");
    assert_eq!(test["finished"], true);
    // Both files read back through the typed contract.
    let typed = faultline::results::TestFile::read(&dir.join("test.json")).unwrap();
    assert_eq!(typed.backend.as_deref(), Some("in-process"));
    let results = faultline::results::ResultsFile::read(&dir.join("results.json")).unwrap();
    assert_eq!(results.schema, faultline::results::SCHEMA_VERSION);
    assert!(results.stats.is_some_and(|s| s.client_ops > 0));
    json(&dir.join("results.json"))
}

#[test]
fn default_raft_run_under_partitions_and_kills_is_valid() {
    let (code, results) = run_in_process(
        "inproc-valid",
        &[
            "--mode",
            "raft",
            "--workload",
            "register",
            "--nemesis",
            "partition,kill",
            "--time-limit",
            "6",
            "--nemesis-interval",
            "1",
            "--recovery",
            "1",
            "--seed",
            "7",
        ],
    );
    assert_eq!(code, Some(0), "exit code");
    let res = finished_run(&results);
    assert_eq!(res["valid"], true);
    assert_eq!(checker(&res, "cas-register")["valid"], true);
    assert!(
        res["stats"]["client_ops"].as_u64().unwrap() > 200,
        "{}",
        res["stats"]
    );
    assert_eq!(
        res["stats"]["final_reads"]["ok"],
        res["stats"]["final_reads"]["asked"]
    );
    let history = std::fs::read_to_string(results.join("latest/history.jsonl")).unwrap();
    let faults: Vec<Value> = history
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["process"] == "nemesis")
        .collect();
    let names: Vec<&str> = faults.iter().filter_map(|e| e["f"].as_str()).collect();
    assert!(
        names.contains(&"partition-start") && names.contains(&"kill"),
        "{names:?}"
    );
    assert!(faults.iter().all(|e| e["error"].is_null()), "{faults:?}");
    std::fs::remove_dir_all(&results).unwrap();
}

#[test]
fn rolling_restarts_keep_raft_valid_and_bring_every_node_back() {
    // Five nodes, a short window per node: each is killed and restarted in turn while a majority
    // stays up, so raft must stay valid and every final read must be answered.
    let (code, results) = run_in_process(
        "inproc-rolling",
        &[
            "--mode",
            "raft",
            "--nodes",
            "5",
            "--workload",
            "register",
            "--nemesis",
            "rolling-restart",
            "--time-limit",
            "6",
            "--nemesis-interval",
            "2",
            "--recovery",
            "1",
            "--concurrency",
            "7",
            "--seed",
            "11",
        ],
    );
    assert_eq!(code, Some(0), "exit code");
    let res = finished_run(&results);
    assert_eq!(res["valid"], true);
    assert_eq!(
        res["stats"]["final_reads"]["ok"],
        res["stats"]["final_reads"]["asked"]
    );
    let history = std::fs::read_to_string(results.join("latest/history.jsonl")).unwrap();
    let starts: Vec<Value> = history
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["f"] == "rolling-restart-start")
        .collect();
    assert!(!starts.is_empty(), "no rolling restart in the history");
    assert_eq!(starts[0]["value"]["nodes"].as_array().unwrap().len(), 5);
    // Every node was killed and restarted at least once: the node logs say so.
    let latest = std::fs::canonicalize(results.join("latest")).unwrap();
    let restarted = (1..=5)
        .filter(|i| {
            std::fs::read_to_string(latest.join(format!("nodes/n{i}/service.log")))
                .map(|log| log.contains("restarted on its data directory"))
                .unwrap_or(false)
        })
        .count();
    assert!(restarted >= 2, "only {restarted} of 5 nodes restarted");
    std::fs::remove_dir_all(&results).unwrap();
}

#[test]
fn stale_read_bug_with_each_node_isolated_in_turn_is_invalid() {
    let schedule_dir = results_dir("inproc-stale-schedule");
    std::fs::create_dir_all(&schedule_dir).unwrap();
    // Isolate each node in turn: whichever leads is cut off at some point and keeps answering
    // reads locally (the bug) while the majority elects a new leader and takes writes.
    let mut schedule = String::new();
    for (i, node) in ["n1", "n2", "n3", "n1", "n2", "n3"].iter().enumerate() {
        let others: Vec<&str> = ["n1", "n2", "n3"]
            .into_iter()
            .filter(|n| n != node)
            .collect();
        let mut grudge = serde_json::Map::new();
        grudge.insert(node.to_string(), json!(others));
        for o in &others {
            grudge.insert(o.to_string(), json!([node]));
        }
        let start = 0.5 + i as f64 * 1.5;
        schedule += &json!({"at": start, "f": "partition-start", "value": {"kind": "one", "grudge": grudge}}).to_string();
        schedule += "\n";
        schedule += &json!({"at": start + 1.2, "f": "partition-stop"}).to_string();
        schedule += "\n";
    }
    let path = schedule_dir.join("schedule.jsonl");
    std::fs::write(&path, schedule).unwrap();
    let (code, results) = run_in_process(
        "inproc-stale",
        &[
            "--mode",
            "raft",
            "--bug",
            "stale-read",
            "--workload",
            "register",
            "--time-limit",
            "9.5",
            "--recovery",
            "1",
            "--seed",
            "11",
            "--schedule",
            path.to_str().unwrap(),
            "--op-timeout-ms",
            "500",
        ],
    );
    assert_eq!(code, Some(1), "exit code");
    let res = finished_run(&results);
    assert_eq!(res["valid"], false);
    let lin = checker(&res, "cas-register");
    assert_eq!(lin["valid"], false);
    assert!(!lin["anomalies"].as_array().unwrap().is_empty());
    let dir = std::fs::canonicalize(results.join("latest")).unwrap();
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(page.contains("class=\"counterexample\""));
    assert!(page.contains("class=\"fault fault-partition\""));
    let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    assert!(junit.contains("<failure type=\"invalid\""), "{junit}");
    std::fs::remove_dir_all(&results).unwrap();
    std::fs::remove_dir_all(&schedule_dir).unwrap();
}

#[test]
fn other_targets_are_refused_with_the_reason() {
    let results = results_dir("inproc-refused");
    let out = output(faultline_command(
        &["run", "--backend", "in-process", "--target", "etcd"],
        &results,
    ));
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("in-process backend runs only the reference nodes"),
        "{err}"
    );
    assert!(
        !results.exists(),
        "a refused run wrote {}",
        results.display()
    );
}

/// A three-node lww cluster in this process (lww broadcasts every write to its peers at once,
/// which makes the traffic between nodes easy to provoke).
async fn lww_cluster(name: &str) -> (InProcessBackend, Arc<dyn Cluster>) {
    cluster_in_mode(name, "lww").await
}

/// A three-node reference cluster in `mode`, in this process, healthy.
async fn cluster_in_mode(name: &str, mode: &str) -> (InProcessBackend, Arc<dyn Cluster>) {
    let target: Arc<dyn faultline_targets::Target> =
        faultline_targets::by_name("reference").unwrap().into();
    let mut backend = InProcessBackend::new();
    let run_id = format!("{name}-{}", std::process::id());
    backend.provision(target.as_ref(), &run_id).await.unwrap();
    let plan = ClusterPlan {
        node_count: 3,
        mode: Some(mode.into()),
        bug: None,
        options: BTreeMap::new(),
        clock_faults: true,
        seed: 1,
    };
    let cluster = backend.start(target.clone(), &plan).await.unwrap();
    cluster
        .wait_healthy(target.as_ref(), Duration::from_secs(10))
        .await
        .unwrap();
    (backend, cluster)
}

async fn client(cluster: &Arc<dyn Cluster>, i: usize) -> std::io::Result<Client> {
    let addr = cluster.spec().addr(i, 7000);
    Client::connect_with_timeout(addr, Duration::from_millis(500)).await
}

async fn write(cluster: &Arc<dyn Cluster>, i: usize, key: &str, value: i64) -> Outcome {
    let c = client(cluster, i).await.unwrap();
    c.call(OpKind::Write, Some(json!(key)), json!(value))
        .await
        .outcome
}

async fn read(cluster: &Arc<dyn Cluster>, i: usize, key: &str) -> Value {
    let c = client(cluster, i).await.unwrap();
    let answer = c.call(OpKind::Read, Some(json!(key)), Value::Null).await;
    assert_eq!(answer.outcome, Outcome::Ok, "{answer:?}");
    answer.value
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partitioned_node_gets_none_of_its_peers_messages_until_healed() {
    let (mut backend, cluster) = lww_cluster("prim-partition").await;
    let sim = backend.cluster().unwrap();
    // n1 cut off both ways; n2 and n3 still talk.
    let grudge = Grudge::from([
        ("n1".to_string(), vec!["n2".to_string(), "n3".to_string()]),
        ("n2".to_string(), vec!["n1".to_string()]),
        ("n3".to_string(), vec!["n1".to_string()]),
    ]);
    cluster.set_grudge(&grudge).await.unwrap();
    let before = (
        sim.network().counts("n1", "n2"),
        sim.network().counts("n2", "n3"),
    );
    assert_eq!(write(&cluster, 0, "cut", 1).await, Outcome::Ok);
    assert_eq!(write(&cluster, 1, "open", 2).await, Outcome::Ok);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = (
        sim.network().counts("n1", "n2"),
        sim.network().counts("n2", "n3"),
    );
    assert_eq!(after.0.delivered, before.0.delivered, "n1 → n2 got through");
    assert!(after.0.dropped > before.0.dropped, "{after:?}");
    assert!(
        after.1.delivered > before.1.delivered,
        "n2 → n3 was cut: {after:?}"
    );
    assert_eq!(read(&cluster, 1, "cut").await, Value::Null);
    assert_eq!(read(&cluster, 2, "open").await, json!(2));
    // Healed, gossip brings n1's write over.
    cluster.set_grudge(&Grudge::new()).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while read(&cluster, 1, "cut").await != json!(1) {
        assert!(
            Instant::now() < deadline,
            "n1's write never reached n2 after the heal"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    backend.teardown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_node_stops_answering_and_restarts_on_its_data() {
    let (mut backend, cluster) = lww_cluster("prim-kill").await;
    assert_eq!(write(&cluster, 1, "kept", 5).await, Outcome::Ok);
    cluster.kill(&["n2".to_string()]).await.unwrap();
    assert!(!backend.cluster().unwrap().is_up("n2"));
    assert!(
        client(&cluster, 1).await.is_err(),
        "a killed node accepted a client"
    );
    cluster.restart(&["n2".to_string()]).await.unwrap();
    assert_eq!(read(&cluster, 1, "kept").await, json!(5));
    // Pause: the node holds requests until resumed, then answers them.
    cluster.pause(&["n3".to_string()]).await.unwrap();
    let c = Client::connect_with_timeout(cluster.spec().addr(2, 7000), Duration::from_millis(400))
        .await
        .unwrap();
    let frozen = c.call(OpKind::Read, Some(json!("kept")), Value::Null).await;
    assert_eq!(
        frozen.outcome,
        Outcome::Info,
        "a paused node answered: {frozen:?}"
    );
    cluster.resume(&["n3".to_string()]).await.unwrap();
    assert_eq!(read(&cluster, 2, "kept").await, json!(5));
    let logs = cluster.logs().await;
    let n2 = logs.iter().find(|l| l.node == "n2").unwrap();
    assert!(
        n2.text.contains("killed") && n2.text.contains("restarted"),
        "{}",
        n2.text
    );
    backend.teardown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clock_offset_shows_in_the_nodes_clock() {
    let (mut backend, cluster) = lww_cluster("prim-clock").await;
    let now = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
    };
    let node_clock = |i: usize| {
        let cluster = cluster.clone();
        async move {
            let status = client(&cluster, i).await.unwrap().status().await.unwrap();
            status.extra["wall_clock_nanos"].as_u64().unwrap() as f64 / 1e9
        }
    };
    cluster
        .set_clock_offsets(&[("n2".to_string(), 100.0)])
        .await
        .unwrap();
    let skew = node_clock(1).await - now();
    assert!((99.0..101.0).contains(&skew), "n2 is {skew} s off");
    let plain = node_clock(2).await - now();
    assert!(plain.abs() < 1.0, "n3 is {plain} s off");
    cluster
        .set_clock_offsets(&[("n2".to_string(), 0.0)])
        .await
        .unwrap();
    assert!((node_clock(1).await - now()).abs() < 1.0);
    backend.teardown().await.unwrap();
}

/// The roles now, once some node claims to lead (raft elects within a second).
async fn roles_with_leader(cluster: &Arc<dyn Cluster>) -> (Roles, String) {
    let target = faultline_targets::by_name("reference").unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let roles = faultline_targets::role::roles(target.as_ref(), &cluster.spec()).await;
        if let Some(l) = faultline_targets::role::leader(&roles) {
            let l = l.to_string();
            return (roles, l);
        }
        assert!(Instant::now() < deadline, "no leader in 10 s: {roles:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_show_the_raft_leader_and_aimed_faults_hit_it_when_applied() {
    let (mut backend, cluster) = cluster_in_mode("aim", "raft").await;
    let (roles, old) = roles_with_leader(&cluster).await;
    let leaders = roles.values().filter(|r| r.role == Role::Leader).count();
    assert_eq!(leaders, 1, "{roles:?}");
    let term = roles[&old].term;
    assert!(term.is_some_and(|t| t >= 1), "{roles:?}");
    assert!(
        roles
            .iter()
            .filter(|(n, _)| **n != old)
            .all(|(_, r)| r.role == Role::Follower && r.term == term),
        "{roles:?}"
    );

    let target: Arc<dyn faultline_targets::Target> =
        faultline_targets::by_name("reference").unwrap().into();
    let recorder = Recorder::in_memory(Instant::now());
    let mut nemesis = Nemesis::new(cluster.clone(), recorder.clone()).aiming(target, 1);
    // The schedule holds no nodes: the leader is looked up when the kill is applied.
    nemesis
        .perform(&aimed("kill", Aim::Leader, Value::Null))
        .await;
    let (events, _) = recorder.snapshot();
    let kill = events.last().unwrap();
    assert_eq!(kill.f, "kill");
    assert!(kill.error.is_none(), "{:?}", kill.error);
    assert_eq!(kill.value["nodes"], json!([old.clone()]));
    assert_eq!(kill.value["aim"], "leader");
    assert_eq!(kill.value["hit"], true);
    assert_eq!(kill.value["roles"][&old]["role"], "leader");
    assert!(!backend.cluster().unwrap().is_up(&old));

    // The others elect a new leader; the killed node's role is unknown.
    let deadline = Instant::now() + Duration::from_secs(10);
    let (roles, new) = loop {
        let (roles, l) = roles_with_leader(&cluster).await;
        if l != old {
            break (roles, l);
        }
        assert!(Instant::now() < deadline, "no new leader: {roles:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(roles[&old].role, Role::Unknown);
    assert!(roles[&new].term > term);

    // A follower aim never picks the leader (nor the dead node, which reports no role).
    nemesis
        .perform(&aimed("pause", Aim::Follower, Value::Null))
        .await;
    let (events, _) = recorder.snapshot();
    let pause = events.last().unwrap();
    let third = ["n1", "n2", "n3"]
        .into_iter()
        .find(|n| *n != old && *n != new)
        .unwrap();
    assert_eq!(pause.value["nodes"], json!([third]), "{:?}", pause.value);
    assert_eq!(pause.value["hit"], true);

    // Ends of aimed faults heal the nodes their starts hit.
    nemesis
        .perform(&aimed("resume", Aim::Follower, Value::Null))
        .await;
    nemesis
        .perform(&aimed("restart", Aim::Leader, Value::Null))
        .await;
    assert!(nemesis.is_healed(), "{}", nemesis.describe());
    let (events, _) = recorder.snapshot();
    let n = events.len();
    assert_eq!(events[n - 2].value["nodes"], json!([third]));
    assert_eq!(events[n - 1].value["nodes"], json!([old.clone()]));
    assert!(backend.cluster().unwrap().is_up(&old));

    // The leader's minority: with three nodes, the leader alone against the other two.
    let (_, lead) = roles_with_leader(&cluster).await;
    nemesis
        .perform(&aimed(
            "partition-start",
            Aim::LeaderMinority,
            json!({"kind": "leader"}),
        ))
        .await;
    let (events, _) = recorder.snapshot();
    let cut = &events.last().unwrap().value;
    assert_eq!(cut["kind"], "leader");
    assert_eq!(cut["grudge"][&lead].as_array().unwrap().len(), 2, "{cut}");
    nemesis.heal().await;
    assert!(nemesis.is_healed());
    backend.teardown().await.unwrap();
}

#[test]
fn a_tiny_hunt_catches_a_planted_bug_and_tables_every_case() {
    let results = results_dir("hunt");
    let out = output(faultline_command(
        &[
            "hunt",
            "--backend",
            "in-process",
            "--bug",
            "non-atomic-txn",
            "--seeds",
            "2",
            "--time-limit",
            "4",
            "--nemesis-interval",
            "1",
            "--recovery",
            "1",
            "--json",
        ],
        &results,
    ));
    let table: Value = serde_json::from_slice(&out.stdout).expect("hunt --json prints JSON");
    let rows = table["rows"].as_array().unwrap();
    // The bug, then its control (the same mode and workload without the bug).
    assert_eq!(rows.len(), 2, "{table}");
    assert_eq!(rows[0]["case"]["bug"], "non-atomic-txn");
    assert_eq!(rows[1]["case"]["bug"], Value::Null);
    assert_eq!(rows[1]["case"]["workload"], rows[0]["case"]["workload"]);
    for row in rows {
        assert_eq!(row["runs"], 2, "{row}");
        assert_eq!(row["errors"], 0, "{row}");
    }
    assert!(rows[0]["invalid"].as_u64().unwrap() >= 1, "{table}");
    let first = rows[0]["median_first_anomaly_secs"].as_f64().unwrap();
    assert!((0.0..=4.5).contains(&first), "{first}");
    assert_eq!(rows[1]["invalid"], 0, "a false alarm: {table}");
    assert_eq!(table["runs"].as_array().unwrap().len(), 4);
    // Every run kept its folder, and the summary is where a campaign's would be.
    assert!(results.join("campaigns/hunt").is_dir());
    let exit = out.status.code();
    let met = table["meets_bar"].as_bool().unwrap();
    assert_eq!(exit, Some(if met { 0 } else { 1 }));
}

#[test]
fn raft_stays_valid_under_delay_duplication_and_reordering() {
    let (code, results) = run_in_process(
        "inproc-shaping",
        &[
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
            "--time-limit",
            "6",
            "--nemesis-interval",
            "1",
            "--recovery",
            "1",
            "--seed",
            "3",
        ],
    );
    assert_eq!(code, Some(0), "exit code");
    let res = finished_run(&results);
    assert_eq!(res["valid"], true);
    let dir = std::fs::canonicalize(results.join("latest")).unwrap();
    let test = json(&dir.join("test.json"));
    assert_eq!(test["packet_shaping"], "simulated");
    assert_eq!(test["options"]["delay_ms"], 20);
    assert_eq!(test["options"]["duplicate_probability"], 0.3);
    let history = std::fs::read_to_string(dir.join("history.jsonl")).unwrap();
    let faults: Vec<Value> = history
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["process"] == "nemesis")
        .collect();
    let start = |f: &str| faults.iter().find(|e| e["f"] == f).cloned();
    // Each fault is recorded with its parameters (seed 3 draws all three in 6 s).
    let delay = start("delay-start").expect("a delay window");
    assert_eq!(delay["value"]["delay_ms"], 20);
    assert_eq!(delay["value"]["jitter_ms"], 10);
    assert_eq!(delay["value"]["distribution"], "uniform");
    let dup = start("duplicate-start").expect("a duplicate window");
    assert_eq!(dup["value"]["probability"], 0.3);
    let re = start("reorder-start").expect("a reorder window");
    assert_eq!(re["value"]["gap_ms"], 20);
    assert!(faults.iter().all(|e| e["error"].is_null()), "{faults:?}");
    let report = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(report.contains("fault-duplicate") && report.contains("fault-reorder"));
    std::fs::remove_dir_all(&results).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shaping_delays_duplicates_and_lifts_per_layer() {
    use faultline_netq::{Delay, Distribution, Duplicate, Shaping};
    let (mut backend, cluster) = lww_cluster("prim-shaping").await;
    let sim = backend.cluster().unwrap();
    let delay = Shaping {
        delay: Some(Delay {
            delay_ms: 400,
            jitter_ms: 0,
            distribution: Distribution::Uniform,
        }),
        ..Shaping::default()
    };
    cluster
        .set_shaping("delay", &["n1".into()], delay)
        .await
        .unwrap();
    // n1's broadcast of the write is held 400 ms: not at n2 after 150 ms, there after 700.
    assert_eq!(write(&cluster, 0, "slow", 1).await, Outcome::Ok);
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(read(&cluster, 1, "slow").await, Value::Null);
    tokio::time::sleep(Duration::from_millis(550)).await;
    assert_eq!(read(&cluster, 1, "slow").await, json!(1));
    assert!(sim.network().counts("n1", "n2").shaped > 0);
    // n2 → n3 was not shaped.
    assert_eq!(sim.network().counts("n2", "n3").shaped, 0);

    // Duplicate everything n2 sends, with the delay layer lifted.
    cluster
        .set_shaping("delay", &[], Shaping::default())
        .await
        .unwrap();
    let dup = Shaping {
        duplicate: Some(Duplicate { probability: 1.0 }),
        ..Shaping::default()
    };
    cluster
        .set_shaping("duplicate", &["n2".into()], dup)
        .await
        .unwrap();
    let before = sim.network().counts("n2", "n3");
    for v in 0..5 {
        assert_eq!(write(&cluster, 1, "twice", v).await, Outcome::Ok);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after = sim.network().counts("n2", "n3");
    let sent = after.delivered - before.delivered;
    assert!(sent >= 5, "{after:?}");
    assert_eq!(after.duplicated - before.duplicated, sent, "{after:?}");
    assert_eq!(read(&cluster, 2, "twice").await, json!(4));
    cluster
        .set_shaping("duplicate", &[], Shaping::default())
        .await
        .unwrap();
    let healed = sim.network().counts("n2", "n3");
    assert_eq!(write(&cluster, 1, "once", 1).await, Outcome::Ok);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        sim.network().counts("n2", "n3").duplicated,
        healed.duplicated
    );
    backend.teardown().await.unwrap();
}

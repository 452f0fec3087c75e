//! `faultline run --target postgres-ha` end to end against the real Docker engine: three
//! PostgreSQL 15 nodes under Patroni with an etcd member each, all from Debian's packages. One
//! configuration that keeps what it promises and one that does not. A missing Docker is a failure,
//! not a skip. The runs share the machine's two cores, so they run one at a time.
//!
//! The image is built when missing (about 3.5 minutes on two busy cores); with the image present
//! each test takes under 90 s: Patroni bootstraps the cluster (initdb on one node, base backups on
//! the others) in 25–40 s, which is why the runs allow a 75 s health timeout.

use std::path::Path;
use std::process::Output;

use faultline_checkers::history::formats::{read_path, Format};
use faultline_checkers::OpType;
use serde_json::Value;

mod common;
use common::{checker, faultline_command, json, leftovers, output, results_dir};

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A 3-node postgres-ha run with `extra` flags.
fn run(extra: &[&str], results: &Path) -> Output {
    let mut args = vec![
        "run",
        "--target",
        "postgres-ha",
        "--nodes",
        "3",
        "--concurrency",
        "10",
        "--health-timeout",
        "75",
    ];
    args.extend_from_slice(extra);
    output(faultline_command(&args, results))
}

async fn assert_nothing_left(dir: &Path) -> Value {
    let test = json(&dir.join("test.json"));
    let run_id = test["run_id"].as_str().unwrap();
    assert_eq!(leftovers(run_id).await, 0, "run {run_id} left objects");
    test
}

/// Synchronous mode when the leader is killed: Patroni promotes the synchronous standby once the
/// leader lock's 10 s TTL runs out, clients follow it, and every acknowledged add survives (the
/// promoted node had every acknowledged commit). The kill hits the node Patroni reported as leader,
/// and the killed node comes back (pg_rewind, then a replica) before the final reads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn synchronous_mode_keeps_acknowledged_adds_when_the_leader_is_killed() {
    let _serial = SERIAL.lock().await;
    let results = results_dir("pgha-sync-kill");
    std::fs::create_dir_all(&results).unwrap();
    // Kill early, restart after the lock has expired and a standby has been promoted.
    let schedule = results.join("schedule.jsonl");
    std::fs::write(
        &schedule,
        "{\"at\": 2.0, \"f\": \"kill\", \"value\": {\"aim\": \"leader\"}}\n\
         {\"at\": 19.0, \"f\": \"restart\", \"value\": {\"aim\": \"leader\"}}\n",
    )
    .unwrap();
    let out = run(
        &[
            "--workload",
            "set",
            "--target-option",
            "synchronous_mode=true",
            "--schedule",
            schedule.to_str().unwrap(),
            "--time-limit",
            "21",
            "--seed",
            "1",
        ],
        &results,
    );
    assert_eq!(out.status.code(), Some(0), "exit code");
    let dir = results.join("latest");
    let res = json(&dir.join("results.json"));
    assert_eq!(res["valid"], true, "{res}");
    let set = checker(&res, "set-full");
    assert_eq!(set["valid"], true);
    assert_eq!(set["stats"]["lost-count"], 0);
    assert_eq!(res["stats"]["final_reads"]["ok"], 3, "{}", res["stats"]);

    let history = read_path(dir.join("history.jsonl"), Format::Jsonl).expect("history");
    let kill = history
        .nemesis_events()
        .find(|o| o.f == "kill")
        .map(|o| o.value.clone())
        .expect("a kill in the history");
    // The target reported roles, and the kill went to the node that led.
    assert_eq!(kill["hit"], true, "{kill}");
    let victim = kill["nodes"][0].as_str().unwrap().to_string();
    assert_eq!(kill["roles"][victim.as_str()]["role"], "leader", "{kill}");
    // A failover: adds acknowledged by another node after the kill.
    let killed_at = history
        .nemesis_events()
        .find(|o| o.f == "kill")
        .unwrap()
        .time;
    let after: Vec<&str> = history
        .ops()
        .iter()
        .filter(|o| o.kind == OpType::Ok && o.f == "add" && o.time > killed_at)
        .filter_map(|o| o.node.as_deref())
        .collect();
    assert!(
        after.iter().any(|n| *n != victim),
        "no add acknowledged by a node other than {victim} after the kill"
    );

    let test = assert_nothing_left(&dir).await;
    assert_eq!(
        test["options"]["target_options"]["synchronous_mode"],
        "true"
    );
    std::fs::remove_dir_all(&results).unwrap();
}

/// Reads served by replicas (`reads=any`) are stale: a replica replays the leader's WAL some
/// milliseconds after the leader acknowledged the write, so a register read there misses
/// acknowledged writes. Linearizability fails and the staleness checker measures the lag on the
/// replicas.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_from_replicas_are_stale_and_not_linearizable() {
    let _serial = SERIAL.lock().await;
    let results = results_dir("pgha-reads-any");
    let out = run(
        &[
            "--workload",
            "register",
            "--target-option",
            "reads=any",
            "--nemesis",
            "none",
            "--time-limit",
            "10",
            "--seed",
            "2",
        ],
        &results,
    );
    assert_eq!(out.status.code(), Some(1), "exit code");
    let dir = results.join("latest");
    let res = json(&dir.join("results.json"));
    assert_eq!(res["valid"], false);
    assert_eq!(checker(&res, "linearizab")["valid"], false);
    let staleness = checker(&res, "staleness");
    let stale = staleness["stats"]["stale-read-count"].as_u64().unwrap();
    assert!(stale > 0, "no stale read in {staleness}");
    // Per node: the lag shows on the replicas only; the leader (the node that acknowledged the
    // writes) serves every read current.
    let history = read_path(dir.join("history.jsonl"), Format::Jsonl).expect("history");
    let writers: std::collections::BTreeSet<&str> = history
        .ops()
        .iter()
        .filter(|o| o.kind == OpType::Ok && o.f == "write")
        .filter_map(|o| o.node.as_deref())
        .collect();
    assert_eq!(writers.len(), 1, "writes acknowledged by {writers:?}");
    let leader = *writers.first().unwrap();
    let by_node = staleness["stats"]["by-node"].as_object().expect("by-node");
    assert_eq!(by_node[leader]["stale-reads"], 0, "{staleness}");
    let replicas_stale: u64 = by_node
        .iter()
        .filter(|(node, _)| node.as_str() != leader)
        .map(|(_, n)| n["stale-reads"].as_u64().unwrap())
        .sum();
    assert_eq!(replicas_stale, stale, "{staleness}");
    assert_nothing_left(&dir).await;
    std::fs::remove_dir_all(&results).unwrap();
}

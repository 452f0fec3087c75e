//! Three raft nodes on 127.0.0.1 with real sockets and fsynced journals: the leader is killed
//! (tasks aborted, sockets closed) and restarted from its data directory; no acknowledged append
//! is lost and every successful read is a prefix of the final list.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use faultline_refnode::bugs::Bugs;
use faultline_refnode::client::Client;
use faultline_refnode::local::LocalCluster;
use faultline_refnode::modes::raft::RaftMode;
use faultline_refnode::protocol::{OpKind, Outcome};
use serde_json::{json, Value};

#[derive(Default)]
struct Seen {
    acked: Vec<u64>,
    reads: Vec<Vec<Value>>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raft_cluster_on_loopback_survives_a_leader_kill_and_restart() {
    let dir = std::env::temp_dir().join(format!("refnode-loopback-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let factory = Arc::new(RaftMode::new);
    let mut cluster = LocalCluster::start(3, dir.clone(), Bugs::none(), factory)
        .await
        .expect("cluster starts");
    let started = tokio::time::Instant::now();
    let leader = cluster
        .wait_for_leader(Duration::from_secs(3))
        .await
        .expect("a leader");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "healthy at start: {:?}",
        started.elapsed()
    );

    let seen = Arc::new(Mutex::new(Seen::default()));
    let current = Arc::new(Mutex::new(leader));
    let addrs: Vec<_> = (0..3).map(|i| cluster.client_addr(i)).collect();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    for w in 0..4u64 {
        let (seen, current, addrs, stop) =
            (seen.clone(), current.clone(), addrs.clone(), stop.clone());
        workers.push(tokio::spawn(async move {
            let mut value = w * 1_000_000;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let target = *current.lock().unwrap();
                let Ok(client) =
                    Client::connect_with_timeout(addrs[target], Duration::from_millis(500)).await
                else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                for _ in 0..50 {
                    value += 1;
                    let answer = client
                        .call(
                            OpKind::Txn,
                            None,
                            json!([["append", "k", value], ["r", "k", null]]),
                        )
                        .await;
                    match answer.outcome {
                        Outcome::Ok => {
                            let mut s = seen.lock().unwrap();
                            s.acked.push(value);
                            s.reads
                                .push(answer.value[1][2].as_array().cloned().unwrap_or_default());
                        }
                        _ => {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            break;
                        }
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    cluster.kill(leader);
    let new_leader = cluster
        .wait_for_leader(Duration::from_secs(3))
        .await
        .expect("a new leader");
    assert_ne!(new_leader, leader);
    *current.lock().unwrap() = new_leader;
    tokio::time::sleep(Duration::from_millis(500)).await;
    cluster
        .restart(leader)
        .await
        .expect("restart from its data dir");
    tokio::time::sleep(Duration::from_millis(700)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for w in workers {
        w.await.expect("worker");
    }
    // The restarted node catches up: read through the leader, then check the restarted node's
    // own status shows it applied everything.
    let l = cluster
        .wait_for_leader(Duration::from_secs(3))
        .await
        .expect("leader at the end");
    let client = Client::connect(cluster.client_addr(l))
        .await
        .expect("connect");
    let fin = client
        .call(OpKind::Txn, None, json!([["r", "k", null]]))
        .await;
    assert_eq!(fin.outcome, Outcome::Ok, "{fin:?}");
    let final_list = fin.value[0][2].as_array().cloned().unwrap_or_default();
    let in_final: HashSet<u64> = final_list.iter().filter_map(Value::as_u64).collect();
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    assert!(
        seen.acked.len() > 50,
        "only {} appends acknowledged",
        seen.acked.len()
    );
    let lost: Vec<_> = seen
        .acked
        .iter()
        .filter(|v| !in_final.contains(v))
        .collect();
    assert!(lost.is_empty(), "lost acknowledged appends: {lost:?}");
    for r in &seen.reads {
        assert!(
            r.len() <= final_list.len() && final_list[..r.len()] == r[..],
            "a read is not a prefix of the final list"
        );
    }
    let mut caught_up = false;
    for _ in 0..40 {
        let c = Client::connect(cluster.client_addr(leader))
            .await
            .expect("connect restarted");
        let st = c.call(OpKind::Status, None, Value::Null).await;
        if st.value["applied_index"].as_u64().unwrap_or(0) >= final_list.len() as u64 {
            caught_up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        caught_up,
        "the restarted node re-applies the log from its journal and the leader"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

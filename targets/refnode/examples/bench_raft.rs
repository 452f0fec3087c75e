//! Throughput of a 3-node raft cluster on loopback: many pipelined clients send single-key reads
//! and writes to the leader for a fixed time; prints operations per second by outcome.
//!
//! ```text
//! cargo run --release -p faultline-refnode --example bench_raft -- [SECONDS] [CONNECTIONS] [DEPTH] [DATA_DIR]
//! ```
//! Defaults: 10 s, 16 connections, 64 requests in flight per connection, a directory under the
//! system temp dir. Journals are fsynced as in production (group commit per batch); point
//! DATA_DIR at a real disk to measure fsync cost.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use faultline_refnode::bugs::Bugs;
use faultline_refnode::client::Client;
use faultline_refnode::local::LocalCluster;
use faultline_refnode::modes::raft::RaftMode;
use faultline_refnode::protocol::{OpKind, Outcome};
use serde_json::{json, Value};

fn arg<T: std::str::FromStr>(n: usize, default: T) -> T {
    std::env::args()
        .nth(n)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

fn main() -> std::io::Result<()> {
    let seconds: u64 = arg(1, 10);
    let connections: usize = arg(2, 16);
    let depth: usize = arg(3, 64);
    let dir = std::env::args()
        .nth(4)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::env::temp_dir().join(format!("refnode-bench-{}", std::process::id()))
        });
    let _ = std::fs::remove_dir_all(&dir);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let cluster = LocalCluster::start(3, dir.clone(), Bugs::none(), Arc::new(RaftMode::new)).await?;
        let leader = cluster
            .wait_for_leader(Duration::from_secs(5))
            .await
            .ok_or_else(|| std::io::Error::other("no leader"))?;
        let counts: Arc<[AtomicU64; 3]> = Arc::new(Default::default());
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let mut tasks = Vec::new();
        for c in 0..connections {
            let client = Client::connect(cluster.client_addr(leader)).await?;
            for d in 0..depth {
                let (client, counts) = (client.clone(), counts.clone());
                tasks.push(tokio::spawn(async move {
                    let mut i = (c * depth + d) as u64;
                    while Instant::now() < deadline {
                        i = i.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                        let key = Some(json!(format!("k{}", (i >> 33) % 100)));
                        let answer = if i >> 63 == 0 {
                            client.call(OpKind::Read, key, Value::Null).await
                        } else {
                            client.call(OpKind::Write, key, json!(i >> 40)).await
                        };
                        let slot = match answer.outcome {
                            Outcome::Ok => 0,
                            Outcome::Fail => 1,
                            Outcome::Info => 2,
                        };
                        counts[slot].fetch_add(1, Ordering::Relaxed);
                    }
                }));
            }
        }
        let started = Instant::now();
        for t in tasks {
            let _ = t.await;
        }
        let elapsed = started.elapsed().as_secs_f64();
        let [ok, fail, info] = [0, 1, 2].map(|i| counts[i].load(Ordering::Relaxed));
        println!(
            "raft 3 nodes, {connections} connections x {depth} in flight, {elapsed:.1} s: {:.0} ok ops/s (ok {ok}, fail {fail}, info {info})",
            ok as f64 / elapsed
        );
        let rss = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_string))
            .unwrap_or_default();
        let journal: u64 = (1..=3)
            .filter_map(|i| std::fs::metadata(dir.join(format!("n{i}")).join("journal.jsonl")).ok())
            .map(|m| m.len())
            .sum();
        println!("memory of the 3 nodes and clients: {rss}; journals: {} MB", journal >> 20);
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    })
}

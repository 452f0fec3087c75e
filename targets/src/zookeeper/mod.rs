//! ZooKeeper 3.8 (Debian bookworm's package, on Debian's Java 17) as a target: a static ensemble
//! of 3 or 5 (any count from 1 works: one node runs standalone), healthy when every member serves
//! (leader elected and followers synced), with clients for `register`, `set` and `counter`
//! ([`client`]) whose reads are plain or preceded by `sync` (`--target-option reads=plain|sync`).
//!
//! ZooKeeper's claim: writes are linearizable (Zab through the leader); reads are served by the
//! member the client is connected to, so they are only sequentially consistent, unless the client
//! calls `sync` first, which makes that member catch up with the leader. The clients are pinned to
//! their node so the difference shows (ZooKeeper's client would pick one at random).
//!
//! - [`image`]: the package, the configuration and the start script.
//! - [`srvr`]: the `srvr` four-letter word (health and role).
//! - [`client`]: operations as requests; [`errors`]: `fail` or `info`.

pub mod client;
pub mod errors;
pub mod image;
pub mod srvr;

use std::time::Duration;

use crate::role::NodeRole;
use crate::target::{
    BoxFuture, Client, ClusterSpec, ImageRecipe, OptionKind, Target, TargetError, TargetOption,
};
use client::{Family, ZkClient};

/// The client port (also where the four-letter words are answered).
pub const CLIENT_PORT: u16 = 2181;
/// Followers talk to the leader here.
pub const QUORUM_PORT: u16 = 2888;
/// Leader election.
pub const ELECTION_PORT: u16 = 3888;

/// How a read is served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reads {
    /// `sync` with the leader first, so the member has applied every write committed before.
    Sync,
    /// Straight from the member the client is connected to (ZooKeeper's default).
    Plain,
}

impl Reads {
    pub const NAMES: &'static [&'static str] = &["sync", "plain"];

    pub fn parse(name: &str) -> Option<Reads> {
        match name {
            "sync" => Some(Reads::Sync),
            "plain" => Some(Reads::Plain),
            _ => None,
        }
    }
}

const OPTIONS: &[TargetOption] = &[TargetOption {
    name: "reads",
    kind: OptionKind::OneOf(Reads::NAMES),
    help: "sync (default): every read calls sync first; plain: reads are served by the member as it is",
}];

/// The ZooKeeper target.
#[derive(Clone, Debug, Default)]
pub struct ZooKeeper;

impl ZooKeeper {
    /// The read mode the run asked for (validated before the run; the default is `sync`).
    pub fn reads(cluster: &ClusterSpec) -> Reads {
        cluster
            .options
            .get("reads")
            .and_then(|r| Reads::parse(r))
            .unwrap_or(Reads::Sync)
    }
}

/// Every member's `server.N=IP:2888:3888` line, the same on every node (`N` is the node's
/// position from 1, its `myid`).
pub fn server_lines(cluster: &ClusterSpec) -> Vec<String> {
    cluster
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| format!("server.{}={}:{QUORUM_PORT}:{ELECTION_PORT}", i + 1, n.ip))
        .collect()
}

impl Target for ZooKeeper {
    fn name(&self) -> &'static str {
        "zookeeper"
    }

    fn options(&self) -> &'static [TargetOption] {
        OPTIONS
    }

    fn workloads(&self) -> Option<Vec<&str>> {
        Some(client::WORKLOADS.to_vec())
    }

    fn image(&self) -> Result<ImageRecipe, TargetError> {
        Ok(image::recipe())
    }

    fn command(&self, cluster: &ClusterSpec, index: usize) -> Vec<String> {
        let mut cmd = vec![image::START.to_string(), (index + 1).to_string()];
        // A single server runs standalone: no server lines.
        if cluster.nodes.len() > 1 {
            cmd.extend(server_lines(cluster));
        }
        cmd
    }

    fn client_port(&self) -> u16 {
        CLIENT_PORT
    }

    fn clock_skew_support(&self) -> Result<(), TargetError> {
        // Measured (docs/targets/zookeeper.md): HotSpot reads the clock through glibc, so
        // libfaketime does reach it, but with the harness's FAKETIME_NO_CACHE every clock call
        // re-reads the offset file, and the JVM's own threads call the clock constantly: a server
        // that starts in about 2 s took over 60 s to open its client port, past the health wait.
        Err(TargetError::Unsupported(
            "zookeeper runs on the JVM, which calls the clock so often that under libfaketime \
             (re-reading the offset file on every call) a server takes over a minute to start \
             instead of about 2 s; use the partition, kill or pause nemeses instead"
                .into(),
        ))
    }

    fn probe<'a>(
        &'a self,
        cluster: &'a ClusterSpec,
        index: usize,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            match srvr::ask(cluster.addr(index, CLIENT_PORT)).await? {
                srvr::Status::Serving { .. } => Ok(()),
                srvr::Status::NotServing => {
                    Err("not serving requests yet (no leader, or syncing)".into())
                }
            }
        })
    }

    fn role<'a>(&'a self, cluster: &'a ClusterSpec, index: usize) -> BoxFuture<'a, NodeRole> {
        Box::pin(async move {
            match srvr::ask(cluster.addr(index, CLIENT_PORT)).await {
                Ok(status) => status.role(),
                Err(_) => NodeRole::UNKNOWN,
            }
        })
    }

    fn prepare_clients<'a>(
        &'a self,
        cluster: &'a ClusterSpec,
        _workload: &'a str,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let addrs: Vec<_> = (0..cluster.nodes.len())
                .map(|i| cluster.addr(i, CLIENT_PORT))
                .collect();
            // Every member serves by now; the bound only keeps a broken cluster from hanging.
            tokio::time::timeout(Duration::from_secs(20), client::create_roots(&addrs))
                .await
                .map_err(|_| "creating the workload znodes took over 20 s".to_string())?
        })
    }

    fn client<'a>(
        &'a self,
        cluster: &'a ClusterSpec,
        workload: &'a str,
        index: usize,
    ) -> BoxFuture<'a, Result<Box<dyn Client>, String>> {
        Box::pin(async move {
            let family = Family::of(workload)?;
            let index = index % cluster.nodes.len().max(1);
            // The session opens on the first operation, so a node that does not serve fails that
            // operation instead of the slot spinning.
            Ok(Box::new(ZkClient {
                family,
                reads: Self::reads(cluster),
                node: cluster.nodes[index].name.clone(),
                addr: cluster.addr(index, CLIENT_PORT),
                session: None,
            }) as Box<dyn Client>)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::{validate_cluster, validate_run, NodeSpec};
    use std::net::Ipv4Addr;

    fn cluster(n: u8, options: &[(&str, &str)]) -> ClusterSpec {
        ClusterSpec {
            nodes: (0..n)
                .map(|i| NodeSpec {
                    name: format!("n{}", i + 1),
                    ip: Ipv4Addr::new(10, 9, 0, 2 + i),
                })
                .collect(),
            mode: None,
            bug: None,
            options: options
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn command_gives_myid_and_the_static_ensemble() {
        let cmd = ZooKeeper.command(&cluster(3, &[]), 1);
        assert_eq!(
            cmd,
            [
                image::START,
                "2",
                "server.1=10.9.0.2:2888:3888",
                "server.2=10.9.0.3:2888:3888",
                "server.3=10.9.0.4:2888:3888"
            ]
        );
        assert_eq!(ZooKeeper.command(&cluster(5, &[]), 4).len(), 2 + 5);
        assert_eq!(ZooKeeper.command(&cluster(1, &[]), 0), [image::START, "1"]);
    }

    #[test]
    fn reads_are_an_option_defaulting_to_sync() {
        assert_eq!(ZooKeeper::reads(&cluster(3, &[])), Reads::Sync);
        let plain = cluster(3, &[("reads", "plain")]);
        validate_cluster(&ZooKeeper, &plain).unwrap();
        assert_eq!(ZooKeeper::reads(&plain), Reads::Plain);
        let err = validate_cluster(&ZooKeeper, &cluster(3, &[("reads", "local")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("one of sync, plain"), "{err}");
    }

    #[test]
    fn only_its_workloads_and_no_clock_faults() {
        for w in client::WORKLOADS {
            validate_run(&ZooKeeper, 3, w).unwrap();
        }
        let err = validate_run(&ZooKeeper, 3, "bank").unwrap_err().to_string();
        assert!(err.contains("no client for workload bank"), "{err}");
        let err = ZooKeeper.clock_skew_support().unwrap_err().to_string();
        assert!(
            err.contains("libfaketime") && err.contains("partition"),
            "{err}"
        );
    }
}

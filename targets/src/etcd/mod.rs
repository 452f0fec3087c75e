//! etcd (Debian bookworm's `etcd-server`, 3.4) as a target: an N-node cluster bootstrapped with
//! static peer URLs, probed through the v3 JSON gateway, with clients for `register`, `kv`, `set`
//! and `list-append` ([`client`]).
//!
//! Why the JSON gateway rather than gRPC: a gRPC client needs protoc and the tonic/prost build,
//! which a 2-core CI would pay for on every clean build; the gateway serves the same API over
//! HTTP/1.1 and JSON, which a small client ([`http`]) speaks with what the workspace already has.

pub mod client;
pub mod gateway;
pub mod http;
pub mod image;

use serde_json::{json, Value};

use crate::role::{NodeRole, Role};
use crate::target::{BoxFuture, Client, ClusterSpec, ImageRecipe, Target, TargetError};
use client::{EtcdClient, Family};
use http::HttpConnection;

/// The client (and gateway) port.
pub const CLIENT_PORT: u16 = 2379;
/// The port members talk raft on.
pub const PEER_PORT: u16 = 2380;
/// Inside the service container, so a kill and restart (docker start of the same container)
/// finds the member's data again.
pub const DATA_DIR: &str = "/var/lib/faultline-etcd";
/// The workloads etcd has a client for.
pub const WORKLOADS: &[&str] = &["register", "kv", "set", "list-append"];

/// The etcd target. It has no modes and no options.
#[derive(Clone, Debug, Default)]
pub struct Etcd;

/// The role a maintenance `status` answer reports: the member leads when the leader it names is
/// itself (the gateway writes 64-bit ids and terms as strings). No known leader (`0`) or no
/// member id is unknown.
pub fn status_role(status: &Value) -> NodeRole {
    let number = |v: &Value| match v {
        Value::String(s) => s.parse::<u64>().ok(),
        other => other.as_u64(),
    };
    let member = number(&status["header"]["member_id"]);
    let leader = number(&status["leader"]).filter(|l| *l != 0);
    let term = number(&status["raftTerm"]).or_else(|| number(&status["header"]["raft_term"]));
    let role = match (member, leader) {
        (Some(m), Some(l)) if m == l => Role::Leader,
        (Some(_), Some(_)) => Role::Follower,
        _ => return NodeRole::UNKNOWN,
    };
    NodeRole { role, term }
}

/// `n1=http://10.0.0.2:2380,...`: every member's peer URL, the same on every node.
pub fn initial_cluster(cluster: &ClusterSpec) -> String {
    cluster
        .nodes
        .iter()
        .map(|n| format!("{}=http://{}:{PEER_PORT}", n.name, n.ip))
        .collect::<Vec<_>>()
        .join(",")
}

impl Target for Etcd {
    fn name(&self) -> &'static str {
        "etcd"
    }

    fn image(&self) -> Result<ImageRecipe, TargetError> {
        Ok(image::recipe())
    }

    fn command(&self, cluster: &ClusterSpec, index: usize) -> Vec<String> {
        let node = &cluster.nodes[index];
        let flag = |name: &str, value: String| [format!("--{name}"), value];
        [
            flag("name", node.name.clone()),
            flag("data-dir", DATA_DIR.to_string()),
            flag(
                "listen-client-urls",
                format!("http://0.0.0.0:{CLIENT_PORT}"),
            ),
            flag(
                "advertise-client-urls",
                format!("http://{}:{CLIENT_PORT}", node.ip),
            ),
            flag("listen-peer-urls", format!("http://0.0.0.0:{PEER_PORT}")),
            flag(
                "initial-advertise-peer-urls",
                format!("http://{}:{PEER_PORT}", node.ip),
            ),
            // Only read when the data directory is empty: a restarted member rejoins from its
            // own data and ignores the bootstrap flags.
            flag("initial-cluster", initial_cluster(cluster)),
            flag("initial-cluster-state", "new".into()),
            flag("initial-cluster-token", "faultline".into()),
            // etcd's defaults, stated so the recovery times in the README have their cause.
            flag("heartbeat-interval", "100".into()),
            flag("election-timeout", "1000".into()),
            flag("logger", "zap".into()),
            flag("log-outputs", "stderr".into()),
        ]
        .into_iter()
        .fold(vec!["etcd".to_string()], |mut cmd, [name, value]| {
            cmd.push(name);
            cmd.push(value);
            cmd
        })
    }

    fn inapplicable_checkers(&self, _cluster: &ClusterSpec) -> Vec<(String, String)> {
        vec![(
            "convergence".to_string(),
            "etcd serves every read linearizably through the leader (ReadIndex), so each node's \
             final read is the same quorum read, not that replica's own state"
                .to_string(),
        )]
    }

    fn workloads(&self) -> Option<Vec<&str>> {
        Some(WORKLOADS.to_vec())
    }

    fn client_port(&self) -> u16 {
        CLIENT_PORT
    }

    fn clock_skew_support(&self) -> Result<(), TargetError> {
        Err(TargetError::Unsupported(
            "etcd is a Go program: it reads the clock through the kernel's vDSO, not libc, so \
             libfaketime (LD_PRELOAD) cannot skew it; use the partition, kill, pause, loss or delay \
             nemeses instead"
                .into(),
        ))
    }

    fn probe<'a>(
        &'a self,
        cluster: &'a ClusterSpec,
        index: usize,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let addr = cluster.addr(index, CLIENT_PORT);
            let mut conn = HttpConnection::open(addr)
                .await
                .map_err(|e| e.to_string())?;
            let status = gateway::call(&mut conn, gateway::STATUS, &json!({}))
                .await
                .map_err(|e| format!("status: {e}"))?;
            let leader = status.get("leader").cloned().unwrap_or(Value::Null);
            if matches!(&leader, Value::Null) || leader == json!("0") || leader == json!(0) {
                return Err(format!("member knows no leader yet (status {status})"));
            }
            // A linearizable read: the leader is reachable and has a quorum.
            gateway::call(
                &mut conn,
                gateway::RANGE,
                &gateway::range(b"/faultline/probe"),
            )
            .await
            .map_err(|e| format!("linearizable read: {e}"))?;
            Ok(())
        })
    }

    fn role<'a>(&'a self, cluster: &'a ClusterSpec, index: usize) -> BoxFuture<'a, NodeRole> {
        Box::pin(async move {
            let Ok(mut conn) = HttpConnection::open(cluster.addr(index, CLIENT_PORT)).await else {
                return NodeRole::UNKNOWN;
            };
            match gateway::call(&mut conn, gateway::STATUS, &json!({})).await {
                Ok(status) => status_role(&status),
                Err(_) => NodeRole::UNKNOWN,
            }
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
            let nodes = cluster
                .nodes
                .iter()
                .enumerate()
                .map(|(i, n)| (n.name.clone(), cluster.addr(i, CLIENT_PORT)))
                .collect();
            // Connect lazily: the first operation's connection failure is then recorded (fail)
            // instead of the slot silently spinning.
            Ok(Box::new(EtcdClient {
                family,
                nodes,
                current: index % cluster.nodes.len().max(1),
                conn: None,
                refused: 0,
            }) as Box<dyn Client>)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::NodeSpec;
    use std::net::Ipv4Addr;

    #[test]
    fn maintenance_status_says_who_leads() {
        let status = |member: &str, leader: &str| json!({"header": {"member_id": member, "raft_term": "7"}, "leader": leader, "raftTerm": "7"});
        let me = status_role(&status("42", "42"));
        assert_eq!((me.role, me.term), (Role::Leader, Some(7)));
        assert_eq!(status_role(&status("41", "42")).role, Role::Follower);
        assert_eq!(status_role(&status("41", "0")), NodeRole::UNKNOWN);
        assert_eq!(status_role(&json!({})), NodeRole::UNKNOWN);
    }

    fn cluster(n: u8) -> ClusterSpec {
        ClusterSpec {
            nodes: (0..n)
                .map(|i| NodeSpec {
                    name: format!("n{}", i + 1),
                    ip: Ipv4Addr::new(10, 9, 0, 2 + i),
                })
                .collect(),
            mode: None,
            bug: None,
            options: Default::default(),
        }
    }

    fn value_of<'a>(cmd: &'a [String], flag: &str) -> &'a str {
        let i = cmd
            .iter()
            .position(|a| a == flag)
            .unwrap_or_else(|| panic!("no {flag}"));
        &cmd[i + 1]
    }

    #[test]
    fn command_bootstraps_a_static_cluster_with_this_node_advertised() {
        let cmd = Etcd.command(&cluster(3), 1);
        assert_eq!(cmd[0], "etcd");
        assert_eq!(value_of(&cmd, "--name"), "n2");
        assert_eq!(
            value_of(&cmd, "--initial-cluster"),
            "n1=http://10.9.0.2:2380,n2=http://10.9.0.3:2380,n3=http://10.9.0.4:2380"
        );
        assert_eq!(
            value_of(&cmd, "--advertise-client-urls"),
            "http://10.9.0.3:2379"
        );
        assert_eq!(
            value_of(&cmd, "--initial-advertise-peer-urls"),
            "http://10.9.0.3:2380"
        );
        assert_eq!(value_of(&cmd, "--data-dir"), DATA_DIR);
        assert_eq!(value_of(&cmd, "--initial-cluster-state"), "new");
    }

    #[test]
    fn clock_faults_are_refused_with_the_reason() {
        let err = Etcd.clock_skew_support().unwrap_err().to_string();
        assert!(err.contains("Go") && err.contains("libfaketime"), "{err}");
    }

    #[test]
    fn takes_no_modes_or_options_and_only_its_workloads() {
        let mut c = cluster(1);
        crate::validate_cluster(&Etcd, &c).unwrap();
        c.mode = Some("raft".into());
        assert!(crate::validate_cluster(&Etcd, &c).is_err());
        for w in WORKLOADS {
            crate::validate_run(&Etcd, 3, w).unwrap();
        }
        let err = crate::validate_run(&Etcd, 3, "bank")
            .unwrap_err()
            .to_string();
        assert!(err.contains("bank"), "{err}");
        let skipped = Etcd.inapplicable_checkers(&cluster(3));
        assert_eq!(skipped[0].0, "convergence");
    }
}

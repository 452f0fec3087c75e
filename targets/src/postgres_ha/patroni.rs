//! Patroni's side: the configuration file each node's Patroni reads (written from the run's target
//! options), and what its REST API answers (`GET /patroni` for a node's role, `GET /cluster` for
//! the health of the whole cluster).
//!
//! Kept free of the network so both are tested without a cluster.

use serde_json::Value;

use crate::role::{NodeRole, Role};
use crate::target::ClusterSpec;

use super::Settings;

/// Patroni's REST API port.
pub const REST_PORT: u16 = 8008;
/// The Patroni cluster's name (`scope`), and so its keys' prefix in etcd.
pub const SCOPE: &str = "faultline";
/// Where Patroni keeps PostgreSQL's data directory: in the container's writable layer, so a kill
/// and restart (docker start of the same container) finds it again.
pub const DATA_DIR: &str = "/var/lib/postgresql/faultline-ha";
/// The leader lock's time to live, in seconds: how long the leader may go silent before a replica
/// takes over. A third of Patroni's default 30 (Patroni 3.0 takes it; later releases document 20
/// as the least), so a failover fits in a short run; the failover times in the docs follow from it.
pub const TTL: u64 = 10;
/// Seconds between two runs of Patroni's loop (health check, lock renewal). Shorter than the
/// default 10 so a demotion or a promotion shows within a short run.
pub const LOOP_WAIT: u64 = 2;
/// How long Patroni retries etcd and PostgreSQL before giving up on an operation. Patroni wants
/// `loop_wait + 2 * retry_timeout <= ttl`: 2 + 2 * 4 = 10 <= 10.
pub const RETRY_TIMEOUT: u64 = 4;
// Patroni's rule, checked when this compiles.
const _: () = assert!(LOOP_WAIT + 2 * RETRY_TIMEOUT <= TTL);
/// The script Patroni runs once, on the node that initialised the cluster, before any replica
/// clones it: it creates the workload database and tables.
pub const POST_BOOTSTRAP: &str = "/usr/local/bin/faultline-ha-schema";

/// The YAML configuration of node `index`'s Patroni. The `bootstrap.dcs` part is written to etcd
/// by the node that initialises the cluster and is the same on every node.
pub fn config(cluster: &ClusterSpec, index: usize, settings: &Settings) -> String {
    let node = &cluster.nodes[index];
    let etcd_hosts = cluster
        .nodes
        .iter()
        .map(|n| format!("{}:{}", n.ip, crate::etcd::CLIENT_PORT))
        .collect::<Vec<_>>()
        .join(",");
    let bin = crate::postgres::image::PG_BIN;
    let user = crate::postgres::image::USER;
    format!(
        "\
scope: {SCOPE}
namespace: /service/
name: {name}
restapi:
  listen: 0.0.0.0:{REST_PORT}
  connect_address: {ip}:{REST_PORT}
etcd3:
  hosts: {etcd_hosts}
bootstrap:
  dcs:
    ttl: {TTL}
    loop_wait: {LOOP_WAIT}
    retry_timeout: {RETRY_TIMEOUT}
    maximum_lag_on_failover: {lag}
    synchronous_mode: {sync}
    postgresql:
      # A deposed leader rejoins by rewinding its divergent WAL instead of failing to follow.
      use_pg_rewind: true
      use_slots: true
      parameters:
        max_connections: 300
        synchronous_commit: '{commit}'
        wal_log_hints: 'on'
        wal_keep_size: '256MB'
        hot_standby: 'on'
        # As in the single-node target: deadlocks are reported within the 1 s operation timeout,
        # and crash recovery syncs the data directory at once.
        deadlock_timeout: '100ms'
        recovery_init_sync_method: syncfs
  initdb:
  - encoding: UTF8
  - no-locale
  # The new cluster holds nothing yet: skip initdb's file-by-file sync (seconds on overlayfs).
  - no-sync
  post_bootstrap: {POST_BOOTSTRAP}
postgresql:
  listen: 0.0.0.0:5432
  connect_address: {ip}:5432
  data_dir: {DATA_DIR}
  bin_dir: {bin}
  pgpass: /tmp/faultline-pgpass
  use_unix_socket: true
  # A replica clones the leader with pg_basebackup, which by default waits for a spread
  # checkpoint: 100 s here before the first replica could start.
  basebackup:
  - checkpoint: fast
  authentication:
    superuser:
      username: {user}
      password: faultline
    replication:
      username: {user}
      password: faultline
    rewind:
      username: {user}
      password: faultline
  parameters:
    unix_socket_directories: /tmp
    logging_collector: 'off'
    log_destination: stderr
    log_line_prefix: '%m [%p] '
    log_min_messages: log
    log_min_error_statement: panic
  # Trust on the local socket, loopback and the run network only, as in the single-node target.
  pg_hba:
  - local all all trust
  - host all all 127.0.0.1/32 trust
  - host all all samenet trust
  - host replication all 127.0.0.1/32 trust
  - host replication all samenet trust
",
        name = node.name,
        ip = node.ip,
        lag = settings.maximum_lag_on_failover,
        sync = settings.synchronous_mode,
        commit = settings.synchronous_commit,
    )
}

/// A Patroni role name as the REST API spells it (`master` in 3.0, `primary` and `leader` in
/// other places and versions) says the node leads.
fn leads(role: &str) -> bool {
    matches!(role, "master" | "primary" | "leader")
}

/// The role `GET /patroni` reports: leader when PostgreSQL runs as the primary, with its timeline
/// as the term (a promotion starts a new timeline, so a deposed leader that still believes it
/// leads holds an older one). A node whose PostgreSQL is not running is unknown.
pub fn node_role(status: &Value) -> NodeRole {
    let term = status["timeline"].as_u64();
    match (status["state"].as_str(), status["role"].as_str()) {
        (Some("running"), Some(role)) if leads(role) => NodeRole {
            role: Role::Leader,
            term,
        },
        (Some("running" | "streaming"), Some(_)) => NodeRole {
            role: Role::Follower,
            term,
        },
        _ => NodeRole::UNKNOWN,
    }
}

/// From `GET /cluster`: the leader's name when the cluster is healthy (all `nodes` members
/// present and running, exactly one leader), otherwise what is wrong.
pub fn healthy_leader(cluster: &Value, nodes: usize) -> Result<String, String> {
    let members = cluster["members"]
        .as_array()
        .ok_or_else(|| format!("no members in {cluster}"))?;
    if members.len() != nodes {
        return Err(format!("{} of {nodes} members in {cluster}", members.len()));
    }
    let mut leaders = Vec::new();
    for m in members {
        let name = m["name"].as_str().unwrap_or("?");
        let state = m["state"].as_str().unwrap_or("?");
        if !matches!(state, "running" | "streaming") {
            return Err(format!("member {name} is {state}"));
        }
        if m["role"].as_str().is_some_and(leads) {
            leaders.push(name.to_string());
        }
    }
    match leaders.as_slice() {
        [one] => Ok(one.clone()),
        other => Err(format!("{} leaders ({other:?}) in {cluster}", other.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::NodeSpec;
    use serde_json::json;
    use std::net::Ipv4Addr;

    fn cluster() -> ClusterSpec {
        ClusterSpec {
            nodes: (0..3)
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

    #[test]
    fn config_names_this_node_every_etcd_member_and_the_settings() {
        let settings = Settings {
            synchronous_mode: true,
            maximum_lag_on_failover: 4096,
            synchronous_commit: "remote_apply".into(),
        };
        let yml = config(&cluster(), 1, &settings);
        assert!(yml.contains("\nname: n2\n"), "{yml}");
        assert!(yml.contains("connect_address: 10.9.0.3:8008"));
        assert!(yml.contains("connect_address: 10.9.0.3:5432"));
        assert!(yml.contains("hosts: 10.9.0.2:2379,10.9.0.3:2379,10.9.0.4:2379"));
        assert!(yml.contains("synchronous_mode: true\n"));
        assert!(yml.contains("maximum_lag_on_failover: 4096\n"));
        assert!(yml.contains("synchronous_commit: 'remote_apply'\n"));
        assert!(yml.contains(&format!("post_bootstrap: {POST_BOOTSTRAP}\n")));
        assert!(!yml.contains('\t'), "YAML takes no tabs");
    }

    #[test]
    fn the_rest_api_says_who_leads_with_the_timeline_as_term() {
        let me = node_role(&json!({"state": "running", "role": "master", "timeline": 3}));
        assert_eq!((me.role, me.term), (Role::Leader, Some(3)));
        let r = node_role(&json!({"state": "running", "role": "replica", "timeline": 3}));
        assert_eq!(r.role, Role::Follower);
        assert_eq!(
            node_role(&json!({"state": "starting", "role": "replica"})),
            NodeRole::UNKNOWN
        );
        assert_eq!(node_role(&json!({})), NodeRole::UNKNOWN);
    }

    #[test]
    fn a_healthy_cluster_has_every_member_running_and_one_leader() {
        let member = |name: &str, role: &str, state: &str| json!({"name": name, "role": role, "state": state});
        let ok = json!({"members": [
            member("n1", "replica", "running"),
            member("n2", "leader", "running"),
            member("n3", "sync_standby", "streaming"),
        ]});
        assert_eq!(healthy_leader(&ok, 3), Ok("n2".into()));
        assert!(healthy_leader(&ok, 4).unwrap_err().contains("3 of 4"));
        let starting = json!({"members": [
            member("n1", "replica", "creating replica"),
            member("n2", "leader", "running"),
        ]});
        assert!(healthy_leader(&starting, 2)
            .unwrap_err()
            .contains("n1 is creating replica"));
        let none = json!({"members": [member("n1", "replica", "running")]});
        assert!(healthy_leader(&none, 1).unwrap_err().contains("0 leaders"));
    }
}

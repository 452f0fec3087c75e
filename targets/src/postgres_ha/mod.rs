//! PostgreSQL 15 under Patroni 3.0 as a target: master–slave streaming replication with automatic
//! failover, the way it is run in production. Every node is one container running an etcd member
//! (Patroni's consensus store, a 3.4 cluster across the nodes), Patroni, and the PostgreSQL that
//! Patroni starts as leader or replica. Clients find the leader as applications do ([`client`]);
//! the statements and the error mapping are the single-node target's ([`crate::postgres`]).
//!
//! - [`image`]: the packages and the node's start script.
//! - [`patroni`]: Patroni's configuration and what its REST API answers.
//! - [`client`]: leader routing and `reads=any`.

pub mod client;
pub mod image;
pub mod patroni;

use std::time::Duration;

use serde_json::Value;

use crate::etcd::http::HttpConnection;
use crate::postgres::client::Session;
use crate::postgres::sql::{self, Isolation};
use crate::postgres::Postgres;
use crate::role::NodeRole;
use crate::target::{
    BoxFuture, Client, ClusterSpec, ImageRecipe, OptionKind, Target, TargetError, TargetOption,
};

/// How long one health probe may take: a write through a synchronous leader waits for its
/// standby, which must not hold the probe forever while the cluster is still forming.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);
/// How long the probe waits for its write to reach this node.
const REPLICATION_WAIT: Duration = Duration::from_secs(1);

/// `synchronous_commit`'s values (PostgreSQL's own words).
const SYNCHRONOUS_COMMIT: &[&str] = &["on", "off", "local", "remote_write", "remote_apply"];

const OPTIONS: &[TargetOption] = &[
    TargetOption {
        name: "reads",
        kind: OptionKind::OneOf(&["leader", "any"]),
        help: "where operations that only read go: the leader (default), or any node, the client's own (a replica serves them from its own, possibly stale, state)",
    },
    TargetOption {
        name: "synchronous_mode",
        kind: OptionKind::Flag,
        help: "Patroni's synchronous_mode: a commit waits for one synchronous standby, and only that standby may be promoted (default false)",
    },
    TargetOption {
        name: "maximum_lag_on_failover",
        kind: OptionKind::Count,
        help: "Patroni's maximum_lag_on_failover: bytes of WAL a replica may lag and still be promoted (default 1048576)",
    },
    TargetOption {
        name: "synchronous_commit",
        kind: OptionKind::OneOf(SYNCHRONOUS_COMMIT),
        help: "PostgreSQL's synchronous_commit on every node: on (default), off, local, remote_write or remote_apply",
    },
    TargetOption {
        name: "isolation",
        kind: OptionKind::OneOf(Isolation::NAMES),
        help: "the isolation level of every transaction: serializable (default), repeatable-read or read-committed",
    },
];

/// Where reads go (`--target-option reads=...`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reads {
    Leader,
    Any,
}

/// The run's `reads` option (validated before the run; the default otherwise).
pub fn reads(cluster: &ClusterSpec) -> Reads {
    match cluster.options.get("reads").map(String::as_str) {
        Some("any") => Reads::Any,
        _ => Reads::Leader,
    }
}

/// The Patroni and PostgreSQL settings the target options choose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub synchronous_mode: bool,
    pub maximum_lag_on_failover: u64,
    pub synchronous_commit: String,
}

impl Settings {
    pub fn of(cluster: &ClusterSpec) -> Settings {
        let option = |name: &str| cluster.options.get(name).map(String::as_str);
        Settings {
            synchronous_mode: option("synchronous_mode") == Some("true"),
            maximum_lag_on_failover: option("maximum_lag_on_failover")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1_048_576),
            synchronous_commit: option("synchronous_commit").unwrap_or("on").to_string(),
        }
    }
}

/// The postgres-ha target.
#[derive(Clone, Debug, Default)]
pub struct PostgresHa;

/// `GET path` on node `index`'s Patroni, as JSON.
async fn rest(cluster: &ClusterSpec, index: usize, path: &str) -> Result<Value, String> {
    let mut conn = HttpConnection::open(cluster.addr(index, patroni::REST_PORT))
        .await
        .map_err(|e| e.to_string())?;
    let answer = conn.get(path).await.map_err(|e| e.to_string())?;
    // Patroni answers /patroni with 503 on a replica or a stopped node, with the same body.
    serde_json::from_slice(&answer.body).map_err(|e| {
        format!(
            "GET {path}: {} answered {}: {e}",
            answer.status,
            String::from_utf8_lossy(&answer.body)
        )
    })
}

impl PostgresHa {
    /// Node `index` is healthy when its Patroni sees every member running with one leader, the
    /// leader streams to every replica, the tables exist, and a row written through the leader
    /// (this node's own probe row, so no node's check waits for another's) is readable on this
    /// node within [`REPLICATION_WAIT`].
    async fn check(&self, cluster: &ClusterSpec, index: usize) -> Result<(), String> {
        let leader = patroni::healthy_leader(
            &rest(cluster, index, "/cluster").await?,
            cluster.nodes.len(),
        )?;
        let leader = cluster
            .nodes
            .iter()
            .position(|n| n.name == leader)
            .ok_or_else(|| format!("leader {leader} is not one of the run's nodes"))?;
        let open = |i: usize| async move {
            Session::open(&Postgres::config(cluster, i), &[])
                .await
                .map_err(|e| format!("connect to {}: {}", cluster.nodes[i].name, e.message))
        };
        let on_leader = open(leader).await?;
        let streaming: i64 = on_leader
            .client
            .query_one(
                "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'",
                &[],
            )
            .await
            .map_err(|e| format!("pg_stat_replication: {e}"))?
            .get(0);
        if streaming as usize + 1 != cluster.nodes.len() {
            return Err(format!("the leader streams to {streaming} replicas"));
        }
        let id = index as i32;
        let written: String = on_leader
            .client
            .query_one(
                "INSERT INTO faultline_probe VALUES ($1, clock_timestamp()) \
                 ON CONFLICT (id) DO UPDATE SET at = excluded.at RETURNING at::text",
                &[&id],
            )
            .await
            .map_err(|e| format!("probe write through the leader: {e}"))?
            .get(0);
        let here = open(index).await?;
        let tables = sql::TABLES
            .iter()
            .map(|t| format!("'{t}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let found: i64 = here
            .client
            .query_one(
                format!(
                    "SELECT count(*) FROM pg_catalog.pg_tables \
                     WHERE schemaname = 'public' AND tablename IN ({tables})"
                )
                .as_str(),
                &[],
            )
            .await
            .map_err(|e| format!("tables: {e}"))?
            .get(0);
        if found as usize != sql::TABLES.len() {
            return Err(format!("{found} of the tables {tables} exist"));
        }
        let deadline = tokio::time::Instant::now() + REPLICATION_WAIT;
        loop {
            let read: Option<String> = here
                .client
                .query_opt("SELECT at::text FROM faultline_probe WHERE id = $1", &[&id])
                .await
                .map_err(|e| format!("probe read: {e}"))?
                .map(|row| row.get(0));
            if read.as_deref() == Some(written.as_str()) {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                return Err(format!(
                    "wrote {written} through the leader, read {read:?} here after {REPLICATION_WAIT:?}"
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Target for PostgresHa {
    fn name(&self) -> &'static str {
        "postgres-ha"
    }

    /// Each run bootstraps Patroni, etcd and the replicas from nothing: 27–51 s measured on a
    /// loaded 2-core machine, more than the default `--health-timeout` alone.
    fn bootstrap_allowance(&self) -> std::time::Duration {
        std::time::Duration::from_secs(60)
    }

    fn options(&self) -> &'static [TargetOption] {
        OPTIONS
    }

    fn workloads(&self) -> Option<Vec<&str>> {
        Some(sql::WORKLOADS.to_vec())
    }

    fn image(&self) -> Result<ImageRecipe, TargetError> {
        Ok(image::recipe())
    }

    /// The node script, given the etcd member's command line (the etcd target's own).
    fn command(&self, cluster: &ClusterSpec, index: usize) -> Vec<String> {
        let mut cmd = vec![image::NODE.to_string()];
        cmd.extend(crate::etcd::Etcd.command(cluster, index));
        cmd
    }

    fn env(&self, cluster: &ClusterSpec, index: usize) -> Vec<String> {
        vec![format!(
            "{}={}",
            image::CONFIG_ENV,
            patroni::config(cluster, index, &Settings::of(cluster))
        )]
    }

    fn inapplicable_checkers(&self, cluster: &ClusterSpec) -> Vec<(String, String)> {
        match reads(cluster) {
            Reads::Leader => vec![(
                "convergence".to_string(),
                "with reads=leader every final read goes to the leader, so no replica's own \
                 state is read"
                    .to_string(),
            )],
            Reads::Any => Vec::new(),
        }
    }

    fn client_port(&self) -> u16 {
        crate::postgres::PORT
    }

    fn clock_skew_support(&self) -> Result<(), TargetError> {
        // Patroni (Python) and PostgreSQL read the wall clock through glibc, which libfaketime's
        // LD_PRELOAD reaches. The node's etcd member is a Go program that does not see the skew;
        // the leader lock's lease is timed by etcd, so skew cannot stretch it.
        Ok(())
    }

    fn probe<'a>(
        &'a self,
        cluster: &'a ClusterSpec,
        index: usize,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            tokio::time::timeout(PROBE_TIMEOUT, self.check(cluster, index))
                .await
                .unwrap_or_else(|_| Err(format!("no answer within {PROBE_TIMEOUT:?}")))
        })
    }

    fn role<'a>(&'a self, cluster: &'a ClusterSpec, index: usize) -> BoxFuture<'a, NodeRole> {
        Box::pin(async move {
            match rest(cluster, index, "/patroni").await {
                Ok(status) => patroni::node_role(&status),
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
            // Connections open on the first operation, so a failed one is that operation's `fail`.
            Ok(Box::new(client::HaClient::new(cluster, workload, index)) as Box<dyn Client>)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::{validate_cluster, NodeSpec};
    use std::net::Ipv4Addr;

    #[test]
    fn the_bootstrap_allowance_covers_the_slowest_bootstrap_measured() {
        // 27–51 s measured from start to healthy; the default --health-timeout (30 s) comes on top.
        let allowance = PostgresHa.bootstrap_allowance().as_secs();
        assert!(allowance + 30 > 51 && allowance >= 30, "{allowance} s");
    }

    fn cluster(options: &[(&str, &str)]) -> ClusterSpec {
        ClusterSpec {
            nodes: (0..3)
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
    fn options_default_to_patronis_defaults_and_are_checked() {
        let c = cluster(&[]);
        assert_eq!(
            Settings::of(&c),
            Settings {
                synchronous_mode: false,
                maximum_lag_on_failover: 1_048_576,
                synchronous_commit: "on".into()
            }
        );
        assert_eq!(reads(&c), Reads::Leader);
        let c = cluster(&[
            ("synchronous_mode", "true"),
            ("maximum_lag_on_failover", "0"),
            ("reads", "any"),
        ]);
        // 0 is not a count of at least 1: the option is refused before anything starts.
        assert!(validate_cluster(&PostgresHa, &c).is_err());
        let c = cluster(&[
            ("synchronous_mode", "true"),
            ("maximum_lag_on_failover", "65536"),
            ("synchronous_commit", "remote_apply"),
            ("reads", "any"),
            ("isolation", "read-committed"),
        ]);
        validate_cluster(&PostgresHa, &c).unwrap();
        let s = Settings::of(&c);
        assert!(s.synchronous_mode);
        assert_eq!(s.maximum_lag_on_failover, 65536);
        assert_eq!(reads(&c), Reads::Any);
        assert!(PostgresHa.inapplicable_checkers(&c).is_empty());
        let err = validate_cluster(&PostgresHa, &cluster(&[("synchronous_commit", "maybe")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("remote_apply"), "{err}");
    }

    #[test]
    fn every_node_runs_the_node_script_with_its_etcd_member_and_config() {
        let c = cluster(&[("synchronous_mode", "true")]);
        let cmd = PostgresHa.command(&c, 2);
        assert_eq!(cmd[0], image::NODE);
        assert_eq!(cmd[1], "etcd");
        assert!(cmd.contains(&"n3".to_string()));
        let env = PostgresHa.env(&c, 2);
        assert!(env[0].starts_with("FAULTLINE_PATRONI_CONFIG=scope: faultline\n"));
        assert!(env[0].contains("name: n3\n") && env[0].contains("synchronous_mode: true"));
        assert_eq!(PostgresHa.inapplicable_checkers(&c)[0].0, "convergence");
        assert!(crate::by_name("postgres-ha").is_ok());
    }
}

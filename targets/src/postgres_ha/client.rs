//! How a client finds the leader, as applications do: libpq-style multi-host connection with
//! `target_session_attrs=read-write` (the first node, in the client's own order, that accepts
//! writes), reconnecting the same way after the connection breaks, which is how a failover
//! reaches it. With `reads=any`, operations that only read go to the client's own node instead,
//! leader or replica, on a second connection.
//!
//! Every operation is still one transaction of [`crate::postgres::client::PgClient`], so the error
//! mapping is the single-node target's ([`crate::postgres::errors`]).

use std::time::Duration;

use faultline_workloads::Invocation;
use tokio_postgres::config::TargetSessionAttrs;

use crate::postgres::client::PgClient;
use crate::postgres::sql::{self, Isolation};
use crate::postgres::Postgres;
use crate::target::{BoxFuture, Client, ClusterSpec, Completion};

use super::Reads;

/// How long one host may take to accept the TCP connection before the next is tried; a killed
/// node refuses at once, a paused one accepts the connection but never answers, which the whole
/// connection's timeout ([`crate::postgres::client::CONNECT_TIMEOUT`]) bounds.
pub const HOST_CONNECT_TIMEOUT: Duration = Duration::from_millis(150);

/// A connection that tries every node, starting at `start`, and keeps the first that accepts
/// writes.
pub fn leader_config(cluster: &ClusterSpec, start: usize) -> tokio_postgres::Config {
    let n = cluster.nodes.len();
    let mut config = Postgres::config(cluster, start % n);
    for i in 1..n {
        let node = &cluster.nodes[(start + i) % n];
        config.host(node.ip.to_string()).port(crate::postgres::PORT);
    }
    config
        .connect_timeout(HOST_CONNECT_TIMEOUT)
        .target_session_attrs(TargetSessionAttrs::ReadWrite);
    config
}

/// The isolation level of read-only transactions on a node that may be a replica: a hot standby
/// refuses SERIALIZABLE (it cannot take part in predicate locking), and PostgreSQL's own advice is
/// REPEATABLE READ, the same snapshot without the serializability check.
pub fn replica_isolation(isolation: Isolation) -> Isolation {
    match isolation {
        Isolation::Serializable => Isolation::RepeatableRead,
        other => other,
    }
}

/// One client process of the postgres-ha target.
pub struct HaClient {
    workload: String,
    cluster: ClusterSpec,
    /// The node the leader search starts from; it moves on after a connection attempt fails, so a
    /// paused node (which accepts the TCP connection and then says nothing) is not tried first
    /// forever.
    start: usize,
    leader: PgClient,
    /// With `reads=any`: the client's own node, for operations that only read.
    local: Option<PgClient>,
}

impl HaClient {
    pub fn new(cluster: &ClusterSpec, workload: &str, index: usize) -> HaClient {
        let index = index % cluster.nodes.len().max(1);
        let isolation = Postgres::isolation(cluster);
        let pg = |config, isolation, addresses| PgClient {
            config,
            node: cluster.nodes[index].name.clone(),
            workload: workload.to_string(),
            isolation,
            session: None,
            addresses,
        };
        let addresses = cluster
            .nodes
            .iter()
            .map(|n| (n.ip.to_string(), n.name.clone()))
            .collect();
        HaClient {
            workload: workload.to_string(),
            cluster: cluster.clone(),
            start: index,
            leader: pg(leader_config(cluster, index), isolation, addresses),
            local: match super::reads(cluster) {
                Reads::Leader => None,
                Reads::Any => Some(pg(
                    Postgres::config(cluster, index),
                    replica_isolation(isolation),
                    Vec::new(),
                )),
            },
        }
    }

    async fn perform(&mut self, op: &Invocation) -> Completion {
        let reads_only = sql::plan(&self.workload, op).is_ok_and(|p| p.reads_only());
        if let (true, Some(local)) = (reads_only, self.local.as_mut()) {
            return local.perform(op).await;
        }
        let done = self.leader.perform(op).await;
        if self.leader.session.is_none() {
            // No connection (none made, or it broke): search from the next node next time.
            self.start = (self.start + 1) % self.cluster.nodes.len().max(1);
            self.leader.config = leader_config(&self.cluster, self.start);
        }
        done
    }
}

impl Client for HaClient {
    fn invoke<'a>(&'a mut self, op: &'a Invocation) -> BoxFuture<'a, Completion> {
        Box::pin(self.perform(op))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::NodeSpec;
    use std::net::Ipv4Addr;
    use tokio_postgres::config::Host;

    fn cluster(reads: &str) -> ClusterSpec {
        ClusterSpec {
            nodes: (0..3)
                .map(|i| NodeSpec {
                    name: format!("n{}", i + 1),
                    ip: Ipv4Addr::new(10, 9, 0, 2 + i),
                })
                .collect(),
            mode: None,
            bug: None,
            options: [("reads".to_string(), reads.to_string())].into(),
        }
    }

    fn hosts(config: &tokio_postgres::Config) -> Vec<String> {
        config
            .get_hosts()
            .iter()
            .map(|h| match h {
                Host::Tcp(h) => h.clone(),
                #[allow(unreachable_patterns)]
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn the_leader_search_starts_at_the_clients_node_and_wants_writes() {
        let c = leader_config(&cluster("leader"), 1);
        assert_eq!(hosts(&c), ["10.9.0.3", "10.9.0.4", "10.9.0.2"]);
        assert_eq!(c.get_ports(), [5432, 5432, 5432]);
        assert_eq!(c.get_target_session_attrs(), TargetSessionAttrs::ReadWrite);
        assert_eq!(c.get_connect_timeout(), Some(&HOST_CONNECT_TIMEOUT));
    }

    #[test]
    fn reads_any_adds_a_local_connection_at_a_level_a_standby_serves() {
        let leader_only = HaClient::new(&cluster("leader"), "register", 4);
        assert!(leader_only.local.is_none());
        assert_eq!(leader_only.start, 1);
        let any = HaClient::new(&cluster("any"), "register", 2);
        let local = any.local.as_ref().unwrap();
        assert_eq!(hosts(&local.config), ["10.9.0.4"]);
        assert_eq!(local.node, "n3");
        assert_eq!(local.isolation, Isolation::RepeatableRead);
        assert_eq!(any.leader.isolation, Isolation::Serializable);
        assert_eq!(any.leader.addresses.len(), 3);
        assert_eq!(
            replica_isolation(Isolation::ReadCommitted),
            Isolation::ReadCommitted
        );
    }
}

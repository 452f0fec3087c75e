//! PostgreSQL 15 (Debian bookworm's package) as a target: a single primary, clients for
//! `list-append`, `rw-register`, `bank`, `counter`, `register` and `set`, each operation one
//! transaction at the isolation level `--isolation` chooses (serializable by default).
//!
//! - [`image`]: the image recipe (package, initdb, configuration, schema).
//! - [`sql`]: the schema, the statements, and how an operation becomes statements.
//! - [`client`]: the connection and the transaction around every operation.
//! - [`errors`]: which failures are `fail` and which `info`.
//!
//! One node only: a primary with streaming replicas is a later step, so more nodes are refused
//! before anything starts.

pub mod client;
pub mod errors;
pub mod image;
pub mod sql;

use crate::target::{
    BoxFuture, Client, ClusterSpec, ImageRecipe, OptionKind, Target, TargetError, TargetOption,
};
use client::{PgClient, Session};
use sql::Isolation;

/// The server's port.
pub const PORT: u16 = 5432;

const OPTIONS: &[TargetOption] = &[TargetOption {
    name: "isolation",
    kind: OptionKind::OneOf(Isolation::NAMES),
    help: "the isolation level of every transaction: serializable (default), repeatable-read or read-committed",
}];

/// The PostgreSQL target.
#[derive(Clone, Debug, Default)]
pub struct Postgres;

impl Postgres {
    /// The isolation level the run asked for (validated before the run, so unknown words cannot
    /// reach here; they fall back to the default).
    pub fn isolation(cluster: &ClusterSpec) -> Isolation {
        cluster
            .options
            .get("isolation")
            .and_then(|name| Isolation::parse(name))
            .unwrap_or(Isolation::Serializable)
    }

    /// How a client reaches node `index`.
    pub fn config(cluster: &ClusterSpec, index: usize) -> tokio_postgres::Config {
        let mut config = tokio_postgres::Config::new();
        config
            .host(cluster.nodes[index].ip.to_string())
            .port(PORT)
            .user(image::USER)
            .dbname(image::DATABASE)
            .application_name("faultline")
            .connect_timeout(client::CONNECT_TIMEOUT);
        config
    }
}

impl Target for Postgres {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn options(&self) -> &'static [TargetOption] {
        OPTIONS
    }

    fn default_nodes(&self) -> usize {
        1
    }

    fn max_nodes(&self) -> Option<(usize, &str)> {
        Some((
            1,
            "it runs PostgreSQL as a single primary; a primary with streaming replicas is not supported yet",
        ))
    }

    fn workloads(&self) -> Option<Vec<&str>> {
        Some(sql::WORKLOADS.to_vec())
    }

    fn image(&self) -> Result<ImageRecipe, TargetError> {
        Ok(image::recipe())
    }

    fn command(&self, _cluster: &ClusterSpec, _index: usize) -> Vec<String> {
        image::command()
    }

    fn inapplicable_checkers(&self, _cluster: &ClusterSpec) -> Vec<(String, String)> {
        vec![(
            "convergence".to_string(),
            "a single PostgreSQL primary has no replicas whose final reads could disagree".into(),
        )]
    }

    fn client_port(&self) -> u16 {
        PORT
    }

    fn clock_skew_support(&self) -> Result<(), TargetError> {
        // The postmaster and its backends are C programs linked against glibc: libfaketime's
        // LD_PRELOAD reaches their clock_gettime calls (now(), log timestamps). PostgreSQL's
        // snapshots and locks do not read the wall clock, so skew should change timestamps only.
        Ok(())
    }

    fn probe<'a>(
        &'a self,
        cluster: &'a ClusterSpec,
        index: usize,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let session = Session::open(&Self::config(cluster, index), &[])
                .await
                .map_err(|e| format!("connect: {}", e.message))?;
            let tables = sql::TABLES
                .iter()
                .map(|t| format!("'{t}'"))
                .collect::<Vec<_>>()
                .join(", ");
            let query = format!(
                "SELECT 1::int, (SELECT count(*)::int FROM pg_catalog.pg_tables \
                 WHERE schemaname = 'public' AND tablename IN ({tables}))"
            );
            let row = session
                .client
                .query_one(query.as_str(), &[])
                .await
                .map_err(|e| format!("SELECT 1: {e}"))?;
            let (one, found): (i32, i32) = (row.get(0), row.get(1));
            if one != 1 {
                return Err(format!("SELECT 1 answered {one}"));
            }
            if found as usize != sql::TABLES.len() {
                return Err(format!(
                    "{found} of the tables {tables} exist in database {}",
                    image::DATABASE
                ));
            }
            Ok(())
        })
    }

    fn client<'a>(
        &'a self,
        cluster: &'a ClusterSpec,
        workload: &'a str,
        index: usize,
    ) -> BoxFuture<'a, Result<Box<dyn Client>, String>> {
        Box::pin(async move {
            // One node: every client talks to it. The connection opens on the first operation, so
            // a refused connection is that operation's `fail`.
            let index = index % cluster.nodes.len().max(1);
            Ok(Box::new(PgClient {
                config: Self::config(cluster, index),
                node: cluster.nodes[index].name.clone(),
                workload: workload.to_string(),
                isolation: Self::isolation(cluster),
                session: None,
                addresses: Vec::new(),
            }) as Box<dyn Client>)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::{validate_cluster, validate_run, NodeSpec};
    use std::net::Ipv4Addr;

    fn cluster(options: &[(&str, &str)]) -> ClusterSpec {
        ClusterSpec {
            nodes: vec![NodeSpec {
                name: "n1".into(),
                ip: Ipv4Addr::new(10, 213, 7, 2),
            }],
            mode: None,
            bug: None,
            options: options
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn isolation_is_an_option_defaulting_to_serializable() {
        let target = Postgres;
        assert_eq!(Postgres::isolation(&cluster(&[])), Isolation::Serializable);
        let rc = cluster(&[("isolation", "read-committed")]);
        validate_cluster(&target, &rc).unwrap();
        assert_eq!(Postgres::isolation(&rc), Isolation::ReadCommitted);
        let err = validate_cluster(&target, &cluster(&[("isolation", "snapshot")]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("one of serializable, repeatable-read, read-committed"),
            "{err}"
        );
        let err = validate_cluster(&target, &cluster(&[("fsync", "off")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("no option \"fsync\""), "{err}");
    }

    #[test]
    fn one_node_by_default_and_more_are_refused_with_the_reason() {
        let target = Postgres;
        assert_eq!(target.default_nodes(), 1);
        validate_run(&target, 1, "list-append").unwrap();
        let err = validate_run(&target, 3, "list-append")
            .unwrap_err()
            .to_string();
        assert!(err.contains("at most 1 node (got --nodes 3)"), "{err}");
        assert!(err.contains("streaming replicas"), "{err}");
        validate_run(&target, 1, "register").unwrap();
        let err = validate_run(&target, 1, "kv").unwrap_err().to_string();
        assert!(
            err.contains("no client for workload kv; its workloads: list-append, rw-register, bank, counter, register, set"),
            "{err}"
        );
        // The reference nodes keep their defaults.
        let reference = crate::reference::Reference::default();
        assert_eq!(reference.default_nodes(), 3);
        validate_run(&reference, 7, "register").unwrap();
    }

    #[test]
    fn clients_connect_to_the_node_as_the_trusted_user() {
        let config = Postgres::config(&cluster(&[]), 0);
        assert_eq!(config.get_ports(), [PORT]);
        assert_eq!(config.get_dbname(), Some(image::DATABASE));
        assert_eq!(config.get_user(), Some(image::USER));
        assert_eq!(
            config.get_hosts(),
            [tokio_postgres::config::Host::Tcp("10.213.7.2".into())]
        );
        let skipped = Postgres.inapplicable_checkers(&cluster(&[]));
        assert_eq!(skipped[0].0, "convergence");
    }
}

//! What the harness needs to know about a system under test: its image, how to start a node, how to
//! tell the cluster is up, and a client that turns workload operations into requests.
//!
//! The harness owns Docker; a target only describes. That keeps targets free of Docker types and
//! lets the harness add faults (partitions, kills, clock skew) the same way for every system.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;

use faultline_checkers::{OpType, Value};
use faultline_workloads::Invocation;
use thiserror::Error;

use crate::role::NodeRole;

/// A boxed future, so the traits below stay object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A target that cannot do what was asked, or is misconfigured. Says what and why.
#[derive(Debug, Error)]
pub enum TargetError {
    #[error("{0}")]
    Unsupported(String),
    #[error("{0}")]
    Setup(String),
    /// A target spec file that cannot be used; the error names the file, line and field. Boxed:
    /// it is large, and every error that carries a `TargetError` would pay for it.
    #[error(transparent)]
    Spec(Box<crate::spec::SpecError>),
}

/// Which image an [`ImageRecipe`] builds on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageParent {
    /// Debian bookworm, minimal.
    Base,
    /// The base plus the fault tools (iptables, iproute2, libfaketime, procps).
    Tools,
    /// None from the harness: the instructions are a whole Dockerfile with its own `FROM` (a target
    /// spec's `image.dockerfile`).
    Own,
    /// Nothing to build: `name` is an image tag that already exists locally (a target spec's
    /// `image.tag`).
    Existing,
}

/// A file placed in the build context.
#[derive(Clone, Debug)]
pub struct ContextFile {
    pub path: String,
    pub contents: Vec<u8>,
    pub mode: u32,
}

/// How to build an image: Dockerfile instructions after the `FROM` line the harness writes, and the
/// files they `COPY`. The harness tags the image with a hash of all of it and rebuilds only when it
/// changes.
#[derive(Clone, Debug)]
pub struct ImageRecipe {
    /// Repository name, e.g. `faultline-refnode`.
    pub name: String,
    pub parent: ImageParent,
    /// Dockerfile instructions, without `FROM`.
    pub instructions: String,
    pub files: Vec<ContextFile>,
}

/// One node of the cluster as the target sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeSpec {
    /// `n1`, `n2`...
    pub name: String,
    pub ip: Ipv4Addr,
}

/// The cluster and the options that shape every node's command line.
#[derive(Clone, Debug)]
pub struct ClusterSpec {
    pub nodes: Vec<NodeSpec>,
    /// Target-specific mode (`raft`, `lww`...).
    pub mode: Option<String>,
    /// A planted bug to enable (`--bug`), for targets that have them.
    pub bug: Option<String>,
    /// Target settings (`--target-option NAME=VALUE`), checked by [`validate_cluster`].
    pub options: BTreeMap<String, String>,
}

impl ClusterSpec {
    pub fn addr(&self, node: usize, port: u16) -> SocketAddr {
        SocketAddr::from((self.nodes[node].ip, port))
    }
}

/// What values a [`TargetOption`] takes.
#[derive(Clone, Copy, Debug)]
pub enum OptionKind {
    /// One of the listed words.
    OneOf(&'static [&'static str]),
    /// A whole number, at least 1.
    Count,
    /// `true` or `false`.
    Flag,
}

/// A setting a target accepts as `--target-option NAME=VALUE` (e.g. quorum `r=1`, PostgreSQL
/// `isolation=serializable`).
#[derive(Clone, Copy, Debug)]
pub struct TargetOption {
    pub name: &'static str,
    pub kind: OptionKind,
    pub help: &'static str,
}

/// Checks `cluster.mode` and `cluster.options` against what `target` declares, before any
/// container starts, so a typo is a clear bad-input error instead of a node that will not start.
pub fn validate_cluster(target: &dyn Target, cluster: &ClusterSpec) -> Result<(), TargetError> {
    let bad = |m: String| Err(TargetError::Unsupported(m));
    let modes = target.modes();
    if let Some(mode) = &cluster.mode {
        if modes.is_empty() {
            return bad(format!(
                "target {} has no modes (got --mode {mode})",
                target.name()
            ));
        }
        if !modes.contains(&mode.as_str()) {
            return bad(format!(
                "target {} has no mode {mode:?}; its modes: {}",
                target.name(),
                modes.join(", ")
            ));
        }
    }
    let known = target.options();
    for (name, value) in &cluster.options {
        let Some(option) = known.iter().find(|o| o.name == name) else {
            let names: Vec<&str> = known.iter().map(|o| o.name).collect();
            return bad(format!(
                "target {} has no option {name:?}; {}",
                target.name(),
                if names.is_empty() {
                    "it takes none".to_string()
                } else {
                    format!("its options: {}", names.join(", "))
                }
            ));
        };
        let ok = match option.kind {
            OptionKind::OneOf(words) => words.contains(&value.as_str()),
            OptionKind::Count => value.parse::<u64>().is_ok_and(|n| n >= 1),
            OptionKind::Flag => matches!(value.as_str(), "true" | "false"),
        };
        if !ok {
            let expected = match option.kind {
                OptionKind::OneOf(words) => format!("one of {}", words.join(", ")),
                OptionKind::Count => "a whole number of at least 1".to_string(),
                OptionKind::Flag => "true or false".to_string(),
            };
            return bad(format!(
                "target option {name}={value}: expected {expected} ({})",
                option.help
            ));
        }
    }
    Ok(())
}

/// Checks a run's node count and workload against what `target` supports, before any container
/// starts.
pub fn validate_run(target: &dyn Target, nodes: usize, workload: &str) -> Result<(), TargetError> {
    if let Some((min, why)) = target.min_nodes() {
        if nodes < min {
            return Err(TargetError::Unsupported(format!(
                "target {} runs at least {min} node{} (got --nodes {nodes}): {why}",
                target.name(),
                if min == 1 { "" } else { "s" }
            )));
        }
    }
    if let Some((max, why)) = target.max_nodes() {
        if nodes > max {
            return Err(TargetError::Unsupported(format!(
                "target {} runs at most {max} node{} (got --nodes {nodes}): {why}",
                target.name(),
                if max == 1 { "" } else { "s" }
            )));
        }
    }
    if let Some(known) = target.workloads() {
        if !known.contains(&workload) {
            return Err(TargetError::Unsupported(format!(
                "target {} has no client for workload {workload}; its workloads: {}",
                target.name(),
                known.join(", ")
            )));
        }
    }
    Ok(())
}

/// How one operation ended, before the harness stamps time, process and index on it.
#[derive(Clone, Debug, PartialEq)]
pub struct Completion {
    /// `ok`, `fail` or `info` (never `invoke`).
    pub kind: OpType,
    pub value: Value,
    pub error: Option<Value>,
    /// The node that answered.
    pub node: Option<String>,
}

/// A connection used by one client process: at most one operation in flight.
pub trait Client: Send {
    /// Performs `op`. A lost connection or an answer the client cannot read is `info`; timeouts are
    /// applied by the harness around this call.
    fn invoke<'a>(&'a mut self, op: &'a Invocation) -> BoxFuture<'a, Completion>;

    /// The process id the next operations run under (it changes after an `info`, Jepsen's rule).
    /// Only clients that pass it on need it (a spec target's adapter sees it in every request).
    fn set_process(&mut self, process: u64) {
        let _ = process;
    }
}

/// A command run inside a node's service container (`docker exec`), given up after `timeout`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeCommand {
    pub command: Vec<String>,
    pub timeout: std::time::Duration,
}

/// When the harness runs a target's hooks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HookStage {
    /// Once every node is healthy, before any client starts (create a schema, form a replica set).
    AfterStart,
    /// After the faults are healed and the recovery wait, before the final reads.
    BeforeFinalReads,
}

impl HookStage {
    /// The stage as a target spec's `[hooks]` table names it.
    pub fn name(self) -> &'static str {
        match self {
            HookStage::AfterStart => "after_start",
            HookStage::BeforeFinalReads => "before_final_reads",
        }
    }
}

/// A system under test.
pub trait Target: Send + Sync {
    fn name(&self) -> &str;

    /// The modes `--mode` accepts (the first is the default); empty for a target without modes.
    fn modes(&self) -> &'static [&'static str] {
        &[]
    }

    /// The settings `--target-option` accepts.
    fn options(&self) -> &'static [TargetOption] {
        &[]
    }

    /// The node count a run uses without `--nodes`.
    fn default_nodes(&self) -> usize {
        3
    }

    /// Time the target's nodes need to form a cluster from nothing at each start (e.g. a
    /// replicated database bootstrapping its replicas), added to `--health-timeout` so that a
    /// default run of a slow-forming target does not fail health.
    fn bootstrap_allowance(&self) -> std::time::Duration {
        std::time::Duration::ZERO
    }

    /// The most nodes the target can run, and why no more; `None` for no limit of its own.
    fn max_nodes(&self) -> Option<(usize, &str)> {
        None
    }

    /// The fewest nodes the target can run, and why no fewer; `None` for no limit of its own.
    fn min_nodes(&self) -> Option<(usize, &str)> {
        None
    }

    /// The workloads the target has clients for; `None` for every workload.
    fn workloads(&self) -> Option<Vec<&str>> {
        None
    }

    /// The image every node runs.
    fn image(&self) -> Result<ImageRecipe, TargetError>;

    /// The command line of node `index`.
    fn command(&self, cluster: &ClusterSpec, index: usize) -> Vec<String>;

    /// Environment variables of every node.
    fn env(&self, cluster: &ClusterSpec, index: usize) -> Vec<String> {
        let _ = (cluster, index);
        Vec::new()
    }

    /// Checkers the workload names that cannot judge this target as configured, each with the
    /// reason (e.g. convergence compares per-replica final reads, which a leader-only store never
    /// gives). The run reports them as skipped instead of a vacuous or `unknown` verdict.
    fn inapplicable_checkers(&self, cluster: &ClusterSpec) -> Vec<(String, String)> {
        let _ = cluster;
        Vec::new()
    }

    /// The port clients connect to.
    fn client_port(&self) -> u16;

    /// `Ok` when libfaketime can skew this target's wall clock (a dynamically linked libc program);
    /// otherwise why not, for a clear refusal of the clock nemesis.
    fn clock_skew_support(&self) -> Result<(), TargetError>;

    /// A command whose exit status 0 means node `index` is healthy, run in the node instead of
    /// [`Target::probe`] (a target spec's `health.command`); `None` uses the probe.
    fn health_command(&self, cluster: &ClusterSpec, index: usize) -> Option<NodeCommand> {
        let _ = (cluster, index);
        None
    }

    /// Commands to run at `stage`, each with the indices of the nodes it runs on, in order; a
    /// failing hook fails the run.
    fn hooks(&self, cluster: &ClusterSpec, stage: HookStage) -> Vec<(usize, NodeCommand)> {
        let _ = (cluster, stage);
        Vec::new()
    }

    /// Files inside each node's service container to copy into the run's `nodes/<node>/`, beside
    /// the container's own output.
    fn log_files(&self) -> Vec<String> {
        Vec::new()
    }

    /// What the target's own machinery did during the run that results must show (a spec target's
    /// adapter restarts and protocol errors); `None` when there is nothing to say.
    fn run_summary(&self) -> Option<crate::adapter::AdapterSummary> {
        None
    }

    /// Gets the clients ready once the cluster is healthy and its hooks ran, before any client
    /// starts; an error stops the run. A spec target starts its first adapter here, so an
    /// adapter that cannot start or refuses `hello` is one clear error, not a retry per client.
    fn prepare_clients<'a>(
        &'a self,
        cluster: &'a ClusterSpec,
        workload: &'a str,
    ) -> BoxFuture<'a, Result<(), String>> {
        let _ = (cluster, workload);
        Box::pin(async { Ok(()) })
    }

    /// Stops whatever the target started on the host (a spec target's adapters). Called at
    /// teardown on every path.
    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }

    /// Resolves when node `index` serves clients; an error says what it answered instead.
    fn probe<'a>(
        &'a self,
        cluster: &'a ClusterSpec,
        index: usize,
    ) -> BoxFuture<'a, Result<(), String>>;

    /// Node `index`'s role as it reports it (leader, follower, with its term), for faults aimed at
    /// the leader. Must be cheap and safe to ask during faults: [`crate::role::roles`] bounds each
    /// ask with a short timeout. The default knows nothing.
    fn role<'a>(&'a self, cluster: &'a ClusterSpec, index: usize) -> BoxFuture<'a, NodeRole> {
        let _ = (cluster, index);
        Box::pin(async { NodeRole::UNKNOWN })
    }

    /// A client for `workload` that starts on node `index` (it may follow leader hints).
    fn client<'a>(
        &'a self,
        cluster: &'a ClusterSpec,
        workload: &'a str,
        index: usize,
    ) -> BoxFuture<'a, Result<Box<dyn Client>, String>>;
}

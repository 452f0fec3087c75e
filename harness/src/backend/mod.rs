//! Where a run's cluster lives. A [`Backend`] provisions and tears down a cluster; a running
//! [`Cluster`] offers the fault primitives the nemesis's fault units are written against (drop
//! traffic per grudge, drop a fraction of it, kill, restart, pause, resume, set a clock offset).
//! Fault units never see Docker or sockets, only these primitives.
//!
//! Two implementations: [`docker`] (containers, iptables, libfaketime: any target) and
//! [`in_process`] (reference nodes in this process behind a simulated network: the reference
//! target only, no Docker, seconds per run).

pub mod docker;
pub mod in_process;
pub mod shaping;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use faultline_netq::Shaping;
use faultline_targets::{BoxFuture, ClusterSpec, HookStage, Target};
use thiserror::Error;

use crate::results::schema::{Images, Versions};

/// Node name → the nodes whose packets it drops (Jepsen's "grudge").
pub type Grudge = BTreeMap<String, Vec<String>>;

/// A backend that could not do what was asked. Keeps its source.
#[derive(Debug, Error)]
pub enum BackendError {
    #[error(transparent)]
    Docker(#[from] crate::docker::DockerError),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the schedule names node {0:?}, which this cluster does not have")]
    UnknownNode(String),
    /// A fault this backend cannot apply here, and why.
    #[error("{0}")]
    Unsupported(String),
    /// A script in a node failed (its output says why).
    #[error("{0}")]
    Failed(String),
}

/// Which backend `faultline run --backend` asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackendKind {
    /// Containers on the local Docker engine (every target).
    #[default]
    Docker,
    /// Reference nodes inside the faultline process, on loopback (reference target only).
    InProcess,
}

impl BackendKind {
    pub const NAMES: &'static [&'static str] = &["docker", "in-process"];

    pub fn parse(name: &str) -> Result<BackendKind, String> {
        match name {
            "docker" => Ok(BackendKind::Docker),
            "in-process" => Ok(BackendKind::InProcess),
            other => Err(format!(
                "unknown backend {other:?}; known: {}",
                Self::NAMES.join(", ")
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Docker => "docker",
            BackendKind::InProcess => "in-process",
        }
    }

    /// Why this backend cannot run `target` (a built-in target's name, or `spec:PATH` for a
    /// target spec), checked before anything starts.
    pub fn refusal(self, target: &str) -> Option<String> {
        match self {
            BackendKind::Docker => None,
            BackendKind::InProcess => in_process::refusal(target),
        }
    }

    /// Connects to what the backend needs (the Docker engine) and warns about leftovers.
    pub async fn connect(self) -> Result<Box<dyn Backend>, BackendError> {
        Ok(match self {
            BackendKind::Docker => Box::new(docker::DockerBackend::connect().await?),
            BackendKind::InProcess => Box::new(in_process::InProcessBackend::new()),
        })
    }
}

/// What the run needs to start the cluster.
#[derive(Clone, Debug)]
pub struct ClusterPlan {
    pub node_count: usize,
    pub mode: Option<String>,
    pub bug: Option<String>,
    pub options: BTreeMap<String, String>,
    /// Clock faults will be asked for (Docker preloads libfaketime only then).
    pub clock_faults: bool,
    /// The run's seed (the in-process network draws its packet loss from it).
    pub seed: u64,
}

/// One node's log, saved in the run folder.
pub struct NodeLog {
    pub node: String,
    pub file: String,
    pub text: String,
}

/// What `test.json` records about the backend that ran the cluster, in the contract's types.
#[derive(Clone, Debug, PartialEq)]
pub struct Provisioned {
    pub versions: Versions,
    /// The images the nodes ran (Docker only).
    pub images: Option<Images>,
    /// The backend's name when it is not Docker (`in-process`); Docker runs leave it out, as
    /// they did before there were other backends.
    pub backend: Option<String>,
    /// The path packet delay, duplication and reordering take (`nfqueue`, `simulated`).
    pub packet_shaping: Option<String>,
}

/// Provisions a cluster for one run and removes everything it made.
pub trait Backend: Send + Sync {
    fn kind(&self) -> BackendKind;

    /// Gets ready to run `target` as run `run_id` (Docker: builds or finds the images). Returns
    /// what test.json records about the backend.
    fn provision<'a>(
        &'a mut self,
        target: &'a dyn Target,
        run_id: &'a str,
    ) -> BoxFuture<'a, Result<Provisioned, BackendError>>;

    /// Starts every node of `plan`.
    fn start<'a>(
        &'a self,
        target: Arc<dyn Target>,
        plan: &'a ClusterPlan,
    ) -> BoxFuture<'a, Result<Arc<dyn Cluster>, BackendError>>;

    /// Removes everything the run made, also after a start that failed halfway. Safe to call
    /// twice.
    fn teardown(&mut self) -> BoxFuture<'_, Result<(), BackendError>>;
}

/// A running cluster and the fault primitives it offers. Node names are `n1`, `n2`...
pub trait Cluster: Send + Sync {
    /// The cluster as the target's clients see it.
    fn spec(&self) -> Arc<ClusterSpec>;

    /// Waits until every node answers the target's probe; on timeout says which node and why.
    fn wait_healthy<'a>(
        &'a self,
        target: &'a dyn Target,
        deadline: Duration,
    ) -> BoxFuture<'a, Result<Duration, String>>;

    /// Makes faults fast to apply (Docker: a long-lived shell per node). Optional.
    fn prepare_faults(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }

    /// Every node's logs.
    fn logs(&self) -> BoxFuture<'_, Vec<NodeLog>>;

    /// Runs `target`'s hooks for `stage` in the nodes, in order; the first that fails is the
    /// error. A backend that cannot run commands in its nodes (in-process) has no target with
    /// hooks to run: such targets are refused before the run starts.
    fn run_hooks<'a>(
        &'a self,
        target: &'a dyn Target,
        stage: HookStage,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            match target.hooks(&self.spec(), stage).is_empty() {
                true => Ok(()),
                false => Err(format!(
                    "this backend cannot run target {}'s {} hooks",
                    target.name(),
                    stage.name()
                )),
            }
        })
    }

    /// Each node drops the traffic from the nodes its grudge names; nodes not in the grudge drop
    /// nothing. An empty grudge heals every partition.
    fn set_grudge<'a>(&'a self, grudge: &'a Grudge) -> BoxFuture<'a, Result<(), BackendError>>;

    /// `nodes` drop `probability` of the traffic from their peers; every other node none. An
    /// empty list heals.
    fn set_loss<'a>(
        &'a self,
        nodes: &'a [String],
        probability: f64,
    ) -> BoxFuture<'a, Result<(), BackendError>>;

    /// Whether [`Cluster::set_shaping`] can work here; `Err` says why not.
    fn shaping_support(&self) -> BoxFuture<'_, Result<(), String>>;

    /// Fault `layer` (delay, duplicate, reorder) shapes what `nodes` send to their peers as
    /// `shaping` says; an empty list lifts that layer on every node. Layers combine per node
    /// ([`shaping::ShapingLayers`]); clients' traffic is never shaped.
    fn set_shaping<'a>(
        &'a self,
        layer: &'static str,
        nodes: &'a [String],
        shaping: Shaping,
    ) -> BoxFuture<'a, Result<(), BackendError>>;

    /// Stops the nodes' processes abruptly (SIGKILL); a node already down is not an error.
    fn kill<'a>(&'a self, nodes: &'a [String]) -> BoxFuture<'a, Result<(), BackendError>>;

    /// Starts killed nodes again on their data; a running node is not an error.
    fn restart<'a>(&'a self, nodes: &'a [String]) -> BoxFuture<'a, Result<(), BackendError>>;

    /// Freezes the nodes (SIGSTOP).
    fn pause<'a>(&'a self, nodes: &'a [String]) -> BoxFuture<'a, Result<(), BackendError>>;

    fn resume<'a>(&'a self, nodes: &'a [String]) -> BoxFuture<'a, Result<(), BackendError>>;

    /// Sets each named node's wall-clock offset, in seconds (0 is the true time).
    fn set_clock_offsets<'a>(
        &'a self,
        offsets: &'a [(String, f64)],
    ) -> BoxFuture<'a, Result<(), BackendError>>;
}

/// Probes node `index` until it answers or `deadline` (from `started`) passes; `Err` is the last
/// probe's complaint.
pub(crate) async fn probe_until(
    target: &dyn Target,
    spec: &ClusterSpec,
    index: usize,
    started: std::time::Instant,
    deadline: Duration,
) -> Result<(), String> {
    loop {
        let last =
            match tokio::time::timeout(Duration::from_secs(2), target.probe(spec, index)).await {
                Ok(Ok(())) => return Ok(()),
                Ok(Err(e)) => e,
                Err(_) => "probe timed out after 2 s".to_string(),
            };
        if started.elapsed() >= deadline {
            return Err(last);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

//! The in-process backend: the reference nodes run inside the faultline process, each on its own
//! loopback address (`127.a.b.x`, the client port the target names), so the target's clients reach
//! them over TCP exactly as in Docker. Traffic between nodes goes through [`network`], which obeys
//! the same partition (grudge, one-way included) and loss faults as iptables; kill and restart stop
//! a node's tasks and start it again on its data directory; pause freezes its actor (as SIGSTOP
//! would); clock offsets move its wall clock ([`SkewedClock`], as libfaketime does). No Docker, so
//! a whole run takes seconds and runs in `cargo test`. Delay, duplication and reordering act on
//! the relayed messages (the NFQUEUE helper's scheduler, on lines instead of packets).

pub mod network;

use std::collections::{BTreeMap, HashMap};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use faultline_refnode::clock::SkewedClock;
use faultline_refnode::config::{claim_data_dir, Args, Identity};
use faultline_refnode::launch::start_node;
use faultline_refnode::node::{Listeners, RunningNode};
use faultline_targets::{BoxFuture, ClusterSpec, NodeSpec, Target};
use rand::Rng;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::shaping::ShapingLayers;
use super::{
    Backend, BackendError, BackendKind, Cluster, ClusterPlan, Grudge, NodeLog, Provisioned,
};
use crate::results::schema::Versions;
use faultline_netq::Shaping;
use network::Network;

/// The only target whose nodes can run in this process.
const TARGET: &str = "reference";

/// Why the in-process backend cannot run `target` (a built-in target's name, or `spec:PATH`).
pub fn refusal(target: &str) -> Option<String> {
    if let Some(path) = target.strip_prefix(faultline_targets::SPEC_PREFIX) {
        return Some(format!(
            "the in-process backend runs only the built-in reference nodes; the target spec {path} runs its nodes as containers of its image: use --backend docker"
        ));
    }
    (target != TARGET).then(|| {
        format!(
            "the in-process backend runs only the reference nodes (target {TARGET}), which are built into faultline; target {target} needs --backend docker"
        )
    })
}

/// Runs the reference nodes in this process.
#[derive(Default)]
pub struct InProcessBackend {
    /// The run's data directory, set by [`Backend::provision`].
    dir: Option<PathBuf>,
    cluster: Mutex<Option<Arc<InProcessCluster>>>,
}

impl InProcessBackend {
    pub fn new() -> InProcessBackend {
        InProcessBackend::default()
    }

    /// The running cluster, for tests that look inside the simulated network.
    pub fn cluster(&self) -> Option<Arc<InProcessCluster>> {
        self.cluster.lock().ok()?.clone()
    }
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> BackendError {
    let what = what.into();
    move |source| BackendError::Io { what, source }
}

impl Backend for InProcessBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::InProcess
    }

    fn provision<'a>(
        &'a mut self,
        target: &'a dyn Target,
        run_id: &'a str,
    ) -> BoxFuture<'a, Result<Provisioned, BackendError>> {
        Box::pin(async move {
            if let Some(why) = refusal(target.name()) {
                return Err(BackendError::Unsupported(why));
            }
            let dir = std::env::temp_dir().join(format!("faultline-in-process-{run_id}"));
            std::fs::create_dir_all(&dir)
                .map_err(io(format!("cannot create {}", dir.display())))?;
            self.dir = Some(dir);
            Ok(Provisioned {
                versions: Versions::faultline(),
                images: None,
                backend: Some(BackendKind::InProcess.name().to_string()),
                // Delay, duplication and reordering act on relayed messages, not packets.
                packet_shaping: Some("simulated".to_string()),
            })
        })
    }

    fn start<'a>(
        &'a self,
        target: Arc<dyn Target>,
        plan: &'a ClusterPlan,
    ) -> BoxFuture<'a, Result<Arc<dyn Cluster>, BackendError>> {
        Box::pin(async move {
            let dir = self.dir.clone().ok_or_else(|| {
                BackendError::Failed("the in-process backend was not provisioned".into())
            })?;
            let cluster = Arc::new(InProcessCluster::start(target.as_ref(), plan, dir).await?);
            if let Ok(mut slot) = self.cluster.lock() {
                *slot = Some(cluster.clone());
            }
            Ok(cluster as Arc<dyn Cluster>)
        })
    }

    fn teardown(&mut self) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move {
            if let Some(cluster) = self.cluster.lock().ok().and_then(|mut c| c.take()) {
                cluster.shutdown();
            }
            if let Some(dir) = self.dir.take() {
                std::fs::remove_dir_all(&dir)
                    .map_err(io(format!("cannot remove {}", dir.display())))?;
            }
            Ok(())
        })
    }
}

/// One node: its command line, addresses and clock, and the running node when it is up.
struct Node {
    name: String,
    args: Args,
    client_addr: SocketAddr,
    peer_addr: SocketAddr,
    /// Where this node dials each peer: the relay of that link.
    dial: HashMap<String, SocketAddr>,
    clock: Arc<SkewedClock>,
    running: Mutex<Option<RunningNode>>,
    /// What the backend did to the node, saved as its log.
    log: Mutex<String>,
}

impl Node {
    fn note(&self, started: Instant, what: &str) {
        if let Ok(mut log) = self.log.lock() {
            log.push_str(&format!(
                "{:>9.3} s  {} {what}\n",
                started.elapsed().as_secs_f64(),
                self.name
            ));
        }
    }
}

/// A running in-process cluster.
pub struct InProcessCluster {
    spec: Arc<ClusterSpec>,
    members: Vec<String>,
    nodes: Vec<Node>,
    network: Arc<Network>,
    /// The shaping faults in force, combined per node into the network's shaping.
    shaping: Mutex<ShapingLayers>,
    relays: Mutex<Vec<JoinHandle<()>>>,
    started: Instant,
}

/// Binds the client listeners of `count` nodes on a free `127.a.b.0/24` block, at `port`.
async fn bind_clients(count: usize, port: u16) -> Result<Vec<TcpListener>, BackendError> {
    let mut last = None;
    for _ in 0..32 {
        let (a, b) = {
            let mut rng = rand::rng();
            (rng.random_range(1..=254u8), rng.random_range(0..=255u8))
        };
        let mut listeners = Vec::new();
        for i in 0..count {
            let ip = Ipv4Addr::new(127, a, b, 2 + i as u8);
            match TcpListener::bind((ip, port)).await {
                Ok(l) => listeners.push(l),
                Err(e) => {
                    last = Some(e);
                    break;
                }
            }
        }
        if listeners.len() == count {
            return Ok(listeners);
        }
    }
    Err(BackendError::Io {
        what: format!("cannot find free loopback addresses for {count} nodes on port {port}"),
        source: last.unwrap_or_else(|| std::io::Error::other("no attempt")),
    })
}

/// Binds `addr`, retrying while the previous incarnation's socket is still going away.
async fn bind_again(addr: SocketAddr) -> Result<TcpListener, BackendError> {
    let mut last = None;
    for _ in 0..50 {
        match TcpListener::bind(addr).await {
            Ok(l) => return Ok(l),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err(BackendError::Io {
        what: format!("cannot listen on {addr} again"),
        source: last.unwrap_or_else(|| std::io::Error::other("no attempt")),
    })
}

impl InProcessCluster {
    async fn start(
        target: &dyn Target,
        plan: &ClusterPlan,
        dir: PathBuf,
    ) -> Result<InProcessCluster, BackendError> {
        if plan.node_count > 250 {
            return Err(BackendError::Unsupported(
                "the in-process backend runs at most 250 nodes".into(),
            ));
        }
        let clients = bind_clients(plan.node_count, target.client_port()).await?;
        let mut peers = Vec::new();
        let mut nodes_spec = Vec::new();
        for (i, client) in clients.iter().enumerate() {
            let addr = client.local_addr().map_err(io("client address"))?;
            let SocketAddr::V4(v4) = addr else {
                unreachable!("bound on IPv4")
            };
            let peer = TcpListener::bind((*v4.ip(), 0))
                .await
                .map_err(io("peer listener"))?;
            peers.push(peer);
            nodes_spec.push(NodeSpec {
                name: format!("n{}", i + 1),
                ip: *v4.ip(),
            });
        }
        let spec = Arc::new(ClusterSpec {
            nodes: nodes_spec,
            mode: plan.mode.clone(),
            bug: plan.bug.clone(),
            options: plan.options.clone(),
        });
        let members: Vec<String> = spec.nodes.iter().map(|n| n.name.clone()).collect();
        let network = Arc::new(Network::new(plan.seed));

        // One relay per ordered pair: from → to.
        let mut relays = Vec::new();
        let mut dials: Vec<HashMap<String, SocketAddr>> = vec![HashMap::new(); members.len()];
        for (from, dial) in dials.iter_mut().enumerate() {
            for (to, peer) in peers.iter().enumerate() {
                let dest = peer.local_addr().map_err(io("peer address"))?;
                if from == to {
                    dial.insert(members[to].clone(), dest);
                    continue;
                }
                let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                    .await
                    .map_err(io("relay listener"))?;
                dial.insert(
                    members[to].clone(),
                    listener.local_addr().map_err(io("relay address"))?,
                );
                relays.push(tokio::spawn(network::relay(
                    listener,
                    members[from].clone(),
                    members[to].clone(),
                    dest,
                    network.clone(),
                )));
            }
        }

        let mut nodes = Vec::new();
        for (i, ((client, peer), dial)) in clients.into_iter().zip(peers).zip(dials).enumerate() {
            let argv = target.command(&spec, i);
            let mut args = Args::try_parse_from(&argv).map_err(|e| {
                BackendError::Failed(format!("the reference node's command line: {e}"))
            })?;
            args.data_dir = dir.join(&members[i]);
            args.listen = client.local_addr().map_err(io("client address"))?;
            args.peer_listen = peer.local_addr().map_err(io("peer address"))?;
            args.check_quorum(members.len())
                .map_err(|e| BackendError::Failed(e.to_string()))?;
            let node = Node {
                name: members[i].clone(),
                client_addr: args.listen,
                peer_addr: args.peer_listen,
                args,
                dial,
                clock: Arc::new(SkewedClock::default()),
                running: Mutex::new(None),
                log: Mutex::new(String::new()),
            };
            nodes.push(node);
            let cluster_nodes = &nodes;
            launch(&cluster_nodes[i], &members, i, Listeners { client, peer })?;
        }
        let cluster = InProcessCluster {
            spec,
            members,
            nodes,
            network,
            shaping: Mutex::new(ShapingLayers::default()),
            relays: Mutex::new(relays),
            started: Instant::now(),
        };
        for node in &cluster.nodes {
            node.note(cluster.started, "started");
        }
        Ok(cluster)
    }

    fn index(&self, name: &str) -> Result<usize, BackendError> {
        self.members
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| BackendError::UnknownNode(name.to_string()))
    }

    fn each<'a>(&'a self, names: &'a [String]) -> Result<Vec<&'a Node>, BackendError> {
        names
            .iter()
            .map(|n| self.index(n).map(|i| &self.nodes[i]))
            .collect()
    }

    /// The simulated network between the nodes.
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// Node `name`'s wall clock, in ns since the epoch, as the node reads it.
    pub fn wall_clock_nanos(&self, name: &str) -> Option<u64> {
        use faultline_refnode::clock::WallClock;
        Some(self.nodes[self.index(name).ok()?].clock.now_nanos())
    }

    /// Whether node `name` is running (not killed).
    pub fn is_up(&self, name: &str) -> bool {
        self.index(name)
            .ok()
            .and_then(|i| self.nodes[i].running.lock().ok().map(|r| r.is_some()))
            .unwrap_or(false)
    }

    /// Stops every node and relay.
    pub fn shutdown(&self) {
        for node in &self.nodes {
            if let Some(running) = node.running.lock().ok().and_then(|mut r| r.take()) {
                running.kill();
            }
        }
        if let Ok(mut relays) = self.relays.lock() {
            for relay in relays.drain(..) {
                relay.abort();
            }
        }
    }
}

impl Drop for InProcessCluster {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Starts `node` (index `i` of `members`) on `listeners`, on its data directory.
fn launch(
    node: &Node,
    members: &[String],
    i: usize,
    listeners: Listeners,
) -> Result<(), BackendError> {
    let args = &node.args;
    let fail = |e: String| BackendError::Failed(format!("node {}: {e}", node.name));
    let identity = Identity {
        id: args.id.clone(),
        mode: args.mode,
    };
    let fresh = args.fresh().map_err(|e| fail(e.to_string()))?;
    claim_data_dir(&args.data_dir, &identity, fresh).map_err(|e| fail(e.to_string()))?;
    let running = start_node(
        args,
        members.to_vec(),
        &node.dial,
        node.clock.clone(),
        i as u64 + 1,
        listeners,
    )
    .map_err(|e| fail(e.to_string()))?;
    if let Ok(mut slot) = node.running.lock() {
        *slot = Some(running);
    }
    Ok(())
}

impl Cluster for InProcessCluster {
    fn spec(&self) -> Arc<ClusterSpec> {
        self.spec.clone()
    }

    fn wait_healthy<'a>(
        &'a self,
        target: &'a dyn Target,
        deadline: Duration,
    ) -> BoxFuture<'a, Result<Duration, String>> {
        Box::pin(async move {
            let started = Instant::now();
            for (i, node) in self.nodes.iter().enumerate() {
                if let Err(last) =
                    super::probe_until(target, &self.spec, i, started, deadline).await
                {
                    return Err(format!(
                        "node {} ({}) did not become healthy within {:.0} s; last probe: {last}",
                        node.name,
                        node.client_addr,
                        deadline.as_secs_f64()
                    ));
                }
            }
            Ok(started.elapsed())
        })
    }

    fn logs(&self) -> BoxFuture<'_, Vec<NodeLog>> {
        Box::pin(async move {
            self.nodes
                .iter()
                .map(|n| NodeLog {
                    node: n.name.clone(),
                    file: "service.log".into(),
                    text: format!(
                        "in-process reference node {} (clients {}, peers {})\n{}",
                        n.name,
                        n.client_addr,
                        n.peer_addr,
                        n.log.lock().map(|l| l.clone()).unwrap_or_default()
                    ),
                })
                .collect()
        })
    }

    fn set_grudge<'a>(&'a self, grudge: &'a Grudge) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(async move {
            for (node, dropped) in grudge {
                self.index(node)?;
                self.each(dropped)?;
            }
            self.network.set_grudge(grudge);
            Ok(())
        })
    }

    fn set_loss<'a>(
        &'a self,
        nodes: &'a [String],
        probability: f64,
    ) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(async move {
            self.each(nodes)?;
            let loss: BTreeMap<String, f64> =
                nodes.iter().map(|n| (n.clone(), probability)).collect();
            self.network.set_loss(loss);
            Ok(())
        })
    }

    fn shaping_support(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }

    fn set_shaping<'a>(
        &'a self,
        layer: &'static str,
        nodes: &'a [String],
        shaping: Shaping,
    ) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(async move {
            self.each(nodes)?;
            let combined = self
                .shaping
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .set(layer, nodes, shaping);
            self.network.set_shaping(combined);
            Ok(())
        })
    }

    fn kill<'a>(&'a self, nodes: &'a [String]) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(async move {
            for node in self.each(nodes)? {
                let running = node.running.lock().ok().and_then(|mut r| r.take());
                if let Some(running) = running {
                    // Like SIGKILL, the node's sockets are closed when the kill returns.
                    running.kill_and_wait(Duration::from_secs(2)).await;
                    node.note(self.started, "killed");
                }
            }
            Ok(())
        })
    }

    fn restart<'a>(&'a self, nodes: &'a [String]) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(async move {
            for name in nodes {
                let i = self.index(name)?;
                let node = &self.nodes[i];
                if node.running.lock().map(|r| r.is_some()).unwrap_or(true) {
                    continue;
                }
                let listeners = Listeners {
                    client: bind_again(node.client_addr).await?,
                    peer: bind_again(node.peer_addr).await?,
                };
                launch(node, &self.members, i, listeners)?;
                node.note(self.started, "restarted on its data directory");
            }
            Ok(())
        })
    }

    fn pause<'a>(&'a self, nodes: &'a [String]) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(async move {
            for node in self.each(nodes)? {
                if let Some(running) = node.running.lock().ok().as_deref().and_then(Option::as_ref)
                {
                    running.pause(true);
                    node.note(self.started, "paused");
                }
            }
            Ok(())
        })
    }

    fn resume<'a>(&'a self, nodes: &'a [String]) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(async move {
            for node in self.each(nodes)? {
                if let Some(running) = node.running.lock().ok().as_deref().and_then(Option::as_ref)
                {
                    running.pause(false);
                    node.note(self.started, "resumed");
                }
            }
            Ok(())
        })
    }

    fn set_clock_offsets<'a>(
        &'a self,
        offsets: &'a [(String, f64)],
    ) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(async move {
            for (name, secs) in offsets {
                let i = self.index(name)?;
                self.nodes[i].clock.set_offset_secs(*secs);
            }
            Ok(())
        })
    }
}

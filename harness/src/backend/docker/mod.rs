//! The Docker backend: a node is a pair of containers (infra with the IP and the fault rules,
//! service with the store), on a network of the run's own. Partitions and loss are iptables rules in
//! the harness's chains ([`rules`]), kills and pauses act on the service container ([`process`]),
//! clock offsets are libfaketime's timestamp file ([`clock`]), delay, duplication and reordering
//! go through the NFQUEUE helper ([`packet`]; this kernel has no netem).

pub mod clock;
mod node_commands;
pub mod packet;
pub mod probe;
pub mod process;
pub mod rules;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use faultline_netq::Shaping;
use faultline_targets::{BoxFuture, ClusterSpec, HookStage, NodeSpec, Target};
use tokio::sync::Mutex;

use super::shaping::ShapingLayers;
use super::{
    Backend, BackendError, BackendKind, Cluster, ClusterPlan, Grudge, NodeLog, Provisioned,
};
use crate::docker::containers::{ServiceSpec, CLOCK_FILE};
use crate::docker::shell::Shell;
use crate::docker::{CleanupGuard, DockerClient, DockerError, Images, NodeContainers, RunNetwork};
use crate::results::schema::{self, Versions};
use rules::{
    drop_rules, install_script, loss_rules, restore_command, restore_heredoc, restore_script,
    LOSS_CHAIN, PART_CHAIN,
};

/// How long a script in a node's shell may take before the action counts as failed.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs on the local Docker engine.
pub struct DockerBackend {
    docker: DockerClient,
    /// Set by [`Backend::provision`].
    run: Option<(String, Images)>,
    guard: Option<CleanupGuard>,
}

impl DockerBackend {
    /// Connects to the engine and warns about objects of dead runs.
    pub async fn connect() -> Result<DockerBackend, BackendError> {
        let docker = DockerClient::connect().await?;
        report_leftovers(&docker).await;
        Ok(DockerBackend {
            docker,
            run: None,
            guard: None,
        })
    }
}

impl Backend for DockerBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Docker
    }

    fn provision<'a>(
        &'a mut self,
        target: &'a dyn Target,
        run_id: &'a str,
    ) -> BoxFuture<'a, Result<Provisioned, BackendError>> {
        Box::pin(async move {
            let recipe = target
                .image()
                .map_err(|e| BackendError::Failed(e.to_string()))?;
            let images = self.docker.ensure_images(&recipe).await?;
            self.guard = Some(CleanupGuard::new(run_id));
            let provisioned = Provisioned {
                versions: Versions {
                    faultline: env!("CARGO_PKG_VERSION").to_string(),
                    docker_engine: Some(self.docker.engine_version.clone()),
                    docker_api: Some(self.docker.api_version.clone()),
                },
                images: Some(schema::Images {
                    base: images.base.clone(),
                    tools: images.tools.clone(),
                    target: images.target.clone(),
                }),
                backend: None,
                // Which path delay, duplication and reordering take here (netem is absent).
                packet_shaping: Some("nfqueue".to_string()),
            };
            self.run = Some((run_id.to_string(), images));
            Ok(provisioned)
        })
    }

    fn start<'a>(
        &'a self,
        target: Arc<dyn Target>,
        plan: &'a ClusterPlan,
    ) -> BoxFuture<'a, Result<Arc<dyn Cluster>, BackendError>> {
        Box::pin(async move {
            let (run_id, images) = self.run.as_ref().ok_or_else(|| {
                BackendError::Failed("the Docker backend was not provisioned".into())
            })?;
            let cluster = start(&self.docker, run_id, images, target.as_ref(), plan).await?;
            Ok(Arc::new(cluster) as Arc<dyn Cluster>)
        })
    }

    fn teardown(&mut self) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move {
            let Some((run_id, _)) = &self.run else {
                return Ok(());
            };
            self.docker.remove_run(run_id).await?;
            if let Some(guard) = self.guard.as_mut() {
                guard.disarm();
            }
            Ok(())
        })
    }
}

/// A running cluster of container pairs.
pub struct DockerCluster {
    pub docker: DockerClient,
    pub run_id: String,
    pub network: RunNetwork,
    pub nodes: Vec<NodeContainers>,
    pub spec: Arc<ClusterSpec>,
    /// Files inside each service container copied into the run folder with the container logs
    /// (a target spec's `node.logs`).
    pub log_files: Vec<String>,
    /// A long-lived shell per node's infra container (same order as `nodes`); `None` falls back
    /// to one `docker exec` per script.
    shells: Mutex<Vec<Option<Shell>>>,
    /// The shaping layers in force, what each node was last given, and how many helpers were
    /// started (each gets its own seed).
    shaping: Mutex<Shaped>,
}

#[derive(Default)]
struct Shaped {
    /// The helper was copied into every node.
    uploaded: bool,
    layers: ShapingLayers,
    applied: BTreeMap<String, Shaping>,
    started: u64,
}

/// Prepares one node before its service starts: the harness's iptables chains and a zero clock
/// offset. One exec.
pub async fn install(docker: &DockerClient, node: &NodeContainers) -> Result<(), DockerError> {
    let restore = restore_command(&install_script());
    let mut args: Vec<&str> = restore.iter().map(String::as_str).collect();
    let script = format!("printf '+0' > {CLOCK_FILE} && {}", args[2]);
    args[2] = &script;
    docker.exec_ok(&node.infra, &args).await.map(|_| ())
}

/// Starts the network and every node pair; the nodes are created concurrently.
async fn start(
    docker: &DockerClient,
    run_id: &str,
    images: &Images,
    target: &dyn Target,
    plan: &ClusterPlan,
) -> Result<DockerCluster, DockerError> {
    let network = docker.create_run_network(run_id).await?;
    let spec = Arc::new(ClusterSpec {
        nodes: (0..plan.node_count)
            .map(|i| NodeSpec {
                name: format!("n{}", i + 1),
                ip: network.node_ip(i),
            })
            .collect(),
        mode: plan.mode.clone(),
        bug: plan.bug.clone(),
        options: plan.options.clone(),
    });
    let starts = (0..plan.node_count).map(|i| {
        let network = &network;
        let spec = &spec;
        async move {
            let node = docker
                .start_infra(run_id, network, i, &images.tools)
                .await?;
            install(docker, &node).await?;
            let service = ServiceSpec {
                image: images.target.clone(),
                cmd: target.command(spec, i),
                env: target.env(spec, i),
                faketime: plan.clock_faults,
            };
            docker.start_service(run_id, &node, &service).await?;
            Ok::<_, DockerError>(node)
        }
    });
    let nodes = futures_util::future::join_all(starts)
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    let mut cluster = DockerCluster::new(docker.clone(), run_id.to_string(), network, nodes, spec);
    cluster.log_files = target.log_files();
    Ok(cluster)
}

impl DockerCluster {
    /// A cluster of node pairs that already run (the run starts them; tests make their own).
    pub fn new(
        docker: DockerClient,
        run_id: String,
        network: RunNetwork,
        nodes: Vec<NodeContainers>,
        spec: Arc<ClusterSpec>,
    ) -> DockerCluster {
        DockerCluster {
            shells: Mutex::new(nodes.iter().map(|_| None).collect()),
            log_files: Vec::new(),
            shaping: Mutex::new(Shaped::default()),
            docker,
            run_id,
            network,
            nodes,
            spec,
        }
    }

    fn index(&self, name: &str) -> Result<usize, BackendError> {
        self.nodes
            .iter()
            .position(|n| n.node == name)
            .ok_or_else(|| BackendError::UnknownNode(name.to_string()))
    }

    fn nodes_named(&self, names: &[String]) -> Result<Vec<&NodeContainers>, BackendError> {
        names
            .iter()
            .map(|n| self.index(n).map(|i| &self.nodes[i]))
            .collect()
    }

    /// Copies the shaping helper into every node, once.
    async fn upload_helper(&self, shaped: &mut Shaped) -> Result<(), BackendError> {
        if shaped.uploaded {
            return Ok(());
        }
        let path = packet::helper_binary().map_err(BackendError::Unsupported)?;
        let binary = std::fs::read(&path).map_err(|source| BackendError::Io {
            what: format!("reading {}", path.display()),
            source,
        })?;
        let uploads = self
            .nodes
            .iter()
            .map(|n| packet::upload_helper(&self.docker, n, &binary));
        for r in futures_util::future::join_all(uploads).await {
            r?;
        }
        shaped.uploaded = true;
        Ok(())
    }

    /// The same script on every node.
    fn everywhere(&self, script: &str) -> Vec<(usize, String)> {
        (0..self.nodes.len())
            .map(|i| (i, script.to_string()))
            .collect()
    }

    /// Runs each (node index, script) concurrently, through the node's shell when it has one. A
    /// broken shell is dropped and the script retried with `docker exec`.
    async fn run_scripts(&self, scripts: Vec<(usize, String)>) -> Result<(), BackendError> {
        let docker = &self.docker;
        let nodes = &self.nodes;
        let mut shells = self.shells.lock().await;
        let runs = shells.iter_mut().enumerate().filter_map(|(i, shell)| {
            let script = scripts.iter().find(|(j, _)| *j == i)?.1.clone();
            Some(async move {
                if let Some(sh) = shell {
                    match sh.run(&script, SCRIPT_TIMEOUT).await {
                        Ok(_) => return Ok(()),
                        Err(e) if e.to_string().contains("script exited") => {
                            return Err(e.to_string())
                        }
                        Err(_) => *shell = None,
                    }
                }
                docker
                    .exec_ok(&nodes[i].infra, &["sh", "-c", &script])
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
        });
        let errors: Vec<String> = futures_util::future::join_all(runs)
            .await
            .into_iter()
            .filter_map(Result::err)
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(BackendError::Failed(errors.join("; ")))
        }
    }
}

impl Cluster for DockerCluster {
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
                let healthy = match target.health_command(&self.spec, i) {
                    Some(command) => self.health_until(&command, i, started, deadline).await,
                    None => super::probe_until(target, &self.spec, i, started, deadline).await,
                };
                let Err(last) = healthy else {
                    continue;
                };
                let (running, _) = self
                    .docker
                    .state(&node.service)
                    .await
                    .unwrap_or((false, false));
                let logs = self
                    .docker
                    .logs(&node.service, Some(20))
                    .await
                    .unwrap_or_else(|e| format!("(no logs: {e})"));
                return Err(format!(
                    "node {} ({}) did not become healthy within {:.0} s{}; last check: {last}\nlast log lines of {}:\n{}",
                    node.node,
                    node.ip,
                    deadline.as_secs_f64(),
                    if running { "" } else { " (its service container has exited)" },
                    node.service,
                    logs.trim_end()
                ));
            }
            Ok(started.elapsed())
        })
    }

    /// Opens the per-node shells that make actions fast; nodes whose shell cannot be opened use
    /// `docker exec`.
    fn prepare_faults(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let docker = &self.docker;
            let opened = futures_util::future::join_all(
                self.nodes.iter().map(|n| docker.open_shell(&n.infra)),
            )
            .await;
            let mut shells = self.shells.lock().await;
            *shells = opened.into_iter().map(Result::ok).collect();
            // The first script through a fresh exec pays ~60 ms of attach set-up; pay it now, not
            // when the first fault is due.
            let warm = shells
                .iter_mut()
                .flatten()
                .map(|sh| sh.run("true", SCRIPT_TIMEOUT));
            let warmed = futures_util::future::join_all(warm).await;
            for (shell, ok) in shells.iter_mut().filter(|s| s.is_some()).zip(warmed) {
                if ok.is_err() {
                    *shell = None;
                }
            }
        })
    }

    fn run_hooks<'a>(
        &'a self,
        target: &'a dyn Target,
        stage: HookStage,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(self.hooks(target, &self.spec, stage))
    }

    fn logs(&self) -> BoxFuture<'_, Vec<NodeLog>> {
        Box::pin(async move {
            let mut out = Vec::new();
            for (i, node) in self.nodes.iter().enumerate() {
                for (file, text) in self.log_files(i).await {
                    out.push(NodeLog {
                        node: node.node.clone(),
                        file,
                        text,
                    });
                }
                for (container, file) in
                    [(&node.service, "service.log"), (&node.infra, "infra.log")]
                {
                    let text = self
                        .docker
                        .logs(container, None)
                        .await
                        .unwrap_or_else(|e| format!("(could not read logs: {e})\n"));
                    out.push(NodeLog {
                        node: node.node.clone(),
                        file: file.to_string(),
                        text,
                    });
                }
            }
            out
        })
    }

    fn set_grudge<'a>(&'a self, grudge: &'a Grudge) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(async move {
            let mut scripts = Vec::new();
            for (i, node) in self.nodes.iter().enumerate() {
                let sources = match grudge.get(&node.node) {
                    Some(names) => self.nodes_named(names)?,
                    None => Vec::new(),
                };
                let ips: Vec<_> = sources.iter().map(|n| n.ip).collect();
                let lines = restore_script(PART_CHAIN, &drop_rules(&ips));
                scripts.push((i, restore_heredoc(&lines)));
            }
            self.run_scripts(scripts).await
        })
    }

    fn set_loss<'a>(
        &'a self,
        nodes: &'a [String],
        probability: f64,
    ) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(async move {
            if nodes.is_empty() {
                let flush = restore_heredoc(&restore_script(LOSS_CHAIN, &[]));
                return self.run_scripts(self.everywhere(&flush)).await;
            }
            let mut scripts = Vec::new();
            for name in nodes {
                let i = self.index(name)?;
                let peers: Vec<_> = self
                    .nodes
                    .iter()
                    .filter(|p| p.node != *name)
                    .map(|p| p.ip)
                    .collect();
                let lines = restore_script(LOSS_CHAIN, &loss_rules(&peers, probability));
                scripts.push((i, restore_heredoc(&lines)));
            }
            self.run_scripts(scripts).await
        })
    }

    /// Copies the helper into every node and binds the queue in each: checked before the
    /// clients start, so a missing binary or kernel module refuses the run instead of failing it.
    fn shaping_support(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            let mut shaped = self.shaping.lock().await;
            self.upload_helper(&mut shaped)
                .await
                .map_err(|e| e.to_string())?;
            drop(shaped);
            self.run_scripts(self.everywhere(&packet::check_script()))
                .await
                .map_err(|e| {
                    format!("packet shaping needs NFQUEUE (nfnetlink_queue) in the node's namespace: {e}")
                })
        })
    }

    fn set_shaping<'a>(
        &'a self,
        layer: &'static str,
        nodes: &'a [String],
        shaping: Shaping,
    ) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(async move {
            self.nodes_named(nodes)?;
            let mut shaped = self.shaping.lock().await;
            let wanted = shaped.layers.set(layer, nodes, shaping);
            if !wanted.is_empty() {
                self.upload_helper(&mut shaped).await?;
            }
            let mut scripts = Vec::new();
            for (i, node) in self.nodes.iter().enumerate() {
                let want = wanted.get(&node.node);
                if want == shaped.applied.get(&node.node) {
                    continue;
                }
                shaped.started += 1;
                let peers: Vec<_> = self
                    .nodes
                    .iter()
                    .filter(|p| p.node != node.node)
                    .map(|p| p.ip)
                    .collect();
                let seed = shaped.started * 1000 + i as u64;
                scripts.push((i, packet::shaping_script(want, &peers, seed)));
            }
            // Recorded before the scripts run: a half-applied change is healed all the same.
            shaped.applied = wanted;
            self.run_scripts(scripts).await
        })
    }

    fn kill<'a>(&'a self, nodes: &'a [String]) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(async move { Ok(process::kill(&self.docker, &self.nodes_named(nodes)?).await?) })
    }

    fn restart<'a>(&'a self, nodes: &'a [String]) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(
            async move { Ok(process::restart(&self.docker, &self.nodes_named(nodes)?).await?) },
        )
    }

    fn pause<'a>(&'a self, nodes: &'a [String]) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(async move { Ok(process::pause(&self.docker, &self.nodes_named(nodes)?).await?) })
    }

    fn resume<'a>(&'a self, nodes: &'a [String]) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(async move { Ok(process::resume(&self.docker, &self.nodes_named(nodes)?).await?) })
    }

    fn set_clock_offsets<'a>(
        &'a self,
        offsets: &'a [(String, f64)],
    ) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(async move {
            let scripts = offsets
                .iter()
                .map(|(name, secs)| Ok((self.index(name)?, clock::offset_script(*secs))))
                .collect::<Result<Vec<_>, BackendError>>()?;
            self.run_scripts(scripts).await
        })
    }
}

/// Warns about objects of dead runs (the user may `faultline clean`).
async fn report_leftovers(docker: &DockerClient) {
    if let Ok(runs) = docker.run_objects(None).await {
        for (run, objects) in runs.iter().filter(|(_, o)| !o.owner_alive()) {
            eprintln!(
                "faultline: warning: leftovers of dead run {run}: {}; remove them with `faultline clean`",
                objects.summary()
            );
        }
    }
}

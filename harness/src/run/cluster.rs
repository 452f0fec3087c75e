//! Bringing the cluster up and down: the network, a node pair per node (infra first, then the
//! nemesis chains and clock file, then the service), the health wait, logs, and removal.

use std::sync::Arc;
use std::time::{Duration, Instant};

use faultline_targets::{ClusterSpec, HookStage, NodeCommand, NodeSpec, Target};

use crate::docker::containers::ServiceSpec;
use crate::docker::{DockerClient, DockerError, NodeContainers, RunNetwork};
use crate::nemesis::Nemesis;

/// A running cluster.
pub struct Cluster {
    pub docker: DockerClient,
    pub run_id: String,
    pub network: RunNetwork,
    pub nodes: Vec<NodeContainers>,
    pub spec: Arc<ClusterSpec>,
}

/// What the run needs to start the cluster.
pub struct ClusterPlan<'a> {
    pub run_id: &'a str,
    pub node_count: usize,
    pub tools_image: &'a str,
    pub target_image: &'a str,
    pub mode: Option<String>,
    pub bug: Option<String>,
    pub options: std::collections::BTreeMap<String, String>,
    /// Preload libfaketime (clock faults requested).
    pub faketime: bool,
}

/// Starts the network and every node pair; the nodes are created concurrently.
pub async fn start(
    docker: &DockerClient,
    target: &dyn Target,
    plan: &ClusterPlan<'_>,
) -> Result<Cluster, DockerError> {
    let network = docker.create_run_network(plan.run_id).await?;
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
                .start_infra(plan.run_id, network, i, plan.tools_image)
                .await?;
            Nemesis::install(docker, &node).await?;
            let service = ServiceSpec {
                image: plan.target_image.to_string(),
                cmd: target.command(spec, i),
                env: target.env(spec, i),
                faketime: plan.faketime,
            };
            docker.start_service(plan.run_id, &node, &service).await?;
            Ok::<_, DockerError>(node)
        }
    });
    let nodes = futures_util::future::join_all(starts)
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Cluster {
        docker: docker.clone(),
        run_id: plan.run_id.to_string(),
        network,
        nodes,
        spec,
    })
}

impl Cluster {
    /// Waits until every node answers the target's probe; on timeout names the node, its last probe
    /// error and its last log lines.
    pub async fn wait_healthy(
        &self,
        target: &dyn Target,
        deadline: Duration,
    ) -> Result<Duration, String> {
        let started = Instant::now();
        for (i, node) in self.nodes.iter().enumerate() {
            loop {
                let last = match target.health_command(&self.spec, i) {
                    Some(check) => match self.run_in(i, &check).await {
                        Ok(_) => break,
                        Err(e) => e,
                    },
                    None => match tokio::time::timeout(
                        Duration::from_secs(2),
                        target.probe(&self.spec, i),
                    )
                    .await
                    {
                        Ok(Ok(())) => break,
                        Ok(Err(e)) => e,
                        Err(_) => "probe timed out after 2 s".to_string(),
                    },
                };
                if started.elapsed() >= deadline {
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
                        "node {} ({}) did not become healthy within {:.0} s{}; last probe: {last}\nlast log lines of {}:\n{}",
                        node.node,
                        node.ip,
                        deadline.as_secs_f64(),
                        if running { "" } else { " (its service container has exited)" },
                        node.service,
                        logs.trim_end()
                    ));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        Ok(started.elapsed())
    }

    /// Runs `check` in node `index`'s service container; `Ok` with its output when it exits 0
    /// within its timeout, else what happened.
    pub async fn run_in(&self, index: usize, check: &NodeCommand) -> Result<String, String> {
        let argv: Vec<&str> = check.command.iter().map(String::as_str).collect();
        let service = &self.nodes[index].service;
        match tokio::time::timeout(check.timeout, self.docker.exec(service, &argv)).await {
            Ok(Ok(out)) if out.exit_code == 0 => Ok(out.output),
            Ok(Ok(out)) => Err(format!(
                "`{}` exited with {}: {}",
                check.command.join(" "),
                out.exit_code,
                out.output.trim()
            )),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!(
                "`{}` did not finish within {} ms",
                check.command.join(" "),
                check.timeout.as_millis()
            )),
        }
    }

    /// Runs the target's hooks for `stage` in order; the first failing one is the error.
    pub async fn run_hooks(&self, target: &dyn Target, stage: HookStage) -> Result<(), String> {
        for (i, hook) in target.hooks(&self.spec, stage) {
            self.run_in(i, &hook)
                .await
                .map_err(|e| format!("{stage:?} hook on {}: {e}", self.nodes[i].node))?;
        }
        Ok(())
    }

    /// Every node's service and infra logs, and the target's log files, as (node, file name, text).
    pub async fn logs(&self, target: &dyn Target) -> Vec<(String, String, String)> {
        let mut out = Vec::new();
        for node in &self.nodes {
            for path in target.log_files() {
                let name = path.rsplit('/').next().unwrap_or(&path).to_string();
                let text = match self.docker.exec(&node.service, &["cat", &path]).await {
                    Ok(o) => o.output,
                    Err(e) => format!("(could not read {path}: {e})\n"),
                };
                out.push((node.node.clone(), name, text));
            }
            for (container, file) in [(&node.service, "service.log"), (&node.infra, "infra.log")] {
                let text = self
                    .docker
                    .logs(container, None)
                    .await
                    .unwrap_or_else(|e| format!("(could not read logs: {e})\n"));
                out.push((node.node.clone(), file.to_string(), text));
            }
        }
        out
    }
}

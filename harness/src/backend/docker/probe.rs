//! Measuring the packet-shaping faults on real nodes: a two-node cluster whose services only
//! sleep, a UDP echo in one node and `faultline-netq ping` from the other (the helper binary is
//! the probe too, so nothing else has to be in the image). The Docker test and `faultline bench
//! --suite shaping` share it.

use std::collections::BTreeMap;
use std::sync::Arc;

use faultline_netq::ProbeReport;
use faultline_targets::{ClusterSpec, NodeSpec};
use serde_json::Value;

use super::{install, packet, DockerCluster};
use crate::docker::containers::ServiceSpec;
use crate::docker::images::tools_recipe;
use crate::docker::{DockerClient, DockerError, NodeContainers};

/// The echo's UDP port.
pub const ECHO_PORT: u16 = 7999;

/// Starts `count` node pairs of run `run_id` on the tools image (services sleep), with the
/// harness's chains installed and the per-node shells open.
pub async fn start_nodes(
    docker: &DockerClient,
    run_id: &str,
    count: usize,
) -> Result<DockerCluster, DockerError> {
    let base = docker.ensure_base().await?;
    let tools = docker.ensure_recipe(&tools_recipe(), &base).await?;
    let network = docker.create_run_network(run_id).await?;
    let mut nodes = Vec::new();
    for i in 0..count {
        let node = docker.start_infra(run_id, &network, i, &tools).await?;
        install(docker, &node).await?;
        let service = ServiceSpec {
            image: tools.clone(),
            cmd: vec!["sleep".into(), "infinity".into()],
            env: vec![],
            faketime: false,
        };
        docker.start_service(run_id, &node, &service).await?;
        nodes.push(node);
    }
    let spec = Arc::new(ClusterSpec {
        nodes: nodes
            .iter()
            .map(|n| NodeSpec {
                name: n.node.clone(),
                ip: n.ip,
            })
            .collect(),
        mode: None,
        bug: None,
        options: BTreeMap::new(),
    });
    let cluster = DockerCluster::new(docker.clone(), run_id.into(), network, nodes, spec);
    crate::backend::Cluster::prepare_faults(&cluster).await;
    Ok(cluster)
}

/// Starts the UDP echo in `node`'s namespace (the helper must be there: after
/// `Cluster::shaping_support`).
pub async fn start_echo(docker: &DockerClient, node: &NodeContainers) -> Result<(), DockerError> {
    let cmd = format!(
        "setsid -f {} echo --port {ECHO_PORT} >/dev/null 2>&1",
        packet::HELPER
    );
    docker
        .exec_ok(&node.infra, &["sh", "-c", &cmd])
        .await
        .map(|_| ())
}

/// `count` datagrams from `from` to `to`'s echo, `interval_ms` apart (0: a flood).
pub async fn ping(
    docker: &DockerClient,
    from: &NodeContainers,
    to: &NodeContainers,
    count: u64,
    interval_ms: f64,
) -> Result<ProbeReport, DockerError> {
    let target = format!("{}:{ECHO_PORT}", to.ip);
    let (count, interval) = (count.to_string(), interval_ms.to_string());
    let out = docker
        .exec_ok(
            &from.infra,
            &[
                packet::HELPER,
                "ping",
                "--to",
                &target,
                "--count",
                &count,
                "--interval-ms",
                &interval,
                "--linger-ms",
                "600",
            ],
        )
        .await?;
    serde_json::from_str(out.trim())
        .map_err(|e| DockerError::Other(format!("the probe's answer {out:?}: {e}")))
}

/// The counts each helper that ran in `node` printed when it stopped, oldest first (`packets`,
/// `duplicated`, `reordered`, `seconds` from its first packet to its last). A helper that was
/// killed printed none.
pub async fn helper_stats(docker: &DockerClient, node: &NodeContainers) -> Vec<Value> {
    let logs = docker.logs(&node.infra, None).await.unwrap_or_default();
    logs.lines()
        .filter_map(|l| l.split_once("faultline-netq: stats "))
        .filter_map(|(_, json)| serde_json::from_str(json).ok())
        .collect()
}

//! Process faults: SIGKILL and restart of the service container, and pause/resume through the cgroup
//! freezer. The infra container is never touched, so the node keeps its IP and fault rules.

use crate::docker::{DockerClient, DockerError, NodeContainers};

/// SIGKILLs the services of `nodes`; a service already down is not an error.
pub async fn kill(docker: &DockerClient, nodes: &[&NodeContainers]) -> Result<(), DockerError> {
    let results =
        futures_util::future::join_all(nodes.iter().map(|n| docker.kill(&n.service))).await;
    tolerate(results, &["is not running"])
}

/// Starts the services of `nodes` again; one already running is not an error.
pub async fn restart(docker: &DockerClient, nodes: &[&NodeContainers]) -> Result<(), DockerError> {
    let results =
        futures_util::future::join_all(nodes.iter().map(|n| docker.start(&n.service))).await;
    tolerate(results, &["already started", "304"])
}

pub async fn pause(docker: &DockerClient, nodes: &[&NodeContainers]) -> Result<(), DockerError> {
    let results =
        futures_util::future::join_all(nodes.iter().map(|n| docker.pause(&n.service))).await;
    tolerate(results, &["is already paused", "is not running"])
}

pub async fn resume(docker: &DockerClient, nodes: &[&NodeContainers]) -> Result<(), DockerError> {
    let results =
        futures_util::future::join_all(nodes.iter().map(|n| docker.unpause(&n.service))).await;
    tolerate(results, &["is not paused", "is not running"])
}

/// The first error whose message is not one of the harmless `benign` ones.
fn tolerate(results: Vec<Result<(), DockerError>>, benign: &[&str]) -> Result<(), DockerError> {
    for r in results {
        if let Err(e) = r {
            let msg = format!("{e:?}");
            if !benign.iter().any(|b| msg.contains(b)) {
                return Err(e);
            }
        }
    }
    Ok(())
}

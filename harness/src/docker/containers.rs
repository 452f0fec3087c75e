//! A node is a pair of containers (DESIGN.md section 5): an infra container that owns the network
//! namespace, the static IP and the fault rules, and the service container that joins it with
//! `network_mode: container:<infra>`. Killing and restarting the service keeps its address and the
//! rules. A per-node volume, mounted in both at `/faultline`, holds the libfaketime timestamp file,
//! which the nemesis rewrites through the always-running infra container.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use bollard::models::{
    ContainerCreateBody, EndpointIpamConfig, EndpointSettings, HostConfig, NetworkingConfig,
    VolumeCreateRequest,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, KillContainerOptionsBuilder, LogsOptionsBuilder,
    StartContainerOptions,
};
use futures_util::StreamExt;

use super::client::{run_labels, DockerClient, DockerError};
use super::network::RunNetwork;

/// Where the per-node volume is mounted in both containers.
pub const SHARED_DIR: &str = "/faultline";
/// The libfaketime timestamp file (an offset such as `+2.5` seconds).
pub const CLOCK_FILE: &str = "/faultline/clock";
/// Debian's libfaketime, installed by the tools layer.
pub const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

/// The Docker objects of one node.
#[derive(Clone, Debug)]
pub struct NodeContainers {
    /// `n1`, `n2`...
    pub node: String,
    pub ip: Ipv4Addr,
    pub infra: String,
    pub service: String,
    pub volume: String,
}

/// What the service container runs.
#[derive(Clone, Debug)]
pub struct ServiceSpec {
    pub image: String,
    pub cmd: Vec<String>,
    pub env: Vec<String>,
    /// Preload libfaketime reading [`CLOCK_FILE`], for the clock nemesis.
    pub faketime: bool,
}

/// The environment that makes libfaketime follow the timestamp file on every call while leaving the
/// monotonic clock alone (timeouts and elections keep working; only wall-clock time is skewed).
pub fn faketime_env() -> Vec<String> {
    vec![
        format!("LD_PRELOAD={LIBFAKETIME}"),
        format!("FAKETIME_TIMESTAMP_FILE={CLOCK_FILE}"),
        "FAKETIME_NO_CACHE=1".into(),
        "FAKETIME_DONT_FAKE_MONOTONIC=1".into(),
    ]
}

impl DockerClient {
    /// Creates and starts node `index`'s infra container (NET_ADMIN, never SYS_TIME) and its volume.
    pub async fn start_infra(
        &self,
        run_id: &str,
        network: &RunNetwork,
        index: usize,
        tools_image: &str,
    ) -> Result<NodeContainers, DockerError> {
        let node = format!("n{}", index + 1);
        let ip = network.node_ip(index);
        let infra = format!("faultline-{run_id}-{node}-infra");
        let service = format!("faultline-{run_id}-{node}");
        let volume = format!("faultline-{run_id}-{node}");
        self.docker
            .create_volume(VolumeCreateRequest {
                name: Some(volume.clone()),
                labels: Some(run_labels(run_id, "volume", Some(&node))),
                ..Default::default()
            })
            .await
            .map_err(DockerError::api(format!("creating volume {volume}")))?;
        let body = ContainerCreateBody {
            image: Some(tools_image.to_string()),
            cmd: Some(vec!["sleep".into(), "infinity".into()]),
            hostname: Some(node.clone()),
            labels: Some(run_labels(run_id, "infra", Some(&node))),
            host_config: Some(HostConfig {
                cap_add: Some(vec!["NET_ADMIN".into()]),
                network_mode: Some(network.name.clone()),
                binds: Some(vec![format!("{volume}:{SHARED_DIR}")]),
                init: Some(true),
                ..Default::default()
            }),
            networking_config: Some(NetworkingConfig {
                endpoints_config: Some(HashMap::from([(
                    network.name.clone(),
                    EndpointSettings {
                        ipam_config: Some(EndpointIpamConfig {
                            ipv4_address: Some(ip.to_string()),
                            ..Default::default()
                        }),
                        ..Default::default()
                    },
                )])),
            }),
            ..Default::default()
        };
        self.create_and_start(&infra, body).await?;
        Ok(NodeContainers {
            node,
            ip,
            infra,
            service,
            volume,
        })
    }

    /// Creates and starts the service container inside `node`'s infra namespace.
    pub async fn start_service(
        &self,
        run_id: &str,
        node: &NodeContainers,
        spec: &ServiceSpec,
    ) -> Result<(), DockerError> {
        let mut env = spec.env.clone();
        if spec.faketime {
            env.extend(faketime_env());
        }
        let body = ContainerCreateBody {
            image: Some(spec.image.clone()),
            cmd: Some(spec.cmd.clone()),
            env: Some(env),
            labels: Some(run_labels(run_id, "service", Some(&node.node))),
            host_config: Some(HostConfig {
                network_mode: Some(format!("container:{}", node.infra)),
                binds: Some(vec![format!("{}:{SHARED_DIR}", node.volume)]),
                ..Default::default()
            }),
            ..Default::default()
        };
        self.create_and_start(&node.service, body).await
    }

    async fn create_and_start(
        &self,
        name: &str,
        body: ContainerCreateBody,
    ) -> Result<(), DockerError> {
        self.docker
            .create_container(
                Some(CreateContainerOptionsBuilder::new().name(name).build()),
                body,
            )
            .await
            .map_err(DockerError::api(format!("creating container {name}")))?;
        self.start(name).await
    }

    pub async fn start(&self, name: &str) -> Result<(), DockerError> {
        self.docker
            .start_container(name, None::<StartContainerOptions>)
            .await
            .map_err(DockerError::api(format!("starting container {name}")))
    }

    /// SIGKILL: the process gets no chance to flush or say goodbye.
    pub async fn kill(&self, name: &str) -> Result<(), DockerError> {
        self.docker
            .kill_container(
                name,
                Some(KillContainerOptionsBuilder::new().signal("SIGKILL").build()),
            )
            .await
            .map_err(DockerError::api(format!("killing container {name}")))
    }

    /// Freezes every process of the container (cgroup freezer).
    pub async fn pause(&self, name: &str) -> Result<(), DockerError> {
        self.docker
            .pause_container(name)
            .await
            .map_err(DockerError::api(format!("pausing container {name}")))
    }

    pub async fn unpause(&self, name: &str) -> Result<(), DockerError> {
        self.docker
            .unpause_container(name)
            .await
            .map_err(DockerError::api(format!("resuming container {name}")))
    }

    /// Whether the container is running, and whether it is paused.
    pub async fn state(&self, name: &str) -> Result<(bool, bool), DockerError> {
        let info = self
            .docker
            .inspect_container(name, None)
            .await
            .map_err(DockerError::api(format!("inspecting container {name}")))?;
        let state = info.state.unwrap_or_default();
        Ok((
            state.running.unwrap_or(false),
            state.paused.unwrap_or(false),
        ))
    }

    /// The container's output (stdout and stderr interleaved); `tail` limits it to the last lines.
    pub async fn logs(&self, name: &str, tail: Option<usize>) -> Result<String, DockerError> {
        let tail = tail.map(|n| n.to_string()).unwrap_or_else(|| "all".into());
        let opts = LogsOptionsBuilder::new()
            .stdout(true)
            .stderr(true)
            .tail(&tail)
            .build();
        let mut stream = self.docker.logs(name, Some(opts));
        let mut out = String::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(DockerError::api(format!("reading logs of {name}")))?;
            out.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
        }
        Ok(out)
    }
}

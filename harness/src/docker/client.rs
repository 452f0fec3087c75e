//! The connection to the Docker engine, and the few primitives every other Docker module shares:
//! the label scheme and `docker exec`.
//!
//! The engine on our machines speaks API 1.41 (Docker 20.10), older than bollard's default, so the
//! client negotiates the version down before the first real request.

use std::collections::HashMap;
use std::time::Duration;

use bollard::exec::{CreateExecOptions, StartExecResults};
use bollard::Docker;
use futures_util::StreamExt;
use thiserror::Error;

/// Every object a run creates carries `faultline.run=<run-id>`; `faultline clean` and the CI's
/// before-stop hook find leftovers by this label.
pub const RUN_LABEL: &str = "faultline.run";
/// The controller's process id, so `faultline clean` can tell a live run from a dead one.
pub const PID_LABEL: &str = "faultline.pid";
/// `infra`, `service`, `network` or `volume`: what the object is for.
pub const ROLE_LABEL: &str = "faultline.role";
/// The node name (`n1`...) on per-node objects.
pub const NODE_LABEL: &str = "faultline.node";

/// Something the Docker engine refused or could not do. Says what we were doing.
#[derive(Debug, Error)]
pub enum DockerError {
    #[error("cannot reach the Docker engine ({0}); is Docker installed and running, and may this user use /var/run/docker.sock?")]
    Unreachable(String),
    #[error("{what}: {source}")]
    Api {
        what: String,
        #[source]
        source: bollard::errors::Error,
    },
    #[error("{0}")]
    Other(String),
}

impl DockerError {
    pub fn api(what: impl Into<String>) -> impl FnOnce(bollard::errors::Error) -> DockerError {
        let what = what.into();
        move |source| DockerError::Api { what, source }
    }

    /// True when the engine said the object does not exist (HTTP 404).
    pub fn is_not_found(&self) -> bool {
        matches!(self, DockerError::Api { source, .. } if not_found(source))
    }
}

/// True when the engine answered 404: the object does not exist (or is already gone, which is
/// what removal wants).
pub fn not_found(e: &bollard::errors::Error) -> bool {
    matches!(
        e,
        bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}

/// A handle on the engine. Cheap to clone (bollard shares the connection pool).
#[derive(Clone, Debug)]
pub struct DockerClient {
    pub docker: Docker,
    /// The API version agreed with the engine, e.g. `1.41`.
    pub api_version: String,
    /// The engine's version, e.g. `20.10.24+dfsg1`.
    pub engine_version: String,
}

/// What one `docker exec` printed and how it ended.
#[derive(Clone, Debug)]
pub struct ExecOutput {
    pub exit_code: i64,
    pub output: String,
}

impl DockerClient {
    /// Connects to the local engine (DOCKER_HOST or the unix socket) and negotiates the API version.
    pub async fn connect() -> Result<DockerClient, DockerError> {
        let docker = Docker::connect_with_local_defaults()
            .map_err(|e| DockerError::Unreachable(e.to_string()))?
            // Image builds stream for minutes; the per-request timeout must not cut them.
            .with_timeout(Duration::from_secs(1800));
        let docker = docker
            .negotiate_version()
            .await
            .map_err(|e| DockerError::Unreachable(e.to_string()))?;
        let version = docker
            .version()
            .await
            .map_err(|e| DockerError::Unreachable(e.to_string()))?;
        Ok(DockerClient {
            api_version: docker.client_version().to_string(),
            engine_version: version.version.unwrap_or_else(|| "unknown".into()),
            docker,
        })
    }

    /// Runs `cmd` in a running container and waits for it; one round trip costs 70–100 ms on our
    /// machines, so callers batch (a shell script, `iptables-restore`) rather than loop.
    pub async fn exec(&self, container: &str, cmd: &[&str]) -> Result<ExecOutput, DockerError> {
        let what = || format!("docker exec in {container}: {}", cmd.join(" "));
        let created = self
            .docker
            .create_exec(
                container,
                CreateExecOptions {
                    cmd: Some(cmd.iter().map(|s| s.to_string()).collect()),
                    attach_stdout: Some(true),
                    attach_stderr: Some(true),
                    ..Default::default()
                },
            )
            .await
            .map_err(DockerError::api(what()))?;
        let mut output = String::new();
        if let StartExecResults::Attached {
            output: mut stream, ..
        } = self
            .docker
            .start_exec(&created.id, None)
            .await
            .map_err(DockerError::api(what()))?
        {
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(DockerError::api(what()))?;
                output.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
            }
        }
        let inspect = self
            .docker
            .inspect_exec(&created.id)
            .await
            .map_err(DockerError::api(what()))?;
        Ok(ExecOutput {
            exit_code: inspect.exit_code.unwrap_or(-1),
            output,
        })
    }

    /// Like [`DockerClient::exec`], but a non-zero exit is an error carrying the output.
    pub async fn exec_ok(&self, container: &str, cmd: &[&str]) -> Result<String, DockerError> {
        let out = self.exec(container, cmd).await?;
        if out.exit_code != 0 {
            return Err(DockerError::Other(format!(
                "`{}` in {container} exited with {}: {}",
                cmd.join(" "),
                out.exit_code,
                out.output.trim()
            )));
        }
        Ok(out.output)
    }
}

/// The labels of an object made by run `run_id`.
pub fn run_labels(run_id: &str, role: &str, node: Option<&str>) -> HashMap<String, String> {
    let mut labels = HashMap::from([
        (RUN_LABEL.to_string(), run_id.to_string()),
        (PID_LABEL.to_string(), std::process::id().to_string()),
        (ROLE_LABEL.to_string(), role.to_string()),
    ]);
    if let Some(node) = node {
        labels.insert(NODE_LABEL.to_string(), node.to_string());
    }
    labels
}

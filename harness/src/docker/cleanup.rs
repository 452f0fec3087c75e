//! Finding and removing what runs left behind. Every object carries `faultline.run=<id>` and the
//! controller's pid, so a run is "dead" when no `faultline` process with that pid is alive here.

use std::collections::{BTreeMap, HashMap};

use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListNetworksOptionsBuilder, ListVolumesOptionsBuilder,
    RemoveContainerOptionsBuilder, RemoveVolumeOptionsBuilder,
};

use super::client::{not_found, DockerClient, DockerError, PID_LABEL, ROLE_LABEL, RUN_LABEL};

/// The Docker objects of one run.
#[derive(Clone, Debug, Default)]
pub struct RunObjects {
    pub pid: Option<u32>,
    /// (name, role) of each container.
    pub containers: Vec<(String, String)>,
    pub networks: Vec<String>,
    pub volumes: Vec<String>,
}

impl RunObjects {
    pub fn is_empty(&self) -> bool {
        self.containers.is_empty() && self.networks.is_empty() && self.volumes.is_empty()
    }

    /// True when the controller that made these is still running on this machine.
    pub fn owner_alive(&self) -> bool {
        self.pid.is_some_and(pid_is_faultline)
    }

    pub fn summary(&self) -> String {
        format!(
            "{} containers, {} networks, {} volumes",
            self.containers.len(),
            self.networks.len(),
            self.volumes.len()
        )
    }
}

/// Whether `pid` is a live process whose name starts with `faultline` (pids get reused).
fn pid_is_faultline(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|comm| comm.trim().starts_with("faultline"))
        .unwrap_or(false)
}

fn label_filter(run_id: Option<&str>) -> HashMap<String, Vec<String>> {
    let value = match run_id {
        Some(id) => format!("{RUN_LABEL}={id}"),
        None => RUN_LABEL.to_string(),
    };
    HashMap::from([("label".to_string(), vec![value])])
}

impl DockerClient {
    /// Every labelled object, grouped by run id (or only `run_id`'s).
    pub async fn run_objects(
        &self,
        run_id: Option<&str>,
    ) -> Result<BTreeMap<String, RunObjects>, DockerError> {
        let filters = label_filter(run_id);
        let mut runs: BTreeMap<String, RunObjects> = BTreeMap::new();
        let containers = self
            .docker
            .list_containers(Some(
                ListContainersOptionsBuilder::new()
                    .all(true)
                    .filters(&filters)
                    .build(),
            ))
            .await
            .map_err(DockerError::api("listing containers"))?;
        for c in containers {
            let labels = c.labels.unwrap_or_default();
            let Some(run) = labels.get(RUN_LABEL) else {
                continue;
            };
            let entry = runs.entry(run.clone()).or_default();
            entry.pid = entry
                .pid
                .or(labels.get(PID_LABEL).and_then(|p| p.parse().ok()));
            let name = c
                .names
                .and_then(|n| n.into_iter().next())
                .map(|n| n.trim_start_matches('/').to_string())
                .or(c.id)
                .unwrap_or_default();
            let role = labels.get(ROLE_LABEL).cloned().unwrap_or_default();
            entry.containers.push((name, role));
        }
        let networks = self
            .docker
            .list_networks(Some(
                ListNetworksOptionsBuilder::new().filters(&filters).build(),
            ))
            .await
            .map_err(DockerError::api("listing networks"))?;
        for n in networks {
            let labels = n.labels.unwrap_or_default();
            let Some(run) = labels.get(RUN_LABEL) else {
                continue;
            };
            let entry = runs.entry(run.clone()).or_default();
            entry.pid = entry
                .pid
                .or(labels.get(PID_LABEL).and_then(|p| p.parse().ok()));
            entry.networks.extend(n.name.or(n.id));
        }
        let volumes = self
            .docker
            .list_volumes(Some(
                ListVolumesOptionsBuilder::new().filters(&filters).build(),
            ))
            .await
            .map_err(DockerError::api("listing volumes"))?;
        for v in volumes.volumes.unwrap_or_default() {
            let Some(run) = v.labels.get(RUN_LABEL) else {
                continue;
            };
            let entry = runs.entry(run.clone()).or_default();
            entry.pid = entry
                .pid
                .or(v.labels.get(PID_LABEL).and_then(|p| p.parse().ok()));
            entry.volumes.push(v.name);
        }
        Ok(runs)
    }

    /// Removes every object of `run_id`: services first (they live in the infra namespaces), then
    /// infra containers, volumes and the network. Keeps going past errors and reports them all.
    pub async fn remove_run(&self, run_id: &str) -> Result<RunObjects, DockerError> {
        let objects = self
            .run_objects(Some(run_id))
            .await?
            .remove(run_id)
            .unwrap_or_default();
        let mut errors = Vec::new();
        let mut containers = objects.containers.clone();
        containers.sort_by_key(|(_, role)| role == "infra");
        for (name, _) in &containers {
            let opts = RemoveContainerOptionsBuilder::new()
                .force(true)
                .v(true)
                .build();
            if let Err(e) = self.docker.remove_container(name, Some(opts)).await {
                if !not_found(&e) {
                    errors.push(format!("container {name}: {e}"));
                }
            }
        }
        for name in &objects.volumes {
            let opts = RemoveVolumeOptionsBuilder::new().force(true).build();
            if let Err(e) = self.docker.remove_volume(name, Some(opts)).await {
                if !not_found(&e) {
                    errors.push(format!("volume {name}: {e}"));
                }
            }
        }
        for name in &objects.networks {
            if let Err(e) = self.docker.remove_network(name).await {
                if !not_found(&e) {
                    errors.push(format!("network {name}: {e}"));
                }
            }
        }
        if errors.is_empty() {
            Ok(objects)
        } else {
            Err(DockerError::Other(format!(
                "could not remove everything of run {run_id}: {}",
                errors.join("; ")
            )))
        }
    }
}

/// Removes run `run_id`'s objects from a fresh thread and runtime: usable from `Drop` and panic
/// paths where the caller's runtime cannot be awaited.
pub fn remove_run_blocking(run_id: &str) -> Result<(), String> {
    let run_id = run_id.to_string();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        rt.block_on(async {
            let docker = DockerClient::connect().await.map_err(|e| e.to_string())?;
            docker
                .remove_run(&run_id)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    })
    .join()
    .map_err(|_| "cleanup thread panicked".to_string())?
}

/// Removes the run's objects when dropped, unless [`CleanupGuard::disarm`] was called after an
/// orderly teardown. The last line of defence against panics.
pub struct CleanupGuard {
    run_id: String,
    armed: bool,
}

impl CleanupGuard {
    pub fn new(run_id: &str) -> CleanupGuard {
        CleanupGuard {
            run_id: run_id.to_string(),
            armed: true,
        }
    }

    pub fn disarm(&mut self) {
        self.armed = false;
    }
}

impl Drop for CleanupGuard {
    fn drop(&mut self) {
        if self.armed {
            if let Err(e) = remove_run_blocking(&self.run_id) {
                eprintln!(
                    "faultline: cleanup of run {} failed: {e}; run `faultline clean`",
                    self.run_id
                );
            }
        }
    }
}

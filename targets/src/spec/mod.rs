//! A target described by a TOML file instead of Rust (DESIGN.md section 7): the image, each node's
//! command line, its data directory and logs, a health command, hooks, what it supports, and a
//! client adapter in any language (`crate::adapter`). `faultline run --target-spec FILE.toml`.
//!
//! The harness applies every fault the same way it does for built-in targets (iptables in the
//! node's network namespace, kill/restart and pause of the service container, libfaketime), so a
//! spec target gets all of them; clock skew is refused unless the spec says libfaketime works for
//! its program (`supports.clock_skew`).

pub mod error;
pub mod file;
pub mod image;
pub mod load;
pub mod template;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::adapter::wire::{Hello, NodeAddress, PROTOCOL_VERSION};
use crate::adapter::{AdapterClient, AdapterCommand, AdapterPool};
use crate::target::{
    BoxFuture, Client, ClusterSpec, HookStage, ImageRecipe, NodeCommand, Target, TargetError,
};
pub use error::SpecError;
use file::{Hook, SpecFile};

/// A target read from a spec file.
pub struct SpecTarget {
    /// The spec file, as given.
    pub path: PathBuf,
    /// Its folder: relative paths in the spec start here, and the adapter runs here.
    dir: PathBuf,
    spec: SpecFile,
    /// Made at the first client, when the cluster's addresses are known.
    pool: Mutex<Option<Arc<AdapterPool>>>,
}

impl std::fmt::Debug for SpecTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpecTarget")
            .field("path", &self.path)
            .finish()
    }
}

impl SpecTarget {
    /// Reads and checks the spec at `path`.
    pub fn load(path: &Path) -> Result<SpecTarget, SpecError> {
        let text = std::fs::read_to_string(path).map_err(|source| SpecError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let spec = load::parse(path, &text)?;
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        Ok(SpecTarget {
            path: path.to_path_buf(),
            dir,
            spec,
            pool: Mutex::new(None),
        })
    }

    fn vars(
        &self,
        cluster: &ClusterSpec,
        index: usize,
    ) -> std::collections::BTreeMap<&'static str, String> {
        template::node_vars(
            cluster,
            index,
            self.spec.node.port,
            &self.spec.node.data_dir,
        )
    }

    fn render(&self, cluster: &ClusterSpec, index: usize, args: &[String]) -> Vec<String> {
        let vars = self.vars(cluster, index);
        args.iter().map(|a| template::render(a, &vars)).collect()
    }

    /// The adapter command with a relative program path resolved against the spec's folder.
    fn adapter_command(&self) -> AdapterCommand {
        let mut argv = self.spec.adapter.command.get_ref().clone();
        if argv[0].contains('/') && Path::new(&argv[0]).is_relative() {
            argv[0] = self.dir.join(&argv[0]).display().to_string();
        }
        AdapterCommand {
            argv,
            env: self.spec.adapter.env.clone(),
            cwd: self.dir.clone(),
            hello_timeout: Duration::from_millis(self.spec.adapter.hello_timeout_ms),
        }
    }

    fn pool(&self, cluster: &ClusterSpec, workload: &str) -> Arc<AdapterPool> {
        let mut slot = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        slot.get_or_insert_with(|| {
            let hello = Hello {
                id: 0,
                f: "hello".into(),
                protocol: PROTOCOL_VERSION,
                adapter: 0,
                workload: workload.to_string(),
                nodes: cluster
                    .nodes
                    .iter()
                    .map(|n| NodeAddress {
                        name: n.name.clone(),
                        ip: n.ip.to_string(),
                        port: self.spec.node.port,
                    })
                    .collect(),
            };
            AdapterPool::new(self.adapter_command(), hello)
        })
        .clone()
    }

    fn hook_nodes(hook: &Hook, nodes: usize) -> Vec<usize> {
        match hook.on.get_ref().as_str() {
            "first" => vec![0],
            "all" => (0..nodes).collect(),
            "others" => (1..nodes).collect(),
            name => name
                .strip_prefix('n')
                .and_then(|d| d.parse::<usize>().ok())
                .filter(|n| (1..=nodes).contains(n))
                .map(|n| vec![n - 1])
                .unwrap_or_default(),
        }
    }
}

impl Target for SpecTarget {
    fn name(&self) -> &str {
        self.spec.name.get_ref()
    }

    fn default_nodes(&self) -> usize {
        let s = &self.spec.supports;
        s.default_nodes.unwrap_or_else(|| {
            s.max_nodes
                .map_or(3, |m| m.min(3))
                .max(s.min_nodes.unwrap_or(1))
        })
    }

    fn max_nodes(&self) -> Option<(usize, &str)> {
        self.spec
            .supports
            .max_nodes
            .map(|m| (m, "the target spec's supports.max_nodes"))
    }

    fn min_nodes(&self) -> Option<(usize, &str)> {
        // A hook aimed at node nK needs K nodes: without them it would run nowhere, unseen.
        let hooked = self
            .spec
            .hooks
            .after_start
            .iter()
            .chain(&self.spec.hooks.before_final_reads)
            .filter_map(|h| h.on.get_ref().strip_prefix('n')?.parse::<usize>().ok())
            .max();
        let declared = self.spec.supports.min_nodes;
        match (declared, hooked) {
            (_, Some(h)) if h > declared.unwrap_or(1) => {
                Some((h, "a hook of the target spec runs on that node"))
            }
            (Some(m), _) => Some((m, "the target spec's supports.min_nodes")),
            (None, _) => None,
        }
    }

    fn workloads(&self) -> Option<Vec<&str>> {
        self.spec
            .supports
            .workloads
            .as_ref()
            .map(|w| w.get_ref().iter().map(String::as_str).collect())
    }

    fn image(&self) -> Result<ImageRecipe, TargetError> {
        image::recipe(self.spec.image.get_ref(), &self.dir, self.name()).map_err(|e| {
            TargetError::Setup(format!("target spec {}: image: {e}", self.path.display()))
        })
    }

    fn command(&self, cluster: &ClusterSpec, index: usize) -> Vec<String> {
        self.render(cluster, index, self.spec.node.command.get_ref())
    }

    fn env(&self, cluster: &ClusterSpec, index: usize) -> Vec<String> {
        let vars = self.vars(cluster, index);
        self.spec
            .node
            .env
            .as_ref()
            .map(|env| {
                env.get_ref()
                    .iter()
                    .map(|(k, v)| format!("{k}={}", template::render(v, &vars)))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn inapplicable_checkers(&self, _cluster: &ClusterSpec) -> Vec<(String, String)> {
        self.spec
            .supports
            .skip_checkers
            .iter()
            .map(|(c, why)| (c.clone(), why.clone()))
            .collect()
    }

    fn client_port(&self) -> u16 {
        self.spec.node.port
    }

    fn clock_skew_support(&self) -> Result<(), TargetError> {
        let s = &self.spec.supports;
        if s.clock_skew {
            return Ok(());
        }
        Err(TargetError::Unsupported(s.clock_skew_reason.clone().unwrap_or_else(|| {
            format!(
                "the target spec {} does not declare supports.clock_skew = true (libfaketime skews only dynamically linked libc programs, on an image that has libfaketime — a recipe image does)",
                self.path.display()
            )
        })))
    }

    fn health_command(&self, cluster: &ClusterSpec, index: usize) -> Option<NodeCommand> {
        Some(NodeCommand {
            command: self.render(cluster, index, self.spec.health.command.get_ref()),
            timeout: Duration::from_millis(self.spec.health.timeout_ms),
        })
    }

    fn hooks(&self, cluster: &ClusterSpec, stage: HookStage) -> Vec<(usize, NodeCommand)> {
        let hooks = match stage {
            HookStage::AfterStart => &self.spec.hooks.after_start,
            HookStage::BeforeFinalReads => &self.spec.hooks.before_final_reads,
        };
        let mut out = Vec::new();
        for hook in hooks {
            for i in Self::hook_nodes(hook, cluster.nodes.len()) {
                out.push((
                    i,
                    NodeCommand {
                        command: self.render(cluster, i, hook.command.get_ref()),
                        timeout: Duration::from_millis(hook.timeout_ms),
                    },
                ));
            }
        }
        out
    }

    fn log_files(&self) -> Vec<String> {
        self.spec.node.logs.clone()
    }

    fn run_summary(&self) -> Option<crate::adapter::AdapterSummary> {
        let slot = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        slot.as_ref().map(|p| p.summary())
    }

    fn prepare_clients<'a>(
        &'a self,
        cluster: &'a ClusterSpec,
        workload: &'a str,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let pool = self.pool(cluster, workload);
            let adapter = pool.checkout().await.map_err(|e| e.to_string())?;
            pool.give_back(adapter);
            Ok(())
        })
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        let pool = self.pool.lock().unwrap_or_else(|p| p.into_inner()).clone();
        Box::pin(async move {
            if let Some(p) = pool {
                p.shutdown();
            }
        })
    }

    fn probe<'a>(
        &'a self,
        _cluster: &'a ClusterSpec,
        _index: usize,
    ) -> BoxFuture<'a, Result<(), String>> {
        // The harness runs health.command instead (health_command is always Some).
        Box::pin(async { Err("a spec target is probed with its health.command".to_string()) })
    }

    fn client<'a>(
        &'a self,
        cluster: &'a ClusterSpec,
        workload: &'a str,
        index: usize,
    ) -> BoxFuture<'a, Result<Box<dyn Client>, String>> {
        Box::pin(async move {
            let pool = self.pool(cluster, workload);
            let adapter = pool.checkout().await.map_err(|e| e.to_string())?;
            let node = cluster
                .nodes
                .get(index)
                .map(|n| n.name.clone())
                .unwrap_or_default();
            Ok(Box::new(AdapterClient::new(pool, adapter, node)) as Box<dyn Client>)
        })
    }
}

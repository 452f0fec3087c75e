//! Commands a target runs inside its nodes' service containers (`docker exec`): a health command
//! in place of the probe, hooks at points of the run, and log files copied out at teardown. A
//! target spec uses all three; built-in targets use none (they probe over the network).

use std::time::{Duration, Instant};

use faultline_targets::{ClusterSpec, HookStage, NodeCommand, Target};

use super::DockerCluster;

/// How long to wait between two failed health attempts.
const HEALTH_RETRY: Duration = Duration::from_millis(100);

impl DockerCluster {
    /// Runs `command` in node `index`'s service container: its output when it exits 0 within its
    /// timeout, else what happened (exit status and output, or the timeout).
    pub async fn run_in(&self, index: usize, command: &NodeCommand) -> Result<String, String> {
        let argv: Vec<&str> = command.command.iter().map(String::as_str).collect();
        let service = &self.nodes[index].service;
        let shown = || command.command.join(" ");
        match tokio::time::timeout(command.timeout, self.docker.exec(service, &argv)).await {
            Ok(Ok(out)) if out.exit_code == 0 => Ok(out.output),
            Ok(Ok(out)) => Err(format!(
                "`{}` exited with {}: {}",
                shown(),
                out.exit_code,
                out.output.trim()
            )),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!(
                "`{}` did not finish within {} ms",
                shown(),
                command.timeout.as_millis()
            )),
        }
    }

    /// Retries node `index`'s health command until it succeeds or `deadline` (from `started`)
    /// passes; `Err` is the last attempt's complaint.
    pub(super) async fn health_until(
        &self,
        command: &NodeCommand,
        index: usize,
        started: Instant,
        deadline: Duration,
    ) -> Result<(), String> {
        loop {
            let last = match self.run_in(index, command).await {
                Ok(_) => return Ok(()),
                Err(e) => e,
            };
            if started.elapsed() >= deadline {
                return Err(format!("health command: {last}"));
            }
            tokio::time::sleep(HEALTH_RETRY).await;
        }
    }

    /// Runs `target`'s hooks for `stage` in order; the first that fails is the error, naming the
    /// stage and node.
    pub(super) async fn hooks(
        &self,
        target: &dyn Target,
        spec: &ClusterSpec,
        stage: HookStage,
    ) -> Result<(), String> {
        for (i, hook) in target.hooks(spec, stage) {
            self.run_in(i, &hook)
                .await
                .map_err(|e| format!("{} hook on {}: {e}", stage.name(), self.nodes[i].node))?;
        }
        Ok(())
    }

    /// The target's log files of node `index`, as (file name, text); a file that cannot be read
    /// says why in its text, so the run folder shows what was missing.
    pub(super) async fn log_files(&self, index: usize) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for path in &self.log_files {
            let name = path.rsplit('/').next().unwrap_or(path).to_string();
            let text = match self
                .docker
                .exec(&self.nodes[index].service, &["cat", path])
                .await
            {
                Ok(o) if o.exit_code == 0 => o.output,
                Ok(o) => format!("(could not read {path}: {})\n", o.output.trim()),
                Err(e) => format!("(could not read {path}: {e})\n"),
            };
            out.push((name, text));
        }
        out
    }
}

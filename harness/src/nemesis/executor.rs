//! Plays a schedule against the cluster: each step at its time, each action recorded in the history
//! as a `nemesis` `info` event when it is in force (with the error, if it failed), and [`Nemesis::heal`]
//! undoing whatever is still active.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::action::{Action, Step};
use super::partition::{
    drop_rules, install_script, restore_command, restore_heredoc, restore_script, LOSS_CHAIN,
    PART_CHAIN,
};
use super::{clock, packet, process};
use crate::docker::containers::CLOCK_FILE;
use crate::docker::shell::Shell;
use crate::docker::{DockerClient, DockerError, NodeContainers};

/// How long a script in a node's shell may take before the action counts as failed.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(10);
use crate::results::history::Recorder;

/// What is currently broken, so heal knows what to undo.
#[derive(Debug, Default)]
struct Active {
    partition: bool,
    /// The shape of the partition in force (`halves`, `one`...), for [`Active::describe`].
    partition_kind: String,
    loss: bool,
    delay: bool,
    clock: bool,
    killed: BTreeSet<String>,
    paused: BTreeSet<String>,
}

impl Active {
    /// The faults in force in a few words (`partition halves, killed n1`), or `none`.
    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.partition {
            parts.push(
                format!("partition {}", self.partition_kind)
                    .trim_end()
                    .to_string(),
            );
        }
        if self.loss {
            parts.push("packet loss".into());
        }
        if self.delay {
            parts.push("delay".into());
        }
        if self.clock {
            parts.push("clock skew".into());
        }
        let names = |set: &BTreeSet<String>| set.iter().cloned().collect::<Vec<_>>().join(",");
        if !self.killed.is_empty() {
            parts.push(format!("killed {}", names(&self.killed)));
        }
        if !self.paused.is_empty() {
            parts.push(format!("paused {}", names(&self.paused)));
        }
        if parts.is_empty() {
            "none".into()
        } else {
            parts.join(", ")
        }
    }
}

/// The nemesis of one run.
pub struct Nemesis {
    docker: DockerClient,
    nodes: Vec<NodeContainers>,
    /// A long-lived shell per node's infra container (same order as `nodes`); `None` falls back
    /// to one `docker exec` per script.
    shells: Vec<Option<Shell>>,
    recorder: Recorder,
    offsets: BTreeMap<String, f64>,
    strobe: Option<JoinHandle<()>>,
    active: Active,
    /// Milliseconds from each step's scheduled time to its fault being in force.
    pub lateness_ms: Vec<(String, f64)>,
    /// [`Active::describe`] after every action, for whoever watches (the progress line).
    in_force: watch::Sender<String>,
}

impl Nemesis {
    pub fn new(docker: DockerClient, nodes: Vec<NodeContainers>, recorder: Recorder) -> Nemesis {
        Nemesis {
            docker,
            shells: nodes.iter().map(|_| None).collect(),
            nodes,
            recorder,
            offsets: BTreeMap::new(),
            strobe: None,
            active: Active::default(),
            lateness_ms: Vec::new(),
            in_force: watch::Sender::new("none".to_string()),
        }
    }

    /// The faults in force, updated after every action (`none`, `partition halves, killed n2`).
    pub fn faults_in_force(&self) -> watch::Receiver<String> {
        self.in_force.subscribe()
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

    /// Opens the per-node shells that make actions fast; nodes whose shell cannot be opened use
    /// `docker exec`.
    pub async fn open_shells(&mut self) {
        let docker = &self.docker;
        let opened =
            futures_util::future::join_all(self.nodes.iter().map(|n| docker.open_shell(&n.infra)))
                .await;
        self.shells = opened.into_iter().map(Result::ok).collect();
        // The first script through a fresh exec pays ~60 ms of attach set-up; pay it now, not
        // when the first fault is due.
        let warm = self
            .shells
            .iter_mut()
            .flatten()
            .map(|sh| sh.run("true", SCRIPT_TIMEOUT));
        let warmed = futures_util::future::join_all(warm).await;
        for (shell, ok) in self.shells.iter_mut().filter(|s| s.is_some()).zip(warmed) {
            if ok.is_err() {
                *shell = None;
            }
        }
    }

    /// Runs each (node index, script) concurrently, through the node's shell when it has one. A
    /// broken shell is dropped and the script retried with `docker exec`.
    async fn run_scripts(&mut self, scripts: Vec<(usize, String)>) -> Result<(), String> {
        let docker = &self.docker;
        let nodes = &self.nodes;
        let runs = self.shells.iter_mut().enumerate().filter_map(|(i, shell)| {
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
            Err(errors.join("; "))
        }
    }

    fn index(&self, name: &str) -> Result<usize, String> {
        self.nodes
            .iter()
            .position(|n| n.node == name)
            .ok_or_else(|| {
                format!("the schedule names node {name:?}, which this cluster does not have")
            })
    }

    fn node(&self, name: &str) -> Result<&NodeContainers, String> {
        self.nodes.iter().find(|n| n.node == name).ok_or_else(|| {
            format!("the schedule names node {name:?}, which this cluster does not have")
        })
    }

    fn nodes_named(&self, names: &[String]) -> Result<Vec<&NodeContainers>, String> {
        names.iter().map(|n| self.node(n)).collect()
    }

    /// Plays `steps` with times relative to `t0`, until the schedule ends or `stop` turns true.
    pub async fn run(&mut self, steps: &[Step], t0: Instant, mut stop: watch::Receiver<bool>) {
        for step in steps {
            let due = t0 + Duration::from_secs_f64(step.at.max(0.0));
            tokio::select! {
                _ = tokio::time::sleep_until(due.into()) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
            if *stop.borrow() {
                return;
            }
            self.perform(&step.action).await;
            self.lateness_ms.push((
                step.action.name().to_string(),
                due.elapsed().as_secs_f64() * 1000.0,
            ));
        }
    }

    /// Applies `action` and records it; a failure is recorded and printed, not fatal.
    pub async fn perform(&mut self, action: &Action) {
        let result = self.apply(action).await;
        if let Err(e) = &result {
            eprintln!("faultline: nemesis {} failed: {e}", action.name());
        }
        self.recorder
            .nemesis(action.name(), action.value(), result.err());
        self.in_force.send_replace(self.active.describe());
    }

    async fn apply(&mut self, action: &Action) -> Result<(), String> {
        let docker = self.docker.clone();
        let err = |e: DockerError| e.to_string();
        match action {
            Action::PartitionStart { grudge, kind } => {
                self.active.partition_kind = kind.clone();
                let mut scripts = Vec::new();
                for (i, node) in self.nodes.iter().enumerate() {
                    let sources = grudge
                        .get(&node.node)
                        .map(|names| self.nodes_named(names))
                        .transpose()?
                        .unwrap_or_default();
                    let ips: Vec<_> = sources.iter().map(|n| n.ip).collect();
                    let lines = restore_script(PART_CHAIN, &drop_rules(&ips));
                    scripts.push((i, restore_heredoc(&lines)));
                }
                self.active.partition = true;
                self.run_scripts(scripts).await
            }
            Action::PartitionStop => {
                let flush = restore_heredoc(&restore_script(PART_CHAIN, &[]));
                let scripts = (0..self.nodes.len()).map(|i| (i, flush.clone())).collect();
                self.run_scripts(scripts).await?;
                self.active.partition = false;
                Ok(())
            }
            Action::Kill { nodes } => {
                let targets = self.nodes_named(nodes)?;
                process::kill(&docker, &targets).await.map_err(err)?;
                self.active.killed.extend(nodes.iter().cloned());
                Ok(())
            }
            Action::Restart { nodes } => {
                let targets = self.nodes_named(nodes)?;
                process::restart(&docker, &targets).await.map_err(err)?;
                for n in nodes {
                    self.active.killed.remove(n);
                }
                Ok(())
            }
            Action::Pause { nodes } => {
                let targets = self.nodes_named(nodes)?;
                process::pause(&docker, &targets).await.map_err(err)?;
                self.active.paused.extend(nodes.iter().cloned());
                Ok(())
            }
            Action::Resume { nodes } => {
                let targets = self.nodes_named(nodes)?;
                process::resume(&docker, &targets).await.map_err(err)?;
                for n in nodes {
                    self.active.paused.remove(n);
                }
                Ok(())
            }
            Action::ClockOffset { offsets } => {
                self.active.clock = true;
                let mut set = Vec::new();
                for (name, secs) in offsets {
                    set.push((self.node(name)?, *secs));
                }
                clock::set_offsets(&docker, &set).await.map_err(err)?;
                self.offsets
                    .extend(offsets.iter().map(|(k, v)| (k.clone(), *v)));
                Ok(())
            }
            Action::ClockBump { deltas } => {
                self.active.clock = true;
                let mut set = Vec::new();
                for (name, delta) in deltas {
                    let now = self.offsets.get(name).copied().unwrap_or(0.0);
                    set.push((self.node(name)?, now + delta));
                }
                clock::set_offsets(&docker, &set).await.map_err(err)?;
                let updated: Vec<(String, f64)> = set
                    .iter()
                    .map(|(n, secs)| (n.node.clone(), *secs))
                    .collect();
                self.offsets.extend(updated);
                Ok(())
            }
            Action::ClockStrobe {
                nodes,
                delta,
                period_ms,
            } => {
                self.active.clock = true;
                let targets: Vec<(NodeContainers, f64)> = self
                    .nodes_named(nodes)?
                    .into_iter()
                    .map(|n| (n.clone(), self.offsets.get(&n.node).copied().unwrap_or(0.0)))
                    .collect();
                let (delta, period) = (*delta, Duration::from_millis((*period_ms).max(50)));
                if let Some(old) = self.strobe.take() {
                    old.abort();
                }
                self.strobe = Some(tokio::spawn(async move {
                    let mut flipped = false;
                    loop {
                        flipped = !flipped;
                        let set: Vec<_> = targets
                            .iter()
                            .map(|(n, base)| (n, if flipped { base + delta } else { *base }))
                            .collect();
                        let _ = clock::set_offsets(&docker, &set).await;
                        tokio::time::sleep(period).await;
                    }
                }));
                Ok(())
            }
            Action::ClockReset => {
                if let Some(strobe) = self.strobe.take() {
                    strobe.abort();
                }
                let zero = clock::offset_script(0.0);
                let scripts = (0..self.nodes.len()).map(|i| (i, zero.clone())).collect();
                self.run_scripts(scripts).await?;
                self.offsets.clear();
                self.active.clock = false;
                Ok(())
            }
            Action::LossStart { nodes, probability } => {
                let mut scripts = Vec::new();
                for name in nodes {
                    let i = self.index(name)?;
                    let peers: Vec<_> = self
                        .nodes
                        .iter()
                        .filter(|p| p.node != *name)
                        .map(|p| p.ip)
                        .collect();
                    let lines =
                        restore_script(LOSS_CHAIN, &packet::loss_rules(&peers, *probability));
                    scripts.push((i, restore_heredoc(&lines)));
                }
                self.active.loss = true;
                self.run_scripts(scripts).await
            }
            Action::LossStop => {
                let flush = restore_heredoc(&restore_script(LOSS_CHAIN, &[]));
                let scripts = (0..self.nodes.len()).map(|i| (i, flush.clone())).collect();
                self.run_scripts(scripts).await?;
                self.active.loss = false;
                Ok(())
            }
            Action::DelayStart {
                nodes,
                delay_ms,
                jitter_ms,
            } => {
                let script = packet::delay_script(Some((*delay_ms, *jitter_ms)));
                let scripts = nodes
                    .iter()
                    .map(|n| Ok((self.index(n)?, script.clone())))
                    .collect::<Result<Vec<_>, String>>()?;
                self.active.delay = true;
                self.run_scripts(scripts).await
            }
            Action::DelayStop => {
                let script = packet::delay_script(None);
                let scripts = (0..self.nodes.len()).map(|i| (i, script.clone())).collect();
                self.run_scripts(scripts).await?;
                self.active.delay = false;
                Ok(())
            }
        }
    }

    /// Undoes every active fault, recording each heal. Safe to call twice.
    pub async fn heal(&mut self) {
        let mut ends = Vec::new();
        if self.active.partition {
            ends.push(Action::PartitionStop);
        }
        if self.active.loss {
            ends.push(Action::LossStop);
        }
        if self.active.delay {
            ends.push(Action::DelayStop);
        }
        if !self.active.paused.is_empty() {
            ends.push(Action::Resume {
                nodes: self.active.paused.iter().cloned().collect(),
            });
        }
        if !self.active.killed.is_empty() {
            ends.push(Action::Restart {
                nodes: self.active.killed.iter().cloned().collect(),
            });
        }
        if self.active.clock || self.strobe.is_some() {
            ends.push(Action::ClockReset);
        }
        for action in ends {
            self.perform(&action).await;
        }
    }

    /// Whether anything is still broken.
    pub fn is_healed(&self) -> bool {
        let a = &self.active;
        !(a.partition || a.loss || a.delay || a.clock)
            && a.killed.is_empty()
            && a.paused.is_empty()
            && self.strobe.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_faults_in_force_are_described_in_a_few_words() {
        let mut a = Active::default();
        assert_eq!(a.describe(), "none");
        a.partition = true;
        a.partition_kind = "halves".into();
        a.killed.insert("n2".into());
        a.killed.insert("n1".into());
        a.clock = true;
        assert_eq!(a.describe(), "partition halves, clock skew, killed n1,n2");
    }
}

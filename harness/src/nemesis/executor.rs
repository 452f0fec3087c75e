//! Plays a schedule against the cluster: each step at its time, each action recorded in the history
//! as a `nemesis` `info` event when it is in force (with the error, if it failed), and [`Nemesis::heal`]
//! undoing whatever is still active.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::action::{Action, Step};
use super::partition::{drop_rules, install_script, restore_command, set_chain, PART_CHAIN};
use super::{clock, packet, process};
use crate::docker::containers::CLOCK_FILE;
use crate::docker::{DockerClient, DockerError, NodeContainers};
use crate::results::history::Recorder;

/// What is currently broken, so heal knows what to undo.
#[derive(Debug, Default)]
struct Active {
    partition: bool,
    loss: bool,
    delay: bool,
    clock: bool,
    killed: BTreeSet<String>,
    paused: BTreeSet<String>,
}

/// The nemesis of one run.
pub struct Nemesis {
    docker: DockerClient,
    nodes: Vec<NodeContainers>,
    recorder: Recorder,
    offsets: BTreeMap<String, f64>,
    strobe: Option<JoinHandle<()>>,
    active: Active,
    /// Milliseconds from each step's scheduled time to its fault being in force.
    pub lateness_ms: Vec<(String, f64)>,
}

impl Nemesis {
    pub fn new(docker: DockerClient, nodes: Vec<NodeContainers>, recorder: Recorder) -> Nemesis {
        Nemesis {
            docker,
            nodes,
            recorder,
            offsets: BTreeMap::new(),
            strobe: None,
            active: Active::default(),
            lateness_ms: Vec::new(),
        }
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
    }

    async fn apply(&mut self, action: &Action) -> Result<(), String> {
        let docker = self.docker.clone();
        let err = |e: DockerError| e.to_string();
        match action {
            Action::PartitionStart { grudge, .. } => {
                let mut rules = Vec::new();
                for node in &self.nodes {
                    let sources = grudge
                        .get(&node.node)
                        .map(|names| self.nodes_named(names))
                        .transpose()?
                        .unwrap_or_default();
                    let ips: Vec<_> = sources.iter().map(|n| n.ip).collect();
                    rules.push((node, drop_rules(&ips)));
                }
                let result = set_chain(&docker, PART_CHAIN, &rules).await.map_err(err);
                self.active.partition = true;
                result
            }
            Action::PartitionStop => {
                let rules: Vec<_> = self.nodes.iter().map(|n| (n, Vec::new())).collect();
                set_chain(&docker, PART_CHAIN, &rules).await.map_err(err)?;
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
                let set: Vec<_> = self.nodes.iter().map(|n| (n, 0.0)).collect();
                clock::set_offsets(&docker, &set).await.map_err(err)?;
                self.offsets.clear();
                self.active.clock = false;
                Ok(())
            }
            Action::LossStart { nodes, probability } => {
                let mut rules = Vec::new();
                for node in self.nodes_named(nodes)? {
                    let peers: Vec<_> = self
                        .nodes
                        .iter()
                        .filter(|p| p.node != node.node)
                        .map(|p| p.ip)
                        .collect();
                    rules.push((node, packet::loss_rules(&peers, *probability)));
                }
                let result = packet::set_loss(&docker, &rules).await.map_err(err);
                self.active.loss = true;
                result
            }
            Action::LossStop => {
                let rules: Vec<_> = self.nodes.iter().map(|n| (n, Vec::new())).collect();
                packet::set_loss(&docker, &rules).await.map_err(err)?;
                self.active.loss = false;
                Ok(())
            }
            Action::DelayStart {
                nodes,
                delay_ms,
                jitter_ms,
            } => {
                let targets = self.nodes_named(nodes)?;
                let result = packet::set_delay(&docker, &targets, Some((*delay_ms, *jitter_ms)))
                    .await
                    .map_err(err);
                self.active.delay = true;
                result
            }
            Action::DelayStop => {
                let all: Vec<_> = self.nodes.iter().collect();
                packet::set_delay(&docker, &all, None).await.map_err(err)?;
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

    /// Per-step lateness as JSON for results.json.
    pub fn lateness_json(&self) -> Value {
        serde_json::json!(self
            .lateness_ms
            .iter()
            .map(|(f, ms)| serde_json::json!({"f": f, "late_ms": (ms * 10.0).round() / 10.0}))
            .collect::<Vec<_>>())
    }
}

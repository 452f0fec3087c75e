//! Plays a schedule against the cluster: each step at its time, each action recorded in the history
//! as a `nemesis` `info` event when it is in force (with the error, if it failed), and [`Nemesis::heal`]
//! undoing whatever is still active.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use std::sync::Arc;

use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::action::{Action, Step};
use crate::backend::{BackendError, Cluster, Grudge};
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
    cluster: Arc<dyn Cluster>,
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
    pub fn new(cluster: Arc<dyn Cluster>, recorder: Recorder) -> Nemesis {
        Nemesis {
            cluster,
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
        let cluster = self.cluster.clone();
        let err = |e: BackendError| e.to_string();
        match action {
            Action::PartitionStart { grudge, kind } => {
                self.active.partition_kind = kind.clone();
                self.active.partition = true;
                cluster.set_grudge(grudge).await.map_err(err)
            }
            Action::PartitionStop => {
                cluster.set_grudge(&Grudge::new()).await.map_err(err)?;
                self.active.partition = false;
                Ok(())
            }
            Action::Kill { nodes } => {
                cluster.kill(nodes).await.map_err(err)?;
                self.active.killed.extend(nodes.iter().cloned());
                Ok(())
            }
            Action::Restart { nodes } => {
                cluster.restart(nodes).await.map_err(err)?;
                for n in nodes {
                    self.active.killed.remove(n);
                }
                Ok(())
            }
            Action::Pause { nodes } => {
                cluster.pause(nodes).await.map_err(err)?;
                self.active.paused.extend(nodes.iter().cloned());
                Ok(())
            }
            Action::Resume { nodes } => {
                cluster.resume(nodes).await.map_err(err)?;
                for n in nodes {
                    self.active.paused.remove(n);
                }
                Ok(())
            }
            Action::ClockOffset { offsets } => {
                self.active.clock = true;
                let set: Vec<(String, f64)> =
                    offsets.iter().map(|(k, v)| (k.clone(), *v)).collect();
                cluster.set_clock_offsets(&set).await.map_err(err)?;
                self.offsets.extend(set);
                Ok(())
            }
            Action::ClockBump { deltas } => {
                self.active.clock = true;
                let set: Vec<(String, f64)> = deltas
                    .iter()
                    .map(|(name, delta)| {
                        let now = self.offsets.get(name).copied().unwrap_or(0.0);
                        (name.clone(), now + delta)
                    })
                    .collect();
                cluster.set_clock_offsets(&set).await.map_err(err)?;
                self.offsets.extend(set);
                Ok(())
            }
            Action::ClockStrobe {
                nodes,
                delta,
                period_ms,
            } => {
                self.active.clock = true;
                let base: Vec<(String, f64)> = nodes
                    .iter()
                    .map(|n| (n.clone(), self.offsets.get(n).copied().unwrap_or(0.0)))
                    .collect();
                let (delta, period) = (*delta, Duration::from_millis((*period_ms).max(50)));
                if let Some(old) = self.strobe.take() {
                    old.abort();
                }
                self.strobe = Some(tokio::spawn(async move {
                    let mut flipped = false;
                    loop {
                        flipped = !flipped;
                        let set: Vec<_> = base
                            .iter()
                            .map(|(n, b)| (n.clone(), if flipped { b + delta } else { *b }))
                            .collect();
                        let _ = cluster.set_clock_offsets(&set).await;
                        tokio::time::sleep(period).await;
                    }
                }));
                Ok(())
            }
            Action::ClockReset => {
                if let Some(strobe) = self.strobe.take() {
                    strobe.abort();
                }
                let zero: Vec<(String, f64)> = cluster
                    .spec()
                    .nodes
                    .iter()
                    .map(|n| (n.name.clone(), 0.0))
                    .collect();
                cluster.set_clock_offsets(&zero).await.map_err(err)?;
                self.offsets.clear();
                self.active.clock = false;
                Ok(())
            }
            Action::LossStart { nodes, probability } => {
                self.active.loss = true;
                cluster.set_loss(nodes, *probability).await.map_err(err)
            }
            Action::LossStop => {
                cluster.set_loss(&[], 0.0).await.map_err(err)?;
                self.active.loss = false;
                Ok(())
            }
            Action::DelayStart {
                nodes,
                delay_ms,
                jitter_ms,
            } => {
                self.active.delay = true;
                cluster
                    .set_delay(nodes, Some((*delay_ms, *jitter_ms)))
                    .await
                    .map_err(err)
            }
            Action::DelayStop => {
                cluster.set_delay(&[], None).await.map_err(err)?;
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

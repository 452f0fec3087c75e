//! Rolling restart: while in force, one node after another is killed (SIGKILL) and started again on
//! its data, one at a time, each for an equal share of the fault window — what an operator's
//! rolling upgrade does, without the care. A majority stays up throughout, so a correct store stays
//! available; what it finds is recovery that loses acknowledged data, a node that rejoins with a
//! stale view, and clients that do not fail over. `rolling-restart-start` {nodes, period_ms} …
//! `rolling-restart-stop`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use faultline_targets::BoxFuture;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;

use super::{Fault, FaultState, Word};
use crate::backend::Cluster;
use crate::nemesis::action::Action;
use crate::nemesis::schedule::ScheduleSpec;

const START: &str = "rolling-restart-start";
const STOP: &str = "rolling-restart-stop";

/// The value of `rolling-restart-start`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RollingRestartStart {
    /// The order in which the nodes are restarted (cycling).
    pub nodes: Vec<String>,
    /// One node's turn: down for the first half, up again for the second.
    pub period_ms: u64,
}

pub struct RollingRestart;

impl Fault for RollingRestart {
    fn words(&self) -> &'static [Word] {
        &[Word {
            name: "rolling-restart",
            help: "kill and restart each node in turn, one at a time, within one fault window",
        }]
    }

    fn starts(&self) -> &'static [&'static str] {
        &[START]
    }

    fn stop(&self) -> &'static str {
        STOP
    }

    fn family(&self) -> &'static str {
        "rolling-restart"
    }

    fn shade(&self) -> &'static str {
        "#8250df"
    }

    fn check(&self, action: &Action) -> Result<(), String> {
        if action.f == START {
            let start: RollingRestartStart = action.payload()?;
            if start.nodes.is_empty() {
                return Err("rolling-restart-start names no nodes".into());
            }
        }
        Ok(())
    }

    fn draw(&self, _word: &str, spec: &ScheduleSpec, rng: &mut ChaCha8Rng) -> (Action, Action) {
        let mut nodes = spec.nodes.clone();
        nodes.shuffle(rng);
        let share = spec.interval_secs * 1000.0 / nodes.len().max(1) as f64;
        let start = RollingRestartStart {
            nodes,
            period_ms: (share as u64).max(400),
        };
        (Action::new(START, start), Action::bare(STOP))
    }

    fn state(&self) -> Box<dyn FaultState> {
        Box::new(Rolling {
            task: None,
            down: Arc::new(Mutex::new(None)),
        })
    }
}

/// The task that moves the restart from node to node, and the node it may have left down.
struct Rolling {
    task: Option<JoinHandle<()>>,
    /// Set before a node is killed and cleared once it is started again, so that stopping the
    /// task at any point knows which node to bring back.
    down: Arc<Mutex<Option<String>>>,
}

impl FaultState for Rolling {
    fn apply<'a>(
        &'a mut self,
        action: &'a Action,
        cluster: &'a Arc<dyn Cluster>,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            if let Some(task) = self.task.take() {
                task.abort();
            }
            let left_down = self.down.lock().map_err(|e| e.to_string())?.take();
            if let Some(node) = left_down {
                // Starting a node that is running is a no-op on every backend.
                cluster.restart(&[node]).await.map_err(|e| e.to_string())?;
            }
            if action.f != START {
                return Ok(());
            }
            let start: RollingRestartStart = action.payload()?;
            let cluster = cluster.clone();
            let down = self.down.clone();
            let half = Duration::from_millis((start.period_ms / 2).max(100));
            self.task = Some(tokio::spawn(async move {
                for node in start.nodes.iter().cycle() {
                    if let Ok(mut d) = down.lock() {
                        *d = Some(node.clone());
                    }
                    let _ = cluster.kill(std::slice::from_ref(node)).await;
                    tokio::time::sleep(half).await;
                    if cluster.restart(std::slice::from_ref(node)).await.is_ok() {
                        if let Ok(mut d) = down.lock() {
                            *d = None;
                        }
                    }
                    tokio::time::sleep(half).await;
                }
            }));
            Ok(())
        })
    }

    fn in_force(&self) -> Option<String> {
        self.task
            .as_ref()
            .map(|_| "restarting each node in turn".to_string())
    }

    fn heal(&self) -> Option<Action> {
        self.task.as_ref().map(|_| Action::bare(STOP))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nemesis::faults::check;

    #[test]
    fn a_drawn_window_names_every_node_once_and_checks() {
        let spec = ScheduleSpec {
            kinds: vec!["rolling-restart".into()],
            nodes: ["n1", "n2", "n3"].iter().map(|s| s.to_string()).collect(),
            interval_secs: 3.0,
            time_limit_secs: 20.0,
            pacing: crate::nemesis::schedule::Pacing::Interval,
            max_clock_skew_secs: 0.0,
            loss_probability: 0.0,
            delay_ms: 0,
            jitter_ms: 0,
            duplicate_probability: 0.0,
            reorder_probability: 0.0,
        };
        let mut rng = rand::SeedableRng::seed_from_u64(3);
        let (start, stop) = RollingRestart.draw("rolling-restart", &spec, &mut rng);
        let value: RollingRestartStart = start.payload().unwrap();
        let mut nodes = value.nodes.clone();
        nodes.sort();
        assert_eq!(nodes, spec.nodes);
        assert_eq!(value.period_ms, 1000, "a 3 s window over 3 nodes");
        assert!(check(&start).is_ok() && check(&stop).is_ok());
        let empty = Action::new(START, serde_json::json!({"nodes": [], "period_ms": 500}));
        assert!(check(&empty).unwrap_err().contains("no nodes"));
    }
}

//! Isolate each node in turn: while in force, one node after another is cut off from all the
//! others (both ways), each for an equal share of the fault window, so that whichever node leads is
//! isolated at some point of every window without knowing the roles. A deposed leader that keeps
//! answering (a stale read) shows up within one window. `isolate-each-start` {nodes, period_ms} …
//! `isolate-each-stop`.

use std::sync::Arc;
use std::time::Duration;

use faultline_targets::{BoxFuture, Target};
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;

use super::{Fault, FaultState, Word};
use crate::backend::{Cluster, Grudge};
use crate::nemesis::action::Action;
use crate::nemesis::schedule::ScheduleSpec;

const START: &str = "isolate-each-start";
const STOP: &str = "isolate-each-stop";

/// The value of `isolate-each-start`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IsolateEachStart {
    /// The order in which the nodes are isolated (cycling).
    pub nodes: Vec<String>,
    /// How long each stays isolated.
    pub period_ms: u64,
}

/// The grudge that cuts `lonely` off from every other node of `nodes`, both ways.
fn isolate(lonely: &str, nodes: &[String]) -> Grudge {
    let others: Vec<String> = nodes.iter().filter(|n| *n != lonely).cloned().collect();
    let mut grudge = Grudge::from([(lonely.to_string(), others.clone())]);
    for o in others {
        grudge.insert(o, vec![lonely.to_string()]);
    }
    grudge
}

pub struct IsolateEach;

impl Fault for IsolateEach {
    fn words(&self) -> &'static [Word] {
        &[Word {
            name: "isolate-each",
            help: "cut off each node in turn within one fault window (finds deposed leaders)",
        }]
    }

    fn starts(&self) -> &'static [&'static str] {
        &[START]
    }

    fn stop(&self) -> &'static str {
        STOP
    }

    fn family(&self) -> &'static str {
        "isolate-each"
    }

    fn shade(&self) -> &'static str {
        "#cf222e"
    }

    fn check(&self, action: &Action) -> Result<(), String> {
        if action.f == START {
            action.payload::<IsolateEachStart>()?;
        }
        Ok(())
    }

    fn draw(&self, _word: &str, spec: &ScheduleSpec, rng: &mut ChaCha8Rng) -> (Action, Action) {
        let mut nodes = spec.nodes.clone();
        nodes.shuffle(rng);
        let share = spec.interval_secs * 1000.0 / nodes.len().max(1) as f64;
        let start = IsolateEachStart {
            nodes,
            period_ms: (share as u64).max(200),
        };
        (Action::new(START, start), Action::bare(STOP))
    }

    fn refusal(&self, asked: &str, _target: &dyn Target, nodes: usize) -> Option<String> {
        super::needs_peers(asked, nodes)
    }

    fn state(&self) -> Box<dyn FaultState> {
        Box::new(Rotation(None))
    }
}

/// The task that moves the isolation from node to node, while in force.
struct Rotation(Option<JoinHandle<()>>);

impl FaultState for Rotation {
    fn apply<'a>(
        &'a mut self,
        action: &'a Action,
        cluster: &'a Arc<dyn Cluster>,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            if let Some(task) = self.0.take() {
                task.abort();
            }
            if action.f != START {
                return cluster
                    .set_grudge(&Grudge::new())
                    .await
                    .map_err(|e| e.to_string());
            }
            let start: IsolateEachStart = action.payload()?;
            let Some(first) = start.nodes.first() else {
                return Err("isolate-each-start names no nodes".into());
            };
            // The first isolation is in force when the action is recorded; the rest follow.
            cluster
                .set_grudge(&isolate(first, &start.nodes))
                .await
                .map_err(|e| e.to_string())?;
            let cluster = cluster.clone();
            let period = Duration::from_millis(start.period_ms.max(50));
            self.0 = Some(tokio::spawn(async move {
                for lonely in start.nodes.iter().cycle().skip(1) {
                    tokio::time::sleep(period).await;
                    let _ = cluster.set_grudge(&isolate(lonely, &start.nodes)).await;
                }
            }));
            Ok(())
        })
    }

    fn in_force(&self) -> Option<String> {
        self.0
            .as_ref()
            .map(|_| "isolating each node in turn".to_string())
    }

    fn heal(&self) -> Option<Action> {
        self.0.as_ref().map(|_| Action::bare(STOP))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_isolation_cuts_one_node_off_both_ways() {
        let nodes: Vec<String> = ["n1", "n2", "n3"].iter().map(|s| s.to_string()).collect();
        let g = isolate("n2", &nodes);
        assert_eq!(g["n2"], ["n1", "n3"]);
        assert_eq!(g["n1"], ["n2"]);
        assert_eq!(g["n3"], ["n2"]);
    }
}

//! Pause: freeze some nodes (SIGSTOP; Docker's cgroup freezer) and resume them. `pause` {nodes} …
//! `resume` {nodes}.

use rand_chacha::ChaCha8Rng;

use super::{some_nodes, Fault, FaultState, Nodes, OnNodes, Word};
use serde_json::Value;

use crate::nemesis::action::Action;
use crate::nemesis::aim::{aimed, Aim};
use crate::nemesis::schedule::ScheduleSpec;

const START: &str = "pause";
const STOP: &str = "resume";

/// The action that pauses `nodes`.
pub fn pause(nodes: Vec<String>) -> Action {
    Action::new(START, Nodes { nodes })
}

/// The action that resumes `nodes`.
pub fn resume(nodes: Vec<String>) -> Action {
    Action::new(STOP, Nodes { nodes })
}

pub struct Pause;

impl Fault for Pause {
    fn words(&self) -> &'static [Word] {
        &[
            Word {
                name: "pause",
                help: "freeze a random node, minority or all of them (SIGSTOP), then resume",
            },
            Word {
                name: "pause-leader",
                help: "SIGSTOP the leader (as the nodes report it when the fault starts), then resume it",
            },
            Word {
                name: "pause-follower",
                help: "SIGSTOP one follower of the current leader, then resume it",
            },
        ]
    }

    fn starts(&self) -> &'static [&'static str] {
        &[START]
    }

    fn stop(&self) -> &'static str {
        STOP
    }

    fn family(&self) -> &'static str {
        "pause"
    }

    fn shade(&self) -> &'static str {
        "#8250df"
    }

    fn check(&self, action: &Action) -> Result<(), String> {
        action.payload::<Nodes>().map(|_| ())
    }

    fn draw(&self, word: &str, spec: &ScheduleSpec, rng: &mut ChaCha8Rng) -> (Action, Action) {
        let aim = match word {
            "pause-leader" => Aim::Leader,
            "pause-follower" => Aim::Follower,
            _ => {
                let nodes = some_nodes(&spec.nodes, rng);
                return (pause(nodes.clone()), resume(nodes));
            }
        };
        (
            aimed(START, aim, Value::Null),
            aimed(STOP, aim, Value::Null),
        )
    }

    fn aim_at(&self, action: &Action, nodes: &[String], _all: &[String]) -> Result<Action, String> {
        Ok(Action::new(
            &action.f,
            Nodes {
                nodes: nodes.to_vec(),
            },
        ))
    }

    fn state(&self) -> Box<dyn FaultState> {
        Box::new(OnNodes::new(
            START,
            STOP,
            "paused",
            |cluster, start, nodes| {
                if start {
                    cluster.pause(nodes)
                } else {
                    cluster.resume(nodes)
                }
            },
        ))
    }
}

//! Kill: SIGKILL some nodes and start them again on their data. `kill` {nodes} … `restart`
//! {nodes}.

use rand_chacha::ChaCha8Rng;

use super::{some_nodes, Fault, FaultState, Nodes, OnNodes, Word};
use serde_json::Value;

use crate::nemesis::action::Action;
use crate::nemesis::aim::{aimed, Aim};
use crate::nemesis::schedule::ScheduleSpec;

const START: &str = "kill";
const STOP: &str = "restart";

/// The action that kills `nodes`.
pub fn kill(nodes: Vec<String>) -> Action {
    Action::new(START, Nodes { nodes })
}

/// The action that restarts `nodes`.
pub fn restart(nodes: Vec<String>) -> Action {
    Action::new(STOP, Nodes { nodes })
}

pub struct Kill;

impl Fault for Kill {
    fn words(&self) -> &'static [Word] {
        &[
            Word {
                name: "kill",
                help: "SIGKILL a random node, minority or all of them, then restart them on their data",
            },
            Word {
                name: "kill-leader",
                help: "SIGKILL the leader (as the nodes report it when the fault starts), then restart it",
            },
            Word {
                name: "kill-follower",
                help: "SIGKILL one follower of the current leader, then restart it",
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
        "kill"
    }

    fn shade(&self) -> &'static str {
        "#8250df"
    }

    fn check(&self, action: &Action) -> Result<(), String> {
        action.payload::<Nodes>().map(|_| ())
    }

    fn draw(&self, word: &str, spec: &ScheduleSpec, rng: &mut ChaCha8Rng) -> (Action, Action) {
        let aim = match word {
            "kill-leader" => Aim::Leader,
            "kill-follower" => Aim::Follower,
            _ => {
                let nodes = some_nodes(&spec.nodes, rng);
                return (kill(nodes.clone()), restart(nodes));
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
            "killed",
            |cluster, start, nodes| {
                if start {
                    cluster.kill(nodes)
                } else {
                    cluster.restart(nodes)
                }
            },
        ))
    }
}

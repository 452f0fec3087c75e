//! Kill: SIGKILL some nodes and start them again on their data. `kill` {nodes} … `restart`
//! {nodes}.

use rand_chacha::ChaCha8Rng;

use super::{some_nodes, Fault, FaultState, Nodes, OnNodes, Word};
use crate::nemesis::action::Action;
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
        &[Word {
            name: "kill",
            help: "SIGKILL a random node, minority or all of them, then restart them on their data",
        }]
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

    fn draw(&self, _word: &str, spec: &ScheduleSpec, rng: &mut ChaCha8Rng) -> (Action, Action) {
        let nodes = some_nodes(&spec.nodes, rng);
        (kill(nodes.clone()), restart(nodes))
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

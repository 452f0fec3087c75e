//! Packet loss: every node drops a fraction of the traffic from its peers (clients still reach
//! every node). `loss-start` {nodes, probability} … `loss-stop`.

use std::sync::Arc;

use faultline_targets::{BoxFuture, Target};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::{Fault, FaultState, Word};
use crate::backend::Cluster;
use crate::nemesis::action::Action;
use crate::nemesis::schedule::ScheduleSpec;

const START: &str = "loss-start";
const STOP: &str = "loss-stop";

/// The value of `loss-start`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LossStart {
    pub nodes: Vec<String>,
    /// The fraction of packets from peers each of `nodes` drops.
    pub probability: f64,
}

/// The action that makes `nodes` drop `probability` of their peers' packets.
pub fn loss(nodes: Vec<String>, probability: f64) -> Action {
    Action::new(START, LossStart { nodes, probability })
}

pub struct Loss;

impl Fault for Loss {
    fn words(&self) -> &'static [Word] {
        &[Word {
            name: "loss",
            help: "every node drops --loss-probability of the packets from its peers",
        }]
    }

    fn starts(&self) -> &'static [&'static str] {
        &[START]
    }

    fn stop(&self) -> &'static str {
        STOP
    }

    fn family(&self) -> &'static str {
        "loss"
    }

    fn shade(&self) -> &'static str {
        "#bf8700"
    }

    fn check(&self, action: &Action) -> Result<(), String> {
        if action.f == START {
            action.payload::<LossStart>()?;
        }
        Ok(())
    }

    fn draw(&self, _word: &str, spec: &ScheduleSpec, _rng: &mut ChaCha8Rng) -> (Action, Action) {
        (
            loss(spec.nodes.clone(), spec.loss_probability),
            Action::bare(STOP),
        )
    }

    fn refusal(&self, asked: &str, _target: &dyn Target, nodes: usize) -> Option<String> {
        super::needs_peers(asked, nodes)
    }

    fn state(&self) -> Box<dyn FaultState> {
        Box::new(Lossy(false))
    }
}

/// Whether loss is in force.
struct Lossy(bool);

impl FaultState for Lossy {
    fn apply<'a>(
        &'a mut self,
        action: &'a Action,
        cluster: &'a Arc<dyn Cluster>,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            if action.f == START {
                let LossStart { nodes, probability } = action.payload()?;
                self.0 = true;
                cluster
                    .set_loss(&nodes, probability)
                    .await
                    .map_err(|e| e.to_string())
            } else {
                cluster
                    .set_loss(&[], 0.0)
                    .await
                    .map_err(|e| e.to_string())?;
                self.0 = false;
                Ok(())
            }
        })
    }

    fn in_force(&self) -> Option<String> {
        self.0.then(|| "packet loss".to_string())
    }

    fn heal(&self) -> Option<Action> {
        self.0.then(|| Action::bare(STOP))
    }
}

//! Packet delay (netem, where the kernel has it): what some nodes send is held for a while.
//! `delay-start` {nodes, delay_ms, jitter_ms} … `delay-stop`. Refused before the clients start when
//! the backend cannot delay packets.

use std::sync::Arc;

use faultline_targets::BoxFuture;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::{Fault, FaultState, Word};
use crate::backend::Cluster;
use crate::nemesis::action::Action;
use crate::nemesis::schedule::ScheduleSpec;

const START: &str = "delay-start";
const STOP: &str = "delay-stop";

/// The value of `delay-start`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DelayStart {
    pub nodes: Vec<String>,
    pub delay_ms: u64,
    pub jitter_ms: u64,
}

pub struct Delay;

impl Fault for Delay {
    fn words(&self) -> &'static [Word] {
        &[Word {
            name: "delay",
            help: "50 ms ± 25 ms on every packet the nodes send (needs netem)",
        }]
    }

    fn starts(&self) -> &'static [&'static str] {
        &[START]
    }

    fn stop(&self) -> &'static str {
        STOP
    }

    fn family(&self) -> &'static str {
        "delay"
    }

    fn shade(&self) -> &'static str {
        "#bf8700"
    }

    fn check(&self, action: &Action) -> Result<(), String> {
        if action.f == START {
            action.payload::<DelayStart>()?;
        }
        Ok(())
    }

    fn draw(&self, _word: &str, spec: &ScheduleSpec, _rng: &mut ChaCha8Rng) -> (Action, Action) {
        let start = DelayStart {
            nodes: spec.nodes.clone(),
            delay_ms: 50,
            jitter_ms: 25,
        };
        (Action::new(START, start), Action::bare(STOP))
    }

    fn preflight<'a>(&self, cluster: &'a dyn Cluster) -> BoxFuture<'a, Result<(), String>> {
        cluster.delay_support()
    }

    fn state(&self) -> Box<dyn FaultState> {
        Box::new(Delayed(false))
    }
}

/// Whether delay is in force.
struct Delayed(bool);

impl FaultState for Delayed {
    fn apply<'a>(
        &'a mut self,
        action: &'a Action,
        cluster: &'a Arc<dyn Cluster>,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            if action.f == START {
                let start: DelayStart = action.payload()?;
                self.0 = true;
                cluster
                    .set_delay(&start.nodes, Some((start.delay_ms, start.jitter_ms)))
                    .await
                    .map_err(|e| e.to_string())
            } else {
                cluster
                    .set_delay(&[], None)
                    .await
                    .map_err(|e| e.to_string())?;
                self.0 = false;
                Ok(())
            }
        })
    }

    fn in_force(&self) -> Option<String> {
        self.0.then(|| "delay".to_string())
    }

    fn heal(&self) -> Option<Action> {
        self.0.then(|| Action::bare(STOP))
    }
}

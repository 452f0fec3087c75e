//! Packet delay: what the nodes send to their peers is held `delay_ms` ± `jitter_ms` (uniform or
//! normal). `delay-start` {nodes, delay_ms, jitter_ms, distribution} … `delay-stop`. Docker: the
//! NFQUEUE helper (no netem here); in-process: the simulated network holds the messages.

use faultline_netq::{Delay as DelayShape, Distribution, Shaping};
use faultline_targets::{BoxFuture, Target};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::shaping::Shaped;
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
    /// Absent in histories written before it existed: uniform, as then.
    #[serde(default)]
    pub distribution: Distribution,
}

/// The action that delays what `nodes` send.
pub fn delay(nodes: Vec<String>, delay_ms: u64, jitter_ms: u64) -> Action {
    Action::new(
        START,
        DelayStart {
            nodes,
            delay_ms,
            jitter_ms,
            distribution: Distribution::Uniform,
        },
    )
}

fn read(action: &Action) -> Result<(Vec<String>, Shaping), String> {
    let s: DelayStart = action.payload()?;
    let shaping = Shaping {
        delay: Some(DelayShape {
            delay_ms: s.delay_ms,
            jitter_ms: s.jitter_ms,
            distribution: s.distribution,
        }),
        ..Shaping::default()
    };
    Ok((s.nodes, shaping))
}

pub struct Delay;

impl Fault for Delay {
    fn words(&self) -> &'static [Word] {
        &[Word {
            name: "delay",
            help: "every node holds what it sends to its peers --delay-ms ± --jitter-ms (uniform)",
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
            read(action)?;
        }
        Ok(())
    }

    fn draw(&self, _word: &str, spec: &ScheduleSpec, _rng: &mut ChaCha8Rng) -> (Action, Action) {
        (
            delay(spec.nodes.clone(), spec.delay_ms, spec.jitter_ms),
            Action::bare(STOP),
        )
    }

    fn refusal(&self, asked: &str, _target: &dyn Target, nodes: usize) -> Option<String> {
        super::needs_peers(asked, nodes)
    }

    fn preflight<'a>(&self, cluster: &'a dyn Cluster) -> BoxFuture<'a, Result<(), String>> {
        cluster.shaping_support()
    }

    fn state(&self) -> Box<dyn FaultState> {
        Box::new(Shaped::new("delay", START, STOP, read))
    }
}

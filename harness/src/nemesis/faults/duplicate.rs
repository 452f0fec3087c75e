//! Packet duplication: the nodes send a copy of a fraction of what they send to their peers.
//! `duplicate-start` {nodes, probability} … `duplicate-stop`. Docker: the NFQUEUE helper sends the
//! copy on a raw socket whose mark skips the queue; in-process: the message is relayed twice.

use faultline_netq::{Duplicate as DuplicateShape, Shaping};
use faultline_targets::{BoxFuture, Target};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::shaping::Shaped;
use super::{Fault, FaultState, Word};
use crate::backend::Cluster;
use crate::nemesis::action::Action;
use crate::nemesis::schedule::ScheduleSpec;

const START: &str = "duplicate-start";
const STOP: &str = "duplicate-stop";

/// The value of `duplicate-start`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DuplicateStart {
    pub nodes: Vec<String>,
    /// The fraction of packets sent twice.
    pub probability: f64,
}

/// The action that makes `nodes` send `probability` of their packets twice.
pub fn duplicate(nodes: Vec<String>, probability: f64) -> Action {
    Action::new(START, DuplicateStart { nodes, probability })
}

fn read(action: &Action) -> Result<(Vec<String>, Shaping), String> {
    let s: DuplicateStart = action.payload()?;
    let shaping = Shaping {
        duplicate: Some(DuplicateShape {
            probability: s.probability,
        }),
        ..Shaping::default()
    };
    shaping.validate()?;
    Ok((s.nodes, shaping))
}

pub struct Duplicate;

impl Fault for Duplicate {
    fn words(&self) -> &'static [Word] {
        &[Word {
            name: "duplicate",
            help: "every node sends --duplicate-probability of its packets to peers twice",
        }]
    }

    fn starts(&self) -> &'static [&'static str] {
        &[START]
    }

    fn stop(&self) -> &'static str {
        STOP
    }

    fn family(&self) -> &'static str {
        "duplicate"
    }

    fn shade(&self) -> &'static str {
        "#8250df"
    }

    fn check(&self, action: &Action) -> Result<(), String> {
        if action.f == START {
            read(action)?;
        }
        Ok(())
    }

    fn draw(&self, _word: &str, spec: &ScheduleSpec, _rng: &mut ChaCha8Rng) -> (Action, Action) {
        (
            duplicate(spec.nodes.clone(), spec.duplicate_probability),
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
        Box::new(Shaped::new("duplicate", START, STOP, read))
    }
}

//! Packet reordering: the nodes hold a fraction of what they send to their peers `gap_ms` longer
//! than the rest, so packets sent after it within the gap arrive first. `reorder-start` {nodes,
//! probability, gap_ms} … `reorder-stop`. The gap is `--delay-ms` (netem's reorder also needs a
//! delay, and sends the chosen packets that much earlier than the others).

use faultline_netq::{Reorder as ReorderShape, Shaping};
use faultline_targets::{BoxFuture, Target};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::shaping::Shaped;
use super::{Fault, FaultState, Word};
use crate::backend::Cluster;
use crate::nemesis::action::Action;
use crate::nemesis::schedule::ScheduleSpec;

const START: &str = "reorder-start";
const STOP: &str = "reorder-stop";

/// The value of `reorder-start`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReorderStart {
    pub nodes: Vec<String>,
    /// The fraction of packets held back.
    pub probability: f64,
    pub gap_ms: u64,
}

/// The action that makes `nodes` hold back `probability` of their packets by `gap_ms`.
pub fn reorder(nodes: Vec<String>, probability: f64, gap_ms: u64) -> Action {
    Action::new(
        START,
        ReorderStart {
            nodes,
            probability,
            gap_ms,
        },
    )
}

fn read(action: &Action) -> Result<(Vec<String>, Shaping), String> {
    let s: ReorderStart = action.payload()?;
    let shaping = Shaping {
        reorder: Some(ReorderShape {
            probability: s.probability,
            gap_ms: s.gap_ms,
        }),
        ..Shaping::default()
    };
    shaping.validate()?;
    Ok((s.nodes, shaping))
}

pub struct Reorder;

impl Fault for Reorder {
    fn words(&self) -> &'static [Word] {
        &[Word {
            name: "reorder",
            help: "every node holds --reorder-probability of its packets to peers --delay-ms longer, so later ones overtake them",
        }]
    }

    fn starts(&self) -> &'static [&'static str] {
        &[START]
    }

    fn stop(&self) -> &'static str {
        STOP
    }

    fn family(&self) -> &'static str {
        "reorder"
    }

    fn shade(&self) -> &'static str {
        "#1a7f37"
    }

    fn check(&self, action: &Action) -> Result<(), String> {
        if action.f == START {
            read(action)?;
        }
        Ok(())
    }

    fn draw(&self, _word: &str, spec: &ScheduleSpec, _rng: &mut ChaCha8Rng) -> (Action, Action) {
        (
            reorder(
                spec.nodes.clone(),
                spec.reorder_probability,
                spec.delay_ms.max(1),
            ),
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
        Box::new(Shaped::new("reorder", START, STOP, read))
    }
}

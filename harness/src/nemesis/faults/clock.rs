//! Clock skew: nodes' wall clocks offset, jumped or flipped back and forth, without touching the
//! host clock. `clock-offset` {offsets}, `clock-bump` {deltas}, `clock-strobe` {nodes, delta,
//! period_ms} … `clock-reset`. Refused for targets whose clock cannot be skewed.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use faultline_targets::{BoxFuture, Target};
use rand::seq::IndexedRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;

use super::{some_nodes, Fault, FaultState, Word};
use crate::backend::Cluster;
use crate::nemesis::action::Action;
use crate::nemesis::aim::{aimed, Aim};
use crate::nemesis::schedule::ScheduleSpec;

const OFFSET: &str = "clock-offset";
const BUMP: &str = "clock-bump";
const STROBE: &str = "clock-strobe";
const RESET: &str = "clock-reset";

/// The value of `clock-offset`: each node's offset from true time, seconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClockOffset {
    pub offsets: BTreeMap<String, f64>,
}

/// The value of `clock-bump`: a jump added to each node's current offset, seconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClockBump {
    pub deltas: BTreeMap<String, f64>,
}

/// The value of `clock-strobe`: the nodes' clocks flip between their offset and offset + `delta`
/// every `period_ms`, until the next reset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClockStrobe {
    pub nodes: Vec<String>,
    pub delta: f64,
    pub period_ms: u64,
}

/// The action that sets these offsets.
pub fn offset(offsets: BTreeMap<String, f64>) -> Action {
    Action::new(OFFSET, ClockOffset { offsets })
}

/// The action that adds these jumps.
pub fn bump(deltas: BTreeMap<String, f64>) -> Action {
    Action::new(BUMP, ClockBump { deltas })
}

pub struct Clock;

impl Fault for Clock {
    fn words(&self) -> &'static [Word] {
        &[
            Word {
                name: "clock",
                help: "an offset, a bump or a strobe, at random each time",
            },
            Word {
                name: "clock-offset",
                help: "every node's clock set up to --max-clock-skew off",
            },
            Word {
                name: "clock-bump",
                help: "some nodes' clocks jump by up to --max-clock-skew",
            },
            Word {
                name: "clock-strobe",
                help: "some nodes' clocks flip back and forth every 250 ms",
            },
            Word {
                name: "clock-leader",
                help: "the leader's clock (as the nodes report it when the fault starts) jumps by up to --max-clock-skew",
            },
        ]
    }

    fn starts(&self) -> &'static [&'static str] {
        &[OFFSET, BUMP, STROBE]
    }

    fn stop(&self) -> &'static str {
        RESET
    }

    fn family(&self) -> &'static str {
        "clock"
    }

    fn shade(&self) -> &'static str {
        "#0969da"
    }

    fn check(&self, action: &Action) -> Result<(), String> {
        match action.f.as_str() {
            OFFSET => action.payload::<ClockOffset>().map(|_| ()),
            BUMP => action.payload::<ClockBump>().map(|_| ()),
            STROBE => action.payload::<ClockStrobe>().map(|_| ()),
            _ => Ok(()),
        }
    }

    fn draw(&self, word: &str, spec: &ScheduleSpec, rng: &mut ChaCha8Rng) -> (Action, Action) {
        let sub = match word.strip_prefix("clock-") {
            Some(sub) => sub,
            None => ["offset", "bump", "strobe"].choose(rng).expect("non-empty"),
        };
        let skew = spec.max_clock_skew_secs;
        let jump = |rng: &mut ChaCha8Rng| {
            let s: f64 = rng.random_range(-skew..=skew);
            (s * 1000.0).round() / 1000.0
        };
        let start = match sub {
            "leader" => aimed(BUMP, Aim::Leader, serde_json::json!({ "delta": jump(rng) })),
            "offset" => offset(spec.nodes.iter().map(|n| (n.clone(), jump(rng))).collect()),
            "bump" => bump(
                some_nodes(&spec.nodes, rng)
                    .into_iter()
                    .map(|n| (n, jump(rng)))
                    .collect(),
            ),
            _ => Action::new(
                STROBE,
                ClockStrobe {
                    nodes: some_nodes(&spec.nodes, rng),
                    delta: jump(rng),
                    period_ms: 250,
                },
            ),
        };
        (start, Action::bare(RESET))
    }

    fn aim_at(&self, action: &Action, nodes: &[String], _all: &[String]) -> Result<Action, String> {
        if action.f != BUMP {
            return Err(format!("{} cannot be aimed at a role", action.f));
        }
        let delta = action.value["delta"]
            .as_f64()
            .ok_or_else(|| format!("{BUMP}: an aimed bump needs a number delta"))?;
        Ok(bump(nodes.iter().map(|n| (n.clone(), delta)).collect()))
    }

    fn refusal(&self, _asked: &str, target: &dyn Target, _nodes: usize) -> Option<String> {
        target
            .clock_skew_support()
            .err()
            .map(|e| format!("cannot skew the clock of target {}: {e}", target.name()))
    }

    fn needs_clock(&self) -> bool {
        true
    }

    fn state(&self) -> Box<dyn FaultState> {
        Box::new(Skew::default())
    }
}

/// The offsets in force and the strobe task, if one runs.
#[derive(Default)]
struct Skew {
    skewed: bool,
    offsets: BTreeMap<String, f64>,
    strobe: Option<JoinHandle<()>>,
}

impl Skew {
    fn stop_strobe(&mut self) {
        if let Some(strobe) = self.strobe.take() {
            strobe.abort();
        }
    }

    fn current(&self, node: &str) -> f64 {
        self.offsets.get(node).copied().unwrap_or(0.0)
    }

    async fn set(&mut self, cluster: &dyn Cluster, set: Vec<(String, f64)>) -> Result<(), String> {
        cluster
            .set_clock_offsets(&set)
            .await
            .map_err(|e| e.to_string())?;
        self.offsets.extend(set);
        Ok(())
    }
}

impl FaultState for Skew {
    fn apply<'a>(
        &'a mut self,
        action: &'a Action,
        cluster: &'a Arc<dyn Cluster>,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            match action.f.as_str() {
                OFFSET => {
                    self.skewed = true;
                    let ClockOffset { offsets } = action.payload()?;
                    self.set(cluster.as_ref(), offsets.into_iter().collect())
                        .await
                }
                BUMP => {
                    self.skewed = true;
                    let ClockBump { deltas } = action.payload()?;
                    let set = deltas
                        .into_iter()
                        .map(|(n, d)| {
                            let now = self.current(&n);
                            (n, now + d)
                        })
                        .collect();
                    self.set(cluster.as_ref(), set).await
                }
                STROBE => {
                    self.skewed = true;
                    let strobe: ClockStrobe = action.payload()?;
                    let base: Vec<(String, f64)> = strobe
                        .nodes
                        .iter()
                        .map(|n| (n.clone(), self.current(n)))
                        .collect();
                    let period = Duration::from_millis(strobe.period_ms.max(50));
                    self.stop_strobe();
                    let cluster = cluster.clone();
                    self.strobe = Some(tokio::spawn(async move {
                        let mut flipped = false;
                        loop {
                            flipped = !flipped;
                            let set: Vec<_> = base
                                .iter()
                                .map(|(n, b)| {
                                    (n.clone(), b + if flipped { strobe.delta } else { 0.0 })
                                })
                                .collect();
                            let _ = cluster.set_clock_offsets(&set).await;
                            tokio::time::sleep(period).await;
                        }
                    }));
                    Ok(())
                }
                _ => {
                    self.stop_strobe();
                    let zero: Vec<(String, f64)> = cluster
                        .spec()
                        .nodes
                        .iter()
                        .map(|n| (n.name.clone(), 0.0))
                        .collect();
                    cluster
                        .set_clock_offsets(&zero)
                        .await
                        .map_err(|e| e.to_string())?;
                    self.offsets.clear();
                    self.skewed = false;
                    Ok(())
                }
            }
        })
    }

    fn in_force(&self) -> Option<String> {
        (self.skewed || self.strobe.is_some()).then(|| "clock skew".to_string())
    }

    fn heal(&self) -> Option<Action> {
        (self.skewed || self.strobe.is_some()).then(|| Action::bare(RESET))
    }
}

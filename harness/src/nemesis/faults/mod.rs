//! The fault list: every nemesis fault is one unit, and [`ALL`] is the only place that lists them.
//! The CLI help, `--nemesis` parsing, schedule generation, schedule-file parsing, the executor, the
//! refusals before a run and the report's fault windows all derive from it.
//!
//! **To add a fault**: copy `pause.rs` (a start/stop fault on some nodes) or `clock.rs` (a fault with
//! several actions and a task that keeps acting while in force) to a new file, give it its `--nemesis` words, its
//! history `f` names, how it draws, applies and heals, and add one line to [`ALL`] (and a `mod`
//! line). Faults act only through the backend's primitives ([`Cluster`]), so they work on Docker
//! and in-process alike. The history keeps each fault's `f`/`value` shape: change it only with a
//! new `f` name.

mod clock;
mod delay;
mod duplicate;
mod isolate_each;
mod kill;
mod loss;
mod partition;
mod pause;
mod reorder;
mod rolling_restart;
mod shaping;

use std::collections::BTreeSet;
use std::sync::Arc;

use faultline_targets::{BoxFuture, Target};
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::action::Action;
use super::schedule::ScheduleSpec;
use crate::backend::{BackendError, Cluster};

pub use clock::{bump, offset};
pub use delay::delay;
pub use duplicate::duplicate;
pub use kill::{kill, restart};
pub use loss::loss;
pub use partition::{grudge, partition, SHAPES};
pub use pause::{pause, resume};
pub use reorder::reorder;

/// Every fault, in the order the nemesis heals them (and describes them on the progress line).
pub static ALL: &[&dyn Fault] = &[
    &partition::Partition,
    &isolate_each::IsolateEach,
    &loss::Loss,
    &delay::Delay,
    &duplicate::Duplicate,
    &reorder::Reorder,
    &pause::Pause,
    &kill::Kill,
    &rolling_restart::RollingRestart,
    &clock::Clock,
];

/// A `--nemesis` word and its line in `--help`.
pub struct Word {
    pub name: &'static str,
    pub help: &'static str,
}

/// One kind of fault.
pub trait Fault: Sync {
    /// The `--nemesis` words that ask for it.
    fn words(&self) -> &'static [Word];

    /// The history `f` of the actions that put it in force.
    fn starts(&self) -> &'static [&'static str];

    /// The history `f` of the action that heals it.
    fn stop(&self) -> &'static str;

    /// The report's name for its windows (`fault-<family>` is the shading class).
    fn family(&self) -> &'static str;

    /// The fill colour of its windows in the report's plots.
    fn shade(&self) -> &'static str {
        "#cf222e"
    }

    /// Checks one of its actions (from a schedule file): `Err` says what is wrong with the value.
    fn check(&self, action: &Action) -> Result<(), String>;

    /// Draws one fault for `word`: the action that starts it and the one that ends it.
    fn draw(&self, word: &str, spec: &ScheduleSpec, rng: &mut ChaCha8Rng) -> (Action, Action);

    /// The concrete action an aimed action (drawn without nodes, see [`crate::nemesis::aim`])
    /// becomes on `nodes`, chosen from the roles when it is applied; `all` is every node. Faults
    /// that cannot be aimed refuse.
    fn aim_at(&self, action: &Action, nodes: &[String], all: &[String]) -> Result<Action, String> {
        let _ = (nodes, all);
        Err(format!("{} cannot be aimed at a role", action.f))
    }

    /// Why it cannot run against `target` with `nodes` nodes; `asked` is the word or action that
    /// asked for it, for the message.
    fn refusal(&self, asked: &str, target: &dyn Target, nodes: usize) -> Option<String> {
        let _ = (asked, target, nodes);
        None
    }

    /// Whether the Docker backend must preload libfaketime for it.
    fn needs_clock(&self) -> bool {
        false
    }

    /// Checked on the running cluster before the clients start, when the schedule holds it.
    fn preflight<'a>(&self, cluster: &'a dyn Cluster) -> BoxFuture<'a, Result<(), String>> {
        let _ = cluster;
        Box::pin(async { Ok(()) })
    }

    /// What a run tracks of it while it may be in force.
    fn state(&self) -> Box<dyn FaultState>;

    /// Whether history event `f` is one of its actions.
    fn owns(&self, f: &str) -> bool {
        self.stop() == f || self.starts().contains(&f)
    }
}

/// One fault's part of the nemesis during a run.
pub trait FaultState: Send {
    /// Applies one of the fault's actions through the cluster's primitives.
    fn apply<'a>(
        &'a mut self,
        action: &'a Action,
        cluster: &'a Arc<dyn Cluster>,
    ) -> BoxFuture<'a, Result<(), String>>;

    /// What is in force, in a few words (`partition halves`, `killed n1,n2`); `None` when healed.
    fn in_force(&self) -> Option<String>;

    /// The action that heals what is in force; `None` when nothing is.
    fn heal(&self) -> Option<Action>;
}

/// The fault whose action `f` is.
pub fn owner(f: &str) -> Option<&'static dyn Fault> {
    ALL.iter().copied().find(|fault| fault.owns(f))
}

/// The fault a `--nemesis` word asks for.
pub fn by_word(word: &str) -> Option<&'static dyn Fault> {
    ALL.iter()
        .copied()
        .find(|fault| fault.words().iter().any(|w| w.name == word))
}

/// Every `--nemesis` word, in list order.
pub fn words() -> impl Iterator<Item = &'static str> {
    ALL.iter()
        .flat_map(|fault| fault.words().iter().map(|w| w.name))
}

/// Whether `f` puts a fault in force (rather than healing it, or being no fault at all).
pub fn is_start(f: &str) -> bool {
    owner(f).is_some_and(|fault| fault.starts().contains(&f))
}

/// Checks a schedule file's action: a known `f` whose value its fault accepts.
pub fn check(action: &Action) -> Result<(), String> {
    match owner(&action.f) {
        // An aimed action holds no nodes yet: it is right when it can be pointed at some.
        Some(fault) if super::aim::of(action)?.is_some() => {
            let all = ["n1".to_string(), "n2".to_string(), "n3".to_string()];
            fault.aim_at(action, &all[..1], &all).map(|_| ())
        }
        Some(fault) => fault.check(action),
        None => Err(format!(
            "unknown nemesis action {:?}; known: {}",
            action.f,
            ALL.iter()
                .flat_map(|f| f.starts().iter().copied().chain([f.stop()]))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// The `--nemesis` help: one line per word.
pub fn help() -> String {
    let mut text = String::from("Faults, comma-separated, or none:");
    for fault in ALL {
        for w in fault.words() {
            text.push_str(&format!("\n  {:<24}{}", w.name, w.help));
        }
    }
    text
}

/// The report's CSS for each fault's windows.
pub fn shading_css() -> String {
    ALL.iter()
        .map(|f| format!(".fault-{}{{fill:{}}}", f.family(), f.shade()))
        .collect()
}

/// The payload of faults that act on some nodes (`kill`, `pause`...).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Nodes {
    pub nodes: Vec<String>,
}

/// A random non-empty subset: one node, a minority, or (rarely) all of them.
pub fn some_nodes(nodes: &[String], rng: &mut ChaCha8Rng) -> Vec<String> {
    let mut shuffled = nodes.to_vec();
    shuffled.shuffle(rng);
    let count = match rng.random_range(0..4) {
        0 | 1 => 1,
        2 => nodes.len().div_ceil(2).saturating_sub(1).max(1),
        _ => nodes.len(),
    };
    shuffled.truncate(count);
    shuffled.sort();
    shuffled
}

/// The refusal of faults that act on traffic between nodes, for a one-node cluster.
pub fn needs_peers(asked: &str, nodes: usize) -> Option<String> {
    (nodes == 1).then(|| format!(
        "the {asked} nemesis acts only on traffic between nodes, and a single node has no peers, so the run would have no faults (clients are never cut off); use kill, pause or clock"
    ))
}

/// What a primitive that starts (`true`) or ends a fault on some nodes does.
pub type NodesPrimitive =
    for<'a> fn(&'a dyn Cluster, bool, &'a [String]) -> BoxFuture<'a, Result<(), BackendError>>;

/// The state of a fault that starts and ends on some nodes ([`Nodes`] payloads: kill, pause):
/// which nodes it holds now.
pub struct OnNodes {
    start: &'static str,
    stop: &'static str,
    /// `killed`, `paused`: for the progress line.
    verb: &'static str,
    act: NodesPrimitive,
    held: BTreeSet<String>,
}

impl OnNodes {
    pub fn new(
        start: &'static str,
        stop: &'static str,
        verb: &'static str,
        act: NodesPrimitive,
    ) -> OnNodes {
        OnNodes {
            start,
            stop,
            verb,
            act,
            held: BTreeSet::new(),
        }
    }
}

impl FaultState for OnNodes {
    fn apply<'a>(
        &'a mut self,
        action: &'a Action,
        cluster: &'a Arc<dyn Cluster>,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let Nodes { nodes } = action.payload()?;
            let starting = action.f == self.start;
            (self.act)(cluster.as_ref(), starting, &nodes)
                .await
                .map_err(|e| e.to_string())?;
            if starting {
                self.held.extend(nodes);
            } else {
                for n in &nodes {
                    self.held.remove(n);
                }
            }
            Ok(())
        })
    }

    fn in_force(&self) -> Option<String> {
        (!self.held.is_empty()).then(|| format!("{} {}", self.verb, names(&self.held)))
    }

    fn heal(&self) -> Option<Action> {
        (!self.held.is_empty()).then(|| {
            Action::new(
                self.stop,
                Nodes {
                    nodes: self.held.iter().cloned().collect(),
                },
            )
        })
    }
}

/// Node names joined for the progress line: `n1,n2`.
pub fn names<'a>(nodes: impl IntoIterator<Item = &'a String>) -> String {
    nodes.into_iter().cloned().collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_and_action_has_exactly_one_owner() {
        let words: Vec<&str> = words().collect();
        for w in &words {
            assert_eq!(words.iter().filter(|x| *x == w).count(), 1, "{w}");
            assert!(by_word(w).is_some());
        }
        for fault in ALL {
            for f in fault.starts().iter().chain([&fault.stop()]) {
                assert!(std::ptr::eq(
                    owner(f).unwrap() as *const dyn Fault as *const u8,
                    *fault as *const dyn Fault as *const u8
                ));
                assert_eq!(is_start(f), *f != fault.stop(), "{f}");
            }
        }
        assert!(owner("final-reads").is_none());
        let help = help();
        assert!(help.contains("partition-one-way") && help.contains("clock-strobe"));
        assert!(shading_css().contains(".fault-kill{fill:"));
    }

    #[test]
    fn schedule_actions_are_checked_by_their_fault() {
        assert!(check(&kill(vec!["n1".into()])).is_ok());
        let bad = Action::new("kill", serde_json::json!({"nodes": "n1"}));
        assert!(check(&bad).unwrap_err().contains("kill"));
        let unknown = check(&Action::bare("melt")).unwrap_err();
        assert!(unknown.contains("melt") && unknown.contains("partition-start"));
    }
}

//! Partitions: each node drops the traffic from the nodes it holds a grudge against, in one of
//! several shapes (Jepsen's partitioners). `partition-start` {kind, grudge} … `partition-stop`.

use std::sync::Arc;

use faultline_targets::{BoxFuture, Target};
use rand::seq::{IndexedRandom, SliceRandom};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::{Fault, FaultState, Word};
use crate::backend::{Cluster, Grudge};
use crate::nemesis::action::Action;
use crate::nemesis::aim::{aimed, Aim};
use crate::nemesis::schedule::ScheduleSpec;

const START: &str = "partition-start";
const STOP: &str = "partition-stop";

/// The value of `partition-start`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartitionStart {
    /// The shape (`one`, `halves`...), for people reading the history.
    pub kind: String,
    pub grudge: Grudge,
}

/// The action that puts `grudge` in force.
pub fn partition(kind: &str, grudge: Grudge) -> Action {
    Action::new(
        START,
        PartitionStart {
            kind: kind.to_string(),
            grudge,
        },
    )
}

pub struct Partition;

impl Fault for Partition {
    fn words(&self) -> &'static [Word] {
        &[
            Word {
                name: "partition",
                help: "a partition of a random shape each time",
            },
            Word {
                name: "partition-one",
                help: "one node cut off from the others, both ways",
            },
            Word {
                name: "partition-halves",
                help: "the first half of the nodes against the rest",
            },
            Word {
                name: "partition-random-halves",
                help: "random halves",
            },
            Word {
                name: "partition-ring",
                help: "every node sees a majority, no two the same one",
            },
            Word {
                name: "partition-bridge",
                help: "two halves joined by one node that hears both",
            },
            Word {
                name: "partition-one-way",
                help: "one node stops hearing the others; they still hear it",
            },
            Word {
                name: "partition-leader",
                help: "the leader (as the nodes report it when the fault starts) in a minority, cut off from the rest",
            },
            Word {
                name: "partition-follower",
                help: "one follower of the current leader cut off from the others, both ways",
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
        "partition"
    }

    fn check(&self, action: &Action) -> Result<(), String> {
        if action.f == START {
            action.payload::<PartitionStart>()?;
        }
        Ok(())
    }

    fn draw(&self, word: &str, spec: &ScheduleSpec, rng: &mut ChaCha8Rng) -> (Action, Action) {
        let aim = match word {
            "partition-leader" => Some(Aim::LeaderMinority),
            "partition-follower" => Some(Aim::Follower),
            _ => None,
        };
        if let Some(aim) = aim {
            let kind = word.trim_start_matches("partition-");
            return (
                aimed(START, aim, serde_json::json!({ "kind": kind })),
                Action::bare(STOP),
            );
        }
        let shape = match word.strip_prefix("partition-") {
            Some(shape) => shape,
            None => SHAPES.choose(rng).expect("non-empty"),
        };
        let grudge = grudge(shape, &spec.nodes, rng).unwrap_or_default();
        (partition(shape, grudge), Action::bare(STOP))
    }

    fn refusal(&self, asked: &str, _target: &dyn Target, nodes: usize) -> Option<String> {
        super::needs_peers(asked, nodes)
    }

    fn aim_at(&self, action: &Action, nodes: &[String], all: &[String]) -> Result<Action, String> {
        if action.f != START {
            return Ok(Action::bare(STOP));
        }
        let kind = action.value["kind"].as_str().unwrap_or("aimed");
        let rest: Vec<String> = all.iter().filter(|n| !nodes.contains(n)).cloned().collect();
        Ok(partition(kind, complete(nodes, &rest)))
    }

    fn state(&self) -> Box<dyn FaultState> {
        Box::new(InForce::default())
    }
}

/// The shape in force, if any.
#[derive(Default)]
struct InForce(Option<String>);

impl FaultState for InForce {
    fn apply<'a>(
        &'a mut self,
        action: &'a Action,
        cluster: &'a Arc<dyn Cluster>,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            if action.f == START {
                let start: PartitionStart = action.payload()?;
                self.0 = Some(start.kind);
                cluster
                    .set_grudge(&start.grudge)
                    .await
                    .map_err(|e| e.to_string())
            } else {
                cluster
                    .set_grudge(&Grudge::new())
                    .await
                    .map_err(|e| e.to_string())?;
                self.0 = None;
                Ok(())
            }
        })
    }

    fn in_force(&self) -> Option<String> {
        self.0
            .as_ref()
            .map(|kind| format!("partition {kind}").trim_end().to_string())
    }

    fn heal(&self) -> Option<Action> {
        self.0.as_ref().map(|_| Action::bare(STOP))
    }
}

/// The partition shapes `--nemesis` accepts (`partition` picks one at random each time).
pub const SHAPES: &[&str] = &[
    "one",
    "halves",
    "random-halves",
    "ring",
    "bridge",
    "one-way",
];

/// Every node holds a grudge against every node of the other side.
fn complete(a: &[String], b: &[String]) -> Grudge {
    let mut g = Grudge::new();
    for x in a {
        g.insert(x.clone(), b.to_vec());
    }
    for y in b {
        g.insert(y.clone(), a.to_vec());
    }
    g
}

/// The grudge of partition shape `shape` over `nodes`, random choices drawn from `rng`.
pub fn grudge(shape: &str, nodes: &[String], rng: &mut impl Rng) -> Option<Grudge> {
    let n = nodes.len();
    if n < 2 {
        return Some(Grudge::new());
    }
    Some(match shape {
        // One node cut off from all others, both ways.
        "one" => {
            let i = rng.random_range(0..n);
            let others: Vec<String> = nodes.iter().filter(|x| **x != nodes[i]).cloned().collect();
            complete(&nodes[i..=i], &others)
        }
        // The first ⌈n/2⌉ nodes against the rest, as listed.
        "halves" => {
            let (a, b) = nodes.split_at(n.div_ceil(2));
            complete(a, b)
        }
        "random-halves" => {
            let mut shuffled = nodes.to_vec();
            shuffled.shuffle(rng);
            let (a, b) = shuffled.split_at(n.div_ceil(2));
            complete(a, b)
        }
        // Nodes on a shuffled ring; each one hears a majority window around itself, and the windows
        // differ, so every node sees a majority but no two agree on which (Jepsen's majorities-ring).
        "ring" => {
            let mut ring = nodes.to_vec();
            ring.shuffle(rng);
            let majority = n / 2 + 1;
            let back = (majority - 1) / 2;
            let ahead = majority - 1 - back;
            let mut g = Grudge::new();
            for i in 0..n {
                let visible: Vec<usize> = (0..=back)
                    .map(|d| (i + n - d) % n)
                    .chain((1..=ahead).map(|d| (i + d) % n))
                    .collect();
                let dropped: Vec<String> = (0..n)
                    .filter(|j| !visible.contains(j))
                    .map(|j| ring[j].clone())
                    .collect();
                if !dropped.is_empty() {
                    g.insert(ring[i].clone(), dropped);
                }
            }
            g
        }
        // Two halves that cannot talk, joined by one bridge node that talks to both.
        "bridge" => {
            let mut shuffled = nodes.to_vec();
            shuffled.shuffle(rng);
            // The bridge: in neither half, so nobody holds a grudge against it.
            shuffled.remove(0);
            let (a, b) = shuffled.split_at(shuffled.len().div_ceil(2));
            complete(a, b)
        }
        // One node stops hearing the others; they still hear it.
        "one-way" => {
            let i = rng.random_range(0..n);
            let others: Vec<String> = nodes.iter().filter(|x| **x != nodes[i]).cloned().collect();
            Grudge::from([(nodes[i].clone(), others)])
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn nodes(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("n{i}")).collect()
    }

    /// Who can hear whom: `hears(g, a, b)` when a does not drop b.
    fn hears(g: &Grudge, a: &str, b: &str) -> bool {
        !g.get(a).is_some_and(|d| d.iter().any(|x| x == b))
    }

    #[test]
    fn isolate_one_cuts_both_ways() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let g = grudge("one", &nodes(5), &mut rng).unwrap();
        let lonely: Vec<&String> = g
            .iter()
            .filter(|(_, d)| d.len() == 4)
            .map(|(k, _)| k)
            .collect();
        assert_eq!(lonely.len(), 1);
        for other in nodes(5).iter().filter(|x| *x != lonely[0]) {
            assert!(!hears(&g, other, lonely[0]) && !hears(&g, lonely[0], other));
            assert_eq!(g[other].len(), 1);
        }
    }

    #[test]
    fn halves_split_majority_and_minority() {
        let g = grudge("halves", &nodes(5), &mut ChaCha8Rng::seed_from_u64(1)).unwrap();
        assert_eq!(g["n1"], ["n4", "n5"]);
        assert_eq!(g["n5"], ["n1", "n2", "n3"]);
        assert!(hears(&g, "n1", "n3"));
    }

    #[test]
    fn ring_gives_every_node_a_majority_but_no_common_one() {
        for n in [3, 4, 5, 7] {
            let ns = nodes(n);
            let g = grudge("ring", &ns, &mut ChaCha8Rng::seed_from_u64(n as u64)).unwrap();
            for a in &ns {
                let heard = ns.iter().filter(|b| hears(&g, a, b)).count();
                assert_eq!(heard, n / 2 + 1, "node {a} of {n}");
            }
            // Not a plain clean split: more than two distinct views.
            let views: std::collections::BTreeSet<Vec<String>> = ns
                .iter()
                .map(|a| ns.iter().filter(|b| hears(&g, a, b)).cloned().collect())
                .collect();
            assert!(views.len() > 2, "{n} nodes: {views:?}");
        }
    }

    #[test]
    fn bridge_node_hears_everyone() {
        let ns = nodes(5);
        let g = grudge("bridge", &ns, &mut ChaCha8Rng::seed_from_u64(3)).unwrap();
        let bridges: Vec<&String> = ns.iter().filter(|a| !g.contains_key(*a)).collect();
        assert_eq!(bridges.len(), 1);
        assert!(ns.iter().all(|a| hears(&g, a, bridges[0])));
        assert_eq!(g.len(), 4);
    }

    #[test]
    fn one_way_only_one_side_drops() {
        let g = grudge("one-way", &nodes(3), &mut ChaCha8Rng::seed_from_u64(2)).unwrap();
        assert_eq!(g.len(), 1);
        assert_eq!(g.values().next().unwrap().len(), 2);
        assert!(grudge("sideways", &nodes(3), &mut ChaCha8Rng::seed_from_u64(2)).is_none());
    }
}

//! `crdt` mode: state-based CRDTs with anti-entropy gossip (Shapiro et al., "Conflict-free
//! Replicated Data Types", 2011) — an OR-Set (each add tagged with a unique dot `(node, n)`) and a
//! PN-counter (per-node increment and decrement totals).
//!
//! Any node accepts `set-add` / `counter-add`, makes it durable, acknowledges it and broadcasts the
//! delta; every [`CrdtOptions::gossip_ms`] each node sends its whole state to every peer. Merge is
//! a join (union of dots, per-node maximum), so replicas converge once they can talk again and no
//! acknowledged add is ever lost. Reads are local, so they may be stale while partitioned.
//! The protocol has no remove operation; the OR-Set's tags are what would make one safe.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{Effects, Mode, NodeContext, NodeId, Token};
use crate::journal::Journal;
use crate::protocol::{errors, key_name, OpKind, Request, Response, Status};

#[derive(Clone, Debug)]
pub struct CrdtOptions {
    pub gossip_ms: u64,
}

impl Default for CrdtOptions {
    fn default() -> Self {
        CrdtOptions { gossip_ms: 200 }
    }
}

/// A unique tag of one add: the node that made it and that node's add counter.
pub type Dot = (NodeId, u64);

/// An add-only OR-Set: element (by its JSON text) → its value and the dots that added it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OrSet {
    pub adds: BTreeMap<String, (Value, BTreeSet<Dot>)>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PnCounter {
    pub p: BTreeMap<NodeId, u64>,
    pub n: BTreeMap<NodeId, u64>,
}

impl PnCounter {
    pub fn value(&self) -> i64 {
        self.p.values().sum::<u64>() as i64 - self.n.values().sum::<u64>() as i64
    }
}

/// The whole replicated state (also the shape of a delta and of a gossip message).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CrdtState {
    pub sets: BTreeMap<String, OrSet>,
    pub counters: BTreeMap<String, PnCounter>,
}

impl CrdtState {
    /// The join: commutative, associative, idempotent.
    pub fn merge(&mut self, other: &CrdtState) {
        for (key, set) in &other.sets {
            let mine = self.sets.entry(key.clone()).or_default();
            for (elem, (value, dots)) in &set.adds {
                let entry = mine
                    .adds
                    .entry(elem.clone())
                    .or_insert_with(|| (value.clone(), BTreeSet::new()));
                entry.1.extend(dots.iter().cloned());
            }
        }
        for (key, counter) in &other.counters {
            let mine = self.counters.entry(key.clone()).or_default();
            for (node, v) in &counter.p {
                let e = mine.p.entry(node.clone()).or_default();
                *e = (*e).max(*v);
            }
            for (node, v) in &counter.n {
                let e = mine.n.entry(node.clone()).or_default();
                *e = (*e).max(*v);
            }
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "kebab-case")]
pub enum CrdtMessage {
    State { state: CrdtState },
}

pub struct CrdtMode {
    id: NodeId,
    peers: Vec<NodeId>,
    options: CrdtOptions,
    journal: Journal<CrdtState>,
    state: CrdtState,
    next_dot: u64,
    next_gossip_ms: u64,
}

type Fx = Effects<CrdtMessage>;

impl CrdtMode {
    pub fn new(mut ctx: NodeContext, options: CrdtOptions) -> std::io::Result<CrdtMode> {
        let mut journal: Journal<CrdtState> = Journal::new(ctx.take_store());
        let mut state = CrdtState::default();
        for delta in journal.replay()? {
            state.merge(&delta);
        }
        // Never reuse a dot of ours from before a crash.
        let next_dot = state
            .sets
            .values()
            .flat_map(|s| s.adds.values())
            .flat_map(|(_, dots)| dots.iter())
            .filter(|(n, _)| *n == ctx.id)
            .map(|(_, c)| *c + 1)
            .max()
            .unwrap_or(1);
        Ok(CrdtMode {
            peers: ctx.peers(),
            id: ctx.id,
            options,
            journal,
            state,
            next_dot,
            next_gossip_ms: ctx.now_ms,
        })
    }

    /// Applies a local delta: durable, merged, broadcast.
    fn local(&mut self, delta: CrdtState, fx: &mut Fx) {
        self.journal.append(&delta);
        self.state.merge(&delta);
        for p in &self.peers {
            fx.send(
                p,
                CrdtMessage::State {
                    state: delta.clone(),
                },
            );
        }
    }
}

impl Mode for CrdtMode {
    type Msg = CrdtMessage;

    fn on_client(&mut self, token: Token, req: Request, _now_ms: u64, fx: &mut Fx) {
        let key = req.key.as_ref().map(key_name);
        let answer = match (req.op, key) {
            (OpKind::Status, _) => Response::ok(req.id, self.status().to_value()),
            (OpKind::SetAdd, Some(k)) => {
                let dot = (self.id.clone(), self.next_dot);
                self.next_dot += 1;
                let mut set = OrSet::default();
                set.adds.insert(
                    req.value.to_string(),
                    (req.value.clone(), BTreeSet::from([dot])),
                );
                let delta = CrdtState {
                    sets: BTreeMap::from([(k, set)]),
                    ..CrdtState::default()
                };
                self.local(delta, fx);
                Response::ok(req.id, req.value.clone())
            }
            (OpKind::SetRead, Some(k)) => Response::ok(
                req.id,
                Value::Array(
                    self.state
                        .sets
                        .get(&k)
                        .map(|s| s.adds.values().map(|(v, _)| v.clone()).collect())
                        .unwrap_or_default(),
                ),
            ),
            (OpKind::CounterAdd, Some(k)) => match req.value.as_i64() {
                Some(delta_value) => {
                    let mut counter = self.state.counters.get(&k).cloned().unwrap_or_default();
                    let side = if delta_value >= 0 {
                        &mut counter.p
                    } else {
                        &mut counter.n
                    };
                    *side.entry(self.id.clone()).or_default() += delta_value.unsigned_abs();
                    let delta = CrdtState {
                        counters: BTreeMap::from([(k, counter)]),
                        ..CrdtState::default()
                    };
                    self.local(delta, fx);
                    Response::ok(req.id, req.value.clone())
                }
                None => Response::fail(req.id, errors::BAD_REQUEST),
            },
            (OpKind::CounterRead, Some(k)) => Response::ok(
                req.id,
                json!(self.state.counters.get(&k).map_or(0, PnCounter::value)),
            ),
            (OpKind::SetAdd | OpKind::SetRead | OpKind::CounterAdd | OpKind::CounterRead, None) => {
                Response::fail(req.id, errors::BAD_REQUEST)
            }
            _ => Response::fail(req.id, errors::UNSUPPORTED),
        };
        fx.reply(token, answer);
    }

    fn on_peer(&mut self, _from: &str, msg: CrdtMessage, _now_ms: u64, _fx: &mut Fx) {
        let CrdtMessage::State { state } = msg;
        // Remote state is not journaled: its origin keeps it durably and gossips it again.
        self.state.merge(&state);
    }

    fn on_tick(&mut self, now_ms: u64, fx: &mut Fx) {
        if now_ms >= self.next_gossip_ms {
            self.next_gossip_ms = now_ms + self.options.gossip_ms;
            for p in &self.peers {
                fx.send(
                    p,
                    CrdtMessage::State {
                        state: self.state.clone(),
                    },
                );
            }
        }
    }

    fn flush(&mut self, _now_ms: u64, _fx: &mut Fx) -> std::io::Result<()> {
        self.journal.sync()
    }

    fn status(&self) -> Status {
        Status {
            commit_index: self.next_dot - 1,
            ..Status::new("crdt", &self.id, "replica")
        }
    }
}

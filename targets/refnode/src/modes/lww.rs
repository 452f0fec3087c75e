//! `lww` mode: multi-master registers, last writer wins on wall-clock timestamps with the node id
//! as tie-break — the pattern of Cassandra cells and many "eventually consistent" caches.
//!
//! Any node accepts a write, stamps it with its own wall clock (through [`WallClock`], so
//! libfaketime skew reaches it), stores it if the stamp beats the stored one, acknowledges it, and
//! broadcasts it; every [`LwwOptions::gossip_ms`] each node sends its whole map to every peer
//! (anti-entropy), so replicas converge after a partition heals. Reads are local.
//!
//! Expected: converges, but under clock skew a later write (in real time) can carry an older
//! stamp and silently lose — an acknowledged update missing from the final state.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{Effects, Mode, NodeContext, NodeId, Token};
use crate::clock::WallClock;
use crate::journal::Journal;
use crate::protocol::{errors, key_name, OpKind, Request, Response, Status};

#[derive(Clone, Debug)]
pub struct LwwOptions {
    pub gossip_ms: u64,
}

impl Default for LwwOptions {
    fn default() -> Self {
        LwwOptions { gossip_ms: 500 }
    }
}

/// A write's stamp: wall-clock nanoseconds, then node id. Ordered lexicographically.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Stamp {
    pub nanos: u64,
    pub node: NodeId,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub value: Value,
    pub stamp: Stamp,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "kebab-case")]
pub enum LwwMessage {
    /// Cells to merge (one fresh write, or a node's whole map).
    Cells { cells: BTreeMap<String, Cell> },
}

pub struct LwwMode {
    id: NodeId,
    peers: Vec<NodeId>,
    clock: Arc<dyn WallClock>,
    options: LwwOptions,
    journal: Journal<(String, Cell)>,
    cells: BTreeMap<String, Cell>,
    next_gossip_ms: u64,
}

type Fx = Effects<LwwMessage>;

impl LwwMode {
    pub fn new(mut ctx: NodeContext, options: LwwOptions) -> std::io::Result<LwwMode> {
        let peers = ctx.peers();
        let mut journal: Journal<(String, Cell)> = Journal::new(ctx.take_store());
        let records = journal.replay()?;
        let mut mode = LwwMode {
            id: ctx.id,
            peers,
            clock: ctx.clock,
            options,
            journal,
            cells: BTreeMap::new(),
            next_gossip_ms: ctx.now_ms,
        };
        for (key, cell) in records {
            mode.merge(key, cell, false);
        }
        Ok(mode)
    }

    /// Keeps `cell` if its stamp beats the stored one; says whether it did.
    fn merge(&mut self, key: String, cell: Cell, durable: bool) -> bool {
        let wins = self.cells.get(&key).is_none_or(|c| cell.stamp > c.stamp);
        if wins {
            if durable {
                self.journal.append(&(key.clone(), cell.clone()));
            }
            self.cells.insert(key, cell);
        }
        wins
    }
}

impl Mode for LwwMode {
    type Msg = LwwMessage;

    fn on_client(&mut self, token: Token, req: Request, _now_ms: u64, fx: &mut Fx) {
        let key = req.key.as_ref().map(key_name);
        let answer = match (req.op, key) {
            (OpKind::Status, _) => Response::ok(req.id, self.status().to_value()),
            (OpKind::Read, Some(k)) => Response::ok(
                req.id,
                self.cells.get(&k).map_or(Value::Null, |c| c.value.clone()),
            ),
            (OpKind::Write, Some(k)) => {
                let cell = Cell {
                    value: req.value.clone(),
                    stamp: Stamp {
                        nanos: self.clock.now_nanos(),
                        node: self.id.clone(),
                    },
                };
                // Acknowledged whether or not it wins: the writer is never told it lost.
                self.merge(k.clone(), cell.clone(), true);
                let cells = BTreeMap::from([(k, cell)]);
                for p in &self.peers {
                    fx.send(
                        p,
                        LwwMessage::Cells {
                            cells: cells.clone(),
                        },
                    );
                }
                Response::ok(req.id, req.value.clone())
            }
            (OpKind::Read | OpKind::Write, None) => Response::fail(req.id, errors::BAD_REQUEST),
            _ => Response::fail(req.id, errors::UNSUPPORTED),
        };
        fx.reply(token, answer);
    }

    fn on_peer(&mut self, _from: &str, msg: LwwMessage, _now_ms: u64, _fx: &mut Fx) {
        let LwwMessage::Cells { cells } = msg;
        for (key, cell) in cells {
            self.merge(key, cell, true);
        }
    }

    fn on_tick(&mut self, now_ms: u64, fx: &mut Fx) {
        if now_ms >= self.next_gossip_ms {
            self.next_gossip_ms = now_ms + self.options.gossip_ms;
            if !self.cells.is_empty() {
                for p in &self.peers {
                    fx.send(
                        p,
                        LwwMessage::Cells {
                            cells: self.cells.clone(),
                        },
                    );
                }
            }
        }
    }

    fn flush(&mut self, _now_ms: u64, _fx: &mut Fx) -> std::io::Result<()> {
        self.journal.sync()
    }

    fn status(&self) -> Status {
        Status {
            commit_index: self.cells.len() as u64,
            ..Status::new("lww", &self.id, "replica")
        }
        .with("wall_clock_nanos", json!(self.clock.now_nanos()))
    }
}

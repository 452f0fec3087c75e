//! `primary-backup` mode: master–slave replication with failover on timeout — the pattern of
//! asynchronous MySQL/PostgreSQL/Redis replication with an external failover manager.
//!
//! - The primary (initially the first node listed, epoch 1) applies every operation to its
//!   [`KvState`], answers reads locally, and streams each change to the backups
//!   (`Replicate{epoch, seq}`), sending a heartbeat every [`PbOptions::heartbeat_ms`].
//! - **async** (default): a write is acknowledged once durable on the primary.
//!   **sync**: once every backup acknowledged it (`info` after [`PbOptions::sync_timeout_ms`]).
//! - A backup that hears nothing from the primary for `failover_ms × rank` (rank = its position
//!   among the other nodes, so the first candidate goes first) promotes itself with epoch + 1.
//!   A node that learns of a higher epoch follows its primary and replaces its state with the
//!   primary's snapshot — dropping whatever it had that the new primary lacks.
//!
//! Expected under faults: async mode loses acknowledged writes after failover; both modes give
//! stale reads and split brain (two primaries) during partitions. That is the point: the checkers
//! must say so. `early-ack` makes sync mode behave like async.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Effects, Mode, NodeContext, NodeId, Token};
use crate::bugs::{Bug, Bugs};
use crate::journal::Journal;
use crate::kv::KvState;
use crate::protocol::{errors, OpKind, Request, Response, Status};

#[derive(Clone, Debug)]
pub struct PbOptions {
    pub sync: bool,
    pub failover_ms: u64,
    pub heartbeat_ms: u64,
    pub sync_timeout_ms: u64,
}

impl Default for PbOptions {
    fn default() -> Self {
        PbOptions {
            sync: false,
            failover_ms: 1000,
            heartbeat_ms: 100,
            sync_timeout_ms: 1000,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "kebab-case")]
pub enum PbMessage {
    Heartbeat {
        epoch: u64,
        seq: u64,
    },
    Replicate {
        epoch: u64,
        seq: u64,
        req: Request,
    },
    Ack {
        epoch: u64,
        seq: u64,
    },
    /// "My epoch is newer; follow `primary`."
    Epoch {
        epoch: u64,
        primary: NodeId,
    },
    SyncRequest {
        epoch: u64,
    },
    Snapshot {
        epoch: u64,
        seq: u64,
        state: KvState,
    },
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "kebab-case")]
enum Record {
    Epoch { epoch: u64, primary: NodeId },
    Applied { seq: u64, req: Request },
    Snapshot { seq: u64, state: KvState },
}

struct SyncWait {
    token: Token,
    answer: Response,
    acks: BTreeSet<NodeId>,
    since_ms: u64,
}

pub struct PrimaryBackupMode {
    id: NodeId,
    nodes: Vec<NodeId>,
    options: PbOptions,
    bugs: Bugs,
    journal: Journal<Record>,
    epoch: u64,
    primary: NodeId,
    seq: u64,
    kv: KvState,
    last_heard_ms: u64,
    next_heartbeat_ms: u64,
    last_sync_request_ms: Option<u64>,
    /// Primary: highest seq each backup acknowledged.
    acked: BTreeMap<NodeId, u64>,
    waiting: HashMap<u64, SyncWait>,
}

type Fx = Effects<PbMessage>;

impl PrimaryBackupMode {
    pub fn new(mut ctx: NodeContext, options: PbOptions) -> std::io::Result<Self> {
        let mut journal = Journal::new(ctx.take_store());
        let records = journal.replay()?;
        let mut mode = PrimaryBackupMode {
            id: ctx.id.clone(),
            nodes: ctx.nodes.clone(),
            options,
            bugs: ctx.bugs,
            epoch: 1,
            primary: ctx.nodes.first().cloned().unwrap_or_default(),
            seq: 0,
            kv: KvState::default(),
            last_heard_ms: ctx.now_ms,
            next_heartbeat_ms: ctx.now_ms,
            last_sync_request_ms: None,
            acked: BTreeMap::new(),
            waiting: HashMap::new(),
            journal,
        };
        for record in records {
            match record {
                Record::Epoch { epoch, primary } => {
                    mode.epoch = epoch;
                    mode.primary = primary;
                }
                Record::Applied { seq, req } => {
                    mode.kv.apply(&req);
                    mode.seq = seq;
                }
                Record::Snapshot { seq, state } => {
                    mode.kv = state;
                    mode.seq = seq;
                }
            }
        }
        Ok(mode)
    }

    fn is_primary(&self) -> bool {
        self.primary == self.id
    }

    fn backups(&self) -> Vec<NodeId> {
        self.nodes
            .iter()
            .filter(|n| **n != self.id)
            .cloned()
            .collect()
    }

    fn follow(&mut self, epoch: u64, primary: &str, now_ms: u64, fx: &mut Fx) {
        tracing::info!("primary-backup: following {primary} in epoch {epoch}");
        self.epoch = epoch;
        self.primary = primary.to_string();
        self.last_heard_ms = now_ms;
        self.journal.append(&Record::Epoch {
            epoch,
            primary: primary.to_string(),
        });
        // Whatever this node wrote as primary and nobody else has is gone now.
        for (_, wait) in self.waiting.drain() {
            fx.reply(
                wait.token,
                Response::info(wait.answer.id, errors::LEADERSHIP_LOST),
            );
        }
        self.request_sync(now_ms, fx);
    }

    fn request_sync(&mut self, now_ms: u64, fx: &mut Fx) {
        let recent = self
            .last_sync_request_ms
            .is_some_and(|t| now_ms.saturating_sub(t) < self.options.heartbeat_ms * 3);
        if !recent {
            self.last_sync_request_ms = Some(now_ms);
            let primary = self.primary.clone();
            fx.send(&primary, PbMessage::SyncRequest { epoch: self.epoch });
        }
    }

    /// Rank of this node among the candidates to succeed the current primary (1 = first).
    fn rank(&self) -> u64 {
        self.nodes
            .iter()
            .filter(|n| **n != self.primary)
            .position(|n| *n == self.id)
            .map_or(u64::MAX / 4, |p| p as u64 + 1)
    }

    fn handle_write(&mut self, token: Token, req: Request, now_ms: u64, fx: &mut Fx) {
        let applied = self.kv.apply(&req);
        if !applied.changed {
            fx.reply(token, applied.response);
            return;
        }
        self.seq += 1;
        let seq = self.seq;
        self.journal.append(&Record::Applied {
            seq,
            req: req.clone(),
        });
        for b in self.backups() {
            fx.send(
                &b,
                PbMessage::Replicate {
                    epoch: self.epoch,
                    seq,
                    req: req.clone(),
                },
            );
        }
        let wait_for_backups = self.options.sync && !self.bugs.has(Bug::EarlyAck);
        if wait_for_backups && !self.backups().is_empty() {
            self.waiting.insert(
                seq,
                SyncWait {
                    token,
                    answer: applied.response,
                    acks: BTreeSet::new(),
                    since_ms: now_ms,
                },
            );
        } else {
            fx.reply(token, applied.response);
        }
    }
}

impl Mode for PrimaryBackupMode {
    type Msg = PbMessage;

    fn on_client(&mut self, token: Token, req: Request, now_ms: u64, fx: &mut Fx) {
        if req.op == OpKind::Status {
            fx.reply(token, Response::ok(req.id, self.status().to_value()));
        } else if !self.is_primary() {
            let hint = Some(self.primary.clone());
            fx.reply(
                token,
                Response::fail(req.id, errors::NOT_LEADER).with_leader(hint),
            );
        } else if req.op.is_read_only() {
            fx.reply(token, self.kv.apply(&req).response);
        } else {
            self.handle_write(token, req, now_ms, fx);
        }
    }

    fn on_peer(&mut self, from: &str, msg: PbMessage, now_ms: u64, fx: &mut Fx) {
        match msg {
            PbMessage::Heartbeat { epoch, seq } => {
                if epoch > self.epoch || (epoch == self.epoch && from != self.primary) {
                    // Same epoch, two primaries (both promoted): the earlier-listed one wins.
                    let from_rank = self.nodes.iter().position(|n| n == from);
                    let cur_rank = self.nodes.iter().position(|n| *n == self.primary);
                    if epoch > self.epoch || from_rank < cur_rank {
                        self.follow(epoch, from, now_ms, fx);
                    }
                } else if epoch < self.epoch {
                    let primary = self.primary.clone();
                    fx.send(
                        from,
                        PbMessage::Epoch {
                            epoch: self.epoch,
                            primary,
                        },
                    );
                } else {
                    self.last_heard_ms = now_ms;
                    if seq > self.seq {
                        self.request_sync(now_ms, fx);
                    }
                }
            }
            PbMessage::Epoch { epoch, primary } => {
                if epoch > self.epoch {
                    self.follow(epoch, &primary, now_ms, fx);
                }
            }
            PbMessage::Replicate { epoch, seq, req } => {
                if epoch > self.epoch {
                    self.follow(epoch, from, now_ms, fx);
                } else if epoch < self.epoch {
                    let primary = self.primary.clone();
                    fx.send(
                        from,
                        PbMessage::Epoch {
                            epoch: self.epoch,
                            primary,
                        },
                    );
                } else if from == self.primary {
                    self.last_heard_ms = now_ms;
                    if seq == self.seq + 1 {
                        self.kv.apply(&req);
                        self.seq = seq;
                        self.journal.append(&Record::Applied { seq, req });
                        fx.send(from, PbMessage::Ack { epoch, seq });
                    } else if seq <= self.seq {
                        fx.send(from, PbMessage::Ack { epoch, seq });
                    } else {
                        self.request_sync(now_ms, fx);
                    }
                }
            }
            PbMessage::Ack { epoch, seq } => {
                if epoch != self.epoch || !self.is_primary() {
                    return;
                }
                let acked = self.acked.entry(from.to_string()).or_default();
                *acked = (*acked).max(seq);
                let backups = self.backups().len();
                // A snapshot ack covers every earlier seq too.
                let done: Vec<u64> = self
                    .waiting
                    .iter_mut()
                    .filter(|(s, _)| **s <= seq)
                    .filter_map(|(s, w)| {
                        w.acks.insert(from.to_string());
                        (w.acks.len() >= backups).then_some(*s)
                    })
                    .collect();
                for s in done {
                    if let Some(w) = self.waiting.remove(&s) {
                        fx.reply(w.token, w.answer);
                    }
                }
            }
            PbMessage::SyncRequest { epoch } => {
                if self.is_primary() && epoch <= self.epoch {
                    fx.send(
                        from,
                        PbMessage::Snapshot {
                            epoch: self.epoch,
                            seq: self.seq,
                            state: self.kv.clone(),
                        },
                    );
                }
            }
            PbMessage::Snapshot { epoch, seq, state } => {
                if epoch > self.epoch {
                    self.follow(epoch, from, now_ms, fx);
                }
                if epoch == self.epoch && from == self.primary && !self.is_primary() {
                    self.kv = state.clone();
                    self.seq = seq;
                    self.journal.append(&Record::Snapshot { seq, state });
                    self.last_heard_ms = now_ms;
                    fx.send(from, PbMessage::Ack { epoch, seq });
                }
            }
        }
    }

    fn on_tick(&mut self, now_ms: u64, fx: &mut Fx) {
        if self.is_primary() {
            if now_ms >= self.next_heartbeat_ms {
                self.next_heartbeat_ms = now_ms + self.options.heartbeat_ms;
                for b in self.backups() {
                    fx.send(
                        &b,
                        PbMessage::Heartbeat {
                            epoch: self.epoch,
                            seq: self.seq,
                        },
                    );
                }
            }
            let timeout = self.options.sync_timeout_ms;
            let expired: Vec<u64> = self
                .waiting
                .iter()
                .filter(|(_, w)| now_ms.saturating_sub(w.since_ms) > timeout)
                .map(|(s, _)| *s)
                .collect();
            for s in expired {
                if let Some(w) = self.waiting.remove(&s) {
                    fx.reply(w.token, Response::info(w.answer.id, errors::TIMEOUT));
                }
            }
        } else if now_ms.saturating_sub(self.last_heard_ms)
            > self.options.failover_ms.saturating_mul(self.rank())
        {
            // Failover: promote ourselves. Nothing checks that the old primary is really gone.
            self.epoch += 1;
            tracing::info!(
                "primary-backup: promoted to primary in epoch {}",
                self.epoch
            );
            self.primary = self.id.clone();
            self.acked.clear();
            self.journal.append(&Record::Epoch {
                epoch: self.epoch,
                primary: self.id.clone(),
            });
            self.next_heartbeat_ms = now_ms;
            self.on_tick(now_ms, fx);
        }
    }

    fn flush(&mut self, _now_ms: u64, _fx: &mut Fx) -> std::io::Result<()> {
        self.journal.sync()
    }

    fn status(&self) -> Status {
        let role = if self.is_primary() {
            "primary"
        } else {
            "backup"
        };
        Status {
            term: self.epoch,
            leader: Some(self.primary.clone()),
            commit_index: self.seq,
            lag: self
                .acked
                .iter()
                .map(|(n, s)| (n.clone(), self.seq.saturating_sub(*s)))
                .collect(),
            ..Status::new("primary-backup", &self.id, role)
        }
        .with("sync", json!(self.options.sync))
    }
}

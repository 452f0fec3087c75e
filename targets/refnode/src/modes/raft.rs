//! `raft` mode: consensus. Every client operation — reads included — is a log entry applied to
//! [`KvState`] once committed, so answers are linearizable and transactions strict serializable
//! (a transaction is one entry, applied atomically). Reads go through the log rather than a
//! read-index: simpler, obviously right, and group commit makes the extra entries cheap.
//!
//! Answers: `ok` once the entry committed and applied here; `fail not-leader` before proposing;
//! `fail superseded` when the slot was committed with another leader's entry (it never applies);
//! `info leadership-lost` for entries still unresolved when this node stops leading (a leader that
//! has not heard from a quorum for an election timeout steps down: check-quorum); `info timeout`
//! when an entry stays unresolved for [`PENDING_TIMEOUT_MS`].
//!
//! Planted bugs: `stale-read` answers reads from the local state whenever this node believes it is
//! the leader, and turns check-quorum off so a cut-off leader keeps believing; `early-ack` answers writes as soon as they are appended locally; `non-atomic-txn`
//! proposes each micro-op of a transaction as its own entry.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::{Effects, Mode, NodeContext, Token};
use crate::bugs::Bug;
use crate::bugs::Bugs;
use crate::kv::{parse_txn, KvState};
use crate::protocol::{errors, OpKind, Outcome, Request, Response, Status};
use crate::raft::{Message, RaftConfig, RaftNode, RaftStorage};

/// How long a proposal may stay unresolved before its client is told `info`.
pub const PENDING_TIMEOUT_MS: u64 = 5_000;

/// One proposal waiting for its slot to commit.
struct Pending {
    token: Token,
    req_id: u64,
    term: u64,
    since_ms: u64,
    /// Answered already (early-ack): apply silently.
    answered: bool,
    /// Part `pos` of split transaction `txn` (non-atomic-txn bug).
    part: Option<(u64, usize)>,
}

/// A transaction applied one micro-op at a time (non-atomic-txn bug).
struct SplitTxn {
    token: Token,
    req_id: u64,
    mops: Vec<Value>,
    /// Micro-ops applied so far, reads filled in.
    results: Vec<Value>,
}

pub struct RaftMode {
    node: RaftNode<Request>,
    storage: RaftStorage<Request>,
    kv: KvState,
    bugs: Bugs,
    pending: HashMap<u64, Pending>,
    split_txns: HashMap<u64, SplitTxn>,
    next_split: u64,
    /// Role, term and leader last logged, so the node log shows every change once.
    logged: (crate::raft::Role, u64, Option<String>),
}

impl RaftMode {
    pub fn new(ctx: NodeContext) -> std::io::Result<RaftMode> {
        Self::with_config(ctx, |_| {})
    }

    /// Like [`RaftMode::new`], letting the caller adjust timing (tests, benchmarks).
    pub fn with_config(
        mut ctx: NodeContext,
        tune: impl FnOnce(&mut RaftConfig),
    ) -> std::io::Result<RaftMode> {
        let mut storage = RaftStorage::new(ctx.take_store());
        let (hard, log) = storage.recover()?;
        let mut config = RaftConfig::new(&ctx.id, &ctx.nodes);
        config.seed = ctx.seed;
        // The stale-read bug is a leader that trusts its own belief that it leads: it answers
        // reads locally and never checks that a quorum still follows it.
        config.check_quorum = !ctx.bugs.has(Bug::StaleRead);
        tune(&mut config);
        Ok(RaftMode {
            node: RaftNode::new(config, hard, log, ctx.now_ms),
            storage,
            kv: KvState::default(),
            bugs: ctx.bugs,
            pending: HashMap::new(),
            split_txns: HashMap::new(),
            next_split: 0,
            logged: (crate::raft::Role::Follower, 0, None),
        })
    }

    pub fn node(&self) -> &RaftNode<Request> {
        &self.node
    }

    fn not_leader(&self, id: u64) -> Response {
        Response::fail(id, errors::NOT_LEADER).with_leader(self.node.leader().cloned())
    }

    /// Proposes `req`, remembering who waits for it.
    fn propose(
        &mut self,
        token: Token,
        req: Request,
        part: Option<(u64, usize)>,
        now_ms: u64,
    ) -> bool {
        let req_id = req.id;
        match self.node.propose(req) {
            Ok(index) => {
                let term = self.node.term();
                self.pending.insert(
                    index,
                    Pending {
                        token,
                        req_id,
                        term,
                        since_ms: now_ms,
                        answered: false,
                        part,
                    },
                );
                true
            }
            Err(_) => false,
        }
    }

    /// non-atomic-txn bug: proposes the first micro-op now and each next one only after the
    /// previous one committed, so other operations land in between.
    fn start_split_txn(
        &mut self,
        token: Token,
        req: Request,
        mops: Vec<Value>,
        now_ms: u64,
        fx: &mut Fx,
    ) {
        let txn = self.next_split;
        self.next_split += 1;
        let count = mops.len();
        self.split_txns.insert(
            txn,
            SplitTxn {
                token,
                req_id: req.id,
                mops,
                results: Vec::with_capacity(count),
            },
        );
        if !self.propose_part(txn, now_ms) {
            self.split_txns.remove(&txn);
            fx.reply(token, self.not_leader(req.id));
        }
    }

    fn propose_part(&mut self, txn: u64, now_ms: u64) -> bool {
        let Some(split) = self.split_txns.get(&txn) else {
            return false;
        };
        let pos = split.results.len();
        let part = Request::new(split.req_id, OpKind::Txn, None, json!([split.mops[pos]]));
        let token = split.token;
        self.propose(token, part, Some((txn, pos)), now_ms)
    }

    /// Resolves the waiter of slot `index` now that it committed with `entry_term`.
    fn resolve(
        &mut self,
        index: u64,
        entry_term: u64,
        answer: Option<Response>,
        now_ms: u64,
        fx: &mut Fx,
    ) {
        let Some(p) = self.pending.remove(&index) else {
            return;
        };
        let mut response = match answer {
            Some(r) if entry_term == p.term => r,
            _ => Response::fail(p.req_id, errors::SUPERSEDED),
        };
        response.id = p.req_id;
        if let Some((txn, _)) = p.part {
            self.resolve_part(txn, response, now_ms, fx);
        } else if !p.answered {
            fx.reply(p.token, response);
        }
    }

    /// Tells the waiter of slot `index` that its fate is unknown here (`info`): the entry may still
    /// commit under another leader, or never.
    fn give_up(&mut self, index: u64, error: &str, now_ms: u64, fx: &mut Fx) {
        let Some(p) = self.pending.remove(&index) else {
            return;
        };
        let info = Response::info(p.req_id, error);
        match p.part {
            Some((txn, _)) => self.resolve_part(txn, info, now_ms, fx),
            None if !p.answered => fx.reply(p.token, info),
            None => {}
        }
    }

    fn resolve_part(&mut self, txn: u64, response: Response, now_ms: u64, fx: &mut Fx) {
        let Some(split) = self.split_txns.get_mut(&txn) else {
            return;
        };
        let first = split.results.is_empty();
        if response.outcome != Outcome::Ok {
            let split = self.split_txns.remove(&txn).expect("present");
            // A failed first part applied nothing; after that, earlier parts did apply.
            let answer = if first && response.outcome == Outcome::Fail {
                response
            } else {
                Response::info(split.req_id, errors::LEADERSHIP_LOST)
            };
            fx.reply(split.token, answer);
            return;
        }
        let mop = response.value.as_array().and_then(|a| a.first()).cloned();
        split.results.push(mop.unwrap_or(Value::Null));
        if split.results.len() == split.mops.len() {
            let split = self.split_txns.remove(&txn).expect("present");
            fx.reply(
                split.token,
                Response::ok(split.req_id, Value::Array(split.results)),
            );
        } else if !self.propose_part(txn, now_ms) {
            let split = self.split_txns.remove(&txn).expect("present");
            fx.reply(
                split.token,
                Response::info(split.req_id, errors::LEADERSHIP_LOST),
            );
        }
    }
}

type Fx = Effects<Message<Request>>;

/// Operations whose `ok` carries nothing the log must compute (early-ack may answer them at once).
fn is_blind_write(req: &Request) -> bool {
    match req.op {
        OpKind::Write | OpKind::SetAdd | OpKind::CounterAdd => true,
        OpKind::Txn => parse_txn(&req.value).is_ok_and(|m| m.iter().all(|(f, _, _)| *f != "r")),
        _ => false,
    }
}

impl Mode for RaftMode {
    type Msg = Message<Request>;

    fn on_client(&mut self, token: Token, req: Request, now_ms: u64, fx: &mut Fx) {
        if req.op == OpKind::Status {
            fx.reply(token, Response::ok(req.id, self.status().to_value()));
            return;
        }
        if !self.node.is_leader() {
            fx.reply(token, self.not_leader(req.id));
            return;
        }
        if self.bugs.has(Bug::StaleRead) && req.op.is_read_only() {
            // BUG: no confirmation that this node is still the leader.
            fx.reply(token, self.kv.apply(&req).response);
            return;
        }
        if req.op == OpKind::Txn && self.bugs.has(Bug::NonAtomicTxn) {
            if let Some(mops) = req.value.as_array().filter(|m| m.len() > 1).cloned() {
                if parse_txn(&req.value).is_ok() {
                    self.start_split_txn(token, req, mops, now_ms, fx);
                    return;
                }
            }
        }
        let early = self.bugs.has(Bug::EarlyAck) && is_blind_write(&req);
        let (id, value) = (req.id, req.value.clone());
        if !self.propose(token, req, None, now_ms) {
            fx.reply(token, self.not_leader(id));
            return;
        }
        if early {
            // BUG: acknowledged before the entry is committed (or even durable).
            let index = self.node.last_index();
            if let Some(p) = self.pending.get_mut(&index) {
                p.answered = true;
            }
            fx.reply(token, Response::ok(id, value));
        }
    }

    fn on_peer(&mut self, from: &str, msg: Self::Msg, now_ms: u64, _fx: &mut Fx) {
        self.node.step(from, msg, now_ms);
    }

    fn on_tick(&mut self, now_ms: u64, fx: &mut Fx) {
        self.node.tick(now_ms);
        let expired: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, p)| now_ms.saturating_sub(p.since_ms) > PENDING_TIMEOUT_MS)
            .map(|(i, _)| *i)
            .collect();
        for index in expired {
            self.give_up(index, errors::TIMEOUT, now_ms, fx);
        }
    }

    fn flush(&mut self, now_ms: u64, fx: &mut Fx) -> std::io::Result<()> {
        let ready = self.node.take_ready();
        self.storage.persist(&ready)?;
        let now = (
            self.node.role(),
            self.node.term(),
            self.node.leader().cloned(),
        );
        if now != self.logged {
            tracing::info!(
                "raft: {:?} in term {}, leader {:?}, commit {}",
                now.0,
                now.1,
                now.2,
                self.node.commit_index()
            );
            self.logged = now;
        }
        fx.messages.extend(ready.messages);
        for (index, entry) in ready.committed {
            let answer = entry.cmd.as_ref().map(|cmd| self.kv.apply(cmd).response);
            self.resolve(index, entry.term, answer, now_ms, fx);
        }
        if !self.node.is_leader() && !self.pending.is_empty() {
            // Stepped down (check-quorum, or a newer term): nobody here will commit these, so
            // their clients hear it now rather than after their own timeout.
            let mut left: Vec<u64> = self.pending.keys().copied().collect();
            left.sort_unstable();
            for index in left {
                self.give_up(index, errors::LEADERSHIP_LOST, now_ms, fx);
            }
        }
        Ok(())
    }

    fn status(&self) -> Status {
        let role = match self.node.role() {
            crate::raft::Role::Leader => "leader",
            crate::raft::Role::Follower => "follower",
            crate::raft::Role::Candidate => "candidate",
        };
        Status {
            term: self.node.term(),
            leader: self.node.leader().cloned(),
            commit_index: self.node.commit_index(),
            lag: self.node.lag(),
            ..Status::new("raft", self.node.id(), role)
        }
        .with("applied_index", json!(self.node.applied_index()))
        .with("last_index", json!(self.node.last_index()))
    }
}

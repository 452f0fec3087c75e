//! `quorum` mode: Dynamo-style replication (DeCandia et al., "Dynamo", SOSP 2007). Each key lives on
//! `N` replicas (consecutive nodes from a hash of the key); the node a client talks to coordinates:
//! a write goes to all `N` and is acknowledged after `W` replicas stored it, a read asks all `N` and
//! answers from the first `R` replies, then repairs replicas that answered with older versions
//! (read repair).
//!
//! Versions carry a dotted version vector (Preguiça et al., "Dotted Version Vectors", 2010): the
//! causal context the writer had read, plus the write's own *dot* (coordinator, counter). A version
//! is obsolete only when another version's context contains its dot. A plain vector clock (context
//! with the coordinator's entry bumped) is not enough: two adds coordinated by the same node from
//! the same read get clocks {n1:6} and {n1:7}, and the second would wrongly dominate the first it
//! never saw — half the adds of 10 concurrent clients were lost that way. With `--resolve vclock` a
//! replica keeps every version no other version has seen — concurrent writes become *siblings* —
//! and a set read returns the union of its siblings, so no add is lost. With `--resolve lww` a
//! replica keeps only the version with the highest wall-clock stamp.
//!
//! Registers read with siblings answer the sibling with the highest (stamp, node) — a choice,
//! documented; sets merge siblings by union. `set-add` is a read (R) then a write (W) of the merged
//! set. Counters, cas and transactions are not offered (nothing in Dynamo makes them atomic).
//!
//! Expected: `R + W > N` gives no stale read in a fault-free run; `R = W = 1` gives stale reads.
//! Planted bug `lost-sibling`: a replica keeps only the incoming version when it is concurrent
//! with the stored one, so concurrent adds vanish.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{Effects, Mode, NodeContext, NodeId, Token};
use crate::bugs::{Bug, Bugs};
use crate::clock::WallClock;
use crate::journal::Journal;
use crate::protocol::{errors, key_name, OpKind, Request, Response, Status};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolve {
    VectorClock,
    Lww,
}

#[derive(Clone, Debug)]
pub struct QuorumOptions {
    /// Replicas per key; `None` is every node.
    pub n: Option<usize>,
    pub r: usize,
    pub w: usize,
    pub resolve: Resolve,
    pub read_repair: bool,
    pub timeout_ms: u64,
}

impl Default for QuorumOptions {
    fn default() -> Self {
        QuorumOptions {
            n: None,
            r: 2,
            w: 2,
            resolve: Resolve::VectorClock,
            read_repair: true,
            timeout_ms: 1000,
        }
    }
}

pub type VectorClock = BTreeMap<NodeId, u64>;

/// One version of a key's value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Version {
    /// The causal context: every dot the writer had read (not this version's own dot).
    pub clock: VectorClock,
    /// This write: (coordinator, its counter).
    pub dot: (NodeId, u64),
    pub value: Value,
    /// Wall-clock nanoseconds at the coordinator, for LWW resolution and register reads.
    pub nanos: u64,
    pub node: NodeId,
}

/// Whether `newer` was written having read `older` (its context holds `older`'s dot).
fn has_seen(newer: &Version, older: &Version) -> bool {
    let (node, counter) = &older.dot;
    newer.dot != older.dot && newer.clock.get(node).copied().unwrap_or(0) >= *counter
}

/// The context of a write that read `versions`: every dot they carry or had seen.
fn context_of<'a>(versions: impl Iterator<Item = &'a Version>) -> VectorClock {
    let mut out = VectorClock::new();
    for v in versions {
        for (n, c) in v.clock.iter().chain(std::iter::once((&v.dot.0, &v.dot.1))) {
            let e = out.entry(n.clone()).or_default();
            *e = (*e).max(*c);
        }
    }
    out
}

fn lww_key(v: &Version) -> (u64, &str) {
    (v.nanos, v.node.as_str())
}

/// Merges `incoming` into `stored` under `resolve`; the result is the new sibling list.
fn reconcile(
    stored: &[Version],
    incoming: &[Version],
    resolve: Resolve,
    lose_siblings: bool,
) -> Vec<Version> {
    let all: Vec<&Version> = stored.iter().chain(incoming.iter()).collect();
    if resolve == Resolve::Lww {
        return all
            .into_iter()
            .max_by(|a, b| lww_key(a).cmp(&lww_key(b)))
            .cloned()
            .into_iter()
            .collect();
    }
    let mut kept: Vec<Version> = Vec::new();
    for v in &all {
        let dominated = all.iter().any(|o| has_seen(o, v));
        if !dominated && !kept.iter().any(|k| k.dot == v.dot) {
            kept.push((*v).clone());
        }
    }
    if lose_siblings && kept.len() > 1 {
        // BUG: concurrent versions are not kept side by side; the incoming one simply wins.
        let incoming_kept: Vec<Version> = kept
            .iter()
            .filter(|k| incoming.iter().any(|i| i.dot == k.dot))
            .cloned()
            .collect();
        if !incoming_kept.is_empty() {
            return incoming_kept;
        }
    }
    kept
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "kebab-case")]
pub enum QuorumMessage {
    Put {
        op: u64,
        key: String,
        versions: Vec<Version>,
    },
    PutAck {
        op: u64,
    },
    Get {
        op: u64,
        key: String,
    },
    GetReply {
        op: u64,
        versions: Vec<Version>,
    },
}

/// What a coordinated operation is doing.
enum Phase {
    /// Reading; then answer (`read`, `set-read`) or go on writing (`set-add`).
    Reading {
        replies: Vec<(NodeId, Vec<Version>)>,
    },
    Writing {
        acks: usize,
        answer: Response,
    },
}

struct Coordinated {
    token: Token,
    req: Request,
    key: String,
    replicas: Vec<NodeId>,
    phase: Phase,
    since_ms: u64,
}

/// Sentinel op id of read-repair puts, whose acks nobody waits for.
const REPAIR_OP: u64 = 0;

pub struct QuorumMode {
    id: NodeId,
    nodes: Vec<NodeId>,
    options: QuorumOptions,
    bugs: Bugs,
    clock: Arc<dyn WallClock>,
    journal: Journal<(String, Vec<Version>)>,
    data: HashMap<String, Vec<Version>>,
    /// This node's vector-clock counter, shared by all keys so it only grows.
    counter: u64,
    ops: HashMap<u64, Coordinated>,
    next_op: u64,
}

type Fx = Effects<QuorumMessage>;

impl QuorumMode {
    pub fn new(mut ctx: NodeContext, options: QuorumOptions) -> std::io::Result<QuorumMode> {
        let mut journal: Journal<(String, Vec<Version>)> = Journal::new(ctx.take_store());
        let mut data = HashMap::new();
        let mut counter = 0;
        for (key, versions) in journal.replay()? {
            for v in &versions {
                counter = counter.max(v.clock.get(&ctx.id).copied().unwrap_or(0));
                if v.dot.0 == ctx.id {
                    counter = counter.max(v.dot.1);
                }
            }
            data.insert(key, versions);
        }
        Ok(QuorumMode {
            id: ctx.id,
            nodes: ctx.nodes,
            options,
            bugs: ctx.bugs,
            clock: ctx.clock,
            journal,
            data,
            counter,
            ops: HashMap::new(),
            next_op: REPAIR_OP + 1,
        })
    }

    fn n(&self) -> usize {
        self.options
            .n
            .unwrap_or(self.nodes.len())
            .clamp(1, self.nodes.len())
    }

    /// The key's preference list: `N` consecutive nodes from its hash.
    fn replicas(&self, key: &str) -> Vec<NodeId> {
        let hash = crate::rng::seed_from(key, 0);
        let start = (hash % self.nodes.len() as u64) as usize;
        (0..self.n())
            .map(|i| self.nodes[(start + i) % self.nodes.len()].clone())
            .collect()
    }

    /// Stores `incoming` as a replica; durable at the next flush.
    fn store(&mut self, key: &str, incoming: &[Version]) {
        let stored = self.data.get(key).map(Vec::as_slice).unwrap_or(&[]);
        let merged = reconcile(
            stored,
            incoming,
            self.options.resolve,
            self.bugs.has(Bug::LostSibling),
        );
        if merged.as_slice() != stored {
            self.journal.append(&(key.to_string(), merged.clone()));
            self.data.insert(key.to_string(), merged);
        }
    }

    fn new_version(&mut self, based_on: &[Version], value: Value) -> Version {
        self.counter += 1;
        Version {
            clock: context_of(based_on.iter()),
            dot: (self.id.clone(), self.counter),
            value,
            nanos: self.clock.now_nanos(),
            node: self.id.clone(),
        }
    }

    fn start_read(&mut self, token: Token, req: Request, key: String, now_ms: u64, fx: &mut Fx) {
        let op = self.next_op;
        self.next_op += 1;
        let replicas = self.replicas(&key);
        self.ops.insert(
            op,
            Coordinated {
                token,
                req,
                key: key.clone(),
                replicas: replicas.clone(),
                phase: Phase::Reading {
                    replies: Vec::new(),
                },
                since_ms: now_ms,
            },
        );
        for r in replicas {
            if r == self.id {
                let versions = self.data.get(&key).cloned().unwrap_or_default();
                self.on_get_reply(op, &r, versions, fx);
            } else {
                fx.send(
                    &r,
                    QuorumMessage::Get {
                        op,
                        key: key.clone(),
                    },
                );
            }
        }
    }

    fn start_write(&mut self, op: u64, versions: Vec<Version>, fx: &mut Fx) {
        let Some(c) = self.ops.get(&op) else {
            return;
        };
        let (key, replicas) = (c.key.clone(), c.replicas.clone());
        for r in replicas {
            if r == self.id {
                self.store(&key, &versions);
                self.on_put_ack(op, fx);
            } else {
                fx.send(
                    &r,
                    QuorumMessage::Put {
                        op,
                        key: key.clone(),
                        versions: versions.clone(),
                    },
                );
            }
        }
    }

    fn on_put_ack(&mut self, op: u64, fx: &mut Fx) {
        let w = self.options.w;
        let Some(c) = self.ops.get_mut(&op) else {
            return;
        };
        if let Phase::Writing { acks, .. } = &mut c.phase {
            *acks += 1;
            if *acks >= w {
                let c = self.ops.remove(&op).expect("present");
                if let Phase::Writing { answer, .. } = c.phase {
                    fx.reply(c.token, answer);
                }
            }
        }
    }

    fn on_get_reply(&mut self, op: u64, from: &str, versions: Vec<Version>, fx: &mut Fx) {
        let r = self.options.r;
        let Some(c) = self.ops.get_mut(&op) else {
            return;
        };
        let Phase::Reading { replies } = &mut c.phase else {
            return;
        };
        replies.push((from.to_string(), versions));
        if replies.len() < r {
            return;
        }
        let replies = std::mem::take(replies);
        let incoming: Vec<Version> = replies.iter().flat_map(|(_, v)| v.clone()).collect();
        let merged = reconcile(&[], &incoming, self.options.resolve, false);
        if self.options.read_repair {
            let key = c.key.clone();
            for (node, versions) in &replies {
                if *versions != merged {
                    if *node == self.id {
                        self.store(&key, &merged);
                    } else {
                        fx.send(
                            node,
                            QuorumMessage::Put {
                                op: REPAIR_OP,
                                key: key.clone(),
                                versions: merged.clone(),
                            },
                        );
                    }
                }
            }
        }
        let c = self.ops.get_mut(&op).expect("present");
        let id = c.req.id;
        match c.req.op {
            OpKind::Read => {
                let value = merged
                    .iter()
                    .max_by(|a, b| lww_key(a).cmp(&lww_key(b)))
                    .map_or(Value::Null, |v| v.value.clone());
                let c = self.ops.remove(&op).expect("present");
                fx.reply(c.token, Response::ok(id, value));
            }
            OpKind::SetRead => {
                let c = self.ops.remove(&op).expect("present");
                fx.reply(c.token, Response::ok(id, union_of(&merged)));
            }
            OpKind::SetAdd => {
                let element = c.req.value.clone();
                let mut set = union_of(&merged);
                if let Value::Array(items) = &mut set {
                    if !items.contains(&element) {
                        items.push(element.clone());
                    }
                }
                c.phase = Phase::Writing {
                    acks: 0,
                    answer: Response::ok(id, element),
                };
                let version = self.new_version(&merged, set);
                self.start_write(op, vec![version], fx);
            }
            _ => {}
        }
    }
}

/// The union of sibling sets.
fn union_of(versions: &[Version]) -> Value {
    let mut out: Vec<Value> = Vec::new();
    for v in versions {
        if let Value::Array(items) = &v.value {
            for item in items {
                if !out.contains(item) {
                    out.push(item.clone());
                }
            }
        }
    }
    Value::Array(out)
}

impl Mode for QuorumMode {
    type Msg = QuorumMessage;

    fn on_client(&mut self, token: Token, req: Request, now_ms: u64, fx: &mut Fx) {
        let key = req.key.as_ref().map(key_name);
        match (req.op, key) {
            (OpKind::Status, _) => fx.reply(token, Response::ok(req.id, self.status().to_value())),
            (OpKind::Read | OpKind::SetRead | OpKind::SetAdd, Some(k)) => {
                self.start_read(token, req, k, now_ms, fx)
            }
            (OpKind::Write, Some(k)) => {
                let op = self.next_op;
                self.next_op += 1;
                let local = self.data.get(&k).cloned().unwrap_or_default();
                let version = self.new_version(&local, req.value.clone());
                self.ops.insert(
                    op,
                    Coordinated {
                        token,
                        replicas: self.replicas(&k),
                        key: k,
                        phase: Phase::Writing {
                            acks: 0,
                            answer: Response::ok(req.id, req.value.clone()),
                        },
                        req,
                        since_ms: now_ms,
                    },
                );
                self.start_write(op, vec![version], fx);
            }
            (OpKind::Read | OpKind::SetRead | OpKind::SetAdd | OpKind::Write, None) => {
                fx.reply(token, Response::fail(req.id, errors::BAD_REQUEST))
            }
            _ => fx.reply(token, Response::fail(req.id, errors::UNSUPPORTED)),
        }
    }

    fn on_peer(&mut self, from: &str, msg: QuorumMessage, _now_ms: u64, fx: &mut Fx) {
        match msg {
            QuorumMessage::Put { op, key, versions } => {
                self.store(&key, &versions);
                if op != REPAIR_OP {
                    fx.send(from, QuorumMessage::PutAck { op });
                }
            }
            QuorumMessage::PutAck { op } => self.on_put_ack(op, fx),
            QuorumMessage::Get { op, key } => {
                let versions = self.data.get(&key).cloned().unwrap_or_default();
                fx.send(from, QuorumMessage::GetReply { op, versions });
            }
            QuorumMessage::GetReply { op, versions } => self.on_get_reply(op, from, versions, fx),
        }
    }

    fn on_tick(&mut self, now_ms: u64, fx: &mut Fx) {
        let timeout = self.options.timeout_ms;
        let expired: Vec<u64> = self
            .ops
            .iter()
            .filter(|(_, c)| now_ms.saturating_sub(c.since_ms) > timeout)
            .map(|(op, _)| *op)
            .collect();
        for op in expired {
            if let Some(c) = self.ops.remove(&op) {
                // Nothing is written while reading (set-add too), but a write may have reached
                // some replicas.
                let answer = match c.phase {
                    Phase::Reading { .. } => Response::fail(c.req.id, errors::UNAVAILABLE),
                    _ => Response::info(c.req.id, errors::TIMEOUT),
                };
                fx.reply(c.token, answer);
            }
        }
    }

    fn flush(&mut self, _now_ms: u64, _fx: &mut Fx) -> std::io::Result<()> {
        self.journal.sync()
    }

    fn status(&self) -> Status {
        let resolve = match self.options.resolve {
            Resolve::VectorClock => "vclock",
            Resolve::Lww => "lww",
        };
        Status {
            commit_index: self.counter,
            ..Status::new("quorum", &self.id, "replica")
        }
        .with("n", json!(self.n()))
        .with("r", json!(self.options.r))
        .with("w", json!(self.options.w))
        .with("resolve", json!(resolve))
        .with("in_flight", json!(self.ops.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A version with dot `dot` written having read `context`.
    fn v(context: &[(&str, u64)], dot: (&str, u64), value: i64) -> Version {
        Version {
            clock: context.iter().map(|(n, c)| (n.to_string(), *c)).collect(),
            dot: (dot.0.to_string(), dot.1),
            value: json!(value),
            nanos: value as u64,
            node: "n".into(),
        }
    }

    #[test]
    fn concurrent_versions_become_siblings_and_dominated_ones_go() {
        let a = v(&[], ("n1", 1), 1);
        let b = v(&[], ("n2", 1), 2);
        let c = v(&[("n1", 1), ("n2", 1)], ("n3", 1), 3);
        let one = std::slice::from_ref;
        let siblings = reconcile(one(&a), one(&b), Resolve::VectorClock, false);
        assert_eq!(siblings, vec![a.clone(), b.clone()]);
        assert_eq!(
            reconcile(&siblings, one(&c), Resolve::VectorClock, false),
            vec![c]
        );
        assert_eq!(
            reconcile(one(&a), one(&b), Resolve::VectorClock, true),
            vec![b.clone()],
            "the lost-sibling bug keeps only the incoming version"
        );
        assert_eq!(reconcile(one(&a), one(&b), Resolve::Lww, false), vec![b]);
    }

    /// Two writes coordinated by one node from the same read: the later counter must not hide
    /// the earlier write it never saw (the lost-add bug plain vector clocks have).
    #[test]
    fn same_coordinator_concurrent_writes_stay_siblings() {
        let base = v(&[], ("n2", 3), 0);
        let first = v(&[("n2", 3)], ("n1", 6), 1);
        let second = v(&[("n2", 3)], ("n1", 7), 2);
        let stored = reconcile(
            &[base],
            std::slice::from_ref(&first),
            Resolve::VectorClock,
            false,
        );
        assert_eq!(stored, vec![first.clone()]);
        let both = reconcile(
            &stored,
            std::slice::from_ref(&second),
            Resolve::VectorClock,
            false,
        );
        assert_eq!(both, vec![first.clone(), second.clone()]);
        let merged = v(&[("n1", 7), ("n2", 3)], ("n3", 1), 3);
        assert_eq!(
            reconcile(
                &both,
                std::slice::from_ref(&merged),
                Resolve::VectorClock,
                false
            ),
            vec![merged]
        );
    }
}

//! An in-memory cluster for the sans-IO modes: a simulated clock, a network with random latency,
//! partitions and per-node wall-clock offsets, crashes that keep exactly the synced journal, and
//! clients whose every operation is recorded as a faultline history (`faultline_checkers::Op`).
//!
//! Everything is driven by one seeded generator, so a failing run replays exactly.

#![allow(dead_code)]

pub mod checks;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use faultline_checkers::{Op, OpType, Process};
use faultline_refnode::bugs::Bugs;
use faultline_refnode::clock::OffsetClock;
use faultline_refnode::journal::MemStore;
use faultline_refnode::modes::{Effects, Mode, NodeContext, Token};
use faultline_refnode::protocol::{OpKind, Outcome, Request, Response};
use faultline_refnode::rng::SplitMix64;
use serde_json::Value;

pub type Factory<M> = Box<dyn Fn(NodeContext) -> M>;

/// Milliseconds between two ticks of each node (as the runtime does).
const TICK_MS: u64 = 10;
/// Wall-clock time at the start of a simulation (2026-01-01), in ns.
const WALL_START: u64 = 1_767_225_600_000_000_000;

struct InFlight {
    process: u64,
    kind: OpKind,
    key: Option<Value>,
    value: Value,
    node: usize,
    invoked_ms: u64,
}

pub struct Sim<M: Mode> {
    pub now_ms: u64,
    rng: SplitMix64,
    names: Vec<String>,
    nodes: Vec<Option<M>>,
    stores: Vec<MemStore>,
    clocks: Vec<Arc<OffsetClock>>,
    wall_base: Arc<AtomicU64>,
    factory: Factory<M>,
    bugs: Bugs,
    queue: BTreeMap<(u64, u64), (usize, usize, M::Msg)>,
    seq: u64,
    blocked: HashSet<(usize, usize)>,
    /// Paused nodes (SIGSTOP) and the client requests waiting for them.
    paused: HashSet<usize>,
    held: Vec<(usize, Token, Request)>,
    pub latency_ms: (u64, u64),
    pub client_timeout_ms: u64,
    history: Vec<Op>,
    in_flight: HashMap<(usize, Token), InFlight>,
    busy: HashMap<u64, (usize, Token)>,
    next_token: Token,
    /// The last answer each process got.
    pub answers: HashMap<u64, Response>,
}

impl<M: Mode> Sim<M> {
    /// `n` nodes named n1..nN built by `factory`, with `bugs` planted in every node.
    pub fn new(n: usize, seed: u64, bugs: Bugs, factory: Factory<M>) -> Sim<M> {
        let names: Vec<String> = (1..=n).map(|i| format!("n{i}")).collect();
        let wall_base = Arc::new(AtomicU64::new(WALL_START));
        let mut sim = Sim {
            now_ms: 0,
            rng: SplitMix64::new(seed),
            names,
            nodes: Vec::new(),
            stores: (0..n).map(|_| MemStore::new()).collect(),
            clocks: (0..n)
                .map(|_| Arc::new(OffsetClock::new(wall_base.clone(), 0)))
                .collect(),
            wall_base,
            factory,
            bugs,
            queue: BTreeMap::new(),
            seq: 0,
            blocked: HashSet::new(),
            paused: HashSet::new(),
            held: Vec::new(),
            latency_ms: (1, 5),
            client_timeout_ms: 2_000,
            history: Vec::new(),
            in_flight: HashMap::new(),
            busy: HashMap::new(),
            next_token: 0,
            answers: HashMap::new(),
        };
        for i in 0..n {
            let node = sim.build(i, seed);
            sim.nodes.push(Some(node));
        }
        sim
    }

    fn build(&mut self, i: usize, seed: u64) -> M {
        let ctx = NodeContext {
            id: self.names[i].clone(),
            nodes: self.names.clone(),
            bugs: self.bugs.clone(),
            clock: self.clocks[i].clone(),
            store: Box::new(self.stores[i].clone()),
            now_ms: self.now_ms,
            seed,
        };
        (self.factory)(ctx)
    }

    pub fn name(&self, i: usize) -> &str {
        &self.names[i]
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn node(&self, i: usize) -> Option<&M> {
        self.nodes[i].as_ref()
    }

    pub fn history(&self) -> &[Op] {
        &self.history
    }

    pub fn set_clock_offset(&self, i: usize, offset_nanos: i64) {
        self.clocks[i].set_offset(offset_nanos);
    }

    /// Cuts every link between the groups (both ways).
    pub fn partition(&mut self, groups: &[&[usize]]) {
        self.blocked.clear();
        for (gi, a) in groups.iter().enumerate() {
            for (gj, b) in groups.iter().enumerate() {
                if gi != gj {
                    for &x in a.iter() {
                        for &y in b.iter() {
                            self.blocked.insert((x, y));
                        }
                    }
                }
            }
        }
    }

    pub fn heal(&mut self) {
        self.blocked.clear();
    }

    /// SIGKILL: the node's memory is gone, its synced journal stays.
    pub fn crash(&mut self, i: usize) {
        self.paused.remove(&i);
        self.held.retain(|(n, _, _)| *n != i);
        self.nodes[i] = None;
        self.stores[i].crash();
    }

    /// SIGSTOP: the node keeps its memory but handles nothing (no messages, ticks or requests)
    /// until [`Sim::resume`]; what was sent to it waits in its socket buffers.
    pub fn pause(&mut self, i: usize) {
        self.paused.insert(i);
    }

    pub fn resume(&mut self, i: usize) {
        self.paused.remove(&i);
        let now = self.now_ms;
        let held: Vec<_> = self
            .held
            .iter()
            .filter(|(n, _, _)| *n == i)
            .cloned()
            .collect();
        self.held.retain(|(n, _, _)| *n != i);
        for (_, token, req) in held {
            if let Some(node) = self.nodes[i].as_mut() {
                let mut fx = Effects::default();
                node.on_client(token, req, now, &mut fx);
                self.finish_batch(i, fx);
            }
        }
    }

    pub fn restart(&mut self, i: usize) {
        let seed = self.rng.next_u64();
        let node = self.build(i, seed);
        self.nodes[i] = Some(node);
    }

    /// Whether `process` has no operation in flight.
    pub fn idle(&self, process: u64) -> bool {
        !self.busy.contains_key(&process)
    }

    fn record(&mut self, kind: OpType, op: &InFlight, value: Value, error: Option<String>) {
        let f = match op.kind {
            OpKind::Read | OpKind::SetRead | OpKind::CounterRead | OpKind::ReadAll => "read",
            OpKind::Write => "write",
            OpKind::Cas => "cas",
            OpKind::Txn => "txn",
            OpKind::SetAdd | OpKind::CounterAdd => "add",
            OpKind::Transfer => "transfer",
            OpKind::Status => "status",
        };
        self.history.push(Op {
            index: self.history.len() as u64,
            time: self.now_ms * 1_000_000,
            process: Process::Client(op.process),
            kind,
            f: f.to_string(),
            key: op.key.clone(),
            value,
            node: Some(self.names[op.node].clone()),
            error: error.map(Value::String),
        });
    }

    /// Sends a request from `process` to node `i` and records its invocation. A process has at
    /// most one operation in flight (Jepsen's rule), so this panics if the test breaks that.
    pub fn invoke(&mut self, process: u64, i: usize, op: OpKind, key: Option<Value>, value: Value) {
        assert!(
            self.idle(process),
            "process {process} already has an operation in flight"
        );
        self.next_token += 1;
        let token = self.next_token;
        let req = Request::new(token, op, key.clone(), value.clone());
        let in_flight = InFlight {
            process,
            kind: op,
            key,
            value: value.clone(),
            node: i,
            invoked_ms: self.now_ms,
        };
        self.record(OpType::Invoke, &in_flight, value, None);
        self.in_flight.insert((i, token), in_flight);
        self.busy.insert(process, (i, token));
        let now = self.now_ms;
        if self.paused.contains(&i) {
            self.held.push((i, token, req));
            return;
        }
        match self.nodes[i].as_mut() {
            Some(node) => {
                let mut fx = Effects::default();
                node.on_client(token, req, now, &mut fx);
                self.finish_batch(i, fx);
            }
            None => {
                // Connection refused: nothing was sent.
                self.complete(i, token, Response::fail(token, "not-connected"));
            }
        }
    }

    fn complete(&mut self, i: usize, token: Token, answer: Response) {
        let Some(op) = self.in_flight.remove(&(i, token)) else {
            return;
        };
        self.busy.remove(&op.process);
        let kind = match answer.outcome {
            Outcome::Ok => OpType::Ok,
            Outcome::Fail => OpType::Fail,
            Outcome::Info => OpType::Info,
        };
        let value = match (answer.outcome, op.kind) {
            (
                Outcome::Ok,
                OpKind::Read
                | OpKind::SetRead
                | OpKind::CounterRead
                | OpKind::ReadAll
                | OpKind::Txn,
            ) => answer.value.clone(),
            _ => op.value.clone(),
        };
        self.record(kind, &op, value, answer.error.clone());
        self.answers.insert(op.process, answer);
    }

    /// Flushes node `i` and carries out its effects.
    fn finish_batch(&mut self, i: usize, mut fx: Effects<M::Msg>) {
        let now = self.now_ms;
        if let Some(node) = self.nodes[i].as_mut() {
            node.flush(now, &mut fx)
                .expect("memory journal never fails");
        }
        for (to, msg) in fx.messages {
            let Some(j) = self.names.iter().position(|n| *n == to) else {
                continue;
            };
            if self.blocked.contains(&(i, j)) {
                continue;
            }
            let (lo, hi) = self.latency_ms;
            let at = now + self.rng.range(lo, hi);
            self.seq += 1;
            self.queue.insert((at, self.seq), (i, j, msg));
        }
        for (token, answer) in fx.replies {
            self.complete(i, token, answer);
        }
    }

    /// Advances one millisecond: delivers due messages, ticks, times out clients.
    pub fn step(&mut self) {
        self.now_ms += 1;
        self.wall_base.fetch_add(1_000_000, Ordering::SeqCst);
        let now = self.now_ms;
        let mut per_node: Vec<Effects<M::Msg>> =
            (0..self.len()).map(|_| Effects::default()).collect();
        let mut touched = vec![false; self.len()];
        let mut waiting = Vec::new();
        while let Some(entry) = self.queue.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let ((_, seq), (from, to, msg)) = entry.remove_entry();
            if self.blocked.contains(&(from, to)) {
                continue;
            }
            if self.paused.contains(&to) {
                waiting.push((seq, (from, to, msg)));
                continue;
            }
            if let Some(node) = self.nodes[to].as_mut() {
                node.on_peer(&self.names[from], msg, now, &mut per_node[to]);
                touched[to] = true;
            }
        }
        for (seq, message) in waiting {
            self.queue.insert((now + 1, seq), message);
        }
        if now % TICK_MS == 0 {
            for (i, fx) in per_node.iter_mut().enumerate() {
                if self.paused.contains(&i) {
                    continue;
                }
                if let Some(node) = self.nodes[i].as_mut() {
                    node.on_tick(now, fx);
                    touched[i] = true;
                }
            }
        }
        for (i, fx) in per_node.into_iter().enumerate() {
            if touched[i] {
                self.finish_batch(i, fx);
            }
        }
        let timeout = self.client_timeout_ms;
        let expired: Vec<(usize, Token)> = self
            .in_flight
            .iter()
            .filter(|(_, op)| now - op.invoked_ms >= timeout)
            .map(|(k, _)| *k)
            .collect();
        for (i, token) in expired {
            self.complete(i, token, Response::info(token, "timeout"));
        }
    }

    pub fn run_for(&mut self, ms: u64) {
        for _ in 0..ms {
            self.step();
        }
    }

    /// Runs until every process is idle (or `max_ms` passed).
    pub fn settle(&mut self, max_ms: u64) {
        let until = self.now_ms + max_ms;
        while !self.busy.is_empty() && self.now_ms < until {
            self.step();
        }
    }

    /// Invokes an operation and runs until it completes; returns the answer.
    pub fn call(
        &mut self,
        process: u64,
        i: usize,
        op: OpKind,
        key: Option<Value>,
        value: Value,
    ) -> Response {
        self.invoke(process, i, op, key, value);
        while !self.idle(process) {
            self.step();
        }
        self.answers[&process].clone()
    }

    /// A random number in `0..n` from the simulation's generator.
    pub fn random(&mut self, n: u64) -> u64 {
        self.rng.next_u64() % n
    }
}

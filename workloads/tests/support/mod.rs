//! A simulated correct store for the workloads' property tests: one atomic in-memory state,
//! clients interleaved at random, each operation taking effect at its completion (so the history
//! is linearizable). Some operations end `info` and take effect or not at random, as a client
//! timeout would leave them. The history follows the run loop's phases: setup, main, the
//! final-reads marker, final reads on every node.

use std::collections::BTreeMap;

use faultline_checkers::{History, Op, OpType, Process, Value};
use faultline_workloads::{Invocation, Workload, FINAL_READS_MARKER};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

/// The store's state: one JSON value per key (registers, set element lists, counters, balances).
#[derive(Clone, Default)]
pub struct Store {
    pub state: BTreeMap<String, Value>,
    /// `add` grows a counter rather than a set; reads of unwritten keys return 0.
    pub counters: bool,
    /// Reads of unwritten keys return an empty set.
    pub sets: bool,
    /// Drop every `n`-th acknowledged write or add (a faulty store), 0 for none.
    pub lose_every: usize,
    pub acknowledged: usize,
}

fn key_name(k: &Option<Value>) -> String {
    k.as_ref().map(|k| k.to_string()).unwrap_or_default()
}

impl Store {
    /// Applies `inv`; the outcome and completion value.
    pub fn apply(&mut self, inv: &Invocation) -> (OpType, Value) {
        let k = key_name(&inv.key);
        let current = self.state.get(&k).cloned().unwrap_or(Value::Null);
        let lose = |s: &mut Store| {
            s.acknowledged += 1;
            s.lose_every > 0 && s.acknowledged % s.lose_every == 0
        };
        match inv.f.as_str() {
            "read" if inv.key.is_none() => {
                // bank: every balance
                let map: serde_json::Map<String, Value> = self
                    .state
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                (OpType::Ok, Value::Object(map))
            }
            "read" => {
                let v = match (current.is_null(), self.sets, self.counters) {
                    (true, true, _) => json!([]),
                    (true, _, true) => json!(0),
                    _ => current,
                };
                (OpType::Ok, v)
            }
            "write" => {
                if !lose(self) {
                    self.state.insert(k, inv.value.clone());
                }
                (OpType::Ok, inv.value.clone())
            }
            "cas" => {
                let [old, new] = [&inv.value[0], &inv.value[1]];
                if &current != old {
                    return (OpType::Fail, inv.value.clone());
                }
                if !lose(self) {
                    self.state.insert(k, new.clone());
                }
                (OpType::Ok, inv.value.clone())
            }
            "add" if self.counters => {
                let n = current.as_i64().unwrap_or(0) + inv.value.as_i64().unwrap();
                self.state.insert(k, json!(n));
                (OpType::Ok, inv.value.clone())
            }
            "add" => {
                let mut items = current.as_array().cloned().unwrap_or_default();
                if !lose(self) {
                    items.push(inv.value.clone());
                }
                self.state.insert(k, Value::Array(items));
                (OpType::Ok, inv.value.clone())
            }
            "transfer" => {
                let (from, to) = (inv.value["from"].to_string(), inv.value["to"].to_string());
                let amount = inv.value["amount"].as_i64().unwrap();
                let have = self.state.get(&from).and_then(Value::as_i64).unwrap_or(0);
                if have < amount {
                    return (OpType::Fail, inv.value.clone());
                }
                let to_have = self.state.get(&to).and_then(Value::as_i64).unwrap_or(0);
                self.state.insert(from, json!(have - amount));
                self.state.insert(to, json!(to_have + amount));
                (OpType::Ok, inv.value.clone())
            }
            "txn" => {
                let mut out = Vec::new();
                for m in inv.value.as_array().unwrap() {
                    let (f, mk) = (m[0].as_str().unwrap(), format!("t{}", m[1]));
                    let cur = self.state.get(&mk).cloned();
                    match f {
                        "r" => out.push(json!(["r", m[1], cur])),
                        "w" => {
                            self.state.insert(mk, m[2].clone());
                            out.push(m.clone());
                        }
                        _ => {
                            let mut l = cur.and_then(|c| c.as_array().cloned()).unwrap_or_default();
                            l.push(m[2].clone());
                            self.state.insert(mk, Value::Array(l));
                            out.push(m.clone());
                        }
                    }
                }
                (OpType::Ok, Value::Array(out))
            }
            other => panic!("the simulated store has no {other}"),
        }
    }
}

/// Options of a simulation.
pub struct Sim {
    pub seed: u64,
    pub concurrency: u32,
    pub ops: usize,
    pub info_rate: f64,
    pub nodes: usize,
    /// A node that stops applying writes once the main phase starts: its reads (final ones
    /// included) come from a frozen copy, as a partitioned asynchronous follower would serve.
    pub frozen_node: Option<usize>,
}

/// Runs `workload` against a correct store; returns the history.
pub fn simulate(workload: &dyn Workload, sim: &Sim, mut store: Store) -> History {
    let mut rng = ChaCha8Rng::seed_from_u64(sim.seed ^ 0x5151);
    let mut events: Vec<Op> = Vec::new();
    let push =
        |events: &mut Vec<Op>, p: u64, kind: OpType, inv: &Invocation, v: Value, node: usize| {
            let time = (events.len() as u64 + 1) * 1_000_000;
            let mut op = Op::new(events.len() as u64, p, kind, &inv.f, v).with_time(time);
            op.key = inv.key.clone();
            op.node = Some(format!("n{}", node + 1));
            events.push(op);
        };
    for inv in workload.setup_ops() {
        store.apply(&inv);
    }
    let frozen = store.clone();
    let read_at = |store: &mut Store, inv: &Invocation, node: usize| {
        if inv.f == "read" && sim.frozen_node == Some(node) {
            frozen.clone().apply(inv)
        } else {
            store.apply(inv)
        }
    };
    let mut gens: Vec<_> = (0..sim.concurrency)
        .map(|s| workload.generator(s, sim.concurrency, sim.seed))
        .collect();
    let mut process: Vec<u64> = (0..u64::from(sim.concurrency)).collect();
    let mut next_process = u64::from(sim.concurrency);
    let mut in_flight: Vec<Option<Invocation>> = vec![None; sim.concurrency as usize];
    let mut issued = 0;
    while issued < sim.ops || in_flight.iter().any(Option::is_some) {
        let s = rng.random_range(0..sim.concurrency as usize);
        let node = s % sim.nodes;
        match in_flight[s].take() {
            None if issued < sim.ops => {
                let inv = gens[s].next_op();
                push(
                    &mut events,
                    process[s],
                    OpType::Invoke,
                    &inv,
                    inv.value.clone(),
                    node,
                );
                in_flight[s] = Some(inv);
                issued += 1;
            }
            None => {}
            Some(inv) => {
                if rng.random_bool(sim.info_rate) && inv.f != "read" {
                    if rng.random_bool(0.5) {
                        store.apply(&inv);
                    }
                    push(
                        &mut events,
                        process[s],
                        OpType::Info,
                        &inv,
                        inv.value.clone(),
                        node,
                    );
                    process[s] = next_process;
                    next_process += 1;
                } else {
                    let (kind, v) = read_at(&mut store, &inv, node);
                    push(&mut events, process[s], kind, &inv, v, node);
                }
            }
        }
    }
    let marker = events.len() as u64;
    let mut m = Op::new(marker, 0, OpType::Info, FINAL_READS_MARKER, Value::Null)
        .with_time((marker + 1) * 1_000_000);
    m.process = Process::Nemesis;
    events.push(m);
    for node in 0..sim.nodes {
        for inv in workload.final_reads() {
            let (kind, v) = read_at(&mut store, &inv, node);
            push(
                &mut events,
                next_process,
                OpType::Invoke,
                &inv,
                inv.value.clone(),
                node,
            );
            push(&mut events, next_process, kind, &inv, v, node);
        }
    }
    History::new(events).expect("simulated history pairs up")
}

//! A simulated causally consistent replicated store, producing list-append or rw-register
//! histories: the benchmark input of the causal checker, and ground truth for its property tests.
//!
//! Each replica applies local transactions at once and remote ones by causal delivery (an update
//! is applied only after every update its origin had applied when it was made). Clients are
//! pinned to a replica and may move to another only if it has applied everything in the client's
//! causal past. Under those rules every history is causally consistent; `bug_probability` makes a
//! replica apply a remote update before its dependencies, which is how causal stores break.

use serde_json::{json, Value};

use crate::{Op, OpType};

/// What to generate.
#[derive(Clone, Debug)]
pub struct CausalStoreConfig {
    pub transactions: usize,
    /// Concurrent clients (sessions alive at once).
    pub clients: usize,
    pub replicas: usize,
    /// Keys in use at a time.
    pub active_keys: usize,
    /// After this many transactions the window of active keys moves on by one (0: never), which
    /// keeps lists short as Elle's list-append workload does.
    pub key_rotation: usize,
    /// Micro-operations per transaction, 1 to this.
    pub max_ops_per_txn: usize,
    /// Registers (`w`) instead of lists (`append`).
    pub registers: bool,
    /// Chance per transaction that a client tries to move to another replica.
    pub switch_probability: f64,
    /// Chance per transaction that a replica receives every update it can apply.
    pub delivery_probability: f64,
    /// Chance a transaction ends `info` (applied or not, at random; the client then continues as a
    /// new process) and that it ends `fail` (not applied).
    pub info_probability: f64,
    pub fail_probability: f64,
    /// Chance that a delivery applies an update whose dependencies have not arrived.
    pub bug_probability: f64,
    pub seed: u64,
}

impl Default for CausalStoreConfig {
    fn default() -> Self {
        CausalStoreConfig {
            transactions: 1000,
            clients: 10,
            replicas: 3,
            active_keys: 8,
            key_rotation: 200,
            max_ops_per_txn: 4,
            registers: false,
            switch_probability: 0.05,
            delivery_probability: 0.3,
            info_probability: 0.01,
            fail_probability: 0.01,
            bug_probability: 0.0,
            seed: 1,
        }
    }
}

/// SplitMix64 (Steele, Lea and Flood, OOPSLA 2014): tiny, seedable, good enough for workloads.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

/// A replicated update: the writes of one transaction, and what its origin had applied.
struct Update {
    deps: Vec<u32>,
    writes: Vec<(u64, i64)>,
}

struct Replica {
    applied: Vec<u32>,
    lists: std::collections::HashMap<u64, Vec<i64>>,
    registers: std::collections::HashMap<u64, i64>,
}

impl Replica {
    fn apply(&mut self, writes: &[(u64, i64)], registers: bool) {
        for &(k, v) in writes {
            if registers {
                self.registers.insert(k, v);
            } else {
                self.lists.entry(k).or_default().push(v);
            }
        }
    }
}

struct Client {
    process: u64,
    replica: usize,
    /// Updates per origin in the client's causal past.
    past: Vec<u32>,
}

/// Generates the history: invocations and completions, one transaction at a time.
pub fn causal_store_history(cfg: &CausalStoreConfig) -> Vec<Op> {
    let mut rng = SplitMix(cfg.seed);
    let r_count = cfg.replicas.max(1);
    let mut replicas: Vec<Replica> = (0..r_count)
        .map(|_| Replica {
            applied: vec![0; r_count],
            lists: Default::default(),
            registers: Default::default(),
        })
        .collect();
    let mut logs: Vec<Vec<Update>> = (0..r_count).map(|_| Vec::new()).collect();
    let mut clients: Vec<Client> = (0..cfg.clients.max(1))
        .map(|c| Client {
            process: c as u64,
            replica: c % r_count,
            past: vec![0; r_count],
        })
        .collect();
    let mut next_process = clients.len() as u64;
    let mut next_value: i64 = 1;
    let mut ops = Vec::with_capacity(cfg.transactions * 2);
    for t in 0..cfg.transactions {
        if rng.chance(cfg.delivery_probability) {
            let r = rng.below(r_count);
            deliver(&mut replicas, &logs, r, cfg, &mut rng);
        }
        let c = rng.below(clients.len());
        if rng.chance(cfg.switch_probability) {
            let to = rng.below(r_count);
            if dominates(&replicas[to].applied, &clients[c].past) {
                clients[c].replica = to;
            }
        }
        let base = t.checked_div(cfg.key_rotation).unwrap_or(0) as u64;
        let len = 1 + rng.below(cfg.max_ops_per_txn.max(1));
        let mut plan: Vec<(bool, u64, i64)> = Vec::with_capacity(len);
        for _ in 0..len {
            let key = base + rng.below(cfg.active_keys.max(1)) as u64;
            if rng.chance(0.5) {
                plan.push((false, key, 0));
            } else {
                plan.push((true, key, next_value));
                next_value += 1;
            }
        }
        let write_f = if cfg.registers { "w" } else { "append" };
        let invoke = Value::Array(
            plan.iter()
                .map(|&(w, k, v)| {
                    if w {
                        json!([write_f, k, v])
                    } else {
                        json!(["r", k, null])
                    }
                })
                .collect(),
        );
        let process = clients[c].process;
        let index = ops.len() as u64;
        ops.push(
            Op::new(index, process, OpType::Invoke, "txn", invoke.clone()).with_time(index * 1000),
        );
        let outcome = if rng.chance(cfg.fail_probability) {
            OpType::Fail
        } else if rng.chance(cfg.info_probability) {
            OpType::Info
        } else {
            OpType::Ok
        };
        let applies = match outcome {
            OpType::Ok => true,
            OpType::Info => rng.chance(0.5),
            _ => false,
        };
        let mut completion = invoke;
        if applies {
            let r = clients[c].replica;
            let replica = &mut replicas[r];
            let deps = replica.applied.clone();
            let mut writes = Vec::new();
            let mut done = Vec::with_capacity(plan.len());
            for &(w, k, v) in &plan {
                if w {
                    replica.apply(&[(k, v)], cfg.registers);
                    writes.push((k, v));
                    done.push(json!([write_f, k, v]));
                } else if cfg.registers {
                    done.push(json!(["r", k, replica.registers.get(&k)]));
                } else {
                    done.push(json!([
                        "r",
                        k,
                        replica.lists.get(&k).cloned().unwrap_or_default()
                    ]));
                }
            }
            if !writes.is_empty() {
                replica.applied[r] += 1;
                logs[r].push(Update { deps, writes });
            }
            for (p, a) in clients[c].past.iter_mut().zip(&replica.applied) {
                *p = (*p).max(*a);
            }
            if outcome == OpType::Ok {
                completion = Value::Array(done);
            }
        }
        let index = ops.len() as u64;
        ops.push(Op::new(index, process, outcome, "txn", completion).with_time(index * 1000 + 500));
        if outcome == OpType::Info {
            clients[c] = Client {
                process: next_process,
                replica: rng.below(r_count),
                past: vec![0; r_count],
            };
            next_process += 1;
        }
    }
    ops
}

fn dominates(a: &[u32], b: &[u32]) -> bool {
    a.iter().zip(b).all(|(x, y)| x >= y)
}

/// Applies at replica `r` every remote update whose dependencies it has (or, with the bug, some
/// whose dependencies it lacks), origin by origin in order.
fn deliver(
    replicas: &mut [Replica],
    logs: &[Vec<Update>],
    r: usize,
    cfg: &CausalStoreConfig,
    rng: &mut SplitMix,
) {
    loop {
        let mut progress = false;
        for (o, log) in logs.iter().enumerate() {
            if o == r {
                continue;
            }
            while let Some(u) = log.get(replicas[r].applied[o] as usize) {
                let ready = u
                    .deps
                    .iter()
                    .enumerate()
                    .all(|(j, &d)| j == o || replicas[r].applied[j] >= d);
                if !ready && !rng.chance(cfg.bug_probability) {
                    break;
                }
                replicas[r].apply(&u.writes, cfg.registers);
                replicas[r].applied[o] += 1;
                progress = true;
            }
        }
        if !progress {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::History;

    #[test]
    fn same_seed_same_history_and_pairs_complete() {
        let cfg = CausalStoreConfig {
            transactions: 300,
            ..Default::default()
        };
        let a = causal_store_history(&cfg);
        assert_eq!(a, causal_store_history(&cfg));
        let h = History::new(a).unwrap();
        assert_eq!(h.pairs().len(), 300);
        assert!(h.warnings().is_empty());
    }
}

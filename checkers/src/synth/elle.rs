//! Transactional histories from a simulated strict-serializable database, for the Elle-class
//! checker's property tests and benchmarks.
//!
//! Clients invoke transactions of 1–N micro-ops over a small pool of active keys; each key is
//! retired after a fixed number of writes (as Jepsen's generators do, so read lists stay short).
//! A transaction takes effect atomically at one moment between its invocation and completion, so
//! the history is strict serializable by construction. Some transactions fail before taking
//! effect; some end `info`, having taken effect or not.

use serde_json::{json, Value};

use crate::history::txn::MicroKind;
use crate::{Op, OpType};

/// What to generate.
#[derive(Clone, Debug)]
pub struct ElleSynth {
    /// `true`: list-append; `false`: rw-register.
    pub list_append: bool,
    pub txns: usize,
    pub clients: usize,
    pub min_ops: usize,
    pub max_ops: usize,
    /// Keys in use at once.
    pub active_keys: usize,
    /// Writes after which a key is retired and replaced by a fresh one.
    pub writes_per_key: usize,
    /// Probability that a transaction fails (never takes effect).
    pub fail_rate: f64,
    /// Probability that a transaction ends `info` (taken effect or not).
    pub info_rate: f64,
    /// Probability that a read returns a stale version (a strict prefix of the list, or the
    /// register's previous value) — a planted bug, for invalid histories.
    pub stale_read_rate: f64,
    pub seed: u64,
}

impl Default for ElleSynth {
    fn default() -> Self {
        ElleSynth {
            list_append: true,
            txns: 1000,
            clients: 10,
            min_ops: 1,
            max_ops: 5,
            active_keys: 10,
            writes_per_key: 32,
            fail_rate: 0.0,
            info_rate: 0.0,
            stale_read_rate: 0.0,
            seed: 0,
        }
    }
}

/// SplitMix64: small, fast and good enough for workload shapes (no dependency in the library).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p && p > 0.0
    }
}

enum Client {
    Idle,
    /// Invoked; `ops` not yet applied.
    Invoked {
        ops: Vec<(MicroKind, u64, i64)>,
    },
    /// Applied to the database; `result` is the completed transaction value.
    Applied {
        result: Value,
    },
}

/// Generates a history (events with increasing `index` and `time`).
pub fn generate(cfg: &ElleSynth) -> Vec<Op> {
    let mut rng = Rng(cfg.seed ^ 0x5eed);
    let mut lists: Vec<Vec<i64>> = Vec::new(); // by key id
    let mut writes: Vec<usize> = Vec::new(); // writes per key
    let mut active: Vec<u64> = Vec::new();
    for _ in 0..cfg.active_keys.max(1) {
        active.push(lists.len() as u64);
        lists.push(Vec::new());
        writes.push(0);
    }
    let mut clients: Vec<(u64, Client)> = (0..cfg.clients.max(1) as u64)
        .map(|p| (p, Client::Idle))
        .collect();
    let mut next_process = clients.len() as u64;
    let mut events = Vec::with_capacity(cfg.txns * 2);
    let mut invoked = 0usize;
    let mut open = 0usize;
    let emit = |events: &mut Vec<Op>, p: u64, kind: OpType, value: Value| {
        let i = events.len() as u64;
        events.push(Op::new(i, p, kind, "txn", value).with_time(i * 1000 + 1));
    };
    let value_of = |ops: &[(MicroKind, u64, i64)], read: &dyn Fn(u64) -> Value| -> Value {
        Value::Array(
            ops.iter()
                .map(|&(k, key, v)| match k {
                    MicroKind::Read => json!(["r", key, read(key)]),
                    MicroKind::Append => json!(["append", key, v]),
                    MicroKind::Write => json!(["w", key, v]),
                })
                .collect(),
        )
    };
    while invoked < cfg.txns || open > 0 {
        let c = rng.below(clients.len());
        let (p, state) = &mut clients[c];
        match state {
            Client::Idle => {
                if invoked >= cfg.txns {
                    continue;
                }
                let n = cfg.min_ops + rng.below(cfg.max_ops.saturating_sub(cfg.min_ops) + 1);
                let mut ops = Vec::with_capacity(n);
                for _ in 0..n.max(1) {
                    let slot = rng.below(active.len());
                    let key = active[slot];
                    if rng.below(2) == 0 {
                        ops.push((MicroKind::Read, key, 0));
                    } else {
                        // Unique per key: the key's write counter, from 1.
                        writes[key as usize] += 1;
                        let v = writes[key as usize] as i64;
                        let kind = if cfg.list_append {
                            MicroKind::Append
                        } else {
                            MicroKind::Write
                        };
                        ops.push((kind, key, v));
                        if writes[key as usize] >= cfg.writes_per_key {
                            active[slot] = lists.len() as u64;
                            lists.push(Vec::new());
                            writes.push(0);
                        }
                    }
                }
                emit(
                    &mut events,
                    *p,
                    OpType::Invoke,
                    value_of(&ops, &|_| Value::Null),
                );
                invoked += 1;
                open += 1;
                *state = Client::Invoked { ops };
            }
            Client::Invoked { ops } => {
                if rng.chance(cfg.fail_rate) {
                    emit(
                        &mut events,
                        *p,
                        OpType::Fail,
                        value_of(ops, &|_| Value::Null),
                    );
                    open -= 1;
                    *state = Client::Idle;
                    continue;
                }
                if rng.chance(cfg.info_rate / 2.0) {
                    // Lost before it reached the database.
                    emit(
                        &mut events,
                        *p,
                        OpType::Info,
                        value_of(ops, &|_| Value::Null),
                    );
                    open -= 1;
                    *p = next_process;
                    next_process += 1;
                    *state = Client::Idle;
                    continue;
                }
                // Take effect now, atomically.
                let mut done = Vec::with_capacity(ops.len());
                for &(k, key, v) in ops.iter() {
                    let list = &mut lists[key as usize];
                    let stale = if k == MicroKind::Read
                        && !list.is_empty()
                        && rng.chance(cfg.stale_read_rate)
                    {
                        1 + rng.below(list.len())
                    } else {
                        0
                    };
                    let seen = &list[..list.len() - stale];
                    done.push(match k {
                        MicroKind::Read if cfg.list_append => json!(["r", key, seen]),
                        MicroKind::Read => json!(["r", key, seen.last().copied()]),
                        MicroKind::Append => {
                            list.push(v);
                            json!(["append", key, v])
                        }
                        MicroKind::Write => {
                            list.push(v);
                            json!(["w", key, v])
                        }
                    });
                }
                *state = Client::Applied {
                    result: Value::Array(done),
                };
            }
            Client::Applied { result } => {
                let result = std::mem::take(result);
                if rng.chance(cfg.info_rate / 2.0) {
                    // Took effect, but the client never learned it.
                    let invoked_value = strip_reads(&result);
                    emit(&mut events, *p, OpType::Info, invoked_value);
                    *p = next_process;
                    next_process += 1;
                } else {
                    emit(&mut events, *p, OpType::Ok, result);
                }
                open -= 1;
                *state = Client::Idle;
            }
        }
    }
    events
}

fn strip_reads(value: &Value) -> Value {
    let mut v = value.clone();
    if let Value::Array(ops) = &mut v {
        for op in ops {
            if op[0] == "r" {
                op[2] = Value::Null;
            }
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::History;

    #[test]
    fn generates_paired_histories_with_every_outcome() {
        let ops = generate(&ElleSynth {
            txns: 500,
            fail_rate: 0.1,
            info_rate: 0.1,
            seed: 7,
            ..ElleSynth::default()
        });
        let h = History::new(ops).unwrap();
        assert_eq!(h.pairs().len(), 500);
        for kind in [OpType::Ok, OpType::Fail, OpType::Info] {
            assert!(h.pairs().iter().any(|p| p.outcome == kind), "{kind}");
        }
        let same = generate(&ElleSynth {
            txns: 500,
            fail_rate: 0.1,
            info_rate: 0.1,
            seed: 7,
            ..ElleSynth::default()
        });
        assert_eq!(h.into_ops(), same);
    }
}

//! `long-fork`: Jepsen's long-fork workload. Clients insert fresh keys with one-write
//! transactions `[["w", k, 1]]` and read whole groups of keys `[["r", k, null], …]`: right after
//! an insert, the group of the key just written; otherwise, at random, the group of a key
//! another client is likely writing now. Keys are unique across clients (`i·n + slot`), so every
//! group of `key_count` (default 3) consecutive keys collects inserts from several clients, and
//! two reads that see concurrent inserts in opposite orders are a long fork. Judged by the
//! `long-fork` checker (group size passed as its `--initial`). Snapshot isolation forbids it;
//! parallel snapshot isolation allows it.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

use crate::options::WorkloadOptions;
use crate::registers::pacing;
use crate::rng::{slot_rng, Stream};
use crate::workload::{DelaySchedule, Invocation, OpGenerator, Workload};
use faultline_checkers::Checker;

pub struct LongFork {
    options: WorkloadOptions,
    group: u64,
}

impl LongFork {
    pub const ABOUT: &'static str =
        "inserts of fresh keys and reads of key groups, for long forks (parallel SI)";

    pub fn new(options: &WorkloadOptions) -> Self {
        LongFork {
            options: options.clone(),
            group: options.key_count_or(3).max(2) as u64,
        }
    }
}

struct LongForkGenerator {
    rng: ChaCha8Rng,
    slot: u64,
    slots: u64,
    group: u64,
    inserts: u64,
    just_wrote: Option<u64>,
}

impl LongForkGenerator {
    fn read_group(&self, key: u64) -> Invocation {
        let first = key - key % self.group;
        let reads: Vec<Value> = (first..first + self.group)
            .map(|k| json!(["r", k, null]))
            .collect();
        Invocation::new("txn", None, Value::Array(reads))
    }
}

impl OpGenerator for LongForkGenerator {
    fn next_op(&mut self) -> Invocation {
        if let Some(k) = self.just_wrote.take() {
            return self.read_group(k);
        }
        if self.inserts > 0 && self.rng.random_bool(0.5) {
            // Another client's latest key, assuming it has inserted about as often as we have.
            let other = self.rng.random_range(0..self.slots);
            return self.read_group((self.inserts - 1) * self.slots + other);
        }
        let key = self.inserts * self.slots + self.slot;
        self.inserts += 1;
        self.just_wrote = Some(key);
        Invocation::new("txn", None, json!([["w", key, 1]]))
    }
}

impl Workload for LongFork {
    fn name(&self) -> &'static str {
        "long-fork"
    }

    fn generator(&self, slot: u32, concurrency: u32, seed: u64) -> Box<dyn OpGenerator> {
        Box::new(LongForkGenerator {
            rng: slot_rng(seed, slot, Stream::Ops),
            slot: u64::from(slot),
            slots: u64::from(concurrency.max(1)),
            group: self.group,
            inserts: 0,
            just_wrote: None,
        })
    }

    /// None: every read is judged against every other read of its group.
    fn final_reads(&self) -> Vec<Invocation> {
        Vec::new()
    }

    fn checkers(&self) -> Vec<&'static dyn Checker> {
        vec![&faultline_checkers::safety::long_fork::LongFork]
    }

    fn delay_schedule(&self, slot: u32, concurrency: u32, seed: u64) -> DelaySchedule {
        pacing(&self.options, slot, concurrency, seed)
    }

    fn final_reads_on_every_node(&self) -> bool {
        false
    }

    fn checker_initial(&self, model: &str) -> Option<Value> {
        (model == "long-fork").then(|| json!(self.group))
    }
}

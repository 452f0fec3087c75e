//! `causal`: client sessions of read-then-write chains across a few integer keys (default 4):
//! each step reads a key, then writes another key with a value unique across clients, so the
//! write causally depends on what the read saw. Another session that sees the write but then
//! misses what it depended on has observed an effect without its cause. Judged by the `causal`
//! checker (causal consistency and the session guarantees). Final reads of every key.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

use crate::keys::{KeyPicker, UniqueValues};
use crate::options::WorkloadOptions;
use crate::registers::{final_reads, pacing};
use crate::rng::{slot_rng, Stream};
use crate::workload::{DelaySchedule, Invocation, OpGenerator, Workload};
use faultline_checkers::Checker;

pub struct Causal {
    options: WorkloadOptions,
    keys: usize,
}

impl Causal {
    pub const ABOUT: &'static str =
        "sessions of read-then-write chains across keys, for causal consistency";

    pub fn new(options: &WorkloadOptions) -> Self {
        Causal {
            options: WorkloadOptions {
                conflict_rate: 1.0,
                ..options.clone()
            },
            keys: options.key_count_or(4).max(2),
        }
    }
}

struct CausalGenerator {
    rng: ChaCha8Rng,
    keys: KeyPicker,
    key_count: u64,
    values: UniqueValues,
    /// The key the next write goes to, chosen when its read was issued.
    pending_write: Option<u64>,
}

impl OpGenerator for CausalGenerator {
    fn next_op(&mut self) -> Invocation {
        if let Some(k) = self.pending_write.take() {
            return Invocation::new("write", Some(json!(k)), json!(self.values.next_value()));
        }
        let read = self.keys.pick(&mut self.rng);
        let write = (read + self.rng.random_range(1..self.key_count)) % self.key_count;
        self.pending_write = Some(write);
        Invocation::new("read", Some(json!(read)), Value::Null)
    }
}

impl Workload for Causal {
    fn name(&self) -> &'static str {
        "causal"
    }

    fn generator(&self, slot: u32, concurrency: u32, seed: u64) -> Box<dyn OpGenerator> {
        Box::new(CausalGenerator {
            rng: slot_rng(seed, slot, Stream::Ops),
            keys: KeyPicker::new(&self.options, self.keys, slot, concurrency),
            key_count: self.keys as u64,
            values: UniqueValues::new(slot, concurrency),
            pending_write: None,
        })
    }

    fn final_reads(&self) -> Vec<Invocation> {
        final_reads(&self.options, self.keys)
    }

    fn checkers(&self) -> Vec<&'static dyn Checker> {
        vec![&faultline_checkers::causal::unit::CAUSAL]
    }

    fn delay_schedule(&self, slot: u32, concurrency: u32, seed: u64) -> DelaySchedule {
        pacing(&self.options, slot, concurrency, seed)
    }
}

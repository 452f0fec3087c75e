//! `counter`: counters (integer keys, default 1) starting at 0: `add` of 1..=5 and `read`.
//! Judged by `counter` (every read within the bounds the acknowledged and possible adds allow)
//! and `convergence`. Defaults: 1 counter, read fraction 1/2.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

use crate::keys::KeyPicker;
use crate::options::WorkloadOptions;
use crate::registers::{final_reads, pacing};
use crate::rng::{slot_rng, Stream};
use crate::workload::{DelaySchedule, Invocation, OpGenerator, Workload};
use faultline_checkers::safety;
use faultline_checkers::Checker;

/// Largest increment.
pub const MAX_INCREMENT: u64 = 5;

pub struct Counter {
    options: WorkloadOptions,
    keys: usize,
}

impl Counter {
    pub const ABOUT: &'static str = "counters: add 1..5, read; reads must stay within bounds";

    pub fn new(options: &WorkloadOptions) -> Self {
        Counter {
            options: options.clone(),
            keys: options.key_count_or(1),
        }
    }
}

struct CounterGenerator {
    rng: ChaCha8Rng,
    keys: KeyPicker,
    read_fraction: f64,
}

impl OpGenerator for CounterGenerator {
    fn next_op(&mut self) -> Invocation {
        let key = Some(json!(self.keys.pick(&mut self.rng)));
        if self.rng.random_bool(self.read_fraction) {
            Invocation::new("read", key, Value::Null)
        } else {
            Invocation::new("add", key, json!(self.rng.random_range(1..=MAX_INCREMENT)))
        }
    }
}

impl Workload for Counter {
    fn name(&self) -> &'static str {
        "counter"
    }

    fn generator(&self, slot: u32, concurrency: u32, seed: u64) -> Box<dyn OpGenerator> {
        Box::new(CounterGenerator {
            rng: slot_rng(seed, slot, Stream::Ops),
            keys: KeyPicker::new(&self.options, self.keys, slot, concurrency),
            read_fraction: self.options.read_fraction_or(0.5),
        })
    }

    fn final_reads(&self) -> Vec<Invocation> {
        final_reads(&self.options, self.keys)
    }

    fn checkers(&self) -> Vec<&'static dyn Checker> {
        vec![&safety::counter::Counter, &safety::convergence::Convergence]
    }

    fn delay_schedule(&self, slot: u32, concurrency: u32, seed: u64) -> DelaySchedule {
        pacing(&self.options, slot, concurrency, seed)
    }

    fn checker_initial(&self, model: &str) -> Option<Value> {
        (model == "counter").then(|| json!(0))
    }
}

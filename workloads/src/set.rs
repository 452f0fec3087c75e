//! `set`: grow-only sets (integer keys, default 1): `add` of an element unique across clients,
//! and periodic `read`s returning every element; final reads of every set. Judged by `set-full`
//! (per element: lost, stale with time to visibility, never read), `set-final` (Jepsen's simple
//! set) and `convergence`. Defaults: 1 set, read fraction 0.1.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

use crate::keys::{KeyPicker, UniqueValues};
use crate::options::WorkloadOptions;
use crate::registers::{final_reads, pacing};
use crate::rng::{slot_rng, Stream};
use crate::workload::{DelaySchedule, Invocation, OpGenerator, Workload};
use faultline_checkers::safety;
use faultline_checkers::Checker;

pub struct Set {
    options: WorkloadOptions,
    keys: usize,
}

impl Set {
    pub const ABOUT: &'static str = "grow-only set: add unique elements, periodic and final reads";

    pub fn new(options: &WorkloadOptions) -> Self {
        Set {
            options: options.clone(),
            keys: options.key_count_or(1),
        }
    }
}

struct SetGenerator {
    rng: ChaCha8Rng,
    keys: KeyPicker,
    values: UniqueValues,
    read_fraction: f64,
}

impl OpGenerator for SetGenerator {
    fn next_op(&mut self) -> Invocation {
        let key = Some(json!(self.keys.pick(&mut self.rng)));
        if self.rng.random_bool(self.read_fraction) {
            Invocation::new("read", key, Value::Null)
        } else {
            Invocation::new("add", key, json!(self.values.next_value()))
        }
    }
}

impl Workload for Set {
    fn name(&self) -> &'static str {
        "set"
    }

    fn generator(&self, slot: u32, concurrency: u32, seed: u64) -> Box<dyn OpGenerator> {
        Box::new(SetGenerator {
            rng: slot_rng(seed, slot, Stream::Ops),
            keys: KeyPicker::new(&self.options, self.keys, slot, concurrency),
            values: UniqueValues::new(slot, concurrency),
            read_fraction: self.options.read_fraction_or(0.1),
        })
    }

    fn final_reads(&self) -> Vec<Invocation> {
        final_reads(&self.options, self.keys)
    }

    fn checkers(&self) -> Vec<&'static dyn Checker> {
        vec![
            &safety::set_full::SetFull,
            &safety::set_final::SetFinal,
            &safety::convergence::Convergence,
        ]
    }

    fn delay_schedule(&self, slot: u32, concurrency: u32, seed: u64) -> DelaySchedule {
        pacing(&self.options, slot, concurrency, seed)
    }
}

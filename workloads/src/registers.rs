//! The generator shared by the `register` and `kv` workloads: reads, blind writes and
//! compare-and-sets on integer-keyed registers, with values unique across clients so checkers can
//! tell which write a read observed.
//!
//! A cas `[old, new]` guesses `old` as a recent value of some client (generators never see
//! results, so the schedule is fixed by the seed); with the clients progressing at similar
//! rates a fair share of the guesses match.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

use crate::keys::{KeyPicker, UniqueValues};
use crate::options::WorkloadOptions;
use crate::rng::{slot_rng, Stream};
use crate::schedule::DelaySchedule;
use crate::workload::{Invocation, OpGenerator};
use faultline_checkers::linearizable::models::register::CAS_REGISTER;
use faultline_checkers::safety::{
    convergence::Convergence, lost_update::LostUpdate, staleness::Staleness,
};
use faultline_checkers::Checker;

/// Fraction of the non-read operations that are cas rather than blind writes.
const CAS_SHARE: f64 = 0.5;

pub struct RegisterGenerator {
    rng: ChaCha8Rng,
    keys: KeyPicker,
    values: UniqueValues,
    read_fraction: f64,
}

impl RegisterGenerator {
    pub fn new(
        options: &WorkloadOptions,
        shared_keys: usize,
        read_fraction: f64,
        slot: u32,
        concurrency: u32,
        seed: u64,
    ) -> Self {
        RegisterGenerator {
            rng: slot_rng(seed, slot, Stream::Ops),
            keys: KeyPicker::new(options, shared_keys, slot, concurrency),
            values: UniqueValues::new(slot, concurrency),
            read_fraction,
        }
    }
}

impl OpGenerator for RegisterGenerator {
    fn next_op(&mut self) -> Invocation {
        let key = Some(json!(self.keys.pick(&mut self.rng)));
        if self.rng.random_bool(self.read_fraction) {
            return Invocation::new("read", key, Value::Null);
        }
        if self.rng.random_bool(CAS_SHARE) {
            let drawn = self.values.drawn();
            let old = if drawn == 0 {
                Value::Null
            } else {
                let back = self.rng.random_range(1..=drawn.min(2));
                let slot = self.rng.random_range(0..self.values.slots());
                json!(self.values.value_of(drawn - back, slot))
            };
            let new = self.values.next_value();
            return Invocation::new("cas", key, json!([old, new]));
        }
        Invocation::new("write", key, json!(self.values.next_value()))
    }
}

/// Reads of every key an operation may have touched.
/// The checkers of the register workloads (`register`, `kv`): linearizability per key, lost
/// updates, staleness and convergence.
pub fn checkers() -> Vec<&'static dyn Checker> {
    vec![&CAS_REGISTER, &LostUpdate, &Staleness, &Convergence]
}

pub fn final_reads(options: &WorkloadOptions, shared_keys: usize) -> Vec<Invocation> {
    KeyPicker::new(options, shared_keys, 0, options.concurrency)
        .all_keys()
        .into_iter()
        .map(|k| Invocation::new("read", Some(json!(k)), Value::Null))
        .collect()
}

/// The `--rate` pacing every workload applies.
pub fn pacing(options: &WorkloadOptions, slot: u32, concurrency: u32, seed: u64) -> DelaySchedule {
    match options.rate {
        Some(rate) => DelaySchedule::paced(rate, options.jitter, slot, concurrency, seed),
        None => DelaySchedule::unpaced(),
    }
}

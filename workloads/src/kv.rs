//! `kv`: many independent registers (integer keys, every op carries `key`), read / write / cas.
//! Checked per key (P-compositionality) for linearizability, lost updates, staleness and
//! convergence. Defaults: 8 keys, read fraction 1/2.

use crate::options::WorkloadOptions;
use crate::registers::{final_reads, pacing, RegisterGenerator};
use crate::workload::{DelaySchedule, Invocation, OpGenerator, Workload};
use faultline_checkers::Checker;

pub struct Kv {
    options: WorkloadOptions,
    keys: usize,
}

impl Kv {
    pub const ABOUT: &'static str = "many independent registers: read, write, cas with `key`";

    pub fn new(options: &WorkloadOptions) -> Self {
        Kv {
            options: options.clone(),
            keys: options.key_count_or(8),
        }
    }
}

impl Workload for Kv {
    fn name(&self) -> &'static str {
        "kv"
    }

    fn generator(&self, slot: u32, concurrency: u32, seed: u64) -> Box<dyn OpGenerator> {
        let read = self.options.read_fraction_or(0.5);
        Box::new(RegisterGenerator::new(
            &self.options,
            self.keys,
            read,
            slot,
            concurrency,
            seed,
        ))
    }

    fn final_reads(&self) -> Vec<Invocation> {
        final_reads(&self.options, self.keys)
    }

    fn checkers(&self) -> Vec<&'static dyn Checker> {
        crate::registers::checkers()
    }

    fn delay_schedule(&self, slot: u32, concurrency: u32, seed: u64) -> DelaySchedule {
        pacing(&self.options, slot, concurrency, seed)
    }
}

//! `register`: one register (key 0), read / write / cas. Judged for linearizability as a
//! compare-and-set register, for lost updates, staleness, and convergence of the final reads.
//! Defaults: read fraction 1/3 (then half writes, half cas).

use crate::options::WorkloadOptions;
use crate::registers::{final_reads, pacing, RegisterGenerator};
use crate::workload::{DelaySchedule, Invocation, OpGenerator, Workload};
use faultline_checkers::Checker;

pub struct Register {
    options: WorkloadOptions,
}

impl Register {
    pub const ABOUT: &'static str = "one register: read, write, cas [old new] (unique values)";

    pub fn new(options: &WorkloadOptions) -> Self {
        Register {
            options: WorkloadOptions {
                key_count: Some(1),
                conflict_rate: 1.0,
                ..options.clone()
            },
        }
    }
}

impl Workload for Register {
    fn name(&self) -> &'static str {
        "register"
    }

    fn generator(&self, slot: u32, concurrency: u32, seed: u64) -> Box<dyn OpGenerator> {
        let read = self.options.read_fraction_or(1.0 / 3.0);
        Box::new(RegisterGenerator::new(
            &self.options,
            1,
            read,
            slot,
            concurrency,
            seed,
        ))
    }

    fn final_reads(&self) -> Vec<Invocation> {
        final_reads(&self.options, 1)
    }

    fn checkers(&self) -> Vec<&'static dyn Checker> {
        crate::registers::checkers()
    }

    fn delay_schedule(&self, slot: u32, concurrency: u32, seed: u64) -> DelaySchedule {
        pacing(&self.options, slot, concurrency, seed)
    }
}

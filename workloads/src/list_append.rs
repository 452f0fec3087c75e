//! `list-append`: transactions of `["r", k, null]` and `["append", k, v]` micro-operations on
//! rotating integer keys, values unique per key (Elle's list-append workload). Appends make the
//! version order of each key visible in every read, so Elle infers ww, wr and rw dependencies
//! directly. Judged by the `list-append` transactional checker. Defaults: 5 active keys, 1–4
//! micro-ops, read fraction 1/2, about 32 writes per key.

use faultline_checkers::history::txn::MicroKind;

use crate::options::WorkloadOptions;
use crate::registers::pacing;
use crate::txn::TxnGenerator;
use crate::workload::{DelaySchedule, Invocation, OpGenerator, Workload};

pub struct ListAppend {
    options: WorkloadOptions,
}

impl ListAppend {
    pub const ABOUT: &'static str =
        "transactions of list reads and appends on rotating keys (Elle list-append)";

    pub fn new(options: &WorkloadOptions) -> Self {
        ListAppend {
            options: options.clone(),
        }
    }
}

impl Workload for ListAppend {
    fn name(&self) -> &'static str {
        "list-append"
    }

    fn generator(&self, slot: u32, concurrency: u32, seed: u64) -> Box<dyn OpGenerator> {
        Box::new(TxnGenerator::new(
            &self.options,
            MicroKind::Append,
            slot,
            concurrency,
            seed,
        ))
    }

    /// None: Elle infers everything from the transactions themselves.
    fn final_reads(&self) -> Vec<Invocation> {
        Vec::new()
    }

    fn checkers(&self) -> Vec<&'static str> {
        vec!["list-append"]
    }

    fn delay_schedule(&self, slot: u32, concurrency: u32, seed: u64) -> DelaySchedule {
        pacing(&self.options, slot, concurrency, seed)
    }

    fn final_reads_on_every_node(&self) -> bool {
        false
    }
}

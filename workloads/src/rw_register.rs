//! `rw-register`: transactions of `["r", k, null]` and `["w", k, v]` micro-operations on
//! rotating integer keys, values unique per key (Elle's rw-register workload). Weaker inference
//! than list-append (a read shows one version, not the history), but it exercises stores that
//! only have registers. Judged by the `rw-register` transactional checker. Same defaults as
//! list-append.

use faultline_checkers::history::txn::MicroKind;

use crate::options::WorkloadOptions;
use crate::registers::pacing;
use crate::txn::TxnGenerator;
use crate::workload::{DelaySchedule, Invocation, OpGenerator, Workload};

pub struct RwRegister {
    options: WorkloadOptions,
}

impl RwRegister {
    pub const ABOUT: &'static str =
        "transactions of register reads and writes on rotating keys (Elle rw-register)";

    pub fn new(options: &WorkloadOptions) -> Self {
        RwRegister {
            options: options.clone(),
        }
    }
}

impl Workload for RwRegister {
    fn name(&self) -> &'static str {
        "rw-register"
    }

    fn generator(&self, slot: u32, concurrency: u32, seed: u64) -> Box<dyn OpGenerator> {
        Box::new(TxnGenerator::new(
            &self.options,
            MicroKind::Write,
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
        vec!["rw-register"]
    }

    fn delay_schedule(&self, slot: u32, concurrency: u32, seed: u64) -> DelaySchedule {
        pacing(&self.options, slot, concurrency, seed)
    }

    fn final_reads_on_every_node(&self) -> bool {
        false
    }
}

//! `list-append` and `rw-register`: Elle's two transactional workloads. Transactions of 1–N
//! micro-operations on rotating integer keys, values unique per key (see [`crate::txn`]); they
//! differ only in the write: `["append", k, v]` or `["w", k, v]`.
//!
//! - `list-append`: appends make the version order of each key visible in every read, so Elle
//!   infers ww, wr and rw dependencies directly.
//! - `rw-register`: blind writes of unique values. Weaker inference (a read shows one version, not
//!   the history), but it exercises stores that only have registers.
//!
//! Defaults: 5 active keys, 1–4 micro-ops, read fraction 1/2, about 32 writes per key. Judged by
//! the transactional checker of the same name.

use faultline_checkers::history::txn::MicroKind;

use crate::options::WorkloadOptions;
use crate::registers::pacing;
use crate::txn::TxnGenerator;
use crate::workload::{DelaySchedule, Invocation, OpGenerator, Workload};
use faultline_checkers::elle::units::{LIST_APPEND, RW_REGISTER};
use faultline_checkers::Checker;

/// An Elle transactional workload; `write` is `Append` (list-append) or `Write` (rw-register).
pub struct Transactional {
    write: MicroKind,
    options: WorkloadOptions,
}

impl Transactional {
    pub const LIST_APPEND_ABOUT: &'static str =
        "transactions of list reads and appends on rotating keys (Elle list-append)";
    pub const RW_REGISTER_ABOUT: &'static str =
        "transactions of register reads and writes on rotating keys (Elle rw-register)";

    pub fn list_append(options: &WorkloadOptions) -> Self {
        Transactional {
            write: MicroKind::Append,
            options: options.clone(),
        }
    }

    pub fn rw_register(options: &WorkloadOptions) -> Self {
        Transactional {
            write: MicroKind::Write,
            options: options.clone(),
        }
    }
}

impl Workload for Transactional {
    /// Also the name of the checker that judges it.
    fn name(&self) -> &'static str {
        match self.write {
            MicroKind::Append => "list-append",
            _ => "rw-register",
        }
    }

    fn generator(&self, slot: u32, concurrency: u32, seed: u64) -> Box<dyn OpGenerator> {
        Box::new(TxnGenerator::new(
            &self.options,
            self.write,
            slot,
            concurrency,
            seed,
        ))
    }

    /// None: Elle infers everything from the transactions themselves.
    fn final_reads(&self) -> Vec<Invocation> {
        Vec::new()
    }

    fn checkers(&self) -> Vec<&'static dyn Checker> {
        match self.write {
            MicroKind::Append => vec![&LIST_APPEND],
            _ => vec![&RW_REGISTER],
        }
    }

    fn delay_schedule(&self, slot: u32, concurrency: u32, seed: u64) -> DelaySchedule {
        pacing(&self.options, slot, concurrency, seed)
    }

    fn final_reads_on_every_node(&self) -> bool {
        false
    }
}

//! The workload contract the run loop drives.
//!
//! Determinism: each client slot gets its own generator seeded from the run seed and the slot, so the
//! same seed yields the same operations per client however the clients interleave in time. Values that
//! must be unique across clients (appends, set elements) are drawn from disjoint sequences per slot.
//! Generators never see results, so the schedule cannot depend on how the store behaved.
//!
//! Phases: `setup_ops` (before clients start; e.g. opening bank accounts) → main phase (the slot
//! generators, paced by `delay_schedule`) → heal and recovery wait (no operations) → the
//! final-read marker event (`faultline_checkers::safety::FINAL_READS_MARKER`, a nemesis `info`
//! event) → `final_reads`, on every node when `final_reads_on_every_node`.

use faultline_checkers::{Checker, Value};

pub use crate::schedule::DelaySchedule;

/// One operation a client is to perform: Jepsen's `f`, and the key and value of the invocation.
#[derive(Clone, Debug, PartialEq)]
pub struct Invocation {
    pub f: String,
    pub key: Option<Value>,
    pub value: Value,
}

impl Invocation {
    pub fn new(f: &str, key: Option<Value>, value: Value) -> Invocation {
        Invocation {
            f: f.to_string(),
            key,
            value,
        }
    }
}

/// Produces the operations of one client slot.
pub trait OpGenerator: Send {
    fn next_op(&mut self) -> Invocation;
}

/// A workload: generators for the clients, the final reads after healing, and the checker models
/// (units of `faultline_checkers::registry::CHECKERS`) that judge its history.
pub trait Workload: Send + Sync {
    fn name(&self) -> &'static str;

    /// The generator for client slot `slot` of `concurrency`, seeded from `seed`.
    fn generator(&self, slot: u32, concurrency: u32, seed: u64) -> Box<dyn OpGenerator>;

    /// Reads issued once every fault is healed and the cluster had time to recover.
    fn final_reads(&self) -> Vec<Invocation>;

    /// The checker models that judge this workload's history.
    fn checkers(&self) -> Vec<&'static dyn Checker>;

    /// How long slot `slot` waits before each of its operations (the `--rate` pacing with
    /// jitter), from its own stream of the run seed so pacing never changes the operations.
    /// Default: no pacing.
    fn delay_schedule(&self, slot: u32, concurrency: u32, seed: u64) -> DelaySchedule {
        let _ = (slot, concurrency, seed);
        DelaySchedule::unpaced()
    }

    /// Operations run once, sequentially, before the clients start (e.g. the bank's opening
    /// balances). Default: none.
    fn setup_ops(&self) -> Vec<Invocation> {
        Vec::new()
    }

    /// Whether the run loop sends `final_reads` to every node (for the convergence checker)
    /// rather than once. Default: every node.
    fn final_reads_on_every_node(&self) -> bool {
        true
    }

    /// The `--initial` value the named checker needs for this workload's histories (the bank's
    /// total and accounts, a counter's start), if any.
    fn checker_initial(&self, model: &str) -> Option<Value> {
        let _ = model;
        None
    }
}

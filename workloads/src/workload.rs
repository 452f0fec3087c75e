//! The workload contract the run loop drives.
//!
//! Determinism: each client slot gets its own generator seeded from the run seed and the slot, so the
//! same seed yields the same operations per client however the clients interleave in time. Values that
//! must be unique across clients (appends, set elements) are drawn from disjoint sequences per slot.

use faultline_checkers::Value;

/// One operation a client is to perform: Jepsen's `f`, and the key and value of the invocation.
#[derive(Clone, Debug, PartialEq)]
pub struct Invocation {
    pub f: String,
    pub key: Option<Value>,
    pub value: Value,
}

/// Produces the operations of one client slot.
pub trait OpGenerator: Send {
    fn next_op(&mut self) -> Invocation;
}

/// A workload: generators for the clients, the final reads after healing, and the checker models
/// (names from `faultline_checkers::check::MODELS`) that judge its history.
pub trait Workload: Send + Sync {
    fn name(&self) -> &'static str;

    /// The generator for client slot `slot` of `concurrency`, seeded from `seed`.
    fn generator(&self, slot: u32, concurrency: u32, seed: u64) -> Box<dyn OpGenerator>;

    /// Reads issued once every fault is healed and the cluster had time to recover.
    fn final_reads(&self) -> Vec<Invocation>;

    /// The checker models that judge this workload's history.
    fn checkers(&self) -> Vec<&'static str>;
}

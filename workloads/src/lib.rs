//! faultline-workloads: what clients do during a run. Each workload generates operations from the
//! run seed, knows its final reads, and names the checkers that judge its history.
//!
//! `by_name(name, &WorkloadOptions)` builds one; [`WORKLOADS`] lists them for `--help`.

pub mod bank;
pub mod causal;
pub mod counter;
pub mod keys;
pub mod kv;
pub mod long_fork;
pub mod options;
pub mod register;
pub mod registers;
pub mod registry;
pub mod rng;
pub mod schedule;
pub mod set;
pub mod transactional;
pub mod txn;
pub mod workload;

pub use faultline_checkers::safety::FINAL_READS_MARKER;
pub use options::{KeyDistribution, WorkloadError, WorkloadOptions};
pub use registry::{by_name, WORKLOADS};
pub use schedule::DelaySchedule;
pub use workload::{Invocation, OpGenerator, Workload};

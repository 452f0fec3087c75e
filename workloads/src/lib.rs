//! faultline-workloads: what clients do during a run. Each workload generates operations from the
//! run seed, knows its final reads, and names the checkers that judge its history.

pub mod workload;

pub use workload::{Invocation, OpGenerator, Workload};

//! Synthetic histories for benchmarks and large tests, generated in memory from a seed (the same
//! seed gives the same history). Each generator drives a simulated, correct object from
//! concurrent clients, so its histories have a known verdict; some then plant one anomaly.
//!
//! Other checkers may add their own generators here, one file each.

pub mod register;
mod rng;

pub use register::{RegisterWorkload, Values};
pub use rng::SplitMix;

pub mod append_shapes;
pub mod causal;
pub mod elle;

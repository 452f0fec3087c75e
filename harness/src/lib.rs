//! faultline: the harness. CLI, Docker orchestration, nemesis, run loop, result store and reports.
//! The binary in `main.rs` only parses arguments and maps the outcome to an exit code.

pub mod backend;
pub mod bench;
pub mod campaign;
pub mod cli;
pub mod docker;
pub mod exit;
pub mod hunt;
pub mod nemesis;
pub mod report;
pub mod results;
pub mod run;

pub use exit::{Exit, FaultlineError};

//! faultline-checkers: the history model (DESIGN.md sections 2–3), readers and writers for the
//! history formats users bring, and every consistency checker (section 4).
//!
//! This crate is pure: no Docker, no async runtime, no I/O beyond reading the files it is given, so
//! `faultline check` and the library work on any machine.

pub mod budget;
pub mod causal;
pub mod checker;
pub mod elle;
pub(crate) mod fxhash;
pub mod history;
pub mod linearizable;
pub mod options;
pub mod registry;
pub mod safety;
pub mod synth;
pub mod verdict;

pub use budget::Budget;
pub use checker::{Checker, Family};
pub use history::{History, Op, OpType, Process, Value};
pub use options::{Assumptions, CheckError, CheckOptions};
pub use verdict::{Anomaly, CheckReport, SkippedOps, Validity};

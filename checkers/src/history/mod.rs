//! The history model of DESIGN.md sections 2–3: events (`invoke` and its completion `ok` / `fail` /
//! `info`), processes, and the pairing of each invocation with its completion.
//!
//! Readers and writers for the on-disk formats live in [`formats`].

mod error;
pub mod formats;
mod op;
mod pairing;
pub mod txn;

pub use error::{HistoryError, InputError};
pub use op::{Op, OpType, Process, Value};
pub use pairing::{History, OpPair};

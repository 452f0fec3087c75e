//! The client adapter protocol: how faultline drives a store through the user's own program, in
//! any language, that reads one JSON request per line on stdin and writes one JSON answer per line
//! on stdout ([`wire`] defines every message).
//!
//! **One adapter process per client, not one for all.** Each client slot checks an adapter out of
//! a [`pool::AdapterPool`] and sends it one request at a time (Jepsen's rule: one operation in
//! flight per process). The adapter can then be a plain sequential loop — no threads, no async,
//! no id bookkeeping — and still be driven concurrently, because concurrency comes from running
//! several of them; a blocking call into a partitioned node stalls one client, not all; and a
//! crash loses one operation, not every client's. Ids are still carried (unique in the run) so a
//! late answer to a timed-out request is recognised instead of being taken for the next one's.
//!
//! faultline enforces the op timeout (no answer → `info`), checks every answer line ([`wire`]'s
//! shape, the id in flight), and turns anything else into a clear error naming the adapter and the
//! line; the operation is then `info` and the adapter is replaced. A dead adapter's operation is
//! `info`, and the adapter is restarted and the restart recorded ([`pool::AdapterPool::summary`]).

pub mod client;
pub mod pool;
pub mod process;
pub mod wire;

pub use client::AdapterClient;
pub use pool::{AdapterEvent, AdapterPool, AdapterSummary};
pub use process::{AdapterCommand, AdapterProcess};

use thiserror::Error;

/// What went wrong with an adapter. Each says which adapter, and for a bad line which line and
/// what was expected.
#[derive(Debug, Error)]
pub enum AdapterError {
    #[error("cannot start adapter `{command}`: {source}")]
    Spawn {
        command: String,
        source: std::io::Error,
    },
    #[error("{adapter} exited ({status}); its last stderr lines:\n{stderr}")]
    Exited {
        adapter: String,
        status: String,
        stderr: String,
    },
    #[error("{adapter} wrote a line faultline cannot read as an answer (stdout line {line_no}: {line:?}): {problem}; expected {expected}")]
    Garbage {
        adapter: String,
        line_no: u64,
        line: String,
        problem: String,
        expected: &'static str,
    },
    #[error("{adapter} answered id {got}, which is not the request in flight (stdout line {line_no}: {line:?}); expected an answer with id {expected}")]
    UnknownId {
        adapter: String,
        line_no: u64,
        line: String,
        got: u64,
        expected: u64,
    },
    #[error("{adapter} refused hello: {error}")]
    HelloRefused { adapter: String, error: String },
    #[error("{adapter} did not answer hello within {ms} ms; its last stderr lines:\n{stderr}")]
    HelloTimeout {
        adapter: String,
        ms: u64,
        stderr: String,
    },
}

impl AdapterError {
    /// A short word for results: `exited`, `protocol-error`, `start-failed`.
    pub fn kind(&self) -> &'static str {
        match self {
            AdapterError::Exited { .. } => "exited",
            AdapterError::Garbage { .. } | AdapterError::UnknownId { .. } => "protocol-error",
            AdapterError::Spawn { .. }
            | AdapterError::HelloRefused { .. }
            | AdapterError::HelloTimeout { .. } => "start-failed",
        }
    }
}

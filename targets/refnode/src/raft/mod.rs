//! A compact Raft (Ongaro & Ousterhout, "In Search of an Understandable Consensus Algorithm", 2014):
//! leader election, log replication and commitment — sections 5.1–5.4 of the paper. No snapshots,
//! no membership changes, no pre-vote: a reference node lives for one test run with a fixed
//! membership, and every omission keeps the core small enough to trust.
//!
//! ## Why our own sans-IO core
//!
//! The node exists to be a *ground truth* for the checkers, so we must know exactly what it does
//! under every fault, and be able to plant bugs in precise places. [`core::RaftNode`] is a pure state
//! machine in the style of raft-rs: it takes messages, ticks (a monotonic millisecond count) and
//! proposals, and hands back a [`core::Ready`] — entries and term/vote to persist, messages to send,
//! entries newly committed. It never touches a socket, a file or a clock, so tests drive whole
//! clusters deterministically in memory (partitions, crashes, message reordering) and the same code
//! runs in the binary under tokio. Pulling in raft-rs or openraft would have brought their storage
//! and runtime abstractions, far more code than the ~400 lines needed here.
//!
//! The rule the driver must follow (raft-rs's): persist a `Ready`'s hard state and entries *before*
//! sending its messages or answering clients. The driver does that once per batch of events, which
//! is also what makes fsync cheap (group commit).

pub mod core;
pub mod log;
pub mod storage;

pub use self::core::{HardState, Message, RaftConfig, RaftNode, Ready, Role};
pub use self::log::{Entry, RaftLog};
pub use self::storage::RaftStorage;

//! faultline-refnode: the reference node (DESIGN.md section 6) — a small replicated key-value store
//! whose modes are the replication patterns distributed stores use, each with known behaviour
//! under faults, so every checker has a ground truth.
//!
//! For the harness and tests the library exports:
//! - [`protocol`]: the request and answer types of `PROTOCOL.md`;
//! - [`client`]: an async pipelined client with a per-request timeout (a timeout is `info`);
//! - [`modes`]: each mode as a sans-IO state machine, and [`node`] to run one on sockets;
//! - [`launch`]: a node from its command line, as the binary starts it.
//!
//! Layout: [`raft`] (core, log, storage), [`modes`] (one file per mode), [`net`] (peer transport),
//! [`server`] (client protocol), [`clock`], [`bugs`], [`journal`] (durability), [`kv`] (the state
//! machine of raft and primary-backup), [`config`] (command line).

pub mod bugs;
pub mod client;
pub mod clock;
pub mod config;
pub mod journal;
pub mod kv;
pub mod launch;
pub mod local;
pub mod modes;
pub mod net;
pub mod node;
pub mod protocol;
pub mod raft;
pub mod rng;
pub mod server;

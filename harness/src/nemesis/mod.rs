//! The nemesis: faults as data ([`action`]), a seeded schedule ([`schedule`]), and the executor that
//! plays it against a running cluster, records every action in the history, and heals everything
//! before final reads and at teardown.
//!
//! One file per fault kind: [`partition`], [`process`] (kill/restart, pause/resume), [`clock`],
//! [`packet`] (loss, delay).

pub mod action;
pub mod clock;
pub mod executor;
pub mod packet;
pub mod partition;
pub mod process;
pub mod schedule;

pub use action::{Action, Grudge, Step};
pub use executor::Nemesis;

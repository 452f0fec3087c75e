//! The nemesis: faults as data ([`action`]), a seeded schedule ([`schedule`]), and the executor that
//! plays it against a running cluster, records every action in the history, and heals everything
//! before final reads and at teardown.
//!
//! The executor acts through the backend's fault primitives (`crate::backend::Cluster`), never on
//! Docker directly.

pub mod action;
pub mod aim;
pub mod executor;
pub mod faults;
pub mod schedule;

pub use action::{Action, Grudge, Step};
pub use executor::Nemesis;

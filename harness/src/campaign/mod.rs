//! Campaigns (`faultline campaign FILE.toml`): a matrix of targets × modes × option sets ×
//! workloads × nemeses × seeds, run one after another, summarised in one table and one exit code.
//!
//! - [`spec`] reads and checks the TOML file, naming the field of any error;
//! - [`matrix`] expands its blocks into planned runs, each a checked [`crate::run::RunPlan`];
//! - [`runner`] runs them, surviving failed runs and stopping on Ctrl-C;
//! - [`error`] says why a campaign cannot start or finish;
//! - [`summary`] renders the results (terminal, `summary.md`, `summary.json`) and the exit code.

pub mod error;
pub mod matrix;
pub mod runner;
pub mod spec;
pub mod summary;

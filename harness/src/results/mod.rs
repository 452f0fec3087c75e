//! The result store (DESIGN.md section 8): `results/<test>/<timestamp>/` with `test.json`,
//! `history.jsonl` (written as the run goes), `results.json`, node logs under `nodes/<node>/`, and
//! `results/latest` pointing at the newest run.

pub mod history;
pub mod store;

pub use history::{Event, Recorder};
pub use store::RunDir;

/// The version of `results.json`'s layout (its `schema` field). Raised only when a field changes
/// meaning or disappears; new fields do not raise it.
pub const SCHEMA_VERSION: u32 = 1;

//! The result store (DESIGN.md section 8): `results/<test>/<timestamp>/` with `test.json`,
//! `history.jsonl` (written as the run goes), `results.json`, node logs under `nodes/<node>/`, and
//! `results/latest` pointing at the newest run.

pub mod checked;
pub mod history;
pub mod schema;
pub mod store;

pub use history::{Event, Recorder};
pub use schema::{ResultsFile, TestFile, SCHEMA_VERSION};
pub use store::RunDir;

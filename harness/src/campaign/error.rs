//! Why a campaign cannot start or finish. Each variant keeps its cause and names the file, the
//! field or the run; the exit code is chosen at the command line's edge (`crate::exit`).

use std::path::PathBuf;

use thiserror::Error;

use crate::run::PlanError;

#[derive(Debug, Error)]
pub enum CampaignError {
    #[error("cannot read campaign file {}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Not TOML, or not the campaign shape; toml's message says line, column and key.
    #[error("{}: {}", path.display(), source.to_string().trim_end().replace('\n', "\n  "))]
    Toml {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
    /// A field that is wrong on its own: `FILE: matrix[2].target-options[1]: ...`.
    #[error("{}: {field}: {message}", file.display())]
    Field {
        file: PathBuf,
        field: String,
        message: String,
    },
    /// A run of the matrix that `faultline run` would refuse.
    #[error("{}: run {index} ({run}): {source}", file.display())]
    Run {
        file: PathBuf,
        index: usize,
        /// The run's one-line description.
        run: String,
        #[source]
        source: PlanError,
    },
    #[error("cannot create the campaign folder under {}: {source}", dir.display())]
    Folder {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Summary {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

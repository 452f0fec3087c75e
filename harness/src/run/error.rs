//! Why a run stopped without a verdict. Each variant keeps its cause; the exit code is chosen at
//! the command line's edge (`crate::exit`), not here.

use std::path::PathBuf;

use faultline_targets::TargetError;
use thiserror::Error;

use super::plan::PlanError;
use crate::backend::BackendError;
use crate::docker::DockerError;

#[derive(Debug, Error)]
pub enum RunError {
    /// The request is not a run (bad flags, a fault the target refuses...).
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The cluster backend could not start, watch or stop the cluster (Docker missing, an image
    /// that does not build, a node that never became healthy...).
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// The Docker engine is missing, or refused something (containers, networks, images).
    #[error(transparent)]
    Docker(#[from] DockerError),
    #[error("cannot create a run folder under {}: {source}", dir.display())]
    RunFolder {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The target could not describe its image.
    #[error("{0}")]
    Image(#[source] TargetError),
    /// The cluster never became healthy; the message names the node, its probe error and logs.
    #[error("{0}")]
    Unhealthy(String),
    /// A target's hook failed (its message names the stage, the node and the command's output).
    #[error("{0}")]
    Hook(String),
    /// The target's clients cannot start (a spec target's adapter that will not start or
    /// refuses `hello`; the message names the command and its last stderr lines).
    #[error("the clients cannot start: {0}")]
    Clients(String),
    #[error("the workload's {ops} setup operations did not all succeed within {secs} s")]
    Setup { ops: usize, secs: f64 },
    /// The delay fault needs netem in the node's kernel, and it is not there.
    #[error("{0}")]
    NoNetem(String),
    #[error("could not write {}: {source}", path.display())]
    Results {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The history file stopped taking events mid-run.
    #[error("could not write {}: {message}", path.display())]
    History { path: PathBuf, message: String },
    #[error("the run panicked: {0}")]
    Panicked(String),
    #[error("interrupted by {0}; tearing down")]
    Interrupted(&'static str),
}

//! Exit codes for CI gates (DESIGN.md section 8), and the error type of the `faultline` binary:
//! the command line's edge, where each layer's error becomes one of them.

use faultline_checkers::Validity;
use thiserror::Error;

use crate::campaign::error::CampaignError;
use crate::docker::DockerError;
use crate::report::ReportError;
use crate::run::{PlanError, RunError};

/// The process exit codes `faultline` uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Every checker said valid.
    Valid = 0,
    /// An anomaly was found.
    Invalid = 1,
    /// A checker could not decide (budget exhausted).
    Unknown = 2,
    /// The harness itself failed: Docker missing, image build failed, cluster never healthy...
    HarnessFailed = 3,
    /// Bad command line or input file.
    BadInput = 64,
}

impl Exit {
    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn from_validity(v: Validity) -> Exit {
        match v {
            Validity::Valid => Exit::Valid,
            Validity::Invalid => Exit::Invalid,
            Validity::Unknown => Exit::Unknown,
        }
    }

    /// How bad an outcome is when several runs are folded into one exit code (a campaign):
    /// bad input > harness failure > invalid > unknown > valid. A harness failure outranks an
    /// anomaly because it means the campaign is incomplete: exit 1 must be able to say "every run
    /// ran, and one found an anomaly", never "some ran". Invalid outranks unknown because an
    /// anomaly is a definite finding and unknown only a search that gave up.
    pub fn severity(self) -> u8 {
        match self {
            Exit::Valid => 0,
            Exit::Unknown => 1,
            Exit::Invalid => 2,
            Exit::HarnessFailed => 3,
            Exit::BadInput => 4,
        }
    }

    /// The worse of two outcomes, by [`Exit::severity`].
    pub fn worst(self, other: Exit) -> Exit {
        if other.severity() > self.severity() {
            other
        } else {
            self
        }
    }
}

/// Why a `faultline` command stopped without a verdict: the error of each layer, whole, with its
/// cause. [`FaultlineError::exit`] is the one place an error becomes an exit code.
#[derive(Debug, Error)]
pub enum FaultlineError {
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    Campaign(#[from] CampaignError),
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error(transparent)]
    Docker(#[from] DockerError),
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl From<PlanError> for FaultlineError {
    fn from(e: PlanError) -> Self {
        FaultlineError::Run(e.into())
    }
}

impl FaultlineError {
    pub fn exit(&self) -> Exit {
        match self {
            FaultlineError::Run(e) => run_failed(e),
            FaultlineError::Campaign(e) => match e {
                CampaignError::Unreadable { .. }
                | CampaignError::Toml { .. }
                | CampaignError::Field { .. }
                | CampaignError::Run { .. } => Exit::BadInput,
                CampaignError::Folder { .. } | CampaignError::Summary { .. } => Exit::HarnessFailed,
            },
            FaultlineError::Report(ReportError::NotARun(_)) => Exit::BadInput,
            FaultlineError::Report(ReportError::Io(_))
            | FaultlineError::Docker(_)
            | FaultlineError::Runtime(_)
            | FaultlineError::Write { .. } => Exit::HarnessFailed,
        }
    }
}

/// The exit code of a run that stopped without a verdict (also each failed run of a campaign):
/// what the user asked for and cannot have is bad input (64), the rest a harness failure (3).
pub fn run_failed(e: &RunError) -> Exit {
    match e {
        RunError::Plan(_)
        | RunError::NoNetem(_)
        | RunError::Backend(crate::backend::BackendError::Unsupported(_)) => Exit::BadInput,
        RunError::Docker(_)
        | RunError::Backend(_)
        | RunError::RunFolder { .. }
        | RunError::Image(_)
        | RunError::Unhealthy(_)
        | RunError::Hook(_)
        | RunError::Clients(_)
        | RunError::Setup { .. }
        | RunError::Results { .. }
        | RunError::History { .. }
        | RunError::Panicked(_)
        | RunError::Interrupted(_) => Exit::HarnessFailed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_outcome_wins_in_a_fixed_order() {
        let order = [
            Exit::Valid,
            Exit::Unknown,
            Exit::Invalid,
            Exit::HarnessFailed,
            Exit::BadInput,
        ];
        for (i, a) in order.iter().enumerate() {
            for (j, b) in order.iter().enumerate() {
                let expected = order[i.max(j)];
                assert_eq!(a.worst(*b), expected, "{a:?} vs {b:?}");
            }
        }
        // Unknown (2) is less severe than invalid (1) although its code is higher.
        assert_eq!(Exit::Unknown.worst(Exit::Invalid).code(), 1);
        let campaign = [Exit::Valid, Exit::Unknown, Exit::Invalid, Exit::Valid]
            .into_iter()
            .fold(Exit::Valid, Exit::worst);
        assert_eq!(campaign, Exit::Invalid);
    }

    #[test]
    fn each_layers_errors_keep_their_cause_and_map_at_the_edge() {
        use std::error::Error as _;
        let plan = crate::run::RunPlan::resolve(crate::run::RunRequest {
            nodes: Some(0),
            ..Default::default()
        })
        .expect_err("no nodes");
        let e = FaultlineError::from(plan);
        assert_eq!(e.exit(), Exit::BadInput);
        assert!(e.to_string().starts_with("--nodes must be"), "{e}");
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied");
        let e = FaultlineError::from(RunError::RunFolder {
            dir: "/r".into(),
            source: io,
        });
        assert_eq!(e.exit(), Exit::HarnessFailed);
        assert_eq!(e.to_string(), "cannot create a run folder under /r: denied");
        // `transparent`: the run error's own cause is the command's cause.
        let cause = e.source().expect("the io error is kept");
        assert_eq!(cause.to_string(), "denied");
        let e = FaultlineError::from(RunError::Unhealthy("n2 never answered".into()));
        assert_eq!(e.exit(), Exit::HarnessFailed);
        let e = FaultlineError::from(CampaignError::Field {
            file: "c.toml".into(),
            field: "matrix[0].seeds".into(),
            message: "empty list".into(),
        });
        assert_eq!(e.exit(), Exit::BadInput);
        assert_eq!(e.to_string(), "c.toml: matrix[0].seeds: empty list");
    }
}

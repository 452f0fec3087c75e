//! Exit codes for CI gates (DESIGN.md section 8), and the error type of the `faultline` binary,
//! each variant mapping to one of them.

use faultline_checkers::Validity;
use thiserror::Error;

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
}

/// Why `faultline` stopped without a verdict.
#[derive(Debug, Error)]
pub enum FaultlineError {
    /// The user gave something we cannot use: says what and where.
    #[error("{0}")]
    BadInput(String),
    /// The harness could not do its job (Docker, images, cluster).
    #[error("{0}")]
    Harness(String),
}

impl FaultlineError {
    pub fn exit(&self) -> Exit {
        match self {
            FaultlineError::BadInput(_) => Exit::BadInput,
            FaultlineError::Harness(_) => Exit::HarnessFailed,
        }
    }
}

impl From<faultline_checkers::history::HistoryError> for FaultlineError {
    fn from(e: faultline_checkers::history::HistoryError) -> Self {
        FaultlineError::BadInput(e.to_string())
    }
}

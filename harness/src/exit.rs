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

impl From<crate::run::PlanError> for FaultlineError {
    fn from(e: crate::run::PlanError) -> Self {
        FaultlineError::BadInput(e.to_string())
    }
}

impl From<faultline_checkers::history::HistoryError> for FaultlineError {
    fn from(e: faultline_checkers::history::HistoryError) -> Self {
        FaultlineError::BadInput(e.to_string())
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
}

//! The causal checker as a registered unit.

use crate::checker::{Checker, Family, Tunable};
use crate::options::{CheckError, CheckOptions};
use crate::{CheckReport, History};

pub struct Causal;

pub static CAUSAL: Causal = Causal;

impl Checker for Causal {
    fn name(&self) -> &'static str {
        "causal"
    }

    fn family(&self) -> Family {
        Family::Causal
    }

    fn about(&self) -> &'static str {
        "causal consistency and the session guarantees (--consistency-model causal, \
         read-your-writes, monotonic-reads, monotonic-writes, writes-follow-reads, \
         causal-convergence) for list-append, rw-register and keyed read/write histories \
         with unique writes"
    }

    fn judges(&self) -> &'static [&'static str] {
        &["txn", "", "read", "r", "write", "w", "append", "cas"]
    }

    fn options(&self) -> &'static [Tunable] {
        &[Tunable::ConsistencyModels, Tunable::Independent]
    }

    fn check(&self, history: &History, options: &CheckOptions) -> Result<CheckReport, CheckError> {
        super::check(history, options)
    }
}

//! A linearizability model as a registered checker: the model's file declares one
//! [`LinearizableChecker`] static per `--model` name, and the registry lists it.

use super::model::Model;
use crate::checker::{Checker, Family, Tunable};
use crate::options::{CheckError, CheckOptions};
use crate::{CheckReport, History};

/// The linearizability checker for the model `model` builds from the options.
pub struct LinearizableChecker<M> {
    pub name: &'static str,
    pub about: &'static str,
    /// The `f` values the model's `parse` accepts.
    pub judges: &'static [&'static str],
    pub model: fn(&CheckOptions) -> M,
}

impl<M: Model> Checker for LinearizableChecker<M> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn family(&self) -> Family {
        Family::Linearizable
    }

    fn about(&self) -> &'static str {
        self.about
    }

    fn judges(&self) -> &'static [&'static str] {
        self.judges
    }

    fn options(&self) -> &'static [Tunable] {
        &[Tunable::Initial, Tunable::Independent]
    }

    fn check(&self, history: &History, options: &CheckOptions) -> Result<CheckReport, CheckError> {
        super::check(&(self.model)(options), history, options)
    }
}

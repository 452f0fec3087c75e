//! The contract of a checker as a registered unit: its name, the operation kinds (`f`) it judges,
//! the options it reads, the check itself, and streaming where it has it. Every checker is one
//! value implementing [`Checker`], listed once in [`crate::registry::CHECKERS`]; `faultline check
//! --help`, the model list in errors, `--json` and the workloads' checker lists all derive from
//! that list.

use std::io::BufRead;

use crate::elle::stream::JsonlError;
use crate::history::formats::{self, Format};
use crate::options::{CheckError, CheckOptions};
use crate::{CheckReport, History};

/// Which family of checker a model belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Linearizable,
    Transactional,
    Causal,
    DataSafety,
}

impl Family {
    pub fn name(self) -> &'static str {
        match self {
            Family::Linearizable => "linearizable",
            Family::Transactional => "transactional",
            Family::Causal => "causal",
            Family::DataSafety => "data-safety",
        }
    }
}

/// An option of `faultline check` that a checker reads (beyond `--time-limit`, which all do).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tunable {
    /// `--initial VALUE`: the model's initial state.
    Initial,
    /// `--consistency-model NAME`: the models to check against.
    ConsistencyModels,
    /// `--independent`: Jepsen's `[key value]` tuples as keyed operations.
    Independent,
    /// `--assume NAME`: version-order assumptions (rw-register).
    Assumptions,
}

impl Tunable {
    /// The flag as the command line spells it.
    pub fn flag(self) -> &'static str {
        match self {
            Tunable::Initial => "--initial",
            Tunable::ConsistencyModels => "--consistency-model",
            Tunable::Independent => "--independent",
            Tunable::Assumptions => "--assume",
        }
    }
}

/// A checker: one model `faultline check --model NAME` accepts.
pub trait Checker: Sync {
    /// The `--model` name.
    fn name(&self) -> &'static str;

    fn family(&self) -> Family;

    /// One line for `--help` and the README.
    fn about(&self) -> &'static str;

    /// The operation kinds (`f` values) this checker judges; client operations with any other `f`
    /// are not judged by it. `""` stands for an operation without `f`.
    fn judges(&self) -> &'static [&'static str];

    /// The options it reads.
    fn options(&self) -> &'static [Tunable];

    /// Judges `history`.
    fn check(&self, history: &History, options: &CheckOptions) -> Result<CheckReport, CheckError>;

    /// Whether [`Checker::check_jsonl`] reads JSON Lines straight into the checker's own tables
    /// with these options (faster and smaller than building a [`History`] first).
    fn streams(&self, options: &CheckOptions) -> bool {
        let _ = options;
        false
    }

    /// Judges a JSON Lines history read from `reader` (`name` is for messages). The default reads
    /// the whole history, then runs [`Checker::check`]; streaming checkers override it.
    fn check_jsonl(
        &self,
        reader: &mut dyn BufRead,
        name: &str,
        options: &CheckOptions,
    ) -> Result<CheckReport, JsonlError> {
        let mut bytes = Vec::new();
        reader
            .read_to_end(&mut bytes)
            .map_err(|e| crate::history::HistoryError::Io {
                path: name.to_string(),
                source: e,
            })?;
        let history = formats::read_bytes(&bytes, name, Format::Jsonl)?;
        Ok(self.check(&history, options)?)
    }
}

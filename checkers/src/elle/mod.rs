//! Transactional isolation checking, Elle-class (Kingsbury & Alvaro, "Elle: Inferring Isolation
//! Anomalies from Experimental Observations", VLDB 2020), with Adya's anomaly definitions
//! ("Weak Consistency", thesis, 1999).
//!
//! Pipeline: read the transactions ([`txns`]) → infer version orders, non-cycle anomalies and
//! data dependencies per workload ([`list_append`], [`rw_register`]) → add process and real-time
//! orders ([`order`]) → strongly connected components ([`scc`]) → shortest cycle of each kind in
//! each component ([`cycles`], [`anomaly`]) → which consistency models are ruled out
//! ([`models`]) → explanations ([`explain`]) and DOT drawings ([`dot`]).

pub mod anomaly;
pub mod cycles;
pub mod dot;
pub mod explain;
pub mod graph;
pub mod intern;
pub mod list_append;
pub mod models;
pub mod order;
pub mod report;
pub mod rw_register;
pub mod scc;
pub mod stream;
pub mod txns;
pub mod units;

#[cfg(test)]
mod parity_tests;
#[cfg(test)]
mod tests;

use std::time::Duration;

pub use rw_register::Assumptions;
pub use txns::Workload;

use crate::options::{CheckError, CheckOptions};
use crate::{Budget, CheckReport, History};

/// What the user may tune.
#[derive(Clone, Debug)]
pub struct ElleOptions {
    /// Models to check against (canonical names, see [`models::canonical`]); the verdict is
    /// invalid iff an anomaly one of them forbids is present. Default: strict-serializable.
    pub consistency_models: Vec<String>,
    /// rw-register version-order assumptions (each off by default).
    pub assumptions: Assumptions,
    /// Time the cycle search may spend on one strongly connected component; when it runs out,
    /// the kinds not yet decided there make the verdict `unknown` (unless it is already invalid).
    pub component_time_limit: Option<Duration>,
    /// Overall budget (its time limit covers the whole check).
    pub budget: Budget,
    /// How many anomalies of each type to explain in full; the rest are only counted.
    pub max_reported_per_type: usize,
    /// Also render each cycle as SVG (needs Graphviz's `dot` on the PATH).
    pub svg: bool,
}

impl Default for ElleOptions {
    fn default() -> Self {
        ElleOptions {
            consistency_models: vec!["strict-serializable".to_string()],
            assumptions: Assumptions::default(),
            component_time_limit: Some(Duration::from_secs(10)),
            budget: Budget::default(),
            max_reported_per_type: 8,
            svg: false,
        }
    }
}

impl ElleOptions {
    /// Options from a list of user-given model names (empty: the default); the error names the
    /// unknown model and lists the known ones.
    pub fn with_models(names: &[String]) -> Result<ElleOptions, CheckError> {
        let mut o = ElleOptions::default();
        if !names.is_empty() {
            o.consistency_models = names
                .iter()
                .map(|n| {
                    models::canonical(n).map(str::to_string).map_err(|message| {
                        CheckError::BadOption {
                            option: "--consistency-model".to_string(),
                            message,
                        }
                    })
                })
                .collect::<Result<_, _>>()?;
        }
        Ok(o)
    }

    /// Options for checking `workload` against `models` with what the caller of the registry
    /// tuned: the assumptions and the budget. Assumptions are about register version orders: a
    /// list-append history shows each key's order in its reads, so asking for them there is a
    /// mistake worth saying rather than ignoring.
    pub fn for_workload(
        workload: Workload,
        models: &[String],
        options: &CheckOptions,
    ) -> Result<ElleOptions, CheckError> {
        let mut o = ElleOptions::with_models(models)?;
        o.budget = options.budget.clone();
        if options.assumptions.any() && workload != Workload::RwRegister {
            return Err(CheckError::BadOption {
                option: "--assume".to_string(),
                message: format!(
                    "model {} infers each key's version order from its reads; the \
                     assumptions are for rw-register",
                    workload.name()
                ),
            });
        }
        o.assumptions = options.assumptions;
        Ok(o)
    }
}

/// Checks a history of `workload` transactions.
pub fn check(
    history: &History,
    workload: Workload,
    options: &ElleOptions,
) -> Result<CheckReport, CheckError> {
    for m in &options.consistency_models {
        models::canonical(m).map_err(|message| CheckError::BadOption {
            option: "--consistency-model".to_string(),
            message,
        })?;
    }
    let txns = txns::Txns::collect(history, workload)?;
    report::analyse(&txns, history.len(), workload, options)
}

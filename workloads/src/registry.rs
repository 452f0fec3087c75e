//! The workload registry: `faultline run --workload NAME` and `--help` come through here.

use crate::bank::Bank;
use crate::causal::Causal;
use crate::counter::Counter;
use crate::kv::Kv;
use crate::long_fork::LongFork;
use crate::options::{WorkloadError, WorkloadOptions};
use crate::register::Register;
use crate::set::Set;
use crate::transactional::Transactional;
use crate::workload::Workload;

/// Every workload name with its one-line description, in the order `--help` lists them.
pub const WORKLOADS: &[(&str, &str)] = &[
    ("register", Register::ABOUT),
    ("kv", Kv::ABOUT),
    ("list-append", Transactional::LIST_APPEND_ABOUT),
    ("rw-register", Transactional::RW_REGISTER_ABOUT),
    ("set", Set::ABOUT),
    ("counter", Counter::ABOUT),
    ("bank", Bank::ABOUT),
    ("causal", Causal::ABOUT),
    ("long-fork", LongFork::ABOUT),
];

/// The workload called `name`, configured by `options` (validated first).
pub fn by_name(name: &str, options: &WorkloadOptions) -> Result<Box<dyn Workload>, WorkloadError> {
    options.validate()?;
    Ok(match name {
        "register" => Box::new(Register::new(options)),
        "kv" => Box::new(Kv::new(options)),
        "list-append" => Box::new(Transactional::list_append(options)),
        "rw-register" => Box::new(Transactional::rw_register(options)),
        "set" => Box::new(Set::new(options)),
        "counter" => Box::new(Counter::new(options)),
        "bank" => Box::new(Bank::new(options)),
        "causal" => Box::new(Causal::new(options)),
        "long-fork" => Box::new(LongFork::new(options)),
        _ => {
            return Err(WorkloadError::UnknownWorkload {
                name: name.to_string(),
                known: WORKLOADS
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", "),
            })
        }
    })
}

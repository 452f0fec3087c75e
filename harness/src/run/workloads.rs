//! The workloads `--workload` accepts, by name.

use faultline_workloads::Workload;

/// The workload named `name`.
pub fn lookup(name: &str) -> Result<Box<dyn Workload>, String> {
    Err(format!(
        "unknown workload {name:?}; no workloads are available in this build"
    ))
}

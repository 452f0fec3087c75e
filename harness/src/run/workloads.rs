//! The workloads `--workload` accepts, by name, configured from the run's options.

use faultline_workloads::{Workload, WorkloadOptions};

/// The workload named `name` for `concurrency` clients at `rate` operations per second (None: as
/// fast as the store answers).
pub fn lookup(
    name: &str,
    concurrency: u32,
    rate: Option<f64>,
) -> Result<Box<dyn Workload>, String> {
    let options = WorkloadOptions {
        concurrency,
        rate,
        ..WorkloadOptions::default()
    };
    faultline_workloads::by_name(name, &options).map_err(|e| format!("--workload: {e}"))
}

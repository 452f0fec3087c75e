//! The workloads `--workload` accepts, by name, configured from the run's options.

use faultline_workloads::{Workload, WorkloadOptions};

/// The workload named `name` for `concurrency` clients at `rate` operations per second (None: as
/// fast as the store answers), with the `NAME=VALUE` settings of `--workload-option`.
pub fn lookup(
    name: &str,
    concurrency: u32,
    rate: Option<f64>,
    settings: &[String],
) -> Result<Box<dyn Workload>, String> {
    let mut options = WorkloadOptions {
        concurrency,
        rate,
        ..WorkloadOptions::default()
    };
    for pair in settings {
        options
            .set_pair(pair)
            .map_err(|e| format!("--workload-option: {e}"))?;
    }
    faultline_workloads::by_name(name, &options).map_err(|e| format!("--workload: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workload_options_reach_the_workload_and_bad_ones_say_which() {
        assert!(lookup("kv", 4, None, &["key-count=5".into()]).is_ok());
        let err = lookup("kv", 4, None, &["key-count".into()])
            .err()
            .expect("no value");
        assert!(
            err.contains("--workload-option") && err.contains("NAME=VALUE"),
            "{err}"
        );
        let err = lookup("kv", 4, None, &["no-such-control=1".into()])
            .err()
            .expect("unknown");
        assert!(err.contains("no-such-control"), "{err}");
    }
}

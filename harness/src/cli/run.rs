//! `faultline run`: start a cluster, drive clients under faults, check the history.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;

use crate::exit::{Exit, FaultlineError};
use crate::nemesis::schedule::parse_kinds;
use crate::run::{run, RunOptions};

/// Options of `faultline run`; the defaults run the reference nodes in raft mode under partitions
/// for 30 s.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The system under test.
    #[arg(long, default_value = "reference")]
    pub target: String,
    /// A target spec file (TOML) describing any store, driven through its client adapter;
    /// replaces --target (the guide docs/your-own-store.md describes the file).
    #[arg(long, value_name = "FILE.toml")]
    pub target_spec: Option<PathBuf>,
    /// Target mode (reference nodes: raft (default), primary-backup, lww, quorum, crdt).
    #[arg(long)]
    pub mode: Option<String>,
    /// A target setting as NAME=VALUE, repeatable (reference nodes: r, w, n, resolve,
    /// read-repair, replication, ...; the README's target sections list them).
    #[arg(long = "target-option", value_name = "NAME=VALUE")]
    pub target_options: Vec<String>,
    /// Transaction isolation level, for targets that have one (PostgreSQL): serializable,
    /// repeatable-read or read-committed. Short for --target-option isolation=LEVEL.
    #[arg(long)]
    pub isolation: Option<String>,
    /// A planted bug to enable in the target (reference nodes: e.g. stale-read).
    #[arg(long)]
    pub bug: Option<String>,
    /// What the clients do.
    #[arg(long, default_value = "register")]
    pub workload: String,
    /// Faults, comma-separated: partition[-one|-halves|-random-halves|-ring|-bridge|-one-way], kill,
    /// pause, clock[-offset|-bump|-strobe], loss, delay; or none.
    #[arg(long, default_value = "partition")]
    pub nemesis: String,
    /// Seconds between faults (quiet period, then fault period of the same length).
    #[arg(long, default_value_t = 5.0)]
    pub nemesis_interval: f64,
    /// `interval` (fixed periods) or `random` (periods of 0.5–1.5 × the interval).
    #[arg(long, default_value = "interval")]
    pub nemesis_pacing: String,
    /// A schedule file (JSON array or JSON lines of {"at": secs, "f": ..., "value": ...}) instead
    /// of a generated schedule.
    #[arg(long)]
    pub schedule: Option<PathBuf>,
    /// Number of nodes (default: the target's own — 3 for the reference nodes, 1 for postgres,
    /// which runs a single primary).
    #[arg(long)]
    pub nodes: Option<usize>,
    /// Seconds of client operations under faults.
    #[arg(long, default_value_t = 30.0)]
    pub time_limit: f64,
    /// Concurrent client processes.
    #[arg(long, default_value_t = 10)]
    pub concurrency: u32,
    /// A workload control as NAME=VALUE, repeatable: key-count, key-distribution
    /// (uniform|zipfian[:EXP]|hot[:FRACTION]), read-fraction, conflict-rate, max-txn-length,
    /// jitter, ... (the README's "Generator controls" lists them all).
    #[arg(long = "workload-option", value_name = "NAME=VALUE")]
    pub workload_options: Vec<String>,
    /// Operations per second over all clients (default: as fast as the store answers).
    #[arg(long)]
    pub rate: Option<f64>,
    /// Seed of the operation and fault schedules; random (and recorded) when omitted.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Milliseconds before an unanswered operation is recorded as `info`.
    #[arg(long, default_value_t = 1000)]
    pub op_timeout_ms: u64,
    /// Seconds to let the cluster recover after healing, before final reads.
    #[arg(long, default_value_t = 3.0)]
    pub recovery: f64,
    /// Seconds the cluster has to become healthy.
    #[arg(long, default_value_t = 30.0)]
    pub health_timeout: f64,
    /// Seconds final reads may retry.
    #[arg(long, default_value_t = 10.0)]
    pub final_read_timeout: f64,
    /// Largest clock offset or jump of the clock nemesis, seconds.
    #[arg(long, default_value_t = 5.0)]
    pub max_clock_skew: f64,
    /// Fraction of packets between nodes the loss nemesis drops.
    #[arg(long, default_value_t = 0.2)]
    pub loss_probability: f64,
    /// Seconds each checker may search before answering unknown.
    #[arg(long, default_value_t = 60.0)]
    pub check_budget: f64,
    /// Where run folders go.
    #[arg(long, default_value = "results")]
    pub results_dir: PathBuf,
    /// The test's name (the folder under results/); default `<target>-<mode>-<workload>`.
    #[arg(long)]
    pub test_name: Option<String>,
}

impl RunArgs {
    pub fn options(mut self) -> Result<RunOptions, FaultlineError> {
        let nemesis = parse_kinds(&self.nemesis)
            .map_err(|e| FaultlineError::BadInput(format!("--nemesis: {e}")))?;
        let seed = self.seed.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0)
                % 1_000_000
        });
        let mut target_options = BTreeMap::new();
        for setting in &self.target_options {
            let (name, value) = setting.split_once('=').ok_or_else(|| {
                FaultlineError::BadInput(format!("--target-option {setting:?} is not NAME=VALUE"))
            })?;
            target_options.insert(name.trim().to_string(), value.trim().to_string());
        }
        if let Some(level) = self.isolation {
            target_options.insert("isolation".to_string(), level);
        }
        if let Some(path) = &self.target_spec {
            self.target = format!("spec:{}", path.display());
        }
        let target = faultline_targets::by_name(&self.target).ok();
        // A spec target's results folder is named by the spec's name, not its path.
        let target_word = target
            .as_ref()
            .filter(|_| self.target.starts_with("spec:"))
            .map_or_else(|| self.target.clone(), |t| t.name().to_string());
        // Without --mode, the target's first mode (raft for the reference nodes), so the test
        // name and test.json say which mode ran.
        let mode = self.mode.or_else(|| {
            target
                .as_ref()
                .and_then(|t| t.modes().first().map(|m| m.to_string()))
        });
        // An unknown target is reported by `prepare`; 3 is only a placeholder for it.
        let nodes = self
            .nodes
            .unwrap_or_else(|| target.as_ref().map_or(3, |t| t.default_nodes()));
        let test_name = self.test_name.unwrap_or_else(|| match &mode {
            Some(mode) => format!("{target_word}-{mode}-{}", self.workload),
            None => format!("{target_word}-{}", self.workload),
        });
        if test_name.is_empty() || test_name.contains('/') || test_name.starts_with('.') {
            return Err(FaultlineError::BadInput(format!(
                "--test-name {test_name:?} must be a plain folder name"
            )));
        }
        Ok(RunOptions {
            test_name,
            target: self.target,
            mode,
            target_options,
            bug: self.bug,
            workload: self.workload,
            workload_settings: self.workload_options,
            nemesis,
            nodes,
            time_limit_secs: self.time_limit,
            concurrency: self.concurrency,
            rate: self.rate,
            seed,
            nemesis_interval_secs: self.nemesis_interval,
            nemesis_pacing: self.nemesis_pacing,
            schedule_file: self.schedule,
            op_timeout_ms: self.op_timeout_ms,
            recovery_secs: self.recovery,
            health_timeout_secs: self.health_timeout,
            final_read_timeout_secs: self.final_read_timeout,
            max_clock_skew_secs: self.max_clock_skew,
            loss_probability: self.loss_probability,
            check_budget_secs: self.check_budget,
            results_dir: self.results_dir,
            progress_label: None,
        })
    }
}

/// Runs `faultline run`.
pub fn execute(args: RunArgs) -> Result<Exit, FaultlineError> {
    let opts = args.options()?;
    eprintln!("faultline: seed {}", opts.seed);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| FaultlineError::Harness(format!("cannot start the async runtime: {e}")))?;
    let outcome = runtime.block_on(run(opts))?;
    println!("{}", outcome.summary);
    Ok(Exit::from_validity(outcome.valid))
}

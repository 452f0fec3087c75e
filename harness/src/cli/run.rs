//! `faultline run`: start a cluster, drive clients under faults, check the history.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;

use crate::backend::BackendKind;
use crate::exit::{Exit, FaultlineError};
use crate::nemesis::schedule::Pacing;
use crate::run::plan::{DEFAULT_NEMESIS, DEFAULT_RESULTS_DIR, DEFAULT_TARGET, DEFAULT_WORKLOAD};
use crate::run::{run, RunPlan, RunRequest, RunSettings};

/// The defaults every flag below shows in `--help`: one place, shared with campaigns.
const D: RunSettings = RunSettings::DEFAULT;

/// Options of `faultline run`; the defaults run the reference nodes in raft mode under partitions
/// for 30 s.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The system under test.
    #[arg(long, default_value = DEFAULT_TARGET)]
    pub target: String,
    /// A target spec file (TOML) describing any store that runs in a container, driven through
    /// the client adapter it names; instead of --target. The guide docs/your-own-store.md
    /// describes the file and the adapter protocol.
    #[arg(long, value_name = "FILE.toml", conflicts_with = "target")]
    pub target_spec: Option<PathBuf>,
    /// Where the cluster runs: docker (containers on the local engine, every target) or
    /// in-process (reference nodes inside faultline on loopback, no Docker; reference target only).
    #[arg(long, default_value = "docker", value_parser = BackendKind::parse)]
    pub backend: BackendKind,
    /// Target mode (reference nodes: raft (default), primary-backup, lww, quorum, crdt).
    #[arg(long)]
    pub mode: Option<String>,
    /// A target setting as NAME=VALUE, repeatable (reference nodes: r, w, n, resolve,
    /// read-repair, replication, ...; docs/targets/<target>.md lists them).
    #[arg(long = "target-option", value_name = "NAME=VALUE", value_parser = name_value)]
    pub target_options: Vec<(String, String)>,
    /// Transaction isolation level, for targets that have one (PostgreSQL): serializable,
    /// repeatable-read or read-committed. Short for --target-option isolation=LEVEL.
    #[arg(long)]
    pub isolation: Option<String>,
    /// A planted bug to enable in the target (reference nodes: e.g. stale-read).
    #[arg(long)]
    pub bug: Option<String>,
    /// What the clients do.
    #[arg(long, default_value = DEFAULT_WORKLOAD)]
    pub workload: String,
    #[arg(long, default_value = DEFAULT_NEMESIS, help = crate::nemesis::faults::help())]
    pub nemesis: String,
    /// Seconds between faults (quiet period, then fault period of the same length).
    #[arg(long, default_value_t = D.nemesis_interval_secs)]
    pub nemesis_interval: f64,
    /// `interval` (fixed periods) or `random` (periods of 0.5–1.5 × the interval).
    #[arg(long, default_value = "interval")]
    pub nemesis_pacing: Pacing,
    /// A schedule file (JSON array or JSON lines of {"at": secs, "f": ..., "value": ...}) instead
    /// of a generated schedule.
    #[arg(long)]
    pub schedule: Option<PathBuf>,
    /// Number of nodes (default: the target's own — 3 for the reference nodes, 1 for postgres,
    /// which runs a single primary).
    #[arg(long)]
    pub nodes: Option<usize>,
    /// Seconds of client operations under faults.
    #[arg(long, default_value_t = D.time_limit_secs)]
    pub time_limit: f64,
    /// Concurrent client processes.
    #[arg(long, default_value_t = D.concurrency)]
    pub concurrency: u32,
    /// A workload control as NAME=VALUE, repeatable: key-count, key-distribution
    /// (uniform|zipfian[:EXP]|hot[:FRACTION]), read-fraction, conflict-rate, max-txn-length,
    /// jitter, ... (docs/workloads.md lists them all).
    #[arg(long = "workload-option", value_name = "NAME=VALUE")]
    pub workload_options: Vec<String>,
    /// Operations per second over all clients (default: as fast as the store answers).
    #[arg(long)]
    pub rate: Option<f64>,
    /// Seed of the operation and fault schedules; random (and recorded) when omitted.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Milliseconds before an unanswered operation is recorded as `info`.
    #[arg(long, default_value_t = D.op_timeout_ms)]
    pub op_timeout_ms: u64,
    /// Seconds to let the cluster recover after healing, before final reads.
    #[arg(long, default_value_t = D.recovery_secs)]
    pub recovery: f64,
    /// Seconds the cluster has to become healthy, beyond the target's own bootstrap allowance
    /// (postgres-ha: 60 s, as it forms a replicated cluster from nothing each run).
    #[arg(long, default_value_t = D.health_timeout_secs)]
    pub health_timeout: f64,
    /// Seconds final reads may retry.
    #[arg(long, default_value_t = D.final_read_timeout_secs)]
    pub final_read_timeout: f64,
    /// Largest clock offset or jump of the clock nemesis, seconds.
    #[arg(long, default_value_t = D.max_clock_skew_secs)]
    pub max_clock_skew: f64,
    /// Fraction of packets between nodes the loss nemesis drops.
    #[arg(long, default_value_t = D.loss_probability)]
    pub loss_probability: f64,
    /// Mean packet delay of the delay nemesis, ms; also how much longer the reorder nemesis
    /// holds the packets it picks.
    #[arg(long, default_value_t = D.delay_ms)]
    pub delay_ms: u64,
    /// Spread of the delay nemesis around --delay-ms, ms (uniform within ±).
    #[arg(long, default_value_t = D.jitter_ms)]
    pub jitter_ms: u64,
    /// Fraction of packets between nodes the duplicate nemesis sends twice.
    #[arg(long, default_value_t = D.duplicate_probability)]
    pub duplicate_probability: f64,
    /// Fraction of packets between nodes the reorder nemesis holds back.
    #[arg(long, default_value_t = D.reorder_probability)]
    pub reorder_probability: f64,
    /// Seconds each checker may search before answering unknown.
    #[arg(long, default_value_t = D.check_budget_secs)]
    pub check_budget: f64,
    /// Where run folders go.
    #[arg(long, default_value = DEFAULT_RESULTS_DIR)]
    pub results_dir: PathBuf,
    /// The test's name (the folder under results/); default `<target>-<mode>-<workload>`.
    #[arg(long)]
    pub test_name: Option<String>,
}

impl RunArgs {
    /// What the command line asks, before it is resolved and checked.
    pub fn request(self) -> RunRequest {
        let mut target_options: BTreeMap<String, String> =
            self.target_options.into_iter().collect();
        if let Some(level) = self.isolation {
            target_options.insert("isolation".to_string(), level);
        }
        let target = match self.target_spec {
            Some(path) => format!("{}{}", faultline_targets::SPEC_PREFIX, path.display()),
            None => self.target,
        };
        RunRequest {
            target,
            backend: self.backend,
            mode: self.mode,
            bug: self.bug,
            target_options,
            workload: self.workload,
            workload_options: self.workload_options,
            nemesis: self.nemesis,
            schedule_file: self.schedule,
            nodes: self.nodes,
            settings: RunSettings {
                time_limit_secs: self.time_limit,
                concurrency: self.concurrency,
                rate: self.rate,
                nemesis_interval_secs: self.nemesis_interval,
                nemesis_pacing: self.nemesis_pacing,
                op_timeout_ms: self.op_timeout_ms,
                recovery_secs: self.recovery,
                health_timeout_secs: self.health_timeout,
                final_read_timeout_secs: self.final_read_timeout,
                max_clock_skew_secs: self.max_clock_skew,
                loss_probability: self.loss_probability,
                delay_ms: self.delay_ms,
                jitter_ms: self.jitter_ms,
                duplicate_probability: self.duplicate_probability,
                reorder_probability: self.reorder_probability,
                check_budget_secs: self.check_budget,
            },
            seed: self.seed,
            test_name: self.test_name,
            results_dir: self.results_dir,
        }
    }
}

/// `--target-option NAME=VALUE`, split once at the first `=`.
fn name_value(setting: &str) -> Result<(String, String), String> {
    let (name, value) = setting
        .split_once('=')
        .ok_or_else(|| format!("{setting:?} is not NAME=VALUE"))?;
    Ok((name.trim().to_string(), value.trim().to_string()))
}

/// Runs `faultline run`.
pub fn execute(args: RunArgs) -> Result<Exit, FaultlineError> {
    let opts = RunPlan::resolve(args.request())?;
    eprintln!("faultline: seed {}", opts.seed);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(FaultlineError::Runtime)?;
    let outcome = runtime.block_on(run(opts))?;
    println!("{}", outcome.summary);
    Ok(Exit::from_validity(outcome.valid))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    #[command(no_binary_name = true)]
    struct Line {
        #[command(flatten)]
        args: RunArgs,
    }

    fn plan(args: &[&str]) -> RunPlan {
        let line = Line::try_parse_from(args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        RunPlan::resolve(line.args.request()).unwrap_or_else(|e| panic!("{args:?}: {e}"))
    }

    /// plan → argv → plan gives the same plan, whatever was set, and the argv is stable.
    #[test]
    fn a_plan_survives_its_own_command_line() {
        let schedule = std::env::temp_dir().join(format!("plan-{}.jsonl", std::process::id()));
        std::fs::write(
            &schedule,
            "{\"at\": 1.5, \"f\": \"kill\", \"value\": {\"nodes\": [\"n1\"]}}\n",
        )
        .unwrap();
        let schedule = schedule.display().to_string();
        let spec = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../examples/refnode-adapter/raft.toml"
        );
        let lines: Vec<Vec<&str>> = vec![
            vec![
                "--target-spec",
                spec,
                "--nemesis",
                "kill,clock",
                "--seed",
                "6",
            ],
            vec![],
            vec!["--seed", "7"],
            vec![
                "--target",
                "refnode",
                "--mode",
                "quorum",
                "--target-option",
                "w = 1",
                "--target-option",
                "r=1",
                "--bug",
                "lost-sibling",
                "--workload",
                "set",
                "--workload-option",
                "read-fraction=0.25",
                "--workload-option",
                "key-distribution=zipfian:1.5",
                "--nemesis",
                "kill,partition,kill",
                "--nemesis-interval",
                "2.5",
                "--nemesis-pacing",
                "random",
                "--nodes",
                "5",
                "--time-limit",
                "7.5",
                "--concurrency",
                "4",
                "--rate",
                "150",
                "--op-timeout-ms",
                "250",
                "--recovery",
                "0",
                "--health-timeout",
                "12",
                "--final-read-timeout",
                "3",
                "--max-clock-skew",
                "0.5",
                "--loss-probability",
                "0.05",
                "--check-budget",
                "9",
                "--results-dir",
                "/tmp/out",
                "--test-name",
                "mine",
                "--seed",
                "99",
            ],
            vec!["--nemesis", "none", "--seed", "3"],
            vec![
                "--target",
                "postgres",
                "--workload",
                "list-append",
                "--isolation",
                "repeatable-read",
                "--nemesis",
                "kill",
                "--seed",
                "4",
            ],
            vec!["--schedule", &schedule, "--seed", "5"],
        ];
        for line in lines {
            let first = plan(&line);
            let args = first.to_args();
            let again = plan(&args.iter().map(String::as_str).collect::<Vec<_>>());
            assert_eq!(again, first, "{line:?} → {args:?}");
            assert_eq!(again.to_args(), args, "{line:?}");
        }
        let p = plan(&["--target-spec", spec, "--workload", "set"]);
        assert_eq!(p.target.name(), "refnode-raft");
        assert_eq!(p.test_name, "refnode-raft-set");
        assert_eq!(p.target_spec.as_deref(), Some(std::path::Path::new(spec)));
        assert!(p.command().contains(&format!("--target-spec {spec}")));
        let e = Line::try_parse_from(["--target", "etcd", "--target-spec", spec])
            .unwrap_err()
            .to_string();
        assert!(e.contains("--target-spec") && e.contains("--target"), "{e}");
        let p = plan(&["--schedule", &schedule, "--seed", "5"]);
        assert_eq!(p.steps.len(), 1, "the file's schedule, not a drawn one");
        std::fs::remove_file(&schedule).unwrap();
    }

    #[test]
    fn the_command_line_is_typed_once() {
        let p = plan(&[
            "--workload-option",
            "key-count=3",
            "--nemesis-pacing",
            "random",
            "--isolation",
            "serializable",
            "--target",
            "postgres",
            "--workload",
            "bank",
            "--nemesis",
            "kill",
        ]);
        assert_eq!(p.workload_options.key_count, Some(3));
        assert_eq!(p.settings.nemesis_pacing, Pacing::Random);
        assert_eq!(p.target_options["isolation"], "serializable");
        assert_eq!(p.nodes, 1, "postgres runs one node by default");
        // Bad values of typed flags are refused by the parser, naming the flag and what it takes.
        let e = Line::try_parse_from(["--nemesis-pacing", "poisson"]).unwrap_err();
        let e = e.to_string();
        assert!(
            e.contains("--nemesis-pacing") && e.contains("interval or random"),
            "{e}"
        );
        let e = Line::try_parse_from(["--target-option", "w"])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("--target-option") && e.contains("NAME=VALUE"),
            "{e}"
        );
    }
}

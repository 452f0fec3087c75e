//! A run as a typed plan. What a run is asked ([`RunRequest`]: a command line or a campaign
//! block) is resolved and checked once into a [`RunPlan`]: the target and workload built, the
//! workload controls and fault pacing typed, the fault kinds checked and the schedule drawn. The
//! run loop takes a plan and never parses a setting again; errors name the flag and what it
//! accepts.
//!
//! A plan turns back into the `faultline run` arguments that rebuild it ([`RunPlan::to_args`]),
//! which is how a campaign prints the command that repeats one of its runs.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use faultline_targets::{ClusterSpec, Target, TargetError};
use faultline_workloads::{Workload, WorkloadError, WorkloadOptions};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::backend::BackendKind;
use crate::nemesis::faults;
use crate::nemesis::schedule::{self, Pacing, ScheduleSpec};
use crate::nemesis::Step;

/// `faultline run`'s defaults for what is not a number.
pub const DEFAULT_TARGET: &str = "reference";
pub const DEFAULT_WORKLOAD: &str = "register";
/// The leader cut off in a minority: a leader change every time, and a deposed leader that may
/// still answer. Where nobody leads (leaderless modes) a random node is cut off instead, and with
/// five nodes or more the leader's companions are random. Measured with `faultline hunt`
/// (docs/hunt.md): mixed half and half with random partition shapes, early-ack was caught in
/// only 6 of 10 20 s runs (each run holds five fault windows, and half of them missed the
/// leader); alone, every planted bug in 10 of 10.
pub const DEFAULT_NEMESIS: &str = "partition-leader";
pub const DEFAULT_RESULTS_DIR: &str = "results";
/// The most nodes a run starts.
pub const MAX_NODES: usize = 200;

/// The settings of a run that are numbers (and the fault pacing), each a `faultline run` flag.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunSettings {
    /// `--time-limit`: seconds of client operations under faults.
    pub time_limit_secs: f64,
    /// `--concurrency`: client processes.
    pub concurrency: u32,
    /// `--rate`: operations per second over all clients; `None` is as fast as the store answers.
    pub rate: Option<f64>,
    /// `--nemesis-interval`.
    pub nemesis_interval_secs: f64,
    /// `--nemesis-pacing`.
    pub nemesis_pacing: Pacing,
    /// `--op-timeout-ms`.
    pub op_timeout_ms: u64,
    /// `--recovery`.
    pub recovery_secs: f64,
    /// `--health-timeout`.
    pub health_timeout_secs: f64,
    /// `--final-read-timeout`.
    pub final_read_timeout_secs: f64,
    /// `--max-clock-skew`.
    pub max_clock_skew_secs: f64,
    /// `--loss-probability`.
    pub loss_probability: f64,
    /// `--delay-ms`: the delay fault's mean, and the reorder fault's gap.
    pub delay_ms: u64,
    /// `--jitter-ms`.
    pub jitter_ms: u64,
    /// `--duplicate-probability`.
    pub duplicate_probability: f64,
    /// `--reorder-probability`.
    pub reorder_probability: f64,
    /// `--check-budget`.
    pub check_budget_secs: f64,
}

impl RunSettings {
    /// `faultline run`'s defaults; the command line's help shows these.
    pub const DEFAULT: RunSettings = RunSettings {
        time_limit_secs: 30.0,
        concurrency: 10,
        rate: None,
        // Short faults, often: a 20 s run holds five fault windows, so it exercises leader changes
        // early and often. Not shorter: a client stuck on a cut-off leader waits out its 1 s
        // operation timeout before it tries again, and a deposed leader's stale answers show only
        // after that (docs/hunt.md has the measurements).
        nemesis_interval_secs: 2.0,
        nemesis_pacing: Pacing::Interval,
        op_timeout_ms: 1000,
        recovery_secs: 3.0,
        health_timeout_secs: 30.0,
        final_read_timeout_secs: 10.0,
        max_clock_skew_secs: 5.0,
        loss_probability: 0.2,
        delay_ms: 50,
        jitter_ms: 10,
        duplicate_probability: 0.1,
        reorder_probability: 0.1,
        check_budget_secs: 60.0,
    };

    /// Every number in range, or the first flag that is not.
    fn validate(&self) -> Result<(), PlanError> {
        let out_of_range = |flag: &'static str, accepted: &'static str, found: String| {
            Err(PlanError::OutOfRange {
                flag,
                accepted,
                found,
            })
        };
        if self.concurrency == 0 {
            return out_of_range("--concurrency", "at least 1", "0".into());
        }
        if self.op_timeout_ms == 0 {
            return out_of_range("--op-timeout-ms", "at least 1", "0".into());
        }
        if let Some(r) = self.rate {
            if !(r.is_finite() && r > 0.0) {
                return out_of_range("--rate", "a number above 0", r.to_string());
            }
        }
        let seconds: [(&'static str, f64, bool); 10] = [
            ("--time-limit", self.time_limit_secs, true),
            ("--nemesis-interval", self.nemesis_interval_secs, true),
            ("--recovery", self.recovery_secs, false),
            ("--health-timeout", self.health_timeout_secs, true),
            ("--final-read-timeout", self.final_read_timeout_secs, true),
            ("--max-clock-skew", self.max_clock_skew_secs, false),
            ("--check-budget", self.check_budget_secs, true),
            ("--loss-probability", self.loss_probability, false),
            ("--duplicate-probability", self.duplicate_probability, false),
            ("--reorder-probability", self.reorder_probability, false),
        ];
        for (flag, v, positive) in seconds {
            let ok = v.is_finite() && if positive { v > 0.0 } else { v >= 0.0 };
            if !ok {
                let accepted = if positive {
                    "a number above 0"
                } else {
                    "a number, 0 or more"
                };
                return out_of_range(flag, accepted, v.to_string());
            }
        }
        for (flag, p) in [
            ("--loss-probability", self.loss_probability),
            ("--duplicate-probability", self.duplicate_probability),
            ("--reorder-probability", self.reorder_probability),
        ] {
            if p > 1.0 {
                return out_of_range(flag, "a number within 0..1", p.to_string());
            }
        }
        Ok(())
    }

    /// The flags whose value differs from `faultline run`'s default, in a fixed order.
    fn changed_flags(&self) -> Vec<(&'static str, String)> {
        let d = RunSettings::DEFAULT;
        let mut out = Vec::new();
        let mut flag = |differs: bool, name: &'static str, value: String| {
            if differs {
                out.push((name, value));
            }
        };
        flag(
            self.concurrency != d.concurrency,
            "concurrency",
            self.concurrency.to_string(),
        );
        flag(
            self.op_timeout_ms != d.op_timeout_ms,
            "op-timeout-ms",
            self.op_timeout_ms.to_string(),
        );
        flag(
            self.delay_ms != d.delay_ms,
            "delay-ms",
            self.delay_ms.to_string(),
        );
        flag(
            self.jitter_ms != d.jitter_ms,
            "jitter-ms",
            self.jitter_ms.to_string(),
        );
        let seconds: [(&'static str, f64, f64); 11] = [
            ("time-limit", self.time_limit_secs, d.time_limit_secs),
            ("rate", self.rate.unwrap_or(f64::NAN), f64::NAN),
            (
                "nemesis-interval",
                self.nemesis_interval_secs,
                d.nemesis_interval_secs,
            ),
            ("recovery", self.recovery_secs, d.recovery_secs),
            (
                "health-timeout",
                self.health_timeout_secs,
                d.health_timeout_secs,
            ),
            (
                "final-read-timeout",
                self.final_read_timeout_secs,
                d.final_read_timeout_secs,
            ),
            (
                "max-clock-skew",
                self.max_clock_skew_secs,
                d.max_clock_skew_secs,
            ),
            (
                "loss-probability",
                self.loss_probability,
                d.loss_probability,
            ),
            (
                "duplicate-probability",
                self.duplicate_probability,
                d.duplicate_probability,
            ),
            (
                "reorder-probability",
                self.reorder_probability,
                d.reorder_probability,
            ),
            ("check-budget", self.check_budget_secs, d.check_budget_secs),
        ];
        for (name, value, default) in seconds {
            // NaN stands for "not given" (only `--rate` has no default), and is never printed.
            flag(!value.is_nan() && value != default, name, value.to_string());
        }
        flag(
            self.nemesis_pacing != d.nemesis_pacing,
            "nemesis-pacing",
            pacing_name(self.nemesis_pacing).into(),
        );
        out
    }
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings::DEFAULT
    }
}

fn pacing_name(p: Pacing) -> &'static str {
    match p {
        Pacing::Interval => "interval",
        Pacing::Random => "random",
    }
}

impl FromStr for Pacing {
    type Err = String;

    /// `interval` or `random`, as `--nemesis-pacing` takes them.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "interval" => Ok(Pacing::Interval),
            "random" => Ok(Pacing::Random),
            other => Err(format!("must be interval or random, not {other:?}")),
        }
    }
}

/// What a run is asked to do, as given (a command line, a campaign block), before anything is
/// resolved or checked: [`RunPlan::resolve`] does both.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRequest {
    /// A target name, or `spec:PATH` for a target spec file (`--target-spec PATH`).
    pub target: String,
    /// Where the cluster runs (`--backend`).
    pub backend: BackendKind,
    /// `None`: the target's first mode.
    pub mode: Option<String>,
    pub bug: Option<String>,
    /// `--target-option` settings (and `--isolation`), checked by the target.
    pub target_options: BTreeMap<String, String>,
    pub workload: String,
    /// `--workload-option NAME=VALUE`, applied in order.
    pub workload_options: Vec<String>,
    /// `--nemesis`: fault kinds, comma-separated, or `none`.
    pub nemesis: String,
    pub schedule_file: Option<PathBuf>,
    /// `None`: the target's own default.
    pub nodes: Option<usize>,
    pub settings: RunSettings,
    /// `None`: drawn at random (and recorded).
    pub seed: Option<u64>,
    /// `None`: `<target>-<mode>-<workload>`.
    pub test_name: Option<String>,
    pub results_dir: PathBuf,
}

impl Default for RunRequest {
    /// `faultline run` with no flags (but a fixed seed).
    fn default() -> Self {
        RunRequest {
            target: DEFAULT_TARGET.into(),
            backend: BackendKind::Docker,
            mode: None,
            bug: None,
            target_options: BTreeMap::new(),
            workload: DEFAULT_WORKLOAD.into(),
            workload_options: Vec::new(),
            nemesis: DEFAULT_NEMESIS.into(),
            schedule_file: None,
            nodes: None,
            settings: RunSettings::DEFAULT,
            seed: Some(1),
            test_name: None,
            results_dir: DEFAULT_RESULTS_DIR.into(),
        }
    }
}

/// Why a request is not a run. Each message names the flag and what it accepts.
#[derive(Debug, Error)]
pub enum PlanError {
    #[error("{flag} must be {accepted}, not {found}")]
    OutOfRange {
        flag: &'static str,
        accepted: &'static str,
        found: String,
    },
    #[error("--target: {0}")]
    UnknownTarget(#[source] TargetError),
    /// A target spec file that cannot be used; its message names the file, line and field.
    #[error("--target-spec: {0}")]
    Spec(#[source] TargetError),
    /// The target refuses the mode, options, bug, node count or workload.
    #[error("{0}")]
    Target(#[source] TargetError),
    #[error("--workload-option: {0}")]
    WorkloadOption(#[source] WorkloadError),
    #[error("--workload: {0}")]
    Workload(#[source] WorkloadError),
    #[error("--nemesis: {0}")]
    Nemesis(String),
    #[error("cannot read schedule file {}: {source}", path.display())]
    ScheduleUnreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The schedule file's own message names the file and line.
    #[error("--schedule: {0}")]
    Schedule(String),
    #[error("--test-name {0:?} must be a plain folder name")]
    TestName(String),
    /// A fault or backend this run cannot have, with the reason (one-node partitions, clock skew
    /// of a Go binary, the in-process backend for another target...).
    #[error("{0}")]
    Refused(String),
}

/// A run, resolved and checked: what [`crate::run::run`] executes.
#[derive(Clone)]
pub struct RunPlan {
    /// The folder under the results directory.
    pub test_name: String,
    pub target: Arc<dyn Target>,
    /// The spec file the target was read from (`--target-spec`); `None` for a built-in target.
    pub target_spec: Option<PathBuf>,
    /// Where the cluster runs (`--backend`).
    pub backend: BackendKind,
    /// The mode that runs (the target's first when none was asked), so names and test.json say it.
    pub mode: Option<String>,
    pub bug: Option<String>,
    pub target_options: BTreeMap<String, String>,
    pub workload: Arc<dyn Workload>,
    /// The workload's controls (`concurrency` and `rate` included, from [`RunSettings`]).
    pub workload_options: WorkloadOptions,
    /// Fault kinds asked with `--nemesis` (empty: none).
    pub nemesis: Vec<String>,
    pub schedule_file: Option<PathBuf>,
    /// The fault schedule: the file's, or drawn from the seed.
    pub steps: Vec<Step>,
    pub nodes: usize,
    pub settings: RunSettings,
    pub seed: u64,
    pub results_dir: PathBuf,
    /// Shown before the progress line (`[3/24]` in a campaign); not part of the test.
    pub progress_label: Option<String>,
}

impl RunPlan {
    /// Resolves and checks a request: everything that needs no Docker.
    pub fn resolve(request: RunRequest) -> Result<RunPlan, PlanError> {
        let r = request;
        r.settings.validate()?;
        let target_spec = r
            .target
            .strip_prefix(faultline_targets::SPEC_PREFIX)
            .map(PathBuf::from);
        let target: Arc<dyn Target> = faultline_targets::by_name(&r.target)
            .map_err(|e| match target_spec {
                Some(_) => PlanError::Spec(e),
                None => PlanError::UnknownTarget(e),
            })?
            .into();
        // A spec target is refused by its origin, not its name: a spec may call itself anything.
        let backend_sees = match &target_spec {
            Some(_) => r.target.as_str(),
            None => target.name(),
        };
        if let Some(why) = r.backend.refusal(backend_sees) {
            return Err(PlanError::Refused(why));
        }
        let nodes = r.nodes.unwrap_or_else(|| target.default_nodes());
        if nodes == 0 || nodes > MAX_NODES {
            return Err(PlanError::OutOfRange {
                flag: "--nodes",
                accepted: "between 1 and 200",
                found: nodes.to_string(),
            });
        }
        let mode = r
            .mode
            .or_else(|| target.modes().first().map(|m| m.to_string()));
        let test_name = r.test_name.unwrap_or_else(|| match &mode {
            Some(mode) => format!("{}-{mode}-{}", target.name(), r.workload),
            None => format!("{}-{}", target.name(), r.workload),
        });
        if test_name.is_empty() || test_name.contains('/') || test_name.starts_with('.') {
            return Err(PlanError::TestName(test_name));
        }
        let mut workload_options = WorkloadOptions {
            concurrency: r.settings.concurrency,
            rate: r.settings.rate,
            ..WorkloadOptions::default()
        };
        for pair in &r.workload_options {
            workload_options
                .set_pair(pair)
                .map_err(PlanError::WorkloadOption)?;
        }
        let workload: Arc<dyn Workload> =
            faultline_workloads::by_name(&r.workload, &workload_options)
                .map_err(|e| match e {
                    WorkloadError::BadOption { .. } => PlanError::WorkloadOption(e),
                    WorkloadError::UnknownWorkload { .. } => PlanError::Workload(e),
                })?
                .into();
        let nemesis = schedule::parse_kinds(&r.nemesis).map_err(PlanError::Nemesis)?;
        let seed = r.seed.unwrap_or_else(random_seed);
        let mut plan = RunPlan {
            test_name,
            target,
            target_spec,
            backend: r.backend,
            mode,
            bug: r.bug,
            target_options: r.target_options,
            workload,
            workload_options,
            nemesis,
            schedule_file: r.schedule_file,
            steps: Vec::new(),
            nodes,
            settings: r.settings,
            seed,
            results_dir: r.results_dir,
            progress_label: None,
        };
        faultline_targets::validate_cluster(plan.target.as_ref(), &plan.cluster_spec())
            .map_err(PlanError::Target)?;
        faultline_targets::validate_run(plan.target.as_ref(), plan.nodes, plan.workload.name())
            .map_err(PlanError::Target)?;
        plan.steps = plan.schedule()?;
        for fault in faults::ALL {
            if let Some(asked) = super::fault_wanted(&plan, &plan.steps, *fault) {
                if let Some(why) = fault.refusal(&asked, plan.target.as_ref(), plan.nodes) {
                    return Err(PlanError::Refused(why));
                }
            }
        }
        Ok(plan)
    }

    /// The schedule file's steps, or a schedule drawn from the seed.
    fn schedule(&self) -> Result<Vec<Step>, PlanError> {
        if let Some(path) = &self.schedule_file {
            let text =
                std::fs::read_to_string(path).map_err(|source| PlanError::ScheduleUnreadable {
                    path: path.clone(),
                    source,
                })?;
            return schedule::parse_file(&text, &path.display().to_string())
                .map_err(PlanError::Schedule);
        }
        let s = &self.settings;
        Ok(schedule::generate(
            &ScheduleSpec {
                kinds: self.nemesis.clone(),
                nodes: (1..=self.nodes).map(|i| format!("n{i}")).collect(),
                interval_secs: s.nemesis_interval_secs,
                time_limit_secs: s.time_limit_secs,
                pacing: s.nemesis_pacing,
                max_clock_skew_secs: s.max_clock_skew_secs,
                loss_probability: s.loss_probability,
                delay_ms: s.delay_ms,
                jitter_ms: s.jitter_ms,
                duplicate_probability: s.duplicate_probability,
                reorder_probability: s.reorder_probability,
            },
            self.seed,
        ))
    }

    /// The cluster as far as it is known before containers exist (no node addresses yet).
    pub fn cluster_spec(&self) -> ClusterSpec {
        ClusterSpec {
            nodes: Vec::new(),
            mode: self.mode.clone(),
            bug: self.bug.clone(),
            options: self.target_options.clone(),
        }
    }

    /// The name `--test-name` takes when it is not given.
    fn default_test_name(&self) -> String {
        match &self.mode {
            Some(mode) => format!("{}-{mode}-{}", self.target.name(), self.workload.name()),
            None => format!("{}-{}", self.target.name(), self.workload.name()),
        }
    }

    /// The `faultline run` arguments that rebuild this plan (resolving them gives an equal plan):
    /// what the run is, then every setting that differs from its default.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        let mut flag = |name: &str, value: String| {
            args.push(format!("--{name}"));
            args.push(value);
        };
        match &self.target_spec {
            Some(path) => flag("target-spec", path.display().to_string()),
            None => flag("target", self.target.name().to_string()),
        }
        if self.backend != BackendKind::Docker {
            flag("backend", self.backend.name().to_string());
        }
        if let Some(m) = &self.mode {
            flag("mode", m.clone());
        }
        for (name, value) in &self.target_options {
            flag("target-option", format!("{name}={value}"));
        }
        if let Some(b) = &self.bug {
            flag("bug", b.clone());
        }
        flag("workload", self.workload.name().to_string());
        for (name, value) in self.workload_options.settings() {
            flag("workload-option", format!("{name}={value}"));
        }
        flag("nemesis", self.nemesis_text());
        flag("seed", self.seed.to_string());
        if let Some(s) = &self.schedule_file {
            flag("schedule", s.display().to_string());
        }
        if self.nodes != self.target.default_nodes() {
            flag("nodes", self.nodes.to_string());
        }
        for (name, value) in self.settings.changed_flags() {
            flag(name, value);
        }
        if self.test_name != self.default_test_name() {
            flag("test-name", self.test_name.clone());
        }
        if self.results_dir != std::path::Path::new(DEFAULT_RESULTS_DIR) {
            flag("results-dir", self.results_dir.display().to_string());
        }
        args
    }

    /// The `faultline run` command that repeats this run, quoted for a POSIX shell.
    pub fn command(&self) -> String {
        let quoted = self.to_args().into_iter().map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_=.,/:+".contains(c))
            {
                a
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        });
        std::iter::once("faultline run".to_string())
            .chain(quoted)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// `--nemesis` as given back: the kinds comma-separated, or `none`.
    pub fn nemesis_text(&self) -> String {
        if self.nemesis.is_empty() {
            "none".into()
        } else {
            self.nemesis.join(",")
        }
    }

    /// The options as `test.json` records them (the names users see).
    pub fn recorded(&self) -> RecordedOptions {
        let s = &self.settings;
        RecordedOptions {
            test_name: self.test_name.clone(),
            target: self.target.name().to_string(),
            target_spec: self.target_spec.clone(),
            backend: self.backend,
            mode: self.mode.clone(),
            bug: self.bug.clone(),
            target_options: self.target_options.clone(),
            workload: self.workload.name().to_string(),
            workload_settings: self
                .workload_options
                .settings()
                .into_iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect(),
            nemesis: self.nemesis.clone(),
            nodes: self.nodes,
            time_limit_secs: s.time_limit_secs,
            concurrency: s.concurrency,
            rate: s.rate,
            seed: self.seed,
            nemesis_interval_secs: s.nemesis_interval_secs,
            nemesis_pacing: pacing_name(s.nemesis_pacing).to_string(),
            schedule_file: self.schedule_file.clone(),
            op_timeout_ms: s.op_timeout_ms,
            recovery_secs: s.recovery_secs,
            health_timeout_secs: s.health_timeout_secs,
            final_read_timeout_secs: s.final_read_timeout_secs,
            max_clock_skew_secs: s.max_clock_skew_secs,
            loss_probability: s.loss_probability,
            delay_ms: s.delay_ms,
            jitter_ms: s.jitter_ms,
            duplicate_probability: s.duplicate_probability,
            reorder_probability: s.reorder_probability,
            check_budget_secs: s.check_budget_secs,
            results_dir: self.results_dir.clone(),
        }
    }
}

/// Two plans are equal when they run the same test: same target and workload (by name), same
/// settings and schedule. The progress label is presentation and not compared.
impl PartialEq for RunPlan {
    fn eq(&self, other: &Self) -> bool {
        self.test_name == other.test_name
            && self.target.name() == other.target.name()
            && self.target_spec == other.target_spec
            && self.mode == other.mode
            && self.bug == other.bug
            && self.target_options == other.target_options
            && self.workload.name() == other.workload.name()
            && self.workload_options == other.workload_options
            && self.nemesis == other.nemesis
            && self.schedule_file == other.schedule_file
            && self.steps == other.steps
            && self.nodes == other.nodes
            && self.settings == other.settings
            && self.seed == other.seed
            && self.results_dir == other.results_dir
    }
}

impl std::fmt::Debug for RunPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RunPlan({})", self.command())
    }
}

/// `test.json`'s `options`: the run's settings under the names users know from schema 1.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordedOptions {
    pub test_name: String,
    pub target: String,
    /// The target spec file, for a spec target (left out for built-in targets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_spec: Option<PathBuf>,
    /// Left out for Docker, so Docker runs record what schema 1 did.
    #[serde(default, skip_serializing_if = "is_docker")]
    pub backend: BackendKind,
    pub mode: Option<String>,
    pub bug: Option<String>,
    pub target_options: BTreeMap<String, String>,
    pub workload: String,
    /// The workload controls that differ from their defaults, as `NAME=VALUE`.
    pub workload_settings: Vec<String>,
    pub nemesis: Vec<String>,
    pub nodes: usize,
    pub time_limit_secs: f64,
    pub concurrency: u32,
    pub rate: Option<f64>,
    pub seed: u64,
    pub nemesis_interval_secs: f64,
    pub nemesis_pacing: String,
    pub schedule_file: Option<PathBuf>,
    pub op_timeout_ms: u64,
    pub recovery_secs: f64,
    pub health_timeout_secs: f64,
    pub final_read_timeout_secs: f64,
    pub max_clock_skew_secs: f64,
    pub loss_probability: f64,
    /// The packet-shaping options (absent from runs recorded before they existed).
    #[serde(default = "default_delay_ms")]
    pub delay_ms: u64,
    #[serde(default = "default_jitter_ms")]
    pub jitter_ms: u64,
    #[serde(default = "default_duplicate_probability")]
    pub duplicate_probability: f64,
    #[serde(default = "default_reorder_probability")]
    pub reorder_probability: f64,
    pub check_budget_secs: f64,
    pub results_dir: PathBuf,
}

fn default_delay_ms() -> u64 {
    RunSettings::DEFAULT.delay_ms
}
fn default_jitter_ms() -> u64 {
    RunSettings::DEFAULT.jitter_ms
}
fn default_duplicate_probability() -> f64 {
    RunSettings::DEFAULT.duplicate_probability
}
fn default_reorder_probability() -> f64 {
    RunSettings::DEFAULT.reorder_probability
}

fn is_docker(backend: &BackendKind) -> bool {
    *backend == BackendKind::Docker
}

/// A seed from the clock, small enough to type back.
fn random_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
        % 1_000_000
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example_spec() -> String {
        format!(
            "{}/../examples/refnode-adapter/raft.toml",
            env!("CARGO_MANIFEST_DIR")
        )
    }

    fn resolve(f: impl FnOnce(&mut RunRequest)) -> Result<RunPlan, PlanError> {
        let mut r = RunRequest::default();
        f(&mut r);
        RunPlan::resolve(r)
    }

    #[test]
    fn the_default_request_resolves_to_the_targets_defaults() {
        let p = resolve(|_| {}).unwrap();
        assert_eq!(p.target.name(), "reference");
        assert_eq!(p.mode.as_deref(), Some("raft"));
        assert_eq!(p.nodes, 3);
        assert_eq!(p.test_name, "reference-raft-register");
        assert_eq!(p.nemesis, ["partition-leader"]);
        assert!(!p.steps.is_empty(), "30 s of partitions every 2 s");
        assert_eq!(p.workload_options.concurrency, 10);
        assert_eq!(
            p.command(),
            "faultline run --target reference --mode raft --workload register --nemesis partition-leader --seed 1"
        );
    }

    #[test]
    fn each_bad_setting_names_its_flag_and_what_it_accepts() {
        type Change = Box<dyn FnOnce(&mut RunRequest)>;
        let cases: Vec<(Change, &str)> = vec![
            (
                Box::new(|r| r.nodes = Some(300)),
                "--nodes must be between 1 and 200, not 300",
            ),
            (
                Box::new(|r| r.settings.concurrency = 0),
                "--concurrency must be at least 1, not 0",
            ),
            (
                Box::new(|r| r.settings.time_limit_secs = 0.0),
                "--time-limit must be a number above 0, not 0",
            ),
            (
                Box::new(|r| r.settings.recovery_secs = -1.0),
                "--recovery must be a number, 0 or more, not -1",
            ),
            (
                Box::new(|r| r.settings.loss_probability = 1.5),
                "--loss-probability must be a number within 0..1, not 1.5",
            ),
            (
                Box::new(|r| r.settings.rate = Some(0.0)),
                "--rate must be a number above 0, not 0",
            ),
            (
                Box::new(|r| r.target = "mongo".into()),
                "--target: unknown target \"mongo\"",
            ),
            (
                Box::new(|r| r.workload = "regster".into()),
                "--workload: unknown workload",
            ),
            (
                Box::new(|r| r.workload_options = vec!["key-cont=3".into()]),
                "--workload-option: bad key-cont: unknown workload option; known: jitter",
            ),
            (
                Box::new(|r| r.nemesis = "partition,crash".into()),
                "--nemesis: unknown nemesis \"crash\"; known: none, ",
            ),
            (
                Box::new(|r| r.schedule_file = Some("/nonexistent/s.json".into())),
                "cannot read schedule file /nonexistent/s.json",
            ),
            (
                Box::new(|r| r.test_name = Some("a/b".into())),
                "--test-name \"a/b\" must be a plain folder name",
            ),
            (
                Box::new(|r| r.mode = Some("paxos".into())),
                "has no mode \"paxos\"",
            ),
            (
                Box::new(|r| r.nodes = Some(1)),
                "the partition-leader nemesis acts only on traffic between nodes",
            ),
            (
                Box::new(|r| {
                    r.target = "etcd".into();
                    r.nemesis = "clock".into();
                }),
                "cannot skew the clock of target etcd",
            ),
            (
                Box::new(|r| r.target = format!("spec:{}", example_spec())),
                "",
            ),
            (
                Box::new(|r| {
                    r.target = format!("spec:{}", example_spec());
                    r.backend = BackendKind::InProcess;
                }),
                "the in-process backend runs only the built-in reference nodes; the target spec",
            ),
            (
                Box::new(|r| {
                    r.target = format!("spec:{}", example_spec());
                    r.workload = "bank".into();
                }),
                "target refnode-raft has no client for workload bank",
            ),
            (
                Box::new(|r| r.target = "spec:/nonexistent/store.toml".into()),
                "--target-spec: cannot read target spec /nonexistent/store.toml",
            ),
        ];
        for (change, says) in cases {
            if says.is_empty() {
                // The spec example itself resolves (a control for the cases around it).
                resolve(change).expect("the example spec resolves");
                continue;
            }
            let e = resolve(change).expect_err(says);
            assert!(e.to_string().contains(says), "{e} / {says}");
        }
    }

    #[test]
    fn a_spec_target_gets_every_fault_and_clock_skew_only_when_it_says_so() {
        let every = "partition,kill,pause,loss,clock";
        let p = resolve(|r| {
            r.target = format!("spec:{}", example_spec());
            r.nemesis = every.into();
        })
        .expect("the example declares clock_skew");
        assert_eq!(p.nemesis.join(","), every);
        let text = std::fs::read_to_string(example_spec())
            .unwrap()
            .replace("clock_skew = true", "");
        let path = std::env::temp_dir().join(format!("no-skew-{}.toml", std::process::id()));
        std::fs::write(&path, text).unwrap();
        let e = resolve(|r| {
            r.target = format!("spec:{}", path.display());
            r.nemesis = "partition,clock".into();
        })
        .expect_err("clock refused");
        std::fs::remove_file(&path).unwrap();
        let e = e.to_string();
        assert!(
            e.contains("cannot skew the clock of target refnode-raft")
                && e.contains("supports.clock_skew"),
            "{e}"
        );
    }

    #[test]
    fn test_json_keeps_the_option_names_users_see() {
        let p = resolve(|r| {
            r.workload_options = vec!["key-count=4".into()];
            r.settings.nemesis_pacing = Pacing::Random;
            r.settings.rate = Some(150.0);
        })
        .unwrap();
        let v = serde_json::to_value(p.recorded()).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        let fixture: serde_json::Value = serde_json::from_str(include_str!(
            "../../tests/fixtures/run-raft-stale-read/test.json"
        ))
        .unwrap();
        let old: Vec<&str> = fixture["options"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        // Every schema-1 name, in order; the packet-shaping options came later (and default
        // when absent, below).
        let shaping = [
            "delay_ms",
            "jitter_ms",
            "duplicate_probability",
            "reorder_probability",
        ];
        let kept: Vec<&str> = keys
            .iter()
            .copied()
            .filter(|k| !shaping.contains(k))
            .collect();
        assert_eq!(kept, old);
        assert_eq!(keys.len(), old.len() + shaping.len());
        assert_eq!(v["delay_ms"], 50);
        assert_eq!(v["workload_settings"], serde_json::json!(["key-count=4"]));
        assert_eq!(v["nemesis_pacing"], "random");
        assert_eq!(v["rate"], 150.0);
        // A schema-1 test.json reads back into the type.
        let back: RecordedOptions = serde_json::from_value(fixture["options"].clone()).unwrap();
        assert_eq!(back.seed, 11);
        assert_eq!(back.delay_ms, RunSettings::DEFAULT.delay_ms);
    }
}

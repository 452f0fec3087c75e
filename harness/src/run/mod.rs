//! The run loop (DESIGN.md section 5): images → cluster → wait healthy → clients + nemesis for the
//! time limit → heal → recovery wait → final reads → teardown → check → results.
//!
//! Teardown happens on every path: success, error, panic (caught) and Ctrl-C / SIGTERM (raced
//! against the run); a [`CleanupGuard`] is the last resort if even that is skipped.

pub mod clients;
pub mod cluster;
pub mod progress;
pub mod verdict;
pub mod workloads;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use faultline_checkers::Validity;
use faultline_targets::Target;
use faultline_workloads::Workload;
use futures_util::FutureExt;
use serde_json::{json, Value};
use tokio::sync::{watch, Mutex};

use crate::docker::{CleanupGuard, DockerClient};
use crate::exit::FaultlineError;
use crate::nemesis::schedule::{self, Pacing, ScheduleSpec};
use crate::nemesis::{Nemesis, Step};
use crate::results::{Recorder, RunDir};
use clients::{ClientContext, SlotStats};
use cluster::{Cluster, ClusterPlan};

/// Everything `faultline run` was asked to do. Serialised whole into `test.json`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RunOptions {
    pub test_name: String,
    pub target: String,
    pub mode: Option<String>,
    pub bug: Option<String>,
    /// `--target-option` settings (and `--isolation`), validated by the target.
    pub target_options: std::collections::BTreeMap<String, String>,
    pub workload: String,
    /// `NAME=VALUE` workload controls (`--workload-option`), applied in order.
    pub workload_settings: Vec<String>,
    pub nemesis: Vec<String>,
    pub nodes: usize,
    pub time_limit_secs: f64,
    pub concurrency: u32,
    /// Operations per second over all clients; `None` is as fast as the store answers.
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
    pub check_budget_secs: f64,
    pub results_dir: PathBuf,
    /// Shown before the progress line (`[3/24]` in a campaign); not part of the test's options.
    #[serde(skip)]
    pub progress_label: Option<String>,
}

/// How a run ended with a verdict.
#[derive(Debug)]
pub struct RunOutcome {
    pub valid: Validity,
    pub dir: PathBuf,
    pub summary: String,
}

fn harness(e: impl std::fmt::Display) -> FaultlineError {
    FaultlineError::Harness(e.to_string())
}

/// What [`prepare`] resolved from the options.
pub type Prepared = (Arc<dyn Workload>, Arc<dyn Target>, Vec<Step>);

/// Checks the options that need no Docker; returns the workload, target and fault schedule.
pub fn prepare(opts: &RunOptions) -> Result<Prepared, FaultlineError> {
    let bad = FaultlineError::BadInput;
    if opts.nodes == 0 || opts.nodes > 200 {
        return Err(bad(format!(
            "--nodes must be between 1 and 200, not {}",
            opts.nodes
        )));
    }
    if opts.concurrency == 0 {
        return Err(bad("--concurrency must be at least 1".into()));
    }
    if opts.time_limit_secs.is_nan() || opts.time_limit_secs <= 0.0 {
        return Err(bad("--time-limit must be positive".into()));
    }
    if !(0.0..=1.0).contains(&opts.loss_probability) {
        return Err(bad(format!(
            "--loss-probability must be within 0..1, not {}",
            opts.loss_probability
        )));
    }
    let workload: Arc<dyn Workload> = workloads::lookup(
        &opts.workload,
        opts.concurrency,
        opts.rate,
        &opts.workload_settings,
    )
    .map_err(bad)?
    .into();
    let target: Arc<dyn Target> = faultline_targets::by_name(&opts.target)
        .map_err(|e| bad(e.to_string()))?
        .into();
    faultline_targets::validate_cluster(target.as_ref(), &cluster_spec(opts))
        .map_err(|e| bad(e.to_string()))?;
    faultline_targets::validate_run(target.as_ref(), opts.nodes, workload.name())
        .map_err(|e| bad(e.to_string()))?;
    let nodes: Vec<String> = (1..=opts.nodes).map(|i| format!("n{i}")).collect();
    let steps = match &opts.schedule_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| bad(format!("cannot read schedule file {}: {e}", path.display())))?;
            schedule::parse_file(&text, &path.display().to_string()).map_err(bad)?
        }
        None => schedule::generate(
            &ScheduleSpec {
                kinds: opts.nemesis.clone(),
                nodes,
                interval_secs: opts.nemesis_interval_secs,
                time_limit_secs: opts.time_limit_secs,
                pacing: match opts.nemesis_pacing.as_str() {
                    "interval" => Pacing::Interval,
                    "random" => Pacing::Random,
                    other => {
                        return Err(bad(format!(
                            "--nemesis-pacing must be interval or random, not {other:?}"
                        )))
                    }
                },
                max_clock_skew_secs: opts.max_clock_skew_secs,
                loss_probability: opts.loss_probability,
            },
            opts.seed,
        ),
    };
    if opts.nodes == 1 {
        if let Some(fault) = fault_wanted(opts, &steps, &["partition", "loss"]) {
            return Err(bad(format!(
                "the {fault} nemesis acts only on traffic between nodes, and a single node has no peers, so the run would have no faults (clients are never cut off); use kill, pause or clock"
            )));
        }
    }
    if fault_wanted(opts, &steps, &["clock"]).is_some() {
        target.clock_skew_support().map_err(|e| {
            bad(format!(
                "cannot skew the clock of target {}: {e}",
                opts.target
            ))
        })?;
    }
    Ok((workload, target, steps))
}

/// The cluster as far as it is known before containers exist (no node addresses yet).
fn cluster_spec(opts: &RunOptions) -> faultline_targets::ClusterSpec {
    faultline_targets::ClusterSpec {
        nodes: Vec::new(),
        mode: opts.mode.clone(),
        bug: opts.bug.clone(),
        options: opts.target_options.clone(),
    }
}

fn uses_clock(steps: &[Step]) -> bool {
    steps.iter().any(|s| s.action.name().starts_with("clock"))
}

/// Partitions and packet loss drop traffic between nodes only (see `nemesis::partition` and
/// `nemesis::packet`); delay slows every packet a node sends, clients' answers included.
/// The first fault named with one of `prefixes` that the run asked for (`--nemesis`) or its
/// schedule holds. Refusals go by what was asked too: a short run may draw no such step, and a
/// user asking for a fault the run cannot have should hear so every time. With `--schedule`, the
/// file is what runs and `--nemesis` (perhaps its default) is not used.
fn fault_wanted(opts: &RunOptions, steps: &[Step], prefixes: &[&str]) -> Option<String> {
    let matches = |name: &str| prefixes.iter().any(|p| name.starts_with(p));
    let asked: &[String] = if opts.schedule_file.is_some() {
        &[]
    } else {
        &opts.nemesis
    };
    asked.iter().find(|k| matches(k)).cloned().or_else(|| {
        steps
            .iter()
            .map(|s| s.action.name())
            .find(|n| matches(n))
            .map(str::to_string)
    })
}

fn uses_delay(steps: &[Step]) -> bool {
    steps.iter().any(|s| s.action.name() == "delay-start")
}

fn versions(docker: &DockerClient) -> Value {
    json!({
        "faultline": env!("CARGO_PKG_VERSION"),
        "docker_engine": docker.engine_version,
        "docker_api": docker.api_version,
    })
}

/// Runs a whole test. Prints progress on stderr.
pub async fn run(opts: RunOptions) -> Result<RunOutcome, FaultlineError> {
    let (workload, target, steps) = prepare(&opts)?;
    let docker = DockerClient::connect().await.map_err(harness)?;
    report_leftovers(&docker).await;

    let dir = RunDir::create(&opts.results_dir, &opts.test_name).map_err(|e| {
        harness(format!(
            "cannot create a run folder under {}: {e}",
            opts.results_dir.display()
        ))
    })?;
    let run_id = format!("{}-{}", dir.stamp.to_lowercase(), std::process::id());
    eprintln!("faultline: run {run_id} → {}", dir.path.display());

    let recipe = target.image().map_err(harness)?;
    let images = docker.ensure_images(&recipe).await.map_err(harness)?;
    let mut test = json!({
        "run_id": run_id,
        "options": opts,
        "seed": opts.seed,
        "versions": versions(&docker),
        "images": {"base": images.base, "tools": images.tools, "target": images.target},
        "schedule": steps,
    });
    dir.write_json("test.json", &test).map_err(harness)?;

    let recorder = Recorder::create(&dir.file("history.jsonl"), Instant::now()).map_err(harness)?;
    let mut guard = CleanupGuard::new(&run_id);
    let nemesis: Arc<Mutex<Option<Nemesis>>> = Arc::new(Mutex::new(None));
    let cluster: Arc<Mutex<Option<Cluster>>> = Arc::new(Mutex::new(None));

    let phases = Phases {
        opts: &opts,
        docker: &docker,
        run_id: &run_id,
        images: &images,
        workload: workload.clone(),
        target: target.clone(),
        steps: &steps,
        recorder: recorder.clone(),
        nemesis: nemesis.clone(),
        cluster: cluster.clone(),
    };
    let outcome = tokio::select! {
        r = std::panic::AssertUnwindSafe(phases.run()).catch_unwind() => match r {
            Ok(r) => r,
            Err(panic) => Err(harness(format!("the run panicked: {}", panic_message(&panic)))),
        },
        signal = interrupted() => Err(harness(format!("interrupted by {signal}; tearing down"))),
    };

    // Teardown on every path: heal (recorded), save logs, remove every object.
    if let Some(n) = nemesis.lock().await.as_mut() {
        n.heal().await;
    }
    if let Some(c) = cluster.lock().await.as_ref() {
        for (node, file, text) in c.logs(target.as_ref()).await {
            let _ = dir.write_node_log(&node, &file, &text);
        }
    }
    target.shutdown().await;
    let removed = docker.remove_run(&run_id).await;
    match removed {
        Ok(_) => guard.disarm(),
        Err(e) => eprintln!("faultline: {e}"),
    }

    let figures = outcome?;
    let (ops, write_error) = recorder.snapshot();
    if let Some(e) = write_error {
        return Err(harness(format!(
            "could not write {}: {e}",
            dir.file("history.jsonl").display()
        )));
    }
    let skipped = target.inapplicable_checkers(&cluster_spec(&opts));
    let models: Vec<&str> = workload
        .checkers()
        .into_iter()
        .filter(|m| !skipped.iter().any(|(s, _)| s == m))
        .collect();
    let initial = |model: &str| workload.checker_initial(model);
    for (checker, why) in &skipped {
        eprintln!("faultline: not running {checker}: {why}");
    }
    eprintln!(
        "faultline: checking {} events with {models:?}",
        recorder.len()
    );
    let verdict = verdict::judge(
        ops,
        &models,
        &initial,
        Duration::from_secs_f64(opts.check_budget_secs),
    );
    let mut results = verdict.json.clone();
    results["skipped_checkers"] = json!(skipped
        .iter()
        .map(|(c, why)| json!({"checker": c, "reason": why}))
        .collect::<Vec<_>>());
    results["stats"] = figures.clone();
    if let Some(adapter) = target.run_summary() {
        if adapter["restarts"].as_u64().unwrap_or(0) > 0 {
            eprintln!(
                "faultline: warning: the client adapter was restarted {} times (results.json \"adapter\" says when and why)",
                adapter["restarts"]
            );
        }
        results["adapter"] = adapter;
    }
    results["schema"] = json!(crate::results::SCHEMA_VERSION);
    dir.write_json("results.json", &results).map_err(harness)?;
    test["finished"] = json!(true);
    dir.write_json("test.json", &test).map_err(harness)?;
    // The verdict stands even if the page cannot be written.
    match crate::report::write_run_reports(&dir.path) {
        Ok(w) => eprintln!("faultline: report {}", w.report.display()),
        Err(e) => eprintln!("faultline: warning: no report: {e}"),
    }

    let summary = format!(
        "{}: {} — {} {} on {} nodes, nemesis {}, {} ops ({:.0}/s), healthy in {:.2} s, faults in force {:.0} ms (median) after scheduled; {}",
        match verdict.valid {
            Validity::Valid => "VALID",
            Validity::Invalid => "INVALID",
            Validity::Unknown => "UNKNOWN",
        },
        verdict
            .reports
            .iter()
            .map(|r| format!("{} {}", r.checker, r.valid))
            .collect::<Vec<_>>()
            .join(", "),
        opts.target,
        opts.mode.as_deref().unwrap_or("(default mode)"),
        opts.nodes,
        if opts.nemesis.is_empty() { "none".to_string() } else { opts.nemesis.join(",") },
        figures["client_ops"],
        figures["ops_per_second"].as_f64().unwrap_or(0.0),
        figures["healthy_seconds"].as_f64().unwrap_or(0.0),
        figures["nemesis_median_late_ms"].as_f64().unwrap_or(0.0),
        dir.path.display()
    );
    Ok(RunOutcome {
        valid: verdict.valid,
        dir: dir.path.clone(),
        summary,
    })
}

/// The phases between images and teardown, sharing the cluster and nemesis with the teardown
/// through mutex slots so an error or Ctrl-C still tears down what exists.
struct Phases<'a> {
    opts: &'a RunOptions,
    docker: &'a DockerClient,
    run_id: &'a str,
    images: &'a crate::docker::Images,
    workload: Arc<dyn Workload>,
    target: Arc<dyn Target>,
    steps: &'a [Step],
    recorder: Recorder,
    nemesis: Arc<Mutex<Option<Nemesis>>>,
    cluster: Arc<Mutex<Option<Cluster>>>,
}

impl Phases<'_> {
    async fn run(self) -> Result<Value, FaultlineError> {
        let opts = self.opts;
        let plan = ClusterPlan {
            run_id: self.run_id,
            node_count: opts.nodes,
            tools_image: &self.images.tools,
            target_image: &self.images.target,
            mode: opts.mode.clone(),
            bug: opts.bug.clone(),
            options: opts.target_options.clone(),
            faketime: uses_clock(self.steps),
        };
        let started = Instant::now();
        let result = cluster::start(self.docker, self.target.as_ref(), &plan).await;
        let c = result.map_err(harness)?;
        let spec = c.spec.clone();
        let nodes = c.nodes.clone();
        *self.cluster.lock().await = Some(c);
        let healthy = {
            let guard = self.cluster.lock().await;
            let c = guard.as_ref().expect("just stored");
            c.wait_healthy(
                self.target.as_ref(),
                Duration::from_secs_f64(opts.health_timeout_secs),
            )
            .await
            .map_err(harness)?
        };
        {
            let guard = self.cluster.lock().await;
            let c = guard.as_ref().expect("just stored");
            c.run_hooks(self.target.as_ref(), faultline_targets::HookStage::AfterStart)
                .await
                .map_err(harness)?;
        }
        let healthy_total = started.elapsed();
        eprintln!(
            "faultline: {} nodes healthy {:.2} s after start ({:.2} s after their containers)",
            opts.nodes,
            healthy_total.as_secs_f64(),
            healthy.as_secs_f64()
        );
        if uses_delay(self.steps) {
            crate::nemesis::packet::probe_netem(self.docker, &nodes[0])
                .await
                .map_err(FaultlineError::BadInput)?;
        }
        let mut nemesis = Nemesis::new(self.docker.clone(), nodes, self.recorder.clone());
        if !self.steps.is_empty() {
            nemesis.open_shells().await;
        }
        let faults_in_force = nemesis.faults_in_force();
        *self.nemesis.lock().await = Some(nemesis);

        // Clients and nemesis for the time limit.
        let ctx = ClientContext {
            target: self.target.clone(),
            cluster: spec,
            workload: self.workload.name().to_string(),
            recorder: self.recorder.clone(),
            op_timeout: Duration::from_millis(opts.op_timeout_ms),
            concurrency: opts.concurrency,
        };
        let setup = self.workload.setup_ops();
        if !setup.is_empty() {
            let done = ctx
                .sequential(
                    &setup,
                    0,
                    opts.concurrency.into(),
                    Duration::from_secs_f64(opts.final_read_timeout_secs),
                )
                .await;
            if done
                .iter()
                .filter(|c| c.kind == faultline_checkers::OpType::Ok)
                .count()
                < setup.len()
            {
                return Err(harness(format!(
                    "the workload's {} setup operations did not all succeed within {} s",
                    setup.len(),
                    opts.final_read_timeout_secs
                )));
            }
        }
        let (stop_tx, stop_rx) = watch::channel(false);
        let progress = progress::Progress::start(
            progress::should_show(
                std::io::IsTerminal::is_terminal(&std::io::stderr()),
                std::env::var("TERM").ok().as_deref(),
            ),
            opts.progress_label.clone(),
            Duration::from_secs_f64(opts.time_limit_secs),
            self.recorder.clone(),
            faults_in_force,
        );
        let t0 = Instant::now();
        let ops_before = self.recorder.len();
        let slots: Vec<_> = (0..opts.concurrency)
            .map(|slot| {
                let generator = self.workload.generator(slot, opts.concurrency, opts.seed);
                let pacing = self
                    .workload
                    .delay_schedule(slot, opts.concurrency, opts.seed);
                tokio::spawn(
                    ctx.clone()
                        .run_slot(slot, generator, pacing, stop_rx.clone()),
                )
            })
            .collect();
        let nemesis_task = {
            let nemesis = self.nemesis.clone();
            let steps = self.steps.to_vec();
            let stop = stop_rx.clone();
            tokio::spawn(async move {
                if let Some(n) = nemesis.lock().await.as_mut() {
                    n.run(&steps, t0, stop).await;
                }
            })
        };
        tokio::time::sleep(Duration::from_secs_f64(opts.time_limit_secs)).await;
        let _ = stop_tx.send(true);
        drop(progress);
        let mut stats = Vec::new();
        for s in slots {
            stats.push(s.await.unwrap_or_default());
        }
        let client_secs = t0.elapsed().as_secs_f64();
        let _ = nemesis_task.await;
        let client_events = self.recorder.len() - ops_before;

        // Heal, let the cluster recover, final reads.
        let (lateness, lateness_json) = {
            let mut guard = self.nemesis.lock().await;
            let n = guard.as_mut().expect("nemesis stored above");
            n.heal().await;
            let mut late: Vec<f64> = n
                .lateness_ms
                .iter()
                .filter(|(f, _)| {
                    f.ends_with("-start") || f == "kill" || f == "pause" || f.starts_with("clock-")
                })
                .map(|(_, ms)| *ms)
                .collect();
            late.sort_by(f64::total_cmp);
            (late, n.lateness_json())
        };
        tokio::time::sleep(Duration::from_secs_f64(opts.recovery_secs)).await;
        {
            let guard = self.cluster.lock().await;
            if let Some(c) = guard.as_ref() {
                c.run_hooks(
                    self.target.as_ref(),
                    faultline_targets::HookStage::BeforeFinalReads,
                )
                .await
                .map_err(harness)?;
            }
        }
        self.recorder
            .nemesis(faultline_workloads::FINAL_READS_MARKER, Value::Null, None);
        let reads = self.workload.final_reads();
        let first_free = stats.iter().map(|s| s.next_process).max().unwrap_or(0) + 1;
        let on_nodes: Vec<usize> = if self.workload.final_reads_on_every_node() {
            (0..opts.nodes).collect()
        } else {
            vec![0]
        };
        let mut finals = Vec::new();
        let mut asked = 0;
        for (i, node) in on_nodes.into_iter().enumerate() {
            asked += reads.len();
            finals.extend(
                ctx.sequential(
                    &reads,
                    node,
                    first_free + (i as u64) * 1_000_000,
                    Duration::from_secs_f64(opts.final_read_timeout_secs),
                )
                .await,
            );
        }
        let final_ok = finals
            .iter()
            .filter(|c| c.kind == faultline_checkers::OpType::Ok)
            .count();
        if final_ok < asked {
            eprintln!(
                "faultline: only {final_ok} of {asked} final reads succeeded within {} s",
                opts.final_read_timeout_secs
            );
        }

        let total = |f: fn(&SlotStats) -> u64| stats.iter().map(f).sum::<u64>();
        let ops = total(|s| s.ops);
        let median = |v: &[f64]| if v.is_empty() { 0.0 } else { v[v.len() / 2] };
        Ok(json!({
            "healthy_seconds": healthy_total.as_secs_f64(),
            "client_seconds": client_secs,
            "client_ops": ops,
            "client_events": client_events,
            "ops_per_second": ops as f64 / client_secs.max(1e-9),
            "ok": total(|s| s.ok),
            "fail": total(|s| s.fail),
            "info": total(|s| s.info),
            "final_reads": {"asked": asked, "ok": final_ok},
            "nemesis_median_late_ms": median(&lateness),
            "nemesis_max_late_ms": lateness.last().copied().unwrap_or(0.0),
            "nemesis_steps": lateness_json,
        }))
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// Resolves on Ctrl-C or SIGTERM with the signal's name.
pub(crate) async fn interrupted() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return "Ctrl-C";
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => "Ctrl-C",
            _ = term.recv() => "SIGTERM",
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

/// Warns about objects of dead runs (the user may `faultline clean`).
async fn report_leftovers(docker: &DockerClient) {
    if let Ok(runs) = docker.run_objects(None).await {
        for (run, objects) in runs.iter().filter(|(_, o)| !o.owner_alive()) {
            eprintln!(
                "faultline: warning: leftovers of dead run {run}: {}; remove them with `faultline clean`",
                objects.summary()
            );
        }
    }
}

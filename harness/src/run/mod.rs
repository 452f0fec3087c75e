//! The run loop (DESIGN.md section 5): images → cluster → wait healthy → clients + nemesis for the
//! time limit → heal → recovery wait → final reads → teardown → check → results.
//!
//! Teardown happens on every path: success, error, panic (caught) and Ctrl-C / SIGTERM (raced
//! against the run); a [`CleanupGuard`] is the last resort if even that is skipped.

pub mod clients;
pub mod cluster;
pub mod error;
pub mod plan;
pub mod progress;
pub mod verdict;

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
use crate::nemesis::{Nemesis, Step};
use crate::results::{Recorder, RunDir};
use clients::{ClientContext, SlotStats};
use cluster::{Cluster, ClusterPlan};
pub use error::RunError;
pub use plan::{PlanError, RunPlan, RunRequest, RunSettings};

/// How a run ended with a verdict.
#[derive(Debug)]
pub struct RunOutcome {
    pub valid: Validity,
    pub dir: PathBuf,
    pub summary: String,
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
fn fault_wanted(opts: &RunPlan, steps: &[Step], prefixes: &[&str]) -> Option<String> {
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
pub async fn run(opts: RunPlan) -> Result<RunOutcome, RunError> {
    let (workload, target, steps) = (opts.workload.clone(), opts.target.clone(), &opts.steps);
    let docker = DockerClient::connect().await?;
    report_leftovers(&docker).await;

    let dir = RunDir::create(&opts.results_dir, &opts.test_name).map_err(|source| {
        RunError::RunFolder {
            dir: opts.results_dir.clone(),
            source,
        }
    })?;
    let run_id = format!("{}-{}", dir.stamp.to_lowercase(), std::process::id());
    eprintln!("faultline: run {run_id} → {}", dir.path.display());

    let recipe = target.image().map_err(RunError::Image)?;
    let images = docker.ensure_images(&recipe).await?;
    let mut test = json!({
        "run_id": run_id,
        "options": opts.recorded(),
        "seed": opts.seed,
        "versions": versions(&docker),
        "images": {"base": images.base, "tools": images.tools, "target": images.target},
        "schedule": steps,
    });
    dir.write_json("test.json", &test)
        .map_err(written(dir.file("test.json")))?;

    let recorder = Recorder::create(&dir.file("history.jsonl"), Instant::now())
        .map_err(written(dir.file("history.jsonl")))?;
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
        steps,
        recorder: recorder.clone(),
        nemesis: nemesis.clone(),
        cluster: cluster.clone(),
    };
    let outcome = tokio::select! {
        r = std::panic::AssertUnwindSafe(phases.run()).catch_unwind() => match r {
            Ok(r) => r,
            Err(panic) => Err(RunError::Panicked(panic_message(&panic))),
        },
        signal = interrupted() => Err(RunError::Interrupted(signal)),
    };

    // Teardown on every path: heal (recorded), save logs, remove every object.
    if let Some(n) = nemesis.lock().await.as_mut() {
        n.heal().await;
    }
    if let Some(c) = cluster.lock().await.as_ref() {
        for (node, file, text) in c.logs().await {
            let _ = dir.write_node_log(&node, &file, &text);
        }
    }
    let removed = docker.remove_run(&run_id).await;
    match removed {
        Ok(_) => guard.disarm(),
        Err(e) => eprintln!("faultline: {e}"),
    }

    let figures = outcome?;
    let (ops, write_error) = recorder.snapshot();
    if let Some(message) = write_error {
        return Err(RunError::History {
            path: dir.file("history.jsonl"),
            message,
        });
    }
    let skipped = target.inapplicable_checkers(&opts.cluster_spec());
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
        Duration::from_secs_f64(opts.settings.check_budget_secs),
    );
    let mut results = verdict.json.clone();
    results["skipped_checkers"] = json!(skipped
        .iter()
        .map(|(c, why)| json!({"checker": c, "reason": why}))
        .collect::<Vec<_>>());
    results["stats"] = figures.clone();
    results["schema"] = json!(crate::results::SCHEMA_VERSION);
    dir.write_json("results.json", &results)
        .map_err(written(dir.file("results.json")))?;
    test["finished"] = json!(true);
    dir.write_json("test.json", &test)
        .map_err(written(dir.file("test.json")))?;
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
        target.name(),
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
    opts: &'a RunPlan,
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
    async fn run(self) -> Result<Value, RunError> {
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
        let c = result?;
        let spec = c.spec.clone();
        let nodes = c.nodes.clone();
        *self.cluster.lock().await = Some(c);
        let healthy = {
            let guard = self.cluster.lock().await;
            let c = guard.as_ref().expect("just stored");
            c.wait_healthy(
                self.target.as_ref(),
                Duration::from_secs_f64(opts.settings.health_timeout_secs),
            )
            .await
            .map_err(RunError::Unhealthy)?
        };
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
                .map_err(RunError::NoNetem)?;
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
            op_timeout: Duration::from_millis(opts.settings.op_timeout_ms),
            concurrency: opts.settings.concurrency,
        };
        let setup = self.workload.setup_ops();
        if !setup.is_empty() {
            let done = ctx
                .sequential(
                    &setup,
                    0,
                    opts.settings.concurrency.into(),
                    Duration::from_secs_f64(opts.settings.final_read_timeout_secs),
                )
                .await;
            if done
                .iter()
                .filter(|c| c.kind == faultline_checkers::OpType::Ok)
                .count()
                < setup.len()
            {
                return Err(RunError::Setup {
                    ops: setup.len(),
                    secs: opts.settings.final_read_timeout_secs,
                });
            }
        }
        let (stop_tx, stop_rx) = watch::channel(false);
        let progress = progress::Progress::start(
            progress::should_show(
                std::io::IsTerminal::is_terminal(&std::io::stderr()),
                std::env::var("TERM").ok().as_deref(),
            ),
            opts.progress_label.clone(),
            Duration::from_secs_f64(opts.settings.time_limit_secs),
            self.recorder.clone(),
            faults_in_force,
        );
        let t0 = Instant::now();
        let ops_before = self.recorder.len();
        let slots: Vec<_> = (0..opts.settings.concurrency)
            .map(|slot| {
                let generator = self
                    .workload
                    .generator(slot, opts.settings.concurrency, opts.seed);
                let pacing =
                    self.workload
                        .delay_schedule(slot, opts.settings.concurrency, opts.seed);
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
        tokio::time::sleep(Duration::from_secs_f64(opts.settings.time_limit_secs)).await;
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
        tokio::time::sleep(Duration::from_secs_f64(opts.settings.recovery_secs)).await;
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
                    Duration::from_secs_f64(opts.settings.final_read_timeout_secs),
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
                opts.settings.final_read_timeout_secs
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

/// Maps a failed write of `path` to [`RunError::Results`].
fn written(path: PathBuf) -> impl FnOnce(std::io::Error) -> RunError {
    move |source| RunError::Results { path, source }
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

//! The run loop (DESIGN.md section 5): images → cluster → wait healthy → clients + nemesis for the
//! time limit → heal → recovery wait → final reads → teardown → check → results.
//!
//! Teardown happens on every path: success, error, panic (caught) and Ctrl-C / SIGTERM (raced
//! against the run); a [`CleanupGuard`] is the last resort if even that is skipped.

pub mod clients;
pub mod error;
pub mod plan;
pub mod progress;
pub mod verdict;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use faultline_checkers::{Checker, Validity};
use faultline_targets::{HookStage, Target};
use faultline_workloads::Workload;
use futures_util::FutureExt;
use serde_json::Value;
use tokio::sync::{watch, Mutex};

use crate::backend::{Backend, Cluster, ClusterPlan};
use crate::nemesis::faults::{self, Fault};
use crate::nemesis::{Nemesis, Step};
use crate::results::schema::{self, FinalReads, RunStats, StepLateness, TestFile};
use crate::results::{Recorder, RunDir};
use clients::{ClientContext, SlotStats};
pub use error::RunError;
pub use plan::{PlanError, RunPlan, RunRequest, RunSettings};

/// How a run ended with a verdict.
#[derive(Debug)]
pub struct RunOutcome {
    pub valid: Validity,
    pub dir: PathBuf,
    pub summary: String,
}

/// The faults the schedule holds, in list order.
fn scheduled(steps: &[Step]) -> impl Iterator<Item = &'static dyn Fault> + '_ {
    faults::ALL
        .iter()
        .copied()
        .filter(|fault| steps.iter().any(|s| fault.owns(&s.action.f)))
}

/// The first word or action of `fault` that the run asked for (`--nemesis`) or its schedule
/// holds. Refusals go by what was asked too: a short run may draw no such step, and a user asking
/// for a fault the run cannot have should hear so every time. With `--schedule`, the file is what
/// runs and `--nemesis` (perhaps its default) is not used.
pub(crate) fn fault_wanted(opts: &RunPlan, steps: &[Step], fault: &dyn Fault) -> Option<String> {
    let asked: &[String] = if opts.schedule_file.is_some() {
        &[]
    } else {
        &opts.nemesis
    };
    asked
        .iter()
        .find(|k| fault.words().iter().any(|w| w.name == k.as_str()))
        .cloned()
        .or_else(|| {
            steps
                .iter()
                .map(|s| s.action.name())
                .find(|f| fault.owns(f))
                .map(str::to_string)
        })
}

/// Runs a whole test. Prints progress on stderr.
pub async fn run(opts: RunPlan) -> Result<RunOutcome, RunError> {
    let (workload, target, steps) = (opts.workload.clone(), opts.target.clone(), &opts.steps);
    let mut backend = opts.backend.connect().await?;

    let dir = RunDir::create(&opts.results_dir, &opts.test_name).map_err(|source| {
        RunError::RunFolder {
            dir: opts.results_dir.clone(),
            source,
        }
    })?;
    let run_id = format!("{}-{}", dir.stamp.to_lowercase(), std::process::id());
    eprintln!("faultline: run {run_id} → {}", dir.path.display());

    let provisioned = backend.provision(target.as_ref(), &run_id).await?;
    let mut test = TestFile {
        run_id: Some(run_id.clone()),
        source: None,
        options: opts.recorded(),
        seed: Some(opts.seed),
        versions: Some(provisioned.versions),
        images: provisioned.images,
        backend: provisioned.backend,
        packet_shaping: provisioned.packet_shaping,
        schedule: Some(steps.as_slice()),
        finished: None,
    };
    dir.write_json("test.json", &test)
        .map_err(written(dir.file("test.json")))?;

    let recorder = Recorder::create(&dir.file("history.jsonl"), Instant::now())
        .map_err(written(dir.file("history.jsonl")))?;
    let nemesis: Arc<Mutex<Option<Nemesis>>> = Arc::new(Mutex::new(None));
    let cluster: Arc<Mutex<Option<Arc<dyn Cluster>>>> = Arc::new(Mutex::new(None));

    let phases = Phases {
        opts: &opts,
        backend: backend.as_ref(),
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
    if let Some(c) = cluster.lock().await.take() {
        for log in c.logs().await {
            let _ = dir.write_node_log(&log.node, &log.file, &log.text);
        }
    }
    // The target's own processes on this host (a spec target's adapters) stop with the cluster.
    target.shutdown().await;
    if let Err(e) = backend.teardown().await {
        eprintln!("faultline: {e}");
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
    let models: Vec<&'static dyn Checker> = workload
        .checkers()
        .into_iter()
        .filter(|m| !skipped.iter().any(|(s, _)| *s == m.name()))
        .collect();
    let names: Vec<&str> = models.iter().map(|m| m.name()).collect();
    let initial = |model: &str| workload.checker_initial(model);
    for (checker, why) in &skipped {
        eprintln!("faultline: not running {checker}: {why}");
    }
    eprintln!(
        "faultline: checking {} events with {names:?}",
        recorder.len()
    );
    let mut results = verdict::judge(
        ops,
        &models,
        &initial,
        Duration::from_secs_f64(opts.settings.check_budget_secs),
    );
    results.skipped_checkers = skipped
        .into_iter()
        .map(|(checker, reason)| schema::SkippedChecker {
            checker: checker.to_string(),
            reason,
        })
        .collect();
    results.stats = Some(figures.clone());
    if let Some(summary) = target.run_summary() {
        // The run went on; say so where a reader of the verdict will look.
        if summary.restarts > 0 {
            eprintln!(
                "faultline: warning: client adapters were restarted {} times (results.json \"adapter\" says when and why)",
                summary.restarts
            );
        }
        results.adapter = Some(summary);
    }
    dir.write_json("results.json", &results)
        .map_err(written(dir.file("results.json")))?;
    test.finished = Some(true);
    dir.write_json("test.json", &test)
        .map_err(written(dir.file("test.json")))?;
    // The verdict stands even if the page cannot be written.
    match crate::report::write_run_reports(&dir.path) {
        Ok(w) => eprintln!("faultline: report {}", w.report.display()),
        Err(e) => eprintln!("faultline: warning: no report: {e}"),
    }

    let summary = format!(
        "{}: {} — {}{} on {} nodes, nemesis {}, {} ops ({:.0}/s), healthy in {:.2} s, faults in force {:.0} ms (median) after scheduled; {}",
        match results.valid {
            Validity::Valid => "VALID",
            Validity::Invalid => "INVALID",
            Validity::Unknown => "UNKNOWN",
        },
        results
            .checkers
            .iter()
            .map(|r| format!("{} {}", r.checker, r.valid))
            .collect::<Vec<_>>()
            .join(", "),
        target.name(),
        opts.mode.as_deref().map_or(String::new(), |m| format!(" {m}")),
        opts.nodes,
        if opts.nemesis.is_empty() { "none".to_string() } else { opts.nemesis.join(",") },
        figures.client_ops,
        figures.ops_per_second,
        figures.healthy_seconds,
        figures.nemesis_median_late_ms,
        dir.path.display()
    );
    Ok(RunOutcome {
        valid: results.valid,
        dir: dir.path.clone(),
        summary,
    })
}

/// The phases between images and teardown, sharing the cluster and nemesis with the teardown
/// through mutex slots so an error or Ctrl-C still tears down what exists.
struct Phases<'a> {
    opts: &'a RunPlan,
    backend: &'a dyn Backend,
    workload: Arc<dyn Workload>,
    target: Arc<dyn Target>,
    steps: &'a [Step],
    recorder: Recorder,
    nemesis: Arc<Mutex<Option<Nemesis>>>,
    cluster: Arc<Mutex<Option<Arc<dyn Cluster>>>>,
}

impl Phases<'_> {
    async fn run(self) -> Result<RunStats, RunError> {
        let opts = self.opts;
        let plan = ClusterPlan {
            node_count: opts.nodes,
            mode: opts.mode.clone(),
            bug: opts.bug.clone(),
            options: opts.target_options.clone(),
            clock_faults: scheduled(self.steps).any(|f| f.needs_clock()),
            seed: opts.seed,
        };
        let started = Instant::now();
        let result = self.backend.start(self.target.clone(), &plan).await;
        let c = result?;
        let spec = c.spec();
        *self.cluster.lock().await = Some(c.clone());
        let healthy = c
            .wait_healthy(
                self.target.as_ref(),
                Duration::from_secs_f64(opts.settings.health_timeout_secs)
                    + self.target.bootstrap_allowance(),
            )
            .await
            .map_err(RunError::Unhealthy)?;
        c.run_hooks(self.target.as_ref(), HookStage::AfterStart)
            .await
            .map_err(RunError::Hook)?;
        self.target
            .prepare_clients(&spec, self.workload.name())
            .await
            .map_err(RunError::Clients)?;
        let healthy_total = started.elapsed();
        eprintln!(
            "faultline: {} nodes healthy {:.2} s after start ({:.2} s after their containers)",
            opts.nodes,
            healthy_total.as_secs_f64(),
            healthy.as_secs_f64()
        );
        for fault in scheduled(self.steps) {
            fault
                .preflight(c.as_ref())
                .await
                .map_err(RunError::NoNetem)?;
        }
        if !self.steps.is_empty() {
            c.prepare_faults().await;
        }
        let nemesis =
            Nemesis::new(c.clone(), self.recorder.clone()).aiming(self.target.clone(), opts.seed);
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
        let ((median_late, max_late), steps_late) = {
            let mut guard = self.nemesis.lock().await;
            let n = guard.as_mut().expect("nemesis stored above");
            n.heal().await;
            let steps_late: Vec<StepLateness> = n
                .lateness_ms
                .iter()
                .map(|(f, ms)| StepLateness {
                    f: f.clone(),
                    late_ms: (ms * 10.0).round() / 10.0,
                })
                .collect();
            (n.start_lateness(), steps_late)
        };
        tokio::time::sleep(Duration::from_secs_f64(opts.settings.recovery_secs)).await;
        c.run_hooks(self.target.as_ref(), HookStage::BeforeFinalReads)
            .await
            .map_err(RunError::Hook)?;
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
        Ok(RunStats {
            healthy_seconds: healthy_total.as_secs_f64(),
            client_seconds: client_secs,
            client_ops: ops,
            client_events: client_events as u64,
            ops_per_second: ops as f64 / client_secs.max(1e-9),
            ok: total(|s| s.ok),
            fail: total(|s| s.fail),
            info: total(|s| s.info),
            final_reads: FinalReads {
                asked: asked as u64,
                ok: final_ok as u64,
            },
            nemesis_median_late_ms: median_late,
            nemesis_max_late_ms: max_late,
            nemesis_steps: steps_late,
        })
    }
}

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

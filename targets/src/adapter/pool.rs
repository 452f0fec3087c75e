//! The run's adapters: started on demand (one per client in use), handed back when a client is
//! done with them, replaced when they die or break the protocol, and all stopped at teardown. It
//! also keeps what results must report: every start, exit, restart and protocol error.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::process::{AdapterCommand, AdapterProcess};
use super::wire::Hello;
use super::AdapterError;

/// How long an adapter whose request timed out may take to answer it before it is killed and
/// replaced (its late answer is discarded: the operation is already recorded `info`).
const DRAIN_GRACE: Duration = Duration::from_secs(10);
/// Events kept for results (counts are kept in full).
const EVENTS_KEPT: usize = 200;

/// What a run's `results.json` says about its adapters (`"adapter"`): how many started, what went
/// wrong, and when.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AdapterSummary {
    /// The adapter command as the spec gives it.
    pub command: String,
    /// Adapters started (one per client, more in place of dead or busy ones).
    pub started: u64,
    /// Adapters started in place of one that died or broke the protocol.
    pub restarts: u64,
    /// Adapters that exited mid-run.
    pub exits: u64,
    /// Answers that were not JSON, had the wrong shape, or another id.
    pub protocol_errors: u64,
    /// Answers that came after the op timeout (discarded: the op was already `info`).
    pub late_answers: u64,
    /// Adapters killed for not answering within the drain grace after a timeout.
    pub stuck_killed: u64,
    /// The first events, in order.
    pub events: Vec<AdapterEvent>,
    /// Events beyond those kept.
    pub events_dropped: u64,
}

/// One thing that happened to an adapter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdapterEvent {
    /// Seconds since the run's adapters were set up.
    pub at_seconds: f64,
    /// The adapter's number.
    pub adapter: u64,
    /// `exited`, `protocol-error`, `start-failed`, `stuck` or `restarted`.
    pub event: String,
    pub detail: String,
}

/// Every adapter of one run.
pub struct AdapterPool {
    command: AdapterCommand,
    hello: Hello,
    started_at: Instant,
    next_number: AtomicU64,
    next_id: AtomicU64,
    state: Mutex<PoolState>,
    shutdown: tokio::sync::watch::Sender<bool>,
}

#[derive(Default)]
struct PoolState {
    idle: Vec<AdapterProcess>,
    shut: bool,
    /// Adapters that died or were killed and not yet replaced.
    replace: Vec<u64>,
    started: u64,
    restarts: u64,
    exits: u64,
    protocol_errors: u64,
    late_answers: u64,
    stuck_killed: u64,
    events: Vec<AdapterEvent>,
    events_dropped: u64,
}

impl AdapterPool {
    pub fn new(command: AdapterCommand, hello: Hello) -> Arc<AdapterPool> {
        Arc::new(AdapterPool {
            command,
            hello,
            started_at: Instant::now(),
            next_number: AtomicU64::new(1),
            next_id: AtomicU64::new(1),
            state: Mutex::new(PoolState::default()),
            shutdown: tokio::sync::watch::channel(false).0,
        })
    }

    /// A request id unique in the run (0 is `hello`'s).
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// An idle adapter, or a newly started one.
    pub async fn checkout(&self) -> Result<AdapterProcess, AdapterError> {
        if let Some(p) = self.lock().idle.pop() {
            return Ok(p);
        }
        let number = self.next_number.fetch_add(1, Ordering::Relaxed);
        let started = AdapterProcess::start(&self.command, self.hello.clone(), number).await;
        let mut s = self.lock();
        match &started {
            Ok(_) => {
                s.started += 1;
                if let Some(old) = s.replace.pop() {
                    s.restarts += 1;
                    let detail = format!("adapter #{number} started in place of #{old}");
                    self.event(&mut s, number, "restarted", detail);
                }
            }
            Err(e) => {
                let detail = e.to_string();
                self.event(&mut s, number, e.kind(), detail);
            }
        }
        started
    }

    /// Takes back an adapter a client is done with. One with a request still in flight (the
    /// client timed out) is idle again only once that answer arrives, within [`DRAIN_GRACE`].
    pub fn give_back(self: &Arc<Self>, mut p: AdapterProcess) {
        if self.lock().shut {
            p.kill();
            return;
        }
        let Some(id) = p.in_flight else {
            self.lock().idle.push(p);
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            p.kill();
            return;
        };
        let pool = self.clone();
        let mut shutdown = self.shutdown.subscribe();
        runtime.spawn(async move {
            let late = tokio::select! {
                r = tokio::time::timeout(DRAIN_GRACE, p.answer(id)) => r,
                _ = shutdown.wait_for(|s| *s) => {
                    p.kill();
                    return;
                }
            };
            match late {
                Ok(Ok(_)) => {
                    let mut s = pool.lock();
                    s.late_answers += 1;
                    if s.shut {
                        drop(s);
                        p.kill();
                    } else {
                        s.idle.push(p);
                    }
                }
                Ok(Err(e)) => pool.failed(p, &e),
                Err(_) => {
                    let mut s = pool.lock();
                    s.stuck_killed += 1;
                    s.replace.push(p.number);
                    let detail = format!(
                        "killed: no answer to request {id} within {} s of its timeout",
                        DRAIN_GRACE.as_secs()
                    );
                    pool.event(&mut s, p.number, "stuck", detail);
                    drop(s);
                    p.kill();
                }
            }
        });
    }

    /// Records that `p` failed with `e`, ends it, and marks it for replacement.
    pub fn failed(&self, p: AdapterProcess, e: &AdapterError) {
        let mut s = self.lock();
        match e {
            AdapterError::Exited { .. } => s.exits += 1,
            _ => s.protocol_errors += 1,
        }
        s.replace.push(p.number);
        self.event(&mut s, p.number, e.kind(), e.to_string());
        drop(s);
        tracing::warn!("{e}");
        eprintln!("faultline: {e}");
        p.kill();
    }

    /// Stops every adapter (idle ones now, busy ones as their clients hand them back).
    pub fn shutdown(&self) {
        let idle = {
            let mut s = self.lock();
            s.shut = true;
            std::mem::take(&mut s.idle)
        };
        let _ = self.shutdown.send(true);
        for p in idle {
            p.kill();
        }
    }

    /// What results say about the adapters.
    pub fn summary(&self) -> AdapterSummary {
        let s = self.lock();
        AdapterSummary {
            command: self.command.shown(),
            started: s.started,
            restarts: s.restarts,
            exits: s.exits,
            protocol_errors: s.protocol_errors,
            late_answers: s.late_answers,
            stuck_killed: s.stuck_killed,
            events: s.events.clone(),
            events_dropped: s.events_dropped,
        }
    }

    /// Adapters started so far.
    pub fn started(&self) -> u64 {
        self.lock().started
    }

    fn event(&self, s: &mut PoolState, adapter: u64, event: &str, detail: String) {
        if s.events.len() == EVENTS_KEPT {
            s.events_dropped += 1;
            return;
        }
        s.events.push(AdapterEvent {
            at_seconds: self.started_at.elapsed().as_secs_f64(),
            adapter,
            event: event.to_string(),
            detail,
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

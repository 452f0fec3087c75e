//! Client processes: one tokio task per slot, one operation in flight each, every operation recorded
//! as an invoke and its completion. A timeout or lost connection is `info`; after an `info` the slot
//! continues under a fresh process id (old + concurrency, Jepsen's rule), on a fresh connection.

use std::sync::Arc;
use std::time::Duration;

use faultline_checkers::{OpType, Process, Value};
use faultline_targets::{Client, ClusterSpec, Completion, Target};
use faultline_workloads::{DelaySchedule, Invocation, OpGenerator};
use tokio::sync::watch;

use crate::results::{Event, Recorder};

/// What every client task shares.
#[derive(Clone)]
pub struct ClientContext {
    pub target: Arc<dyn Target>,
    pub cluster: Arc<ClusterSpec>,
    pub workload: String,
    pub recorder: Recorder,
    pub op_timeout: Duration,
    pub concurrency: u32,
}

/// Counts per slot, for the run's figures.
#[derive(Clone, Copy, Debug, Default)]
pub struct SlotStats {
    pub ops: u64,
    pub ok: u64,
    pub fail: u64,
    pub info: u64,
    /// The next process id this slot would use.
    pub next_process: u64,
}

impl ClientContext {
    /// Performs one operation as `process`, recording both events; returns how it ended.
    pub async fn perform(
        &self,
        client: &mut Box<dyn Client>,
        process: u64,
        op: &Invocation,
    ) -> Completion {
        self.recorder.record(Event {
            process: Process::Client(process),
            kind: OpType::Invoke,
            f: op.f.clone(),
            key: op.key.clone(),
            value: op.value.clone(),
            node: None,
            error: None,
        });
        client.set_process(process);
        let done = match tokio::time::timeout(self.op_timeout, client.invoke(op)).await {
            Ok(done) => done,
            Err(_) => Completion {
                kind: OpType::Info,
                value: op.value.clone(),
                error: Some(Value::String(format!(
                    "timeout after {} ms",
                    self.op_timeout.as_millis()
                ))),
                node: None,
            },
        };
        self.recorder.record(Event {
            process: Process::Client(process),
            kind: done.kind,
            f: op.f.clone(),
            key: op.key.clone(),
            value: done.value.clone(),
            node: done.node.clone(),
            error: done.error.clone(),
        });
        done
    }

    /// A client starting on node `slot mod n`, or `None` (after a pause) if none can be made.
    async fn connect(&self, slot: usize) -> Option<Box<dyn Client>> {
        let node = slot % self.cluster.nodes.len().max(1);
        match self
            .target
            .client(&self.cluster, &self.workload, node)
            .await
        {
            Ok(c) => Some(c),
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                None
            }
        }
    }

    /// Runs slot `slot` until `stop` turns true.
    pub async fn run_slot(
        self,
        slot: u32,
        mut generator: Box<dyn OpGenerator>,
        mut pacing: DelaySchedule,
        stop: watch::Receiver<bool>,
    ) -> SlotStats {
        let mut stats = SlotStats {
            next_process: u64::from(slot),
            ..Default::default()
        };
        let mut client: Option<Box<dyn Client>> = None;
        // Stop when told, or when the run loop is gone (its sender dropped on error or Ctrl-C).
        while !*stop.borrow() && stop.has_changed().is_ok() {
            if client.is_none() {
                client = self.connect(slot as usize).await;
                continue;
            }
            let delay = pacing.next_delay();
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
                if *stop.borrow() {
                    break;
                }
            }
            let op = generator.next_op();
            let done = self
                .perform(client.as_mut().expect("connected"), stats.next_process, &op)
                .await;
            stats.ops += 1;
            match done.kind {
                OpType::Ok => stats.ok += 1,
                OpType::Fail => stats.fail += 1,
                _ => {
                    stats.info += 1;
                    stats.next_process += u64::from(self.concurrency);
                    client = None;
                }
            }
        }
        stats
    }

    /// Performs `ops` one after another through a client starting on node `node`, each retried
    /// (as a new operation) until it is `ok` or `deadline` passes; after an `info` the next attempt
    /// runs under a fresh process on a fresh connection. `first_process` must be unused by anyone
    /// else. Used for setup operations and final reads.
    pub async fn sequential(
        &self,
        ops: &[Invocation],
        node: usize,
        first_process: u64,
        deadline: Duration,
    ) -> Vec<Completion> {
        let until = tokio::time::Instant::now() + deadline;
        let mut process = first_process;
        let mut results = Vec::new();
        let mut client: Option<Box<dyn Client>> = None;
        let mut attempt = 0usize;
        for op in ops {
            let mut last = None;
            while tokio::time::Instant::now() < until {
                if client.is_none() {
                    client = self.connect(node + attempt).await;
                    attempt += usize::from(client.is_none());
                    continue;
                }
                let done = self
                    .perform(client.as_mut().expect("connected"), process, op)
                    .await;
                let kind = done.kind;
                last = Some(done);
                match kind {
                    OpType::Ok => break,
                    OpType::Info => {
                        process += 1;
                        client = None;
                    }
                    _ => {}
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            if let Some(done) = last {
                results.push(done);
            }
        }
        results
    }
}

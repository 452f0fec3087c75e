//! Client processes: one tokio task per slot, one operation in flight each, every operation recorded
//! as an invoke and its completion. A timeout or lost connection is `info`; after an `info` the slot
//! continues under a fresh process id (old + concurrency, Jepsen's rule), on a fresh connection.

use std::sync::Arc;
use std::time::Duration;

use faultline_checkers::{OpType, Process, Value};
use faultline_targets::{Client, ClusterSpec, Completion, Target};
use faultline_workloads::{Invocation, OpGenerator};
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
    async fn connect(&self, slot: u32) -> Option<Box<dyn Client>> {
        let node = slot as usize % self.cluster.nodes.len().max(1);
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
        stop: watch::Receiver<bool>,
    ) -> SlotStats {
        let mut stats = SlotStats {
            next_process: u64::from(slot),
            ..Default::default()
        };
        let mut client: Option<Box<dyn Client>> = None;
        while !*stop.borrow() {
            if client.is_none() {
                client = self.connect(slot).await;
                continue;
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

    /// Performs `reads` after the heal, each retried (as a new operation, under a fresh process
    /// after an `info`) until it is `ok` or `deadline` passes. `first_process` must be unused.
    pub async fn final_reads(
        &self,
        reads: &[Invocation],
        first_process: u64,
        deadline: Duration,
    ) -> Vec<Completion> {
        let until = tokio::time::Instant::now() + deadline;
        let mut process = first_process;
        let mut results = Vec::new();
        for (i, read) in reads.iter().enumerate() {
            let mut last = None;
            let mut attempt = 0u32;
            while tokio::time::Instant::now() < until {
                let Some(mut client) = self.connect(i as u32 + attempt).await else {
                    attempt += 1;
                    continue;
                };
                let done = self.perform(&mut client, process, read).await;
                if done.kind == OpType::Info {
                    process += 1;
                }
                let ok = done.kind == OpType::Ok;
                last = Some(done);
                if ok {
                    break;
                }
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            if let Some(done) = last {
                results.push(done);
            }
        }
        results
    }
}

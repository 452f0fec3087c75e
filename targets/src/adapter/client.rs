//! A [`Client`] backed by an adapter from the run's pool: each operation is one request line and
//! one answer line. Error mapping (DESIGN.md section 2): the adapter's own `ok`/`fail`/`info` are
//! kept; anything that goes wrong between faultline and the adapter after the request is written
//! (it died, wrote garbage, answered another id) is `info` — the adapter may have performed it;
//! the harness's op timeout is `info` too.

use std::sync::Arc;

use faultline_checkers::{OpType, Value};
use faultline_workloads::Invocation;

use super::pool::AdapterPool;
use super::process::AdapterProcess;
use super::wire::{AnswerType, Request};
use crate::target::{BoxFuture, Client, Completion};

/// One client slot's connection: an adapter, the node its requests name, its current process.
pub struct AdapterClient {
    pool: Arc<AdapterPool>,
    adapter: Option<AdapterProcess>,
    node: String,
    process: u64,
}

impl AdapterClient {
    /// A client whose requests go to `node`, holding `adapter`.
    pub fn new(pool: Arc<AdapterPool>, adapter: AdapterProcess, node: String) -> AdapterClient {
        AdapterClient {
            pool,
            adapter: Some(adapter),
            node,
            process: 0,
        }
    }

    fn completion(&self, kind: OpType, op: &Invocation, error: String) -> Completion {
        Completion {
            kind,
            value: op.value.clone(),
            error: Some(Value::String(error)),
            node: Some(self.node.clone()),
        }
    }

    async fn invoke_inner(&mut self, op: &Invocation) -> Completion {
        // An adapter still busy with a timed-out request goes back to drain; take a fresh one.
        if self.adapter.as_ref().is_some_and(|a| a.in_flight.is_some()) {
            let busy = self.adapter.take().expect("checked");
            self.pool.give_back(busy);
        }
        if self.adapter.is_none() {
            match self.pool.checkout().await {
                Ok(a) => self.adapter = Some(a),
                // Nothing was sent: it cannot have happened.
                Err(e) => return self.completion(OpType::Fail, op, e.to_string()),
            }
        }
        let id = self.pool.next_id();
        let request = Request {
            id,
            process: self.process,
            node: self.node.clone(),
            f: op.f.clone(),
            key: op.key.clone(),
            value: op.value.clone(),
        };
        let line = serde_json::to_string(&request).expect("requests serialise");
        // The adapter stays in `self` across the awaits: if the harness's timeout drops this
        // future, the request is still marked in flight and the adapter is drained, not reused.
        let adapter = self.adapter.as_mut().expect("checked out above");
        let answered = match adapter.send(&line, id).await {
            Ok(()) => adapter.answer(id).await,
            Err(e) => Err(e),
        };
        match answered {
            Ok(answer) => {
                let kind = match answer.kind {
                    AnswerType::Ok => OpType::Ok,
                    AnswerType::Fail => OpType::Fail,
                    AnswerType::Info => OpType::Info,
                };
                let value = match (kind, answer.value) {
                    (OpType::Ok, Some(v)) => v,
                    _ => op.value.clone(),
                };
                Completion {
                    kind,
                    value,
                    error: answer.error.filter(|e| !e.is_null()),
                    node: Some(answer.node.unwrap_or_else(|| self.node.clone())),
                }
            }
            Err(e) => {
                let broken = self.adapter.take().expect("held above");
                self.pool.failed(broken, &e);
                self.completion(OpType::Info, op, e.to_string())
            }
        }
    }
}

impl Client for AdapterClient {
    fn invoke<'a>(&'a mut self, op: &'a Invocation) -> BoxFuture<'a, Completion> {
        Box::pin(self.invoke_inner(op))
    }

    fn set_process(&mut self, process: u64) {
        self.process = process;
    }
}

impl Drop for AdapterClient {
    fn drop(&mut self) {
        if let Some(a) = self.adapter.take() {
            self.pool.give_back(a);
        }
    }
}

//! Hand-built histories for the data-safety checkers' tests: events get consecutive indices and a
//! time of one millisecond per event.

use crate::options::{CheckError, CheckOptions};
use crate::{CheckReport, History, Op, OpType, Value};

#[derive(Default)]
pub struct Builder {
    ops: Vec<Op>,
}

impl Builder {
    /// Builds the history and runs `check` on it with `initial` as `--initial`.
    pub fn check_with(
        &self,
        check: fn(&History, &CheckOptions) -> Result<CheckReport, CheckError>,
        initial: Option<Value>,
    ) -> CheckReport {
        let opts = CheckOptions {
            initial,
            ..Default::default()
        };
        check(&self.build(), &opts).expect("hand-built histories are well-formed")
    }

    pub fn new() -> Self {
        Builder::default()
    }

    fn push(&mut self, p: u64, kind: OpType, f: &str, key: Option<Value>, v: Value) -> &mut Self {
        let i = self.ops.len() as u64;
        let mut op = Op::new(i, p, kind, f, v).with_time(i * 1_000_000);
        op.key = key;
        self.ops.push(op);
        self
    }

    pub fn invoke(&mut self, p: u64, f: &str, v: Value) -> &mut Self {
        self.push(p, OpType::Invoke, f, None, v)
    }
    pub fn ok(&mut self, p: u64, f: &str, v: Value) -> &mut Self {
        self.push(p, OpType::Ok, f, None, v)
    }
    pub fn fail(&mut self, p: u64, f: &str, v: Value) -> &mut Self {
        self.push(p, OpType::Fail, f, None, v)
    }
    pub fn info(&mut self, p: u64, f: &str, v: Value) -> &mut Self {
        self.push(p, OpType::Info, f, None, v)
    }
    /// A keyed event.
    pub fn keyed(&mut self, p: u64, kind: OpType, f: &str, key: Value, v: Value) -> &mut Self {
        self.push(p, kind, f, Some(key), v)
    }
    /// Invocation and `ok` completion back to back.
    pub fn done(&mut self, p: u64, f: &str, inv: Value, ok: Value) -> &mut Self {
        self.invoke(p, f, inv).ok(p, f, ok)
    }
    /// Sets the node of the last event.
    pub fn on(&mut self, node: &str) -> &mut Self {
        if let Some(op) = self.ops.last_mut() {
            op.node = Some(node.to_string());
        }
        self
    }
    /// A nemesis event.
    pub fn nemesis(&mut self, f: &str) -> &mut Self {
        let i = self.ops.len() as u64;
        let mut op = Op::new(i, 0, OpType::Info, f, Value::Null).with_time(i * 1_000_000);
        op.process = crate::Process::Nemesis;
        self.ops.push(op);
        self
    }
    pub fn build(&self) -> History {
        History::new(self.ops.clone()).expect("test history is well formed")
    }
}

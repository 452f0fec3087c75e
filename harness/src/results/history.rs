//! The history as the run records it: every event appended to `history.jsonl` and flushed at once
//! (a crash of the controller loses at most the line being written), and kept in memory for the
//! checkers at the end.

use std::fs::File;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use faultline_checkers::history::formats::JsonlWriter;
use faultline_checkers::{Op, OpType, Process, Value};

struct Inner {
    out: Option<JsonlWriter<File>>,
    ops: Vec<Op>,
    write_error: Option<String>,
    /// Client operations completed so far (ok, fail or info), for the progress line.
    completed: u64,
}

/// Shared by every client task and the nemesis. Indices are assigned under the lock, so the file
/// order is the index order and times never go backwards.
#[derive(Clone)]
pub struct Recorder {
    start: Instant,
    inner: Arc<Mutex<Inner>>,
}

/// The fields of one event besides index and time.
#[derive(Clone, Debug)]
pub struct Event {
    pub process: Process,
    pub kind: OpType,
    pub f: String,
    pub key: Option<Value>,
    pub value: Value,
    pub node: Option<String>,
    pub error: Option<Value>,
}

impl Recorder {
    /// Records into `path` (created or truncated); times count from `start`.
    pub fn create(path: &Path, start: Instant) -> std::io::Result<Recorder> {
        Ok(Recorder {
            start,
            inner: Arc::new(Mutex::new(Inner {
                out: Some(JsonlWriter::create(path)?),
                ops: Vec::new(),
                write_error: None,
                completed: 0,
            })),
        })
    }

    /// A recorder that only keeps events in memory (tests).
    pub fn in_memory(start: Instant) -> Recorder {
        Recorder {
            start,
            inner: Arc::new(Mutex::new(Inner {
                out: None,
                ops: Vec::new(),
                write_error: None,
                completed: 0,
            })),
        }
    }

    pub fn start(&self) -> Instant {
        self.start
    }

    /// Appends one event, stamped now; returns it.
    pub fn record(&self, event: Event) -> Op {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let op = Op {
            index: inner.ops.len() as u64,
            time: self.start.elapsed().as_nanos() as u64,
            process: event.process,
            kind: event.kind,
            f: event.f,
            key: event.key,
            value: event.value,
            node: event.node,
            error: event.error,
        };
        if let Some(out) = inner.out.as_mut() {
            if let Err(e) = out.append(&op) {
                inner.write_error.get_or_insert(e.to_string());
            }
        }
        if op.kind != OpType::Invoke && op.process != Process::Nemesis {
            inner.completed += 1;
        }
        inner.ops.push(op.clone());
        op
    }

    /// How many client operations have completed (ok, fail or info) so far.
    pub fn completed(&self) -> u64 {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .completed
    }

    /// A nemesis event (`info`, process `nemesis`).
    pub fn nemesis(&self, f: &str, value: Value, error: Option<String>) -> Op {
        self.record(Event {
            process: Process::Nemesis,
            kind: OpType::Info,
            f: f.to_string(),
            key: None,
            value,
            node: None,
            error: error.map(Value::String),
        })
    }

    /// Every event so far, and the first write error if the file could not be written.
    pub fn snapshot(&self) -> (Vec<Op>, Option<String>) {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        (inner.ops.clone(), inner.write_error.clone())
    }

    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .ops
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_is_on_disk_as_soon_as_it_is_recorded() {
        let dir = std::env::temp_dir().join(format!("faultline-rec-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("history.jsonl");
        let rec = Recorder::create(&path, Instant::now()).unwrap();
        rec.record(Event {
            process: Process::Client(3),
            kind: OpType::Invoke,
            f: "write".into(),
            key: Some("k".into()),
            value: 4.into(),
            node: Some("n2".into()),
            error: None,
        });
        rec.nemesis("partition-stop", Value::Null, None);
        assert_eq!(
            rec.completed(),
            0,
            "an invoke and a nemesis event complete nothing"
        );
        rec.record(Event {
            process: Process::Client(3),
            kind: OpType::Ok,
            f: "write".into(),
            key: Some("k".into()),
            value: 4.into(),
            node: Some("n2".into()),
            error: None,
        });
        assert_eq!(rec.completed(), 1);
        // Read while the recorder is still alive: nothing is held back in a buffer.
        let text = std::fs::read_to_string(&path).unwrap();
        let ops: Vec<Op> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(ops.len(), 3);
        assert_eq!(ops[0].index, 0);
        assert_eq!(ops[1].process, Process::Nemesis);
        assert!(ops[1].time >= ops[0].time);
        assert_eq!(rec.snapshot().0, ops);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

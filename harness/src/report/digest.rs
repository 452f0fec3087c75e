//! What the report needs from a history, in one pass and little memory: a compact span per client
//! operation (process, invoke/complete times and indices, outcome, `f`), every nemesis event, and
//! the full events of the few operations anomalies point at (for drawings and labels).
//!
//! A 1M-operation history becomes 1M spans of 48 bytes; the JSON values of ordinary operations are
//! never kept (a `history.jsonl` line is parsed without its value unless it is wanted).

use std::collections::{HashMap, HashSet};
use std::io::BufRead;
use std::path::Path;

use faultline_checkers::{Op, OpType, Process};
use serde::Deserialize;

/// How a client operation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    Ok,
    Fail,
    Info,
    /// Never completed in the history.
    Open,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Fail => "fail",
            Outcome::Info => "info",
            Outcome::Open => "open",
        }
    }

    fn of(kind: OpType) -> Outcome {
        match kind {
            OpType::Ok => Outcome::Ok,
            OpType::Fail => Outcome::Fail,
            OpType::Info => Outcome::Info,
            OpType::Invoke => Outcome::Open,
        }
    }
}

/// One client operation, invoke to completion.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Span {
    pub invoke_index: u64,
    /// `u64::MAX` while open.
    pub complete_index: u64,
    pub process: u64,
    /// On the report's clock (see [`Digest::timed`]).
    pub start: u64,
    pub end: u64,
    pub outcome: Outcome,
    /// Index into [`Digest::fs`].
    pub f: u16,
}

impl Span {
    pub fn latency(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }
}

/// The report's view of a history.
#[derive(Debug, Default)]
pub struct Digest {
    /// Client operations in invocation order.
    pub spans: Vec<Span>,
    /// The distinct `f` names (at most 65 535; later ones share the last slot).
    pub fs: Vec<String>,
    /// Every nemesis event, in order (their values are small).
    pub nemesis: Vec<Op>,
    /// Full events for the indices asked for (anomalies), with the completions of wanted invokes.
    pub details: HashMap<u64, Op>,
    /// Events read.
    pub events: u64,
    /// Whether the history carries times. When it does not, times are event indices.
    pub timed: bool,
    /// The last time (or index) seen.
    pub end_time: u64,
    /// Lines that could not be read (a torn last line, garbage).
    pub skipped_lines: usize,
    /// Completions with no open invocation of their process.
    pub unpaired: usize,
}

/// One `history.jsonl` line without its value: what every event costs to read.
#[derive(Deserialize)]
struct Line<'a> {
    index: u64,
    #[serde(default)]
    time: u64,
    process: Process,
    #[serde(rename = "type")]
    kind: OpType,
    #[serde(borrow)]
    f: std::borrow::Cow<'a, str>,
}

/// Builds a [`Digest`] from events pushed in history order.
pub struct DigestBuilder {
    digest: Digest,
    wanted: HashSet<u64>,
    f_ids: HashMap<String, u16>,
    open: HashMap<u64, usize>,
    /// Processes whose open operation is wanted: their completion is kept too.
    wanted_open: HashSet<u64>,
}

impl DigestBuilder {
    /// `wanted`: event indices whose full events the report shows.
    pub fn new(wanted: HashSet<u64>) -> DigestBuilder {
        DigestBuilder {
            digest: Digest::default(),
            wanted,
            f_ids: HashMap::new(),
            open: HashMap::new(),
            wanted_open: HashSet::new(),
        }
    }

    /// Whether the full event at `index` is wanted (then call [`DigestBuilder::push_op`]).
    pub fn wants(&self, index: u64, process: Process) -> bool {
        process == Process::Nemesis
            || self.wanted.contains(&index)
            || process
                .client()
                .is_some_and(|p| self.wanted_open.contains(&p))
    }

    fn f_id(&mut self, f: &str) -> u16 {
        if let Some(&id) = self.f_ids.get(f) {
            return id;
        }
        if self.digest.fs.len() >= u16::MAX as usize {
            return u16::MAX - 1;
        }
        let id = self.digest.fs.len() as u16;
        self.digest.fs.push(f.to_string());
        self.f_ids.insert(f.to_string(), id);
        id
    }

    /// Records one event given its fields.
    pub fn push(&mut self, index: u64, time: u64, process: Process, kind: OpType, f: &str) {
        let d = &mut self.digest;
        d.events += 1;
        if time != 0 {
            d.timed = true;
        }
        d.end_time = d.end_time.max(time);
        let Process::Client(p) = process else {
            return;
        };
        if kind == OpType::Invoke {
            let f = self.f_id(f);
            let d = &mut self.digest;
            // A second invoke before a completion leaves the first open (malformed history).
            self.open.insert(p, d.spans.len());
            d.spans.push(Span {
                invoke_index: index,
                complete_index: u64::MAX,
                process: p,
                start: time,
                end: u64::MAX,
                outcome: Outcome::Open,
                f,
            });
        } else if let Some(i) = self.open.remove(&p) {
            let span = &mut self.digest.spans[i];
            span.complete_index = index;
            span.end = time;
            span.outcome = Outcome::of(kind);
            self.wanted_open.remove(&p);
        } else {
            self.digest.unpaired += 1;
        }
    }

    /// Records a full event (nemesis events and wanted ones).
    pub fn push_op(&mut self, op: &Op) {
        match op.process {
            Process::Nemesis => self.digest.nemesis.push(op.clone()),
            Process::Client(p) => {
                if self.wanted.contains(&op.index) || self.wanted_open.contains(&p) {
                    self.digest.details.insert(op.index, op.clone());
                    if op.kind == OpType::Invoke {
                        // Keep its completion too, whatever its index; `push` forgets the
                        // process again when it completes.
                        self.wanted_open.insert(p);
                    }
                }
            }
        }
        self.push(op.index, op.time, op.process, op.kind, &op.f);
    }

    /// Finishes: open operations end at the history's end; an untimed history uses indices.
    pub fn finish(mut self) -> Digest {
        let d = &mut self.digest;
        if !d.timed {
            for s in &mut d.spans {
                s.start = s.invoke_index;
                if s.complete_index != u64::MAX {
                    s.end = s.complete_index;
                }
            }
            for op in &mut d.nemesis {
                op.time = op.index;
            }
            d.end_time = d.events.saturating_sub(1);
        }
        let end = d.end_time;
        for s in &mut d.spans {
            if s.outcome == Outcome::Open {
                s.end = end.max(s.start);
            }
        }
        self.digest
    }
}

/// Reads `history.jsonl` at `path` into a digest. Unreadable lines are counted, not fatal: the
/// report of a torn history is still worth having.
pub fn read_jsonl(path: &Path, wanted: HashSet<u64>) -> std::io::Result<Digest> {
    let file = std::fs::File::open(path)?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut builder = DigestBuilder::new(wanted);
    let mut line = String::new();
    let mut skipped = 0;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            break;
        }
        let text = line.trim_end();
        if text.is_empty() {
            continue;
        }
        let Ok(head) = serde_json::from_str::<Line>(text) else {
            skipped += 1;
            continue;
        };
        if builder.wants(head.index, head.process) {
            match serde_json::from_str::<Op>(text) {
                Ok(op) => builder.push_op(&op),
                Err(_) => skipped += 1,
            }
        } else {
            builder.push(head.index, head.time, head.process, head.kind, &head.f);
        }
    }
    let mut digest = builder.finish();
    digest.skipped_lines = skipped;
    Ok(digest)
}

/// A digest of events already in memory (tests, benchmarks).
pub fn from_ops<'a>(ops: impl IntoIterator<Item = &'a Op>, wanted: HashSet<u64>) -> Digest {
    let mut builder = DigestBuilder::new(wanted);
    for op in ops {
        if builder.wants(op.index, op.process) {
            builder.push_op(op);
        } else {
            builder.push(op.index, op.time, op.process, op.kind, &op.f);
        }
    }
    builder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_checkers::Value;
    use serde_json::json;

    fn op(index: u64, time: u64, process: u64, kind: OpType, f: &str, value: Value) -> Op {
        Op::new(index, process, kind, f, value).with_time(time)
    }

    #[test]
    fn pairs_operations_and_keeps_only_wanted_values() {
        let mut nemesis = op(
            2,
            25,
            0,
            OpType::Info,
            "partition-start",
            json!({"kind": "one"}),
        );
        nemesis.process = Process::Nemesis;
        let ops = vec![
            op(0, 10, 1, OpType::Invoke, "write", json!(1)),
            op(1, 20, 2, OpType::Invoke, "read", Value::Null),
            nemesis,
            op(3, 30, 1, OpType::Ok, "write", json!(1)),
            op(4, 40, 2, OpType::Info, "read", Value::Null),
            op(5, 50, 3, OpType::Invoke, "cas", json!([1, 2])),
        ];
        let d = from_ops(&ops, HashSet::from([1]));
        assert_eq!(d.spans.len(), 3);
        assert_eq!((d.spans[0].start, d.spans[0].end), (10, 30));
        assert_eq!(d.spans[0].outcome, Outcome::Ok);
        assert_eq!(d.spans[1].outcome, Outcome::Info);
        assert_eq!(d.spans[1].complete_index, 4);
        assert_eq!(d.spans[2].outcome, Outcome::Open);
        assert_eq!(d.spans[2].end, 50);
        assert_eq!(d.fs[d.spans[2].f as usize], "cas");
        assert_eq!(d.nemesis.len(), 1);
        // Event 1 was wanted, and so is its completion (event 4); nothing else is kept.
        let mut kept: Vec<u64> = d.details.keys().copied().collect();
        kept.sort();
        assert_eq!(kept, vec![1, 4]);
        assert!(d.timed);
    }

    #[test]
    fn untimed_histories_use_event_indices() {
        let ops = vec![
            op(0, 0, 1, OpType::Invoke, "read", Value::Null),
            op(1, 0, 1, OpType::Ok, "read", json!(3)),
        ];
        let d = from_ops(&ops, HashSet::new());
        assert!(!d.timed);
        assert_eq!((d.spans[0].start, d.spans[0].end), (0, 1));
    }

    #[test]
    fn torn_lines_are_counted_not_fatal() {
        let dir = std::env::temp_dir().join(format!("faultline-digest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("history.jsonl");
        std::fs::write(
            &path,
            "{\"index\":0,\"time\":5,\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n\
             {\"index\":1,\"time\":9,\"process\":0,\"type\":\"ok\",\"f\":\"read\",\"value\":[1,2]}\n\
             {\"index\":2,\"ti",
        )
        .unwrap();
        let d = read_jsonl(&path, HashSet::new()).unwrap();
        assert_eq!(d.spans.len(), 1);
        assert_eq!(d.skipped_lines, 1);
        assert_eq!(d.spans[0].latency(), 4);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

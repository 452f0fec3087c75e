//! Writes faultline's JSON Lines history, one event per line in DESIGN.md section 3's field order
//! (`index`, `time`, `process`, `type`, `f`, `key`, `value`, `node`, `error`; absent optional
//! fields left out).

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::history::Op;

/// Writes a whole history.
pub fn write_jsonl<'a, W: Write>(
    ops: impl IntoIterator<Item = &'a Op>,
    out: W,
) -> std::io::Result<()> {
    let mut out = BufWriter::new(out);
    for op in ops {
        serde_json::to_writer(&mut out, op)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// Appends events as the run goes. Each event is written with a single `write` call and flushed,
/// so a crash of the controller loses at most the line being written (which the reader then
/// drops with a warning).
pub struct JsonlWriter<W: Write> {
    out: W,
    line: Vec<u8>,
}

impl JsonlWriter<File> {
    /// Creates (or truncates) `path`.
    pub fn create(path: impl AsRef<Path>) -> std::io::Result<Self> {
        Ok(JsonlWriter::new(File::create(path)?))
    }

    /// Opens `path` for appending, creating it if needed.
    pub fn append_to(path: impl AsRef<Path>) -> std::io::Result<Self> {
        Ok(JsonlWriter::new(
            OpenOptions::new().create(true).append(true).open(path)?,
        ))
    }
}

impl<W: Write> JsonlWriter<W> {
    pub fn new(out: W) -> Self {
        JsonlWriter {
            out,
            line: Vec::with_capacity(256),
        }
    }

    /// Writes one event as one line and flushes it.
    pub fn append(&mut self, op: &Op) -> std::io::Result<()> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, op)?;
        self.line.push(b'\n');
        self.out.write_all(&self.line)?;
        self.out.flush()
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{OpType, Process};
    use serde_json::json;

    #[test]
    fn lines_use_the_design_field_order() {
        let mut w = JsonlWriter::new(Vec::new());
        let mut op = Op::new(0, 3, OpType::Invoke, "write", json!(4))
            .with_time(1200331)
            .with_key(json!("k7"));
        op.node = Some("n2".into());
        w.append(&op).unwrap();
        let mut nem = Op::new(
            9,
            0,
            OpType::Info,
            "partition-start",
            json!({"grudge": {"n1": ["n2", "n3"]}}),
        )
        .with_time(9100000);
        nem.process = Process::Nemesis;
        w.append(&nem).unwrap();
        let text = String::from_utf8(w.into_inner()).unwrap();
        assert_eq!(
            text,
            "{\"index\":0,\"time\":1200331,\"process\":3,\"type\":\"invoke\",\"f\":\"write\",\"key\":\"k7\",\"value\":4,\"node\":\"n2\"}\n\
             {\"index\":9,\"time\":9100000,\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"partition-start\",\"value\":{\"grudge\":{\"n1\":[\"n2\",\"n3\"]}}}\n"
        );
    }

    #[test]
    fn appending_writer_keeps_earlier_lines() {
        let dir = std::env::temp_dir().join(format!("faultline-jsonl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("h.jsonl");
        JsonlWriter::create(&path)
            .unwrap()
            .append(&Op::new(0, 1, OpType::Invoke, "read", json!(null)))
            .unwrap();
        JsonlWriter::append_to(&path)
            .unwrap()
            .append(&Op::new(1, 1, OpType::Ok, "read", json!(2)))
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

//! faultline's own JSON Lines history (DESIGN.md section 3), also used for Jepsen JSON exports
//! written one object per line.
//!
//! The common case, a line in faultline's exact shape, is deserialised straight into an [`Op`];
//! anything else is read as a JSON object and mapped field by field, which accepts Jepsen's
//! variants (`":type"` keys, `":invoke"` values) and gives a precise message when it cannot.

mod writer;

pub use writer::{write_jsonl, JsonlWriter};

use serde::Deserialize;

use super::fields::{op_from_map, unkeyword, ReadOp, ReadOps};
use super::parallel;
use crate::history::{InputError, Op, OpType, Process, Value};

/// One line in faultline's exact shape.
#[derive(Deserialize)]
struct Line {
    index: Option<u64>,
    #[serde(default)]
    time: u64,
    process: Process,
    #[serde(rename = "type")]
    kind: OpType,
    f: String,
    #[serde(default)]
    key: Option<Value>,
    #[serde(default)]
    value: Value,
    #[serde(default)]
    node: Option<String>,
    #[serde(default)]
    error: Option<Value>,
}

/// Reads every line of a JSON Lines history. An unparseable last line is the write a crash cut
/// short: it is dropped with a warning. Returns the ops and the warnings.
///
/// Lines are independent, so a large file is read on every core (the harness checks a run's
/// history right after it ends, and reading is a large part of a fast checker's time).
pub(crate) fn read(
    text: &str,
    name: &str,
    first_line: usize,
) -> Result<(ReadOps, Vec<String>), InputError> {
    let chunks = parallel::split(text, parallel::chunk_count(text), |_| true);
    let mut ops = ReadOps::default();
    let mut warnings = Vec::new();
    for result in parallel::map_chunks(&chunks, |c| {
        read_chunk(c.text, name, first_line - 1 + c.first_line, c.is_end)
    }) {
        let (chunk_ops, chunk_warnings) = result?;
        ops.append(chunk_ops);
        warnings.extend(chunk_warnings);
    }
    Ok((ops, warnings))
}

/// Reads the lines of one chunk; `is_end` says whether its last line is the file's last.
fn read_chunk(
    text: &str,
    name: &str,
    first_line: usize,
    is_end: bool,
) -> Result<(ReadOps, Vec<String>), InputError> {
    let mut ops = ReadOps::default();
    let mut warnings = Vec::new();
    let last = if is_end {
        last_content_line(text)
    } else {
        None
    };
    for (i, line) in text.lines().enumerate() {
        let line_no = first_line + i;
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if let Ok(l) = serde_json::from_str::<Line>(trimmed) {
            ops.push(ReadOp {
                has_index: l.index.is_some(),
                has_process: true,
                line: line_no,
                op: Op {
                    index: l.index.unwrap_or(0),
                    time: l.time,
                    process: l.process,
                    kind: l.kind,
                    // The same reading of keyword strings as the field-by-field path.
                    f: unkeyword(l.f),
                    key: l.key.filter(|k| !k.is_null()),
                    value: l.value,
                    node: l.node.map(unkeyword),
                    error: match l.error {
                        None | Some(Value::Null) => None,
                        Some(Value::String(s)) => Some(Value::String(unkeyword(s))),
                        Some(other) => Some(other),
                    },
                },
            });
            continue;
        }
        match serde_json::from_str::<Value>(trimmed) {
            Ok(Value::Object(map)) => {
                let mut read = op_from_map(map).map_err(|m| InputError::new(name, line_no, m))?;
                read.line = line_no;
                ops.push(read);
            }
            Ok(other) => {
                return Err(InputError::new(
                    name,
                    line_no,
                    format!(
                        "expected a JSON object for an event, found {}",
                        short(&other)
                    ),
                ))
            }
            // A write cut short leaves a prefix of a line (the parser runs out of input), or
            // NUL bytes where the file system had allocated but not yet written the data.
            Err(e) if Some(i) == last && (e.is_eof() || trimmed.contains('\0')) => {
                warnings.push(format!(
                    "{name}:{line_no}: ignored an incomplete last line (the run was probably cut \
                 short while writing it): {e}"
                ))
            }
            Err(e) => {
                return Err(InputError::new(
                    name,
                    line_no,
                    format!("expected a JSON object for an event: {e}"),
                ))
            }
        }
    }
    Ok((ops, warnings))
}

/// The 0-based number of the last line with content.
fn last_content_line(text: &str) -> Option<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .last()
        .map(|(i, _)| i)
}

fn short(v: &Value) -> String {
    let text = v.to_string();
    if text.len() > 40 {
        let cut = (0..=40)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        format!("{}…", &text[..cut])
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parallel_read_equals_sequential_read() {
        let mut text = String::new();
        for i in 0..60_000 {
            text.push_str(&format!(
                "{{\"index\":{i},\"process\":{},\"type\":\"{}\",\"f\":\"txn\",\"value\":[[\"append\",{},{i}]]}}\n",
                (i / 2) % 7,
                if i % 2 == 0 { "invoke" } else { "ok" },
                i % 13
            ));
        }
        assert!(text.len() > parallel::PARALLEL_THRESHOLD);
        let (seq, _) = read_chunk(&text, "h", 1, true).unwrap();
        let (par, _) = read(&text, "h", 1).unwrap();
        assert_eq!(seq.len(), 60_000);
        assert_eq!(par.len(), seq.len());
        assert_eq!(seq.ops, par.ops);
        let lines = |r: &ReadOps| r.origins.iter().map(|o| o.line).collect::<Vec<_>>();
        assert_eq!(lines(&seq), lines(&par));
        // A bad line in the middle is an error with its line, wherever the chunks fall.
        let mut bad = text.clone();
        let at = bad.len() / 2;
        let line_start = bad[..at].rfind('\n').unwrap() + 1;
        bad.insert_str(line_start, "{oops\n");
        let e = read(&bad, "h", 1).unwrap_err();
        assert_eq!(e.line, 1 + bad[..line_start].matches('\n').count());
        // A torn last line is still a warning.
        let mut torn = text.clone();
        torn.push_str("{\"index\":60000,\"pro");
        let (ops, warnings) = read(&torn, "h", 1).unwrap();
        assert_eq!((ops.len(), warnings.len()), (60_000, 1));
    }

    #[test]
    fn reads_design_lines() {
        let text = r#"{"index":0,"time":1200331,"process":3,"type":"invoke","f":"write","key":"k7","value":4,"node":"n2"}
{"index":1,"time":1507220,"process":3,"type":"ok","f":"write","key":"k7","value":4,"node":"n2"}

{"index":9,"time":9100000,"process":"nemesis","type":"info","f":"partition-start","value":{"grudge":{"n1":["n2","n3"]}}}
"#;
        let (ops, warnings) = read(text, "h.jsonl", 1).unwrap();
        assert!(warnings.is_empty());
        assert_eq!(ops.len(), 3);
        assert_eq!(ops.ops[0].key, Some(json!("k7")));
        assert_eq!(ops.ops[0].node.as_deref(), Some("n2"));
        assert_eq!(ops.ops[2].process, Process::Nemesis);
        assert_eq!(ops.ops[2].index, 9);
    }

    #[test]
    fn torn_last_line_is_a_warning_elsewhere_an_error() {
        let good = r#"{"index":0,"process":1,"type":"invoke","f":"read"}"#;
        let (ops, warnings) =
            read(&format!("{good}\n{{\"index\":1,\"proc\n"), "h.jsonl", 1).unwrap();
        assert_eq!(ops.len(), 1);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].starts_with("h.jsonl:2: ignored an incomplete last line"));
        let e = read(&format!("{{\"index\":1,\"proc\n{good}\n"), "h.jsonl", 1).unwrap_err();
        assert_eq!(e.line, 1);
    }

    #[test]
    fn jepsen_json_lines_and_bad_fields() {
        let (ops, _) = read(
            r#"{":type":":invoke",":f":":read",":process":0,":value":null}"#,
            "j.json",
            1,
        )
        .unwrap();
        assert_eq!(ops.ops[0].f, "read");
        // Only some fields written as keywords: the fast path reads them the same way.
        let (ops, _) = read(
            r#"{"type":"info","f":":cas","process":0,"error":":timeout","node":":n1"}"#,
            "j.json",
            1,
        )
        .unwrap();
        assert_eq!(ops.ops[0].f, "cas");
        assert_eq!(ops.ops[0].error, Some(json!("timeout")));
        assert_eq!(ops.ops[0].node.as_deref(), Some("n1"));
        assert!(!ops.origins[0].has_index);
        let e = read(
            "{\"type\":\"invoke\",\"f\":\"read\",\"process\":0}\n{\"type\":\"foo\",\"f\":\"read\"}\n{}",
            "h.jsonl",
            1,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "h.jsonl:2: unknown :type :foo; expected :invoke, :ok, :fail or :info"
        );
        let e = read("[1,2]\n{}", "h.jsonl", 1).unwrap_err();
        assert!(e.to_string().contains("expected a JSON object"), "{e}");
    }
}

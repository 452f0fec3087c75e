//! Jepsen's op fields (`:process`, `:type`, `:f`, `:value`, `:time`, `:index`, `:error`, `:node`,
//! and faultline's `key`) read from one map, whichever format the map came from.

use serde_json::Map;

use crate::history::{Op, OpType, Process, Value};

/// One event as read, before indices are settled.
#[derive(Debug)]
pub(crate) struct ReadOp {
    pub op: Op,
    /// The source gave an `index`.
    pub has_index: bool,
    /// The source gave a `process` (Jepsen's hand-written examples sometimes omit it).
    pub has_process: bool,
    /// 1-based line where the event starts, for errors found after reading.
    pub line: usize,
}

/// Where each event came from, kept beside the events so they can become a [`History`] without
/// being copied.
///
/// [`History`]: crate::history::History
#[derive(Clone, Copy, Debug)]
pub(crate) struct Origin {
    /// 1-based line where the event starts.
    pub line: usize,
    pub has_index: bool,
    pub has_process: bool,
}

/// The events of a file as read, in file order.
#[derive(Debug, Default)]
pub(crate) struct ReadOps {
    pub ops: Vec<Op>,
    pub origins: Vec<Origin>,
}

impl ReadOps {
    pub(crate) fn push(&mut self, read: ReadOp) {
        self.origins.push(Origin {
            line: read.line,
            has_index: read.has_index,
            has_process: read.has_process,
        });
        self.ops.push(read.op);
    }

    pub(crate) fn append(&mut self, mut other: ReadOps) {
        if self.ops.is_empty() {
            *self = other;
        } else {
            self.ops.append(&mut other.ops);
            self.origins.append(&mut other.origins);
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.ops.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// Builds an [`Op`] from a JSON object of Jepsen fields. Unknown fields are ignored. The error is a
/// message without position; the caller knows the line.
///
/// Some exporters write keywords as strings with their colon (`":invoke"`, and `":type"` as a
/// key). Colons are stripped from keys and from the type, f, process, error and node; inside
/// `value` only when the op itself is written that way, so a real string value starting with `:`
/// survives in ordinary JSON.
pub(crate) fn op_from_map(map: Map<String, Value>) -> Result<ReadOp, String> {
    let colon_style = map.iter().any(|(k, v)| {
        k.starts_with(':') || (k == "type" && v.as_str().is_some_and(|s| s.starts_with(':')))
    });
    let mut builder = OpBuilder::new();
    for (key, value) in map {
        let key = key.strip_prefix(':').unwrap_or(&key);
        let value = if colon_style {
            strip_keyword_colons(value)
        } else {
            value
        };
        builder.set(key, value)?;
    }
    builder.finish()
}

/// Collects an op's fields one at a time, so the EDN reader can fill it while parsing without
/// building a map first.
pub(crate) struct OpBuilder {
    op: Op,
    has_index: bool,
    has_process: bool,
    has_type: bool,
    has_f: bool,
}

impl OpBuilder {
    pub(crate) fn new() -> Self {
        OpBuilder {
            op: Op::new(0, 0, OpType::Invoke, "", Value::Null),
            has_index: false,
            has_process: false,
            has_type: false,
            has_f: false,
        }
    }

    /// Sets the field named `key` (without a colon); other names are ignored.
    pub(crate) fn set(&mut self, key: &str, value: Value) -> Result<(), String> {
        let op = &mut self.op;
        match key {
            "process" => {
                if let Some(p) = process(&value)? {
                    op.process = p;
                    self.has_process = true;
                }
            }
            "type" => {
                op.kind = op_type(&value)?;
                self.has_type = true;
            }
            "f" => match value {
                Value::Null => {}
                Value::String(s) => {
                    op.f = unkeyword(s);
                    self.has_f = true;
                }
                other => {
                    op.f = other.to_string();
                    self.has_f = true;
                }
            },
            "value" => op.value = value,
            "time" => op.time = time(&value)?,
            "index" if !value.is_null() => {
                op.index = value.as_u64().ok_or_else(|| {
                    format!("expected a non-negative integer as :index, found {value}")
                })?;
                self.has_index = true;
            }
            "error" => {
                op.error = match value {
                    Value::Null => None,
                    Value::String(s) => Some(Value::String(unkeyword(s))),
                    other => Some(other),
                }
            }
            "node" => {
                op.node = match value {
                    Value::Null => None,
                    Value::String(s) => Some(unkeyword(s)),
                    other => Some(other.to_string()),
                }
            }
            "key" => op.key = (!value.is_null()).then_some(value),
            _ => {}
        }
        Ok(())
    }

    /// The op, once `type` and `f` are known (`f` is inferred for transactions).
    pub(crate) fn finish(mut self) -> Result<ReadOp, String> {
        if !self.has_type {
            return Err("missing :type; expected :invoke, :ok, :fail or :info".to_string());
        }
        if !self.has_f {
            if looks_like_txn(&self.op.value) {
                // Elle's examples leave out `:f` on transactions.
                self.op.f = "txn".to_string();
            } else {
                return Err("missing :f (the operation's function, e.g. :read)".to_string());
            }
        }
        Ok(ReadOp {
            op: self.op,
            has_index: self.has_index,
            has_process: self.has_process,
            line: 0,
        })
    }
}

/// `":read"` → `"read"`: a keyword an exporter wrote as a string with its colon.
pub(crate) fn unkeyword(s: String) -> String {
    match s.strip_prefix(':') {
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => s,
    }
}

fn process(value: &Value) -> Result<Option<Process>, String> {
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => n.as_u64().map(|p| Some(Process::Client(p))).ok_or_else(|| {
            format!("expected a non-negative integer or :nemesis as :process, found {n}")
        }),
        Value::String(s) => {
            let name = s.strip_prefix(':').unwrap_or(s);
            match name.parse::<u64>() {
                Ok(p) => Ok(Some(Process::Client(p))),
                // `:nemesis`, and any other named process (Jepsen's named workers are
                // not clients with one op in flight).
                Err(_) => Ok(Some(Process::Nemesis)),
            }
        }
        other => Err(format!(
            "expected a non-negative integer or :nemesis as :process, found {other}"
        )),
    }
}

fn op_type(value: &Value) -> Result<OpType, String> {
    let name = value.as_str().map(|s| s.strip_prefix(':').unwrap_or(s));
    name.and_then(OpType::parse).ok_or_else(|| {
        let shown = match value {
            Value::String(s) => format!(":{}", s.trim_start_matches(':')),
            other => other.to_string(),
        };
        format!("unknown :type {shown}; expected :invoke, :ok, :fail or :info")
    })
}

fn time(value: &Value) -> Result<u64, String> {
    match value {
        Value::Null => Ok(0),
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
            .ok_or_else(|| format!("expected non-negative nanoseconds as :time, found {n}")),
        other => Err(format!(
            "expected non-negative nanoseconds as :time, found {other}"
        )),
    }
}

/// `[[:r 1 nil] [:append 2 3]]`: an array of `[f k v]` triples with a known micro-op name.
fn looks_like_txn(value: &Value) -> bool {
    let Value::Array(items) = value else {
        return false;
    };
    !items.is_empty()
        && items
            .iter()
            .all(|item| match item.as_array().map(Vec::as_slice) {
                Some([Value::String(f), _, _]) => {
                    matches!(f.as_str(), "r" | "w" | "append" | "read" | "write")
                }
                _ => false,
            })
}

/// `":append"` → `"append"` throughout a value written by a keyword-as-string JSON exporter.
fn strip_keyword_colons(value: Value) -> Value {
    match value {
        Value::String(s) => Value::String(unkeyword(s)),
        Value::Array(items) => Value::Array(items.into_iter().map(strip_keyword_colons).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (unkeyword(k), strip_keyword_colons(v)))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn reads_every_field() {
        let r = op_from_map(map(
            json!({"index": 4, "time": 12, "process": 3, "type": "info", "f": "cas",
                "value": [1, 4], "error": "timed-out", "node": "n1", "key": "k", "op-index": 9}),
        ))
        .unwrap();
        let mut want = Op::new(4, 3, OpType::Info, "cas", json!([1, 4])).with_time(12);
        want.error = Some(json!("timed-out"));
        want.node = Some("n1".into());
        want.key = Some(json!("k"));
        assert_eq!(r.op, want);
        assert!(r.has_index && r.has_process);
    }

    #[test]
    fn named_processes_are_the_nemesis() {
        for p in ["nemesis", ":nemesis", "checker"] {
            let r = op_from_map(map(json!({"process": p, "type": "info", "f": "start"}))).unwrap();
            assert_eq!(r.op.process, Process::Nemesis, "{p}");
        }
    }

    #[test]
    fn keyword_strings_in_json_lose_their_colon() {
        let r = op_from_map(map(json!({":type": ":ok", ":f": ":txn", ":process": 1,
                ":value": [[":append", ":x", 1]], ":error": ":timeout"})))
        .unwrap();
        assert_eq!(r.op.kind, OpType::Ok);
        assert_eq!(r.op.f, "txn");
        assert_eq!(r.op.value, json!([["append", "x", 1]]));
        assert_eq!(r.op.error, Some(json!("timeout")));
        // Plain JSON keeps a string value that happens to start with a colon.
        let r = op_from_map(map(json!({"type": "ok", "f": "write", "value": ":x"}))).unwrap();
        assert_eq!(r.op.value, json!(":x"));
    }

    #[test]
    fn missing_f_on_a_transaction_means_txn() {
        let r = op_from_map(map(
            json!({"type": "invoke", "process": 0, "value": [["append", 1, 2], ["r", 3, null]]}),
        ))
        .unwrap();
        assert_eq!(r.op.f, "txn");
        assert!(!r.has_index);
        let e = op_from_map(map(json!({"type": "invoke", "value": 3})));
        assert!(e.unwrap_err().contains("missing :f"));
    }

    #[test]
    fn bad_fields_say_what_was_expected() {
        let e = op_from_map(map(json!({"type": "foo", "f": "read"})));
        assert_eq!(
            e.unwrap_err(),
            "unknown :type :foo; expected :invoke, :ok, :fail or :info"
        );
        let e = op_from_map(map(json!({"f": "read"})));
        assert!(e.unwrap_err().contains("missing :type"));
        let e = op_from_map(map(json!({"type": "ok", "f": "read", "process": -1})));
        assert!(e.unwrap_err().contains(":process"));
        let e = op_from_map(map(json!({"type": "ok", "f": "read", "time": "soon"})));
        assert!(e.unwrap_err().contains(":time"));
        let e = op_from_map(map(json!({"type": "ok", "f": "read", "index": 1.5})));
        assert!(e.unwrap_err().contains(":index"));
    }
}

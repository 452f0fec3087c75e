//! Writes a history as Jepsen-style EDN op maps, one per line, so Elle and Knossos users can
//! cross-check a faultline history with their tools.
//!
//! Keywords are lost when EDN is read into JSON values, so the writer puts them back where Jepsen
//! has them: `:type`, `:f`, `:nemesis`, string errors, micro-op names of a `txn`, and object keys
//! that look like names. Object keys that are integers are written as integers (`{0 100}`, a bank
//! read). Reading the output back gives the same history.

use std::fmt::Write as _;
use std::io::Write;

use crate::history::{Op, Process, Value};

/// Writes every op, one map per line.
pub fn write_edn<'a, W: Write>(
    ops: impl IntoIterator<Item = &'a Op>,
    mut out: W,
) -> std::io::Result<()> {
    let mut line = String::new();
    for op in ops {
        line.clear();
        write_edn_op(op, &mut line);
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    out.flush()
}

/// Appends one op as an EDN map (no newline).
pub fn write_edn_op(op: &Op, out: &mut String) {
    let _ = write!(out, "{{:index {}, :time {}, :process ", op.index, op.time);
    match op.process {
        Process::Client(p) => {
            let _ = write!(out, "{p}");
        }
        Process::Nemesis => out.push_str(":nemesis"),
    }
    out.push_str(", :type :");
    out.push_str(op.kind.as_str());
    out.push_str(", :f ");
    name(&op.f, out);
    if let Some(key) = &op.key {
        out.push_str(", :key ");
        value(key, out);
    }
    out.push_str(", :value ");
    if op.f == "txn" {
        txn_value(&op.value, out);
    } else {
        value(&op.value, out);
    }
    if let Some(node) = &op.node {
        out.push_str(", :node ");
        string(node, out);
    }
    if let Some(error) = &op.error {
        out.push_str(", :error ");
        match error {
            Value::String(s) => name(s, out),
            other => value(other, out),
        }
    }
    out.push('}');
}

/// A keyword when the text can be one, otherwise a string.
fn name(text: &str, out: &mut String) {
    if is_keyword_name(text) {
        out.push(':');
        out.push_str(text);
    } else {
        string(text, out);
    }
}

/// Letters, digits and `*+!-_?<>=./`, not starting with a digit or a sign followed by a digit
/// (which would read as a number).
fn is_keyword_name(text: &str) -> bool {
    let bytes = text.as_bytes();
    let Some(&first) = bytes.first() else {
        return false;
    };
    let name_byte = |b: u8| b.is_ascii_alphanumeric() || b"*+!-_?<>=./".contains(&b);
    if first.is_ascii_digit() || first == b'.' || first == b'/' {
        return false;
    }
    if (first == b'-' || first == b'+') && bytes.get(1).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    bytes.iter().all(|&b| name_byte(b))
}

/// `[[:append 1 2] [:r 3 nil]]`: micro-op names as keywords.
fn txn_value(v: &Value, out: &mut String) {
    let Value::Array(items) = v else {
        return value(v, out);
    };
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        match item.as_array().map(Vec::as_slice) {
            Some([Value::String(f), rest @ ..]) => {
                out.push('[');
                name(f, out);
                for x in rest {
                    out.push(' ');
                    value(x, out);
                }
                out.push(']');
            }
            _ => value(item, out),
        }
    }
    out.push(']');
}

fn value(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("nil"),
        Value::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                value(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                if k.parse::<i64>().is_ok_and(|n| n.to_string() == *k) {
                    out.push_str(k);
                } else {
                    name(k, out);
                }
                out.push(' ');
                value(item, out);
            }
            out.push('}');
        }
    }
}

fn string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::OpType;
    use serde_json::json;

    fn edn(op: &Op) -> String {
        let mut s = String::new();
        write_edn_op(op, &mut s);
        s
    }

    #[test]
    fn writes_jepsen_style_maps() {
        let mut op = Op::new(3, 2, OpType::Info, "cas", json!([1, 4])).with_time(77);
        op.error = Some(json!("timed-out"));
        op.node = Some("n1".into());
        assert_eq!(
            edn(&op),
            "{:index 3, :time 77, :process 2, :type :info, :f :cas, :value [1 4], \
             :node \"n1\", :error :timed-out}"
        );
        let txn = Op::new(
            0,
            1,
            OpType::Ok,
            "txn",
            json!([["append", "x", 3], ["r", 5, [1, 2]]]),
        );
        assert_eq!(
            edn(&txn),
            "{:index 0, :time 0, :process 1, :type :ok, :f :txn, \
             :value [[:append \"x\" 3] [:r 5 [1 2]]]}"
        );
        let mut nem = Op::new(
            9,
            0,
            OpType::Info,
            "partition-start",
            json!({"grudge": {"n1": ["n2"]}, "0": 1}),
        );
        nem.process = Process::Nemesis;
        nem.key = Some(json!("k 1"));
        assert_eq!(
            edn(&nem),
            "{:index 9, :time 0, :process :nemesis, :type :info, :f :partition-start, \
             :key \"k 1\", :value {:grudge {:n1 [\"n2\"]}, 0 1}}"
        );
    }

    #[test]
    fn names_that_would_misread_stay_strings() {
        for (text, keyword) in [
            ("read", true),
            ("partition-start", true),
            ("1x", false),
            ("-1", false),
            ("-", true),
            ("a b", false),
            ("", false),
            ("ünï", false),
        ] {
            assert_eq!(is_keyword_name(text), keyword, "{text:?}");
        }
    }
}

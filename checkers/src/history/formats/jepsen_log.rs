//! The text logs of older Jepsen tests, whose op lines read
//! `INFO  jepsen.util - 3<TAB>:invoke<TAB>:cas<TAB>[1 4]` — a process, a type keyword, a function keyword,
//! the value in EDN, and sometimes an error after it (`3 :info :cas [1 4] :timed-out`). A
//! timestamp or thread name may precede them. Every other line of the log is skipped.

use super::edn::EdnParser;
use super::fields::{ReadOp, ReadOps};
use crate::history::{Op, OpType, Process, Value};

/// Reads every op line. Never fails: a line that is not an op line is not part of the history.
pub(crate) fn read(text: &str, name: &str) -> ReadOps {
    let mut ops = ReadOps::default();
    for (i, line) in text.lines().enumerate() {
        if let Some(read) = parse_line(line, name, i + 1) {
            ops.push(read);
        }
    }
    ops
}

/// True when `line` is an op line (used by format detection).
pub(crate) fn is_op_line(line: &str) -> bool {
    parse_line(line, "", 1).is_some()
}

/// Finds `PROCESS :TYPE :F` among the whitespace-separated words of the line; the rest of the
/// line after `:F` is the value (and the error).
fn parse_line(line: &str, name: &str, line_no: usize) -> Option<ReadOp> {
    let words = words(line);
    let at = (1..words.len().saturating_sub(1)).find(|&i| {
        OpType::parse(words[i].1.strip_prefix(':').unwrap_or("")).is_some()
            && words[i].1.starts_with(':')
            && process(words[i - 1].1).is_some()
            && words[i + 1].1.starts_with(':')
            && words[i + 1].1.len() > 1
    })?;
    let process = process(words[at - 1].1)?;
    let kind = OpType::parse(&words[at].1[1..])?;
    let f = words[at + 1].1[1..].to_string();
    let rest_start = words[at + 1].0 + words[at + 1].1.len();
    let (value, error) = value_and_error(&line[rest_start..], name, line_no);
    let mut op = Op::new(0, 0, kind, &f, value);
    op.process = process;
    op.error = error;
    Some(ReadOp {
        op,
        has_index: false,
        has_process: true,
        line: line_no,
    })
}

/// Whitespace-separated words with their byte offsets.
fn words(line: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push((s, &line[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, &line[s..]));
    }
    out
}

/// A client's integer id, or `:nemesis` (written bare in some logs).
fn process(word: &str) -> Option<Process> {
    if let Ok(p) = word.parse::<u64>() {
        return Some(Process::Client(p));
    }
    matches!(word, ":nemesis" | "nemesis").then_some(Process::Nemesis)
}

/// The value is the first EDN form after the function, the error the second if any. A rest that is
/// not EDN (nemesis messages are free text in some logs) is kept as a string.
fn value_and_error(rest: &str, name: &str, line_no: usize) -> (Value, Option<Value>) {
    let trimmed = rest.trim();
    if trimmed.is_empty() {
        return (Value::Null, None);
    }
    let mut p = EdnParser::new(trimmed, name, line_no);
    let parsed = (|| {
        let value = p.value()?;
        let error = if p.at_end()? { None } else { Some(p.value()?) };
        Ok::<_, crate::history::InputError>((value, error, p.at_end()?))
    })();
    match parsed {
        Ok((value, error, true)) => (value, error.filter(|e| !e.is_null())),
        _ => (Value::String(trimmed.to_string()), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_op_lines_and_skips_the_rest() {
        let log = "INFO  jepsen.core - Running test\n\
                   INFO  jepsen.util - 3\t:invoke\t:cas\t[1 4]\n\
                   2014-04-13 17:38:48,479{GMT}\tINFO\t[jepsen worker 1] jepsen.util: 1\t:invoke\t:read\tnil\n\
                   INFO  jepsen.util - 3\t:info\t:cas\t[1 4]\t:timed-out\n\
                   INFO  jepsen.util - :nemesis\t:info\t:start\tCut off {:n5 #{:n2}}\n\
                   INFO  jepsen.util - 1\t:ok\t:read\t4\n\
                   WARN  something else 3 went wrong\n";
        let ops = read(log, "l.log");
        assert_eq!(ops.len(), 5);
        assert_eq!(ops.ops[0].f, "cas");
        assert_eq!(ops.ops[0].value, json!([1, 4]));
        assert_eq!(ops.ops[1].process, Process::Client(1));
        assert_eq!(ops.ops[1].value, Value::Null);
        assert_eq!(ops.ops[2].kind, OpType::Info);
        assert_eq!(ops.ops[2].error, Some(json!("timed-out")));
        assert_eq!(ops.ops[3].process, Process::Nemesis);
        assert_eq!(ops.ops[3].value, json!("Cut off {:n5 #{:n2}}"));
        assert_eq!(ops.ops[4].value, json!(4));
        assert!(is_op_line("INFO  jepsen.util - 0\t:ok\t:write\t2"));
        assert!(!is_op_line("INFO  jepsen.core - :invoke started"));
    }
}

//! Jepsen JSON histories: an array of op objects (Jepsen's and Elle's JSON exports), or one object
//! per line (read as JSON Lines).

use serde_json::Value;

use super::fields::{op_from_map, ReadOps};
use super::jsonl;
use crate::history::InputError;

/// Reads a JSON history. Returns the ops and the warnings.
pub(crate) fn read(text: &str, name: &str) -> Result<(ReadOps, Vec<String>), InputError> {
    let start = text.len() - text.trim_start().len();
    if !text[start..].starts_with('[') {
        return jsonl::read(text, name, 1);
    }
    let mut lines = Lines::new(text);
    let open_line = lines.line_at(start);
    let mut pos = start + 1;
    let mut ops = ReadOps::default();
    loop {
        pos = skip_ws(text, pos);
        match text.as_bytes().get(pos) {
            None => {
                return Err(InputError::new(
                    name,
                    lines.line_at(pos),
                    format!("expected `]` to close the array opened at line {open_line}"),
                ))
            }
            Some(b']') => {
                pos += 1;
                break;
            }
            Some(_) => {}
        }
        let line = lines.line_at(pos);
        let mut stream = serde_json::Deserializer::from_str(&text[pos..]).into_iter::<Value>();
        let value = match stream.next() {
            Some(Ok(v)) => v,
            Some(Err(e)) => {
                return Err(InputError::new(
                    name,
                    line + e.line().saturating_sub(1),
                    format!("expected a JSON op object: {e}"),
                ))
            }
            None => unreachable_end(name, line)?,
        };
        pos += stream.byte_offset();
        let Value::Object(map) = value else {
            return Err(InputError::new(
                name,
                line,
                format!("expected an op object `{{…}}` in the history array, found {value}"),
            ));
        };
        let mut read = op_from_map(map).map_err(|m| InputError::new(name, line, m))?;
        read.line = line;
        ops.push(read);
        pos = skip_ws(text, pos);
        match text.as_bytes().get(pos) {
            Some(b',') => pos += 1,
            Some(b']') => {}
            _ => {
                return Err(InputError::new(
                    name,
                    lines.line_at(pos),
                    "expected `,` or `]` after an op in the history array",
                ))
            }
        }
    }
    let rest = skip_ws(text, pos);
    if rest < text.len() {
        return Err(InputError::new(
            name,
            lines.line_at(rest),
            "unexpected text after the history array",
        ));
    }
    Ok((ops, Vec::new()))
}

fn unreachable_end(name: &str, line: usize) -> Result<Value, InputError> {
    Err(InputError::new(
        name,
        line,
        "unexpected end of input; expected an op object",
    ))
}

fn skip_ws(text: &str, mut pos: usize) -> usize {
    let bytes = text.as_bytes();
    while pos < bytes.len() && matches!(bytes[pos], b' ' | b'\t' | b'\n' | b'\r') {
        pos += 1;
    }
    pos
}

/// Line numbers of byte positions that only move forward: counts newlines once.
struct Lines<'a> {
    text: &'a [u8],
    pos: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Lines {
            text: text.as_bytes(),
            pos: 0,
            line: 1,
        }
    }

    fn line_at(&mut self, pos: usize) -> usize {
        let pos = pos.min(self.text.len());
        if pos > self.pos {
            self.line += self.text[self.pos..pos]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.pos = pos;
        }
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_an_array_of_ops() {
        let (ops, _) = read(
            "[{\"type\":\"invoke\",\"f\":\"txn\",\"value\":[[\"w\",\"x\",2]],\"process\":0,\"index\":1},\n\
             {\"type\":\"ok\",\"f\":\"txn\",\"value\":[[\"w\",\"x\",2]],\"process\":0,\"index\":2}]\n",
            "h.json",
        )
        .unwrap();
        assert_eq!(ops.len(), 2);
        assert_eq!(ops.ops[1].index, 2);
        assert_eq!(ops.ops[1].value, json!([["w", "x", 2]]));
        let (ops, _) = read("  [ ]", "h.json").unwrap();
        assert!(ops.is_empty());
    }

    #[test]
    fn errors_name_the_line() {
        let e = read(
            "[{\"type\":\"invoke\",\"f\":\"read\",\"process\":0},\n{\"type\":\"oops\",\"f\":\"read\"}]",
            "h.json",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "h.json:2: unknown :type :oops; expected :invoke, :ok, :fail or :info"
        );
        let e = read("[{\"type\":\"invoke\",\"f\":\"read\"},\n\n", "h.json").unwrap_err();
        assert_eq!(
            e.to_string(),
            "h.json:3: expected `]` to close the array opened at line 1"
        );
        let e = read("[{\"type\":\"invoke\",\"f\":\"read\"}\n{}]", "h.json").unwrap_err();
        assert_eq!(e.line, 2);
        let e = read("[1]", "h.json").unwrap_err();
        assert!(e.to_string().contains("expected an op object"));
        let e = read("[{\"type\": }]", "h.json").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("h.json:1: expected a JSON op object"),
            "{e}"
        );
        let e = read("[] x", "h.json").unwrap_err();
        assert!(e.to_string().contains("after the history array"));
    }
}

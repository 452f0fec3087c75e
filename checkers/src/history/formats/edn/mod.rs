//! Jepsen and Knossos EDN histories: a vector (or list) of op maps, or op maps one after another
//! (Jepsen's `history.edn` writes one per line), maps possibly written as
//! `#jepsen.history.Op{…}` records.

mod parser;
mod writer;

pub use parser::parse_value;
pub(crate) use parser::EdnParser;
pub use writer::{write_edn, write_edn_op};

use super::fields::{OpBuilder, ReadOp, ReadOps};
use super::parallel;
use crate::history::InputError;

/// Reads every op of an EDN history.
///
/// A large history written one map per line (Jepsen's `history.edn`) is cut before lines that
/// start with `{` or `#tag` and the pieces are read on every core. A cut that falls inside a
/// value (a pretty-printed map with an inner line starting with `{`) leaves the piece before it
/// unclosed, which is an error; then the file is read again in one piece, so the result and the
/// error messages are those of a sequential read.
pub(crate) fn read(text: &str, name: &str) -> Result<ReadOps, InputError> {
    let parts = parallel::chunk_count(text);
    if parts > 1 && starts_with_op_map(text) {
        let chunks = parallel::split(text, parts, |rest| {
            rest[0] == b'{' || (rest[0] == b'#' && rest.get(1).is_some_and(u8::is_ascii_alphabetic))
        });
        if chunks.len() > 1 {
            let results = parallel::map_chunks(&chunks, |c| read_from(c.text, name, c.first_line));
            if results.iter().all(Result::is_ok) {
                let mut ops = ReadOps::default();
                for chunk_ops in results.into_iter().flatten() {
                    ops.append(chunk_ops);
                }
                return Ok(ops);
            }
        }
    }
    read_from(text, name, 1)
}

/// True when the first thing after blank space and `;` comments is a map or a tagged map.
fn starts_with_op_map(text: &str) -> bool {
    let first = text
        .lines()
        .map(str::trim_start)
        .find(|l| !l.is_empty() && !l.starts_with(';'));
    first.is_some_and(|l| {
        l.starts_with('{')
            || (l.starts_with('#') && l[1..].starts_with(|c: char| c.is_ascii_alphabetic()))
    })
}

/// Reads the ops of `text`, whose first line is line `first_line` of the file.
fn read_from(text: &str, name: &str, first_line: usize) -> Result<ReadOps, InputError> {
    let mut p = EdnParser::new(text, name, first_line);
    let mut ops = ReadOps::default();
    while !p.at_end()? {
        if let Some(line) = p.at_map()? {
            ops.push(read_op(&mut p, line)?);
            continue;
        }
        let open_line = p.line();
        let close = if p.eat(b'[')? {
            b']'
        } else if p.eat(b'(')? {
            b')'
        } else {
            return Err(p.error(
                p.line(),
                format!(
                    "expected an op map `{{…}}` or a vector of them, found `{}`",
                    p.peek_text()
                ),
            ));
        };
        loop {
            if let Some(line) = p.at_map()? {
                ops.push(read_op(&mut p, line)?);
            } else if p.eat(close)? {
                break;
            } else if p.at_end()? {
                return Err(p.error(
                    p.line(),
                    format!(
                        "expected `{}` to close the history opened at line {open_line}",
                        close as char
                    ),
                ));
            } else {
                return Err(p.error(
                    p.line(),
                    format!("expected an op map `{{…}}`, found `{}`", p.peek_text()),
                ));
            }
        }
    }
    Ok(ops)
}

/// Reads an op map after its `{`, setting fields as they are parsed.
fn read_op(p: &mut EdnParser<'_>, line: usize) -> Result<ReadOp, InputError> {
    let mut builder = OpBuilder::new();
    p.map_entries(line, |key, value| builder.set(&key, value))?;
    let mut read = builder.finish().map_err(|message| p.error(line, message))?;
    read.line = line;
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{OpType, Process};
    use serde_json::json;

    #[test]
    fn reads_a_vector_of_ops() {
        let ops = read(
            "; a comment\n[{:type :invoke, :f :cas, :value [1 4], :process 3, :time 10}\n \
             {:type :info, :f :cas, :value [1 4], :process 3, :error :timed-out}\n \
             {:process :nemesis, :type :info, :f :start, :value nil}]\n",
            "h.edn",
        )
        .unwrap();
        assert_eq!(ops.len(), 3);
        assert_eq!(ops.ops[0].value, json!([1, 4]));
        assert_eq!(ops.ops[0].time, 10);
        assert_eq!(ops.ops[1].kind, OpType::Info);
        assert_eq!(ops.ops[1].error, Some(json!("timed-out")));
        assert_eq!(ops.ops[2].process, Process::Nemesis);
        assert!(!ops.origins[0].has_index);
    }

    #[test]
    fn reads_one_record_per_line() {
        let ops = read(
            "#jepsen.history.Op{:index 0, :time 5, :type :invoke, :process 0, :f :txn, \
             :value [[:append 1 2]]}\n\
             #jepsen.history.Op{:index 1, :time 9, :type :ok, :process 0, :f :txn, \
             :value [[:append 1 2]]}\n",
            "h.edn",
        )
        .unwrap();
        assert_eq!(ops.len(), 2);
        assert_eq!(ops.ops[1].index, 1);
        assert_eq!(ops.ops[1].value, json!([["append", 1, 2]]));
    }

    /// A history large enough to be read in parallel, one map per line; `inner` puts a line
    /// starting with `{` inside every map's value.
    fn big_history(inner: bool) -> String {
        let mut text = String::from("; generated\n");
        let mut i = 0;
        while text.len() < super::parallel::PARALLEL_THRESHOLD + 1000 {
            let value = if inner {
                "[\n{:a 1}]"
            } else {
                "[[:append 3 4] [:r 5 nil]]"
            };
            text.push_str(&format!(
                "#jepsen.history.Op{{:index {i}, :type :invoke, :process {i}, :f :txn, :value {value}}}\n"
            ));
            i += 1;
        }
        text
    }

    #[test]
    fn parallel_read_equals_sequential_read() {
        for inner in [false, true] {
            let text = big_history(inner);
            assert!(starts_with_op_map(&text));
            let seq = read_from(&text, "h.edn", 1).unwrap();
            let par = read(&text, "h.edn").unwrap();
            assert!(seq.ops.len() > 10_000);
            assert_eq!(seq.ops, par.ops, "inner {inner}");
            let lines = |r: &ReadOps| r.origins.iter().map(|o| o.line).collect::<Vec<_>>();
            assert_eq!(lines(&seq), lines(&par));
        }
        // An error late in the file is reported at its line.
        let mut text = big_history(false);
        let lines = text.lines().count();
        text.push_str("{:type :bogus, :f :read}\n");
        let e = read(&text, "h.edn").unwrap_err();
        assert_eq!(e.line, lines + 1, "{e}");
        assert!(!starts_with_op_map("; c\n[{:type :ok}]"));
    }

    #[test]
    fn errors_name_the_line_and_what_was_expected() {
        let e = read(
            "[{:type :invoke :f :read :process 0}\n{:type :foo :f :read}]",
            "h.edn",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "h.edn:2: unknown :type :foo; expected :invoke, :ok, :fail or :info"
        );
        let e = read("[{:type :invoke :f :read}\n", "h.edn").unwrap_err();
        assert_eq!(
            e.to_string(),
            "h.edn:2: expected `]` to close the history opened at line 1"
        );
        let e = read("[{:type :invoke :f :read} 7]", "h.edn").unwrap_err();
        assert!(e.to_string().contains("expected an op map"), "{e}");
        let e = read("\n\n{:type :invoke\n:f :read", "h.edn").unwrap_err();
        assert_eq!(
            e.to_string(),
            "h.edn:4: expected `}` to close the map opened at line 3"
        );
    }
}

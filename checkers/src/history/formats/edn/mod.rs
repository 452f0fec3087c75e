//! Jepsen and Knossos EDN histories: a vector (or list) of op maps, or op maps one after another
//! (Jepsen's `history.edn` writes one per line), maps possibly written as
//! `#jepsen.history.Op{…}` records.

mod parser;
mod writer;

pub use parser::parse_value;
pub(crate) use parser::EdnParser;
pub use writer::{write_edn, write_edn_op};

use super::fields::{OpBuilder, ReadOp, ReadOps};
use crate::history::InputError;

/// Reads every op of an EDN history.
pub(crate) fn read(text: &str, name: &str) -> Result<ReadOps, InputError> {
    let mut p = EdnParser::new(text, name, 1);
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

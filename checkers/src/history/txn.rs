//! Transaction micro-operations (`["r", k, v]`, `["w", k, v]`, `["append", k, v]`), shared by the
//! transactional, causal and workload code so there is one reading of a `txn` value.

use super::Value;

/// What a micro-operation does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MicroKind {
    /// `r`: for list-append the value is the list read, for rw-register the register's value;
    /// `null` in an invocation (not known yet).
    Read,
    /// `w`: blind write of a register.
    Write,
    /// `append`: appends one element to a list.
    Append,
}

impl MicroKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MicroKind::Read => "r",
            MicroKind::Write => "w",
            MicroKind::Append => "append",
        }
    }
}

/// One micro-operation of a transaction.
#[derive(Clone, Debug, PartialEq)]
pub struct MicroOp {
    pub kind: MicroKind,
    pub key: Value,
    pub value: Value,
}

/// Reads a `txn` value: an array of `[f, key, value]` triples. The error says which element is
/// wrong and what was expected.
pub fn parse_txn(value: &Value) -> Result<Vec<MicroOp>, String> {
    let Value::Array(items) = value else {
        return Err(format!("expected a transaction (an array of [f, key, value]), found {value}"));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item.as_array().map(Vec::as_slice) {
            Some([Value::String(f), key, v]) => {
                let kind = match f.as_str() {
                    "r" | "read" => MicroKind::Read,
                    "w" | "write" => MicroKind::Write,
                    "append" => MicroKind::Append,
                    other => {
                        return Err(format!(
                            "micro-op {i}: unknown function {other:?}; expected \"r\", \"w\" or \"append\""
                        ))
                    }
                };
                Ok(MicroOp {
                    kind,
                    key: key.clone(),
                    value: v.clone(),
                })
            }
            _ => Err(format!("micro-op {i}: expected [f, key, value], found {item}")),
        })
        .collect()
}

/// Writes micro-operations back as a `txn` value.
pub fn txn_value(ops: &[MicroOp]) -> Value {
    Value::Array(
        ops.iter()
            .map(|m| Value::Array(vec![m.kind.as_str().into(), m.key.clone(), m.value.clone()]))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_and_writes_back_a_transaction() {
        let v = json!([["append", "x", 3], ["r", "y", null], ["w", 1, 2]]);
        let ops = parse_txn(&v).unwrap();
        assert_eq!(ops[0].kind, MicroKind::Append);
        assert_eq!(ops[1].value, Value::Null);
        assert_eq!(ops[2].key, json!(1));
        assert_eq!(txn_value(&ops), v);
    }

    #[test]
    fn names_the_bad_micro_op() {
        let err = parse_txn(&json!([["r", "x", null], ["frob", "x", 1]])).unwrap_err();
        assert!(err.contains("micro-op 1") && err.contains("frob"), "{err}");
    }
}

//! The client adapter protocol's messages: one typed definition of every line faultline writes to
//! an adapter's stdin and every line it accepts from its stdout (JSON Lines, UTF-8).
//!
//! ```text
//! → {"id":0,"f":"hello","protocol":1,"adapter":3,"workload":"register","nodes":[{"name":"n1","ip":"10.9.0.2","port":6379},...]}
//! ← {"id":0,"type":"ok"}
//! → {"id":7,"process":3,"node":"n2","f":"write","key":"k1","value":4}
//! ← {"id":7,"type":"ok"}
//! → {"id":8,"process":3,"node":"n2","f":"txn","value":[["append","x",4],["r","y",null]]}
//! ← {"id":8,"type":"ok","value":[["append","x",4],["r","y",[1,2]]]}
//! ```

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// The protocol version `hello` announces.
pub const PROTOCOL_VERSION: u32 = 1;

/// The first line an adapter reads: who it is and the cluster it talks to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hello {
    /// Always 0.
    pub id: u64,
    /// Always `hello`.
    pub f: String,
    pub protocol: u32,
    /// This adapter's number within the run (1, 2, ...); a restarted adapter gets a new one.
    pub adapter: u64,
    /// The workload the run drives (`register`, `set`, `list-append`...).
    pub workload: String,
    pub nodes: Vec<NodeAddress>,
}

/// One node as an adapter reaches it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeAddress {
    pub name: String,
    pub ip: String,
    /// The spec's `node.port`.
    pub port: u16,
}

/// One operation for the adapter to perform.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// Unique within the run; the answer must carry it back.
    pub id: u64,
    /// The Jepsen process performing the operation (changes after an `info`).
    pub process: u64,
    /// The node to send it to (the adapter may go elsewhere and say so in the answer's `node`).
    pub node: String,
    /// The workload's function (`read`, `write`, `cas`, `add`, `txn`...).
    pub f: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Value>,
    pub value: Value,
}

/// How an operation ended, as the adapter saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnswerType {
    /// It happened.
    Ok,
    /// It definitely did not happen (the store said so before applying anything).
    Fail,
    /// Unknown: it may have happened (timeout, connection lost after sending).
    Info,
}

/// One line an adapter writes per request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    pub id: u64,
    #[serde(rename = "type")]
    pub kind: AnswerType,
    /// For `ok`: what was read (a read's value, a txn with its reads filled in). Absent keeps the
    /// request's value; `null` is a value (an empty register).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub value: Option<Value>,
    /// Why it failed or is unknown (text or any JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Value>,
    /// The node that actually served it, when not the one asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

/// `Some` for a present field, `null` included (serde's default would fold `null` into `None`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// What an answer line must look like, for error messages.
pub const ANSWER_SHAPE: &str = r#"one JSON object per line: {"id": <the request's id>, "type": "ok"|"fail"|"info", "value"?: ..., "error"?: ..., "node"?: "n1"} and nothing else (print diagnostics to stderr)"#;

/// Parses one answer line; the error says what is wrong with it.
pub fn parse_answer(line: &str) -> Result<Answer, String> {
    serde_json::from_str(line).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_serialise_as_documented() {
        let r = Request {
            id: 7,
            process: 3,
            node: "n2".into(),
            f: "txn".into(),
            key: None,
            value: json!([["append", "x", 4], ["r", "y", null]]),
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"id":7,"process":3,"node":"n2","f":"txn","value":[["append","x",4],["r","y",null]]}"#
        );
    }

    #[test]
    fn answers_keep_null_apart_from_absent_and_reject_other_shapes() {
        let a = parse_answer(r#"{"id":1,"type":"ok","value":null}"#).unwrap();
        assert_eq!(a.value, Some(Value::Null));
        let b = parse_answer(r#"{"id":1,"type":"ok"}"#).unwrap();
        assert_eq!(b.value, None);
        let c = parse_answer(r#"{"id":2,"type":"fail","error":"not-leader","node":"n1"}"#).unwrap();
        assert_eq!((c.kind, c.node.as_deref()), (AnswerType::Fail, Some("n1")));
        assert!(parse_answer(r#"{"id":1,"type":"done"}"#)
            .unwrap_err()
            .contains("done"));
        assert!(parse_answer(r#"{"id":1,"typ":"ok"}"#)
            .unwrap_err()
            .contains("typ"));
        assert!(parse_answer("hello there").is_err());
        assert!(parse_answer(r#"{"type":"ok"}"#).unwrap_err().contains("id"));
    }
}

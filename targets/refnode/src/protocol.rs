//! The client protocol of `PROTOCOL.md`: JSON Lines over TCP, one [`Request`] or [`Response`] per
//! line, matched by `id` (answers may come back out of order on a pipelined connection).
//!
//! These types are shared by the node (`server`), the async [`crate::client`] and the harness, so a
//! field means the same thing on both sides of the wire.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The operation a request asks for (`op` on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OpKind {
    Read,
    Write,
    Cas,
    Txn,
    SetAdd,
    SetRead,
    CounterAdd,
    CounterRead,
    Transfer,
    ReadAll,
    Status,
}

impl OpKind {
    /// Whether the operation only observes state: a node may answer it without changing anything.
    pub fn is_read_only(self) -> bool {
        matches!(
            self,
            OpKind::Read | OpKind::SetRead | OpKind::CounterRead | OpKind::ReadAll | OpKind::Status
        )
    }
}

/// One client request: `{"id": 7, "op": "write", "key": "x", "value": 3}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub id: u64,
    pub op: OpKind,
    /// The key of single-key operations. Strings and integers are both accepted; integers name the
    /// same key as their decimal string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Value>,
    /// The operation's argument (written value, `[old, new]`, micro-ops, transfer, key list).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub value: Value,
}

impl Request {
    pub fn new(id: u64, op: OpKind, key: Option<Value>, value: Value) -> Request {
        Request { id, op, key, value }
    }
}

/// The outcome class of DESIGN.md section 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// It definitely happened.
    Ok,
    /// It definitely did not happen: nothing was applied.
    Fail,
    /// Unknown: it may or may not have happened.
    Info,
}

/// One answer: `{"id": 7, "type": "ok", "value": 3}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub id: u64,
    #[serde(rename = "type")]
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub value: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Where the client should go instead, when this node knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader: Option<String>,
}

impl Response {
    pub fn ok(id: u64, value: Value) -> Response {
        Response {
            id,
            outcome: Outcome::Ok,
            value,
            error: None,
            leader: None,
        }
    }

    pub fn fail(id: u64, error: &str) -> Response {
        Response {
            id,
            outcome: Outcome::Fail,
            value: Value::Null,
            error: Some(error.to_string()),
            leader: None,
        }
    }

    pub fn info(id: u64, error: &str) -> Response {
        Response {
            id,
            outcome: Outcome::Info,
            value: Value::Null,
            error: Some(error.to_string()),
            leader: None,
        }
    }

    pub fn with_leader(mut self, leader: Option<String>) -> Response {
        self.leader = leader;
        self
    }
}

/// The `status` answer's value: what the harness records to show roles, split brain and lag.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// `raft`, `primary-backup`, `lww`, `quorum`, `crdt`.
    pub mode: String,
    pub node: String,
    /// `leader|follower|candidate` (raft), `primary|backup` (primary-backup), else `replica`.
    pub role: String,
    /// Raft term or primary-backup epoch; 0 where the mode has none.
    pub term: u64,
    /// Who this node believes leads (raft) or is primary (primary-backup).
    #[serde(default)]
    pub leader: Option<String>,
    /// Raft commit index, primary-backup sequence number, or a mode's own progress counter.
    pub commit_index: u64,
    /// On a leader / primary: how many entries each follower / backup is behind.
    #[serde(default)]
    pub lag: std::collections::BTreeMap<String, u64>,
    /// Mode-specific fields (raft `applied_index`, lww `wall_clock_nanos`, quorum `n`/`r`/`w`...).
    #[serde(flatten)]
    pub extra: serde_json::Map<String, Value>,
}

impl Status {
    pub fn new(mode: &str, node: &str, role: &str) -> Status {
        Status {
            mode: mode.to_string(),
            node: node.to_string(),
            role: role.to_string(),
            ..Status::default()
        }
    }

    /// Adds a mode-specific field.
    pub fn with(mut self, name: &str, value: Value) -> Status {
        self.extra.insert(name.to_string(), value);
        self
    }

    /// The value of a `status` answer.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("status serialises")
    }
}

/// Error strings the node uses, so clients can match on them.
pub mod errors {
    /// This node cannot take the request; `leader` says who can, when known. Nothing applied.
    pub const NOT_LEADER: &str = "not-leader";
    /// Compare-and-set found another value. Nothing applied.
    pub const CAS_MISMATCH: &str = "cas-mismatch";
    /// A transfer would overdraw its source. Nothing applied.
    pub const INSUFFICIENT_FUNDS: &str = "insufficient-funds";
    /// The node could not start the operation (no quorum reachable before anything was sent).
    pub const UNAVAILABLE: &str = "unavailable";
    /// The request is malformed or the mode does not support the operation. Nothing applied.
    pub const BAD_REQUEST: &str = "bad-request";
    pub const UNSUPPORTED: &str = "unsupported";
    /// The operation may have been applied but the node could not confirm it in time.
    pub const TIMEOUT: &str = "timeout";
    /// The node lost leadership while the operation was in flight; it may still take effect.
    pub const LEADERSHIP_LOST: &str = "leadership-lost";
    /// The log slot of the proposal was taken by another leader's entry: it never takes effect.
    pub const SUPERSEDED: &str = "superseded";
}

/// The key of a request or micro-op as the node stores it: strings as they are, anything else by its
/// JSON text (so `7` and `"7"` name the same key).
pub fn key_name(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_and_answers_round_trip_in_the_documented_shape() {
        let req: Request =
            serde_json::from_str(r#"{"id":3,"op":"cas","key":"x","value":[1,2]}"#).unwrap();
        assert_eq!(req.op, OpKind::Cas);
        assert_eq!(req.value, json!([1, 2]));
        let resp = Response::fail(3, errors::NOT_LEADER).with_leader(Some("n2".into()));
        assert_eq!(
            serde_json::to_value(&resp).unwrap(),
            json!({"id":3,"type":"fail","error":"not-leader","leader":"n2"})
        );
        let back: Response = serde_json::from_value(serde_json::to_value(&resp).unwrap()).unwrap();
        assert_eq!(back, resp);
    }

    #[test]
    fn status_keeps_mode_specific_fields_at_the_top_level() {
        let st = Status {
            term: 3,
            leader: Some("n1".into()),
            ..Status::new("raft", "n2", "follower")
        }
        .with("applied_index", json!(9));
        let v = st.to_value();
        assert_eq!(v["applied_index"], json!(9));
        assert_eq!(v["role"], json!("follower"));
        let back: Status = serde_json::from_value(v).unwrap();
        assert_eq!(back, st);
    }

    #[test]
    fn integer_and_string_keys_name_the_same_key() {
        assert_eq!(key_name(&json!(7)), key_name(&json!("7")));
    }
}

//! The etcd v3 JSON gateway (grpc-gateway in front of etcd's gRPC API): request bodies, answer
//! decoding, and what a gateway error says about whether a request took effect.
//!
//! Shapes (etcd 3.4): keys and values are base64 strings, 64-bit integers are JSON strings, and
//! fields holding their zero value are left out of answers (`succeeded: false`, an empty `kvs`).
//! An error answer is a non-200 status with `{"error": "...", "message": "...", "code": N}`, `code`
//! being the gRPC status code.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

use super::http::{HttpConnection, HttpError};

/// The gateway's path prefix in etcd 3.4 (`/v3beta` is its older alias; 3.5 drops it).
pub const PREFIX: &str = "/v3";
pub const RANGE: &str = "/v3/kv/range";
pub const PUT: &str = "/v3/kv/put";
pub const TXN: &str = "/v3/kv/txn";
pub const STATUS: &str = "/v3/maintenance/status";

pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

fn unb64(text: &str) -> Result<Vec<u8>, String> {
    STANDARD
        .decode(text)
        .map_err(|e| format!("bad base64 {text:?}: {e}"))
}

/// The first key after every key starting with `prefix` (etcd's `range_end` for a prefix scan).
pub fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    // All 0xff: etcd's "to the end of the key space".
    vec![0]
}

/// `RangeRequest` for one key.
pub fn range(key: &[u8]) -> Value {
    json!({"key": b64(key)})
}

/// `RangeRequest` for every key starting with `prefix`.
pub fn range_prefix(prefix: &[u8]) -> Value {
    json!({"key": b64(prefix), "range_end": b64(&prefix_end(prefix))})
}

/// `PutRequest`.
pub fn put(key: &[u8], value: &[u8]) -> Value {
    json!({"key": b64(key), "value": b64(value)})
}

/// A txn comparison.
#[derive(Clone, Debug, PartialEq)]
pub enum Compare {
    /// The key's value is exactly these bytes (false when the key does not exist).
    ValueIs(Vec<u8>),
    /// The key does not exist (its version is 0).
    Absent,
    /// The key was last modified at this revision (0: it does not exist).
    ModRevision(i64),
}

pub fn compare(key: &[u8], c: &Compare) -> Value {
    let mut v = json!({"key": b64(key), "result": "EQUAL"});
    match c {
        Compare::ValueIs(bytes) => {
            v["target"] = json!("VALUE");
            v["value"] = json!(b64(bytes));
        }
        Compare::Absent => {
            v["target"] = json!("VERSION");
            v["version"] = json!("0");
        }
        Compare::ModRevision(rev) => {
            v["target"] = json!("MOD");
            v["mod_revision"] = json!(rev.to_string());
        }
    }
    v
}

/// `TxnRequest`: if every comparison holds, do `success` (each a `request_put` / `request_range`
/// body wrapped by [`op_put`] / [`op_range`]); otherwise nothing.
pub fn txn(compares: Vec<Value>, success: Vec<Value>) -> Value {
    json!({"compare": compares, "success": success, "failure": []})
}

pub fn op_put(put: Value) -> Value {
    json!({"request_put": put})
}

pub fn op_range(range: Value) -> Value {
    json!({"request_range": range})
}

/// One key-value pair of a range answer.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyValue {
    pub key: Vec<u8>,
    pub value: Vec<u8>,
    pub mod_revision: i64,
}

/// A 64-bit integer field, which the gateway writes as a string (and leaves out when 0).
fn int_field(v: &Value, name: &str) -> Result<i64, String> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::String(s)) => s.parse().map_err(|_| format!("bad {name} {s:?}")),
        Some(Value::Number(n)) => n.as_i64().ok_or_else(|| format!("bad {name} {n}")),
        Some(other) => Err(format!("bad {name} {other}")),
    }
}

/// The `kvs` of a `RangeResponse` (missing: none).
pub fn kvs(range_response: &Value) -> Result<Vec<KeyValue>, String> {
    let Some(list) = range_response.get("kvs") else {
        return Ok(Vec::new());
    };
    let list = list
        .as_array()
        .ok_or_else(|| format!("kvs is not a list: {list}"))?;
    list.iter()
        .map(|kv| {
            let text = |name: &str| kv.get(name).and_then(Value::as_str).unwrap_or("");
            Ok(KeyValue {
                key: unb64(text("key"))?,
                value: unb64(text("value"))?,
                mod_revision: int_field(kv, "mod_revision")?,
            })
        })
        .collect()
}

/// Whether a `TxnResponse`'s comparisons held (the field is left out when false).
pub fn succeeded(txn_response: &Value) -> bool {
    txn_response
        .get("succeeded")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// The `RangeResponse`s of a txn's `responses`, in order.
pub fn txn_ranges(txn_response: &Value) -> Result<Vec<Value>, String> {
    let responses = txn_response
        .get("responses")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    responses
        .into_iter()
        .map(|r| {
            r.get("response_range")
                .cloned()
                .ok_or_else(|| format!("txn answer without response_range: {r}"))
        })
        .collect()
}

/// gRPC status codes the gateway reports.
pub mod code {
    pub const UNKNOWN: i64 = 2;
    pub const INVALID_ARGUMENT: i64 = 3;
    pub const DEADLINE_EXCEEDED: i64 = 4;
    pub const RESOURCE_EXHAUSTED: i64 = 8;
    pub const FAILED_PRECONDITION: i64 = 9;
    pub const OUT_OF_RANGE: i64 = 11;
    pub const UNAVAILABLE: i64 = 14;
}

/// Why a gateway call did not return an answer.
#[derive(Clone, Debug, PartialEq)]
pub enum CallError {
    /// Transport failure (see [`HttpError`]).
    Http(HttpError),
    /// etcd answered with an error.
    Rejected { code: i64, message: String },
    /// A 200 answer that is not JSON.
    Unreadable(String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Http(e) => write!(f, "{e}"),
            CallError::Rejected { code, message } => write!(f, "{message} (gRPC code {code})"),
            CallError::Unreadable(e) => write!(f, "unreadable answer: {e}"),
        }
    }
}

/// Error messages of etcd (3.4) that are returned before a write is proposed to raft, or when
/// raft refused the proposal: the write is certainly not applied.
const NOT_APPLIED: &[&str] = &[
    // Checked before proposing (processInternalRaftRequestOnce, request validation).
    "etcdserver: too many requests",
    "etcdserver: request is too large",
    "etcdserver: no space",
    // Refused by the "require leader" check and by raft itself when it has no leader.
    "etcdserver: no leader",
    "raft proposal dropped",
    // The gateway's own connection to the local gRPC server could not be made.
    "connection refused",
];

impl CallError {
    /// Whether the request certainly did not take effect (`fail`); otherwise it may have (`info`).
    ///
    /// Timeouts (`etcdserver: request timed out...`, gRPC DEADLINE_EXCEEDED), a stopping server
    /// and a transport that broke after the request was written are all "may have": the proposal
    /// can still commit. Invalid requests (INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE)
    /// are refused before anything is proposed.
    pub fn definitely_not_applied(&self) -> bool {
        match self {
            CallError::Http(HttpError::NotSent(_)) => true,
            CallError::Http(HttpError::Lost(_)) | CallError::Unreadable(_) => false,
            CallError::Rejected { code, message } => {
                matches!(
                    *code,
                    code::INVALID_ARGUMENT | code::FAILED_PRECONDITION | code::OUT_OF_RANGE
                ) || NOT_APPLIED.iter().any(|m| message.contains(m))
            }
        }
    }

    /// Whether another node is more likely to help (this one is down, cut off or leaderless).
    pub fn suggests_another_node(&self) -> bool {
        match self {
            CallError::Http(_) => true,
            CallError::Rejected { code, message } => {
                matches!(*code, code::UNAVAILABLE | code::DEADLINE_EXCEEDED)
                    || message.contains("timed out")
                    || message.contains("no leader")
            }
            CallError::Unreadable(_) => false,
        }
    }
}

/// Decodes a gateway answer: 200 with a JSON body, or an error body.
pub fn decode(status: u16, body: &[u8]) -> Result<Value, CallError> {
    let parsed: Result<Value, _> = serde_json::from_slice(body);
    if status == 200 {
        return parsed
            .map_err(|e| CallError::Unreadable(format!("{e}: {}", String::from_utf8_lossy(body))));
    }
    let text = String::from_utf8_lossy(body).trim().to_string();
    let (code, message) = match &parsed {
        Ok(v) => (
            v.get("code")
                .and_then(Value::as_i64)
                .unwrap_or(code::UNKNOWN),
            v.get("message")
                .or_else(|| v.get("error"))
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| text.clone()),
        ),
        Err(_) => (code::UNKNOWN, format!("HTTP {status}: {text}")),
    };
    Err(CallError::Rejected { code, message })
}

/// One gateway call on `conn`. On any error but a definite rejection the caller should drop the
/// connection (its state is unknown).
pub async fn call(
    conn: &mut HttpConnection,
    path: &str,
    request: &Value,
) -> Result<Value, CallError> {
    let body = serde_json::to_vec(request).expect("JSON values serialise");
    let answer = conn.post(path, &body).await.map_err(CallError::Http)?;
    decode(answer.status, &answer.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_encode_keys_and_values_in_base64() {
        assert_eq!(range(b"a"), json!({"key": "YQ=="}));
        assert_eq!(put(b"k", b"12"), json!({"key": "aw==", "value": "MTI="}));
        assert_eq!(
            range_prefix(b"s/"),
            json!({"key": b64(b"s/"), "range_end": b64(b"s0")})
        );
        assert_eq!(prefix_end(b"a\xff"), b"b");
        assert_eq!(prefix_end(b"\xff"), vec![0]);
    }

    #[test]
    fn comparisons_name_their_target_and_use_string_integers() {
        assert_eq!(
            compare(b"k", &Compare::ModRevision(42)),
            json!({"key": "aw==", "result": "EQUAL", "target": "MOD", "mod_revision": "42"})
        );
        assert_eq!(
            compare(b"k", &Compare::Absent),
            json!({"key": "aw==", "result": "EQUAL", "target": "VERSION", "version": "0"})
        );
        assert_eq!(
            compare(b"k", &Compare::ValueIs(b"3".to_vec()))["value"],
            json!("Mw==")
        );
        let t = txn(
            vec![compare(b"k", &Compare::Absent)],
            vec![op_put(put(b"k", b"1"))],
        );
        assert_eq!(t["success"][0]["request_put"]["key"], "aw==");
        assert_eq!(t["failure"], json!([]));
    }

    #[test]
    fn answers_decode_with_left_out_zero_fields() {
        let range_answer = json!({
            "header": {"revision": "7"},
            "kvs": [{"key": "aw==", "create_revision": "2", "mod_revision": "7", "version": "3", "value": "MTI="}],
            "count": "1"
        });
        let got = kvs(&range_answer).unwrap();
        assert_eq!(
            got,
            vec![KeyValue {
                key: b"k".to_vec(),
                value: b"12".to_vec(),
                mod_revision: 7
            }]
        );
        assert_eq!(kvs(&json!({"header": {}})).unwrap(), vec![]);
        assert!(!succeeded(&json!({"header": {}})));
        assert!(succeeded(&json!({"succeeded": true})));
        let txn_answer =
            json!({"succeeded": true, "responses": [{"response_range": {"header": {}}}]});
        assert_eq!(txn_ranges(&txn_answer).unwrap().len(), 1);
        assert!(txn_ranges(&json!({"responses": [{"response_put": {}}]})).is_err());
    }

    #[test]
    fn error_bodies_become_rejections_with_the_grpc_code() {
        let e = decode(
            503,
            br#"{"error":"etcdserver: request timed out","message":"etcdserver: request timed out","code":14}"#,
        )
        .unwrap_err();
        assert_eq!(
            e,
            CallError::Rejected {
                code: 14,
                message: "etcdserver: request timed out".into()
            }
        );
        let e = decode(502, b"Bad Gateway").unwrap_err();
        assert!(
            matches!(e, CallError::Rejected { code: 2, ref message } if message.contains("502"))
        );
        assert!(matches!(
            decode(200, b"{oops"),
            Err(CallError::Unreadable(_))
        ));
        assert_eq!(decode(200, b"{}").unwrap(), json!({}));
    }

    fn rejected(code: i64, message: &str) -> CallError {
        CallError::Rejected {
            code,
            message: message.into(),
        }
    }

    #[test]
    fn only_refusals_before_proposing_are_definite() {
        // Certainly not applied.
        assert!(CallError::Http(HttpError::NotSent("refused".into())).definitely_not_applied());
        assert!(rejected(14, "etcdserver: no leader").definitely_not_applied());
        assert!(rejected(8, "etcdserver: too many requests").definitely_not_applied());
        assert!(rejected(2, "raft proposal dropped").definitely_not_applied());
        assert!(
            rejected(3, "etcdserver: duplicate key given in txn request").definitely_not_applied()
        );
        // May have been applied.
        assert!(!CallError::Http(HttpError::Lost("reset".into())).definitely_not_applied());
        assert!(!rejected(14, "etcdserver: request timed out").definitely_not_applied());
        assert!(!rejected(
            14,
            "etcdserver: request timed out, possibly due to previous leader failure"
        )
        .definitely_not_applied());
        assert!(!rejected(4, "context deadline exceeded").definitely_not_applied());
        assert!(!rejected(14, "etcdserver: server stopped").definitely_not_applied());
        assert!(!rejected(14, "transport is closing").definitely_not_applied());
        assert!(!CallError::Unreadable("x".into()).definitely_not_applied());
    }

    #[test]
    fn unavailable_nodes_suggest_moving_on() {
        assert!(rejected(14, "etcdserver: request timed out").suggests_another_node());
        assert!(CallError::Http(HttpError::NotSent("x".into())).suggests_another_node());
        assert!(!rejected(3, "etcdserver: key is not provided").suggests_another_node());
    }
}

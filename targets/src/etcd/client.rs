//! Workload operations as etcd requests, and how each ends (DESIGN.md section 2).
//!
//! | workload | operation | etcd |
//! |---|---|---|
//! | `register`, `kv` | `read k` | range of `/faultline/register/k` (linearizable) |
//! | | `write k v` | put |
//! | | `cas k [old new]` | txn: if value = old (or, for `old = null`, the key is absent) then put new |
//! | `set` | `add k e` | put `/faultline/set/k/e` (one key per element) |
//! | | `read k` | range of the prefix `/faultline/set/k/` — one revision, so one snapshot |
//! | `list-append` | `txn [...]` | a read-only txn ranging every key, then one txn: if every key's `mod_revision` is unchanged, put each appended list |
//!
//! Values are the JSON text of the workload value (a list for list-append).
//!
//! Outcomes: an operation that changes nothing (reads, the read half of a transaction, a failed
//! comparison) is `fail` on any error — it cannot have had an effect. A write is `fail` only when
//! [`CallError::definitely_not_applied`] says so (never sent, refused before proposing), otherwise
//! `info`.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use faultline_checkers::history::txn::{parse_txn, MicroKind};
use faultline_checkers::{OpType, Value};
use faultline_workloads::Invocation;
use serde_json::json;

use super::gateway::{self, CallError, Compare};
use super::http::HttpConnection;
use crate::target::{BoxFuture, Client, Completion};

/// Which mapping of the table above a workload uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Register,
    Set,
    ListAppend,
}

impl Family {
    /// The family of `workload`, or why etcd has none.
    pub fn of(workload: &str) -> Result<Family, String> {
        match workload {
            "register" | "kv" => Ok(Family::Register),
            "set" => Ok(Family::Set),
            "list-append" => Ok(Family::ListAppend),
            other => Err(format!(
                "the etcd target has no client for workload {other}; it supports {}",
                super::WORKLOADS.join(", ")
            )),
        }
    }
}

/// The etcd key of a workload key (`3` and `"3"` name the same key).
pub(crate) fn key_text(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub fn register_key(key: &Value) -> Vec<u8> {
    format!("/faultline/register/{}", key_text(key)).into_bytes()
}

pub fn set_prefix(key: &Value) -> Vec<u8> {
    format!("/faultline/set/{}/", key_text(key)).into_bytes()
}

pub fn set_element_key(key: &Value, element: &Value) -> Vec<u8> {
    let mut k = set_prefix(key);
    k.extend_from_slice(element.to_string().as_bytes());
    k
}

pub fn list_key(key: &Value) -> Vec<u8> {
    format!("/faultline/list/{}", key_text(key)).into_bytes()
}

fn encode(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).expect("JSON values serialise")
}

fn decode(bytes: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(bytes).map_err(|e| {
        format!(
            "stored value {:?} is not JSON: {e}",
            String::from_utf8_lossy(bytes)
        )
    })
}

/// A planned request: where to send it, and whether it can change anything.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub path: &'static str,
    pub body: Value,
    pub writes: bool,
}

/// The single request of a register, kv or set operation; `None` for operations etcd does not
/// offer (or list-append transactions, which take two steps).
pub fn request(family: Family, op: &Invocation) -> Option<Request> {
    let key = op.key.as_ref()?;
    let req = |path, body, writes| Some(Request { path, body, writes });
    match (family, op.f.as_str()) {
        (Family::Register, "read") => {
            req(gateway::RANGE, gateway::range(&register_key(key)), false)
        }
        (Family::Register, "write") => req(
            gateway::PUT,
            gateway::put(&register_key(key), &encode(&op.value)),
            true,
        ),
        (Family::Register, "cas") => {
            let [old, new] = op.value.as_array()?.as_slice() else {
                return None;
            };
            let k = register_key(key);
            let guard = if old.is_null() {
                Compare::Absent
            } else {
                Compare::ValueIs(encode(old))
            };
            req(
                gateway::TXN,
                gateway::txn(
                    vec![gateway::compare(&k, &guard)],
                    vec![gateway::op_put(gateway::put(&k, &encode(new)))],
                ),
                true,
            )
        }
        (Family::Set, "add") => req(
            gateway::PUT,
            gateway::put(&set_element_key(key, &op.value), &encode(&op.value)),
            true,
        ),
        (Family::Set, "read") => req(
            gateway::RANGE,
            gateway::range_prefix(&set_prefix(key)),
            false,
        ),
        _ => None,
    }
}

/// How an etcd answer completes a register, kv or set operation.
pub fn completion(family: Family, op: &Invocation, answer: &Value) -> Completion {
    let done = |kind, value, error: Option<String>| Completion {
        kind,
        value,
        error: error.map(Value::String),
        node: None,
    };
    match (family, op.f.as_str()) {
        (Family::Register, "read") => match gateway::kvs(answer).and_then(|kvs| match kvs.first() {
            Some(kv) => decode(&kv.value),
            None => Ok(Value::Null),
        }) {
            Ok(v) => done(OpType::Ok, v, None),
            Err(e) => done(OpType::Fail, Value::Null, Some(e)),
        },
        (Family::Register, "cas") if !gateway::succeeded(answer) => {
            done(OpType::Fail, op.value.clone(), Some("cas-mismatch".into()))
        }
        (Family::Set, "read") => {
            match gateway::kvs(answer).and_then(|kvs| {
                kvs.iter()
                    .map(|kv| decode(&kv.value))
                    .collect::<Result<Vec<_>, _>>()
            }) {
                Ok(mut elements) => {
                    sort_values(&mut elements);
                    done(OpType::Ok, Value::Array(elements), None)
                }
                Err(e) => done(OpType::Fail, Value::Null, Some(e)),
            }
        }
        _ => done(OpType::Ok, op.value.clone(), None),
    }
}

/// Numbers by value, anything else after them by its text: the order a person expects.
pub(crate) fn sort_values(values: &mut [Value]) {
    values.sort_by(|a, b| match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.to_string().cmp(&b.to_string()),
    });
}

/// How a failed call completes an operation that `writes` (or not).
pub fn error_completion(op: &Invocation, writes: bool, error: &CallError) -> Completion {
    let kind = if !writes || error.definitely_not_applied() {
        OpType::Fail
    } else {
        OpType::Info
    };
    Completion {
        kind,
        value: op.value.clone(),
        error: Some(Value::String(error.to_string())),
        node: None,
    }
}

/// A list-append transaction, planned from its micro-operations.
#[derive(Clone, Debug, PartialEq)]
pub struct ListTxn {
    /// `(kind, workload key, value)` in order.
    micro: Vec<(MicroKind, Value, Value)>,
    /// Every distinct key touched, in first-use order, as etcd keys.
    keys: Vec<(Value, Vec<u8>)>,
}

/// A key's state in the snapshot: its list (`None`: absent) and `mod_revision` (0: absent).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub list: Option<Vec<Value>>,
    pub mod_revision: i64,
}

impl ListTxn {
    pub fn parse(op: &Invocation) -> Result<ListTxn, String> {
        let micro: Vec<(MicroKind, Value, Value)> = parse_txn(&op.value)?
            .into_iter()
            .map(|m| (m.kind, m.key, m.value))
            .collect();
        if let Some((kind, _, _)) = micro.iter().find(|(k, _, _)| *k == MicroKind::Write) {
            return Err(format!(
                "the etcd list-append client takes reads and appends, not {}",
                kind.as_str()
            ));
        }
        let mut keys: Vec<(Value, Vec<u8>)> = Vec::new();
        for (_, k, _) in &micro {
            let etcd = list_key(k);
            if !keys.iter().any(|(_, e)| *e == etcd) {
                keys.push((k.clone(), etcd));
            }
        }
        Ok(ListTxn { micro, keys })
    }

    pub fn writes(&self) -> bool {
        self.micro.iter().any(|(k, _, _)| *k == MicroKind::Append)
    }

    /// Step 1: one read-only txn ranging every key (one revision, so one snapshot).
    pub fn read_request(&self) -> Value {
        gateway::txn(
            Vec::new(),
            self.keys
                .iter()
                .map(|(_, k)| gateway::op_range(gateway::range(k)))
                .collect(),
        )
    }

    /// The snapshot of every key from step 1's answer, in `keys` order.
    pub fn snapshot(&self, answer: &Value) -> Result<Vec<Snapshot>, String> {
        let ranges = gateway::txn_ranges(answer)?;
        if ranges.len() != self.keys.len() {
            return Err(format!(
                "asked for {} ranges, got {}",
                self.keys.len(),
                ranges.len()
            ));
        }
        ranges
            .iter()
            .map(|r| {
                let kvs = gateway::kvs(r)?;
                let Some(kv) = kvs.first() else {
                    return Ok(Snapshot::default());
                };
                let list = match decode(&kv.value)? {
                    Value::Array(items) => items,
                    other => return Err(format!("list key holds {other}, not a list")),
                };
                Ok(Snapshot {
                    list: Some(list),
                    mod_revision: kv.mod_revision,
                })
            })
            .collect()
    }

    /// The transaction's result (reads filled in, seeing its own earlier appends) and step 2:
    /// a txn that puts every appended list if no key changed since the snapshot (`None` when
    /// there is nothing to write).
    pub fn apply(&self, snapshot: &[Snapshot]) -> (Value, Option<Value>) {
        let index = |k: &Value| {
            let etcd = list_key(k);
            self.keys
                .iter()
                .position(|(_, e)| *e == etcd)
                .expect("every key was collected")
        };
        let mut lists: Vec<Option<Vec<Value>>> = snapshot.iter().map(|s| s.list.clone()).collect();
        let mut appended: BTreeMap<usize, ()> = BTreeMap::new();
        let mut result = Vec::with_capacity(self.micro.len());
        for (kind, k, v) in &self.micro {
            let i = index(k);
            match kind {
                MicroKind::Append => {
                    lists[i].get_or_insert_with(Vec::new).push(v.clone());
                    appended.insert(i, ());
                    result.push(json!(["append", k, v]));
                }
                _ => {
                    let read = lists[i].clone().map(Value::Array).unwrap_or(Value::Null);
                    result.push(json!(["r", k, read]));
                }
            }
        }
        if appended.is_empty() {
            return (Value::Array(result), None);
        }
        // Compare every key touched, read or written: a concurrent append to a key this txn
        // only read would otherwise slip between the snapshot and the write.
        let compares = self
            .keys
            .iter()
            .zip(snapshot)
            .map(|((_, k), s)| gateway::compare(k, &Compare::ModRevision(s.mod_revision)))
            .collect();
        // One put per key: etcd refuses a txn that puts the same key twice.
        let puts = appended
            .keys()
            .map(|&i| {
                let list = Value::Array(lists[i].clone().unwrap_or_default());
                gateway::op_put(gateway::put(&self.keys[i].1, &encode(&list)))
            })
            .collect();
        (Value::Array(result), Some(gateway::txn(compares, puts)))
    }
}

/// One client process: one connection at a time, one operation in flight.
pub struct EtcdClient {
    pub family: Family,
    /// Every node's name and gateway address.
    pub nodes: Vec<(String, SocketAddr)>,
    pub current: usize,
    pub conn: Option<HttpConnection>,
    /// Connection attempts refused in a row; a whole round of them means every node is down.
    pub refused: usize,
}

/// The pause after every node refused a connection, so a client does not spin through thousands
/// of instant failures while the cluster is down.
const ALL_DOWN_PAUSE: std::time::Duration = std::time::Duration::from_millis(100);

impl EtcdClient {
    /// One gateway call on the current node, connecting first if needed. After an error the
    /// connection is dropped (its state is unknown) and, when the node looks unusable, the next
    /// call goes to the next node.
    async fn call(&mut self, path: &str, body: &Value) -> Result<Value, CallError> {
        if self.conn.is_none() {
            match HttpConnection::open(self.nodes[self.current].1).await {
                Ok(c) => {
                    self.conn = Some(c);
                    self.refused = 0;
                }
                Err(e) => {
                    self.rotate();
                    self.refused += 1;
                    if self.refused % self.nodes.len().max(1) == 0 {
                        tokio::time::sleep(ALL_DOWN_PAUSE).await;
                    }
                    return Err(CallError::Http(e));
                }
            }
        }
        let conn = self.conn.as_mut().expect("connected above");
        let result = gateway::call(conn, path, body).await;
        if let Err(e) = &result {
            self.conn = None;
            if e.suggests_another_node() {
                self.rotate();
            }
        }
        result
    }

    fn rotate(&mut self) {
        self.conn = None;
        self.current = (self.current + 1) % self.nodes.len().max(1);
    }

    async fn invoke_inner(&mut self, op: &Invocation) -> Completion {
        let node = self.nodes[self.current].0.clone();
        let mut done = match self.family {
            Family::ListAppend => self.list_append(op).await,
            family => match request(family, op) {
                None => Completion {
                    kind: OpType::Fail,
                    value: op.value.clone(),
                    error: Some(Value::String(format!(
                        "the etcd client has no operation {:?} (with key {:?}) for this workload",
                        op.f, op.key
                    ))),
                    node: None,
                },
                Some(req) => match self.call(req.path, &req.body).await {
                    Ok(answer) => completion(family, op, &answer),
                    Err(e) => error_completion(op, req.writes, &e),
                },
            },
        };
        done.node = Some(node);
        done
    }

    async fn list_append(&mut self, op: &Invocation) -> Completion {
        let plan = match ListTxn::parse(op) {
            Ok(p) => p,
            Err(e) => {
                return Completion {
                    kind: OpType::Fail,
                    value: op.value.clone(),
                    error: Some(Value::String(e)),
                    node: None,
                }
            }
        };
        let snapshot = match self.call(gateway::TXN, &plan.read_request()).await {
            Ok(answer) => plan.snapshot(&answer),
            Err(e) => return error_completion(op, false, &e),
        };
        let snapshot = match snapshot {
            Ok(s) => s,
            Err(e) => {
                let e = CallError::Unreadable(e);
                return error_completion(op, false, &e);
            }
        };
        let (value, write) = plan.apply(&snapshot);
        let Some(write) = write else {
            return Completion {
                kind: OpType::Ok,
                value,
                error: None,
                node: None,
            };
        };
        match self.call(gateway::TXN, &write).await {
            Ok(answer) if gateway::succeeded(&answer) => Completion {
                kind: OpType::Ok,
                value,
                error: None,
                node: None,
            },
            Ok(_) => Completion {
                kind: OpType::Fail,
                value: op.value.clone(),
                error: Some(json!("conflict: a key changed since the snapshot")),
                node: None,
            },
            Err(e) => error_completion(op, true, &e),
        }
    }
}

impl Client for EtcdClient {
    fn invoke<'a>(&'a mut self, op: &'a Invocation) -> BoxFuture<'a, Completion> {
        Box::pin(self.invoke_inner(op))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::etcd::http::HttpError;
    use gateway::b64;

    fn inv(f: &str, key: Option<Value>, value: Value) -> Invocation {
        Invocation::new(f, key, value)
    }

    #[test]
    fn register_operations_become_range_put_and_guarded_txn() {
        let r = request(Family::Register, &inv("read", Some(json!(0)), Value::Null)).unwrap();
        assert_eq!((r.path, r.writes), (gateway::RANGE, false));
        assert_eq!(r.body, json!({"key": b64(b"/faultline/register/0")}));
        let w = request(Family::Register, &inv("write", Some(json!(0)), json!(7))).unwrap();
        assert_eq!((w.path, w.writes), (gateway::PUT, true));
        assert_eq!(w.body["value"], json!(b64(b"7")));
        let cas = request(Family::Register, &inv("cas", Some(json!(2)), json!([3, 4]))).unwrap();
        assert_eq!(cas.path, gateway::TXN);
        let guard = &cas.body["compare"][0];
        assert_eq!(
            (guard["target"].as_str(), guard["value"].as_str()),
            (Some("VALUE"), Some(b64(b"3").as_str()))
        );
        assert_eq!(
            cas.body["success"][0]["request_put"]["value"],
            json!(b64(b"4"))
        );
        let from_nothing = request(
            Family::Register,
            &inv("cas", Some(json!(2)), json!([null, 4])),
        )
        .unwrap();
        assert_eq!(from_nothing.body["compare"][0]["target"], "VERSION");
        assert!(request(Family::Register, &inv("cas", Some(json!(2)), json!(5))).is_none());
        assert!(request(
            Family::Register,
            &inv("dequeue", Some(json!(2)), Value::Null)
        )
        .is_none());
    }

    #[test]
    fn register_answers_complete_reads_and_cas() {
        let read = inv("read", Some(json!(0)), Value::Null);
        let answer = json!({"kvs": [{"key": b64(b"/faultline/register/0"), "value": b64(b"12"), "mod_revision": "9"}]});
        let c = completion(Family::Register, &read, &answer);
        assert_eq!((c.kind, c.value), (OpType::Ok, json!(12)));
        let c = completion(Family::Register, &read, &json!({"header": {}}));
        assert_eq!((c.kind, c.value), (OpType::Ok, Value::Null));
        let cas = inv("cas", Some(json!(0)), json!([1, 2]));
        let c = completion(Family::Register, &cas, &json!({"header": {}}));
        assert_eq!(
            (c.kind, c.error),
            (OpType::Fail, Some(json!("cas-mismatch")))
        );
        let c = completion(Family::Register, &cas, &json!({"succeeded": true}));
        assert_eq!((c.kind, c.value), (OpType::Ok, json!([1, 2])));
    }

    #[test]
    fn set_adds_one_key_per_element_and_reads_the_prefix_sorted() {
        let add = request(Family::Set, &inv("add", Some(json!(0)), json!(15))).unwrap();
        assert_eq!(add.body["key"], json!(b64(b"/faultline/set/0/15")));
        let read = request(Family::Set, &inv("read", Some(json!(0)), Value::Null)).unwrap();
        assert_eq!(read.body["range_end"], json!(b64(b"/faultline/set/00")));
        let kv = |v: &[u8]| json!({"key": "eA==", "value": b64(v)});
        let answer = json!({"kvs": [kv(b"15"), kv(b"3"), kv(b"100")]});
        let c = completion(
            Family::Set,
            &inv("read", Some(json!(0)), Value::Null),
            &answer,
        );
        assert_eq!(c.value, json!([3, 15, 100]));
    }

    #[test]
    fn errors_fail_reads_and_only_definite_refusals_fail_writes() {
        let write = inv("write", Some(json!(0)), json!(1));
        let timed_out = CallError::Rejected {
            code: 14,
            message: "etcdserver: request timed out".into(),
        };
        let lost = CallError::Http(HttpError::Lost("reset".into()));
        let refused = CallError::Http(HttpError::NotSent("refused".into()));
        assert_eq!(
            error_completion(&write, true, &timed_out).kind,
            OpType::Info
        );
        assert_eq!(error_completion(&write, true, &lost).kind, OpType::Info);
        assert_eq!(error_completion(&write, true, &refused).kind, OpType::Fail);
        let read = inv("read", Some(json!(0)), Value::Null);
        assert_eq!(error_completion(&read, false, &lost).kind, OpType::Fail);
        assert_eq!(
            error_completion(&read, false, &timed_out).kind,
            OpType::Fail
        );
        let c = error_completion(&write, true, &timed_out);
        assert_eq!(c.value, json!(1));
        assert!(c.error.unwrap().as_str().unwrap().contains("timed out"));
    }

    fn txn_op(value: Value) -> Invocation {
        inv("txn", None, value)
    }

    #[test]
    fn list_append_reads_a_snapshot_then_writes_under_mod_revision_guards() {
        let op = txn_op(json!([
            ["r", 1, null],
            ["append", 2, 7],
            ["append", 1, 8],
            ["r", 1, null],
            ["append", 2, 9]
        ]));
        let plan = ListTxn::parse(&op).unwrap();
        assert!(plan.writes());
        let read = plan.read_request();
        assert_eq!(read["compare"], json!([]));
        assert_eq!(
            read["success"].as_array().unwrap().len(),
            2,
            "one range per key"
        );
        let answer = json!({"succeeded": true, "responses": [
            {"response_range": {"kvs": [{"key": b64(b"/faultline/list/1"), "value": b64(b"[5]"), "mod_revision": "11"}]}},
            {"response_range": {"header": {}}}
        ]});
        let snapshot = plan.snapshot(&answer).unwrap();
        assert_eq!(
            snapshot[0],
            Snapshot {
                list: Some(vec![json!(5)]),
                mod_revision: 11
            }
        );
        assert_eq!(snapshot[1], Snapshot::default());
        let (value, write) = plan.apply(&snapshot);
        // Reads see the snapshot and the transaction's own earlier appends.
        assert_eq!(
            value,
            json!([
                ["r", 1, [5]],
                ["append", 2, 7],
                ["append", 1, 8],
                ["r", 1, [5, 8]],
                ["append", 2, 9]
            ])
        );
        let write = write.unwrap();
        let revisions: Vec<&str> = write["compare"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["mod_revision"].as_str().unwrap())
            .collect();
        assert_eq!(revisions, ["11", "0"]);
        let puts = write["success"].as_array().unwrap();
        assert_eq!(puts.len(), 2, "one put per key: {puts:?}");
        assert_eq!(puts[0]["request_put"]["value"], json!(b64(b"[5,8]")));
        assert_eq!(puts[1]["request_put"]["value"], json!(b64(b"[7,9]")));
    }

    #[test]
    fn read_only_list_append_needs_no_write_and_absent_keys_read_null() {
        let plan = ListTxn::parse(&txn_op(json!([["r", 3, null]]))).unwrap();
        assert!(!plan.writes());
        let (value, write) = plan.apply(&[Snapshot::default()]);
        assert_eq!(value, json!([["r", 3, null]]));
        assert!(write.is_none());
    }

    #[test]
    fn list_append_refuses_register_writes_and_non_list_values() {
        assert!(ListTxn::parse(&txn_op(json!([["w", 1, 2]])))
            .unwrap_err()
            .contains("not w"));
        let plan = ListTxn::parse(&txn_op(json!([["r", 1, null]]))).unwrap();
        let answer = json!({"responses": [{"response_range": {"kvs": [{"key": "", "value": b64(b"3"), "mod_revision": "2"}]}}]});
        assert!(plan.snapshot(&answer).unwrap_err().contains("not a list"));
    }

    #[test]
    fn workloads_without_a_client_are_named() {
        assert_eq!(Family::of("kv"), Ok(Family::Register));
        let err = Family::of("bank").unwrap_err();
        assert!(err.contains("bank") && err.contains("list-append"), "{err}");
    }
}

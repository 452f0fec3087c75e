//! Workload operations as ZooKeeper requests, one session per client process, pinned to the node
//! the process starts on (a follower's reads come from that follower: that is what `reads=plain`
//! measures).
//!
//! | workload | operation | ZooKeeper |
//! |---|---|---|
//! | `register` | `read k` | [`sync`, then] `getData /faultline/register/k` (absent: `null`) |
//! | | `write k v` | `setData` (any version); absent: `create`, and `setData` if another create won |
//! | | `cas k [old new]` | `getData`; value = old: `setData` at the version read, else `fail` |
//! | `set` | `add k e` | `create /faultline/set/k/e` (one znode per element; already there: `ok`) |
//! | | `read k` | [`sync`, then] `getChildren /faultline/set/k` |
//! | `counter` | `add k d` | `getData`, `setData` n+d at the version read, again on `BadVersion` |
//! | | `read k` | [`sync`, then] `getData /faultline/counter/k` (absent: 0) |
//!
//! A cas whose versioned `setData` meets `BadVersion` failed: the value changed between the read
//! and the write, so the write was refused. Values are the JSON text of the workload value.
//! Outcomes follow [`super::errors`].

use std::net::SocketAddr;
use std::time::Duration;

use faultline_checkers::{OpType, Value};
use faultline_workloads::Invocation;
use zookeeper_client as zk;

use super::errors::ZkError;
use super::Reads;
use crate::etcd::client::{key_text, sort_values};
use crate::target::{BoxFuture, Client, Completion};

/// The workloads ZooKeeper has a client for.
pub const WORKLOADS: &[&str] = &["register", "set", "counter"];

/// The znodes every workload path hangs from, created once before the clients start.
pub const ROOTS: &[&str] = &[
    "/faultline",
    "/faultline/register",
    "/faultline/set",
    "/faultline/counter",
];

/// The session timeout the clients ask for: long enough to ride out a leader election (about two
/// ticks of the 1 s tick once a follower notices), short enough that a session cut off by a
/// partition expires within one nemesis period.
pub const SESSION_TIMEOUT: Duration = Duration::from_secs(4);

/// How long a client waits for a session before its operation fails (nothing was sent). Below
/// the harness's default 1 s operation timeout, so a node that does not serve shows as `fail`.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(600);

/// Attempts of a counter add that meets `BadVersion` (another add won the race) before it gives
/// up with `fail`.
pub const COUNTER_ATTEMPTS: usize = 5;

/// Which mapping of the table above a workload uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Register,
    Set,
    Counter,
}

impl Family {
    /// The family of `workload`, or why ZooKeeper has none.
    pub fn of(workload: &str) -> Result<Family, String> {
        match workload {
            "register" => Ok(Family::Register),
            "set" => Ok(Family::Set),
            "counter" => Ok(Family::Counter),
            other => Err(format!(
                "the zookeeper target has no client for workload {other}; it supports {}",
                WORKLOADS.join(", ")
            )),
        }
    }
}

pub fn register_path(key: &Value) -> String {
    format!("/faultline/register/{}", key_text(key))
}

pub fn set_dir(key: &Value) -> String {
    format!("/faultline/set/{}", key_text(key))
}

pub fn set_element_path(key: &Value, element: &Value) -> String {
    format!("{}/{}", set_dir(key), element)
}

pub fn counter_path(key: &Value) -> String {
    format!("/faultline/counter/{}", key_text(key))
}

fn encode(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).expect("JSON values serialise")
}

fn decode(path: &str, bytes: &[u8]) -> Result<Value, ZkError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ZkError::Unreadable(format!(
            "{path} holds {:?}, not JSON: {e}",
            String::from_utf8_lossy(bytes)
        ))
    })
}

/// A set read's elements from the child znodes' names, in the order a person expects.
pub fn elements(dir: &str, children: &[String]) -> Result<Vec<Value>, ZkError> {
    let mut values = children
        .iter()
        .map(|name| decode(&format!("{dir}/{name}"), name.as_bytes()))
        .collect::<Result<Vec<_>, _>>()?;
    sort_values(&mut values);
    Ok(values)
}

fn persistent() -> zk::CreateOptions<'static> {
    zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all())
}

/// Opens a session with the ZooKeeper server at `addr` only (never another: the process is pinned
/// to its node), giving up after one try of each address.
pub async fn connect(addr: SocketAddr) -> Result<zk::Client, zk::Error> {
    zk::Client::connector()
        .with_session_timeout(SESSION_TIMEOUT)
        .with_fail_eagerly()
        .connect(&addr.to_string())
        .await
}

/// Creates every znode of [`ROOTS`] that is missing, through a session to `addrs`.
pub async fn create_roots(addrs: &[SocketAddr]) -> Result<(), String> {
    let list = addrs
        .iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let session = zk::Client::connector()
        .with_session_timeout(SESSION_TIMEOUT)
        .connect(&list)
        .await
        .map_err(|e| format!("connect to {list}: {e}"))?;
    for path in ROOTS {
        match session.create(path, b"", &persistent()).await {
            Ok(_) | Err(zk::Error::NodeExists) => {}
            Err(e) => return Err(format!("create {path}: {e}")),
        }
    }
    Ok(())
}

/// One client process: one session at a time to one node, one operation in flight.
pub struct ZkClient {
    pub family: Family,
    pub reads: Reads,
    pub node: String,
    pub addr: SocketAddr,
    pub session: Option<zk::Client>,
}

fn read_err(step: &'static str) -> impl Fn(zk::Error) -> ZkError {
    move |source| ZkError::Read { step, source }
}

fn write_err(step: &'static str) -> impl Fn(zk::Error) -> ZkError {
    move |source| ZkError::Write { step, source }
}

fn ok(value: Value) -> Completion {
    Completion {
        kind: OpType::Ok,
        value,
        error: None,
        node: None,
    }
}

fn failed(value: Value, error: impl Into<String>) -> Completion {
    Completion {
        kind: OpType::Fail,
        value,
        error: Some(Value::String(error.into())),
        node: None,
    }
}

impl ZkClient {
    /// The open session, or a new one within [`CONNECT_TIMEOUT`].
    async fn session(&mut self) -> Result<zk::Client, ZkError> {
        if let Some(s) = &self.session {
            return Ok(s.clone());
        }
        let node = self.node.clone();
        let session = tokio::time::timeout(CONNECT_TIMEOUT, connect(self.addr))
            .await
            .map_err(|_| ZkError::ConnectTimeout {
                node: node.clone(),
                ms: CONNECT_TIMEOUT.as_millis(),
            })?
            .map_err(|source| ZkError::Connect { node, source })?;
        self.session = Some(session.clone());
        Ok(session)
    }

    /// A read of `path` as the run's read mode asks: after a `sync` with the leader or not.
    /// `None` when the znode does not exist.
    async fn get(
        &self,
        zk: &zk::Client,
        path: &str,
    ) -> Result<Option<(Vec<u8>, zk::Stat)>, ZkError> {
        self.sync(zk, path).await?;
        match zk.get_data(path).await {
            Ok(found) => Ok(Some(found)),
            Err(zk::Error::NoNode) => Ok(None),
            Err(e) => Err(read_err("getData")(e)),
        }
    }

    async fn sync(&self, zk: &zk::Client, path: &str) -> Result<(), ZkError> {
        if self.reads == Reads::Sync {
            zk.sync(path).await.map_err(read_err("sync"))?;
        }
        Ok(())
    }

    async fn perform(&mut self, op: &Invocation) -> Result<Completion, ZkError> {
        let Some(key) = op.key.clone() else {
            return Ok(failed(op.value.clone(), format!("{} needs a key", op.f)));
        };
        let zk = self.session().await?;
        match (self.family, op.f.as_str()) {
            (Family::Register, "read") => {
                let path = register_path(&key);
                Ok(ok(match self.get(&zk, &path).await? {
                    Some((data, _)) => decode(&path, &data)?,
                    None => Value::Null,
                }))
            }
            (Family::Register, "write") => {
                let path = register_path(&key);
                write_register(&zk, &path, &encode(&op.value)).await?;
                Ok(ok(op.value.clone()))
            }
            (Family::Register, "cas") => {
                let [old, new] = op.value.as_array().map(Vec::as_slice).unwrap_or_default() else {
                    return Ok(failed(op.value.clone(), "cas takes [old, new]"));
                };
                self.cas(&zk, &register_path(&key), old, new, &op.value)
                    .await
            }
            (Family::Set, "add") => {
                let dir = set_dir(&key);
                let path = set_element_path(&key, &op.value);
                create_under(&zk, &dir, &path, &encode(&op.value)).await?;
                Ok(ok(op.value.clone()))
            }
            (Family::Set, "read") => {
                let dir = set_dir(&key);
                self.sync(&zk, &dir).await?;
                let children = match zk.list_children(&dir).await {
                    Ok(c) => c,
                    Err(zk::Error::NoNode) => Vec::new(),
                    Err(e) => return Err(read_err("getChildren")(e)),
                };
                Ok(ok(Value::Array(elements(&dir, &children)?)))
            }
            (Family::Counter, "read") => {
                let path = counter_path(&key);
                Ok(ok(match self.get(&zk, &path).await? {
                    Some((data, _)) => decode(&path, &data)?,
                    None => Value::from(0),
                }))
            }
            (Family::Counter, "add") => add_to_counter(&zk, &counter_path(&key), &op.value).await,
            _ => Ok(failed(
                op.value.clone(),
                format!(
                    "the zookeeper client has no operation {:?} for this workload",
                    op.f
                ),
            )),
        }
    }

    /// Compare-and-set: a read, then a `setData` conditional on the version read (or a `create`
    /// when `old` is null and the znode is absent).
    async fn cas(
        &self,
        zk: &zk::Client,
        path: &str,
        old: &Value,
        new: &Value,
        value: &Value,
    ) -> Result<Completion, ZkError> {
        let mismatch = || Ok(failed(value.clone(), "cas-mismatch"));
        // The read step needs no sync: a stale value only makes the versioned write fail.
        let found = match zk.get_data(path).await {
            Ok(found) => Some(found),
            Err(zk::Error::NoNode) => None,
            Err(e) => return Err(read_err("getData")(e)),
        };
        match found {
            None if old.is_null() => match zk.create(path, &encode(new), &persistent()).await {
                Ok(_) => Ok(ok(value.clone())),
                Err(zk::Error::NodeExists) => mismatch(),
                Err(e) => Err(write_err("create")(e)),
            },
            None => mismatch(),
            Some((data, stat)) => {
                if decode(path, &data)? != *old {
                    return mismatch();
                }
                match zk.set_data(path, &encode(new), Some(stat.version)).await {
                    Ok(_) => Ok(ok(value.clone())),
                    Err(zk::Error::BadVersion) => mismatch(),
                    Err(e) => Err(write_err("setData")(e)),
                }
            }
        }
    }
}

/// An unconditional write: `setData`, or `create` when the znode is absent (and `setData` again if
/// a concurrent write created it first).
async fn write_register(zk: &zk::Client, path: &str, data: &[u8]) -> Result<(), ZkError> {
    match zk.set_data(path, data, None).await {
        Ok(_) => return Ok(()),
        Err(zk::Error::NoNode) => {}
        Err(e) => return Err(write_err("setData")(e)),
    }
    match zk.create(path, data, &persistent()).await {
        Ok(_) => Ok(()),
        Err(zk::Error::NodeExists) => zk
            .set_data(path, data, None)
            .await
            .map(|_| ())
            .map_err(write_err("setData")),
        Err(e) => Err(write_err("create")(e)),
    }
}

/// Creates `path` in `dir`, creating `dir` first when it is missing. A `path` that already
/// exists is success: adding an element twice leaves it in the set.
async fn create_under(zk: &zk::Client, dir: &str, path: &str, data: &[u8]) -> Result<(), ZkError> {
    match zk.create(path, data, &persistent()).await {
        Ok(_) | Err(zk::Error::NodeExists) => return Ok(()),
        Err(zk::Error::NoNode) => {}
        Err(e) => return Err(write_err("create")(e)),
    }
    match zk.create(dir, b"", &persistent()).await {
        Ok(_) | Err(zk::Error::NodeExists) => {}
        // Creating the directory changes no set: its failure cannot have added the element.
        Err(e) => return Err(read_err("create set znode")(e)),
    }
    match zk.create(path, data, &persistent()).await {
        Ok(_) | Err(zk::Error::NodeExists) => Ok(()),
        Err(e) => Err(write_err("create")(e)),
    }
}

/// Adds `delta` to the counter at `path`: read it, write the sum at the version read, again when
/// another add got in between (`BadVersion`: this write was refused).
async fn add_to_counter(zk: &zk::Client, path: &str, delta: &Value) -> Result<Completion, ZkError> {
    let Some(d) = delta.as_i64() else {
        return Ok(failed(delta.clone(), "counter add takes a whole number"));
    };
    for _ in 0..COUNTER_ATTEMPTS {
        let current = match zk.get_data(path).await {
            Ok((data, stat)) => Some((decode(path, &data)?, stat.version)),
            Err(zk::Error::NoNode) => None,
            Err(e) => return Err(read_err("getData")(e)),
        };
        let written = match current {
            None => zk
                .create(path, &encode(delta), &persistent())
                .await
                .map(|_| ())
                .map_err(|e| (e, "create")),
            Some((value, version)) => {
                let Some(n) = value.as_i64() else {
                    return Err(ZkError::Unreadable(format!(
                        "{path} holds {value}, not a number"
                    )));
                };
                zk.set_data(path, &encode(&Value::from(n + d)), Some(version))
                    .await
                    .map(|_| ())
                    .map_err(|e| (e, "setData"))
            }
        };
        match written {
            Ok(()) => return Ok(ok(delta.clone())),
            Err((zk::Error::BadVersion | zk::Error::NodeExists, _)) => continue,
            Err((e, step)) => return Err(write_err(step)(e)),
        }
    }
    Ok(failed(
        delta.clone(),
        format!("{COUNTER_ATTEMPTS} concurrent adds won the race in a row"),
    ))
}

impl ZkClient {
    async fn invoke_inner(&mut self, op: &Invocation) -> Completion {
        let mut done = match self.perform(op).await {
            Ok(done) => done,
            Err(e) => {
                if e.ends_session() {
                    self.session = None;
                }
                Completion {
                    kind: e.kind(),
                    value: op.value.clone(),
                    error: Some(Value::String(e.to_string())),
                    node: None,
                }
            }
        };
        done.node = Some(self.node.clone());
        done
    }
}

impl Client for ZkClient {
    fn invoke<'a>(&'a mut self, op: &'a Invocation) -> BoxFuture<'a, Completion> {
        Box::pin(self.invoke_inner(op))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_name_the_key_and_the_element() {
        assert_eq!(register_path(&json!(3)), "/faultline/register/3");
        assert_eq!(register_path(&json!("3")), "/faultline/register/3");
        assert_eq!(
            set_element_path(&json!(0), &json!(15)),
            "/faultline/set/0/15"
        );
        assert_eq!(counter_path(&json!(1)), "/faultline/counter/1");
        for root in ROOTS {
            assert!(register_path(&json!(0)).starts_with(ROOTS[0]), "{root}");
        }
        assert!(ROOTS.contains(&"/faultline/set"));
    }

    #[test]
    fn set_reads_parse_child_names_in_numeric_order() {
        let children = vec!["15".to_string(), "3".into(), "100".into()];
        assert_eq!(
            elements("/faultline/set/0", &children).unwrap(),
            vec![json!(3), json!(15), json!(100)]
        );
        let err = elements("/faultline/set/0", &["x y".to_string()]).unwrap_err();
        assert!(err.to_string().contains("/faultline/set/0/x y"), "{err}");
        assert_eq!(err.kind(), OpType::Fail);
    }

    #[test]
    fn workloads_without_a_client_are_named() {
        assert_eq!(Family::of("counter"), Ok(Family::Counter));
        let err = Family::of("list-append").unwrap_err();
        assert!(
            err.contains("list-append") && err.contains("register, set, counter"),
            "{err}"
        );
    }

    #[test]
    fn a_session_timeout_the_server_accepts_and_a_connect_bound_below_the_op_timeout() {
        // minSessionTimeout=2000 and maxSessionTimeout=20000 in the image's configuration.
        assert!(
            SESSION_TIMEOUT >= Duration::from_secs(2) && SESSION_TIMEOUT <= Duration::from_secs(20)
        );
        assert!(super::super::image::BASE_CONFIG.contains("minSessionTimeout=2000"));
        assert!(CONNECT_TIMEOUT < Duration::from_secs(1));
    }
}

//! The reference nodes (`targets/refnode`, DESIGN.md section 6) as a target: an image with the
//! `faultline-refnode` binary on the tools layer, one node command line per mode, a health probe
//! (`status`), and a client speaking `targets/refnode/PROTOCOL.md`.
//!
//! Error mapping (DESIGN.md section 2): the node's own `ok`/`fail`/`info` are kept; a request that
//! could not be sent (no connection) is `fail` — it cannot have happened; a connection lost or an
//! unreadable answer after sending is `info`. Timeouts are `info` (the harness applies them).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use faultline_checkers::{OpType, Value};
use faultline_refnode::protocol::{errors, OpKind, Outcome, Request, Response, Status};
use faultline_workloads::Invocation;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

use crate::role::{NodeRole, Role};
use crate::target::{
    BoxFuture, Client, ClusterSpec, Completion, ContextFile, ImageParent, ImageRecipe, OptionKind,
    Target, TargetError, TargetOption,
};

/// Client port of a reference node (PROTOCOL.md).
pub const CLIENT_PORT: u16 = 7000;
/// Port the nodes use among themselves.
pub const PEER_PORT: u16 = 7001;
/// Newest glibc symbol version a bookworm base provides.
const BOOKWORM_GLIBC_MINOR: u32 = 36;
const BINARY: &str = "faultline-refnode";

/// The refnode's replication patterns (DESIGN.md section 6); raft is the default.
const MODES: &[&str] = &["raft", "primary-backup", "lww", "quorum", "crdt"];

/// The refnode flags a run may set; each becomes `--NAME VALUE` on every node (`read-repair=false`
/// becomes `--no-read-repair`).
const OPTIONS: &[TargetOption] = &[
    TargetOption {
        name: "replication",
        kind: OptionKind::OneOf(&["sync", "async"]),
        help: "primary-backup: acknowledge after every backup (sync) or the primary alone (async, default)",
    },
    TargetOption {
        name: "failover-ms",
        kind: OptionKind::Count,
        help: "primary-backup: silence before a backup promotes itself (default 1000)",
    },
    TargetOption {
        name: "n",
        kind: OptionKind::Count,
        help: "quorum: replicas per key (default: every node)",
    },
    TargetOption {
        name: "r",
        kind: OptionKind::Count,
        help: "quorum: replies a read waits for (default 2)",
    },
    TargetOption {
        name: "w",
        kind: OptionKind::Count,
        help: "quorum: acknowledgements a write waits for (default 2)",
    },
    TargetOption {
        name: "resolve",
        kind: OptionKind::OneOf(&["vclock", "lww"]),
        help: "quorum: keep concurrent versions as siblings (vclock, default) or the newest stamp (lww)",
    },
    TargetOption {
        name: "read-repair",
        kind: OptionKind::Flag,
        help: "quorum: repair stale replicas on read (default true)",
    },
    TargetOption {
        name: "gossip-ms",
        kind: OptionKind::Count,
        help: "lww / crdt: anti-entropy interval",
    },
    TargetOption {
        name: "election-ms",
        kind: OptionKind::Count,
        help: "raft: election timeout lower bound (default 150)",
    },
    TargetOption {
        name: "heartbeat-ms",
        kind: OptionKind::Count,
        help: "raft: heartbeat interval (default 50)",
    },
];

/// The reference-node target.
#[derive(Clone, Debug, Default)]
pub struct Reference {
    /// Where the binary is; `None` looks in `FAULTLINE_REFNODE_BIN`, then next to the running
    /// executable's Cargo target folders.
    pub binary: Option<PathBuf>,
}

/// The binary the image will carry: an explicit path, `$FAULTLINE_REFNODE_BIN`, or the newest of
/// `target/{debug,release}/faultline-refnode` around the running executable.
pub fn find_binary(explicit: Option<&Path>) -> Result<PathBuf, TargetError> {
    find_workspace_binary(
        BINARY,
        "FAULTLINE_REFNODE_BIN",
        "faultline-refnode",
        explicit,
    )
}

/// A binary of this workspace that faultline ships into containers (`name`, from Cargo package
/// `package`): an explicit path, `$env_var`, or the newest of `target/{debug,release}/<name>`
/// around the running executable.
pub fn find_workspace_binary(
    name: &str,
    env_var: &str,
    package: &str,
    explicit: Option<&Path>,
) -> Result<PathBuf, TargetError> {
    if let Some(p) = explicit
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os(env_var).map(PathBuf::from))
    {
        return if p.is_file() {
            Ok(p)
        } else {
            Err(TargetError::Setup(format!(
                "{name} binary {} (from {env_var} or the command line) does not exist",
                p.display()
            )))
        };
    }
    let exe = std::env::current_exe().unwrap_or_default();
    let mut candidates = Vec::new();
    for dir in exe.ancestors().skip(1).take(3) {
        candidates.push(dir.join(name));
        if let Some(parent) = dir.parent() {
            candidates.push(parent.join("release").join(name));
            candidates.push(parent.join("debug").join(name));
        }
    }
    candidates
        .into_iter()
        .filter(|p| p.is_file())
        .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok())
        .ok_or_else(|| {
            TargetError::Setup(format!(
                "no {name} binary found near {}; build it with `cargo build --release -p {package}` or set {env_var}",
                exe.display()
            ))
        })
}

/// The newest `GLIBC_2.N` symbol version the binary needs (`None` for a static binary).
pub fn required_glibc_minor(binary: &[u8]) -> Option<u32> {
    let needle = b"GLIBC_2.";
    let mut best = None;
    let mut i = 0;
    while let Some(pos) = binary[i..].windows(needle.len()).position(|w| w == needle) {
        let start = i + pos + needle.len();
        let digits: String = binary[start..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .map(|b| *b as char)
            .collect();
        if let Ok(minor) = digits.parse::<u32>() {
            best = best.max(Some(minor));
        }
        i = start;
    }
    best
}

impl Reference {
    fn mode<'a>(&self, cluster: &'a ClusterSpec) -> &'a str {
        cluster.mode.as_deref().unwrap_or("raft")
    }
}

impl Target for Reference {
    fn name(&self) -> &'static str {
        "reference"
    }

    fn modes(&self) -> &'static [&'static str] {
        MODES
    }

    fn options(&self) -> &'static [TargetOption] {
        OPTIONS
    }

    fn image(&self) -> Result<ImageRecipe, TargetError> {
        let path = find_binary(self.binary.as_deref())?;
        let contents = std::fs::read(&path)
            .map_err(|e| TargetError::Setup(format!("cannot read {}: {e}", path.display())))?;
        if let Some(minor) = required_glibc_minor(&contents) {
            if minor > BOOKWORM_GLIBC_MINOR {
                return Err(TargetError::Setup(format!(
                    "{} needs glibc 2.{minor} but the bookworm base has 2.{BOOKWORM_GLIBC_MINOR}; build it on Debian bookworm",
                    path.display()
                )));
            }
        }
        Ok(ImageRecipe {
            name: "faultline-refnode".into(),
            parent: ImageParent::Tools,
            instructions: format!(
                "COPY {BINARY} /usr/local/bin/{BINARY}\nRUN mkdir -p /data\nWORKDIR /data\n"
            ),
            files: vec![ContextFile {
                path: BINARY.into(),
                contents,
                mode: 0o755,
            }],
        })
    }

    fn command(&self, cluster: &ClusterSpec, index: usize) -> Vec<String> {
        let peers = cluster
            .nodes
            .iter()
            .map(|n| format!("{}={}:{PEER_PORT}", n.name, n.ip))
            .collect::<Vec<_>>()
            .join(",");
        let mut cmd = vec![
            BINARY.to_string(),
            "--id".into(),
            cluster.nodes[index].name.clone(),
            "--mode".into(),
            self.mode(cluster).to_string(),
            "--listen".into(),
            format!("0.0.0.0:{CLIENT_PORT}"),
            "--peer-listen".into(),
            format!("0.0.0.0:{PEER_PORT}"),
            "--peers".into(),
            peers,
            "--data-dir".into(),
            "/data".into(),
            // The data directory lives in the service container, so a restart (docker start of
            // the same container) finds the state and ignores the flag.
            "--bootstrap".into(),
        ];
        if let Some(bug) = &cluster.bug {
            cmd.extend(["--bug".to_string(), bug.clone()]);
        }
        for (name, value) in &cluster.options {
            match (name.as_str(), value.as_str()) {
                ("read-repair", "true") => {}
                ("read-repair", _) => cmd.push("--no-read-repair".into()),
                _ => cmd.extend([format!("--{name}"), value.clone()]),
            }
        }
        cmd
    }

    fn inapplicable_checkers(&self, cluster: &ClusterSpec) -> Vec<(String, String)> {
        match self.mode(cluster) {
            mode @ ("raft" | "primary-backup") => vec![(
                "convergence".to_string(),
                format!(
                    "{mode} mode serves reads only at the leader/primary, so there are no per-replica final reads to compare"
                ),
            )],
            _ => Vec::new(),
        }
    }

    fn client_port(&self) -> u16 {
        CLIENT_PORT
    }

    fn clock_skew_support(&self) -> Result<(), TargetError> {
        // A Rust binary linked dynamically against glibc: libfaketime's LD_PRELOAD reaches its
        // clock_gettime calls.
        Ok(())
    }

    fn probe<'a>(
        &'a self,
        cluster: &'a ClusterSpec,
        index: usize,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let mut conn = Connection::open(cluster.addr(index, CLIENT_PORT)).await?;
            let answer = conn
                .call(&Request::new(0, OpKind::Status, None, Value::Null))
                .await
                .map_err(|e| format!("status: {e}"))?;
            match answer.outcome {
                Outcome::Ok => Ok(()),
                _ => Err(format!(
                    "status answered {}",
                    serde_json::to_string(&answer).unwrap_or_default()
                )),
            }
        })
    }

    fn role<'a>(&'a self, cluster: &'a ClusterSpec, index: usize) -> BoxFuture<'a, NodeRole> {
        Box::pin(async move {
            let Ok(mut conn) = Connection::open(cluster.addr(index, CLIENT_PORT)).await else {
                return NodeRole::UNKNOWN;
            };
            match conn
                .call(&Request::new(0, OpKind::Status, None, Value::Null))
                .await
            {
                Ok(answer) if answer.outcome == Outcome::Ok => status_role(&answer.value),
                _ => NodeRole::UNKNOWN,
            }
        })
    }

    fn client<'a>(
        &'a self,
        cluster: &'a ClusterSpec,
        workload: &'a str,
        index: usize,
    ) -> BoxFuture<'a, Result<Box<dyn Client>, String>> {
        Box::pin(async move {
            let nodes = cluster
                .nodes
                .iter()
                .enumerate()
                .map(|(i, n)| (n.name.clone(), cluster.addr(i, CLIENT_PORT)))
                .collect();
            let home = index % cluster.nodes.len().max(1);
            Ok(Box::new(RefClient {
                conns: (0..cluster.nodes.len()).map(|_| None).collect(),
                nodes,
                home,
                current: home,
                away: 0,
                next_id: 1,
                workload: workload.to_string(),
            }) as Box<dyn Client>)
        })
    }
}

/// The role a `status` answer reports (PROTOCOL.md): raft leader / primary lead, raft follower or
/// candidate / backup follow; leaderless modes' `replica` and anything unreadable are unknown.
pub fn status_role(value: &Value) -> NodeRole {
    let Ok(status) = serde_json::from_value::<Status>(value.clone()) else {
        return NodeRole::UNKNOWN;
    };
    let role = match status.role.as_str() {
        "leader" | "primary" => Role::Leader,
        "follower" | "candidate" | "backup" => Role::Follower,
        _ => return NodeRole::UNKNOWN,
    };
    NodeRole {
        role,
        term: Some(status.term),
    }
}

/// One JSON-lines connection, one request at a time.
struct Connection {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    line: String,
}

impl Connection {
    async fn open(addr: SocketAddr) -> Result<Connection, String> {
        let stream = tokio::time::timeout(Duration::from_secs(1), TcpStream::connect(addr))
            .await
            .map_err(|_| format!("connect to {addr} timed out"))?
            .map_err(|e| format!("connect to {addr}: {e}"))?;
        let _ = stream.set_nodelay(true);
        let (r, w) = stream.into_split();
        Ok(Connection {
            reader: BufReader::new(r),
            writer: w,
            line: String::new(),
        })
    }

    async fn send(&mut self, request: &Request) -> std::io::Result<()> {
        let mut bytes = serde_json::to_vec(request)?;
        bytes.push(b'\n');
        self.writer.write_all(&bytes).await
    }

    /// Reads answers until the one carrying `id`.
    async fn answer(&mut self, id: u64) -> Result<Response, String> {
        loop {
            self.line.clear();
            let n = self
                .reader
                .read_line(&mut self.line)
                .await
                .map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("connection closed".into());
            }
            let answer: Response = serde_json::from_str(self.line.trim())
                .map_err(|e| format!("unreadable answer {:?}: {e}", self.line.trim()))?;
            if answer.id == id {
                return Ok(answer);
            }
        }
    }

    async fn call(&mut self, request: &Request) -> Result<Response, String> {
        self.send(request).await.map_err(|e| e.to_string())?;
        self.answer(request.id).await
    }
}

/// The protocol request for a workload operation; `None` when the reference nodes have no such
/// operation.
pub fn request(workload: &str, op: &Invocation, id: u64) -> Option<Request> {
    let family = if workload.contains("set") {
        "set"
    } else if workload.contains("counter") {
        "counter"
    } else {
        ""
    };
    let kind = match (family, op.f.as_str()) {
        ("set", "add") => OpKind::SetAdd,
        ("set", "read") => OpKind::SetRead,
        ("counter", "add") => OpKind::CounterAdd,
        ("counter", "read") => OpKind::CounterRead,
        (_, "read") if workload.contains("bank") => OpKind::ReadAll,
        (_, "read") => OpKind::Read,
        (_, "write") => OpKind::Write,
        (_, "cas") => OpKind::Cas,
        (_, "txn") => OpKind::Txn,
        (_, "transfer") => OpKind::Transfer,
        _ => return None,
    };
    Some(Request::new(id, kind, op.key.clone(), op.value.clone()))
}

/// How an answer completes `op` (DESIGN.md section 2).
pub fn completion(op: &Invocation, answer: &Response, node: &str) -> Completion {
    let kind = match answer.outcome {
        Outcome::Ok => OpType::Ok,
        Outcome::Fail => OpType::Fail,
        Outcome::Info => OpType::Info,
    };
    let value = match (kind, op.f.as_str()) {
        // Reads (and transactions, whose reads the node fills in) complete with what was read.
        (OpType::Ok, "read" | "txn") => answer.value.clone(),
        _ => op.value.clone(),
    };
    Completion {
        kind,
        value,
        error: answer.error.clone().map(Value::String),
        node: Some(node.to_string()),
    }
}

/// How many operations a client that followed a leader hint sends before it goes back to its own
/// node. Going back costs one `not-leader` when its node follows, and keeps every node's clients
/// coming back to it, so a deposed leader that still answers is exercised (Jepsen pins clients to
/// nodes for the same reason); following keeps most operations on the node that can do them.
pub const HOME_EVERY: u32 = 32;

/// How long a client waits after `not-leader` from a node that knows no leader (an election is on)
/// before it tries the next node: asking again at once only learns the same thing.
pub const NO_LEADER_PAUSE: Duration = Duration::from_millis(20);

struct RefClient {
    nodes: Vec<(String, SocketAddr)>,
    /// The node this client belongs to (its slot's node).
    home: usize,
    current: usize,
    /// Operations sent since it left `home`.
    away: u32,
    /// One connection per node, kept across redirects.
    conns: Vec<Option<Connection>>,
    next_id: u64,
    workload: String,
}

impl RefClient {
    fn fail(&self, error: String, node: &str) -> Completion {
        Completion {
            kind: OpType::Fail,
            value: Value::Null,
            error: Some(Value::String(error)),
            node: Some(node.to_string()),
        }
    }

    /// Where the next operation goes after `done` from the current node: the leader it named, the
    /// next node when it knows none, and home after [`HOME_EVERY`] operations away.
    async fn steer(&mut self, done: &Completion, leader: Option<&str>) {
        if self.current != self.home {
            self.away += 1;
        }
        let not_leader = done.kind == OpType::Fail
            && done.error.as_ref().and_then(Value::as_str) == Some(errors::NOT_LEADER);
        if not_leader {
            match leader.and_then(|l| self.nodes.iter().position(|(n, _)| n == l)) {
                Some(i) if i != self.current => self.current = i,
                _ => {
                    tokio::time::sleep(NO_LEADER_PAUSE).await;
                    self.current = (self.current + 1) % self.nodes.len();
                }
            }
        } else if self.away >= HOME_EVERY {
            self.current = self.home;
        }
        if self.current == self.home {
            self.away = 0;
        }
    }

    async fn invoke_inner(&mut self, op: &Invocation) -> Completion {
        let (node, addr) = self.nodes[self.current].clone();
        let id = self.next_id;
        self.next_id += 1;
        let Some(req) = request(&self.workload, op, id) else {
            let mut c = self.fail(
                format!(
                    "the reference nodes have no operation {:?} for workload {}",
                    op.f, self.workload
                ),
                &node,
            );
            c.value = op.value.clone();
            return c;
        };
        if self.conns[self.current].is_none() {
            match Connection::open(addr).await {
                Ok(c) => self.conns[self.current] = Some(c),
                Err(e) => {
                    // Never sent: it cannot have happened. Try another node next time.
                    self.current = (self.current + 1) % self.nodes.len();
                    let mut c = self.fail(e, &node);
                    c.value = op.value.clone();
                    return c;
                }
            }
        }
        let conn = self.conns[self.current].as_mut().expect("connected above");
        let answer = match conn.call(&req).await {
            Ok(a) => a,
            Err(e) => {
                self.conns[self.current] = None;
                return Completion {
                    kind: OpType::Info,
                    value: op.value.clone(),
                    error: Some(Value::String(e)),
                    node: Some(node),
                };
            }
        };
        let done = completion(op, &answer, &node);
        self.steer(&done, answer.leader.as_deref()).await;
        done
    }
}

impl Client for RefClient {
    fn invoke<'a>(&'a mut self, op: &'a Invocation) -> BoxFuture<'a, Completion> {
        Box::pin(self.invoke_inner(op))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::NodeSpec;
    use serde_json::json;
    use std::net::Ipv4Addr;

    fn inv(f: &str, key: Option<Value>, value: Value) -> Invocation {
        Invocation {
            f: f.into(),
            key,
            value,
        }
    }

    #[test]
    fn workload_ops_map_onto_protocol_requests() {
        let wire = |r: Option<Request>| serde_json::to_value(r.unwrap()).unwrap();
        let w = wire(request(
            "register",
            &inv("write", Some(json!("k1")), json!(3)),
            9,
        ));
        assert_eq!(w, json!({"id": 9, "op": "write", "key": "k1", "value": 3}));
        let r = wire(request(
            "register",
            &inv("read", Some(json!("k1")), Value::Null),
            10,
        ));
        assert_eq!(r, json!({"id": 10, "op": "read", "key": "k1"}));
        let a = wire(request("set", &inv("add", Some(json!("s")), json!(5)), 1));
        assert_eq!(a["op"], "set-add");
        assert_eq!(
            wire(request("counter", &inv("add", None, json!(2)), 1))["op"],
            "counter-add"
        );
        assert_eq!(
            wire(request("bank", &inv("read", None, json!([0, 1])), 1))["op"],
            "read-all"
        );
        assert!(request("register", &inv("dequeue", None, Value::Null), 1).is_none());
    }

    #[test]
    fn answers_complete_with_read_values_and_errors() {
        let answer = |v: Value| serde_json::from_value::<Response>(v).unwrap();
        let read = inv("read", Some(json!("k")), Value::Null);
        let c = completion(&read, &answer(json!({"id":1,"type":"ok","value":7})), "n1");
        assert_eq!((c.kind, c.value), (OpType::Ok, json!(7)));
        let cas = inv("cas", Some(json!("k")), json!([1, 2]));
        let c = completion(
            &cas,
            &answer(json!({"id":1,"type":"fail","error":"cas-mismatch"})),
            "n2",
        );
        assert_eq!(c.kind, OpType::Fail);
        assert_eq!(c.value, json!([1, 2]));
        assert_eq!(c.error, Some(json!("cas-mismatch")));
        let c = completion(
            &cas,
            &answer(json!({"id":1,"type":"info","error":"timeout"})),
            "n2",
        );
        assert_eq!((c.kind, c.error), (OpType::Info, Some(json!("timeout"))));
        // An answer without an outcome is not a protocol answer: the client never takes it.
        assert!(serde_json::from_value::<Response>(json!({"id":1,"what":"?"})).is_err());
    }

    #[test]
    fn command_line_names_every_peer_and_the_bug() {
        let cluster = ClusterSpec {
            nodes: (0..3)
                .map(|i| NodeSpec {
                    name: format!("n{}", i + 1),
                    ip: Ipv4Addr::new(10, 0, 0, 2 + i),
                })
                .collect(),
            mode: None,
            bug: Some("stale-read".into()),
            options: Default::default(),
        };
        let cmd = Reference::default().command(&cluster, 1);
        assert_eq!(cmd[2], "n2");
        assert_eq!(cmd[4], "raft");
        assert!(cmd.contains(&"n1=10.0.0.2:7001,n2=10.0.0.3:7001,n3=10.0.0.4:7001".to_string()));
        assert_eq!(cmd[cmd.len() - 2..], ["--bug", "stale-read"]);
    }

    fn quorum(options: &[(&str, &str)]) -> ClusterSpec {
        ClusterSpec {
            nodes: vec![NodeSpec {
                name: "n1".into(),
                ip: Ipv4Addr::new(10, 0, 0, 2),
            }],
            mode: Some("quorum".into()),
            bug: None,
            options: options
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn target_options_become_refnode_flags() {
        let cluster = quorum(&[("r", "1"), ("w", "3"), ("read-repair", "false")]);
        crate::validate_cluster(&Reference::default(), &cluster).unwrap();
        let cmd = Reference::default().command(&cluster, 0).join(" ");
        assert!(cmd.contains("--r 1"), "{cmd}");
        assert!(cmd.contains("--w 3"), "{cmd}");
        assert!(cmd.contains("--no-read-repair"), "{cmd}");
    }

    #[test]
    fn bad_modes_and_options_are_refused_by_name() {
        let target = Reference::default();
        let err = |c: &ClusterSpec| crate::validate_cluster(&target, c).unwrap_err().to_string();
        let mut typo = quorum(&[]);
        typo.mode = Some("paxos".into());
        assert!(err(&typo).contains("no mode \"paxos\""), "{}", err(&typo));
        assert!(err(&quorum(&[("rr", "1")])).contains("no option \"rr\""));
        assert!(err(&quorum(&[("r", "0")])).contains("r=0: expected a whole number"));
        assert!(err(&quorum(&[("resolve", "x")])).contains("one of vclock, lww"));
    }

    #[test]
    fn status_answers_give_roles_with_terms() {
        let raft = |role: &str| json!({"mode": "raft", "node": "n1", "role": role, "term": 4, "commit_index": 9});
        let leader = status_role(&raft("leader"));
        assert_eq!((leader.role, leader.term), (Role::Leader, Some(4)));
        assert_eq!(status_role(&raft("candidate")).role, Role::Follower);
        assert_eq!(status_role(&raft("backup")).role, Role::Follower);
        assert_eq!(status_role(&raft("primary")).role, Role::Leader);
        assert_eq!(status_role(&raft("replica")), NodeRole::UNKNOWN);
        assert_eq!(status_role(&json!("garbage")), NodeRole::UNKNOWN);
    }

    #[test]
    fn glibc_requirement_is_the_newest_symbol_version() {
        let fake = b"xxGLIBC_2.2.5\0GLIBC_2.34\0GLIBC_2.17\0GLIBC_PRIVATE";
        assert_eq!(required_glibc_minor(fake), Some(34));
        assert_eq!(required_glibc_minor(b"static"), None);
    }
}

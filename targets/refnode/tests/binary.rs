//! The real binary, as the harness runs it: three `faultline-refnode --mode raft` processes on
//! loopback; one is SIGKILLed and restarted without `--bootstrap`, and no acknowledged write is
//! lost. Also: bad command lines exit 64 with a message that says what is wrong.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use faultline_refnode::client::Client;
use faultline_refnode::protocol::{OpKind, Outcome};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_faultline-refnode");

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Node {
    id: String,
    client: u16,
    peer: u16,
}

fn spawn(node: &Node, peers: &str, dir: &Path, extra: &[&str]) -> Child {
    Command::new(BIN)
        .args(["--mode", "raft", "--id", &node.id, "--peers", peers])
        .arg("--data-dir")
        .arg(dir.join(&node.id))
        .args(["--listen", &format!("127.0.0.1:{}", node.client)])
        .args(["--peer-listen", &format!("127.0.0.1:{}", node.peer)])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts")
}

async fn leader(nodes: &[Node]) -> Option<usize> {
    for _ in 0..100 {
        for (i, n) in nodes.iter().enumerate() {
            let addr = format!("127.0.0.1:{}", n.client).parse().unwrap();
            if let Ok(c) = Client::connect_with_timeout(addr, Duration::from_millis(200)).await {
                let st = c.call(OpKind::Status, None, Value::Null).await;
                if st.value["role"] == "leader" {
                    return Some(i);
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkilled_node_restarts_from_its_journal_and_nothing_acknowledged_is_lost() {
    let dir = std::env::temp_dir().join(format!("refnode-binary-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let nodes: Vec<Node> = (1..=3)
        .map(|i| Node {
            id: format!("n{i}"),
            client: free_port(),
            peer: free_port(),
        })
        .collect();
    let peers = nodes
        .iter()
        .map(|n| format!("{}=127.0.0.1:{}", n.id, n.peer))
        .collect::<Vec<_>>()
        .join(",");
    let mut children: Vec<Child> = nodes
        .iter()
        .map(|n| spawn(n, &peers, &dir, &["--bootstrap"]))
        .collect();
    let l = leader(&nodes).await.expect("a leader within 5 s");
    let addr = |i: usize| format!("127.0.0.1:{}", nodes[i].client).parse().unwrap();
    let client = Client::connect(addr(l)).await.unwrap();
    for v in 1..=20 {
        let a = client
            .call(OpKind::Txn, None, json!([["append", "k", v]]))
            .await;
        assert_eq!(a.outcome, Outcome::Ok, "{a:?}");
    }
    // SIGKILL every node (a power cut), then restart them all from their journals.
    for c in &mut children {
        c.kill().unwrap();
        c.wait().unwrap();
    }
    let mut children: Vec<Child> = nodes.iter().map(|n| spawn(n, &peers, &dir, &[])).collect();
    let l = leader(&nodes).await.expect("a leader after the restart");
    let client = Client::connect(addr(l)).await.unwrap();
    let read = client
        .call(OpKind::Txn, None, json!([["r", "k", null]]))
        .await;
    assert_eq!(read.outcome, Outcome::Ok, "{read:?}");
    assert_eq!(read.value[0][2], json!((1..=20).collect::<Vec<_>>()));
    for c in &mut children {
        c.kill().unwrap();
        c.wait().unwrap();
    }
    // A data directory that belongs to another node is refused.
    let out = Command::new(BIN)
        .args(["--mode", "raft", "--id", "n2", "--peers", &peers])
        .arg("--data-dir")
        .arg(dir.join("n1"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("belongs to node \"n1\""));
    // A node whose data directory is empty (its disk was lost) is refused unless asked to start
    // fresh, and raft refuses --join (no membership changes: it could vote twice in one term).
    let wiped = dir.join("wiped");
    let start = |extra: &[&str]| {
        Command::new(BIN)
            .args(["--mode", "raft", "--id", "n1", "--peers", &peers])
            .arg("--data-dir")
            .arg(&wiped)
            .args(extra)
            .output()
            .unwrap()
    };
    let out = start(&[]);
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds no state; pass --bootstrap"));
    let out = start(&["--join"]);
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not supported in raft mode"));
    // In a mode that catches up by replication, --join starts a new node on the empty directory.
    let mut joined = Command::new(BIN)
        .args(["--mode", "lww", "--id", "n1", "--peers", &peers, "--join"])
        .arg("--data-dir")
        .arg(&wiped)
        .args(["--listen", "127.0.0.1:0", "--peer-listen", "127.0.0.1:0"])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        joined.try_wait().unwrap().is_none(),
        "lww --join keeps running"
    );
    assert!(
        wiped.join("identity.json").exists(),
        "the new node claimed the directory"
    );
    joined.kill().unwrap();
    joined.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_command_lines_exit_64_and_say_what_is_wrong() {
    let out = Command::new(BIN)
        .args([
            "--mode",
            "raft",
            "--id",
            "n9",
            "--peers",
            "n1=127.0.0.1:1",
            "--data-dir",
            "/nonexistent/x",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"n9\" is not one of the --peers"));
    let out = Command::new(BIN)
        .args([
            "--mode",
            "raft",
            "--id",
            "n1",
            "--peers",
            "n1=127.0.0.1:1",
            "--data-dir",
            "/tmp/x",
            "--bug",
            "typo",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("known bugs"));
}

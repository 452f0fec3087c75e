//! The command line of `faultline-refnode`, and the data directory's identity check.

use std::collections::HashMap;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};

use clap::{Parser, ValueEnum};
use serde::{Deserialize, Serialize};

use crate::bugs::Bug;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModeName {
    Raft,
    PrimaryBackup,
    Lww,
    Quorum,
    Crdt,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Replication {
    Async,
    Sync,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ResolveName {
    Vclock,
    Lww,
}

/// A replicated key-value store whose modes are the replication patterns of DESIGN.md section 6.
#[derive(Debug, Parser)]
#[command(name = "faultline-refnode", version)]
pub struct Args {
    /// Replication pattern.
    #[arg(long, value_enum)]
    pub mode: ModeName,
    /// This node's id; must appear in --peers.
    #[arg(long)]
    pub id: String,
    /// Every member with its peer address, this node included: n1=10.0.0.2:7001,n2=...
    #[arg(long, value_delimiter = ',', required = true)]
    pub peers: Vec<String>,
    /// Where the journal lives (fsynced). Keep it across restarts.
    #[arg(long)]
    pub data_dir: PathBuf,
    /// Client address (PROTOCOL.md).
    #[arg(long, default_value = "0.0.0.0:7000")]
    pub listen: SocketAddr,
    /// Peer address.
    #[arg(long, default_value = "0.0.0.0:7001")]
    pub peer_listen: SocketAddr,
    /// Plant a bug: stale-read, early-ack, non-atomic-txn, lost-sibling. Repeatable.
    #[arg(long = "bug", value_parser = parse_bug)]
    pub bugs: Vec<Bug>,
    /// Start a new cluster: an empty --data-dir becomes this node's state. Ignored when the
    /// directory already holds the node's state (a restart recovers it).
    #[arg(long, conflicts_with = "join")]
    pub bootstrap: bool,
    /// Join a running cluster as a new node with an empty --data-dir, catching up from the others
    /// (not in raft mode: without membership changes a node that lost its state could vote twice in
    /// one term). Without --bootstrap or --join an empty directory is refused, so a node that lost
    /// its disk never rejoins as if nothing happened.
    #[arg(long)]
    pub join: bool,

    /// raft: election timeout lower bound (ms); the upper bound is twice it.
    #[arg(long, default_value_t = 150)]
    pub election_ms: u64,
    /// raft: heartbeat interval (ms).
    #[arg(long, default_value_t = 50)]
    pub heartbeat_ms: u64,

    /// primary-backup: acknowledge after the primary (async) or after every backup (sync).
    #[arg(long, value_enum, default_value = "async")]
    pub replication: Replication,
    /// primary-backup: silence (ms) after which the first backup promotes itself.
    #[arg(long, default_value_t = 1000)]
    pub failover_ms: u64,

    /// quorum: replicas per key (default: every node).
    #[arg(long)]
    pub n: Option<usize>,
    /// quorum: replies a read waits for.
    #[arg(long, default_value_t = 2)]
    pub r: usize,
    /// quorum: acknowledgements a write waits for.
    #[arg(long, default_value_t = 2)]
    pub w: usize,
    /// quorum: keep concurrent versions as siblings (vclock) or keep the newest stamp (lww).
    #[arg(long, value_enum, default_value = "vclock")]
    pub resolve: ResolveName,
    /// quorum: do not repair stale replicas on read.
    #[arg(long)]
    pub no_read_repair: bool,

    /// lww / crdt: anti-entropy interval (ms).
    #[arg(long)]
    pub gossip_ms: Option<u64>,
}

fn parse_bug(s: &str) -> Result<Bug, String> {
    s.parse()
}

/// A bad command line, said in words.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("--peers entry {0:?} is not NAME=HOST:PORT")]
    BadPeer(String),
    #[error("--peers entry {entry:?}: cannot resolve address: {message}")]
    Unresolvable { entry: String, message: String },
    #[error("--id {0:?} is not one of the --peers")]
    NotAMember(String),
    #[error("--peers names {0:?} twice")]
    Duplicate(String),
    #[error("quorum: need 1 <= R, W <= N = {n}; got R = {r}, W = {w}")]
    BadQuorum { n: usize, r: usize, w: usize },
    #[error("data directory {dir}: {message}")]
    DataDir { dir: String, message: String },
}

/// `--peers` in order, resolved.
pub fn parse_peers(entries: &[String]) -> Result<Vec<(String, SocketAddr)>, ConfigError> {
    let mut out: Vec<(String, SocketAddr)> = Vec::new();
    for entry in entries {
        let (name, addr) = entry
            .split_once('=')
            .filter(|(n, a)| !n.is_empty() && !a.is_empty())
            .ok_or_else(|| ConfigError::BadPeer(entry.clone()))?;
        let addr = addr
            .to_socket_addrs()
            .map_err(|e| ConfigError::Unresolvable {
                entry: entry.clone(),
                message: e.to_string(),
            })?
            .next()
            .ok_or_else(|| ConfigError::Unresolvable {
                entry: entry.clone(),
                message: "no address".into(),
            })?;
        if out.iter().any(|(n, _)| n == name) {
            return Err(ConfigError::Duplicate(name.to_string()));
        }
        out.push((name.to_string(), addr));
    }
    Ok(out)
}

impl Args {
    /// Member ids in order and their peer addresses, after checking `--id` is one of them.
    pub fn members(&self) -> Result<(Vec<String>, HashMap<String, SocketAddr>), ConfigError> {
        let peers = parse_peers(&self.peers)?;
        if !peers.iter().any(|(n, _)| *n == self.id) {
            return Err(ConfigError::NotAMember(self.id.clone()));
        }
        let order = peers.iter().map(|(n, _)| n.clone()).collect();
        Ok((order, peers.into_iter().collect()))
    }

    pub fn check_quorum(&self, nodes: usize) -> Result<(), ConfigError> {
        let n = self.n.unwrap_or(nodes).min(nodes);
        if self.mode == ModeName::Quorum && (self.r == 0 || self.w == 0 || self.r > n || self.w > n)
        {
            return Err(ConfigError::BadQuorum {
                n,
                r: self.r,
                w: self.w,
            });
        }
        Ok(())
    }
}

/// Who a data directory belongs to, written on first start.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    pub id: String,
    pub mode: ModeName,
}

const IDENTITY_FILE: &str = "identity.json";

/// How a node may treat an empty data directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fresh {
    /// Refuse it: this node had state and lost it (the default, and what a restart needs).
    Refuse,
    /// `--bootstrap`: a new cluster starts here.
    Bootstrap,
    /// `--join`: a new node joins a running cluster.
    Join,
}

impl Args {
    /// What the flags allow for an empty data directory; `--join` is refused in raft mode.
    pub fn fresh(&self) -> Result<Fresh, ConfigError> {
        match (self.bootstrap, self.join) {
            (_, true) if self.mode == ModeName::Raft => Err(ConfigError::DataDir {
                dir: self.data_dir.display().to_string(),
                message: "--join is not supported in raft mode: the reference Raft has no \
                          membership changes, and a node that lost its vote could vote twice in \
                          one term; start a new cluster with --bootstrap instead"
                    .into(),
            }),
            (_, true) => Ok(Fresh::Join),
            (true, _) => Ok(Fresh::Bootstrap),
            _ => Ok(Fresh::Refuse),
        }
    }
}

/// Checks (or, for a new directory, records) that `dir` holds this node's state: a directory of
/// another node or mode is refused, and so is an empty one unless `fresh` allows it.
pub fn claim_data_dir(dir: &Path, identity: &Identity, fresh: Fresh) -> Result<(), ConfigError> {
    let err = |message: String| ConfigError::DataDir {
        dir: dir.display().to_string(),
        message,
    };
    std::fs::create_dir_all(dir).map_err(|e| err(format!("cannot create it: {e}")))?;
    let path = dir.join(IDENTITY_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let found: Identity = serde_json::from_slice(&bytes)
                .map_err(|e| err(format!("{IDENTITY_FILE} is unreadable: {e}")))?;
            if &found != identity {
                return Err(err(format!(
                    "it belongs to node {:?} in mode {:?}, not {:?} in mode {:?}",
                    found.id, found.mode, identity.id, identity.mode
                )));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if fresh == Fresh::Refuse {
                return Err(err(
                    "it holds no state; pass --bootstrap to start a new cluster or --join to join \
                     a running one (a restart after losing the disk must not pass either)"
                        .into(),
                ));
            }
            let bytes = serde_json::to_vec(identity).expect("identity serialises");
            std::fs::write(&path, bytes)
                .and_then(|_| std::fs::File::open(&path)?.sync_all())
                .map_err(|e| err(format!("cannot write {IDENTITY_FILE}: {e}")))
        }
        Err(e) => Err(err(format!("cannot read {IDENTITY_FILE}: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_parse_in_order_and_bad_entries_say_which() {
        let peers = parse_peers(&["n1=127.0.0.1:7001".into(), "n2=127.0.0.1:7002".into()]).unwrap();
        assert_eq!(peers[1].0, "n2");
        let err = parse_peers(&["n1:7001".into()]).unwrap_err().to_string();
        assert!(err.contains("n1:7001"), "{err}");
    }

    #[test]
    fn a_data_dir_of_another_node_is_refused() {
        let dir = std::env::temp_dir().join(format!("refnode-claim-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let me = Identity {
            id: "n1".into(),
            mode: ModeName::Raft,
        };
        let err = claim_data_dir(&dir, &me, Fresh::Refuse)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--bootstrap"),
            "empty dir without a flag: {err}"
        );
        claim_data_dir(&dir, &me, Fresh::Bootstrap).unwrap();
        claim_data_dir(&dir, &me, Fresh::Refuse).unwrap();
        let other = Identity {
            id: "n2".into(),
            mode: ModeName::Raft,
        };
        let err = claim_data_dir(&dir, &other, Fresh::Bootstrap)
            .unwrap_err()
            .to_string();
        assert!(err.contains("n1") && err.contains("n2"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

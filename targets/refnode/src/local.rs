//! A cluster of nodes on loopback inside the current tokio runtime (multi-threaded), for
//! integration tests and the benchmark: real sockets, real journals in a directory, kill and
//! restart. The harness runs the binary in Docker instead.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::bugs::Bugs;
use crate::client::Client;
use crate::clock::SystemClock;
use crate::journal::FileStore;
use crate::modes::{Mode, NodeContext};
use crate::node::{self, Listeners, RunningNode};

/// Builds a node's mode from its context.
pub type ModeFactory<M> = Arc<dyn Fn(NodeContext) -> std::io::Result<M> + Send + Sync>;

pub struct LocalCluster<M: Mode> {
    names: Vec<String>,
    peer_addrs: HashMap<String, SocketAddr>,
    client_addrs: Vec<SocketAddr>,
    dirs: Vec<PathBuf>,
    nodes: Vec<Option<RunningNode>>,
    bugs: Bugs,
    factory: ModeFactory<M>,
}

async fn bind_retrying(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let mut last = None;
    for _ in 0..50 {
        match TcpListener::bind(addr).await {
            Ok(l) => return Ok(l),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("bind failed")))
}

impl<M: Mode> LocalCluster<M> {
    /// Starts `n` nodes n1..nN with journals under `dir/<name>`.
    pub async fn start(
        n: usize,
        dir: PathBuf,
        bugs: Bugs,
        factory: ModeFactory<M>,
    ) -> std::io::Result<LocalCluster<M>> {
        let names: Vec<String> = (1..=n).map(|i| format!("n{i}")).collect();
        let mut client_listeners = Vec::new();
        let mut peer_listeners = Vec::new();
        let mut peer_addrs = HashMap::new();
        for name in &names {
            let c = TcpListener::bind("127.0.0.1:0").await?;
            let p = TcpListener::bind("127.0.0.1:0").await?;
            peer_addrs.insert(name.clone(), p.local_addr()?);
            client_listeners.push(c);
            peer_listeners.push(p);
        }
        let mut cluster = LocalCluster {
            client_addrs: client_listeners
                .iter()
                .map(|l| l.local_addr())
                .collect::<Result<_, _>>()?,
            dirs: names.iter().map(|n| dir.join(n)).collect(),
            names,
            peer_addrs,
            nodes: Vec::new(),
            bugs,
            factory,
        };
        for (i, (client, peer)) in client_listeners.into_iter().zip(peer_listeners).enumerate() {
            let node = cluster.launch(i, Listeners { client, peer })?;
            cluster.nodes.push(Some(node));
        }
        Ok(cluster)
    }

    fn launch(&self, i: usize, listeners: Listeners) -> std::io::Result<RunningNode> {
        let ctx = NodeContext {
            id: self.names[i].clone(),
            nodes: self.names.clone(),
            bugs: self.bugs.clone(),
            clock: Arc::new(SystemClock),
            store: Box::new(FileStore::open(&self.dirs[i], "journal.jsonl")?),
            now_ms: 0,
            seed: i as u64 + 1,
        };
        let mode = (self.factory)(ctx)?;
        node::start(mode, &self.names[i], &self.peer_addrs, listeners)
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn client_addr(&self, i: usize) -> SocketAddr {
        self.client_addrs[i]
    }

    /// Stops node `i` abruptly (sockets close, nothing more is written).
    pub fn kill(&mut self, i: usize) {
        if let Some(node) = self.nodes[i].take() {
            node.kill();
        }
    }

    /// Starts node `i` again on the same addresses and journal.
    pub async fn restart(&mut self, i: usize) -> std::io::Result<()> {
        let client = bind_retrying(self.client_addrs[i]).await?;
        let peer = bind_retrying(self.peer_addrs[&self.names[i]]).await?;
        let node = self.launch(i, Listeners { client, peer })?;
        self.nodes[i] = Some(node);
        Ok(())
    }

    /// The node whose `status` says it leads (raft / primary-backup), waiting up to `max`.
    pub async fn wait_for_leader(&self, max: Duration) -> Option<usize> {
        let deadline = tokio::time::Instant::now() + max;
        while tokio::time::Instant::now() < deadline {
            for i in 0..self.len() {
                if self.nodes[i].is_none() {
                    continue;
                }
                let Ok(client) =
                    Client::connect_with_timeout(self.client_addrs[i], Duration::from_millis(300))
                        .await
                else {
                    continue;
                };
                if let Ok(status) = client.status().await {
                    if status.role == "leader" || status.role == "primary" {
                        return Some(i);
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    }
}

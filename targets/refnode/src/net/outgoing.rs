//! Outgoing peer links: one task per peer owns the connection and writes queued lines.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use super::Hello;
use crate::node::Tasks;

/// Lines queued per peer before new ones are dropped (a partitioned peer must not eat memory).
const QUEUE: usize = 8192;
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
const WRITE_TIMEOUT: Duration = Duration::from_millis(1000);
const REDIAL_PAUSE: Duration = Duration::from_millis(100);

/// Senders to every peer.
pub struct PeerLinks {
    links: HashMap<String, mpsc::Sender<Vec<u8>>>,
}

impl PeerLinks {
    /// Starts one dialing task per peer.
    pub fn start(me: &str, peers: &HashMap<String, SocketAddr>, tasks: &Tasks) -> PeerLinks {
        let mut links = HashMap::new();
        for (peer, addr) in peers {
            if peer == me {
                continue;
            }
            let (tx, rx) = mpsc::channel(QUEUE);
            links.insert(peer.clone(), tx);
            tasks.spawn(run_link(me.to_string(), *addr, rx));
        }
        PeerLinks { links }
    }

    /// Queues one serialised message for `peer`; drops it if the peer is unknown or backed up.
    pub fn send(&self, peer: &str, line: Vec<u8>) {
        if let Some(tx) = self.links.get(peer) {
            let _ = tx.try_send(line);
        }
    }
}

async fn run_link(me: String, addr: SocketAddr, mut rx: mpsc::Receiver<Vec<u8>>) {
    let mut hello = serde_json::to_vec(&Hello { from: me }).expect("hello serialises");
    hello.push(b'\n');
    loop {
        let stream = match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await {
            Ok(Ok(s)) => s,
            _ => {
                // Unreachable: what was queued is dropped, as a lossy network would.
                while rx.try_recv().is_ok() {}
                tokio::time::sleep(REDIAL_PAUSE).await;
                continue;
            }
        };
        super::tune_socket(&stream);
        if write_lines(stream, &hello, &mut rx).await.is_none() {
            return; // the node is shutting down
        }
        tokio::time::sleep(REDIAL_PAUSE).await;
    }
}

/// Writes queued lines until the connection fails (`Some`) or the queue closes (`None`).
async fn write_lines(
    mut stream: TcpStream,
    hello: &[u8],
    rx: &mut mpsc::Receiver<Vec<u8>>,
) -> Option<()> {
    let mut buf = hello.to_vec();
    loop {
        if !buf.is_empty() {
            match tokio::time::timeout(WRITE_TIMEOUT, stream.write_all(&buf)).await {
                Ok(Ok(())) => buf.clear(),
                _ => return Some(()),
            }
        }
        let line = rx.recv().await?;
        buf.extend_from_slice(&line);
        buf.push(b'\n');
        while buf.len() < 1 << 20 {
            match rx.try_recv() {
                Ok(line) => {
                    buf.extend_from_slice(&line);
                    buf.push(b'\n');
                }
                Err(_) => break,
            }
        }
    }
}

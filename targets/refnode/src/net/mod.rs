//! Peer transport: JSON lines over TCP between nodes. Each node dials every peer once (one
//! outgoing connection per peer, first line a [`Hello`]) and accepts the peers' connections on its
//! peer port. Delivery is best effort, as the modes assume: while a peer is unreachable its messages
//! are dropped rather than queued, a write that stalls (a partition that swallows packets) drops
//! the connection and redials, so a healed partition carries traffic again within about a second.

pub mod incoming;
pub mod outgoing;

use serde::{Deserialize, Serialize};

/// The first line on a peer connection: who is talking.
#[derive(Debug, Serialize, Deserialize)]
pub struct Hello {
    pub from: String,
}

/// How long sent data may stay unacknowledged before the kernel gives up on a connection.
pub const USER_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(1500);

/// Disables Nagle (requests and answers are small and latency-bound) and sets `TCP_USER_TIMEOUT`,
/// so a connection across a partition that drops packets errors out within [`USER_TIMEOUT`] and
/// is redialled, rather than sitting in TCP's exponential retransmission backoff long after the
/// partition healed.
pub fn tune_socket(stream: &tokio::net::TcpStream) {
    let _ = stream.set_nodelay(true);
    let _ = socket2::SockRef::from(stream).set_tcp_user_timeout(Some(USER_TIMEOUT));
}

pub use incoming::accept_peers;
pub use outgoing::PeerLinks;

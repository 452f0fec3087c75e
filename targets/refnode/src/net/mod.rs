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

pub use incoming::accept_peers;
pub use outgoing::PeerLinks;

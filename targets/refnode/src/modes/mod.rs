//! The replication modes of DESIGN.md section 6, one file each. Every mode is a sans-IO state
//! machine behind [`Mode`]: the runtime (`node.rs`) and the in-memory simulations of the tests feed
//! it client requests, peer messages and ticks, and carry out the [`Effects`] it returns.

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::bugs::Bugs;
use crate::clock::WallClock;
use crate::journal::Store;
use crate::protocol::{Request, Response, Status};

pub mod crdt;
pub mod lww;
pub mod primary_backup;
pub mod quorum;
pub mod raft;

pub type NodeId = String;

/// Names one client request inside a node, so its answer finds its connection.
pub type Token = u64;

/// What a mode wants done. Messages and answers are only released after [`Mode::flush`] made the
/// state that produced them durable.
#[derive(Debug)]
pub struct Effects<M> {
    pub messages: Vec<(NodeId, M)>,
    pub replies: Vec<(Token, Response)>,
}

impl<M> Default for Effects<M> {
    fn default() -> Self {
        Effects {
            messages: Vec::new(),
            replies: Vec::new(),
        }
    }
}

impl<M> Effects<M> {
    pub fn reply(&mut self, token: Token, response: Response) {
        self.replies.push((token, response));
    }

    pub fn send(&mut self, to: &str, msg: M) {
        self.messages.push((to.to_string(), msg));
    }
}

/// What every mode is built from.
pub struct NodeContext {
    pub id: NodeId,
    /// Every member, this node included, in the order given on the command line.
    pub nodes: Vec<NodeId>,
    pub bugs: Bugs,
    /// Wall clock (only `lww` and quorum's LWW resolution read it).
    pub clock: Arc<dyn WallClock>,
    /// Where the mode's journal lives.
    pub store: Box<dyn Store>,
    /// Monotonic time at start, in ms.
    pub now_ms: u64,
    /// Mixed into random choices (election timeouts), so simulations can vary them.
    pub seed: u64,
}

impl NodeContext {
    /// Takes the journal store out of the context (a mode owns it from then on).
    pub fn take_store(&mut self) -> Box<dyn Store> {
        std::mem::replace(&mut self.store, Box::new(crate::journal::MemStore::new()))
    }

    pub fn peers(&self) -> Vec<NodeId> {
        self.nodes
            .iter()
            .filter(|n| **n != self.id)
            .cloned()
            .collect()
    }
}

/// A replication mode as a sans-IO state machine. `now_ms` is monotonic milliseconds.
pub trait Mode: Send + 'static {
    type Msg: Serialize + DeserializeOwned + Clone + Send + std::fmt::Debug + 'static;

    fn on_client(&mut self, token: Token, req: Request, now_ms: u64, fx: &mut Effects<Self::Msg>);
    fn on_peer(&mut self, from: &str, msg: Self::Msg, now_ms: u64, fx: &mut Effects<Self::Msg>);
    fn on_tick(&mut self, now_ms: u64, fx: &mut Effects<Self::Msg>);
    /// Makes this batch's state durable (one fsync), then adds the effects that waited for it.
    fn flush(&mut self, now_ms: u64, fx: &mut Effects<Self::Msg>) -> std::io::Result<()>;
    /// The `status` answer: role, term/epoch, leader, commit index, replication lag.
    fn status(&self) -> Status;
}

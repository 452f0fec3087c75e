//! Starting a node from its command line: the mode `--mode` names, built with its options, on the
//! given listeners. The binary (`main.rs`) and in-process clusters (the harness's in-process
//! backend) both start nodes this way, so they run the same modes with the same settings.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use crate::bugs::Bugs;
use crate::clock::WallClock;
use crate::config::{Args, ModeName, Replication, ResolveName};
use crate::journal::FileStore;
use crate::modes::crdt::{CrdtMode, CrdtOptions};
use crate::modes::lww::{LwwMode, LwwOptions};
use crate::modes::primary_backup::{PbOptions, PrimaryBackupMode};
use crate::modes::quorum::{QuorumMode, QuorumOptions, Resolve};
use crate::modes::raft::RaftMode;
use crate::modes::NodeContext;
use crate::node::{self, Listeners, RunningNode};

/// Why a node could not start.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("cannot open the journal in {dir}: {source}")]
    Journal {
        dir: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot recover state: {0}")]
    Recover(#[source] std::io::Error),
    #[error("cannot serve: {0}")]
    Serve(#[source] std::io::Error),
}

/// Starts the node `args` describe (its data directory already claimed) on `listeners`, reading
/// wall-clock time from `clock`; `peers` maps every member to the address this node dials it at.
pub fn start_node(
    args: &Args,
    nodes: Vec<String>,
    peers: &HashMap<String, SocketAddr>,
    clock: Arc<dyn WallClock>,
    seed: u64,
    listeners: Listeners,
) -> Result<RunningNode, LaunchError> {
    let store = FileStore::open(&args.data_dir, "journal.jsonl").map_err(|source| {
        LaunchError::Journal {
            dir: args.data_dir.clone(),
            source,
        }
    })?;
    let ctx = NodeContext {
        id: args.id.clone(),
        nodes,
        bugs: args.bugs.iter().copied().collect::<Bugs>(),
        clock,
        store: Box::new(store),
        now_ms: 0,
        seed,
    };
    let id = args.id.as_str();
    let serve = |r: std::io::Result<RunningNode>| r.map_err(LaunchError::Serve);
    match args.mode {
        ModeName::Raft => {
            let (election, heartbeat) = (args.election_ms, args.heartbeat_ms);
            let mode = RaftMode::with_config(ctx, |c| {
                c.election_min_ms = election;
                c.election_max_ms = election * 2;
                c.heartbeat_ms = heartbeat;
            })
            .map_err(LaunchError::Recover)?;
            serve(node::start(mode, id, peers, listeners))
        }
        ModeName::PrimaryBackup => {
            let options = PbOptions {
                sync: args.replication == Replication::Sync,
                failover_ms: args.failover_ms,
                ..PbOptions::default()
            };
            let mode = PrimaryBackupMode::new(ctx, options).map_err(LaunchError::Recover)?;
            serve(node::start(mode, id, peers, listeners))
        }
        ModeName::Lww => {
            let mut options = LwwOptions::default();
            if let Some(g) = args.gossip_ms {
                options.gossip_ms = g;
            }
            let mode = LwwMode::new(ctx, options).map_err(LaunchError::Recover)?;
            serve(node::start(mode, id, peers, listeners))
        }
        ModeName::Quorum => {
            let options = QuorumOptions {
                n: args.n,
                r: args.r,
                w: args.w,
                resolve: match args.resolve {
                    ResolveName::Vclock => Resolve::VectorClock,
                    ResolveName::Lww => Resolve::Lww,
                },
                read_repair: !args.no_read_repair,
                ..QuorumOptions::default()
            };
            let mode = QuorumMode::new(ctx, options).map_err(LaunchError::Recover)?;
            serve(node::start(mode, id, peers, listeners))
        }
        ModeName::Crdt => {
            let mut options = CrdtOptions::default();
            if let Some(g) = args.gossip_ms {
                options.gossip_ms = g;
            }
            let mode = CrdtMode::new(ctx, options).map_err(LaunchError::Recover)?;
            serve(node::start(mode, id, peers, listeners))
        }
    }
}

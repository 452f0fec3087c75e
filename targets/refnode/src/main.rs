//! faultline-refnode: the reference node (DESIGN.md section 6). See `.readme/refnode.md`.
//!
//! Exit codes: 64 bad command line or data directory of another node; 3 cannot bind, persist or
//! run.

use std::sync::Arc;

use clap::Parser;
use faultline_refnode::bugs::Bugs;
use faultline_refnode::clock::SystemClock;
use faultline_refnode::config::{
    claim_data_dir, Args, Identity, ModeName, Replication, ResolveName,
};
use faultline_refnode::journal::FileStore;
use faultline_refnode::modes::crdt::{CrdtMode, CrdtOptions};
use faultline_refnode::modes::lww::{LwwMode, LwwOptions};
use faultline_refnode::modes::primary_backup::{PbOptions, PrimaryBackupMode};
use faultline_refnode::modes::quorum::{QuorumMode, QuorumOptions, Resolve};
use faultline_refnode::modes::raft::RaftMode;
use faultline_refnode::modes::{Mode, NodeContext};
use faultline_refnode::node::{self, Listeners};

fn main() {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) if e.use_stderr() => {
            let _ = e.print();
            std::process::exit(64);
        }
        Err(e) => {
            let _ = e.print();
            std::process::exit(0);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let code = match run(args) {
        Ok(()) => 0,
        Err((code, message)) => {
            eprintln!("faultline-refnode: {message}");
            code
        }
    };
    std::process::exit(code);
}

type Failure = (i32, String);

fn run(args: Args) -> Result<(), Failure> {
    let usage = |e: faultline_refnode::config::ConfigError| (64, e.to_string());
    let (nodes, peers) = args.members().map_err(usage)?;
    args.check_quorum(nodes.len()).map_err(usage)?;
    let identity = Identity {
        id: args.id.clone(),
        mode: args.mode,
    };
    let fresh = args.fresh().map_err(usage)?;
    claim_data_dir(&args.data_dir, &identity, fresh).map_err(usage)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| (3, format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        let store =
            FileStore::open(&args.data_dir, "journal.jsonl").map_err(|e| (3, e.to_string()))?;
        let ctx = NodeContext {
            id: args.id.clone(),
            nodes,
            bugs: args.bugs.iter().copied().collect::<Bugs>(),
            clock: Arc::new(SystemClock),
            store: Box::new(store),
            now_ms: 0,
            seed: std::process::id() as u64,
        };
        let io = |e: std::io::Error| (3, format!("cannot recover state: {e}"));
        match args.mode {
            ModeName::Raft => {
                let (election, heartbeat) = (args.election_ms, args.heartbeat_ms);
                let mode = RaftMode::with_config(ctx, |c| {
                    c.election_min_ms = election;
                    c.election_max_ms = election * 2;
                    c.heartbeat_ms = heartbeat;
                })
                .map_err(io)?;
                serve(mode, &args, &peers).await
            }
            ModeName::PrimaryBackup => {
                let options = PbOptions {
                    sync: args.replication == Replication::Sync,
                    failover_ms: args.failover_ms,
                    ..PbOptions::default()
                };
                serve(
                    PrimaryBackupMode::new(ctx, options).map_err(io)?,
                    &args,
                    &peers,
                )
                .await
            }
            ModeName::Lww => {
                let mut options = LwwOptions::default();
                if let Some(g) = args.gossip_ms {
                    options.gossip_ms = g;
                }
                serve(LwwMode::new(ctx, options).map_err(io)?, &args, &peers).await
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
                serve(QuorumMode::new(ctx, options).map_err(io)?, &args, &peers).await
            }
            ModeName::Crdt => {
                let mut options = CrdtOptions::default();
                if let Some(g) = args.gossip_ms {
                    options.gossip_ms = g;
                }
                serve(CrdtMode::new(ctx, options).map_err(io)?, &args, &peers).await
            }
        }
    })
}

async fn serve<M: Mode>(
    mode: M,
    args: &Args,
    peers: &std::collections::HashMap<String, std::net::SocketAddr>,
) -> Result<(), Failure> {
    let bind = |what: &str, addr: std::net::SocketAddr| {
        let what = what.to_string();
        async move {
            tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| (3, format!("cannot listen for {what} on {addr}: {e}")))
        }
    };
    let listeners = Listeners {
        client: bind("clients", args.listen).await?,
        peer: bind("peers", args.peer_listen).await?,
    };
    let running = node::start(mode, &args.id, peers, listeners).map_err(|e| (3, e.to_string()))?;
    tracing::info!(
        "node {} ({:?}) serving clients on {} and peers on {}",
        args.id,
        args.mode,
        running.client_addr,
        running.peer_addr
    );
    let err = running.wait().await;
    Err((3, format!("stopped: {err}")))
}

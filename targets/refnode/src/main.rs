//! faultline-refnode: the reference node (DESIGN.md section 6). See `.readme/refnode.md`.
//!
//! Exit codes: 64 bad command line or data directory of another node; 3 cannot bind, persist or
//! run.

use std::sync::Arc;

use clap::Parser;
use faultline_refnode::clock::SystemClock;
use faultline_refnode::config::{claim_data_dir, Args, Identity};
use faultline_refnode::launch::start_node;
use faultline_refnode::node::Listeners;

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
        let running = start_node(
            &args,
            nodes,
            &peers,
            Arc::new(SystemClock),
            std::process::id() as u64,
            listeners,
        )
        .map_err(|e| (3, e.to_string()))?;
        tracing::info!(
            "node {} ({:?}) serving clients on {} and peers on {}",
            args.id,
            args.mode,
            running.client_addr,
            running.peer_addr
        );
        let err = running.wait().await;
        Err((3, format!("stopped: {err}")))
    })
}

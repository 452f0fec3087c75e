//! `faultline-netq`: the user-space packet shaper the nemesis copies into a node's infra container
//! (`serve`), its preflight (`check`), and the UDP probe the tests and the benchmark measure it
//! with (`echo`, `ping`). Linux only; needs NET_ADMIN in the node's network namespace.

mod helper {
    pub mod error;
    pub mod serve;
    pub mod udp;
}

use std::net::SocketAddrV4;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use faultline_netq::{Shaping, QUEUE};

#[derive(Parser)]
#[command(
    name = "faultline-netq",
    about = "User-space packet delay, duplication and reordering through NFQUEUE"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Binds the queue and shapes every packet it gets until SIGTERM, which releases what is
    /// held and exits.
    Serve {
        #[arg(long, default_value_t = QUEUE)]
        queue: u16,
        /// The shaping, as JSON (faultline_netq::Shaping).
        #[arg(long)]
        shaping: String,
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// Binds and unbinds the queue: whether NFQUEUE works in this namespace.
    Check {
        #[arg(long, default_value_t = QUEUE)]
        queue: u16,
    },
    /// Echoes every UDP datagram back to its sender.
    Echo {
        #[arg(long)]
        port: u16,
    },
    /// Sends numbered UDP datagrams to an echo and prints what came back as JSON.
    Ping {
        #[arg(long)]
        to: SocketAddrV4,
        #[arg(long, default_value_t = 200)]
        count: u64,
        /// Between sends; 0 sends as fast as the socket takes them (a flood).
        #[arg(long, default_value_t = 5.0)]
        interval_ms: f64,
        /// How long to wait for late echoes after the last send.
        #[arg(long, default_value_t = 1000)]
        linger_ms: u64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve {
            queue,
            shaping,
            seed,
        } => serde_json::from_str::<Shaping>(&shaping)
            .map_err(|e| helper::error::HelperError::Shaping(e.to_string()))
            .and_then(|s| {
                s.validate().map_err(helper::error::HelperError::Shaping)?;
                helper::serve::serve(queue, s, seed)
            }),
        Command::Check { queue } => helper::serve::check(queue),
        Command::Echo { port } => helper::udp::echo(port),
        Command::Ping {
            to,
            count,
            interval_ms,
            linger_ms,
        } => helper::udp::ping(to, count, interval_ms, linger_ms),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("faultline-netq: {e}");
            ExitCode::FAILURE
        }
    }
}

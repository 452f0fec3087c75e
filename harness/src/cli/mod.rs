//! The command line: one file per subcommand.

pub mod bench;

use clap::{Parser, Subcommand};

use crate::exit::Exit;

/// faultline: chaos and consistency verification for distributed data stores.
#[derive(Debug, Parser)]
#[command(name = "faultline", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Measure the checkers against the performance targets on generated histories.
    Bench(bench::BenchArgs),
}

/// Runs a parsed command line and returns the exit code to use. Errors are printed here, once.
pub fn run(cli: Cli) -> Exit {
    match cli.command {
        Command::Bench(args) => bench::run(args),
    }
}

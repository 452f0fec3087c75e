//! The command line: one file per subcommand.

pub mod bench;
pub mod clean;
pub mod run;

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
    /// Start a cluster, drive clients under faults, and check the history.
    Run(Box<run::RunArgs>),
    /// Remove Docker containers, networks and volumes left by dead runs.
    Clean(clean::CleanArgs),
    /// Measure the checkers against the performance targets on generated histories.
    Bench(bench::BenchArgs),
}

/// Runs a parsed command line and returns the exit code to use. Errors are printed here, once.
pub fn run(cli: Cli) -> Exit {
    let result = match cli.command {
        Command::Run(args) => run::execute(*args),
        Command::Clean(args) => clean::execute(args),
        Command::Bench(args) => return bench::run(args),
    };
    match result {
        Ok(exit) => exit,
        Err(e) => {
            eprintln!("faultline: error: {e}");
            e.exit()
        }
    }
}

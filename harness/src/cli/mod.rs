//! The command line: one file per subcommand.

pub mod bench;
pub mod campaign;
pub mod check;
pub mod clean;
pub mod convert;
pub mod hunt;
pub mod report;
pub mod run;

use clap::{Parser, Subcommand};

use crate::exit::Exit;

/// faultline: chaos and consistency verification for distributed data stores.
#[derive(Debug, Parser)]
#[command(
    name = "faultline",
    version,
    about,
    long_about = None,
    after_help = "Documentation: docs/README.md (one page per task; start with docs/getting-started.md)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a cluster, drive clients under faults, and check the history.
    #[command(
        after_help = "Documentation: docs/run.md (options, nemesis catalogue, the run folder)."
    )]
    Run(Box<run::RunArgs>),
    /// Run a matrix of tests from a TOML file and summarise them; exits with the worst verdict.
    #[command(after_help = "Documentation: docs/campaigns.md (the file, summaries, exit code).")]
    Campaign(campaign::CampaignArgs),
    /// Run the planted bugs × seeds with the default nemesis: detection rate and false alarms.
    #[command(after_help = "Documentation: docs/hunt.md (the table and how to read it).")]
    Hunt(hunt::HuntArgs),
    /// Remove Docker containers, networks and volumes left by dead runs.
    #[command(after_help = "Documentation: docs/run.md (section \"Cleaning up\").")]
    Clean(clean::CleanArgs),
    /// Measure the checkers against the performance targets on generated histories.
    #[command(after_help = "Documentation: docs/performance.md (suites and measured figures).")]
    Bench(bench::BenchArgs),
    /// Check recorded histories (faultline JSONL, Jepsen EDN/JSON/logs) against a model.
    #[command(
        after_help = "Documentation: docs/check.md (models, formats, migrating from Knossos/Elle/Porcupine)."
    )]
    Check(check::CheckArgs),
    /// Convert a history between formats (import Jepsen histories, export EDN).
    #[command(
        after_help = "Documentation: docs/check.md (section \"faultline convert\") and docs/history-format.md."
    )]
    Convert(convert::ConvertArgs),
    /// Regenerate report.html and junit.xml of stored run folders, and the results index.
    #[command(after_help = "Documentation: docs/reports.md (the page, junit.xml, results.json).")]
    Report(report::ReportArgs),
}

/// Runs a parsed command line and returns the exit code to use. Errors are printed here, once.
pub fn run(cli: Cli) -> Exit {
    // stdout/stderr are locked only for the subcommands that write through them: `run` prints
    // from runtime worker threads, which a lock held here would block.
    let result = match cli.command {
        Command::Run(args) => run::execute(*args),
        Command::Campaign(args) => campaign::execute(args),
        Command::Hunt(args) => hunt::execute(args),
        Command::Clean(args) => clean::execute(args),
        Command::Report(args) => report::execute(args),
        Command::Bench(args) => return bench::run(args),
        Command::Check(args) => {
            let (mut out, mut err) = (std::io::stdout().lock(), std::io::stderr().lock());
            return check::run(&args, &mut out, &mut err);
        }
        Command::Convert(args) => {
            let (mut out, mut err) = (std::io::stdout().lock(), std::io::stderr().lock());
            return convert::run(&args, &mut out, &mut err);
        }
    };
    match result {
        Ok(exit) => exit,
        Err(e) => {
            eprintln!("faultline: error: {e}");
            e.exit()
        }
    }
}

/// Parses `args` and runs them. A bad command line exits 64 (DESIGN.md section 8), not clap's
/// usual 2, which means "unknown verdict" here; `--help` and `--version` exit 0.
pub fn main_with_args<I, T>(args: I) -> Exit
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    match Cli::try_parse_from(args) {
        Ok(cli) => run(cli),
        Err(e) => {
            let _ = e.print();
            if e.use_stderr() {
                Exit::BadInput
            } else {
                Exit::Valid
            }
        }
    }
}

use clap::Parser;
use faultline::cli::Cli;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let exit = faultline::cli::run(cli);
    std::process::ExitCode::from(exit.code())
}

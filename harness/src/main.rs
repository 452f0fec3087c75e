fn main() -> std::process::ExitCode {
    let exit = faultline::cli::main_with_args(std::env::args_os());
    std::process::ExitCode::from(exit.code())
}

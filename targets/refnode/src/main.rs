fn main() {
    eprintln!("faultline-refnode: not built yet");
    std::process::exit(3);
}

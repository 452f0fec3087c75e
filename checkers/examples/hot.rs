use faultline_checkers::check::{check, CheckOptions};
use faultline_checkers::synth::RegisterWorkload;
use std::time::Instant;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let ops: usize = args.get(1).map(|s| s.parse().unwrap()).unwrap_or(100_000);
    let info: f64 = args.get(2).map(|s| s.parse().unwrap()).unwrap_or(0.01);
    let mut w = RegisterWorkload::hot_key(1, ops, 10);
    w.info_rate = info;
    let h = w.generate();
    let t = Instant::now();
    let r = check(
        "cas-register",
        &h,
        &CheckOptions {
            budget: faultline_checkers::Budget::with_time_limit(std::time::Duration::from_secs(10)),
            ..Default::default()
        },
    )
    .unwrap();
    println!("check {:?} {} {:?}", t.elapsed(), r.valid, r.stats);
}

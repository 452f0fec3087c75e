//! Benchmark of the causal checker on a generated causally consistent history.
//!
//! `cargo run --release -p faultline-checkers --example bench_causal -- [TXNS] [list|register]
//! [INFO_PROBABILITY] [BUG_PROBABILITY] [KEY_ROTATION] [MODEL,MODEL...]`
//!
//! KEY_ROTATION (default 25): every that many transactions one of the 10 active keys is retired,
//! so each list gets about 30 appends, as in Elle's list-append workload.
//!
//! Prints the time to generate, write as JSON Lines, parse back and check, and the peak resident
//! memory (VmHWM).

use std::time::Instant;

use faultline_checkers::registry::check;
use faultline_checkers::synth::causal::{causal_store_history, CausalStoreConfig};
use faultline_checkers::CheckOptions;
use faultline_checkers::{History, Op};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let transactions = args.first().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let registers = args.get(1).is_some_and(|a| a.starts_with("reg"));
    let info = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(0.01);
    let bug = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(0.0);
    let rotation = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(25);
    let models: Vec<String> = args
        .get(5)
        .map(|m| m.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    let cfg = CausalStoreConfig {
        transactions,
        clients: 10,
        replicas: 3,
        active_keys: 10,
        key_rotation: rotation,
        max_ops_per_txn: 4,
        registers,
        info_probability: info,
        bug_probability: bug,
        ..CausalStoreConfig::default()
    };

    let t = Instant::now();
    let ops = causal_store_history(&cfg);
    let generate = t.elapsed();

    let t = Instant::now();
    let mut jsonl = String::new();
    for op in &ops {
        jsonl.push_str(&serde_json::to_string(op).expect("an op serialises"));
        jsonl.push('\n');
    }
    let write = t.elapsed();
    drop(ops);

    let t = Instant::now();
    let parsed: Vec<Op> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).expect("the generated line parses"))
        .collect();
    let history = History::new(parsed).expect("the generated history pairs up");
    let parse = t.elapsed();
    let bytes = jsonl.len();
    drop(jsonl);

    let t = Instant::now();
    let cpu = cpu_seconds();
    let options = CheckOptions {
        consistency_models: models,
        ..CheckOptions::default()
    };
    let report = check("causal", &history, &options).expect("the model runs");
    let checking = t.elapsed();
    let checking_cpu = cpu_seconds() - cpu;

    println!(
        "causal bench: {transactions} transactions ({}), info {info}, bug {bug}",
        if registers {
            "rw-register"
        } else {
            "list-append"
        }
    );
    println!(
        "  history: {} events, {:.1} MB JSON Lines",
        history.len(),
        bytes as f64 / 1e6
    );
    println!("  generate {:>8.3} s", generate.as_secs_f64());
    println!("  write    {:>8.3} s", write.as_secs_f64());
    println!("  parse    {:>8.3} s", parse.as_secs_f64());
    println!(
        "  check    {:>8.3} s (CPU {:.2} s: on a shared machine, the figure load does not inflate)",
        checking.as_secs_f64(),
        checking_cpu
    );
    println!("  parse+check {:.3} s", (parse + checking).as_secs_f64());
    println!(
        "  verdict: {}, anomaly types {:?}",
        report.valid,
        report.anomaly_types()
    );
    println!(
        "  stats: {}",
        serde_json::Value::Object(report.stats.clone())
    );
    println!("  peak memory (VmHWM): {}", peak_memory());
}

/// User + system CPU time of this process so far, from /proc/self/stat (clock ticks of 10 ms).
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the command name (which is in parentheses and may hold spaces).
            let rest = s.rsplit_once(')')?.1;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let utime: f64 = fields.get(11)?.parse().ok()?;
            let stime: f64 = fields.get(12)?.parse().ok()?;
            Some((utime + stime) / 100.0)
        })
        .unwrap_or(0.0)
}

fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(|l| l.trim_start_matches("VmHWM:").trim().to_string())
        })
        .unwrap_or_else(|| "unavailable".to_string())
}

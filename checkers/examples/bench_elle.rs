//! Benchmark of the Elle-class checker, end to end: a child process generates a strict-serializable
//! list-append history and writes it as JSON Lines to a temporary file (so generation does not
//! count toward this process's memory); this process then reads and checks it with the streaming
//! reader, and prints wall time, CPU time and peak resident memory (VmHWM).
//!
//! cargo run --release -p faultline-checkers --example bench_elle -- [TXNS] [CLIENTS] [--history]
//!     [--stale=P] [--rw-register]
//!
//! `--history` also times the general path (read every event as JSON into a `History`, then check).
//! `--stale=P` plants stale reads with probability P, for invalid histories (cycle search cost).

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::time::Instant;

use faultline_checkers::elle::stream::check_jsonl;
use faultline_checkers::elle::{check, ElleOptions, Workload};
use faultline_checkers::synth::elle::{generate, ElleSynth};
use faultline_checkers::{History, Op};

fn status(field: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
        })
        .unwrap_or_else(|| "?".to_string())
}

/// User + system CPU seconds of this process so far (from /proc/self/stat, in clock ticks of
/// 1/100 s on Linux).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn write_history(
    path: &str,
    txns: usize,
    clients: usize,
    stale: f64,
    list_append: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let ops = generate(&ElleSynth {
        list_append,
        txns,
        clients,
        stale_read_rate: stale,
        seed: 42,
        ..ElleSynth::default()
    });
    let mut w = BufWriter::new(std::fs::File::create(path)?);
    for op in &ops {
        serde_json::to_writer(&mut w, op)?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--generate") {
        return write_history(
            &args[1],
            args[2].parse()?,
            args[3].parse()?,
            args[4].parse()?,
            args[5].parse()?,
        );
    }
    let numbers: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let txns: usize = numbers.first().map_or(Ok(100_000), |a| a.parse())?;
    let clients: usize = numbers.get(1).map_or(Ok(10), |a| a.parse())?;
    let stale = args
        .iter()
        .find_map(|a| a.strip_prefix("--stale="))
        .map_or(Ok(0.0), str::parse::<f64>)?;
    let workload = if args.iter().any(|a| a == "--rw-register") {
        Workload::RwRegister
    } else {
        Workload::ListAppend
    };
    let path = std::env::temp_dir().join(format!("bench_elle_{}_{txns}.jsonl", std::process::id()));
    let path_str = path.to_string_lossy().to_string();
    let status_code = std::process::Command::new(std::env::current_exe()?)
        .args([
            "--generate",
            &path_str,
            &txns.to_string(),
            &clients.to_string(),
            &stale.to_string(),
            &(workload == Workload::ListAppend).to_string(),
        ])
        .status()?;
    if !status_code.success() {
        return Err("generation failed".into());
    }
    let bytes = std::fs::metadata(&path)?.len();
    println!(
        "{}, {txns} transactions, {clients} clients, {:.1} MB of JSON Lines",
        workload.name(),
        bytes as f64 / 1e6
    );

    let (wall, cpu) = (Instant::now(), cpu_seconds());
    let reader = BufReader::with_capacity(1 << 20, std::fs::File::open(&path)?);
    let report = check_jsonl(reader, &path_str, workload, &ElleOptions::default())?;
    println!(
        "streaming read + check: {:.3} s wall, {:.2} s CPU; verdict {}; {} edges; phases (ms) {}; \
         anomalies {}; largest cyclic component {}; peak RSS {}",
        wall.elapsed().as_secs_f64(),
        cpu_seconds() - cpu,
        report.valid,
        report.stats["edges"],
        report.stats["elapsed-ms"],
        report.stats["anomaly-counts"],
        report.stats["largest-component"],
        status("VmHWM")
    );

    if args.iter().any(|a| a == "--history") {
        let (wall, cpu) = (Instant::now(), cpu_seconds());
        let mut ops = Vec::new();
        for line in BufReader::new(std::fs::File::open(&path)?).lines() {
            ops.push(serde_json::from_str::<Op>(&line?)?);
        }
        let history = History::new(ops)?;
        let report = check(&history, workload, &ElleOptions::default())?;
        println!(
            "History read + check: {:.3} s wall, {:.2} s CPU; verdict {}; peak RSS {}",
            wall.elapsed().as_secs_f64(),
            cpu_seconds() - cpu,
            report.valid,
            status("VmHWM")
        );
    }
    std::fs::remove_file(&path)?;
    Ok(())
}

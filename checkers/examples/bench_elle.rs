//! Benchmark of the Elle-class checker, end to end: generate a strict-serializable list-append
//! history, write it as JSON Lines to a temporary file, then time reading it back, pairing it and
//! checking it. Prints the phases, the verdict and the peak resident memory (VmHWM).
//!
//! cargo run --release -p faultline-checkers --example bench_elle -- [TXNS] [CLIENTS]

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::time::Instant;

use faultline_checkers::elle::{check, ElleOptions, Workload};
use faultline_checkers::synth::elle::{generate, ElleSynth};
use faultline_checkers::{History, Op};

fn vm_hwm() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
        })
        .unwrap_or_else(|| "?".to_string())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let txns: usize = args.next().map_or(Ok(100_000), |a| a.parse())?;
    let clients: usize = args.next().map_or(Ok(10), |a| a.parse())?;
    let path = std::env::temp_dir().join(format!("bench_elle_{}_{txns}.jsonl", std::process::id()));
    {
        let ops = generate(&ElleSynth {
            txns,
            clients,
            seed: 42,
            ..ElleSynth::default()
        });
        let mut w = BufWriter::new(std::fs::File::create(&path)?);
        for op in &ops {
            serde_json::to_writer(&mut w, op)?;
            w.write_all(b"\n")?;
        }
        w.flush()?;
    }
    let bytes = std::fs::metadata(&path)?.len();
    let start = Instant::now();
    let mut ops = Vec::new();
    for (i, line) in BufReader::new(std::fs::File::open(&path)?)
        .lines()
        .enumerate()
    {
        let line = line?;
        let op: Op = serde_json::from_str(&line).map_err(|e| format!("line {}: {e}", i + 1))?;
        ops.push(op);
    }
    let parsed = start.elapsed();
    let history = History::new(ops)?;
    let paired = start.elapsed();
    let report = check(&history, Workload::ListAppend, &ElleOptions::default())?;
    let total = start.elapsed();
    println!(
        "check phases (ms, after reading the transactions): {}",
        report.stats["elapsed-ms"]
    );
    std::fs::remove_file(&path)?;
    println!(
        "list-append: {txns} txns, {clients} clients, {:.1} MB JSONL: parse {:.3} s, pair {:.3} s, \
         check {:.3} s, total {:.3} s; verdict {}; edges {}; peak RSS (VmHWM, incl. generation) {}",
        bytes as f64 / 1e6,
        parsed.as_secs_f64(),
        (paired - parsed).as_secs_f64(),
        (total - paired).as_secs_f64(),
        total.as_secs_f64(),
        report.valid,
        report.stats["edges"],
        vm_hwm()
    );
    Ok(())
}

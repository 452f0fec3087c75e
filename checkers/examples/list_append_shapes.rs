//! Writes a list-append history of one of the benchmark's shapes as JSON Lines, for timing
//! `faultline check FILE --model list-append` from outside.
//!
//! cargo run --release -p faultline-checkers --example list_append_shapes -- SHAPE TXNS FILE
//!     [--plant] [--seed=N]
//!
//! SHAPE is one of `synth::append_shapes::SHAPES` (`list` prints them); `--plant` adds a G-single
//! and a G1c halfway through, so the history is invalid.

use std::io::Write;

use faultline_checkers::synth::append_shapes::{shape, write_history, Planted, SHAPES};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let positional: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let usage =
        "usage: list_append_shapes SHAPE TXNS FILE [--plant] [--seed=N]  (SHAPE `list` lists them)";
    let Some(name) = positional.first() else {
        return Err(usage.into());
    };
    if name.as_str() == "list" {
        let mut out = std::io::stdout().lock();
        for s in SHAPES {
            writeln!(out, "{:<16} {}", s.name, s.about)?;
        }
        return Ok(());
    }
    let (Some(txns), Some(path)) = (positional.get(1), positional.get(2)) else {
        return Err(usage.into());
    };
    let Some(s) = shape(name) else {
        let known: Vec<&str> = SHAPES.iter().map(|s| s.name).collect();
        return Err(format!("unknown shape {name:?}; known: {}", known.join(", ")).into());
    };
    let seed = args
        .iter()
        .find_map(|a| a.strip_prefix("--seed="))
        .map_or(Ok(42), str::parse::<u64>)?;
    let plant: &[Planted] = if args.iter().any(|a| a == "--plant") {
        Planted::ALL
    } else {
        &[]
    };
    let written = write_history(s, txns.parse()?, seed, plant, std::fs::File::create(path)?)?;
    println!("{path}: {written:?}");
    Ok(())
}

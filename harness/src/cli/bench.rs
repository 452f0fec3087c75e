//! `faultline bench`: measures the checkers against DESIGN.md section 9's targets on histories
//! generated in memory, and prints one row per case.

use clap::Args;

use crate::bench::{measure, Measurement, SUITES};
use crate::exit::Exit;

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Which suite to run (`all` for every one).
    #[arg(long, default_value = "all")]
    pub suite: String,
    /// Small inputs: a smoke run of a few seconds, not a measurement of the targets.
    #[arg(long)]
    pub quick: bool,
    /// Run only the cases whose name contains this text (e.g. `long-txns, 1000000`).
    #[arg(long)]
    pub case: Option<String>,
    /// Print one JSON object per case instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: BenchArgs) -> Exit {
    let suites: Vec<_> = SUITES
        .iter()
        .filter(|s| args.suite == "all" || s.name == args.suite)
        .collect();
    if suites.is_empty() {
        let known: Vec<&str> = SUITES.iter().map(|s| s.name).collect();
        eprintln!(
            "faultline bench: unknown suite {:?}; known: all, {}",
            args.suite,
            known.join(", ")
        );
        return Exit::BadInput;
    }
    let mut wrong = 0;
    for suite in suites {
        if !args.json {
            println!("suite {}: {}", suite.name, suite.about);
            println!(
                "  {:<52} {:>9} {:>10} {:>8} {:>12} {:>10} {:>10}  {:<8} target",
                "case", "ops", "seconds", "CPU s", "ops/s", "peak RSS", "search", "verdict"
            );
        }
        let wanted = |name: &str| args.case.as_deref().is_none_or(|c| name.contains(c));
        for case in (suite.cases)(args.quick) {
            if !wanted(&case.name) {
                continue;
            }
            let m = measure(suite.name, case);
            if m.verdict != m.expected {
                wrong += 1;
            }
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string(&m).expect("measurement serialises")
                );
            } else {
                print_row(&m);
            }
        }
    }
    if wrong > 0 {
        eprintln!("faultline bench: {wrong} case(s) got a verdict other than the expected one");
        return Exit::Invalid;
    }
    Exit::Valid
}

fn mib(bytes: u64) -> String {
    format!("{:.0} MiB", bytes as f64 / (1 << 20) as f64)
}

fn print_row(m: &Measurement) {
    let verdict = if m.verdict == m.expected {
        m.verdict.to_string()
    } else {
        format!("{}!={}", m.verdict, m.expected)
    };
    println!(
        "  {:<52} {:>9} {:>10.4} {:>8} {:>12.0} {:>10} {:>10}  {:<8} {} [{}]{}",
        m.case,
        m.ops,
        m.seconds,
        m.cpu_seconds
            .map_or_else(|| "?".into(), |c| format!("{c:.2}")),
        m.ops_per_second,
        m.peak_rss_bytes.map_or_else(|| "?".into(), mib),
        mib(m.search_bytes as u64),
        verdict,
        m.target,
        if m.met { "met" } else { "MISSED" },
        m.note.as_ref().map_or(String::new(), |n| format!(" {n}"))
    );
}

//! Transactional and causal targets (DESIGN.md section 9): list-append histories from a simulated
//! strict-serializable database (`faultline_checkers::synth::elle`), and histories of a simulated
//! causally consistent store (`synth::causal`), each read from a JSONL file inside the timed part.

use std::io::BufReader;
use std::time::Duration;

use faultline_checkers::elle::stream::check_jsonl;
use faultline_checkers::elle::{ElleOptions, Workload};
use faultline_checkers::history::formats::{read_path, Format};
use faultline_checkers::registry::check;
use faultline_checkers::synth::causal::{causal_store_history, CausalStoreConfig};
use faultline_checkers::synth::elle::{generate, ElleSynth};
use faultline_checkers::CheckOptions;
use faultline_checkers::Validity;

use super::history_file::HistoryFile;
use super::{Case, Outcome, Suite, Timed};

pub const SUITE: Suite = Suite {
    name: "transactional",
    about: "list-append (Elle-class, from JSONL) and causal histories, parsing included",
    cases,
};

/// Reads and checks a list-append JSONL file through the streaming reader `faultline check` uses.
fn list_append(txns: usize) -> Timed {
    let ops = generate(&ElleSynth {
        list_append: true,
        txns,
        clients: 10,
        seed: 42,
        ..ElleSynth::default()
    });
    let file = HistoryFile::write("list-append", &ops).expect("temporary directory is writable");
    let events = ops.len();
    drop(ops);
    Box::new(move || {
        let reader = BufReader::new(std::fs::File::open(file.path()).expect("just written"));
        let report = check_jsonl(
            reader,
            "bench",
            Workload::ListAppend,
            &ElleOptions::default(),
        )
        .expect("generated histories parse");
        Outcome {
            ops: events,
            verdict: report.valid,
            search_bytes: 0,
            note: None,
        }
    })
}

/// Reads a causal store's history from JSONL and checks it with the causal checker.
/// `key_rotation`: transactions after which the window of active keys moves on; lists grow with it.
fn causal(transactions: usize, key_rotation: usize) -> Timed {
    let ops = causal_store_history(&CausalStoreConfig {
        transactions,
        clients: 10,
        replicas: 3,
        active_keys: 10,
        key_rotation,
        max_ops_per_txn: 4,
        info_probability: 0.01,
        ..CausalStoreConfig::default()
    });
    let file = HistoryFile::write("causal", &ops).expect("temporary directory is writable");
    drop(ops);
    Box::new(move || {
        let history = read_path(file.path(), Format::Jsonl).expect("generated histories parse");
        let report =
            check("causal", &history, &CheckOptions::default()).expect("causal is registered");
        Outcome {
            ops: history.len(),
            verdict: report.valid,
            search_bytes: 0,
            note: None,
        }
    })
}

fn cases(quick: bool) -> Vec<Case> {
    let scale = if quick { 10 } else { 1 };
    let (small, large, causal_txns) = (100_000 / scale, 1_000_000 / scale, 100_000 / scale);
    vec![
        Case {
            name: format!("list-append, {small} txns, 10 clients, from JSONL"),
            target: "100k list-append txns < 0.5 s end to end",
            limit: Some(Duration::from_millis(500)),
            expected: Validity::Valid,
            setup: Box::new(move || list_append(small)),
        },
        Case {
            name: format!("list-append, {large} txns, 10 clients, from JSONL"),
            target: "1M list-append txns < 5 s and 3 GB",
            limit: Some(Duration::from_secs(5)),
            expected: Validity::Valid,
            setup: Box::new(move || list_append(large)),
        },
        Case {
            name: format!("causal, {causal_txns} txns, 10 sessions, keys rotate every 25"),
            target: "100k-transaction causal history in seconds",
            limit: Some(Duration::from_secs(10)),
            expected: Validity::Valid,
            setup: Box::new(move || causal(causal_txns, 25)),
        },
        Case {
            name: format!("causal, {causal_txns} txns, 10 sessions, keys rotate every 200"),
            target: "(reference: longer lists, more reads-from edges)",
            limit: None,
            expected: Validity::Valid,
            setup: Box::new(move || causal(causal_txns, 200)),
        },
    ]
}

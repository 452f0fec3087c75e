//! Transactional and causal targets (DESIGN.md section 9): list-append histories from a simulated
//! strict-serializable database (`faultline_checkers::synth::elle`), the same in each of the
//! history shapes of `synth::append_shapes` (valid, and with planted anomalies that must be
//! found), and histories of a simulated causally consistent store (`synth::causal`), each read
//! from a JSONL file inside the timed part.

use std::io::BufReader;
use std::time::Duration;

use faultline_checkers::elle::stream::check_jsonl;
use faultline_checkers::elle::{ElleOptions, Workload};
use faultline_checkers::history::formats::{read_path, Format};
use faultline_checkers::registry::check;
use faultline_checkers::synth::append_shapes::{write_history, AppendShape, Planted, SHAPES};
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

/// Reads and checks a list-append JSONL file of one shape; with anomalies planted, the case holds
/// only if each of them is among those reported (its verdict is `unknown` otherwise).
fn list_append_shape(shape: &'static AppendShape, txns: usize, plant: &'static [Planted]) -> Timed {
    let mut events = 0;
    let file = HistoryFile::write_with(&format!("shape-{}", shape.name), |f| {
        events = write_history(shape, txns, 42, plant, f)?.events as usize;
        Ok(())
    })
    .expect("temporary directory is writable");
    Box::new(move || {
        let reader = BufReader::with_capacity(
            1 << 20,
            std::fs::File::open(file.path()).expect("just written"),
        );
        let report = check_jsonl(
            reader,
            "bench",
            Workload::ListAppend,
            &ElleOptions::default(),
        )
        .expect("generated histories parse");
        // The planted cycle may also need a process or real-time edge (`G-single-item-realtime`):
        // a planted kind is found when a reported name starts with it.
        let missed: Vec<&str> = plant
            .iter()
            .map(|p| p.name())
            .filter(|name| !report.anomalies.iter().any(|a| a.kind.starts_with(name)))
            .collect();
        let note = match (plant.is_empty(), missed.is_empty()) {
            (true, _) => None,
            (false, true) => Some("found every planted anomaly".to_string()),
            (false, false) => Some(format!("MISSED planted {}", missed.join(", "))),
        };
        Outcome {
            ops: events,
            verdict: if missed.is_empty() {
                report.valid
            } else {
                Validity::Unknown
            },
            search_bytes: 0,
            note,
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
    let mut shapes = Vec::new();
    for shape in SHAPES {
        shapes.push(Case {
            name: format!("list-append {}, {small} txns", shape.name),
            target: "100k list-append txns < 0.5 s end to end",
            limit: Some(Duration::from_millis(500)),
            expected: Validity::Valid,
            setup: Box::new(move || list_append_shape(shape, small, &[])),
        });
        shapes.push(Case {
            name: format!("list-append {}, {large} txns", shape.name),
            target: "1M list-append txns < 5 s and 1 GB, every shape",
            limit: Some(Duration::from_secs(5)),
            expected: Validity::Valid,
            setup: Box::new(move || list_append_shape(shape, large, &[])),
        });
    }
    let rotating = &SHAPES[0];
    shapes.push(Case {
        name: format!(
            "list-append {}, {large} txns, G-single+G1c planted",
            rotating.name
        ),
        target: "planted anomalies found at 1M, < 5 s",
        limit: Some(Duration::from_secs(5)),
        expected: Validity::Invalid,
        setup: Box::new(move || list_append_shape(rotating, large, Planted::ALL)),
    });
    let mut cases = vec![
        Case {
            name: format!("list-append, {small} txns, 10 clients, from JSONL"),
            target: "100k list-append txns < 0.5 s end to end",
            limit: Some(Duration::from_millis(500)),
            expected: Validity::Valid,
            setup: Box::new(move || list_append(small)),
        },
        Case {
            name: format!("list-append, {large} txns, 10 clients, from JSONL"),
            target: "1M list-append txns < 5 s and 1 GB",
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
    ];
    // After the two plain list-append cases, before the causal ones.
    cases.splice(2..2, shapes);
    cases
}

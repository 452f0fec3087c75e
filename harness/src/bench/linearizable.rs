//! Linearizability targets (DESIGN.md section 9) on generated register histories
//! (`faultline_checkers::synth::register`).

use std::time::Duration;

use faultline_checkers::registry::check;
use faultline_checkers::synth::register::plant_stale_read;
use faultline_checkers::synth::RegisterWorkload;
use faultline_checkers::CheckOptions;
use faultline_checkers::{History, Validity};

use super::{Case, Outcome, Suite, Timed};

pub const SUITE: Suite = Suite {
    name: "linearizable",
    about: "cas-register histories: etcd-like, hot key, many keys, indeterminate + stale read",
    cases,
};

/// Checks every history with the cas-register model and sums up.
fn check_all(histories: Vec<History>) -> Timed {
    Box::new(move || {
        let options = CheckOptions::default();
        let mut outcome = Outcome {
            ops: 0,
            verdict: Validity::Valid,
            search_bytes: 0,
            note: None,
        };
        for h in &histories {
            let report = check("cas-register", h, &options).expect("generated histories parse");
            outcome.ops += h.pairs().len();
            outcome.verdict = outcome.verdict.worst(report.valid);
            let bytes = report
                .stats
                .get("peak_search_bytes")
                .and_then(|b| b.as_u64());
            outcome.search_bytes = outcome.search_bytes.max(bytes.unwrap_or(0) as usize);
        }
        outcome
    })
}

fn stale(seed: u64, ops: usize) -> History {
    let h = RegisterWorkload::indeterminate(seed, ops, 0.05).generate();
    plant_stale_read(&h)
        .expect("the workload has reads to plant")
        .0
}

fn cases(quick: bool) -> Vec<Case> {
    let scale = if quick { 10 } else { 1 };
    let hot = 100_000 / scale;
    let many = 1_000_000 / scale;
    // Like `faultline run --workload register --concurrency 100`: every written value unique.
    let crowd = move |seed| {
        let mut w = RegisterWorkload::indeterminate(seed, hot, 0.05);
        w.clients = 100;
        w.generate()
    };
    vec![
        Case {
            name: "102 etcd-like histories (85 ops, 5 clients, 15% info)".into(),
            target: "102 etcd histories < 0.1 s total",
            limit: Some(Duration::from_millis(100)),
            expected: Validity::Valid,
            setup: Box::new(|| {
                check_all(
                    (0..102)
                        .map(|s| RegisterWorkload::etcd_like(s).generate())
                        .collect(),
                )
            }),
        },
        Case {
            name: format!("hot key, 10 clients, {hot} ops, 1% info"),
            target: "100k ops on one hot key < 10 s and 2 GB",
            limit: Some(Duration::from_secs(10)),
            expected: Validity::Valid,
            setup: Box::new(move || {
                check_all(vec![RegisterWorkload::hot_key(1, hot, 10).generate()])
            }),
        },
        Case {
            name: format!("hot key, 10 clients, {hot} ops, 15% info"),
            target: "100k ops on one hot key < 10 s and 2 GB",
            limit: Some(Duration::from_secs(10)),
            expected: Validity::Valid,
            setup: Box::new(move || {
                let mut w = RegisterWorkload::hot_key(5, hot, 10);
                w.info_rate = 0.15;
                check_all(vec![w.generate()])
            }),
        },
        Case {
            name: format!("hot key, 100 clients, {hot} ops, 5% info, unique values"),
            target: "one hot key, 100 clients, 100k ops, 5% info: decided < 10 s and 2 GB",
            limit: Some(Duration::from_secs(10)),
            expected: Validity::Valid,
            setup: Box::new(move || check_all(vec![crowd(6)])),
        },
        Case {
            name: format!("hot key, 100 clients, {hot} ops, 5% info, one stale read"),
            target: "one hot key, 100 clients, 100k ops, 5% info: decided < 10 s and 2 GB",
            limit: Some(Duration::from_secs(10)),
            expected: Validity::Invalid,
            setup: Box::new(move || {
                let planted = plant_stale_read(&crowd(7)).expect("the workload has reads to plant");
                check_all(vec![planted.0])
            }),
        },
        Case {
            name: format!("{many} ops over 100 keys"),
            target: "1M ops over 100 keys < 1 s",
            limit: Some(Duration::from_secs(1)),
            expected: Validity::Valid,
            setup: Box::new(move || {
                check_all(vec![RegisterWorkload::many_keys(2, many, 100).generate()])
            }),
        },
        Case {
            name: "1k ops, 5% info, one stale read".into(),
            target: "5% info + one impossible read proved invalid < 1 s",
            limit: Some(Duration::from_secs(1)),
            expected: Validity::Invalid,
            setup: Box::new(|| check_all(vec![stale(3, 1_000)])),
        },
        Case {
            name: "10k ops, 5% info, one stale read".into(),
            target: "5% info + one impossible read proved invalid < 1 s",
            limit: Some(Duration::from_secs(1)),
            expected: Validity::Invalid,
            setup: Box::new(|| check_all(vec![stale(4, 10_000)])),
        },
        Case {
            name: "10k ops, 5% info, valid".into(),
            target: "(reference: the same without the stale read)",
            limit: Some(Duration::from_secs(1)),
            expected: Validity::Valid,
            setup: Box::new(|| {
                check_all(vec![
                    RegisterWorkload::indeterminate(4, 10_000, 0.05).generate()
                ])
            }),
        },
    ]
}

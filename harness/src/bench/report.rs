//! The report's cost: writing `report.html` and `junit.xml` for a run folder whose history has
//! 100k or 1M operations (read from `history.jsonl` inside the timed part, as `faultline report`
//! does). The page must stay under 10 MB; the case's verdict is `valid` when it does.
//!
//! The synthetic run is also what the tests use for the page-size bound: ten clients, 90% ok, 5%
//! fail, 5% info (the process retires and continues under a fresh id), a partition in force a
//! tenth of the time, and a results.json with thousands of anomalies of every drawable kind.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::Write;
use std::path::{Path, PathBuf};

use faultline_checkers::verdict::{
    AnomalyDetail, Counterexample, CycleEdge, DependencyCycle, LostWrite,
};
use faultline_checkers::{Anomaly, CheckReport, OpType, Validity};
use serde_json::{json, Value};

use super::{Case, Outcome, Suite, Timed};
use crate::results::schema::{self, ResultsFile, RunStats, SkippedChecker, TestFile};

pub const SUITE: Suite = Suite {
    name: "report",
    about: "report.html + junit.xml of a run folder (history read from JSONL); page under 10 MB",
    cases,
};

/// The largest page the report may write (DESIGN.md section 8 via the reporting issue).
pub const PAGE_LIMIT_BYTES: usize = 10_000_000;

const CLIENTS: u64 = 10;
/// Nanoseconds between invocations (all clients together): 10k ops/s.
const STEP: u64 = 100_000;

/// One generated event. `value` is only set where the history needs one (nemesis, writes).
pub struct SynthEvent {
    pub index: u64,
    pub time: u64,
    /// `None`: the nemesis.
    pub process: Option<u64>,
    pub kind: OpType,
    pub f: &'static str,
    pub value: Value,
}

/// A cheap deterministic mix (SplitMix64's finaliser).
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Calls `sink` with the events of a history of `ops` operations, in order.
pub fn synthetic_events(ops: usize, mut sink: impl FnMut(SynthEvent)) {
    // Completions waiting for their time: (time, slot, op number).
    let mut pending: BinaryHeap<Reverse<(u64, u64, u64)>> = BinaryHeap::new();
    let mut process: Vec<u64> = (0..CLIENTS).collect();
    let mut index = 0u64;
    let mut next_fault = 0usize;
    let mut emit = |sink: &mut dyn FnMut(SynthEvent), time, process, kind, f, value| {
        sink(SynthEvent {
            index,
            time,
            process,
            kind,
            f,
            value,
        });
        index += 1;
    };
    for i in 0..ops as u64 {
        let t = 1_000_000_000 + i * STEP;
        while let Some(&Reverse((done, slot, op))) = pending.peek() {
            if done > t {
                break;
            }
            pending.pop();
            let r = mix(op) % 100;
            let (kind, retire) = match r {
                0..=4 => (OpType::Fail, false),
                5..=9 => (OpType::Info, true),
                _ => (OpType::Ok, false),
            };
            let f = if op % 3 == 0 { "read" } else { "write" };
            emit(
                &mut sink,
                done,
                Some(process[slot as usize]),
                kind,
                f,
                Value::Null,
            );
            if retire {
                process[slot as usize] += CLIENTS;
            }
        }
        // A partition in force every other twentieth of the run.
        let twentieth = (i as usize * 20) / ops.max(1);
        if twentieth >= next_fault {
            let (f, value) = if twentieth % 2 == 1 {
                (
                    "partition-start",
                    json!({"kind": "halves", "grudge": {"n1": ["n2", "n3"]}}),
                )
            } else {
                ("partition-stop", Value::Null)
            };
            if twentieth > 0 {
                emit(&mut sink, t, None, OpType::Info, f, value);
            }
            next_fault = twentieth + 1;
        }
        let slot = i % CLIENTS;
        let f = if i % 3 == 0 { "read" } else { "write" };
        let value = if f == "write" { json!(i) } else { Value::Null };
        emit(
            &mut sink,
            t,
            Some(process[slot as usize]),
            OpType::Invoke,
            f,
            value,
        );
        // Latency under the time until this slot's next invocation: a log-ish spread.
        let latency = 20_000 + mix(i ^ 0x5eed) % (CLIENTS * STEP - 40_000) / (1 + mix(i) % 8);
        pending.push(Reverse((t + latency, slot, i)));
    }
    while let Some(Reverse((done, slot, _))) = pending.pop() {
        emit(
            &mut sink,
            done,
            Some(process[slot as usize]),
            OpType::Ok,
            "read",
            Value::Null,
        );
    }
}

/// A results.json for the synthetic run, heavy on anomalies: 2000 Elle cycles, a linearizability
/// counterexample with a 10k-operation prefix, 2000 lost writes, an unknown and a skipped checker.
pub fn synthetic_results(ops: usize) -> ResultsFile {
    let last = (ops as u64 * 2).saturating_sub(2);
    let at = |k: u64| ((k * 7_919) % last.max(1)) & !1;
    let edge = |from: u64, to: u64, kind: &str, key: u64| CycleEdge {
        from: format!("T{from}"),
        to: format!("T{to}"),
        edge: kind.to_string(),
        key: Some(json!(key)),
        why: "because".to_string(),
    };
    let mut elle = CheckReport::new("elle(list-append)");
    for k in 0..2000u64 {
        let (a, b) = (at(k), at(k + 1));
        elle.push(Anomaly {
            kind: "G-single-item".into(),
            ops: vec![a, a + 1, b, b + 1],
            explanation: format!(
                "G-single-item cycle of 2 transactions:\n  T{a} ...\n  T{b} ...\n{}",
                "x".repeat(2000)
            ),
            detail: Some(AnomalyDetail::Cycle(DependencyCycle {
                family: Some("G-single".into()),
                variant: Some("item".into()),
                cycle: vec![edge(a, b, "rw", k), edge(b, a, "wr", k + 1)],
                shortest: true,
                dot: format!("digraph {{ t0 -> t1; t1 -> t0 }} // T{a} T{b}"),
                svg: None,
            })),
        });
    }
    elle.stat("anomaly-counts", json!({"G-single-item": 2000}));
    let mut linearizable = CheckReport::new("linearizable(cas-register)");
    linearizable.push(Anomaly {
        kind: "nonlinearizable".into(),
        ops: vec![20_000, 20_002],
        explanation: "On key 0, the cas-register operations are not linearizable.".into(),
        detail: Some(AnomalyDetail::Counterexample(Counterexample {
            model: "cas-register".into(),
            key: json!(0),
            prefix: (0..10_000u64).map(|k| 2 * k).collect(),
            op: 20_000u64.min(last),
            concurrent: vec![20_002u64.min(last)],
            state: json!(1),
            unreachable: false,
        })),
    });
    let mut lost = CheckReport::new("lost-update");
    for k in 0..2000u64 {
        lost.push(Anomaly {
            kind: "lost".into(),
            ops: vec![at(k)],
            explanation: format!("write {k} was acknowledged and then lost"),
            detail: Some(AnomalyDetail::Lost(LostWrite {
                key: json!(0),
                value: Some(json!(k)),
                written: None,
                final_read: None,
            })),
        });
    }
    let mut staleness = CheckReport::new("staleness");
    staleness.set_unknown("budget exhausted");
    let mut results = ResultsFile::new(vec![elle, linearizable, lost, staleness]);
    results.checker_seconds = [
        ("elle(list-append)", 1.0),
        ("linearizable(cas-register)", 2.0),
        ("lost-update", 0.5),
        ("staleness", 0.1),
    ]
    .into_iter()
    .map(|(c, s)| (c.to_string(), s))
    .collect();
    results.skipped_checkers = vec![SkippedChecker {
        checker: "convergence".into(),
        reason: "leader-only reads".into(),
    }];
    results.stats = Some(RunStats {
        client_ops: ops as u64,
        ..RunStats::default()
    });
    results
}

/// The synthetic run's options in `test.json`.
#[derive(serde::Serialize)]
struct SyntheticOptions {
    test_name: &'static str,
    target: &'static str,
    workload: &'static str,
    nemesis: [&'static str; 1],
    concurrency: u64,
}

/// Writes a synthetic run folder of `ops` operations into `dir` (created).
pub fn write_synthetic_run(dir: &Path, ops: usize) -> std::io::Result<()> {
    std::fs::create_dir_all(dir.join("nodes/n1"))?;
    std::fs::write(dir.join("nodes/n1/service.log"), "synthetic\n")?;
    let mut out = std::io::BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(dir.join("history.jsonl"))?,
    );
    let mut failed = None;
    synthetic_events(ops, |e| {
        let process = e
            .process
            .map_or_else(|| "\"nemesis\"".to_string(), |p| p.to_string());
        let r = writeln!(
            out,
            "{{\"index\":{},\"time\":{},\"process\":{process},\"type\":\"{}\",\"f\":\"{}\",\"value\":{}}}",
            e.index, e.time, e.kind, e.f, e.value
        );
        if let Err(err) = r {
            failed.get_or_insert(err);
        }
    });
    if let Some(e) = failed {
        return Err(e);
    }
    out.flush()?;
    let test: TestFile<_, ()> = TestFile {
        run_id: None,
        source: None,
        options: SyntheticOptions {
            test_name: "synthetic",
            target: "none",
            workload: "register",
            nemesis: ["partition"],
            concurrency: CLIENTS,
        },
        seed: Some(0),
        versions: None,
        images: None,
        backend: None,
        packet_shaping: None,
        schedule: None,
        finished: Some(true),
    };
    schema::write(&dir.join("test.json"), &test)?;
    schema::write(&dir.join("results.json"), &synthetic_results(ops))
}

/// A temporary run folder, removed when dropped.
struct TempRun(PathBuf);

impl Drop for TempRun {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn report_case(ops: usize) -> Timed {
    let dir = std::env::temp_dir().join(format!(
        "faultline-bench-report-{}-{ops}/synthetic/20260101T000000Z",
        std::process::id()
    ));
    write_synthetic_run(&dir, ops).expect("temporary directory is writable");
    let run = TempRun(
        dir.parent()
            .and_then(Path::parent)
            .expect("nested")
            .to_path_buf(),
    );
    Box::new(move || {
        let written = crate::report::write_reports(&dir).expect("the synthetic run renders");
        drop(run);
        Outcome {
            ops,
            verdict: if written.report_bytes < PAGE_LIMIT_BYTES {
                Validity::Valid
            } else {
                Validity::Invalid
            },
            search_bytes: 0,
            note: Some(format!(
                "report.html {}",
                crate::report::markup::bytes(written.report_bytes as u64)
            )),
        }
    })
}

fn cases(quick: bool) -> Vec<Case> {
    let sizes: &[usize] = if quick {
        &[10_000]
    } else {
        &[100_000, 1_000_000]
    };
    sizes
        .iter()
        .map(|&ops| Case {
            name: format!("report of a {ops}-operation run"),
            target: "page under 10 MB",
            limit: None,
            expected: Validity::Valid,
            setup: Box::new(move || report_case(ops)),
        })
        .collect()
}

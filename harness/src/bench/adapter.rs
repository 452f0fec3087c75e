//! The client adapter protocol's throughput (DESIGN.md section 9): a trivial adapter that answers
//! at once, 10 clients, every operation recorded (invoke and completion) through the run's own
//! recorder. The adapter is Python, as most users' adapters will be.

use std::sync::Arc;
use std::time::{Duration, Instant};

use faultline_checkers::{OpType, Validity};
use faultline_targets::adapter::wire::{Hello, NodeAddress, PROTOCOL_VERSION};
use faultline_targets::adapter::{AdapterClient, AdapterCommand, AdapterPool};
use faultline_targets::{Client, ClusterSpec};
use faultline_workloads::Invocation;
use serde_json::json;

use super::{Case, Outcome, Suite};
use crate::results::Recorder;
use crate::run::clients::ClientContext;

pub const SUITE: Suite = Suite {
    name: "adapter",
    about: "client adapter protocol: a trivial Python adapter, 10 clients, every op recorded; >= 20k ops/s",
    cases,
};

const TRIVIAL: &str = r#"import sys
out = sys.stdout
for line in sys.stdin:
    i = line.index('"id":') + 5
    out.write('{"id":' + line[i:line.index(',', i)] + ',"type":"ok"}\n')
    out.flush()
"#;

const CLIENTS: u32 = 10;

fn cases(quick: bool) -> Vec<Case> {
    let ops: usize = if quick { 20_000 } else { 200_000 };
    vec![Case {
        name: format!("trivial adapter, {CLIENTS} clients, {ops} ops"),
        target: "at least 20k ops/s recorded",
        limit: Some(Duration::from_secs_f64(ops as f64 / 20_000.0)),
        expected: Validity::Valid,
        setup: Box::new(move || {
            let dir = std::env::temp_dir()
                .join(format!("faultline-bench-adapter-{}", std::process::id()));
            let _ = std::fs::create_dir_all(&dir);
            let _ = std::fs::write(dir.join("trivial.py"), TRIVIAL);
            Box::new(move || {
                let outcome = drive(&dir, ops);
                let _ = std::fs::remove_dir_all(&dir);
                outcome
            })
        }),
    }]
}

/// Starts the adapters (timed: starting them is part of what a run pays), then drives `ops`
/// operations over [`CLIENTS`] clients.
fn drive(dir: &std::path::Path, ops: usize) -> Outcome {
    let failed = |why: String| Outcome {
        ops: 0,
        verdict: Validity::Unknown,
        search_bytes: 0,
        note: Some(why),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return failed(format!("no runtime: {e}")),
    };
    let recorder = match Recorder::create(&dir.join("history.jsonl"), Instant::now()) {
        Ok(r) => r,
        Err(e) => return failed(format!("no history file: {e}")),
    };
    let pool = AdapterPool::new(
        AdapterCommand {
            argv: vec!["python3".into(), "trivial.py".into()],
            env: Default::default(),
            cwd: dir.to_path_buf(),
            hello_timeout: Duration::from_secs(10),
        },
        Hello {
            id: 0,
            f: "hello".into(),
            protocol: PROTOCOL_VERSION,
            adapter: 0,
            workload: "register".into(),
            nodes: vec![NodeAddress {
                name: "n1".into(),
                ip: "127.0.0.1".into(),
                port: 1,
            }],
        },
    );
    let ctx = ClientContext {
        target: Arc::new(faultline_targets::reference::Reference::default()),
        cluster: Arc::new(ClusterSpec {
            nodes: Vec::new(),
            mode: None,
            bug: None,
            options: Default::default(),
        }),
        workload: "register".into(),
        recorder: recorder.clone(),
        op_timeout: Duration::from_secs(5),
        concurrency: CLIENTS,
    };
    let per_client = ops / CLIENTS as usize;
    let ok = runtime.block_on(async {
        let tasks: Vec<_> = (0..CLIENTS)
            .map(|slot| {
                let (pool, ctx) = (pool.clone(), ctx.clone());
                tokio::spawn(async move {
                    let adapter = pool.checkout().await.map_err(|e| e.to_string())?;
                    let mut client: Box<dyn Client> =
                        Box::new(AdapterClient::new(pool, adapter, "n1".into()));
                    let mut ok = 0usize;
                    for i in 0..per_client {
                        let op = Invocation::new("write", Some(json!("k")), json!(i));
                        if ctx.perform(&mut client, u64::from(slot), &op).await.kind == OpType::Ok {
                            ok += 1;
                        }
                    }
                    Ok::<usize, String>(ok)
                })
            })
            .collect();
        let mut ok = 0;
        for t in tasks {
            ok += t.await.map_err(|e| e.to_string())??;
        }
        Ok::<usize, String>(ok)
    });
    pool.shutdown();
    let done = per_client * CLIENTS as usize;
    match ok {
        Ok(ok) => Outcome {
            ops: done,
            // Every op answered ok and both its events recorded.
            verdict: if ok == done && recorder.len() == 2 * done {
                Validity::Valid
            } else {
                Validity::Invalid
            },
            search_bytes: 0,
            note: Some(format!("{} adapters", pool.started())),
        },
        Err(e) => failed(e),
    }
}

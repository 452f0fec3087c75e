//! The client adapter protocol against small Python adapters: a well-behaved one, one that
//! crashes mid-run, one that prints garbage, one that answers an unknown id, one that never
//! answers. Each op must end as the protocol says, with nothing lost and the adapter replaced.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use faultline_checkers::OpType;
use faultline_targets::adapter::wire::{Hello, NodeAddress, PROTOCOL_VERSION};
use faultline_targets::adapter::{AdapterClient, AdapterCommand, AdapterPool};
use faultline_targets::Client;
use faultline_workloads::Invocation;
use serde_json::{json, Value};

/// The shared part of every test adapter: answer hello, then hand each request to `handle`.
const PRELUDE: &str = r#"
import json, sys, time, os
n = 0
for line in sys.stdin:
    req = json.loads(line)
    if req["f"] == "hello":
        assert req["protocol"] == 1 and req["nodes"][0]["name"] == "n1", req
        print(json.dumps({"id": 0, "type": "ok"}), flush=True)
        continue
    n += 1
"#;

fn script(name: &str, body: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("faultline-adapter-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let indented: String = body.lines().map(|l| format!("    {l}\n")).collect();
    std::fs::write(&path, format!("{PRELUDE}{indented}")).unwrap();
    path
}

fn pool(path: PathBuf) -> Arc<AdapterPool> {
    let cwd = path.parent().unwrap().to_path_buf();
    AdapterPool::new(
        AdapterCommand {
            argv: vec!["python3".into(), path.display().to_string()],
            env: Default::default(),
            cwd,
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
    )
}

async fn client(pool: &Arc<AdapterPool>) -> AdapterClient {
    let adapter = pool.checkout().await.expect("adapter starts");
    AdapterClient::new(pool.clone(), adapter, "n1".into())
}

/// The pool's summary as `results.json` holds it.
trait SummaryJson {
    fn summary_json(&self) -> Value;
}

impl SummaryJson for AdapterPool {
    fn summary_json(&self) -> Value {
        serde_json::to_value(self.summary()).unwrap()
    }
}

fn write(v: i64) -> Invocation {
    Invocation::new("write", Some(json!("k")), json!(v))
}

fn read() -> Invocation {
    Invocation::new("read", Some(json!("k")), Value::Null)
}

fn error_text(e: &Option<Value>) -> String {
    e.as_ref()
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn a_well_behaved_adapter_answers_ok_fail_info_and_read_values() {
    let p = pool(script(
        "good.py",
        r#"if req["f"] == "read":
    ans = {"id": req["id"], "type": "ok", "value": None if req["process"] == 0 else req["process"]}
elif req["value"] == 13:
    ans = {"id": req["id"], "type": "fail", "error": "not-leader", "node": "n2"}
elif req["value"] == 14:
    ans = {"id": req["id"], "type": "info", "error": "timeout"}
else:
    ans = {"id": req["id"], "type": "ok"}
print(json.dumps(ans), flush=True)"#,
    ));
    let mut c = client(&p).await;
    let done = c.invoke(&write(4)).await;
    assert_eq!((done.kind, done.value), (OpType::Ok, json!(4)));
    let done = c.invoke(&read()).await;
    assert_eq!(
        (done.kind, done.value),
        (OpType::Ok, Value::Null),
        "null is a value"
    );
    c.set_process(7);
    assert_eq!(
        c.invoke(&read()).await.value,
        json!(7),
        "process is passed on"
    );
    let done = c.invoke(&write(13)).await;
    assert_eq!(done.kind, OpType::Fail);
    assert_eq!(error_text(&done.error), "not-leader");
    assert_eq!(done.node.as_deref(), Some("n2"));
    let done = c.invoke(&write(14)).await;
    assert_eq!((done.kind, done.value), (OpType::Info, json!(14)));
    drop(c);
    let s = p.summary_json();
    assert_eq!(
        (s["started"].clone(), s["restarts"].clone()),
        (json!(1), json!(0))
    );
    p.shutdown();
}

#[tokio::test]
async fn an_adapter_crashing_mid_run_gives_info_and_is_restarted() {
    let p = pool(script(
        "crash.py",
        r#"if n == 3:
    print("boom: lost my connection", file=sys.stderr, flush=True)
    sys.exit(3)
print(json.dumps({"id": req["id"], "type": "ok"}), flush=True)"#,
    ));
    let mut c = client(&p).await;
    assert_eq!(c.invoke(&write(1)).await.kind, OpType::Ok);
    assert_eq!(c.invoke(&write(2)).await.kind, OpType::Ok);
    let crashed = c.invoke(&write(3)).await;
    assert_eq!(
        (crashed.kind, crashed.value.clone()),
        (OpType::Info, json!(3))
    );
    let why = error_text(&crashed.error);
    assert!(
        why.contains("adapter #1") && why.contains("exited"),
        "{why}"
    );
    assert!(why.contains("boom: lost my connection"), "{why}");
    // The run goes on: the next op starts a new adapter.
    assert_eq!(c.invoke(&write(4)).await.kind, OpType::Ok);
    let s = p.summary_json();
    assert_eq!(
        (s["exits"].clone(), s["restarts"].clone()),
        (json!(1), json!(1))
    );
    let events: Vec<&str> = s["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["exited", "restarted"]);
    drop(c);
    p.shutdown();
}

#[tokio::test]
async fn garbage_and_unknown_ids_are_clear_errors_and_lose_nothing() {
    let p = pool(script(
        "garbage.py",
        r#"if n == 2:
    print("debug: about to write", flush=True)
else:
    print(json.dumps({"id": req["id"], "type": "ok"}), flush=True)"#,
    ));
    let mut c = client(&p).await;
    assert_eq!(c.invoke(&write(1)).await.kind, OpType::Ok);
    let garbage = c.invoke(&write(2)).await;
    assert_eq!(
        (garbage.kind, garbage.value.clone()),
        (OpType::Info, json!(2))
    );
    let why = error_text(&garbage.error);
    assert!(why.contains("adapter #1"), "{why}");
    assert!(
        why.contains("stdout line 3") && why.contains("debug: about to write"),
        "{why}"
    ); // line 1 answered hello
    assert!(why.contains("expected one JSON object per line"), "{why}");
    // A new adapter (#2) takes over.
    assert_eq!(c.invoke(&write(3)).await.kind, OpType::Ok);
    let p4 = pool(script(
        "unknown_id.py",
        r#"if n == 2:
    print(json.dumps({"id": req["id"] + 1000, "type": "ok"}), flush=True)
else:
    print(json.dumps({"id": req["id"], "type": "ok"}), flush=True)"#,
    ));
    let mut d = client(&p4).await;
    assert_eq!(d.invoke(&write(1)).await.kind, OpType::Ok);
    let unknown = d.invoke(&write(2)).await;
    assert_eq!(unknown.kind, OpType::Info);
    let why = error_text(&unknown.error);
    assert!(
        why.contains("not the request in flight") && why.contains("expected an answer with id"),
        "{why}"
    );
    assert_eq!(d.invoke(&write(3)).await.kind, OpType::Ok);
    assert_eq!(p.summary_json()["protocol_errors"], json!(1));
    assert_eq!(p.summary_json()["restarts"], json!(1));
    assert_eq!(p4.summary_json()["protocol_errors"], json!(1));
    assert_eq!(p4.summary_json()["restarts"], json!(1));
    drop((c, d));
    p.shutdown();
    p4.shutdown();
}

#[tokio::test]
async fn an_adapter_that_never_answers_times_out_as_info_and_is_not_reused() {
    let p = pool(script(
        "silent.py",
        r#"if req["value"] == 2:
    time.sleep(60)
print(json.dumps({"id": req["id"], "type": "ok"}), flush=True)"#,
    ));
    let mut c = client(&p).await;
    assert_eq!(c.invoke(&write(1)).await.kind, OpType::Ok);
    // The harness applies the op timeout around invoke; the adapter keeps the request in flight.
    let timed_out = tokio::time::timeout(Duration::from_millis(300), c.invoke(&write(2))).await;
    assert!(timed_out.is_err());
    // The next op must not read the stuck adapter's late answer: it gets a fresh adapter.
    let done = c.invoke(&write(3)).await;
    assert_eq!(done.kind, OpType::Ok);
    assert_eq!(p.started(), 2);
    drop(c);
    p.shutdown();
}

#[tokio::test]
async fn an_adapter_that_cannot_start_is_a_definite_failure_naming_the_command() {
    let p = AdapterPool::new(
        AdapterCommand {
            argv: vec!["/nonexistent/adapter-binary".into()],
            env: Default::default(),
            cwd: std::env::temp_dir(),
            hello_timeout: Duration::from_secs(1),
        },
        Hello {
            id: 0,
            f: "hello".into(),
            protocol: PROTOCOL_VERSION,
            adapter: 0,
            workload: "register".into(),
            nodes: vec![],
        },
    );
    let e = p.checkout().await.err().expect("cannot start");
    assert!(e.to_string().contains("/nonexistent/adapter-binary"), "{e}");
}

//! `faultline run --target-spec` end to end: the reference nodes driven through a spec and the
//! Python adapter of `examples/refnode-adapter/` give the same verdicts as the built-in target
//! (raft: valid; the stale-read bug: invalid); an adapter that keeps crashing is restarted and the
//! run goes on; hooks run and log files are collected; Redis through `examples/redis/` gives the
//! verdict its replication allows; a malformed spec is bad input naming file, line and field; an
//! image that does not build is a harness failure showing the build log. Docker tests run one at
//! a time.

use std::path::{Path, PathBuf};
use std::process::Output;

mod common;
use common::{checker, faultline_command, json, output, refnode_binary, results_dir};

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn example(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/refnode-adapter")
        .join(file)
}

fn run_spec(spec: &Path, extra: &[&str], results: &Path) -> Output {
    // The spec's image copies the node binary from target/debug.
    refnode_binary();
    let mut args = vec!["run", "--target-spec", spec.to_str().unwrap()];
    args.extend_from_slice(extra);
    output(faultline_command(&args, results))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_malformed_spec_is_bad_input_naming_file_line_and_field() {
    let results = results_dir("spec-malformed");
    std::fs::create_dir_all(&results).unwrap();
    let text = std::fs::read_to_string(example("raft.toml"))
        .unwrap()
        .replace("port = 7000", "port = \"seven thousand\"");
    let line = text[..text.find("port = \"seven").unwrap()]
        .matches('\n')
        .count()
        + 1;
    let spec = results.join("bad.toml");
    std::fs::write(&spec, text).unwrap();
    let out = output(faultline_command(
        &["run", "--target-spec", spec.to_str().unwrap()],
        &results,
    ));
    assert_eq!(out.status.code(), Some(64));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{}:{line}: node.port:", spec.display())),
        "{err}"
    );
    std::fs::remove_dir_all(&results).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_that_does_not_build_is_a_harness_failure_with_its_build_log() {
    let _serial = SERIAL.lock().await;
    let results = results_dir("spec-build");
    std::fs::create_dir_all(&results).unwrap();
    let text = std::fs::read_to_string(example("raft.toml"))
        .unwrap()
        .replace(
            "run = [\"mkdir -p /data\"]",
            "run = [\"echo spec-build-marker-$((6*7)) && false\"]",
        )
        .replace(
            "../../target",
            &format!("{}/../target", env!("CARGO_MANIFEST_DIR")),
        );
    let spec = results.join("unbuildable.toml");
    std::fs::write(&spec, text).unwrap();
    let out = run_spec(&spec, &["--time-limit", "2"], &results);
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(
        err.contains("spec-build-marker-42"),
        "the build log is shown: {err}"
    );
    std::fs::remove_dir_all(&results).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refnode_raft_through_the_adapter_under_partitions_is_valid() {
    let _serial = SERIAL.lock().await;
    let results = results_dir("spec-raft");
    let out = run_spec(
        &example("raft.toml"),
        &[
            "--workload",
            "register",
            "--nemesis",
            "partition,kill",
            "--nemesis-interval",
            "2",
            "--time-limit",
            "12",
            "--concurrency",
            "5",
            "--seed",
            "5",
        ],
        &results,
    );
    assert_eq!(out.status.code(), Some(0), "exit code");
    let res = json(&results.join("latest/results.json"));
    assert_eq!(res["valid"], true);
    assert_eq!(checker(&res, "register")["valid"], true);
    assert!(
        res["stats"]["ok"].as_u64().unwrap() > 100,
        "{}",
        res["stats"]
    );
    // One adapter per client, more only in place of one still busy with a timed-out request;
    // none died.
    let adapter = &res["adapter"];
    assert!(adapter["started"].as_u64().unwrap() >= 5, "{adapter}");
    assert_eq!(adapter["restarts"], 0, "{adapter}");
    assert_eq!(adapter["protocol_errors"], 0, "{adapter}");
    let test = json(&results.join("latest/test.json"));
    assert_eq!(test["options"]["target"], "refnode-raft");
    assert!(test["options"]["target_spec"]
        .as_str()
        .unwrap()
        .ends_with("examples/refnode-adapter/raft.toml"));
    std::fs::remove_dir_all(&results).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refnode_stale_read_bug_through_the_adapter_is_invalid() {
    let _serial = SERIAL.lock().await;
    let results = results_dir("spec-stale");
    std::fs::create_dir_all(&results).unwrap();
    // As the built-in target's test: isolate each node in turn, so the first leader is cut off
    // and serves reads locally (the bug) while the majority moves on.
    let mut schedule = String::new();
    for (i, node) in ["n1", "n2", "n3", "n1", "n2", "n3"].iter().enumerate() {
        let others: Vec<&str> = ["n1", "n2", "n3"]
            .into_iter()
            .filter(|n| n != node)
            .collect();
        let mut grudge = serde_json::Map::new();
        grudge.insert(node.to_string(), serde_json::json!(others));
        for o in &others {
            grudge.insert(o.to_string(), serde_json::json!([node]));
        }
        let start = 1.0 + i as f64 * 3.0;
        schedule += &serde_json::json!({"at": start, "f": "partition-start", "value": {"kind": "one", "grudge": grudge}}).to_string();
        schedule += "\n";
        schedule += &serde_json::json!({"at": start + 2.5, "f": "partition-stop"}).to_string();
        schedule += "\n";
    }
    let schedule_path = results.join("schedule.jsonl");
    std::fs::write(&schedule_path, schedule).unwrap();
    let out = run_spec(
        &example("stale-read.toml"),
        &[
            "--workload",
            "register",
            "--time-limit",
            "19",
            "--concurrency",
            "10",
            "--seed",
            "11",
            "--schedule",
            schedule_path.to_str().unwrap(),
            "--op-timeout-ms",
            "500",
        ],
        &results,
    );
    assert_eq!(out.status.code(), Some(1), "exit code");
    let res = json(&results.join("latest/results.json"));
    assert_eq!(res["valid"], false);
    assert_eq!(checker(&res, "cas-register")["valid"], false);
    std::fs::remove_dir_all(&results).unwrap();
}

/// The example spec rewritten into `results` with its binary path made absolute, so changed copies
/// of it can live outside the examples folder.
fn spec_copy(results: &Path, from: &str, edit: impl FnOnce(String) -> String) -> PathBuf {
    std::fs::create_dir_all(results).unwrap();
    let text = std::fs::read_to_string(example(from)).unwrap().replace(
        "../../target",
        &format!("{}/../target", env!("CARGO_MANIFEST_DIR")),
    );
    let spec = results.join(from);
    std::fs::write(&spec, edit(text)).unwrap();
    spec
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adapter_that_keeps_crashing_is_restarted_and_the_run_goes_on() {
    let _serial = SERIAL.lock().await;
    let results = results_dir("spec-crash");
    // The example adapter, made to die when its 40th line (hello and 38 answered requests
    // before it) arrives: the request in flight is never answered.
    std::fs::create_dir_all(&results).unwrap();
    std::fs::write(
        results.join("crashing.py"),
        format!(
            r#"import runpy, sys
class Dying:
    def __init__(self, lines):
        self.lines = lines
    def __iter__(self):
        for n, line in enumerate(self.lines, 1):
            if n == 40:
                print("crashing on purpose at line 40", file=sys.stderr, flush=True)
                sys.exit(3)
            yield line
sys.stdin = Dying(sys.stdin)
runpy.run_path({:?}, run_name="__main__")
"#,
            example("adapter.py").display().to_string()
        ),
    )
    .unwrap();
    let spec = spec_copy(&results, "raft.toml", |text| {
        text.replace(
            r#"command = ["python3", "adapter.py"]"#,
            r#"command = ["python3", "crashing.py"]"#,
        )
        .replace(
            "data_dir = \"/data\"",
            "data_dir = \"/data\"\nlogs = [\"/data/hook.txt\"]",
        ) + "\n[[hooks.after_start]]\non = \"all\"\ncommand = [\"sh\", \"-c\", \"echo hooked {node} at {ip} > {data_dir}/hook.txt\"]\n"
    });
    let out = run_spec(
        &spec,
        &[
            "--workload",
            "register",
            "--nemesis",
            "none",
            "--time-limit",
            "6",
            "--concurrency",
            "3",
            "--seed",
            "2",
        ],
        &results,
    );
    assert_eq!(out.status.code(), Some(0), "exit code");
    assert!(
        stderr(&out).contains("client adapters were restarted"),
        "the run warns"
    );
    let res = json(&results.join("latest/results.json"));
    assert_eq!(res["valid"], true, "crashes lose no recorded operation");
    let adapter = &res["adapter"];
    assert!(adapter["restarts"].as_u64().unwrap() >= 3, "{adapter}");
    assert!(adapter["exits"].as_u64().unwrap() >= 3, "{adapter}");
    let events = adapter["events"].as_array().unwrap();
    assert!(
        events.iter().any(|e| e["event"] == "exited"
            && e["detail"]
                .as_str()
                .unwrap()
                .contains("crashing on purpose at line 40")),
        "the adapter's last stderr lines are kept: {adapter}"
    );
    assert!(events.iter().any(|e| e["event"] == "restarted"));
    // The operation each crash cut short is recorded as unknown, not lost and not failed.
    let history = std::fs::read_to_string(results.join("latest/history.jsonl")).unwrap();
    let crashed = history
        .lines()
        .filter(|l| l.contains("\"type\":\"info\"") && l.contains("adapter #"))
        .count();
    assert!(crashed >= 3, "{crashed} info ops naming the adapter");
    assert!(
        res["stats"]["ok"].as_u64().unwrap() > 100,
        "{}",
        res["stats"]
    );
    // The after_start hook ran on every node with its own templates; node.logs were collected.
    for (i, node) in ["n1", "n2", "n3"].iter().enumerate() {
        let log =
            std::fs::read_to_string(results.join(format!("latest/nodes/{node}/hook.txt"))).unwrap();
        assert!(log.starts_with(&format!("hooked {node} at ")), "{i}: {log}");
    }
    std::fs::remove_dir_all(&results).unwrap();
}

#[test]
fn a_spec_target_on_the_in_process_backend_is_refused() {
    let results = results_dir("spec-in-process");
    std::fs::create_dir_all(&results).unwrap();
    let out = output(faultline_command(
        &[
            "run",
            "--backend",
            "in-process",
            "--target-spec",
            example("raft.toml").to_str().unwrap(),
        ],
        &results,
    ));
    assert_eq!(out.status.code(), Some(64));
    let err = stderr(&out);
    assert!(
        err.contains("in-process backend") && err.contains("--backend docker"),
        "{err}"
    );
    std::fs::remove_dir_all(&results).unwrap();
}

fn redis_spec() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/redis/redis.toml")
}

/// Redis replicates asynchronously and its replicas serve reads: a replica cut off from the
/// primary keeps answering with what it had. With reads spread over the nodes, the register is
/// not linearizable — the run must say so, and finish (kill of the primary included).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_replicas_serve_stale_reads_under_partition() {
    let _serial = SERIAL.lock().await;
    let results = results_dir("spec-redis");
    std::fs::create_dir_all(&results).unwrap();
    let schedule = results.join("schedule.jsonl");
    let isolate_n2 = serde_json::json!({"at": 1.0, "f": "partition-start",
        "value": {"kind": "one", "grudge": {"n2": ["n1", "n3"], "n1": ["n2"], "n3": ["n2"]}}});
    let lines = [
        isolate_n2,
        serde_json::json!({"at": 5.0, "f": "partition-stop"}),
        serde_json::json!({"at": 6.0, "f": "kill", "value": {"nodes": ["n1"]}}),
        serde_json::json!({"at": 8.0, "f": "restart", "value": {"nodes": ["n1"]}}),
    ];
    std::fs::write(
        &schedule,
        lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
    )
    .unwrap();
    let out = output(faultline_command(
        &[
            "run",
            "--target-spec",
            redis_spec().to_str().unwrap(),
            "--workload",
            "register",
            "--schedule",
            schedule.to_str().unwrap(),
            "--time-limit",
            "10",
            "--concurrency",
            "6",
            "--seed",
            "3",
        ],
        &results,
    ));
    assert_eq!(out.status.code(), Some(1), "exit code: an anomaly");
    let res = json(&results.join("latest/results.json"));
    assert_eq!(checker(&res, "cas-register")["valid"], false);
    assert_eq!(res["adapter"]["restarts"], 0, "{}", res["adapter"]);
    assert!(
        res["stats"]["ok"].as_u64().unwrap() > 100,
        "{}",
        res["stats"]
    );
    let log = std::fs::read_to_string(results.join("latest/nodes/n2/redis.log")).unwrap();
    assert!(
        log.contains("MASTER <-> REPLICA sync"),
        "the replica's own log file"
    );
    std::fs::remove_dir_all(&results).unwrap();
}

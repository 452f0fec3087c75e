//! `faultline campaign` end to end: a bad file is refused before anything starts, and a tiny
//! matrix of two short runs against the real Docker engine and the reference nodes exits with the
//! worst verdict and summarises both runs. A missing Docker is a failure, not a skip.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use faultline::docker::DockerClient;
use serde_json::Value;

mod common;
use common::{output, refnode_binary};

/// A fresh folder for one test's campaign file and results.
fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("faultline-campaign-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn campaign(file: &Path, results: &Path) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_faultline"));
    cmd.arg("campaign")
        .arg(file)
        .arg("--results-dir")
        .arg(results);
    output(cmd)
}

#[test]
fn a_bad_entry_is_refused_before_any_run_starts() {
    let dir = scratch("bad");
    let file = dir.join("bad.toml");
    // The first block is fine; the second names an option the quorum mode does not have.
    std::fs::write(
        &file,
        "[[matrix]]\nmodes = [\"raft\"]\n[[matrix]]\nmodes = [\"quorum\"]\ntarget-options = [{ w = 1 }, { quorom = 2 }]\n",
    )
    .unwrap();
    let out = campaign(&file, &dir.join("results"));
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml: matrix[1].target-options[1]") && err.contains("quorom"),
        "{err}"
    );
    assert!(
        !dir.join("results").exists(),
        "nothing may start before every entry is checked"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_exits_with_its_worst_verdict_and_lists_every_run() {
    let dir = scratch("two");
    let file = dir.join("two.toml");
    // A correct mode and a weak one, both under partitions: raft stays linearizable, quorum with
    // W=1/R=1 serves stale reads.
    std::fs::write(
        &file,
        r#"
name = "it"
[defaults]
workloads = ["register"]
nemeses = ["partition"]
seeds = [7]
time-limit = 5
nemesis-interval = 1
recovery = 1
concurrency = 10

[[matrix]]
modes = ["raft"]

[[matrix]]
modes = ["quorum"]
target-options = [{ w = 1, r = 1 }]
"#,
    )
    .unwrap();
    let results = dir.join("results");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_faultline"));
    cmd.arg("campaign")
        .arg(&file)
        .arg("--results-dir")
        .arg(&results)
        .env("FAULTLINE_REFNODE_BIN", refnode_binary());
    let out = output(cmd);
    assert_eq!(out.status.code(), Some(1), "worst = invalid");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("[1/2]") && stderr.contains("[2/2]"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("\x1b[2K"),
        "no progress line when stderr is not a terminal"
    );

    let campaigns = results.join("campaigns/it");
    let stamps: Vec<_> = std::fs::read_dir(&campaigns).unwrap().collect();
    assert_eq!(stamps.len(), 1);
    let folder = stamps[0].as_ref().unwrap().path();
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["exit_code"], 1);
    assert_eq!(summary["finished"], true);
    let runs = summary["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["mode"], "raft");
    assert_eq!(runs[0]["valid"], true, "{}", runs[0]);
    assert_eq!(runs[1]["mode"], "quorum");
    assert_eq!(runs[1]["target_options"]["w"], "1");
    assert_eq!(runs[1]["valid"], false, "{}", runs[1]);
    let markdown = std::fs::read_to_string(folder.join("summary.md")).unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    for run in runs {
        let dir = PathBuf::from(run["dir"].as_str().unwrap());
        assert!(dir.join("results.json").is_file(), "{}", dir.display());
        assert!(run["ops_per_second"].as_f64().unwrap() > 0.0);
        assert!(!run["checkers"].as_array().unwrap().is_empty());
        // Both summaries name the run folder.
        assert!(markdown.contains(&dir.display().to_string()), "{markdown}");
        assert!(stdout.contains(&dir.display().to_string()), "{stdout}");
        let test: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("test.json")).unwrap()).unwrap();
        assert_eq!(test["seed"], 7);
        let docker = DockerClient::connect().await.expect("Docker engine");
        let left = docker
            .run_objects(Some(test["run_id"].as_str().unwrap()))
            .await
            .unwrap();
        assert!(left.is_empty(), "run {} left {left:?}", test["run_id"]);
    }
    assert!(
        markdown.contains("| 1 | reference | raft | - | register | partition | 7 | valid |"),
        "{markdown}"
    );
    assert!(markdown.contains("| INVALID |"), "{markdown}");
    assert!(markdown.contains("exit code **1**"), "{markdown}");
    std::fs::remove_dir_all(&dir).unwrap();
}

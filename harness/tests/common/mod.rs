//! What the end-to-end tests of `faultline run` share: a results folder per test, running the
//! binary with its output shown, reading results, and counting what a run left in Docker.

#![allow(dead_code)] // Each test binary uses its own subset.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use faultline::docker::DockerClient;
use serde_json::Value;

/// Builds the reference node (debug, quick when up to date) and returns its path.
pub fn refnode_binary() -> PathBuf {
    let status = Command::new(env!("CARGO"))
        .args(["build", "-q", "-p", "faultline-refnode"])
        .status()
        .expect("cargo build");
    assert!(status.success(), "building faultline-refnode failed");
    let bin = Path::new(env!("CARGO_BIN_EXE_faultline"))
        .parent()
        .unwrap()
        .join("faultline-refnode");
    assert!(bin.is_file(), "{} missing", bin.display());
    bin
}

/// Builds the packet-shaping helper (debug, quick when up to date), points the harness at it
/// and returns its path.
pub fn netq_binary() -> PathBuf {
    let status = Command::new(env!("CARGO"))
        .args(["build", "-q", "-p", "faultline-netq"])
        .status()
        .expect("cargo build");
    assert!(status.success(), "building faultline-netq failed");
    let bin = Path::new(env!("CARGO_BIN_EXE_faultline"))
        .parent()
        .unwrap()
        .join("faultline-netq");
    assert!(bin.is_file(), "{} missing", bin.display());
    std::env::set_var("FAULTLINE_NETQ_BIN", &bin);
    bin
}

/// A fresh results folder for test `name` under the temp directory.
pub fn results_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("faultline-it-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// `faultline ARGS --results-dir RESULTS`, not yet run.
pub fn faultline_command(args: &[&str], results: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_faultline"));
    cmd.args(args).arg("--results-dir").arg(results);
    cmd
}

/// Runs `cmd` to the end, printing its output (seen when a test fails).
pub fn output(mut cmd: Command) -> Output {
    let out = cmd.output().expect("faultline run");
    eprintln!(
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    out
}

pub fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The report of the checker whose name contains `name`.
pub fn checker<'a>(results: &'a Value, name: &str) -> &'a Value {
    results["checkers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["checker"].as_str().unwrap().contains(name))
        .unwrap_or_else(|| panic!("no {name} checker in {results}"))
}

/// Containers, networks and volumes of run `run_id` still in Docker.
pub async fn leftovers(run_id: &str) -> usize {
    let docker = DockerClient::connect().await.expect("Docker engine");
    docker
        .run_objects(Some(run_id))
        .await
        .unwrap()
        .values()
        .map(|o| o.containers.len() + o.networks.len() + o.volumes.len())
        .sum()
}

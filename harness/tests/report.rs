//! Reports end to end: `faultline report` on a stored real run, `faultline check --report` on a
//! real history with Elle anomalies, both opened in headless Chromium; JUnit read back with an XML
//! parser; the results index; the page size of a 1M-operation history; bad folders.
//!
//! Chromium is required (`.ci/setup` installs Debian's `chromium`): without it these tests fail,
//! they do not skip.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use faultline::bench::report::{synthetic_events, synthetic_results, write_synthetic_run};
use faultline::report::digest::DigestBuilder;
use faultline::report::{self, RunFolder};
use faultline_checkers::{Op, Process};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("faultline-report-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn faultline(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .output()
        .expect("run faultline");
    eprintln!(
        "faultline {args:?}: {:?}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The DOM Chromium builds from `page` after running its scripts. Fails on console messages.
fn chromium_dom(page: &Path, profile: &Path) -> String {
    let url = format!("file://{}", std::fs::canonicalize(page).unwrap().display());
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot start chromium ({e}); .ci/setup installs it (Debian package chromium)")
        });
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "chromium failed on {url}: {stderr}");
    // Console output (errors from scripts, failed loads) is logged as CONSOLE lines.
    let console: Vec<&str> = stderr.lines().filter(|l| l.contains("CONSOLE")).collect();
    assert!(
        console.is_empty(),
        "console messages on {url}: {console:#?}"
    );
    let dom = String::from_utf8(out.stdout).unwrap();
    assert!(dom.len() > 10_000, "a near-empty DOM for {url}: {dom}");
    dom
}

/// What every full page must have once Chromium has loaded it.
fn assert_page_loaded(dom: &str) {
    assert!(
        dom.contains("data-report-ready=\"yes\""),
        "the page's script did not run to its end"
    );
    for id in ["latency-plot", "throughput-plot", "timeline-0", "anomalies"] {
        assert!(dom.contains(&format!("id=\"{id}\"")), "no #{id} in the DOM");
    }
    assert!(dom.contains("class=\"points ok\""), "no latency points");
    assert!(dom.contains("class=\"bars ok\""), "no throughput bars");
    assert!(dom.contains("class=\"op ok"), "no timeline bars");
    assert!(
        !dom.contains("NaN") && !dom.contains("inf\""),
        "a coordinate is not a number"
    );
}

fn junit(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// Parses JUnit XML and checks the counts against the test cases; returns the test cases as
/// (name, outcome element or "", message).
fn parse_junit(xml: &str) -> Vec<(String, String, String)> {
    let doc = roxmltree::Document::parse(xml).expect("junit.xml is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 1);
    let suite = suites[0];
    let cases: Vec<_> = suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let count = |tag: &str| {
        cases
            .iter()
            .filter(|c| c.children().any(|n| n.has_tag_name(tag)))
            .count()
    };
    let attr = |node: roxmltree::Node, name: &str| -> usize {
        node.attribute(name).unwrap().parse().unwrap()
    };
    for node in [root, suite] {
        assert_eq!(attr(node, "tests"), cases.len());
        assert_eq!(attr(node, "failures"), count("failure"));
        assert_eq!(attr(node, "errors"), count("error"));
        assert_eq!(attr(node, "skipped"), count("skipped"));
    }
    cases
        .iter()
        .map(|c| {
            let outcome = c.children().find(|n| n.is_element());
            (
                c.attribute("name").unwrap().to_string(),
                outcome.map_or(String::new(), |o| o.tag_name().name().to_string()),
                outcome
                    .and_then(|o| o.attribute("message"))
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect()
}

#[test]
fn report_of_a_real_run_opens_in_chromium_with_its_counterexample_and_faults() {
    let root = temp("real-run");
    let run = root.join("reference-raft-register/20261124T195621Z");
    copy_dir(&fixture("run-raft-stale-read"), &run);
    let out = faultline(&["report", run.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let dom = chromium_dom(&run.join("report.html"), &root.join("profile"));
    assert_page_loaded(&dom);
    // The stale read is a linearizability counterexample: drawn, with the blocked read.
    assert!(dom.contains("class=\"counterexample\""));
    assert!(dom.contains("class=\"bar blocked\""));
    assert!(dom.contains("read 41"), "the impossible read is labelled");
    // Three partitions were in force, shaded in both plots and the timeline.
    let latency = &dom[dom.find("id=\"latency-plot\"").unwrap()..];
    let latency = &latency[..latency.find("</svg>").unwrap()];
    assert_eq!(
        latency.matches("class=\"fault fault-partition\"").count(),
        3
    );
    assert!(dom.contains("href=\"nodes/n1/service.log\""));
    assert!(
        dom.contains("skipped"),
        "the skipped convergence checker is listed"
    );
    // JUnit: one failing checker (with the anomaly summary), two passing, one skipped.
    let cases = parse_junit(&junit(&run.join("junit.xml")));
    assert_eq!(cases.len(), 4);
    let failed: Vec<_> = cases.iter().filter(|c| c.1 == "failure").collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].0, "linearizable(cas-register)");
    assert_eq!(failed[0].2, "1 anomaly: nonlinearizable × 1");
    assert!(cases
        .iter()
        .any(|c| c.0 == "convergence" && c.1 == "skipped"));
    // The index above the run lists it.
    let index = std::fs::read_to_string(root.join("index.html")).unwrap();
    assert!(index.contains("reference-raft-register/20261124T195621Z/report.html"));
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn check_report_of_a_real_elle_history_draws_its_cycles_in_chromium() {
    let root = temp("elle");
    let dir = root.join("report");
    let history = fixture("run-raft-non-atomic-txn/history.jsonl");
    let out = faultline(&[
        "check",
        history.to_str().unwrap(),
        "--model",
        "list-append",
        "--report",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "the history is invalid");
    for file in [
        "report.html",
        "junit.xml",
        "results.json",
        "test.json",
        "history.jsonl",
    ] {
        assert!(dir.join(file).is_file(), "{file} missing");
    }
    let results: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap();
    assert_eq!(results["schema"], 2);
    assert_eq!(results["valid"], false);
    assert_eq!(results["checkers"][0]["checker"], "elle(list-append)");

    let dom = chromium_dom(&dir.join("report.html"), &root.join("profile"));
    assert_page_loaded(&dom);
    // Elle cycles are drawn: nodes, typed arrows, and the kinds named.
    let cycle = &dom[dom.find("<svg class=\"cycle\"").expect("a drawn cycle")..];
    let cycle = &cycle[..cycle.find("</svg>").unwrap()];
    assert!(cycle.matches("class=\"node\"").count() >= 2);
    assert!(cycle.contains("marker-end=\"url(#arrow-"));
    for kind in ["G-single-item", "G0", "G1c", "G2-item"] {
        assert!(dom.contains(&format!("<h4>{kind}</h4>")), "{kind} missing");
    }
    // JUnit: the one checker fails with its anomaly types in the message.
    let cases = parse_junit(&junit(&dir.join("junit.xml")));
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].1, "failure");
    assert!(cases[0].2.contains("G-single-item"), "{}", cases[0].2);
    // The report folder is a run folder: `faultline report` regenerates it.
    std::fs::remove_file(dir.join("report.html")).unwrap();
    let out = faultline(&["report", "--no-index", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(dir.join("report.html").is_file());
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn junit_marks_unknown_as_error_and_skipped_as_skipped() {
    let root = temp("junit");
    let run = root.join("synthetic/20260101T000000Z");
    write_synthetic_run(&run, 2_000).unwrap();
    report::write_reports(&run).unwrap();
    let cases = parse_junit(&junit(&run.join("junit.xml")));
    let outcome = |name: &str| cases.iter().find(|c| c.0 == name).unwrap().clone();
    assert_eq!(outcome("elle(list-append)").1, "failure");
    assert!(outcome("elle(list-append)")
        .2
        .starts_with("2000 anomalies: G-single-item"));
    assert_eq!(outcome("lost-update").1, "failure");
    let unknown = outcome("staleness");
    assert_eq!(unknown.1, "error");
    assert_eq!(unknown.2, "unknown: budget exhausted");
    assert_eq!(outcome("convergence").1, "skipped");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_million_operation_history_gives_a_page_under_10_mb() {
    let ops = 1_000_000;
    let folder = RunFolder {
        dir: PathBuf::from("/nonexistent/synthetic/20260101T000000Z"),
        test: None,
        test_text: None,
        results: synthetic_results(ops),
        history: Some(PathBuf::from("history.jsonl")),
        logs: Vec::new(),
    };
    let mut builder = DigestBuilder::new(folder.wanted_events());
    synthetic_events(ops, |e| match e.process {
        Some(p) => builder.push(e.index, e.time, Process::Client(p), e.kind, e.f),
        None => {
            let mut op = Op::new(e.index, 0, e.kind, e.f, e.value).with_time(e.time);
            op.process = Process::Nemesis;
            builder.push_op(&op);
        }
    });
    let digest = builder.finish();
    assert_eq!(digest.spans.len(), ops);
    let page = report::page::render(&folder, &digest);
    assert!(
        page.len() < faultline::bench::report::PAGE_LIMIT_BYTES,
        "report.html of {ops} operations is {} bytes",
        page.len()
    );
    // Still a whole page: plots, fault windows, timeline windows, anomalies (capped).
    assert!(page.contains("id=\"latency-plot\"") && page.contains("id=\"throughput-plot\""));
    assert!(page.contains("class=\"fault fault-partition\""));
    assert!(page.contains("id=\"timeline-0\""));
    assert!(page.contains("class=\"counterexample\""));
    assert!(page.contains("1970 more anomalies are in results.json"));
}

#[test]
fn the_index_lists_runs_newest_first() {
    let root = temp("index");
    let older = root.join("a/20260101T000000Z");
    let newer = root.join("b/20260301T000000Z");
    copy_dir(&fixture("run-raft-stale-read"), &older);
    copy_dir(&fixture("run-raft-non-atomic-txn"), &newer);
    let out = faultline(&["report", older.to_str().unwrap(), newer.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let index = std::fs::read_to_string(root.join("index.html")).unwrap();
    let (new_at, old_at) = (
        index
            .find("b/20260301T000000Z/report.html")
            .expect("newer listed"),
        index
            .find("a/20260101T000000Z/report.html")
            .expect("older listed"),
    );
    assert!(new_at < old_at, "newest first");
    assert!(index.contains("G-single"), "the anomaly types are listed");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn report_on_a_folder_that_is_not_a_run_exits_64() {
    let root = temp("not-a-run");
    let out = faultline(&["report", root.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is not a run folder: it has no results.json"),
        "{err}"
    );
    let missing = root.join("missing");
    let out = faultline(&["report", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a directory"));
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_schema_2_run_renders_with_its_faults_statistics_and_skipped_checker() {
    let root = temp("schema-2");
    let run = root.join("reference-raft-register/20261203T111721Z");
    copy_dir(&fixture("run-raft-register-v2"), &run);
    let results: Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("results.json")).unwrap()).unwrap();
    assert_eq!(results["schema"], 2);
    let out = faultline(&["report", run.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let dom = chromium_dom(&run.join("report.html"), &root.join("profile"));
    assert_page_loaded(&dom);
    assert!(dom.contains("id=\"verdict\">valid<"), "the run is valid");
    assert!(dom.contains("class=\"fault fault-partition\""));
    assert!(
        dom.contains("id=\"stats\""),
        "the run's statistics are shown"
    );
    assert!(dom.contains("version of docker_engine"));
    let cases = parse_junit(&junit(&run.join("junit.xml")));
    let passing = cases.iter().filter(|c| c.1.is_empty()).count();
    assert_eq!(passing, 3, "{cases:?}");
    assert!(cases
        .iter()
        .any(|c| c.0 == "convergence" && c.1 == "skipped"));
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn schema_1_fixtures_read_as_typed_results() {
    use faultline::results::ResultsFile;
    use faultline_checkers::verdict::AnomalyDetail;
    let stale = ResultsFile::read(&fixture("run-raft-stale-read/results.json")).unwrap();
    let detail = stale.checkers[0].anomalies[0].detail.as_ref().unwrap();
    match detail {
        AnomalyDetail::Counterexample(c) => assert_eq!(c.model, "cas-register"),
        other => panic!("expected a counterexample, got {other:?}"),
    }
    assert!(stale.seconds_of("linearizable(cas-register)").is_some());
    assert!(stale.stats.as_ref().unwrap().client_ops > 0);
    let elle = ResultsFile::read(&fixture("run-raft-non-atomic-txn/results.json")).unwrap();
    assert!(elle.checkers[0]
        .anomalies
        .iter()
        .any(|a| matches!(a.detail, Some(AnomalyDetail::Cycle(_)))));
}

//! `results/index.html`: every run under a results root (`<root>/<test>/<stamp>/results.json`),
//! newest first, with its verdict, what it ran, and links to its report, JUnit and results.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use super::anomalies::verdict;
use super::markup::{clip, escape};
use crate::results::schema::{ResultsFile, TestFile, TestOptions};

/// One run as the index lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub test: String,
    pub stamp: String,
    pub verdict: &'static str,
    /// target / mode / workload / nemesis, or the checked file and model.
    pub what: String,
    /// Anomaly types found.
    pub anomalies: Vec<String>,
    pub has_report: bool,
    pub has_junit: bool,
}

/// Every run folder under `root`, newest first (timestamps sort as text; ties by test name).
pub fn entries(root: &Path) -> Vec<Entry> {
    let mut out = Vec::new();
    let Ok(tests) = std::fs::read_dir(root) else {
        return out;
    };
    for test in tests.flatten() {
        // `latest` is a link to a run, not a test.
        if test.file_name() == "latest" || !test.path().is_dir() {
            continue;
        }
        let Ok(runs) = std::fs::read_dir(test.path()) else {
            continue;
        };
        for run in runs.flatten() {
            let dir = run.path();
            let Ok(results) = ResultsFile::read(&dir.join("results.json")) else {
                continue;
            };
            let test_json = TestFile::read(&dir.join("test.json")).ok();
            out.push(entry(
                test.file_name().to_string_lossy().into_owned(),
                run.file_name().to_string_lossy().into_owned(),
                &results,
                test_json.as_ref(),
                &dir,
            ));
        }
    }
    out.sort_by(|a, b| b.stamp.cmp(&a.stamp).then_with(|| a.test.cmp(&b.test)));
    out
}

fn entry(
    test: String,
    stamp: String,
    results: &ResultsFile,
    test_json: Option<&TestFile<TestOptions>>,
    dir: &Path,
) -> Entry {
    let what = match test_json {
        Some(TestFile {
            options:
                o @ TestOptions {
                    target: Some(target),
                    ..
                },
            ..
        }) => {
            let mut parts = vec![
                clip(target, 40),
                o.mode.as_deref().unwrap_or("default mode").to_string(),
                clip(o.workload.as_deref().unwrap_or("null"), 40),
            ];
            if let Some(bug) = &o.bug {
                parts.push(format!("bug {bug}"));
            }
            let nemesis: Vec<String> = o.nemesis.iter().map(|n| clip(n, 30)).collect();
            parts.push(if nemesis.is_empty() {
                "no faults".into()
            } else {
                format!("nemesis {}", nemesis.join(","))
            });
            parts.join(" · ")
        }
        Some(TestFile {
            source: Some(source),
            ..
        }) => clip(source, 200),
        _ => String::new(),
    };
    let mut anomalies: Vec<String> = results
        .checkers
        .iter()
        .flat_map(|c| c.anomalies.iter().map(|a| a.kind.clone()))
        .collect();
    anomalies.sort();
    anomalies.dedup();
    Entry {
        test,
        stamp,
        verdict: verdict(results.valid),
        what,
        anomalies,
        has_report: dir.join("report.html").is_file(),
        has_junit: dir.join("junit.xml").is_file(),
    }
}

/// The index page for `entries`.
pub fn render(entries: &[Entry]) -> String {
    let mut out = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>faultline runs</title><style>\
         body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:0 16px 40px}\
         table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:3px 8px;text-align:left}th{background:#f6f8fa}\
         .verdict{padding:1px 8px;border-radius:10px;color:#fff;font-weight:600}.valid{background:#1a7f37}.invalid{background:#cf222e}.unknown{background:#9a6700}\
         </style></head><body><h1>faultline runs</h1>",
    );
    if entries.is_empty() {
        out.push_str("<p>No runs yet.</p></body></html>\n");
        return out;
    }
    let _ = write!(
        out,
        "<p>{} run(s), newest first.</p><table id=\"runs\"><tr><th>when (UTC)</th><th>test</th><th>verdict</th><th>what</th><th>anomalies</th><th>files</th></tr>",
        entries.len()
    );
    for e in entries {
        let base = format!("{}/{}", e.test, e.stamp);
        let mut files = Vec::new();
        if e.has_report {
            files.push(format!(
                "<a href=\"{}/report.html\">report</a>",
                escape(&base)
            ));
        }
        if e.has_junit {
            files.push(format!("<a href=\"{}/junit.xml\">junit</a>", escape(&base)));
        }
        files.push(format!(
            "<a href=\"{}/results.json\">results</a>",
            escape(&base)
        ));
        let _ = write!(
            out,
            "<tr class=\"run\" data-stamp=\"{}\"><td>{}</td><td>{}</td><td><span class=\"verdict {v}\">{v}</span></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&e.stamp),
            escape(&e.stamp),
            escape(&e.test),
            escape(&e.what),
            escape(&e.anomalies.join(", ")),
            files.join(" · "),
            v = e.verdict
        );
    }
    out.push_str("</table></body></html>\n");
    out
}

/// Writes `root/index.html`; returns its path.
pub fn write_index(root: &Path) -> std::io::Result<PathBuf> {
    let path = root.join("index.html");
    std::fs::write(&path, render(&entries(root)))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_listed_newest_first_across_tests() {
        let root = std::env::temp_dir().join(format!("faultline-index-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (test, stamp, valid) in [
            ("a", "20260101T000000Z", "true"),
            ("b", "20260301T000000Z", "false"),
            ("a", "20260201T000000Z", "\"unknown\""),
            ("a", "20260201T000000Z-2", "true"),
        ] {
            let dir = root.join(test).join(stamp);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(
                dir.join("results.json"),
                format!("{{\"valid\": {valid}, \"checkers\": []}}"),
            )
            .unwrap();
        }
        // Not runs: a folder without results.json, a stray file.
        std::fs::create_dir_all(root.join("a/junk")).unwrap();
        std::fs::write(root.join("README.md"), "x").unwrap();
        let e = entries(&root);
        let order: Vec<&str> = e.iter().map(|e| e.stamp.as_str()).collect();
        assert_eq!(
            order,
            vec![
                "20260301T000000Z",
                "20260201T000000Z-2",
                "20260201T000000Z",
                "20260101T000000Z"
            ]
        );
        assert_eq!(e[0].verdict, "invalid");
        assert_eq!(e[2].verdict, "unknown");
        let page = std::fs::read_to_string(write_index(&root).unwrap()).unwrap();
        let first = page.find("20260301T000000Z").unwrap();
        let last = page.find("20260101T000000Z").unwrap();
        assert!(first < last);
        std::fs::remove_dir_all(&root).unwrap();
    }
}

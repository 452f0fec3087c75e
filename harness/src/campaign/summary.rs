//! What a campaign found: one record per run, the campaign's exit code (the worst outcome, by
//! [`Exit::severity`]), and the same table three ways — aligned text for the terminal,
//! `summary.md` and `summary.json`.

use std::path::{Path, PathBuf};

use faultline_checkers::Validity;
use serde_json::{json, Value};

use super::matrix::PlannedRun;
use crate::exit::Exit;
use crate::results::ResultsFile;

/// How one run of the campaign ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The run finished and was checked.
    Verdict(Validity),
    /// The run stopped without a verdict (harness failure, or input only a run could reject).
    Error { exit: Exit, message: String },
    /// The campaign stopped before this run (Ctrl-C, or `--fail-fast` after a failure).
    NotRun { reason: String },
}

impl Outcome {
    /// The exit code this outcome stands for; `None` for a run that never started.
    pub fn exit(&self) -> Option<Exit> {
        match self {
            Outcome::Verdict(v) => Some(Exit::from_validity(*v)),
            Outcome::Error { exit, .. } => Some(*exit),
            Outcome::NotRun { .. } => None,
        }
    }

    fn label(&self) -> String {
        match self {
            Outcome::Verdict(Validity::Invalid) => "INVALID".into(),
            Outcome::Verdict(v) => v.as_str().into(),
            Outcome::Error { exit, .. } => format!("error ({})", exit.code()),
            Outcome::NotRun { .. } => "not run".into(),
        }
    }
}

/// One row of the summary.
#[derive(Clone, Debug)]
pub struct RunRecord {
    pub run: PlannedRun,
    pub outcome: Outcome,
    /// Each checker's verdict, from the run's `results.json`.
    pub checkers: Vec<(String, Validity)>,
    pub ops_per_second: Option<f64>,
    pub client_ops: Option<u64>,
    /// The run folder, when the run got as far as making one.
    pub dir: Option<PathBuf>,
    /// Wall-clock seconds the run took, images and teardown included.
    pub seconds: f64,
}

impl RunRecord {
    pub fn not_run(run: PlannedRun, reason: &str) -> RunRecord {
        RunRecord {
            run,
            outcome: Outcome::NotRun {
                reason: reason.to_string(),
            },
            checkers: Vec::new(),
            ops_per_second: None,
            client_ops: None,
            dir: None,
            seconds: 0.0,
        }
    }

    /// Fills checker verdicts and throughput from a finished run's `results.json`.
    pub fn read_results(&mut self, dir: &Path) {
        let Ok(results) = ResultsFile::read(&dir.join("results.json")) else {
            return;
        };
        self.checkers = results
            .checkers
            .iter()
            .map(|c| (c.checker.clone(), c.valid))
            .collect();
        self.ops_per_second = results.stats.as_ref().map(|s| s.ops_per_second);
        self.client_ops = results.stats.as_ref().map(|s| s.client_ops);
    }

    fn checkers_text(&self) -> String {
        if self.checkers.is_empty() {
            return "-".into();
        }
        self.checkers
            .iter()
            .map(|(name, v)| {
                let mark = match v {
                    Validity::Valid => "✓",
                    Validity::Invalid => "✗",
                    Validity::Unknown => "?",
                };
                format!("{name} {mark}")
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The campaign's exit code: the worst outcome of the runs that ran; an interrupted campaign is
/// at least a harness failure (it did not finish what it was asked).
pub fn worst_exit(records: &[RunRecord], interrupted: bool) -> Exit {
    let worst = records
        .iter()
        .filter_map(|r| r.outcome.exit())
        .fold(Exit::Valid, Exit::worst);
    if interrupted {
        worst.worst(Exit::HarnessFailed)
    } else {
        worst
    }
}

const HEADERS: [&str; 11] = [
    "#",
    "target",
    "mode",
    "options",
    "workload",
    "nemesis",
    "seed",
    "verdict",
    "checkers",
    "ops/s",
    "run folder",
];

fn cells(r: &RunRecord) -> [String; 11] {
    let run = &r.run;
    [
        run.index.to_string(),
        run.target.clone(),
        run.mode.clone().unwrap_or_else(|| "-".into()),
        run.options_text(),
        run.workload.clone(),
        run.nemesis.clone(),
        run.seed.to_string(),
        r.outcome.label(),
        r.checkers_text(),
        r.ops_per_second
            .map(|x| format!("{x:.0}"))
            .unwrap_or_else(|| "-".into()),
        r.dir
            .as_ref()
            .map(|d| d.display().to_string())
            .unwrap_or_else(|| "-".into()),
    ]
}

/// The table with columns padded to their widest cell, for the terminal.
pub fn text_table(records: &[RunRecord]) -> String {
    let rows: Vec<[String; 11]> = records.iter().map(cells).collect();
    let mut widths: Vec<usize> = HEADERS.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(HEADERS.to_vec());
    for row in &rows {
        out += &line(row.iter().map(String::as_str).collect());
    }
    out
}

/// The table in Markdown.
pub fn markdown_table(records: &[RunRecord]) -> String {
    let escape = |s: &str| s.replace('|', "\\|");
    let mut out = format!("| {} |\n", HEADERS.join(" | "));
    out += &format!("|{}\n", "---|".repeat(HEADERS.len()));
    for r in records {
        let row: Vec<String> = cells(r).iter().map(|c| escape(c)).collect();
        out += &format!("| {} |\n", row.join(" | "));
    }
    out
}

/// What the whole campaign did, for the header of the summaries.
pub struct CampaignInfo<'a> {
    pub name: &'a str,
    pub file: &'a Path,
    pub description: Option<&'a str>,
    pub stamp: &'a str,
    pub seconds: f64,
    /// All planned runs have a record (not-run ones included).
    pub finished: bool,
    pub interrupted: bool,
}

/// `summary.md`: header, table, errors, and the command that repeats each run.
pub fn markdown(info: &CampaignInfo, records: &[RunRecord]) -> String {
    let exit = worst_exit(records, info.interrupted);
    let mut out = format!("# Campaign {} ({})\n\n", info.name, info.stamp);
    if let Some(d) = info.description {
        out += &format!("{}\n\n", d.trim());
    }
    out += &format!(
        "File `{}`; {} runs, {:.0} s; exit code **{}**{}.\n\n",
        info.file.display(),
        records.len(),
        info.seconds,
        exit.code(),
        if info.interrupted {
            " (interrupted)"
        } else if !info.finished {
            " (in progress)"
        } else {
            ""
        }
    );
    out += &markdown_table(records);
    let problems: Vec<String> = records
        .iter()
        .filter_map(|r| match &r.outcome {
            Outcome::Error { message, .. } => Some(format!("- run {}: {message}", r.run.index)),
            Outcome::NotRun { reason } => Some(format!("- run {}: not run: {reason}", r.run.index)),
            Outcome::Verdict(_) => None,
        })
        .collect();
    if !problems.is_empty() {
        out += "\n## Errors\n\n";
        out += &problems.join("\n");
        out += "\n";
    }
    out += "\n## Commands\n\nEach run on its own:\n\n```sh\n";
    for r in records {
        out += &format!("{}\n", r.run.command());
    }
    out += "```\n";
    out
}

/// `summary.json`: the same, machine-readable.
pub fn json(info: &CampaignInfo, records: &[RunRecord]) -> Value {
    let exit = worst_exit(records, info.interrupted);
    let runs: Vec<Value> = records
        .iter()
        .map(|r| {
            let run = &r.run;
            let (verdict, error) = match &r.outcome {
                Outcome::Verdict(v) => (json!(v), Value::Null),
                Outcome::Error { exit, message } => (
                    json!(if *exit == Exit::BadInput {
                        "bad-input"
                    } else {
                        "harness-error"
                    }),
                    json!(message),
                ),
                Outcome::NotRun { reason } => (json!("not-run"), json!(reason)),
            };
            json!({
                "index": run.index,
                "block": run.block,
                "label": run.label,
                "target": run.target,
                "mode": run.mode,
                "target_options": run.options,
                "bug": run.bug,
                "workload": run.workload,
                "nemesis": run.nemesis,
                "seed": run.seed,
                "valid": verdict,
                "exit_code": r.outcome.exit().map(Exit::code),
                "error": error,
                "checkers": r.checkers.iter().map(|(c, v)| json!({"checker": c, "valid": v})).collect::<Vec<_>>(),
                "ops_per_second": r.ops_per_second,
                "client_ops": r.client_ops,
                "dir": r.dir,
                "seconds": r.seconds,
                "command": run.command(),
            })
        })
        .collect();
    json!({
        "campaign": info.name,
        "file": info.file,
        "description": info.description,
        "stamp": info.stamp,
        "seconds": info.seconds,
        "finished": info.finished,
        "interrupted": info.interrupted,
        "exit_code": exit.code(),
        "runs": runs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::matrix::expand;
    use crate::campaign::spec::parse;

    fn records(outcomes: Vec<Outcome>) -> Vec<RunRecord> {
        let c = parse(
            "[[matrix]]\nseeds = [1, 2, 3, 4]\nmodes = [\"quorum\"]\ntarget-options = [{ w = 1, r = 1 }]\n",
            Path::new("c.toml"),
        )
        .unwrap();
        expand(&c, Path::new("results"))
            .unwrap()
            .into_iter()
            .zip(outcomes)
            .map(|(run, outcome)| RunRecord {
                run,
                outcome,
                checkers: vec![
                    ("cas-register".into(), Validity::Invalid),
                    ("lost-update".into(), Validity::Valid),
                ],
                ops_per_second: Some(1234.4),
                client_ops: Some(12344),
                dir: Some(PathBuf::from("results/x/1")),
                seconds: 20.0,
            })
            .collect()
    }

    #[test]
    fn the_exit_code_is_the_worst_run() {
        use Validity::*;
        let v = |x| Outcome::Verdict(x);
        let harness = Outcome::Error {
            exit: Exit::HarnessFailed,
            message: "cluster never healthy".into(),
        };
        let not_run = Outcome::NotRun {
            reason: "interrupted".into(),
        };
        assert_eq!(
            worst_exit(&records(vec![v(Valid), v(Valid)]), false),
            Exit::Valid
        );
        assert_eq!(
            worst_exit(&records(vec![v(Valid), v(Unknown)]), false),
            Exit::Unknown
        );
        assert_eq!(
            worst_exit(&records(vec![v(Unknown), v(Invalid), v(Valid)]), false),
            Exit::Invalid
        );
        assert_eq!(
            worst_exit(&records(vec![v(Invalid), harness.clone()]), false),
            Exit::HarnessFailed
        );
        // Runs that never started do not count; an interruption does.
        assert_eq!(
            worst_exit(&records(vec![v(Valid), not_run.clone()]), false),
            Exit::Valid
        );
        assert_eq!(
            worst_exit(&records(vec![v(Invalid), not_run]), true),
            Exit::HarnessFailed
        );
    }

    #[test]
    fn tables_list_every_run_with_its_checkers() {
        let rs = records(vec![
            Outcome::Verdict(Validity::Invalid),
            Outcome::Verdict(Validity::Valid),
            Outcome::Error {
                exit: Exit::HarnessFailed,
                message: "image | build failed".into(),
            },
        ]);
        let text = text_table(&rs);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with("#  target"), "{text}");
        assert!(lines[1].contains("INVALID") && lines[1].contains("cas-register ✗, lost-update ✓"));
        assert!(lines[1].contains("r=1 w=1") && lines[1].contains("1234 "));
        assert!(lines[3].contains("error (3)"));
        // Columns line up: every row has the verdict at the same character offset.
        let at = lines[0].find("verdict").unwrap();
        for l in &lines[1..] {
            let prefix: String = l.chars().take(at).collect();
            assert!(prefix.ends_with("  "), "{l}");
        }

        let info = CampaignInfo {
            name: "demo",
            file: Path::new("c.toml"),
            description: Some("what it shows"),
            stamp: "20260101T000000Z",
            seconds: 61.0,
            finished: true,
            interrupted: false,
        };
        let md = markdown(&info, &rs);
        assert!(md.contains("exit code **3**"), "{md}");
        assert!(
            md.contains("| 1 | reference | quorum | r=1 w=1 | register |"),
            "{md}"
        );
        assert!(
            md.contains("image \\| build failed") || md.contains("- run 3: image | build failed")
        );
        assert!(md.contains("faultline run --target reference --mode quorum"));
        let j = json(&info, &rs);
        assert_eq!(j["exit_code"], 3);
        assert_eq!(j["runs"].as_array().unwrap().len(), 3);
        assert_eq!(j["runs"][0]["valid"], false);
        assert_eq!(j["runs"][1]["valid"], true);
        assert_eq!(j["runs"][2]["valid"], "harness-error");
        assert_eq!(j["runs"][2]["error"], "image | build failed");
        assert_eq!(j["runs"][0]["checkers"][0]["checker"], "cas-register");
        assert_eq!(j["runs"][0]["target_options"]["w"], "1");
    }
}

//! `faultline check FILE... --model M`: judge recorded histories (faultline's own or Jepsen's) with
//! one model of the registry, no Docker needed.
//!
//! Each file is read, checked and reported before the next is read, so memory holds one history at
//! a time. The exit code is the worst over the files: 0 valid, 1 invalid, 2 unknown; a file that
//! cannot be read or judged (bad input) makes it 64 once every other file has been checked, since
//! a CI gate must not pass when one of its histories was never looked at.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;
use faultline_checkers::elle::stream::JsonlError;
use faultline_checkers::history::formats::{self, Format};
use faultline_checkers::registry::{self, CHECKERS};
use faultline_checkers::{
    Assumptions, Budget, CheckError, CheckOptions, CheckReport, Checker, Validity, Value,
};
use serde_json::json;

use crate::exit::Exit;
use crate::results::checked::{self, Checked, HistorySource};
use crate::results::schema::CheckedOptions;

/// Options of `faultline check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// History files to check (`-` reads standard input).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// The model to check against.
    #[arg(long, short = 'm', value_name = "MODEL", long_help = models_help())]
    pub model: String,

    /// The model's initial state: JSON (`0`, `{"x":0}`, `{x:0,y:0}`), EDN (`{x 0 y 0}`,
    /// `{:x 0, :y 0}`) or a bare word (`unlocked`).
    #[arg(long, value_name = "VALUE")]
    pub initial: Option<String>,

    /// Print one JSON object per file, one per line, instead of text.
    #[arg(long)]
    pub json: bool,

    /// Give up on a file after this many seconds and call it unknown.
    #[arg(long, value_name = "SECONDS")]
    pub time_limit: Option<f64>,

    /// The input format: auto, jsonl, edn, json or jepsen-log.
    #[arg(long, value_name = "FORMAT", default_value = "auto", value_parser = parse_format)]
    pub format: Format,

    /// Consistency models to check against (transactional and causal models); repeat the option
    /// or separate names with commas.
    #[arg(
        long = "consistency-model",
        value_name = "MODEL",
        value_delimiter = ','
    )]
    pub consistency_models: Vec<String>,

    /// Read Jepsen's independent `[key value]` tuples in `:value` as keyed operations.
    #[arg(long)]
    pub independent: bool,

    /// rw-register: a promise of the database about each key's version order, so that more of
    /// it can be inferred: linearizable-keys, sequential-keys or wfr-keys (Elle's options of the
    /// same names); repeat the option or separate names with commas.
    #[arg(long = "assume", value_name = "NAME", value_delimiter = ',')]
    pub assume: Vec<String>,

    /// Also write a report folder for the history into DIR: report.html, junit.xml,
    /// results.json, test.json and the history as history.jsonl (with several files, one
    /// sub-folder per file, named after it).
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
}

pub(crate) fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

/// The `--model` help: every registered checker, what it is for, the operation kinds it judges
/// and the options it reads.
fn models_help() -> String {
    let mut help = String::from("The model to check against. Known models:");
    if CHECKERS.is_empty() {
        help.push_str(" none in this build.");
    }
    for c in CHECKERS {
        help.push_str(&format!("\n  {:<22} {}", c.name(), c.about()));
        let judges: Vec<&str> = c
            .judges()
            .iter()
            .map(|f| if f.is_empty() { "(no f)" } else { f })
            .collect();
        help.push_str(&format!("\n  {:<22}   judges f: {}", "", judges.join(", ")));
        if !c.options().is_empty() {
            let flags: Vec<&str> = c.options().iter().map(|o| o.flag()).collect();
            help.push_str(&format!("; reads {}", flags.join(", ")));
        }
    }
    help
}

/// "unknown model …; known models: …" (the same words whether the registry or we notice).
fn unknown_model_message(name: &str) -> String {
    if CHECKERS.is_empty() {
        format!("unknown model {name:?}; no models are registered in this build")
    } else {
        format!(
            "unknown model {name:?}; known models: {}",
            registry::names().join(", ")
        )
    }
}

/// Reads `--initial`: JSON first, then JSON with bare keys (`{x:0,y:0}`, easy to type in a shell),
/// then EDN (which also takes bare words as strings).
pub fn parse_initial(text: &str) -> Result<Value, String> {
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        return Ok(v);
    }
    if let Some(v) = quote_bare_keys(text).and_then(|t| serde_json::from_str::<Value>(&t).ok()) {
        return Ok(v);
    }
    formats::parse_edn_value(text, "--initial").map_err(|e| {
        format!(
            "bad --initial {text:?}: {} (expected JSON such as 0 or {{\"x\":0}}, EDN such as \
             {{x 0 y 0}}, or a bare word such as unlocked)",
            e.message
        )
    })
}

/// `{x:0,y:0}` → `{"x":0,"y":0}`: quotes each name written right before a `:` outside strings.
/// `None` when there is no such name (then the text is not in this shape).
fn quote_bare_keys(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len() + 8);
    let mut in_string = false;
    let mut escaped = false;
    let mut name = String::new();
    let mut quoted_any = false;
    let is_name = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    for c in text.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        if is_name(c) {
            name.push(c);
            continue;
        }
        if c == ':' && !name.is_empty() && name.parse::<f64>().is_err() {
            out.push('"');
            out.push_str(&name);
            out.push('"');
            quoted_any = true;
        } else {
            out.push_str(&name);
        }
        name.clear();
        if c == '"' {
            in_string = true;
        }
        out.push(c);
    }
    out.push_str(&name);
    quoted_any.then_some(out)
}

/// The result of one file.
enum FileOutcome {
    Checked(Validity),
    BadInput,
}

/// Runs `faultline check`, writing verdicts to `out` and messages to `err`.
pub fn run(args: &CheckArgs, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let initial = match args.initial.as_deref().map(parse_initial).transpose() {
        Ok(v) => v,
        Err(message) => {
            let _ = writeln!(err, "faultline check: {message}");
            return Exit::BadInput;
        }
    };
    let time_limit = match args.time_limit {
        None => None,
        Some(s) if s.is_finite() && s > 0.0 => Some(Duration::from_secs_f64(s)),
        Some(s) => {
            let _ = writeln!(
                err,
                "faultline check: bad --time-limit {s}: expected a positive number of seconds"
            );
            return Exit::BadInput;
        }
    };
    let assumptions = match Assumptions::from_names(&args.assume) {
        Ok(a) => a,
        Err(e) => {
            let _ = writeln!(err, "faultline check: {e}");
            return Exit::BadInput;
        }
    };
    let mut worst = Validity::Valid;
    let mut bad_input = false;
    for file in &args.files {
        let options = CheckOptions {
            initial: initial.clone(),
            // Each file gets the whole time limit.
            budget: time_limit.map_or_else(Budget::unlimited_time, Budget::with_time_limit),
            consistency_models: args.consistency_models.clone(),
            independent_tuples: args.independent,
            assumptions,
        };
        match check_file(args, file, &options, out, err) {
            Ok(FileOutcome::Checked(v)) => worst = worst.worst(v),
            Ok(FileOutcome::BadInput) => bad_input = true,
            // The model or an option is wrong: every other file would say the same.
            Err(exit) => return exit,
        }
    }
    if bad_input {
        Exit::BadInput
    } else {
        Exit::from_validity(worst)
    }
}

fn check_file(
    args: &CheckArgs,
    file: &std::path::Path,
    options: &CheckOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<FileOutcome, Exit> {
    let name = if file == std::path::Path::new("-") {
        formats::STDIN_NAME.to_string()
    } else {
        file.display().to_string()
    };
    let started = Instant::now();
    if let Some(checker) = streamable(args, file, options) {
        return check_streaming(args, file, &name, checker, options, started, out, err);
    }
    let history = match formats::read_path(file, args.format) {
        Ok(h) => h,
        Err(e) => {
            let _ = writeln!(err, "faultline check: {e}");
            report_bad_input(args, &name, &e.to_string(), out);
            return Ok(FileOutcome::BadInput);
        }
    };
    for w in history.warnings() {
        let _ = writeln!(err, "warning: {w}");
    }
    let read_ms = ms(started.elapsed());
    let mut report = match registry::check(&args.model, &history, options) {
        Ok(report) => report,
        Err(e) => return check_error(args, &name, e, out, err),
    };
    report.warnings.extend_from_slice(history.warnings());
    report.events = Some(history.len() as u64);
    let elapsed_ms = ms(started.elapsed());
    emit(args, &name, &report, Some(read_ms), elapsed_ms, out);
    let source = HistorySource::Ops(history.ops());
    write_report(args, file, &name, &report, elapsed_ms, source, err)?;
    Ok(FileOutcome::Checked(report.valid))
}

/// `--report DIR`: the report folder of one file (DIR itself, or DIR/<stem> with several files).
/// A folder that cannot be written stops the command with 64: the path is the user's.
fn write_report(
    args: &CheckArgs,
    file: &std::path::Path,
    name: &str,
    report: &CheckReport,
    elapsed_ms: f64,
    history: HistorySource,
    err: &mut dyn Write,
) -> Result<(), Exit> {
    let Some(root) = &args.report else {
        return Ok(());
    };
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| s != "-")
        .unwrap_or_else(|| "stdin".into());
    let dir = if args.files.len() > 1 {
        let position = args.files.iter().position(|f| f == file).unwrap_or(0);
        root.join(format!("{}-{stem}", position + 1))
    } else {
        root.clone()
    };
    let record = Checked {
        file: name,
        options: CheckedOptions {
            initial: args.initial.clone(),
            consistency_models: args.consistency_models.clone(),
            time_limit_secs: args.time_limit,
            format: args.format.name().to_string(),
            independent: args.independent,
            assume: args.assume.clone(),
            test_name: stem,
            model: args.model.clone(),
        },
        report,
        seconds: elapsed_ms / 1e3,
    };
    let written = checked::write(&dir, &record, history)
        .map_err(|e| crate::report::ReportError::Io(e.to_string()))
        .and_then(|()| crate::report::write_reports(&dir));
    match written {
        Ok(w) => {
            let _ = writeln!(err, "faultline check: report {}", w.report.display());
            Ok(())
        }
        Err(e) => {
            let _ = writeln!(err, "faultline check: --report: {e}");
            Err(Exit::BadInput)
        }
    }
}

/// What a checker error means for this file: a bad model or option stops the command (64); an
/// operation the model cannot read makes this file bad input.
fn check_error(
    args: &CheckArgs,
    name: &str,
    e: CheckError,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<FileOutcome, Exit> {
    match e {
        CheckError::UnknownModel { .. } => {
            let _ = writeln!(
                err,
                "faultline check: {}",
                unknown_model_message(&args.model)
            );
            Err(Exit::BadInput)
        }
        e @ CheckError::BadOption { .. } => {
            let _ = writeln!(err, "faultline check: {e}");
            Err(Exit::BadInput)
        }
        // A history the model reads nothing of (or infers nothing from) is bad input for this
        // model: exit 64 saying why, never a verdict over nothing.
        e @ (CheckError::BadOperation { .. }
        | CheckError::NothingJudged { .. }
        | CheckError::NoDependencies { .. }) => {
            let message = format!("{name}: {e}");
            let _ = writeln!(err, "faultline check: {message}");
            report_bad_input(args, name, &message, out);
            Ok(FileOutcome::BadInput)
        }
    }
}

/// The checker, when it reads this file's JSON Lines straight into its own tables (see
/// [`Checker::streams`]); standard input and other formats go through a `History`.
fn streamable(
    args: &CheckArgs,
    file: &std::path::Path,
    options: &CheckOptions,
) -> Option<&'static dyn Checker> {
    let checker = registry::by_name(&args.model)
        .ok()
        .filter(|c| c.streams(options))?;
    if file == std::path::Path::new("-") {
        return None;
    }
    let is_jsonl = match args.format {
        Format::Jsonl => true,
        Format::Auto => {
            let mut head = vec![0u8; 4096];
            let n = std::fs::File::open(file)
                .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
                .ok()?;
            let text = String::from_utf8_lossy(&head[..n]);
            formats::detect(&text) == Some(Format::Jsonl)
        }
        _ => false,
    };
    is_jsonl.then_some(checker)
}

#[allow(clippy::too_many_arguments)]
fn check_streaming(
    args: &CheckArgs,
    file: &std::path::Path,
    name: &str,
    checker: &dyn Checker,
    options: &CheckOptions,
    started: Instant,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<FileOutcome, Exit> {
    let mut reader = match std::fs::File::open(file) {
        Ok(f) => std::io::BufReader::with_capacity(1 << 20, f),
        Err(e) => {
            let message = format!("cannot read {name}: {e}");
            let _ = writeln!(err, "faultline check: {message}");
            report_bad_input(args, name, &message, out);
            return Ok(FileOutcome::BadInput);
        }
    };
    let report = match checker.check_jsonl(&mut reader, name, options) {
        Ok(r) => r,
        Err(JsonlError::Input(e)) => {
            let _ = writeln!(err, "faultline check: {e}");
            report_bad_input(args, name, &e.to_string(), out);
            return Ok(FileOutcome::BadInput);
        }
        Err(JsonlError::Check(e)) => return check_error(args, name, e, out, err),
    };
    for w in &report.warnings {
        let _ = writeln!(err, "warning: {w}");
    }
    let elapsed_ms = ms(started.elapsed());
    emit(args, name, &report, None, elapsed_ms, out);
    let source = HistorySource::Copy(file);
    write_report(args, file, name, &report, elapsed_ms, source, err)?;
    Ok(FileOutcome::Checked(report.valid))
}

/// Prints one file's verdict: a JSON line with `--json`, else `FILE: invalid (N ops, X ms)` and
/// each anomaly indented.
fn emit(
    args: &CheckArgs,
    name: &str,
    report: &CheckReport,
    read_ms: Option<f64>,
    elapsed_ms: f64,
    out: &mut dyn Write,
) {
    let events = report.events.unwrap_or(0);
    if args.json {
        let line = json!({
            "file": name,
            "model": args.model,
            "checker": report.checker,
            "valid": report.valid,
            "anomaly_types": report.anomaly_types(),
            "anomalies": report.anomalies,
            "unknown_reason": report.unknown_reason,
            "skipped_ops": report.skipped_ops,
            "warnings": report.warnings,
            "ops": events,
            "read_ms": read_ms,
            "elapsed_ms": elapsed_ms,
            "stats": report.stats,
        });
        let _ = writeln!(out, "{line}");
        return;
    }
    let _ = write!(
        out,
        "{name}: {} ({events} ops, {elapsed_ms:.1} ms)",
        report.valid
    );
    match &report.unknown_reason {
        Some(reason) if report.valid == Validity::Unknown => {
            let _ = writeln!(out, ": {reason}");
        }
        _ => {
            let _ = writeln!(out);
        }
    }
    if !report.skipped_ops.is_empty() {
        let skipped: Vec<String> = report
            .skipped_ops
            .iter()
            .map(|s| {
                format!(
                    "{} ({})",
                    if s.f.is_empty() { "(no f)" } else { &s.f },
                    s.count
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "  not judged by {}: {}",
            args.model,
            skipped.join(", ")
        );
    }
    for anomaly in &report.anomalies {
        let _ = writeln!(out, "  {}:", anomaly.kind);
        for line in anomaly.explanation.lines() {
            let _ = writeln!(out, "    {line}");
        }
    }
}

/// In `--json` mode a file that could not be judged still gets its line, with `"valid": null`.
fn report_bad_input(args: &CheckArgs, name: &str, message: &str, out: &mut dyn Write) {
    if args.json {
        let line = json!({"file": name, "model": args.model, "valid": null, "error": message});
        let _ = writeln!(out, "{line}");
    }
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use serde_json::json;

    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        check: CheckArgs,
    }

    fn args(argv: &[&str]) -> CheckArgs {
        let mut full = vec!["check"];
        full.extend_from_slice(argv);
        Wrapper::try_parse_from(full).unwrap().check
    }

    fn run_capture(a: &CheckArgs) -> (Exit, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let exit = run(a, &mut out, &mut err);
        (
            exit,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn initial_accepts_json_edn_and_bare_words() {
        assert_eq!(parse_initial("0").unwrap(), json!(0));
        assert_eq!(parse_initial("{\"x\":0}").unwrap(), json!({"x": 0}));
        assert_eq!(parse_initial("{x 0 y 0}").unwrap(), json!({"x": 0, "y": 0}));
        assert_eq!(
            parse_initial("{:x 0, :y 0}").unwrap(),
            json!({"x": 0, "y": 0})
        );
        assert_eq!(parse_initial("unlocked").unwrap(), json!("unlocked"));
        assert_eq!(parse_initial("[1 2]").unwrap(), json!([1, 2]));
        assert_eq!(parse_initial("{x:0,y:0}").unwrap(), json!({"x": 0, "y": 0}));
        assert_eq!(
            parse_initial("{x: \"a:b\", y_2: [1]}").unwrap(),
            json!({"x": "a:b", "y_2": [1]})
        );
        let e = parse_initial("{x 0").unwrap_err();
        assert!(
            e.contains("bad --initial") && e.contains("close the map"),
            "{e}"
        );
    }

    #[test]
    fn options_reach_the_parsed_arguments() {
        let a = args(&[
            "a.edn",
            "b.jsonl",
            "--model",
            "m",
            "--consistency-model",
            "serializable,snapshot-isolation",
            "--consistency-model",
            "read-committed",
            "--format",
            "edn",
            "--independent",
            "--time-limit",
            "2.5",
            "--assume",
            "wfr-keys,sequential-keys",
            "--assume",
            "linearizable-keys",
        ]);
        assert_eq!(a.files.len(), 2);
        assert_eq!(
            a.consistency_models,
            vec!["serializable", "snapshot-isolation", "read-committed"]
        );
        assert_eq!(a.format, Format::Edn);
        assert!(a.independent);
        assert_eq!(a.time_limit, Some(2.5));
        assert_eq!(
            a.assume,
            vec!["wfr-keys", "sequential-keys", "linearizable-keys"]
        );
        assert!(Wrapper::try_parse_from(["check", "a", "-m", "x", "--format", "xml"]).is_err());
    }

    #[test]
    fn bad_options_are_bad_input() {
        let (exit, _, err) = run_capture(&args(&["a.edn", "-m", "x", "--initial", "{x"]));
        assert_eq!(exit, Exit::BadInput);
        assert!(err.contains("--initial"), "{err}");
        let (exit, _, err) = run_capture(&args(&["a.edn", "-m", "x", "--time-limit", "0"]));
        assert_eq!(exit, Exit::BadInput);
        assert!(err.contains("--time-limit"), "{err}");
        let (exit, _, err) = run_capture(&args(&["a.edn", "-m", "x", "--assume", "acid"]));
        assert_eq!(exit, Exit::BadInput);
        assert!(
            err.contains("--assume") && err.contains("linearizable-keys"),
            "{err}"
        );
    }

    #[test]
    fn unreadable_files_are_reported_in_json_and_give_64() {
        let (exit, out, err) = run_capture(&args(&[
            "/nonexistent/faultline/a.jsonl",
            "-m",
            "no-such-model",
            "--json",
        ]));
        assert_eq!(exit, Exit::BadInput);
        let line: Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(line["file"], json!("/nonexistent/faultline/a.jsonl"));
        assert_eq!(line["valid"], Value::Null);
        assert!(
            err.contains("cannot read /nonexistent/faultline/a.jsonl"),
            "{err}"
        );
    }

    #[test]
    fn unknown_model_lists_the_known_ones() {
        let message = unknown_model_message("nope");
        assert!(message.starts_with("unknown model \"nope\""));
        for c in CHECKERS {
            assert!(message.contains(c.name()));
        }
    }
}

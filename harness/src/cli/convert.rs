//! `faultline convert FILE --to jsonl|edn [-o OUT]`: import a Jepsen history into faultline's JSON
//! Lines, or export one as EDN for Elle and Knossos.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use faultline_checkers::history::formats::{self, Format};

use super::check::parse_format;
use crate::exit::Exit;

/// The formats `convert` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// faultline's JSON Lines history.
    Jsonl,
    /// Jepsen-style EDN op maps, one per line.
    Edn,
}

/// Options of `faultline convert`.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// The history to convert (`-` reads standard input).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// The format to write.
    #[arg(long, value_enum)]
    pub to: OutputFormat,

    /// Where to write; standard output when absent.
    #[arg(long, short = 'o', value_name = "OUT")]
    pub output: Option<PathBuf>,

    /// The input format: auto, jsonl, edn, json or jepsen-log.
    #[arg(long, value_name = "FORMAT", default_value = "auto", value_parser = parse_format)]
    pub format: Format,
}

/// Runs `faultline convert`, writing the history to `-o` or `out` and messages to `err`.
pub fn run(args: &ConvertArgs, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let history = match formats::read_path(&args.file, args.format) {
        Ok(h) => h,
        Err(e) => {
            let _ = writeln!(err, "faultline convert: {e}");
            return Exit::BadInput;
        }
    };
    for w in history.warnings() {
        let _ = writeln!(err, "warning: {w}");
    }
    let written = match &args.output {
        Some(path) => std::fs::File::create(path)
            .and_then(|file| write(args.to, &history, file))
            .map_err(|e| format!("cannot write {}: {e}", path.display())),
        None => write(args.to, &history, out).map_err(|e| format!("cannot write output: {e}")),
    };
    match written {
        Ok(()) => Exit::Valid,
        Err(message) => {
            let _ = writeln!(err, "faultline convert: {message}");
            Exit::BadInput
        }
    }
}

fn write(
    to: OutputFormat,
    history: &faultline_checkers::History,
    out: impl Write,
) -> std::io::Result<()> {
    match to {
        OutputFormat::Jsonl => formats::write_jsonl(history.ops(), out),
        OutputFormat::Edn => formats::write_edn(history.ops(), out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_edn_to_jsonl_on_stdout() {
        let dir = std::env::temp_dir().join(format!("faultline-convert-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let input = dir.join("h.edn");
        std::fs::write(
            &input,
            "[{:type :invoke, :f :write, :value 1, :process 0}\n \
             {:type :ok, :f :write, :value 1, :process 0}]",
        )
        .unwrap();
        let args = ConvertArgs {
            file: input,
            to: OutputFormat::Jsonl,
            output: None,
            format: Format::Auto,
        };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(run(&args, &mut out, &mut err), Exit::Valid);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"index\":0,\"time\":0,\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"value\":1}\n\
             {\"index\":1,\"time\":0,\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"value\":1}\n"
        );
        let args = ConvertArgs {
            output: Some(dir.join("no-such-dir").join("out.edn")),
            to: OutputFormat::Edn,
            ..args
        };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(run(&args, &mut out, &mut err), Exit::BadInput);
        assert!(String::from_utf8(err).unwrap().contains("cannot write"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

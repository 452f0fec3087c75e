//! Reading and writing histories: faultline's JSON Lines (DESIGN.md section 3), Jepsen / Knossos /
//! Elle EDN, Jepsen JSON and older Jepsen text logs in; JSON Lines and EDN out.
//!
//! Every reader produces events in file order; this module settles their indices (by position
//! when the source has none) and pairs them into a [`History`]. Readers never panic: bad input is
//! an [`InputError`] naming the file, the line and what was expected.

mod detect;
mod edn;
mod fields;
mod jepsen_log;
mod json;
mod jsonl;
mod parallel;

use std::io::Read;
use std::path::Path;

pub use detect::{detect, Format};
pub use edn::{parse_value as parse_edn_value, write_edn, write_edn_op};
pub use jsonl::{write_jsonl, JsonlWriter};

use crate::history::{History, HistoryError, InputError};
use fields::ReadOps;

/// The name `read_path` gives standard input (`-`).
pub const STDIN_NAME: &str = "<stdin>";

/// Reads a history file (`-` is standard input) in `format` (or the detected one).
pub fn read_path(path: impl AsRef<Path>, format: Format) -> Result<History, HistoryError> {
    let path = path.as_ref();
    let (bytes, name) = if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|source| HistoryError::Io {
                path: STDIN_NAME.to_string(),
                source,
            })?;
        (bytes, STDIN_NAME.to_string())
    } else {
        let bytes = std::fs::read(path).map_err(|source| HistoryError::Io {
            path: path.display().to_string(),
            source,
        })?;
        (bytes, path.display().to_string())
    };
    read_bytes(&bytes, &name, format)
}

/// Reads a history from bytes, which must be UTF-8. `name` is used in errors and warnings.
pub fn read_bytes(bytes: &[u8], name: &str, format: Format) -> Result<History, HistoryError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => read_str(text, name, format),
        Err(e) => {
            let good = &bytes[..e.valid_up_to()];
            let line = 1 + good.iter().filter(|&&b| b == b'\n').count();
            Err(InputError::new(
                name,
                line,
                format!(
                    "not UTF-8 text (invalid byte 0x{:02x}); history files are text",
                    bytes[e.valid_up_to()]
                ),
            )
            .into())
        }
    }
}

/// Reads a history from text in `format` (or the detected one).
pub fn read_str(text: &str, name: &str, format: Format) -> Result<History, HistoryError> {
    let format = match format {
        Format::Auto => detect(text).ok_or_else(|| {
            InputError::new(
                name,
                0,
                "cannot tell the format: expected JSON Lines (`{\"index\":…`), EDN (`{:type …` or \
                 `[{:type …`), a JSON array (`[{\"type\":…`) or Jepsen log lines \
                 (`INFO jepsen.util - 3\t:invoke\t:cas\t[1 4]`); name it with --format",
            )
        })?,
        other => other,
    };
    let (ops, warnings) = match format {
        Format::Auto | Format::Jsonl => jsonl::read(text, name, 1)?,
        Format::Json => json::read(text, name)?,
        Format::Edn => (edn::read(text, name)?, Vec::new()),
        Format::JepsenLog => {
            let ops = jepsen_log::read(text, name);
            if ops.is_empty() && !text.trim().is_empty() {
                return Err(InputError::new(
                    name,
                    0,
                    "no Jepsen op lines found (expected lines like \
                     `INFO jepsen.util - 3\t:invoke\t:cas\t[1 4]`)",
                )
                .into());
            }
            (ops, Vec::new())
        }
    };
    assemble(ops, name, warnings)
}

/// Settles indices and pairs the events. Indices come from the source when every event has one;
/// otherwise every event is numbered by its position.
fn assemble(read: ReadOps, name: &str, mut warnings: Vec<String>) -> Result<History, HistoryError> {
    let ReadOps { mut ops, origins } = read;
    let with_index = origins.iter().filter(|o| o.has_index).count();
    let without_process = origins.iter().filter(|o| !o.has_process).count();
    if with_index > 0 && with_index < ops.len() {
        warnings.push(format!(
            "{name}: {} of {} events have no index; numbering every event by its position",
            ops.len() - with_index,
            ops.len()
        ));
    }
    if without_process > 0 {
        warnings.push(format!(
            "{name}: {without_process} events have no process; they are taken as process 0"
        ));
    }
    if with_index < ops.len() {
        for (i, op) in ops.iter_mut().enumerate() {
            op.index = i as u64;
        }
    }
    let positions: Vec<u64> = ops.iter().map(|o| o.index).collect();
    let mut history = History::new(ops).map_err(|e| match e {
        // Name the file and line of the event the pairing rules reject.
        HistoryError::Malformed { index, message } => {
            let out_of_order =
                (1..positions.len()).find(|&p| positions[p] == index && positions[p - 1] >= index);
            let line = out_of_order
                .or_else(|| positions.iter().position(|&i| i == index))
                .map_or(0, |p| origins[p].line);
            HistoryError::Input(InputError::new(
                name,
                line,
                format!("event {index}: {message}"),
            ))
        }
        other => other,
    })?;
    for w in warnings {
        history.push_warning(w);
    }
    Ok(history)
}

#[cfg(test)]
mod tests;

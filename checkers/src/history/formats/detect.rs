//! Which format a history file is in, from its first characters (DESIGN.md section 3 lists them).
//! Users override it with `--format`.

use super::jepsen_log;

/// A history file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Detect from the content.
    Auto,
    /// faultline's JSON Lines (`history.jsonl`).
    Jsonl,
    /// Jepsen / Knossos / Elle EDN.
    Edn,
    /// Jepsen JSON: an array of op objects, or one per line.
    Json,
    /// Older Jepsen text logs (`INFO jepsen.util - 3 :invoke :cas [1 4]`).
    JepsenLog,
}

impl Format {
    /// The names `--format` accepts.
    pub const NAMES: &'static [&'static str] = &["auto", "jsonl", "edn", "json", "jepsen-log"];

    pub fn name(self) -> &'static str {
        match self {
            Format::Auto => "auto",
            Format::Jsonl => "jsonl",
            Format::Edn => "edn",
            Format::Json => "json",
            Format::JepsenLog => "jepsen-log",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Format, String> {
        Ok(match s {
            "auto" => Format::Auto,
            "jsonl" => Format::Jsonl,
            "edn" => Format::Edn,
            "json" => Format::Json,
            "jepsen-log" | "log" => Format::JepsenLog,
            other => {
                return Err(format!(
                    "unknown format {other:?}; expected one of {}",
                    Format::NAMES.join(", ")
                ))
            }
        })
    }
}

/// How many lines of a text log detection looks at for an op line.
const LOG_LINES_SCANNED: usize = 2000;

/// Detects the format of `text`, or `None` when it looks like none of them.
///
/// - `{"` starts JSON Lines (faultline's, or Jepsen JSON one object per line);
/// - `[{"` (or `[]`) starts a JSON array;
/// - `{:`, `[{:`, `(`, `#`, `;` and other EDN openings are EDN;
/// - anything else is a Jepsen text log if one of its first lines is an op line.
///
/// An empty file is an empty JSON Lines history.
pub fn detect(text: &str) -> Option<Format> {
    let bytes = text.as_bytes();
    let mut pos = 0;
    // Skip a byte order mark, blank space and EDN `;` comments.
    if bytes.starts_with(&[0xef, 0xbb, 0xbf]) {
        pos = 3;
    }
    let mut comment = false;
    loop {
        pos = skip_blank(bytes, pos);
        if bytes.get(pos) == Some(&b';') {
            comment = true;
            while pos < bytes.len() && bytes[pos] != b'\n' {
                pos += 1;
            }
        } else {
            break;
        }
    }
    let after = |p: usize| bytes.get(skip_blank(bytes, p + 1)).copied();
    match bytes.get(pos) {
        None if comment => Some(Format::Edn),
        None => Some(Format::Jsonl),
        _ if comment => Some(Format::Edn),
        Some(b'{') => match after(pos) {
            Some(b'"') | Some(b'}') => Some(Format::Jsonl),
            _ => Some(Format::Edn),
        },
        Some(b'[') => {
            let inner = skip_blank(bytes, pos + 1);
            match bytes.get(inner) {
                Some(b']') => Some(Format::Json),
                Some(b'{') => match after(inner) {
                    Some(b'"') | Some(b'}') => Some(Format::Json),
                    _ => Some(Format::Edn),
                },
                Some(b'#' | b'(' | b';') => Some(Format::Edn),
                // `[2014-04-13 17:38:48] INFO …`: a log whose lines start with a bracket.
                _ if has_log_lines(text) => Some(Format::JepsenLog),
                _ => Some(Format::Edn),
            }
        }
        Some(b'(' | b'#' | b':') => Some(Format::Edn),
        Some(_) => has_log_lines(text).then_some(Format::JepsenLog),
    }
}

fn has_log_lines(text: &str) -> bool {
    text.lines()
        .take(LOG_LINES_SCANNED)
        .any(jepsen_log::is_op_line)
}

fn skip_blank(bytes: &[u8], mut pos: usize) -> usize {
    while pos < bytes.len() && matches!(bytes[pos], b' ' | b'\t' | b'\n' | b'\r' | b',') {
        pos += 1;
    }
    pos
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_format_from_its_first_characters() {
        for (text, want) in [
            ("{\"index\":0,\"type\":\"invoke\"}\n", Some(Format::Jsonl)),
            ("\n  {\"type\":\":invoke\"}", Some(Format::Jsonl)),
            ("[{\"type\":\"invoke\"}]", Some(Format::Json)),
            ("[\n {\n \"type\": \"invoke\"}]", Some(Format::Json)),
            ("[]", Some(Format::Json)),
            ("{:type :invoke}", Some(Format::Edn)),
            ("[{:type :invoke}]", Some(Format::Edn)),
            ("({:type :invoke})", Some(Format::Edn)),
            ("#jepsen.history.Op{:type :invoke}", Some(Format::Edn)),
            ("; comment\n[{:type :invoke}]", Some(Format::Edn)),
            ("; only a comment", Some(Format::Edn)),
            ("", Some(Format::Jsonl)),
            (
                "INFO  jepsen.util - 3\t:invoke\t:cas\t[1 4]",
                Some(Format::JepsenLog),
            ),
            ("hello world\n", None),
            (
                "[2014-04-13 17:38:48] INFO jepsen.util - 3\t:ok\t:read\t1",
                Some(Format::JepsenLog),
            ),
            ("[1 2 3]", Some(Format::Edn)),
        ] {
            assert_eq!(detect(text), want, "{text:?}");
        }
    }

    #[test]
    fn format_names_round_trip() {
        for name in Format::NAMES {
            assert_eq!(name.parse::<Format>().unwrap().name(), *name);
        }
        assert!("xml".parse::<Format>().unwrap_err().contains("jepsen-log"));
    }
}

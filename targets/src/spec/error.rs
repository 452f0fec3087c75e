//! A spec file that cannot be used, located: the file, the line and the field, so the user can go
//! straight to it.

use std::ops::Range;
use std::path::{Path, PathBuf};

use thiserror::Error;

/// What is wrong with a spec file, and where.
#[derive(Debug, Error)]
pub enum SpecError {
    #[error("cannot read target spec {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: {field}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        /// 1-based; 0 when the field is missing altogether (then the file as a whole is meant).
        line: usize,
        /// Dotted path of the field, e.g. `node.command` or `hooks.after_start.on`.
        field: String,
        message: String,
    },
}

/// The 1-based line holding byte `offset` of `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Builds [`SpecError::Invalid`] for a field whose place in the file is `span` (an empty span at
/// 0 means the field was absent: then no line is claimed).
pub fn invalid(
    path: &Path,
    text: &str,
    span: Range<usize>,
    field: &str,
    message: impl Into<String>,
) -> SpecError {
    SpecError::Invalid {
        path: path.to_path_buf(),
        line: if span == (0..0) {
            0
        } else {
            line_of(text, span.start)
        },
        field: field.to_string(),
        message: message.into(),
    }
}

/// A TOML or shape error from the parser, with the field named: the key on the error's line (under
/// its `[table]`), or for a missing or unknown field the one the parser's message names.
pub fn from_toml(path: &Path, text: &str, e: &toml::de::Error) -> SpecError {
    let span = e.span().unwrap_or(0..0);
    let message = e.message().trim().to_string();
    let (table, key) = key_at(text, span.start);
    let named = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|p| message.split_once(p))
        .and_then(|(_, rest)| rest.split('`').next())
        .map(str::to_string);
    let field = match (named, key) {
        // An unknown field is reported at its own key; a missing one at its table.
        (Some(name), _) if message.starts_with("missing") => join(&table, &name),
        (_, Some(key)) => join(&table, &key),
        (Some(name), None) => join(&table, &name),
        (None, None) => {
            if table.is_empty() {
                "(file)".to_string()
            } else {
                table
            }
        }
    };
    SpecError::Invalid {
        path: path.to_path_buf(),
        line: line_of(text, span.start),
        field,
        message,
    }
}

fn join(table: &str, key: &str) -> String {
    if table.is_empty() {
        key.to_string()
    } else {
        format!("{table}.{key}")
    }
}

/// The `[table]` in force at `offset` and the key of the `key = value` line holding it, if any.
fn key_at(text: &str, offset: usize) -> (String, Option<String>) {
    let line_no = line_of(text, offset);
    let mut table = String::new();
    let mut key = None;
    for (i, line) in text.lines().enumerate().take(line_no) {
        let t = line.trim();
        if t.starts_with('[') {
            table = t.trim_matches(|c| c == '[' || c == ']').trim().to_string();
            key = None;
        } else if i + 1 == line_no {
            key = t
                .split_once('=')
                .map(|(k, _)| k.trim().trim_matches('"').to_string())
                .filter(|k| !k.is_empty() && !k.starts_with('#'));
        }
    }
    (table, key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_counted_from_one() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 4), 3);
    }

    #[test]
    fn the_key_under_its_table_is_found() {
        let text = "name = \"x\"\n[node]\nport = \"six\"\n";
        let at = text.find("\"six\"").unwrap();
        assert_eq!(key_at(text, at), ("node".into(), Some("port".into())));
        assert_eq!(key_at(text, 0), (String::new(), Some("name".into())));
    }
}

//! Errors about histories: bad input files (with file, line and what was expected), and histories
//! whose events do not pair up.

use thiserror::Error;

/// A problem at a place in an input file. Displayed as `FILE:LINE: MESSAGE`.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("{source_name}:{line}: {message}")]
pub struct InputError {
    /// The file name, or `<stdin>`.
    pub source_name: String,
    /// 1-based line number; 0 when the problem is about the whole input.
    pub line: usize,
    pub message: String,
}

impl InputError {
    pub fn new(source_name: impl Into<String>, line: usize, message: impl Into<String>) -> Self {
        InputError {
            source_name: source_name.into(),
            line,
            message: message.into(),
        }
    }
}

/// A history that cannot be read or does not pair up.
#[derive(Debug, Error)]
pub enum HistoryError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The events are well-formed one by one but break the process rules of DESIGN.md section 2.
    #[error("event {index}: {message}")]
    Malformed { index: u64, message: String },
}

//! What can go wrong in the helper; each keeps its cause.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum HelperError {
    #[error("bad --shaping: {0}")]
    Shaping(String),
    #[error("{what}: {source}")]
    Io {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
}

impl HelperError {
    /// Wraps an I/O error with what was being done.
    pub fn io(what: &'static str) -> impl FnOnce(std::io::Error) -> HelperError {
        move |source| HelperError::Io { what, source }
    }
}

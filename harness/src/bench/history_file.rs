//! A generated history written to a temporary JSON Lines file, so the timed part of a case reads
//! and parses it as `faultline check` would ("end to end including parsing", DESIGN.md section 9).

use std::path::{Path, PathBuf};

use faultline_checkers::history::formats::write_jsonl;
use faultline_checkers::Op;

/// A JSONL file in the temporary directory, removed when dropped.
pub struct HistoryFile {
    path: PathBuf,
}

impl HistoryFile {
    pub fn write(label: &str, ops: &[Op]) -> std::io::Result<HistoryFile> {
        HistoryFile::write_with(label, |file| write_jsonl(ops, file))
    }

    /// A file that `write` fills (for generators that stream their lines). The file is removed
    /// if `write` fails.
    pub fn write_with(
        label: &str,
        write: impl FnOnce(std::fs::File) -> std::io::Result<()>,
    ) -> std::io::Result<HistoryFile> {
        let file = HistoryFile {
            path: std::env::temp_dir().join(format!(
                "faultline-bench-{}-{label}.jsonl",
                std::process::id()
            )),
        };
        write(std::fs::File::create(&file.path)?)?;
        Ok(file)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for HistoryFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

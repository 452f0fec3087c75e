//! Durable state: an append-only journal of JSON records, one per line, made durable by
//! [`Journal::sync`] (write + `fsync`). Every mode keeps its state this way; the driver calls `sync`
//! once per batch of events before any message or answer leaves the node (group commit), so nothing
//! the outside world saw can be lost by a SIGKILL.
//!
//! Recovery replays the records in order; a torn last line (a crash mid-write) is dropped. The
//! journal is never compacted: a reference node lives for one test run (documented limit).
//!
//! Two backends: [`FileStore`] for the binary, [`MemStore`] for in-memory simulations, where a
//! simulated crash keeps exactly the synced prefix.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Where journal lines go.
pub trait Store: Send {
    /// Buffers one line (without its newline).
    fn append(&mut self, line: Vec<u8>);
    /// Makes every buffered line durable.
    fn sync(&mut self) -> io::Result<()>;
    /// Every durable line, oldest first.
    fn load(&mut self) -> io::Result<Vec<Vec<u8>>>;
}

/// A journal file in the node's data directory.
pub struct FileStore {
    path: PathBuf,
    file: File,
    buffer: Vec<u8>,
}

impl FileStore {
    /// Opens (creating if needed) `dir/name`, and the directory itself, with a friendly error.
    pub fn open(dir: &Path, name: &str) -> io::Result<FileStore> {
        std::fs::create_dir_all(dir).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("creating data dir {}: {e}", dir.display()),
            )
        })?;
        let path = dir.join(name);
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(&path)
            .map_err(|e| io::Error::new(e.kind(), format!("opening {}: {e}", path.display())))?;
        truncate_torn_tail(&file)?;
        // Make the file's directory entry durable too, or a crash could forget the file.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(FileStore {
            path,
            file,
            buffer: Vec::new(),
        })
    }
}

/// Cuts a torn last line (no trailing newline) so the next append starts on a fresh line.
fn truncate_torn_tail(file: &File) -> io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let mut reader = file;
    let mut contents = Vec::new();
    reader.seek(SeekFrom::Start(0))?;
    reader.read_to_end(&mut contents)?;
    if contents.last().is_some_and(|&b| b != b'\n') {
        let keep = contents
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        file.set_len(keep as u64)?;
        file.sync_all()?;
    }
    Ok(())
}

impl Store for FileStore {
    fn append(&mut self, line: Vec<u8>) {
        self.buffer.extend_from_slice(&line);
        self.buffer.push(b'\n');
    }

    fn sync(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        self.file.write_all(&self.buffer)?;
        self.file.sync_data()?;
        self.buffer.clear();
        Ok(())
    }

    fn load(&mut self) -> io::Result<Vec<Vec<u8>>> {
        let reader = BufReader::new(File::open(&self.path)?);
        let mut lines = Vec::new();
        for line in reader.split(b'\n') {
            lines.push(line?);
        }
        Ok(lines)
    }
}

/// An in-memory journal shared with the simulation, which keeps it across a simulated crash.
#[derive(Clone, Default)]
pub struct MemStore {
    inner: Arc<Mutex<MemInner>>,
}

#[derive(Default)]
struct MemInner {
    durable: Vec<Vec<u8>>,
    buffered: Vec<Vec<u8>>,
}

impl MemStore {
    pub fn new() -> MemStore {
        MemStore::default()
    }

    /// Forgets what was not synced, as a crash does.
    pub fn crash(&self) {
        self.inner.lock().expect("journal lock").buffered.clear();
    }
}

impl Store for MemStore {
    fn append(&mut self, line: Vec<u8>) {
        self.inner.lock().expect("journal lock").buffered.push(line);
    }

    fn sync(&mut self) -> io::Result<()> {
        let mut inner = self.inner.lock().expect("journal lock");
        let buffered = std::mem::take(&mut inner.buffered);
        inner.durable.extend(buffered);
        Ok(())
    }

    fn load(&mut self) -> io::Result<Vec<Vec<u8>>> {
        Ok(self.inner.lock().expect("journal lock").durable.clone())
    }
}

/// A typed journal of records `R`.
pub struct Journal<R> {
    store: Box<dyn Store>,
    _record: PhantomData<fn(R) -> R>,
}

impl<R: Serialize + DeserializeOwned> Journal<R> {
    pub fn new(store: Box<dyn Store>) -> Journal<R> {
        Journal {
            store,
            _record: PhantomData,
        }
    }

    pub fn append(&mut self, record: &R) {
        // Serialising our own plain data types cannot fail.
        let line = serde_json::to_vec(record).expect("journal records serialise");
        self.store.append(line);
    }

    /// Appends a line already serialised as an `R` (for callers that serialise by reference).
    pub fn append_line(&mut self, line: Vec<u8>) {
        self.store.append(line);
    }

    pub fn sync(&mut self) -> io::Result<()> {
        self.store.sync()
    }

    /// Every durable record. A line that does not parse is accepted only as the last one (a torn
    /// write); anywhere else it is corruption and an error that says where.
    pub fn replay(&mut self) -> io::Result<Vec<R>> {
        let lines = self.store.load()?;
        let mut records = Vec::with_capacity(lines.len());
        let count = lines.len();
        for (i, line) in lines.into_iter().enumerate() {
            match serde_json::from_slice(&line) {
                Ok(r) => records.push(r),
                Err(_) if i + 1 == count => {
                    tracing::warn!("journal: dropping a torn last record (line {})", i + 1);
                }
                Err(e) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("journal line {} is corrupt: {e}", i + 1),
                    ))
                }
            }
        }
        Ok(records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crash_keeps_exactly_the_synced_records() {
        let mem = MemStore::new();
        let mut j: Journal<u32> = Journal::new(Box::new(mem.clone()));
        j.append(&1);
        j.sync().unwrap();
        j.append(&2);
        mem.crash();
        let mut again: Journal<u32> = Journal::new(Box::new(mem));
        assert_eq!(again.replay().unwrap(), vec![1]);
    }

    #[test]
    fn file_journal_survives_reopen_and_drops_a_torn_tail() {
        let dir = std::env::temp_dir().join(format!("refnode-journal-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        {
            let mut j: Journal<String> =
                Journal::new(Box::new(FileStore::open(&dir, "j").unwrap()));
            j.append(&"a".to_string());
            j.append(&"b".to_string());
            j.sync().unwrap();
        }
        let mut f = OpenOptions::new().append(true).open(dir.join("j")).unwrap();
        f.write_all(b"\"tor").unwrap();
        let mut j: Journal<String> = Journal::new(Box::new(FileStore::open(&dir, "j").unwrap()));
        assert_eq!(j.replay().unwrap(), vec!["a".to_string(), "b".to_string()]);
        j.append(&"c".to_string());
        j.sync().unwrap();
        assert_eq!(
            j.replay().unwrap().len(),
            3,
            "appends after a torn tail stay readable"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

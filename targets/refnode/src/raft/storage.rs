//! Raft's durable state (section 5, figure 2: `currentTerm`, `votedFor`, `log[]`) on a [`Journal`].
//!
//! Two records: the hard state whenever it changes, and "truncate to `from - 1`, then append
//! these entries". Recovery replays them in order. The commit index and the state machine are not
//! stored: a restarted node rebuilds them by re-applying the log as the leader tells it the commit
//! index, which Raft allows (commit index is volatile state in figure 2).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::core::{HardState, Ready};
use super::log::Entry;
use crate::journal::{Journal, Store};

#[derive(Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "kebab-case")]
enum Record<C> {
    Hard(HardState),
    Append { from: u64, entries: Vec<Entry<C>> },
}

/// [`Record`] by reference, so persisting never copies the entries.
#[derive(Serialize)]
#[serde(tag = "t", rename_all = "kebab-case")]
enum RecordRef<'a, C> {
    Hard(&'a HardState),
    Append { from: u64, entries: &'a [Entry<C>] },
}

pub struct RaftStorage<C> {
    journal: Journal<Record<C>>,
}

impl<C: Serialize> RecordRef<'_, C> {
    fn line(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("raft records serialise")
    }
}

impl<C: Clone + Serialize + DeserializeOwned> RaftStorage<C> {
    pub fn new(store: Box<dyn Store>) -> RaftStorage<C> {
        RaftStorage {
            journal: Journal::new(store),
        }
    }

    /// The persisted hard state and log (empty for a new node).
    pub fn recover(&mut self) -> std::io::Result<(HardState, Vec<Entry<C>>)> {
        let mut hard = HardState::default();
        let mut log: Vec<Entry<C>> = Vec::new();
        for record in self.journal.replay()? {
            match record {
                Record::Hard(h) => hard = h,
                Record::Append { from, entries } => {
                    log.truncate((from.max(1) - 1) as usize);
                    log.extend(entries);
                }
            }
        }
        Ok((hard, log))
    }

    /// Writes what `ready` asks to persist and fsyncs it.
    pub fn persist(&mut self, ready: &Ready<C>) -> std::io::Result<()> {
        if let Some(h) = &ready.hard_state {
            self.journal.append_line(RecordRef::<C>::Hard(h).line());
        }
        if let Some(from) = ready.entries_from {
            let record = RecordRef::Append {
                from,
                entries: &ready.entries,
            };
            self.journal.append_line(record.line());
        }
        self.journal.sync()
    }
}

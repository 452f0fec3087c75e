//! Planted bugs (`--bug NAME`). Each one breaks a promise of one mode in a way exactly one family of
//! checkers must notice; the table is the ground truth the checkers are tested against.
//!
//! | bug | mode | what it does | who must catch it |
//! |---|---|---|---|
//! | `stale-read` | raft | a node that believes it is leader answers reads from local state without confirming leadership, and never checks that a quorum still follows it (no check-quorum), so a cut-off leader keeps believing | linearizability (cas-register / register): a read older than an acknowledged write |
//! | `early-ack` | raft, primary-backup (sync) | acknowledges writes before they are committed / replicated | lost-update / linearizability: an acknowledged write missing after failover |
//! | `non-atomic-txn` | raft | applies each micro-op of a multi-key transaction as its own log entry, so others see the transaction half done | Elle (list-append / rw-register): G-single, G1c, fractured reads |
//! | `lost-sibling` | quorum (vector clocks) | a replica keeps only the incoming version when it is concurrent with the stored one, instead of keeping both as siblings | set checker: an acknowledged add missing from the final read |

use std::collections::BTreeSet;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bug {
    StaleRead,
    EarlyAck,
    NonAtomicTxn,
    LostSibling,
}

impl Bug {
    pub const ALL: [Bug; 4] = [
        Bug::StaleRead,
        Bug::EarlyAck,
        Bug::NonAtomicTxn,
        Bug::LostSibling,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Bug::StaleRead => "stale-read",
            Bug::EarlyAck => "early-ack",
            Bug::NonAtomicTxn => "non-atomic-txn",
            Bug::LostSibling => "lost-sibling",
        }
    }
}

impl Bug {
    /// The mode it is planted in and the workload whose checkers must catch it (the table above):
    /// what `faultline hunt` runs for it, so a bug added here is hunted without more wiring.
    pub fn shown_by(self) -> (&'static str, &'static str) {
        match self {
            Bug::StaleRead => ("raft", "register"),
            Bug::EarlyAck => ("raft", "register"),
            Bug::NonAtomicTxn => ("raft", "list-append"),
            Bug::LostSibling => ("quorum", "set"),
        }
    }
}

impl FromStr for Bug {
    type Err = String;

    fn from_str(s: &str) -> Result<Bug, String> {
        Bug::ALL.into_iter().find(|b| b.name() == s).ok_or_else(|| {
            let known: Vec<_> = Bug::ALL.iter().map(|b| b.name()).collect();
            format!("unknown bug {s:?}; known bugs: {}", known.join(", "))
        })
    }
}

/// The bugs planted in one node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bugs(BTreeSet<Bug>);

impl Bugs {
    pub fn none() -> Bugs {
        Bugs::default()
    }

    pub fn with(mut self, bug: Bug) -> Bugs {
        self.0.insert(bug);
        self
    }

    pub fn has(&self, bug: Bug) -> bool {
        self.0.contains(&bug)
    }
}

impl FromIterator<Bug> for Bugs {
    fn from_iter<I: IntoIterator<Item = Bug>>(iter: I) -> Bugs {
        Bugs(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bug_names_parse_and_unknown_names_list_the_known_ones() {
        assert_eq!("early-ack".parse::<Bug>(), Ok(Bug::EarlyAck));
        let err = "typo".parse::<Bug>().unwrap_err();
        assert!(err.contains("stale-read") && err.contains("typo"), "{err}");
    }
}

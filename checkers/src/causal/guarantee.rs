//! The models this checker decides: causal consistency and the four session guarantees of Terry et
//! al., "Session Guarantees for Weakly Consistent Replicated Data" (PDIS 1994).
//!
//! Brzeziński, Sobaniec and Wawrzyniak ("From session causality to causal consistency", PDP 2004)
//! show that the four guarantees together give causal consistency, which is why every violation
//! this checker finds is attributed to the guarantees it breaks, and only violations that need a
//! longer chain of operations than any single guarantee looks at are left to `causal` alone.

/// One model a user can ask for with `--consistency-model`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Guarantee {
    /// Causal consistency (CC of Bouajjani et al., POPL 2017), transactional when the history has
    /// transactions: implies all four session guarantees.
    Causal,
    /// A read sees every earlier write of its own session.
    ReadYourWrites,
    /// A read sees every write that an earlier read of its session saw.
    MonotonicReads,
    /// Whoever sees a write of a session also sees that session's earlier writes, in order.
    MonotonicWrites,
    /// Whoever sees a write also sees every write its session had read before it, in order.
    WritesFollowReads,
    /// Causal consistency plus one order of conflicting writes that every replica follows (CCv of
    /// Bouajjani et al.; causal+ of COPS): implies `Causal`. Only checked when asked for.
    Convergence,
}

impl Guarantee {
    /// Every model, `causal` first.
    pub const ALL: [Guarantee; 6] = [
        Guarantee::Causal,
        Guarantee::ReadYourWrites,
        Guarantee::MonotonicReads,
        Guarantee::MonotonicWrites,
        Guarantee::WritesFollowReads,
        Guarantee::Convergence,
    ];

    /// The four session guarantees, in the order a violation is named after them.
    pub const SESSION: [Guarantee; 4] = [
        Guarantee::ReadYourWrites,
        Guarantee::MonotonicReads,
        Guarantee::MonotonicWrites,
        Guarantee::WritesFollowReads,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Guarantee::Causal => "causal",
            Guarantee::ReadYourWrites => "read-your-writes",
            Guarantee::MonotonicReads => "monotonic-reads",
            Guarantee::MonotonicWrites => "monotonic-writes",
            Guarantee::WritesFollowReads => "writes-follow-reads",
            Guarantee::Convergence => "causal-convergence",
        }
    }

    /// Reads a `--consistency-model` name. Accepts the names above, `causal-consistency`, and
    /// `causal+` for `causal-convergence`.
    pub fn from_name(name: &str) -> Option<Guarantee> {
        let name = name.trim().to_ascii_lowercase().replace('_', "-");
        let alias = match name.as_str() {
            "causal-consistency" => Some(Guarantee::Causal),
            "causal+" | "causal-plus" => Some(Guarantee::Convergence),
            _ => None,
        };
        Guarantee::ALL
            .into_iter()
            .find(|g| g.name() == name)
            .or(alias)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl std::fmt::Display for Guarantee {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of guarantees (to check, or that one violation breaks).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GuaranteeSet(u8);

impl GuaranteeSet {
    pub fn of(guarantees: &[Guarantee]) -> GuaranteeSet {
        let mut set = GuaranteeSet::default();
        for &g in guarantees {
            set.insert(g);
        }
        set
    }

    pub fn insert(&mut self, g: Guarantee) {
        self.0 |= g.bit();
    }

    pub fn contains(self, g: Guarantee) -> bool {
        self.0 & g.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Guarantee> {
        Guarantee::ALL
            .into_iter()
            .filter(move |g| self.contains(*g))
    }

    /// The names of the members, for reports.
    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(Guarantee::name).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for g in Guarantee::ALL {
            assert_eq!(Guarantee::from_name(g.name()), Some(g));
        }
        assert_eq!(
            Guarantee::from_name("Monotonic_Reads"),
            Some(Guarantee::MonotonicReads)
        );
        assert_eq!(Guarantee::from_name("serializable"), None);
    }

    #[test]
    fn sets_hold_what_was_inserted() {
        let set = GuaranteeSet::of(&[Guarantee::MonotonicWrites, Guarantee::Causal]);
        assert!(set.contains(Guarantee::Causal) && set.contains(Guarantee::MonotonicWrites));
        assert!(!set.contains(Guarantee::ReadYourWrites));
        assert_eq!(set.names(), vec!["causal", "monotonic-writes"]);
    }
}

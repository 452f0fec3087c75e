//! The anomalies the checker names. Cycle anomalies follow Adya (1999, section 4): G0 (write cycle),
//! G1c (circular information flow), G-single (exactly one anti-dependency), G2 (anti-dependency
//! cycles), plus Elle's G-nonadjacent (several anti-dependencies, no two adjacent) and the
//! `-process` / `-realtime` variants for cycles that need a session or real-time edge.
//! Non-cycle anomalies are the ones Elle reads directly off the observations.
//!
//! Names are Elle's, so that users moving from Elle can grep for the same words: an anti-dependency
//! cycle whose rw edges are all over items (not predicates) is `G-single-item`,
//! `G-nonadjacent-item` or `G2-item`, and every rw edge this checker infers is over an item (it
//! has no predicate reads), so those are the names it reports. G0 and G1c have no `-item` form in
//! Elle. The family (the name without `-item` and without the variant) is kept alongside for
//! whoever groups by Adya's classes.

use super::graph::{Reason, NONE};

/// The data-edge shape of a cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Base {
    /// Only ww edges.
    G0,
    /// ww and wr edges, at least one wr.
    G1c,
    /// Exactly one rw edge.
    GSingle,
    /// Two or more rw edges, no two of them adjacent.
    GNonadjacent,
    /// Two or more rw edges, at least two adjacent.
    G2Item,
}

/// Which non-data orders a cycle needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variant {
    /// Data dependencies only.
    Data,
    /// Needs at least one process-order edge (and no real-time edge).
    Process,
    /// Needs at least one real-time edge.
    Realtime,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CycleKind {
    pub base: Base,
    pub variant: Variant,
}

impl CycleKind {
    /// Every cycle kind, in the order they are searched: worst data anomalies first.
    pub const ALL: [CycleKind; 15] = {
        use Base::*;
        use Variant::*;
        let b = [G0, G1c, GSingle, GNonadjacent, G2Item];
        let v = [Data, Process, Realtime];
        let mut out = [CycleKind {
            base: G0,
            variant: Data,
        }; 15];
        let mut i = 0;
        while i < 15 {
            out[i] = CycleKind {
                base: b[i % 5],
                variant: v[i / 5],
            };
            i += 1;
        }
        out
    };

    pub fn name(self) -> &'static str {
        use Base::*;
        use Variant::*;
        match (self.base, self.variant) {
            (G0, Data) => "G0",
            (G0, Process) => "G0-process",
            (G0, Realtime) => "G0-realtime",
            (G1c, Data) => "G1c",
            (G1c, Process) => "G1c-process",
            (G1c, Realtime) => "G1c-realtime",
            (GSingle, Data) => "G-single-item",
            (GSingle, Process) => "G-single-item-process",
            (GSingle, Realtime) => "G-single-item-realtime",
            (GNonadjacent, Data) => "G-nonadjacent-item",
            (GNonadjacent, Process) => "G-nonadjacent-item-process",
            (GNonadjacent, Realtime) => "G-nonadjacent-item-realtime",
            (G2Item, Data) => "G2-item",
            (G2Item, Process) => "G2-item-process",
            (G2Item, Realtime) => "G2-item-realtime",
        }
    }

    /// Adya's class of the cycle, whatever its variant and whether its rw edges are over items:
    /// `G0`, `G1c`, `G-single`, `G-nonadjacent` or `G2`.
    pub fn family(self) -> &'static str {
        match self.base {
            Base::G0 => "G0",
            Base::G1c => "G1c",
            Base::GSingle => "G-single",
            Base::GNonadjacent => "G-nonadjacent",
            Base::G2Item => "G2",
        }
    }
}

impl Variant {
    /// `data`, `process` or `realtime`: which orders besides the data dependencies the cycle needs.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Data => "data",
            Variant::Process => "process",
            Variant::Realtime => "realtime",
        }
    }
}

/// Anomalies found without a cycle search.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direct {
    /// Aborted read: a committed transaction saw a write of a failed one.
    G1a,
    /// Intermediate read: a transaction saw a write that its writer later overwrote itself.
    G1b,
    /// A transaction's read disagrees with its own earlier reads and writes of the key.
    Internal,
    /// A committed write was applied on top of an aborted one.
    DirtyUpdate,
    /// A read list holds the same (uniquely appended) element twice.
    DuplicateElements,
    /// Two reads of a list where neither is a prefix of the other: no single order explains both.
    IncompatibleOrder,
    /// Two committed transactions read the same version of a key and both wrote it.
    LostUpdate,
    /// A transaction read a value it only wrote later.
    FutureRead,
    /// The inferred version order of a key is cyclic.
    CyclicVersions,
}

impl Direct {
    pub fn name(self) -> &'static str {
        match self {
            Direct::G1a => "G1a",
            Direct::G1b => "G1b",
            Direct::Internal => "internal",
            Direct::DirtyUpdate => "dirty-update",
            Direct::DuplicateElements => "duplicate-elements",
            Direct::IncompatibleOrder => "incompatible-order",
            Direct::LostUpdate => "lost-update",
            Direct::FutureRead => "future-read",
            Direct::CyclicVersions => "cyclic-versions",
        }
    }
}

/// A non-cycle anomaly as the workload module found it.
#[derive(Clone, Debug)]
pub struct DirectFinding {
    pub kind: Direct,
    /// Transactions involved, in the order the explanation names them.
    pub txns: Vec<u32>,
    /// Plain words; transactions are described by the report.
    pub explanation: String,
    pub detail: Option<crate::verdict::AnomalyDetail>,
}

/// One step of a cycle: an edge and why it exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    pub from: u32,
    pub to: u32,
    pub kind: u8,
    /// Index into the graph's reasons, or [`NONE`].
    pub why: u32,
}

impl Step {
    pub fn reason<'a>(&self, reasons: &'a [Reason]) -> Option<&'a Reason> {
        (self.why != NONE).then(|| &reasons[self.why as usize])
    }
}

/// A cycle found in the dependency graph.
#[derive(Clone, Debug)]
pub struct Cycle {
    pub kind: CycleKind,
    pub steps: Vec<Step>,
    /// False when the search budget ran out before it proved no shorter cycle of this kind exists
    /// in the component.
    pub shortest: bool,
}

/// Classifies a cycle by its edges (each step carries exactly one kind).
pub fn classify(steps: &[Step]) -> CycleKind {
    use super::graph::{PROCESS, REALTIME, RW, WR};
    let variant = if steps.iter().any(|s| s.kind == REALTIME) {
        Variant::Realtime
    } else if steps.iter().any(|s| s.kind == PROCESS) {
        Variant::Process
    } else {
        Variant::Data
    };
    let rw = steps.iter().filter(|s| s.kind == RW).count();
    let n = steps.len();
    let adjacent = (0..n).any(|i| steps[i].kind == RW && steps[(i + 1) % n].kind == RW);
    let base = match rw {
        0 if steps.iter().any(|s| s.kind == WR) => Base::G1c,
        0 => Base::G0,
        1 => Base::GSingle,
        _ if adjacent => Base::G2Item,
        _ => Base::GNonadjacent,
    };
    CycleKind { base, variant }
}

#[cfg(test)]
mod tests {
    use super::super::graph::{PROCESS, RW, WR, WW};
    use super::*;

    fn steps(kinds: &[u8]) -> Vec<Step> {
        let n = kinds.len() as u32;
        kinds
            .iter()
            .enumerate()
            .map(|(i, &kind)| Step {
                from: i as u32,
                to: (i as u32 + 1) % n,
                kind,
                why: NONE,
            })
            .collect()
    }

    #[test]
    fn classifies_by_edges() {
        assert_eq!(classify(&steps(&[WW, WW])).name(), "G0");
        assert_eq!(classify(&steps(&[WW, WR])).name(), "G1c");
        assert_eq!(classify(&steps(&[WR, RW])).name(), "G-single-item");
        assert_eq!(classify(&steps(&[WR, RW])).family(), "G-single");
        assert_eq!(
            classify(&steps(&[RW, WR, RW, WW])).name(),
            "G-nonadjacent-item"
        );
        assert_eq!(
            classify(&steps(&[RW, WR, RW, WW])).family(),
            "G-nonadjacent"
        );
        // rw edges adjacent across the wrap-around
        assert_eq!(classify(&steps(&[RW, WR, RW])).name(), "G2-item");
        assert_eq!(classify(&steps(&[RW, RW])).name(), "G2-item");
        assert_eq!(classify(&steps(&[RW, RW])).family(), "G2");
        assert_eq!(classify(&steps(&[WW, PROCESS])).name(), "G0-process");
        assert_eq!(
            classify(&steps(&[RW, PROCESS, 16])).name(),
            "G-single-item-realtime"
        );
        assert_eq!(
            classify(&steps(&[RW, PROCESS, 16])).variant.name(),
            "realtime"
        );
        let names: std::collections::HashSet<&str> =
            CycleKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(names.len(), 15);
    }
}

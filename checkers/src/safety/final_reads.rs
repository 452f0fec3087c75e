//! The final-read phase. After the nemesis heals everything and the cluster has had time to
//! recover, the run loop issues the workload's final reads (DESIGN.md section 5). It marks the
//! start of that phase with a nemesis event `{"process":"nemesis","type":"info","f":"final-reads"}`
//! so that checkers judging "the state after quiescence" (lost-update, convergence) know which
//! reads those are. Histories without the marker (imported ones) fall back to a rule each
//! checker documents.

use crate::History;

/// `f` of the nemesis event that opens the final-read phase.
pub const FINAL_READS_MARKER: &str = "final-reads";

/// Position of the last final-reads marker in the history, if any.
pub fn marker_position(history: &History) -> Option<usize> {
    history
        .ops()
        .iter()
        .rposition(|o| !o.is_client() && o.f == FINAL_READS_MARKER)
}

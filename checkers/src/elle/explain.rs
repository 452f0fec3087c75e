//! Explanations a database engineer can follow: each transaction, then for each edge of a cycle
//! *why* it exists ("T2 read x = [1 2], so it saw T1's append of 2"), ending in the contradiction.

use super::anomaly::{Cycle, Step};
use super::graph::{
    kind_name, Reason, NONE, PROCESS, REALTIME, RW, VIA_INITIAL, VIA_PROCESS, VIA_REALTIME,
    VIA_UNREAD, VIA_WFR, WR, WW,
};
use super::txns::{Txns, Workload};

fn version(txns: &Txns, v: u32) -> String {
    if v == NONE || v == u32::MAX - 1 {
        "nil".to_string()
    } else {
        txns.val(v)
    }
}

fn read_value(txns: &Txns, mop: u32) -> String {
    if mop == NONE {
        return "?".to_string();
    }
    txns.show_mop_val(&txns.mops[mop as usize])
}

/// Why the register version `a` precedes `b`.
fn register_order(txns: &Txns, r: &Reason) -> String {
    let (a, b) = (version(txns, r.from_val), version(txns, r.to_val));
    match r.via {
        VIA_INITIAL => format!(
            "nil is {}'s initial state, before every write",
            txns.key(r.key)
        ),
        VIA_WFR => format!(
            "{} read {a} and then wrote {b} (writes follow reads)",
            txns.name(r.witness)
        ),
        VIA_PROCESS => format!(
            "{}'s process had seen {a} before it saw {b} (sequential keys)",
            txns.name(r.witness)
        ),
        VIA_REALTIME => format!(
            "{} completed, leaving {} = {a}, before a transaction that saw {b} began \
             (linearizable keys)",
            txns.name(r.witness),
            txns.key(r.key)
        ),
        _ => "of the inferred version order".to_string(),
    }
}

/// One sentence for one edge of a cycle.
pub fn edge_sentence(txns: &Txns, workload: Workload, reasons: &[Reason], step: &Step) -> String {
    let (a, b) = (txns.name(step.from), txns.name(step.to));
    let (ta, tb) = (&txns.txns[step.from as usize], &txns.txns[step.to as usize]);
    match step.kind {
        PROCESS => {
            return format!(
                "{a} and {b} ran on the same process ({}), {a} first: {a} completed at event {} \
                 before {b} was invoked at event {} (process order)",
                ta.process.map_or("?".to_string(), |p| p.to_string()),
                ta.complete_index.unwrap_or(ta.invoke_index),
                tb.invoke_index
            )
        }
        REALTIME => {
            return format!(
                "{a} completed at event {} before {b} was invoked at event {} (real-time order)",
                ta.complete_index.unwrap_or(ta.invoke_index),
                tb.invoke_index
            )
        }
        _ => {}
    }
    let Some(r) = step.reason(reasons) else {
        return format!("{a} -{}-> {b}", kind_name(step.kind));
    };
    let k = txns.key(r.key);
    match (workload, step.kind) {
        (Workload::ListAppend, WW) if r.via == VIA_UNREAD => format!(
            "{b} appended {} to {k}, which no read ever saw, so it came after {} — the last \
             element any read of {k} saw, appended by {a} (ww)",
            version(txns, r.to_val),
            version(txns, r.from_val)
        ),
        (Workload::ListAppend, WW) => format!(
            "{a} appended {} to {k} and {b} appended {} right after it, as reads of {k} show (ww)",
            version(txns, r.from_val),
            version(txns, r.to_val)
        ),
        (Workload::ListAppend, WR) => format!(
            "{b} read {k} = {}, so it saw {a}'s append of {} (wr)",
            read_value(txns, r.read),
            version(txns, r.from_val)
        ),
        (Workload::ListAppend, RW) => {
            let (read, e) = (read_value(txns, r.read), version(txns, r.to_val));
            if r.via == VIA_UNREAD {
                format!(
                    "{a} read {k} = {read}, which does not contain {e}; {b} appended {e}, which no \
                     read of {k} ever saw, so it came after every element any read saw, and {a} \
                     must come before {b} (rw)"
                )
            } else if r.from_val == NONE {
                format!(
                    "{a} read {k} = {read}; {b} appended {e} as its first element, so {a} must \
                     come before {b} (rw)"
                )
            } else {
                format!(
                    "{a} read {k} = {read}, which does not contain {e}; {b} appended {e} right \
                     after {}, so {a} must come before {b} (rw)",
                    version(txns, r.from_val)
                )
            }
        }
        (Workload::RwRegister, WW) => format!(
            "{a} wrote {k} = {} and {b} wrote {k} = {}, a later version: {} (ww)",
            version(txns, r.from_val),
            version(txns, r.to_val),
            register_order(txns, r)
        ),
        (Workload::RwRegister, WR) => format!(
            "{b} read {k} = {}, the value {a} wrote (wr)",
            version(txns, r.from_val)
        ),
        (Workload::RwRegister, _) => format!(
            "{a} read {k} = {}, and {b} wrote {k} = {}, a later version ({}), so {a} must come \
             before {b} (rw)",
            version(txns, r.from_val),
            version(txns, r.to_val),
            register_order(txns, r)
        ),
        _ => format!("{a} -{}-> {b}", kind_name(step.kind)),
    }
}

/// The full explanation of a cycle.
pub fn explain_cycle(txns: &Txns, workload: Workload, reasons: &[Reason], cycle: &Cycle) -> String {
    let mut out = format!(
        "{} cycle of {} transactions{}:\n",
        cycle.kind.name(),
        cycle.steps.len(),
        if cycle.shortest {
            ""
        } else {
            " (the search budget ran out before it proved no shorter one exists)"
        }
    );
    for s in &cycle.steps {
        out.push_str(&format!("  {}\n", txns.describe(s.from)));
    }
    out.push_str("Then:\n");
    for s in &cycle.steps {
        out.push_str(&format!(
            "  - {}.\n",
            edge_sentence(txns, workload, reasons, s)
        ));
    }
    let mut order: Vec<String> = cycle.steps.iter().map(|s| txns.name(s.from)).collect();
    order.push(txns.name(cycle.steps[0].from));
    out.push_str(&format!(
        "So {} — {} would have to come before itself: a contradiction.",
        order.join(" < "),
        order[0]
    ));
    out
}

/// The explanation of a non-cycle anomaly: its own words, then each transaction involved.
pub fn explain_direct(txns: &Txns, words: &str, involved: &[u32]) -> String {
    let mut out = words.to_string();
    for &t in involved {
        out.push_str(&format!("\n  {}", txns.describe(t)));
    }
    out
}

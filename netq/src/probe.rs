//! What a probe saw: each echoed sequence number and its round-trip time. Counts duplicates (a
//! number seen again) and reorders (a number below the highest already seen), sans-IO so the
//! probe binary and tests share it.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// Tally of one probe run.
#[derive(Default)]
pub struct ProbeTally {
    sent: u64,
    seen: BTreeSet<u64>,
    highest: Option<u64>,
    duplicates: u64,
    reordered: u64,
    rtts_ns: Vec<u64>,
}

/// The probe's answer (printed as one JSON line).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProbeReport {
    pub sent: u64,
    /// Distinct sequence numbers that came back.
    pub received: u64,
    pub duplicates: u64,
    pub reordered: u64,
    pub rtt_ms_p50: f64,
    pub rtt_ms_p99: f64,
    pub rtt_ms_max: f64,
}

impl ProbeTally {
    pub fn sent(&mut self) {
        self.sent += 1;
    }

    /// Echo of `seq` came back after `rtt_ns`.
    pub fn received(&mut self, seq: u64, rtt_ns: u64) {
        if !self.seen.insert(seq) {
            self.duplicates += 1;
            return;
        }
        if self.highest.is_some_and(|h| seq < h) {
            self.reordered += 1;
        }
        self.highest = self.highest.max(Some(seq));
        self.rtts_ns.push(rtt_ns);
    }

    pub fn report(&self) -> ProbeReport {
        let mut rtts = self.rtts_ns.clone();
        rtts.sort_unstable();
        let pick = |q: f64| {
            if rtts.is_empty() {
                return f64::NAN;
            }
            let i = ((rtts.len() - 1) as f64 * q).round() as usize;
            rtts[i] as f64 / 1e6
        };
        ProbeReport {
            sent: self.sent,
            received: self.seen.len() as u64,
            duplicates: self.duplicates,
            reordered: self.reordered,
            rtt_ms_p50: pick(0.5),
            rtt_ms_p99: pick(0.99),
            rtt_ms_max: pick(1.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_duplicates_reorders_and_quantiles() {
        let mut t = ProbeTally::default();
        for _ in 0..5 {
            t.sent();
        }
        t.received(0, 1_000_000);
        t.received(2, 3_000_000);
        t.received(1, 2_000_000);
        t.received(2, 9_000_000);
        t.received(4, 5_000_000);
        let r = t.report();
        assert_eq!(
            (r.sent, r.received, r.duplicates, r.reordered),
            (5, 4, 1, 1)
        );
        assert_eq!((r.rtt_ms_p50, r.rtt_ms_max), (3.0, 5.0));
    }
}

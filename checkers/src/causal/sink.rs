//! Where rules put anomalies: every one is counted, but only the first [`MAX_PER_KIND`] of each
//! kind keep their explanation, so a badly broken 1M-operation history gives a readable report.

use std::collections::BTreeMap;

use crate::Anomaly;

/// Explained anomalies kept per kind.
pub const MAX_PER_KIND: usize = 1000;

#[derive(Debug, Default)]
pub struct Sink {
    pub kept: Vec<Anomaly>,
    pub counts: BTreeMap<String, usize>,
}

impl Sink {
    /// Counts an anomaly of `kind`; builds it (with `make`) only if it will be kept.
    pub fn add(&mut self, kind: &str, make: impl FnOnce() -> Anomaly) {
        let count = self.counts.entry(kind.to_string()).or_default();
        *count += 1;
        if *count <= MAX_PER_KIND {
            self.kept.push(make());
        }
    }

    /// How many anomalies were counted but not kept.
    pub fn dropped(&self) -> usize {
        self.counts
            .values()
            .map(|c| c.saturating_sub(MAX_PER_KIND))
            .sum()
    }
}

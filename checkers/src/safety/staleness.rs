//! Stale-read measurement ("replication lag" as clients see it): for every `ok` read of a
//! register, how many acknowledged writes it missed and for how long. A write is missed when it
//! supersedes the value the read returned (see [`super::register`]: invoked after that value's
//! write ended, acknowledged before the read began). The lag in milliseconds runs from the
//! acknowledgement of the first missed write to the read's invocation: how long the value the
//! read returned had certainly been out of date.
//!
//! The result is a distribution, not a verdict: the report is valid unless a read returned a
//! value nobody wrote (`unexpected-value`), or limits are given in `--initial`
//! (`{"max_versions_behind": 0, "max_ms_behind": 100}`, optional `"initial"` register value)
//! and a read exceeds them (`stale-read`). `max_versions_behind: 0` asks for no stale read at
//! all, what linearizable and sequentially consistent reads from one client's view promise.
//!
//! Figures per node (`by-node`: reads, stale reads, lag quantiles) show which replicas lag.
//!
//! Cost: O((reads + writes) log writes) per key, with a Fenwick tree over write invocations.

use std::collections::BTreeMap;

use serde_json::json;

use super::detail::key_value;
use super::distribution::{number, quantiles};
use super::ops::{expect_initial_object, flatten_per_key, initial_field, initial_number};
use super::register::{Register, Source};
use super::{ms, push_capped};
use crate::checker::{Checker, Family, Tunable};
use crate::options::{CheckError, CheckOptions};
use crate::verdict::{AnomalyDetail, StaleRead};
use crate::{Anomaly, CheckReport, History, Value};

/// How far behind one read was.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lag {
    pub versions: u64,
    pub nanos: u64,
}

/// Runs the staleness checker.
pub fn check(history: &History, options: &CheckOptions) -> Result<CheckReport, CheckError> {
    expect_initial_object(
        options,
        &["max_versions_behind", "max_ms_behind", "initial"],
    )?;
    let max_versions = initial_number(options, "max_versions_behind")?;
    let max_ms = initial_number(options, "max_ms_behind")?;
    let initial = initial_field(options, "initial")
        .cloned()
        .unwrap_or(Value::Null);
    let mut report = CheckReport::new("staleness");
    let groups = flatten_per_key(history, options, &["read", "write", "cas"])?;
    let mut versions = Vec::new();
    let mut lags_all = Vec::new();
    let mut lags_stale = Vec::new();
    let mut worst: Vec<(u64, Value)> = Vec::new();
    // node -> (reads, lags of its stale reads in ms): followers' lag shows here.
    let mut by_node: BTreeMap<&str, (usize, Vec<f64>)> = BTreeMap::new();
    for group in &groups {
        let reg = Register::new(group, &initial)?;
        for (r, lag) in lags(&reg) {
            let read = reg.op(r);
            let Some(lag) = lag else {
                push_capped(
                    &mut report,
                    Anomaly {
                        kind: "unexpected-value".into(),
                        ops: read.indices(),
                        explanation: format!(
                            "the read{} at {} returned {}, which no write wrote and is not the \
                             initial value {initial}",
                            group.on_key(),
                            read.events(),
                            read.value
                        ),
                        detail: Some(AnomalyDetail::Stale(StaleRead {
                            key: key_value(group.key),
                            value: Some(read.value.clone()),
                            versions_behind: None,
                            ms_behind: None,
                        })),
                    },
                );
                continue;
            };
            versions.push(lag.versions as f64);
            lags_all.push(ms(lag.nanos));
            let node = by_node.entry(read.node.unwrap_or("?")).or_default();
            node.0 += 1;
            if lag.versions == 0 {
                continue;
            }
            node.1.push(ms(lag.nanos));
            lags_stale.push(ms(lag.nanos));
            worst.push((
                lag.nanos,
                json!({"key": group.key, "read": read.indices(), "value": read.value,
                       "versions-behind": lag.versions, "ms-behind": number(ms(lag.nanos))}),
            ));
            let over_versions = max_versions.is_some_and(|m| lag.versions as f64 > m);
            let over_ms = max_ms.is_some_and(|m| ms(lag.nanos) > m);
            if over_versions || over_ms {
                push_capped(
                    &mut report,
                    Anomaly {
                        kind: "stale-read".into(),
                        ops: read.indices(),
                        explanation: format!(
                            "the read{} at {} returned {}, {} acknowledged write(s) and {:.1} ms \
                             behind, beyond the allowed limit",
                            group.on_key(),
                            read.events(),
                            read.value,
                            lag.versions,
                            ms(lag.nanos)
                        ),
                        detail: Some(AnomalyDetail::Stale(StaleRead {
                            key: key_value(group.key),
                            value: None,
                            versions_behind: Some(lag.versions),
                            ms_behind: Some(number(ms(lag.nanos))),
                        })),
                    },
                );
            }
        }
    }
    report.stat("keys", groups.len());
    report.stat("read-count", versions.len());
    report.stat("stale-read-count", lags_stale.len());
    for (name, samples) in [
        ("versions-behind", &mut versions),
        ("ms-behind", &mut lags_all),
        ("stale-ms-behind", &mut lags_stale),
    ] {
        if let Some(q) = quantiles(samples) {
            report.stat(name, q);
        }
    }
    if by_node.keys().any(|n| *n != "?") {
        let nodes: serde_json::Map<String, Value> = by_node
            .into_iter()
            .map(|(node, (reads, mut stale))| {
                let q = quantiles(&mut stale).unwrap_or(Value::Null);
                let v = json!({"reads": reads, "stale-reads": stale.len(), "stale-ms-behind": q});
                (node.to_string(), v)
            })
            .collect();
        report.stat("by-node", Value::Object(nodes));
    }
    if !worst.is_empty() {
        worst.sort_by_key(|w| std::cmp::Reverse(w.0));
        let top: Vec<Value> = worst.into_iter().take(8).map(|(_, v)| v).collect();
        report.stat("worst", top);
    }
    Ok(report)
}

/// The lag of every `ok` read of the register, in read order; `None` for a read of a value no
/// write wrote.
pub fn lags(reg: &Register) -> Vec<(usize, Option<Lag>)> {
    // Acknowledged writes, ranked by invocation; a Fenwick tree over reversed ranks answers
    // "how many, and the earliest acknowledgement, among those invoked after position p".
    let mut acked: Vec<usize> = reg
        .writes
        .iter()
        .map(|w| w.op)
        .filter(|&i| reg.op(i).is_ok())
        .collect();
    acked.sort_by_key(|&i| reg.op(i).invoke);
    let invokes: Vec<usize> = acked.iter().map(|&i| reg.op(i).invoke).collect();
    let n = acked.len();
    let mut by_completion: Vec<usize> = (0..n).collect();
    by_completion.sort_by_key(|&r| reg.op(acked[r]).complete);
    let mut reads = reg.reads.clone();
    reads.sort_by_key(|&r| reg.op(r).invoke);
    let mut tree = Fenwick::new(n);
    let mut next = 0;
    let mut out = Vec::with_capacity(reads.len());
    for r in reads {
        let read = reg.op(r);
        while next < n {
            let rank = by_completion[next];
            let w = reg.op(acked[rank]);
            if w.complete.is_some_and(|c| c < read.invoke) {
                tree.add(n - 1 - rank, w.complete_time.unwrap_or(w.invoke_time));
                next += 1;
            } else {
                break;
            }
        }
        let first_rank = match reg.source(read.value) {
            Source::Unwritten => {
                out.push((r, None));
                continue;
            }
            Source::Initial => 0,
            Source::Write { end: usize::MAX } => n,
            Source::Write { end } => invokes.partition_point(|&p| p <= end),
        };
        let lag = if first_rank >= n {
            Lag {
                versions: 0,
                nanos: 0,
            }
        } else {
            let (count, earliest) = tree.prefix(n - 1 - first_rank);
            Lag {
                versions: count,
                nanos: if count == 0 {
                    0
                } else {
                    read.invoke_time.saturating_sub(earliest)
                },
            }
        };
        out.push((r, Some(lag)));
    }
    out
}

/// Prefix counts and prefix minima over insert-only points.
struct Fenwick {
    count: Vec<u64>,
    min: Vec<u64>,
}

impl Fenwick {
    fn new(n: usize) -> Self {
        Fenwick {
            count: vec![0; n + 1],
            min: vec![u64::MAX; n + 1],
        }
    }

    fn add(&mut self, i: usize, time: u64) {
        let mut i = i + 1;
        while i < self.count.len() {
            self.count[i] += 1;
            self.min[i] = self.min[i].min(time);
            i += i & i.wrapping_neg();
        }
    }

    /// Count and minimum time over positions `0..=i`.
    fn prefix(&self, i: usize) -> (u64, u64) {
        let (mut c, mut m) = (0, u64::MAX);
        let mut i = i + 1;
        while i > 0 {
            c += self.count[i];
            m = m.min(self.min[i]);
            i -= i & i.wrapping_neg();
        }
        (c, m)
    }
}

/// `--model staleness` as a registered checker.
pub struct Staleness;

impl Checker for Staleness {
    fn name(&self) -> &'static str {
        "staleness"
    }

    fn family(&self) -> Family {
        Family::DataSafety
    }

    fn about(&self) -> &'static str {
        "registers/kv: versions and milliseconds each read lags (replication lag)"
    }

    fn judges(&self) -> &'static [&'static str] {
        &["read", "write", "cas"]
    }

    fn options(&self) -> &'static [Tunable] {
        &[Tunable::Initial, Tunable::Independent]
    }

    fn check(&self, history: &History, options: &CheckOptions) -> Result<CheckReport, CheckError> {
        check(history, options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::safety::ops::KeyOps;
    use crate::safety::testkit::Builder;
    use crate::Validity;

    fn run(b: &Builder, initial: Option<Value>) -> CheckReport {
        b.check_with(check, initial)
    }

    #[test]
    fn fresh_reads_have_no_lag() {
        let mut b = Builder::new();
        b.done(0, "write", json!(1), json!(1))
            .done(1, "read", Value::Null, json!(1));
        let r = run(&b, Some(json!({"max_versions_behind": 0})));
        assert_eq!(r.valid, Validity::Valid, "{r:?}");
        assert_eq!(r.stats["stale-read-count"], json!(0));
    }

    #[test]
    fn counts_missed_versions_and_time_since_the_first_was_acknowledged() {
        let mut b = Builder::new();
        b.done(0, "write", json!(1), json!(1)) // 0-1
            .done(0, "write", json!(2), json!(2)) // 2-3, acked at 3 ms
            .done(0, "write", json!(3), json!(3)) // 4-5
            .done(1, "read", Value::Null, json!(1)); // invoked at 6 ms
        let r = run(&b, None);
        assert_eq!(r.valid, Validity::Valid);
        assert_eq!(r.stats["versions-behind"]["1"], json!(2));
        assert_eq!(r.stats["stale-ms-behind"]["1"], json!(3));
        assert!(r.stats.get("by-node").is_none(), "no node recorded");
        let r = run(&b, Some(json!({"max_ms_behind": 2.5})));
        assert_eq!(r.anomaly_types(), vec!["stale-read"]);
        assert_eq!(r.anomalies[0].ops, vec![6, 7]);
    }

    #[test]
    fn lag_is_broken_down_per_node() {
        let mut b = Builder::new();
        b.done(0, "write", json!(1), json!(1))
            .done(0, "write", json!(2), json!(2))
            .invoke(1, "read", Value::Null)
            .on("n1")
            .ok(1, "read", json!(2))
            .on("n1")
            .invoke(2, "read", Value::Null)
            .on("n2")
            .ok(2, "read", json!(1))
            .on("n2");
        let r = run(&b, None);
        let nodes = &r.stats["by-node"];
        assert_eq!(nodes["n1"]["stale-reads"], json!(0));
        assert_eq!(nodes["n2"]["stale-reads"], json!(1));
        assert_eq!(nodes["n2"]["stale-ms-behind"]["1"], json!(3));
    }

    #[test]
    fn initial_value_reads_miss_every_acknowledged_write() {
        let mut b = Builder::new();
        b.done(0, "write", json!(1), json!(1))
            .done(1, "read", Value::Null, json!(0));
        let r = run(&b, Some(json!({"initial": 0, "max_versions_behind": 0})));
        assert_eq!(r.anomaly_types(), vec!["stale-read"]);
        let r = run(&b, None);
        assert_eq!(r.anomaly_types(), vec!["unexpected-value"]);
    }

    /// The Fenwick sweep agrees with the direct definition on random histories.
    #[test]
    fn sweep_matches_the_definition() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for _ in 0..200 {
            let mut b = Builder::new();
            let mut open: Vec<Option<(&str, Value)>> = vec![None; 3];
            let mut next_value = 1;
            for _ in 0..30 {
                let p = rng.random_range(0..3usize);
                match open[p].take() {
                    Some((f, v)) => {
                        let out = if f == "read" {
                            json!(rng.random_range(0..next_value))
                        } else {
                            v
                        };
                        if rng.random_bool(0.8) {
                            b.ok(p as u64, f, out);
                        } else {
                            b.info(p as u64, f, out);
                            open[p] = None;
                        }
                    }
                    None if rng.random_bool(0.5) => {
                        b.invoke(p as u64, "write", json!(next_value));
                        open[p] = Some(("write", json!(next_value)));
                        next_value += 1;
                    }
                    None => {
                        b.invoke(p as u64, "read", Value::Null);
                        open[p] = Some(("read", Value::Null));
                    }
                }
            }
            let h = b.build();
            let groups = flatten_per_key(&h, &CheckOptions::default(), &["read", "write"]).unwrap();
            let Some(group): Option<&KeyOps> = groups.first() else {
                continue;
            };
            let reg = Register::new(group, &json!(0)).unwrap();
            for (r, lag) in lags(&reg) {
                let read = reg.op(r);
                let expected = reg.superseding(read);
                let lag = lag.expect("values 0.. are all written or initial");
                assert_eq!(lag.versions as usize, expected.len());
                let earliest = expected
                    .iter()
                    .filter_map(|w| reg.op(w.op).complete_time)
                    .min();
                let nanos = earliest.map_or(0, |e| read.invoke_time - e);
                assert_eq!(lag.nanos, nanos);
            }
        }
    }
}

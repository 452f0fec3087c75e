//! Jepsen's `set-full` analysis of a grow-only set: `add` operations add one element, `read`
//! operations return every element present. For each element it builds the timeline
//! `absent … known … present … (absent …)` and classifies it:
//!
//! - **known**: the element's add completed `ok`, or a read completed that returned it —
//!   whichever came first.
//! - **stable**: some read returned it, and every read invoked after the last read that missed
//!   it returned it. **Stale** if that last missing read began after the element was known:
//!   the store acknowledged it, then a read still did not show it (with how long until it was
//!   visible: the *stable latency*).
//! - **lost**: known, and the last read missing it began after the element was known and after
//!   every read that returned it — acknowledged (or seen), then gone for good.
//! - **never read**: neither; no read began after it was known (includes failed and
//!   indeterminate adds nobody ever saw).
//!
//! Only reads that complete after the add's invocation say anything about the element, so a read
//! that finished before the add began is not counted as missing it.
//!
//! Differences from Jepsen's checker, all stricter or more exact: staleness is decided on event
//! order rather than on whole milliseconds; an element a read returns twice (`duplicated`) and
//! an element no add ever attempted (`unexpected`) are anomalies.
//!
//! Options (`--initial` JSON object): `{"linearizable": true}` makes stale elements anomalies.
//! Operations carrying a `key` (or `[key value]` tuples with independent tuples on) are checked
//! per key.

use serde_json::json;

use super::detail::{element, element_detail};
use super::distribution::{number, quantiles};
use super::ops::{
    canonical, expect_initial_object, flatten_per_key, initial_bool, FlatOp, KeyOps, ValueKey,
    ValueMap,
};
use super::{ms, push_capped};
use crate::checker::{Checker, Family, Tunable};
use crate::options::{CheckError, CheckOptions};
use crate::verdict::{AnomalyDetail, ElementDetail};
use crate::{Anomaly, CheckReport, History, Value};

/// What became of one element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Stable,
    Lost,
    NeverRead,
}

/// The timeline of one element, in positions of the history.
#[derive(Clone, Debug)]
struct Element {
    value: Value,
    /// Index (into the key's ops) of the element's first add.
    add: usize,
    /// Position of the earlier of the add's `ok` completion and the first read returning it.
    known: Option<(usize, u64)>,
    /// Index of the read with the latest invocation that returned it.
    last_present: Option<usize>,
    /// Index of the read with the latest invocation that missed it.
    last_absent: Option<usize>,
}

/// Totals over every key, for the report.
#[derive(Default)]
struct Totals {
    attempts: usize,
    stable: usize,
    lost: Vec<Value>,
    never_read: Vec<Value>,
    stale: Vec<Value>,
    stable_latencies: Vec<f64>,
    lost_latencies: Vec<f64>,
    worst_stale: Vec<(f64, Value, Option<Value>)>,
    keys_without_stable: Vec<String>,
}

/// Runs the set-full checker.
pub fn check(history: &History, options: &CheckOptions) -> Result<CheckReport, CheckError> {
    expect_initial_object(options, &["linearizable"])?;
    let linearizable = initial_bool(options, "linearizable", false)?;
    let mut report = CheckReport::new(if linearizable {
        "set-full(linearizable)"
    } else {
        "set-full"
    });
    let groups = flatten_per_key(history, options, &["add", "read"])?;
    let mut totals = Totals::default();
    for group in &groups {
        check_key(group, linearizable, &mut report, &mut totals)?;
    }
    report.stat("keys", groups.len());
    report.stat("attempt-count", totals.attempts);
    report.stat("stable-count", totals.stable);
    report.stat("lost-count", totals.lost.len());
    report.stat("never-read-count", totals.never_read.len());
    report.stat("stale-count", totals.stale.len());
    for (name, list) in [
        ("lost", &totals.lost),
        ("never-read", &totals.never_read),
        ("stale", &totals.stale),
    ] {
        if !list.is_empty() {
            let shown: Vec<Value> = list.iter().take(super::MAX_LISTED).cloned().collect();
            report.stat(name, shown);
        }
    }
    if let Some(q) = quantiles(&mut totals.stable_latencies) {
        report.stat("stable-latencies-ms", q);
    }
    if let Some(q) = quantiles(&mut totals.lost_latencies) {
        report.stat("lost-latencies-ms", q);
    }
    if !totals.worst_stale.is_empty() {
        totals.worst_stale.sort_by(|a, b| b.0.total_cmp(&a.0));
        let worst: Vec<Value> = totals
            .worst_stale
            .iter()
            .take(8)
            .map(|(lat, el, key)| json!({"element": el, "key": key, "stable-latency-ms": number(*lat)}))
            .collect();
        report.stat("worst-stale", worst);
    }
    if !totals.keys_without_stable.is_empty() {
        report.set_unknown(format!(
            "no element was ever read back as stable{}: the set was never read after its adds, \
             or every add failed",
            if totals.keys_without_stable == [String::new()] {
                String::new()
            } else {
                format!(" on key(s) {}", totals.keys_without_stable.join(", "))
            }
        ));
    }
    Ok(report)
}

fn check_key(
    group: &KeyOps,
    linearizable: bool,
    report: &mut CheckReport,
    totals: &mut Totals,
) -> Result<(), CheckError> {
    let ops = &group.ops;
    // Elements in order of their first add's invocation.
    let mut elements: Vec<Element> = Vec::new();
    let mut ids: ValueMap<usize> = ValueMap::default();
    for (i, op) in ops.iter().enumerate() {
        if op.f != "add" {
            continue;
        }
        let id = *ids.entry(ValueKey::of(op.invoke_value)).or_insert_with(|| {
            elements.push(Element {
                value: op.invoke_value.clone(),
                add: i,
                known: None,
                last_present: None,
                last_absent: None,
            });
            elements.len() - 1
        });
        if let (true, Some(c), Some(t)) = (op.is_ok(), op.complete, op.complete_time) {
            let e = &mut elements[id];
            if e.known.is_none_or(|(p, _)| c < p) {
                e.known = Some((c, t));
            }
        }
    }
    let add_invokes: Vec<usize> = elements.iter().map(|e| ops[e.add].invoke).collect();
    // Per element: (position, time) it became known, usize::MAX if not yet; and (invocation
    // position + 1, read) of the latest read returning / missing it, 0 if none.
    let mut known: Vec<(usize, u64)> = elements
        .iter()
        .map(|e| e.known.unwrap_or((usize::MAX, 0)))
        .collect();
    let mut present = vec![(0usize, 0usize); elements.len()];
    let mut absent = vec![(0usize, 0usize); elements.len()];
    let mut seen_in_read = vec![usize::MAX; elements.len()];
    let mut count_in_read = vec![0u32; elements.len()];
    for (ri, read) in ops.iter().enumerate() {
        if read.f != "read" || !read.is_ok() {
            continue;
        }
        let complete = read.complete.expect("an ok operation has a completion");
        let Value::Array(items) = &read.value else {
            return Err(CheckError::BadOperation {
                index: read.complete_index.unwrap_or(read.invoke_index),
                message: format!(
                    "a set read must return an array of elements, found {}",
                    read.value
                ),
            });
        };
        let mut duplicated: Vec<usize> = Vec::new();
        for item in items {
            match ids.get(&ValueKey::of(item)) {
                Some(&id) => {
                    if seen_in_read[id] == ri {
                        count_in_read[id] += 1;
                        if count_in_read[id] == 2 {
                            duplicated.push(id);
                        }
                    } else {
                        seen_in_read[id] = ri;
                        count_in_read[id] = 1;
                    }
                }
                None => push_capped(
                    report,
                    Anomaly {
                        kind: "unexpected".into(),
                        ops: read.indices(),
                        explanation: format!(
                            "the read{} at {} returned {item}, which no add ever attempted",
                            group.on_key(),
                            read.events()
                        ),
                        detail: Some(element(group.key, item.clone())),
                    },
                ),
            }
        }
        for id in duplicated {
            push_capped(
                report,
                Anomaly {
                    kind: "duplicated".into(),
                    ops: read.indices(),
                    explanation: format!(
                        "the read{} at {} returned element {} {} times; a set holds each \
                         element once",
                        group.on_key(),
                        read.events(),
                        elements[id].value,
                        count_in_read[id]
                    ),
                    detail: Some(AnomalyDetail::Element(ElementDetail {
                        count: Some(count_in_read[id] as u64),
                        ..element_detail(group.key, elements[id].value.clone())
                    })),
                },
            );
        }
        // Only elements whose add began before this read ended are judged by it. This loop is
        // the checker's cost (reads × elements), so it works on compact arrays.
        let tracked = add_invokes.partition_point(|&p| p < complete);
        let complete_time = read.complete_time.unwrap_or(read.invoke_time);
        for id in 0..tracked {
            if seen_in_read[id] == ri {
                if complete < known[id].0 {
                    known[id] = (complete, complete_time);
                }
                if present[id].0 <= read.invoke {
                    present[id] = (read.invoke + 1, ri);
                }
            } else if absent[id].0 <= read.invoke {
                absent[id] = (read.invoke + 1, ri);
            }
        }
    }
    for (id, e) in elements.iter_mut().enumerate() {
        e.known = (known[id].0 != usize::MAX).then_some(known[id]);
        e.last_present = (present[id].0 > 0).then_some(present[id].1);
        e.last_absent = (absent[id].0 > 0).then_some(absent[id].1);
    }
    let mut stable_here = 0;
    for e in &elements {
        totals.attempts += 1;
        let (outcome, stale) = classify(e, ops);
        match outcome {
            Outcome::Stable => {
                stable_here += 1;
                totals.stable += 1;
                let (_, known_time) = e.known.expect("a stable element is known");
                let latency = match e.last_absent {
                    Some(a) => ms(ops[a].invoke_time.saturating_sub(known_time)),
                    None => 0.0,
                };
                totals.stable_latencies.push(latency);
                if stale {
                    totals.stale.push(e.value.clone());
                    totals
                        .worst_stale
                        .push((latency, e.value.clone(), group.key.cloned()));
                    if linearizable {
                        report_stale(report, group, e, latency);
                    }
                }
            }
            Outcome::Lost => {
                let (_, known_time) = e.known.expect("a lost element is known");
                let latency = match e.last_present {
                    Some(p) => ms(ops[p].invoke_time.saturating_sub(known_time)),
                    None => 0.0,
                };
                totals.lost_latencies.push(latency);
                totals.lost.push(e.value.clone());
                report_lost(report, group, e);
            }
            Outcome::NeverRead => totals.never_read.push(e.value.clone()),
        }
    }
    if !elements.is_empty() && stable_here == 0 {
        totals
            .keys_without_stable
            .push(group.key.map(canonical).unwrap_or_default());
    }
    Ok(())
}

/// The element's outcome, and whether (if stable) it was stale.
fn classify(e: &Element, ops: &[FlatOp]) -> (Outcome, bool) {
    let inv = |slot: Option<usize>| slot.map(|i| ops[i].invoke);
    let (present, absent) = (inv(e.last_present), inv(e.last_absent));
    let stable = present.is_some() && absent.is_none_or(|a| Some(a) < present);
    if stable {
        let known = e.known.map(|(p, _)| p);
        let stale = matches!((absent, known), (Some(a), Some(k)) if a > k);
        return (Outcome::Stable, stale);
    }
    let lost = match (e.known, absent) {
        (Some((k, _)), Some(a)) => present.is_none_or(|p| p < a) && k < a,
        _ => false,
    };
    if lost {
        (Outcome::Lost, false)
    } else {
        (Outcome::NeverRead, false)
    }
}

fn report_lost(report: &mut CheckReport, group: &KeyOps, e: &Element) {
    let ops = &group.ops;
    let add = &ops[e.add];
    let absent = &ops[e.last_absent.expect("lost has a missing read")];
    let mut involved = add.indices();
    let how_known = match e.last_present {
        Some(p) => {
            involved.extend(ops[p].indices());
            format!(
                "the read at {} returned it; the read at {}, which began after that",
                ops[p].events(),
                absent.events()
            )
        }
        None => format!(
            "no read ever returned it; the read at {}, which began after the add was acknowledged",
            absent.events()
        ),
    };
    involved.extend(absent.indices());
    push_capped(
        report,
        Anomaly {
            kind: "lost".into(),
            ops: involved,
            explanation: format!(
                "element {}{} was added by {}; {}, misses it, and no later read returns it",
                e.value,
                group.on_key(),
                add.describe(),
                how_known
            ),
            detail: Some(element(group.key, e.value.clone())),
        },
    );
}

fn report_stale(report: &mut CheckReport, group: &KeyOps, e: &Element, latency_ms: f64) {
    let ops = &group.ops;
    let add = &ops[e.add];
    let absent = &ops[e.last_absent.expect("stale has a missing read")];
    let mut involved = add.indices();
    involved.extend(absent.indices());
    push_capped(
        report,
        Anomaly {
            kind: "stale".into(),
            ops: involved,
            explanation: format!(
                "element {}{} was added by {}, yet the read at {}, which began after the add was \
                 known to have happened, misses it; it became visible to every read only \
                 {latency_ms:.1} ms after being known (a linearizable set shows it at once)",
                e.value,
                group.on_key(),
                add.describe(),
                absent.events()
            ),
            detail: Some(AnomalyDetail::Element(ElementDetail {
                stable_latency_ms: Some(number(latency_ms)),
                ..element_detail(group.key, e.value.clone())
            })),
        },
    );
}

/// `--model set-full` as a registered checker.
pub struct SetFull;

impl Checker for SetFull {
    fn name(&self) -> &'static str {
        "set-full"
    }

    fn family(&self) -> Family {
        Family::DataSafety
    }

    fn about(&self) -> &'static str {
        "grow-only set: per element lost, stale (and how long until visible), never read"
    }

    fn judges(&self) -> &'static [&'static str] {
        &["add", "read"]
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
    use crate::safety::testkit::Builder;
    use crate::{OpType, Validity};

    fn run(b: &Builder, initial: Option<Value>) -> CheckReport {
        b.check_with(check, initial)
    }

    #[test]
    fn elements_read_after_their_add_are_stable() {
        let mut b = Builder::new();
        b.done(0, "add", json!(1), json!(1))
            .done(0, "add", json!(2), json!(2))
            .done(1, "read", Value::Null, json!([1, 2]));
        let r = run(&b, None);
        assert_eq!(r.valid, Validity::Valid, "{r:?}");
        assert_eq!(r.stats["stable-count"], json!(2));
        assert_eq!(r.stats["stale-count"], json!(0));
    }

    #[test]
    fn acknowledged_then_missing_for_good_is_lost() {
        let mut b = Builder::new();
        b.done(0, "add", json!(1), json!(1))
            .done(0, "add", json!(2), json!(2))
            .done(1, "read", Value::Null, json!([1, 2]))
            .done(1, "read", Value::Null, json!([1]));
        let r = run(&b, None);
        assert_eq!(r.anomaly_types(), vec!["lost"]);
        assert_eq!(r.stats["lost"], json!([2]));
        assert_eq!(r.anomalies[0].ops, vec![2, 3, 4, 5, 6, 7]);
    }

    #[test]
    fn acknowledged_but_never_seen_is_lost_too() {
        let mut b = Builder::new();
        b.done(0, "add", json!(1), json!(1))
            .done(0, "add", json!(2), json!(2))
            .done(1, "read", Value::Null, json!([1]));
        let r = run(&b, None);
        assert_eq!(r.stats["lost"], json!([2]));
        assert_eq!(r.stats["lost-latencies-ms"]["0"], json!(0));
    }

    #[test]
    fn missing_then_present_is_stale_and_only_linearizable_sets_reject_it() {
        let mut b = Builder::new();
        b.done(0, "add", json!(1), json!(1)) // known at 1 ms
            .done(1, "read", Value::Null, json!([])) // invoked at 2 ms
            .done(1, "read", Value::Null, json!([1]));
        let r = run(&b, None);
        assert_eq!(r.valid, Validity::Valid, "{r:?}");
        assert_eq!(r.stats["stale"], json!([1]));
        assert_eq!(r.stats["worst-stale"][0]["stable-latency-ms"], json!(1));
        let r = run(&b, Some(json!({"linearizable": true})));
        assert_eq!(r.anomaly_types(), vec!["stale"]);
    }

    #[test]
    fn a_concurrent_read_missing_the_element_is_not_stale() {
        let mut b = Builder::new();
        b.invoke(0, "add", json!(1))
            .done(1, "read", Value::Null, json!([]))
            .ok(0, "add", json!(1))
            .done(1, "read", Value::Null, json!([1]));
        let r = run(&b, Some(json!({"linearizable": true})));
        assert_eq!(r.valid, Validity::Valid, "{r:?}");
    }

    #[test]
    fn unacknowledged_unseen_elements_are_never_read() {
        let mut b = Builder::new();
        b.done(0, "add", json!(1), json!(1))
            .invoke(2, "add", json!(2))
            .info(2, "add", json!(2))
            .invoke(3, "add", json!(3))
            .fail(3, "add", json!(3))
            .done(1, "read", Value::Null, json!([1]));
        let r = run(&b, None);
        assert_eq!(r.valid, Validity::Valid, "{r:?}");
        assert_eq!(r.stats["never-read"], json!([2, 3]));
    }

    #[test]
    fn duplicates_and_unattempted_elements_are_anomalies() {
        let mut b = Builder::new();
        b.done(0, "add", json!(1), json!(1))
            .done(1, "read", Value::Null, json!([1, 1, 7]));
        let r = run(&b, None);
        assert_eq!(r.anomaly_types(), vec!["duplicated", "unexpected"]);
    }

    #[test]
    fn never_read_set_is_unknown_and_keys_are_separate() {
        let mut b = Builder::new();
        b.done(0, "add", json!(1), json!(1));
        assert_eq!(run(&b, None).valid, Validity::Unknown);
        let mut b = Builder::new();
        for (k, v) in [("a", 1), ("b", 1)] {
            b.keyed(0, OpType::Invoke, "add", json!(k), json!(v)).keyed(
                0,
                OpType::Ok,
                "add",
                json!(k),
                json!(v),
            );
        }
        b.keyed(1, OpType::Invoke, "read", json!("a"), Value::Null)
            .keyed(1, OpType::Ok, "read", json!("a"), json!([1]))
            .keyed(1, OpType::Invoke, "read", json!("b"), Value::Null)
            .keyed(1, OpType::Ok, "read", json!("b"), json!([]));
        let r = run(&b, None);
        assert_eq!(r.anomaly_types(), vec!["lost"]);
        assert_eq!(r.anomalies[0].detail_json()["key"], json!("b"));
    }

    /// The definition, element by element and read by read, without the sweep's compact
    /// arrays: outcome lists must agree on random histories.
    #[test]
    fn sweep_matches_the_definition_on_random_histories() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let mut seen = [0usize; 3];
        for _ in 0..300 {
            let mut b = Builder::new();
            let mut open: Vec<Option<(&str, i64)>> = vec![None; 3];
            let mut next = 0i64;
            for _ in 0..24 {
                let p = rng.random_range(0..3usize);
                match open[p].take() {
                    Some(("add", v)) => match rng.random_range(0..10) {
                        0 => b.fail(p as u64, "add", json!(v)),
                        1 => b.info(p as u64, "add", json!(v)),
                        _ => b.ok(p as u64, "add", json!(v)),
                    },
                    Some(_) => {
                        let seen: Vec<i64> = (0..next).filter(|_| rng.random_bool(0.7)).collect();
                        b.ok(p as u64, "read", json!(seen))
                    }
                    None if rng.random_bool(0.6) => {
                        open[p] = Some(("add", next));
                        next += 1;
                        b.invoke(p as u64, "add", json!(next - 1))
                    }
                    None => {
                        open[p] = Some(("read", 0));
                        b.invoke(p as u64, "read", Value::Null)
                    }
                };
            }
            let h = b.build();
            let r = check(&h, &CheckOptions::default()).unwrap();
            let list = |name: &str| r.stats.get(name).cloned().unwrap_or(json!([]));
            let (mut lost, mut stale, mut never) = (vec![], vec![], vec![]);
            let groups = flatten_per_key(&h, &CheckOptions::default(), &["add", "read"]).unwrap();
            let Some(g) = groups.first() else { continue };
            let reads: Vec<&FlatOp> = g
                .ops
                .iter()
                .filter(|o| o.f == "read" && o.is_ok())
                .collect();
            for add in g.ops.iter().filter(|o| o.f == "add") {
                let e = add.invoke_value;
                let eligible: Vec<&&FlatOp> = reads
                    .iter()
                    .filter(|r| r.complete.unwrap() > add.invoke)
                    .collect();
                let has = |r: &FlatOp| r.value.as_array().unwrap().contains(e);
                let mut known = add.is_ok().then(|| add.complete.unwrap());
                for r in eligible.iter().filter(|r| has(r)) {
                    known = Some(
                        known.map_or(r.complete.unwrap(), |k: usize| k.min(r.complete.unwrap())),
                    );
                }
                let present = eligible.iter().filter(|r| has(r)).map(|r| r.invoke).max();
                let absent = eligible.iter().filter(|r| !has(r)).map(|r| r.invoke).max();
                let stable = present.is_some() && absent.is_none_or(|a| Some(a) < present);
                let is_lost = !stable
                    && matches!((known, absent), (Some(k), Some(a)) if k < a)
                    && present.is_none_or(|p| Some(p) < absent);
                if stable && matches!((known, absent), (Some(k), Some(a)) if a > k) {
                    stale.push(e.clone());
                }
                if is_lost {
                    lost.push(e.clone());
                } else if !stable {
                    never.push(e.clone());
                }
            }
            assert_eq!(list("lost"), json!(lost), "{h:?}");
            assert_eq!(list("stale"), json!(stale), "{h:?}");
            assert_eq!(list("never-read"), json!(never), "{h:?}");
            seen[0] += lost.len();
            seen[1] += stale.len();
            seen[2] += never.len();
        }
        assert!(
            seen.iter().all(|&n| n > 20),
            "every outcome must occur: {seen:?}"
        );
    }
}

//! Reading `results.json` of schema 1 (and of the first release, which had no `schema` field).
//!
//! Schema 1 differs from 2 in three places, all rewritten here before the file is read as
//! [`ResultsFile`]:
//! - an anomaly's `detail` had no `kind`: it is named from its fields, the way the first report
//!   told them apart (`cycle` of objects: an Elle cycle; `cycle` of versions: a version-order
//!   cycle; `chain`: a causal chain; `op` and `prefix`: a linearizability counterexample) and
//!   anything else is kept as `other`;
//! - `check --report` kept the checked file's `events` and `warnings` under `stats`: they move
//!   to the checker's report;
//! - `checker_seconds` was keyed by model name (`cas-register`) in the checkers' order: it is
//!   keyed by each report's `checker` (`linearizable(cas-register)`).
//!
//! This is the only place that looks at a results file as untyped JSON.

use serde_json::{Map, Value};

use faultline_checkers::verdict::AnomalyDetail;

use super::{ResultsFile, SCHEMA_VERSION};

/// The `kind` a schema-1 detail would have had.
fn kind_of(d: &Map<String, Value>) -> &'static str {
    match (d.get("cycle"), d.get("chain"), d.get("op"), d.get("prefix")) {
        (Some(Value::Array(steps)), ..) if steps.iter().all(Value::is_object) => "cycle",
        (Some(Value::Array(_)), ..) => "version-cycle",
        (_, Some(Value::Array(_)), ..) => "causal-chain",
        (_, _, Some(op), Some(Value::Array(_))) if op.is_u64() => "counterexample",
        _ => "other",
    }
}

fn upgrade_detail(detail: &mut Value) {
    if let Value::Object(d) = detail {
        if !d.contains_key("kind") {
            let kind = kind_of(d);
            if kind == "version-cycle" {
                // Versions were written as the explanation shows them; keep them as text.
                if let Some(Value::Array(vs)) = d.get_mut("cycle") {
                    for v in vs.iter_mut().filter(|v| !v.is_string()) {
                        *v = Value::String(v.to_string());
                    }
                }
            }
            d.insert("kind".into(), Value::String(kind.into()));
            // Fields that look like a drawing but do not make one stay facts.
            if serde_json::from_value::<AnomalyDetail>(detail.clone()).is_err() {
                if let Value::Object(d) = detail {
                    d.insert("kind".into(), Value::String("other".into()));
                }
            }
        }
    }
}

/// Reads schema-1 text as the current [`ResultsFile`].
pub fn upgrade(text: &str) -> Result<ResultsFile, serde_json::Error> {
    let mut v: Value = serde_json::from_str(text)?;
    let stats = v.get_mut("stats").and_then(Value::as_object_mut);
    // A checked file's side channels, which had no place of their own.
    let (events, warnings) = match stats {
        Some(s) if !s.contains_key("client_ops") => (s.remove("events"), s.remove("warnings")),
        _ => (None, None),
    };
    if v.get("stats")
        .and_then(Value::as_object)
        .is_some_and(Map::is_empty)
    {
        v.as_object_mut().map(|o| o.remove("stats"));
    }
    let seconds: Vec<Value> = v
        .get("checker_seconds")
        .and_then(Value::as_object)
        .map(|m| m.values().cloned().collect())
        .unwrap_or_default();
    let mut rekeyed = Map::new();
    if let Some(checkers) = v.get_mut("checkers").and_then(Value::as_array_mut) {
        if seconds.len() == checkers.len() {
            for (c, s) in checkers.iter().zip(seconds) {
                if let Some(name) = c.get("checker").and_then(Value::as_str) {
                    rekeyed.insert(name.to_string(), s);
                }
            }
        }
        for c in checkers.iter_mut() {
            for a in c
                .get_mut("anomalies")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                if let Some(d) = a.get_mut("detail") {
                    upgrade_detail(d);
                }
            }
        }
        if let Some(Value::Object(first)) = checkers.first_mut() {
            if let Some(e) = events.filter(|e| e.is_u64()) {
                first.entry("events").or_insert(e);
            }
            if let Some(w) = warnings.filter(|w| w.as_array().is_some_and(|w| !w.is_empty())) {
                first.entry("warnings").or_insert(w);
            }
        }
    }
    if let Some(o) = v.as_object_mut() {
        o.insert("checker_seconds".into(), Value::Object(rekeyed));
        o.insert("schema".into(), SCHEMA_VERSION.into());
    }
    serde_json::from_value(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_1_details_get_the_kind_their_fields_imply() {
        let r = upgrade(
            r#"{"valid": false, "checkers": [{"checker": "x", "valid": false, "anomalies": [
                {"type": "G-single", "ops": [], "explanation": "",
                 "detail": {"cycle": [{"from": "T1", "to": "T2", "type": "rw", "key": 1, "why": "w"}],
                            "shortest": true, "dot": "digraph {}"}},
                {"type": "cyclic-versions", "ops": [], "explanation": "",
                 "detail": {"key": 1, "cycle": ["1", 2]}},
                {"type": "causal-cycle", "ops": [], "explanation": "",
                 "detail": {"members": 2, "chain": [{"from": 1, "to": 3, "edge": "wr", "key": "x", "value": 1}]}},
                {"type": "nonlinearizable", "ops": [], "explanation": "",
                 "detail": {"model": "register", "key": null, "prefix": [0], "op": 2, "concurrent": [], "state": 1}},
                {"type": "lost", "ops": [], "explanation": "", "detail": {"key": 0, "value": 3}},
                {"type": "half", "ops": [], "explanation": "", "detail": {"op": 1, "prefix": [], "value": 3}},
                {"type": "none", "ops": [], "explanation": ""}]}]}"#,
        )
        .unwrap();
        let kinds: Vec<&str> = r.checkers[0]
            .anomalies
            .iter()
            .map(|a| match &a.detail {
                Some(AnomalyDetail::Cycle(_)) => "cycle",
                Some(AnomalyDetail::VersionCycle(v)) => {
                    assert_eq!(v.cycle, vec!["1", "2"]);
                    "version-cycle"
                }
                Some(AnomalyDetail::CausalChain(c)) => {
                    assert_eq!(c.members, Some(2));
                    "causal-chain"
                }
                Some(AnomalyDetail::Counterexample(c)) => {
                    assert_eq!(c.op, 2);
                    "counterexample"
                }
                Some(AnomalyDetail::Other(o)) => {
                    assert_eq!(o["value"], 3);
                    "other"
                }
                Some(_) => "typed",
                None => "none",
            })
            .collect();
        assert_eq!(
            kinds,
            vec![
                "cycle",
                "version-cycle",
                "causal-chain",
                "counterexample",
                "other",
                "other",
                "none"
            ]
        );
        assert_eq!(r.schema, SCHEMA_VERSION);
        assert!(r.stats.is_none());
    }

    #[test]
    fn a_checked_files_events_and_warnings_move_to_its_report() {
        let r = upgrade(
            r#"{"schema": 1, "valid": true, "checkers": [{"checker": "elle", "valid": true, "anomalies": []}],
                "checker_seconds": {"elle": 0.1}, "skipped_checkers": [],
                "stats": {"events": 12, "warnings": ["torn"]}}"#,
        )
        .unwrap();
        assert_eq!(r.checkers[0].events, Some(12));
        assert_eq!(r.checkers[0].warnings, vec!["torn"]);
        assert_eq!(r.seconds_of("elle"), Some(0.1));
        assert!(r.stats.is_none());
    }

    #[test]
    fn skipped_operation_kinds_of_schema_1_are_kept() {
        // Schema 1 as the checker registry wrote it before schema 2: `skipped_ops` already there.
        let r = upgrade(
            r#"{"schema": 1, "valid": "unknown", "checkers": [{"checker": "bank", "valid": "unknown",
                "unknown_reason": "judged no operation", "anomalies": [],
                "skipped_ops": [{"f": "put", "count": 2}]}], "checker_seconds": {"bank": 0.2}}"#,
        )
        .unwrap();
        assert_eq!(r.checkers[0].skipped_ops.len(), 1);
        assert_eq!(
            (
                r.checkers[0].skipped_ops[0].f.as_str(),
                r.checkers[0].skipped_ops[0].count
            ),
            ("put", 2)
        );
        assert_eq!(r.seconds_of("bank"), Some(0.2));
    }

    #[test]
    fn a_runs_stats_stay_stats() {
        let r = upgrade(
            r#"{"schema": 1, "valid": true, "checkers": [],
                "stats": {"client_ops": 5, "ok": 4, "final_reads": {"asked": 1, "ok": 1},
                          "nemesis_steps": [{"f": "kill", "late_ms": 1.5}]}}"#,
        )
        .unwrap();
        let s = r.stats.unwrap();
        assert_eq!((s.client_ops, s.ok, s.final_reads.asked), (5, 4, 1));
        assert_eq!(s.nemesis_steps[0].f, "kill");
    }
}

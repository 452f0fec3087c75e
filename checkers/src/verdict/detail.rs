//! What an anomaly carries besides its explanation, typed: the report draws cycles, chains and
//! counterexamples from these, and `results.json` stores them.
//!
//! Serialised with a `kind` tag (`{"kind": "cycle", "cycle": [...], ...}`) so a reader never has to
//! guess the shape from which fields happen to be present. Values taken from the history (keys,
//! elements, reads, model states) stay JSON values: their type is the history's.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Machine-readable detail of one anomaly, by what the checker found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum AnomalyDetail {
    /// Elle: a cycle in the dependency graph between transactions.
    Cycle(DependencyCycle),
    /// A key's inferred version order that loops back on itself.
    VersionCycle(VersionCycle),
    /// Causal checkers: the chain of session and reads-from edges that makes one transaction a
    /// cause of another.
    CausalChain(CausalChain),
    /// Linearizability: the longest linearizable prefix and the operation that cannot follow it.
    Counterexample(Counterexample),
    /// An element of a set or list that is missing, lost, duplicated or unexpected.
    Element(ElementDetail),
    /// A counter read outside what the acknowledged operations allow.
    Bounds(Bounds),
    /// A write that was acknowledged and then lost.
    Lost(LostWrite),
    /// A read that returned an out-of-date value.
    Stale(StaleRead),
    /// Anything else: named facts about the anomaly (keys, values, transactions).
    Other(BTreeMap<String, Value>),
}

impl AnomalyDetail {
    /// [`AnomalyDetail::Other`] from named facts.
    pub fn other<const N: usize>(facts: [(&str, Value); N]) -> AnomalyDetail {
        AnomalyDetail::Other(facts.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    /// The history events the detail names that a drawing shows: a counterexample's operation,
    /// the last 8 of its prefix and the first 12 operations concurrent with it; a causal chain's
    /// transactions.
    pub fn events(&self) -> Vec<u64> {
        match self {
            AnomalyDetail::Counterexample(c) => {
                let mut out = vec![c.op];
                out.extend(&c.prefix[c.prefix.len().saturating_sub(8)..]);
                out.extend(c.concurrent.iter().take(12));
                out
            }
            AnomalyDetail::CausalChain(c) => c.chain.iter().flat_map(|e| [e.from, e.to]).collect(),
            _ => Vec::new(),
        }
    }
}

/// Elle's dependency cycle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DependencyCycle {
    /// Adya's family of the anomaly (`G-single` for Elle's `G-single-item-realtime`), so readers
    /// can group Elle's names; absent in files written before Elle's names were used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Which dependencies the cycle goes through beyond data ones: `item`, `process`, `realtime`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// The cycle's edges, in order; the last one leads back to the first's `from`.
    pub cycle: Vec<CycleEdge>,
    /// False when the search budget ran out before it proved no shorter cycle of this kind exists.
    pub shortest: bool,
    /// The cycle in Graphviz's language.
    pub dot: String,
    /// The cycle drawn by Graphviz, when it was asked for and installed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub svg: Option<String>,
}

/// One edge of an Elle cycle: `from -[type on key]-> to`, and why it exists.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CycleEdge {
    /// Transaction names, `T12` (the invocation's event index).
    pub from: String,
    pub to: String,
    /// `ww`, `wr`, `rw`, `process` or `realtime`.
    #[serde(rename = "type")]
    pub edge: String,
    /// The key the edge is about (`null` for process and real-time edges).
    pub key: Option<Value>,
    pub why: String,
}

/// A key whose versions must be ordered in a cycle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VersionCycle {
    pub key: Value,
    /// The versions as the explanation names them, each before the next and the last before
    /// the first.
    pub cycle: Vec<String>,
}

/// A causal chain and what the causal checker knew about the read it explains.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct CausalChain {
    pub chain: Vec<ChainEdge>,
    /// Transactions in the strongly connected component, for a causal cycle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Value>,
    /// What the read returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<Value>,
    /// Event of the reading transaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reader: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listed_first: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<u64>,
    /// The session guarantees the anomaly breaks (`read-your-writes`...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub guarantees: Vec<String>,
    /// The writes the read should have seen.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missed: Vec<MissedWrite>,
    /// For registers: how the write the read returned was itself overwritten.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overwrite_chain: Option<Vec<ChainEdge>>,
}

/// One edge of a causal chain between two transactions, named by their events.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChainEdge {
    pub from: u64,
    pub to: u64,
    /// `session`, `wr` or `arbitration`.
    pub edge: String,
    /// For arbitration: the transaction whose read ordered the two.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reader: Option<u64>,
    /// For reads-from: the write read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

/// A write a read should have seen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MissedWrite {
    pub event: u64,
    pub process: u64,
    pub key: Value,
    pub value: Value,
}

/// A linearizability counterexample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Counterexample {
    pub model: String,
    pub key: Value,
    /// Invocation events of the longest linearizable prefix, in order.
    pub prefix: Vec<u64>,
    /// Invocation event of the operation that cannot be placed after it.
    pub op: u64,
    /// Invocation events of the operations concurrent with it.
    pub concurrent: Vec<u64>,
    /// The model's state after the prefix.
    pub state: Value,
    /// True when no order reaches the operation at all.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unreachable: bool,
}

/// An element of a set or list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ElementDetail {
    pub key: Value,
    pub element: Value,
    /// How many times a read held it, for duplicates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// How long after its acknowledgement it was last missing.
    #[serde(
        default,
        rename = "stable-latency-ms",
        skip_serializing_if = "Option::is_none"
    )]
    pub stable_latency_ms: Option<Value>,
}

/// `[lower bound, read, upper bound]` of a counter read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bounds {
    pub key: Value,
    pub bounds: [Value; 3],
}

/// A lost write: what was written, and what was read instead.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LostWrite {
    pub key: Value,
    /// The value read, when the read itself shows the loss.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written: Option<Value>,
    #[serde(
        default,
        rename = "final-read",
        skip_serializing_if = "Option::is_none"
    )]
    pub final_read: Option<Value>,
}

/// A stale read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StaleRead {
    pub key: Value,
    /// The value read, when it was never written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    #[serde(
        default,
        rename = "versions-behind",
        skip_serializing_if = "Option::is_none"
    )]
    pub versions_behind: Option<u64>,
    #[serde(default, rename = "ms-behind", skip_serializing_if = "Option::is_none")]
    pub ms_behind: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn details_carry_their_kind_and_read_back() {
        let d = AnomalyDetail::Counterexample(Counterexample {
            model: "cas-register".into(),
            key: Value::Null,
            prefix: vec![0, 2],
            op: 4,
            concurrent: vec![6],
            state: json!(2),
            unreachable: false,
        });
        let v = serde_json::to_value(&d).unwrap();
        assert_eq!(v["kind"], "counterexample");
        assert_eq!(v["prefix"], json!([0, 2]));
        assert!(v.get("unreachable").is_none());
        assert_eq!(serde_json::from_value::<AnomalyDetail>(v).unwrap(), d);
        let other = AnomalyDetail::other([("key", json!("x")), ("txns", json!(["T1"]))]);
        let v = serde_json::to_value(&other).unwrap();
        assert_eq!(v, json!({"kind": "other", "key": "x", "txns": ["T1"]}));
        assert_eq!(serde_json::from_value::<AnomalyDetail>(v).unwrap(), other);
    }

    #[test]
    fn a_detail_without_its_kind_is_refused() {
        assert!(serde_json::from_value::<AnomalyDetail>(json!({"op": 1, "prefix": []})).is_err());
    }

    #[test]
    fn counterexample_events_are_its_operation_prefix_tail_and_concurrent() {
        let d = AnomalyDetail::Counterexample(Counterexample {
            model: "register".into(),
            key: Value::Null,
            prefix: (0..20).collect(),
            op: 40,
            concurrent: vec![41, 42],
            state: Value::Null,
            unreachable: false,
        });
        let mut e = d.events();
        e.sort();
        assert_eq!(e, vec![12, 13, 14, 15, 16, 17, 18, 19, 40, 41, 42]);
    }
}

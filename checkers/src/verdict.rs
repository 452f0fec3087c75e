//! What every checker returns: a verdict, the anomalies behind it, and a human explanation of each
//! (DESIGN.md section 4). The JSON form is what `faultline check --json` and `results.json` print.

mod detail;

use serde::{Deserialize, Serialize, Serializer};

pub use detail::{
    AnomalyDetail, Bounds, CausalChain, ChainEdge, Counterexample, CycleEdge, DependencyCycle,
    ElementDetail, LostWrite, MissedWrite, StaleRead, VersionCycle,
};

/// `valid | invalid | unknown`. Serialised as `true`, `false` or `"unknown"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Validity {
    Valid,
    /// The search ran out of its time or memory budget, or the input cannot be judged.
    Unknown,
    Invalid,
}

impl Validity {
    /// The worse of two verdicts: invalid beats unknown beats valid.
    pub fn worst(self, other: Validity) -> Validity {
        self.max(other)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Validity::Valid => "valid",
            Validity::Invalid => "invalid",
            Validity::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for Validity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Validity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Validity::Valid => s.serialize_bool(true),
            Validity::Invalid => s.serialize_bool(false),
            Validity::Unknown => s.serialize_str("unknown"),
        }
    }
}

impl<'de> Deserialize<'de> for Validity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::Bool(true) => Ok(Validity::Valid),
            serde_json::Value::Bool(false) => Ok(Validity::Invalid),
            serde_json::Value::String(s) if s == "unknown" => Ok(Validity::Unknown),
            other => Err(serde::de::Error::custom(format!(
                "expected true, false or \"unknown\", found {other}"
            ))),
        }
    }
}

/// One thing the history shows that the model forbids.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Anomaly {
    /// The anomaly's name, e.g. `G-single-item`, `nonlinearizable`, `lost`, `read-your-writes`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `index` of every history event involved, in the order the explanation uses them.
    pub ops: Vec<u64>,
    /// Plain words: the operations involved, in order, and why together they are impossible.
    pub explanation: String,
    /// Machine-readable detail specific to the checker (cycle edges, prefixes, bounds...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<AnomalyDetail>,
}

#[cfg(test)]
impl Anomaly {
    /// The detail as `results.json` holds it, for tests that look at one field.
    pub fn detail_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.detail).expect("a detail is plain data")
    }
}

/// Operations of one kind a checker did not judge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedOps {
    /// The operation kind; `""` for operations without `f`.
    pub f: String,
    pub count: u64,
}

/// The result of one checker on one history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckReport {
    /// Which checker produced this, e.g. `linearizable(cas-register)`.
    pub checker: String,
    pub valid: Validity,
    /// Why the verdict is `unknown`, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown_reason: Option<String>,
    pub anomalies: Vec<Anomaly>,
    /// Client operation kinds (`f`) in the history that this checker does not judge, with how
    /// many operations of each it left out: a verdict covers only what was judged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped_ops: Vec<SkippedOps>,
    /// Things the checker noticed that do not change its verdict (e.g. torn transactions it read
    /// around), for the user to see.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// History events the checker read, when it read the history itself (the streaming check).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<u64>,
    /// Checker-specific figures (ops checked, keys, search states, models ruled out...).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub stats: serde_json::Map<String, serde_json::Value>,
}

impl CheckReport {
    pub fn new(checker: impl Into<String>) -> Self {
        CheckReport {
            checker: checker.into(),
            valid: Validity::Valid,
            unknown_reason: None,
            anomalies: Vec::new(),
            skipped_ops: Vec::new(),
            warnings: Vec::new(),
            events: None,
            stats: serde_json::Map::new(),
        }
    }

    /// Records an anomaly and makes the verdict invalid.
    pub fn push(&mut self, anomaly: Anomaly) {
        self.valid = Validity::Invalid;
        self.anomalies.push(anomaly);
    }

    /// Marks the verdict unknown (unless an anomaly already made it invalid).
    pub fn set_unknown(&mut self, reason: impl Into<String>) {
        if self.valid != Validity::Invalid {
            self.valid = Validity::Unknown;
        }
        self.unknown_reason.get_or_insert(reason.into());
    }

    /// The distinct anomaly names, sorted.
    pub fn anomaly_types(&self) -> Vec<String> {
        let mut kinds: Vec<String> = self.anomalies.iter().map(|a| a.kind.clone()).collect();
        kinds.sort();
        kinds.dedup();
        kinds
    }

    /// Folds another checker's report on the same history into this one: its anomalies are added,
    /// the verdict is the worse of the two, and its stats are kept under its checker's name.
    pub fn merge(&mut self, other: CheckReport) {
        self.valid = self.valid.worst(other.valid);
        if self.unknown_reason.is_none() {
            self.unknown_reason = other.unknown_reason;
        }
        self.anomalies.extend(other.anomalies);
        self.warnings.extend(other.warnings);
        self.events = self.events.or(other.events);
        self.stats.insert(
            other.checker.clone(),
            serde_json::Value::Object(other.stats),
        );
        self.checker = format!("{}+{}", self.checker, other.checker);
    }

    pub fn stat(&mut self, name: &str, value: impl Into<serde_json::Value>) {
        self.stats.insert(name.to_string(), value.into());
    }
}

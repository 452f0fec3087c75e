//! One history event, in Jepsen's vocabulary (process, type, f, value).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Values are JSON values. EDN converts losslessly enough for checking: keywords become strings
/// (without the colon), vectors, lists and sets become arrays, maps become objects, `nil` is null.
pub type Value = serde_json::Value;

/// The event type. `invoke` opens an operation; the other three complete it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OpType {
    Invoke,
    /// It definitely happened.
    Ok,
    /// It definitely did not happen.
    Fail,
    /// Unknown: it may or may not have happened, at any time after its invocation.
    Info,
}

impl OpType {
    pub fn as_str(self) -> &'static str {
        match self {
            OpType::Invoke => "invoke",
            OpType::Ok => "ok",
            OpType::Fail => "fail",
            OpType::Info => "info",
        }
    }

    pub fn parse(s: &str) -> Option<OpType> {
        Some(match s {
            "invoke" => OpType::Invoke,
            "ok" => OpType::Ok,
            "fail" => OpType::Fail,
            "info" => OpType::Info,
            _ => return None,
        })
    }
}

impl std::fmt::Display for OpType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who performed an event: a client process (at most one operation in flight; retired after an
/// `info`), or the nemesis. Serialised as an integer or the string `"nemesis"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Process {
    Client(u64),
    Nemesis,
}

impl Process {
    pub fn client(self) -> Option<u64> {
        match self {
            Process::Client(p) => Some(p),
            Process::Nemesis => None,
        }
    }
}

impl std::fmt::Display for Process {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Process::Client(p) => write!(f, "{p}"),
            Process::Nemesis => f.write_str("nemesis"),
        }
    }
}

impl Serialize for Process {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Process::Client(p) => s.serialize_u64(*p),
            Process::Nemesis => s.serialize_str("nemesis"),
        }
    }
}

/// Reads a process without building a JSON value first (it is read twice per operation).
struct ProcessVisitor;

impl ProcessVisitor {
    fn refuse<E: serde::de::Error>(found: impl std::fmt::Display) -> E {
        E::custom(format!(
            "expected a non-negative integer or \"nemesis\" as process, found {found}"
        ))
    }
}

impl<'de> serde::de::Visitor<'de> for ProcessVisitor {
    type Value = Process;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a non-negative integer or \"nemesis\"")
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Process, E> {
        Ok(Process::Client(v))
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Process, E> {
        u64::try_from(v)
            .map(Process::Client)
            .map_err(|_| Self::refuse(v))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Process, E> {
        Err(Self::refuse(Value::from(v)))
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Process, E> {
        Err(Self::refuse(v))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Process, E> {
        Err(Self::refuse("null"))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Process, E> {
        if v == "nemesis" {
            Ok(Process::Nemesis)
        } else {
            Err(Self::refuse(Value::from(v)))
        }
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Process, A::Error> {
        let v = Value::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))?;
        Err(Self::refuse(v))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Process, A::Error> {
        let v = Value::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        Err(Self::refuse(v))
    }
}

impl<'de> Deserialize<'de> for Process {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ProcessVisitor)
    }
}

/// One event of a history (one line of `history.jsonl`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Op {
    /// Position in the history, 0-based, strictly increasing.
    pub index: u64,
    /// Nanoseconds since the run started (controller's monotonic clock). 0 when the source had none.
    #[serde(default)]
    pub time: u64,
    pub process: Process,
    #[serde(rename = "type")]
    pub kind: OpType,
    /// The function: `read`, `write`, `cas`, `add`, `txn`, `partition-start`, ...
    pub f: String,
    /// The key for keyed workloads (checked per key, P-compositionality).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Value>,
    #[serde(default)]
    pub value: Value,
    /// The node the client talked to, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// The error a client saw, for `fail` and `info` completions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Value>,
}

impl Op {
    /// A client event with no key, node or error; handy for tests and generators.
    pub fn new(index: u64, process: u64, kind: OpType, f: &str, value: Value) -> Op {
        Op {
            index,
            time: 0,
            process: Process::Client(process),
            kind,
            f: f.to_string(),
            key: None,
            value,
            node: None,
            error: None,
        }
    }

    pub fn with_key(mut self, key: Value) -> Op {
        self.key = Some(key);
        self
    }

    pub fn with_time(mut self, time: u64) -> Op {
        self.time = time;
        self
    }

    pub fn is_client(&self) -> bool {
        matches!(self.process, Process::Client(_))
    }
}

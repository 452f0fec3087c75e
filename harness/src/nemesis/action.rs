//! What the nemesis can do, as data: the schedule is a list of these, the history records them, and a
//! schedule file is written in the same shape (`{"at": secs, "f": ..., "value": ...}`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::backend::Grudge;

/// One nemesis action. `f` is the history's `f` (DESIGN.md section 3), `value` its payload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "f", content = "value", rename_all = "kebab-case")]
pub enum Action {
    /// Drop packets per the grudge (iptables DROP in the harness's own chain, on INPUT).
    PartitionStart {
        kind: String,
        grudge: Grudge,
    },
    /// Flush the partition chain on every node.
    PartitionStop,
    /// SIGKILL the service containers of these nodes.
    Kill {
        nodes: Vec<String>,
    },
    /// Start the killed service containers again.
    Restart {
        nodes: Vec<String>,
    },
    /// Freeze the service containers (cgroup freezer).
    Pause {
        nodes: Vec<String>,
    },
    Resume {
        nodes: Vec<String>,
    },
    /// Set each node's wall-clock offset, in seconds (libfaketime timestamp file).
    ClockOffset {
        offsets: BTreeMap<String, f64>,
    },
    /// Add a jump to each node's current offset, in seconds.
    ClockBump {
        deltas: BTreeMap<String, f64>,
    },
    /// Flip the nodes' clocks between their offset and offset + `delta` every `period_ms`, until the
    /// next clock reset.
    ClockStrobe {
        nodes: Vec<String>,
        delta: f64,
        period_ms: u64,
    },
    /// Every node's offset back to zero; stops strobes.
    ClockReset,
    /// Drop this fraction of the packets each node receives from its peers (iptables statistic).
    LossStart {
        nodes: Vec<String>,
        probability: f64,
    },
    LossStop,
    /// netem delay on the nodes' interfaces, where the kernel has netem.
    DelayStart {
        nodes: Vec<String>,
        delay_ms: u64,
        jitter_ms: u64,
    },
    DelayStop,
}

impl Action {
    /// The history's `f` for this action.
    pub fn name(&self) -> &'static str {
        match self {
            Action::PartitionStart { .. } => "partition-start",
            Action::PartitionStop => "partition-stop",
            Action::Kill { .. } => "kill",
            Action::Restart { .. } => "restart",
            Action::Pause { .. } => "pause",
            Action::Resume { .. } => "resume",
            Action::ClockOffset { .. } => "clock-offset",
            Action::ClockBump { .. } => "clock-bump",
            Action::ClockStrobe { .. } => "clock-strobe",
            Action::ClockReset => "clock-reset",
            Action::LossStart { .. } => "loss-start",
            Action::LossStop => "loss-stop",
            Action::DelayStart { .. } => "delay-start",
            Action::DelayStop => "delay-stop",
        }
    }

    /// The history's `value` for this action.
    pub fn value(&self) -> serde_json::Value {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.get("value").cloned())
            .unwrap_or(serde_json::Value::Null)
    }
}

/// An action at a time offset from the start of the client phase.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Seconds after the clients started.
    pub at: f64,
    #[serde(flatten)]
    pub action: Action,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_serialise_as_history_f_and_value() {
        let step = Step {
            at: 1.5,
            action: Action::PartitionStart {
                kind: "one".into(),
                grudge: Grudge::from([("n1".into(), vec!["n2".into(), "n3".into()])]),
            },
        };
        let json = serde_json::to_value(&step).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"at":1.5,"f":"partition-start","value":{"kind":"one","grudge":{"n1":["n2","n3"]}}})
        );
        assert_eq!(serde_json::from_value::<Step>(json).unwrap(), step);
        let heal: Step = serde_json::from_str(r#"{"at":3,"f":"partition-stop"}"#).unwrap();
        assert_eq!(heal.action, Action::PartitionStop);
        assert_eq!(heal.action.name(), "partition-stop");
        assert_eq!(step.action.value()["grudge"]["n1"][1], "n3");
    }
}

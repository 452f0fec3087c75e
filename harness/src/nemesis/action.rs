//! What the nemesis does, as data: the schedule is a list of [`Step`]s, the history records each
//! [`Action`] as a `nemesis` event with its `f` and `value`, and a schedule file is written in the
//! same shape (`{"at": secs, "f": ..., "value": ...}`). Which `f` exist and what their values hold
//! is up to the fault that owns them (`faults`): each parses its own values into its own types.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::backend::Grudge;

/// One nemesis action. `f` is the history's `f` (DESIGN.md section 3), `value` its payload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Action {
    pub f: String,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub value: Value,
}

impl Action {
    /// An action with a payload.
    pub fn new(f: &str, value: impl Serialize) -> Action {
        Action {
            f: f.to_string(),
            value: serde_json::to_value(value).expect("payloads serialise"),
        }
    }

    /// An action without a payload (`partition-stop`).
    pub fn bare(f: &str) -> Action {
        Action {
            f: f.to_string(),
            value: Value::Null,
        }
    }

    /// The history's `f` for this action.
    pub fn name(&self) -> &str {
        &self.f
    }

    /// The history's `value` for this action.
    pub fn value(&self) -> Value {
        self.value.clone()
    }

    /// The value as the fault's own type; `Err` says what does not fit.
    pub fn payload<T: DeserializeOwned>(&self) -> Result<T, String> {
        serde_json::from_value(self.value.clone()).map_err(|e| format!("{}: {e}", self.f))
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
        let grudge = Grudge::from([("n1".into(), vec!["n2".into(), "n3".into()])]);
        let step = Step {
            at: 1.5,
            action: crate::nemesis::faults::partition("one", grudge),
        };
        let json = serde_json::to_value(&step).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"at":1.5,"f":"partition-start","value":{"kind":"one","grudge":{"n1":["n2","n3"]}}})
        );
        assert_eq!(
            serde_json::to_string(&step).unwrap(),
            r#"{"at":1.5,"f":"partition-start","value":{"kind":"one","grudge":{"n1":["n2","n3"]}}}"#
        );
        assert_eq!(serde_json::from_value::<Step>(json).unwrap(), step);
        let heal: Step = serde_json::from_str(r#"{"at":3,"f":"partition-stop"}"#).unwrap();
        assert_eq!(heal.action, Action::bare("partition-stop"));
        assert_eq!(heal.action.name(), "partition-stop");
        assert_eq!(
            serde_json::to_string(&heal).unwrap(),
            r#"{"at":3.0,"f":"partition-stop"}"#
        );
        assert_eq!(step.action.value()["grudge"]["n1"][1], "n3");
    }
}

//! Anomaly details shared by the safety checkers.

use crate::verdict::{AnomalyDetail, ElementDetail};
use crate::Value;

/// A key group's key as the detail shows it: `null` for the un-keyed history.
pub fn key_value(key: Option<&Value>) -> Value {
    key.cloned().unwrap_or(Value::Null)
}

/// An element of the set under `key`, with nothing else known.
pub fn element_detail(key: Option<&Value>, element: Value) -> ElementDetail {
    ElementDetail {
        key: key_value(key),
        element,
        count: None,
        stable_latency_ms: None,
    }
}

/// [`element_detail`] as an anomaly detail.
pub fn element(key: Option<&Value>, element: Value) -> AnomalyDetail {
    AnomalyDetail::Element(element_detail(key, element))
}

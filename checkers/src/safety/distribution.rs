//! Quantile summaries of latencies and lags, at the points Jepsen reports (0, 0.5, 0.95, 0.99, 1),
//! so figures compare side by side.

use serde_json::{Map, Value};

/// The quantile points reported.
pub const POINTS: [f64; 5] = [0.0, 0.5, 0.95, 0.99, 1.0];

/// `{"0": min, "0.5": median, ..., "1": max}` of `samples`, or `None` when there are none. A
/// quantile is the sample at rank `floor(n * p)` (clamped), as Jepsen's frequency distribution.
pub fn quantiles(samples: &mut [f64]) -> Option<Value> {
    if samples.is_empty() {
        return None;
    }
    samples.sort_by(f64::total_cmp);
    let n = samples.len();
    let mut m = Map::new();
    for p in POINTS {
        let rank = ((n as f64 * p).floor() as usize).min(n - 1);
        m.insert(p.to_string(), number(samples[rank]));
    }
    Some(Value::Object(m))
}

/// A float as JSON, whole numbers without a fraction.
pub fn number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9e15 {
        Value::from(x as i64)
    } else {
        serde_json::Number::from_f64(x)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn picks_ranks_like_jepsen() {
        let mut s: Vec<f64> = (1..=10).map(f64::from).collect();
        let q = quantiles(&mut s).unwrap();
        assert_eq!(
            q,
            json!({"0": 1, "0.5": 6, "0.95": 10, "0.99": 10, "1": 10})
        );
        assert!(quantiles(&mut []).is_none());
    }
}

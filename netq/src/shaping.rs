//! What a node's traffic to its peers suffers: the value the nemesis records in the history and
//! passes to the helper (as JSON on its command line), and the in-process network applies.

use serde::{Deserialize, Serialize};

/// How delays spread around their mean.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Distribution {
    /// Uniform in [delay - jitter, delay + jitter] (netem's default).
    #[default]
    Uniform,
    /// Normal with mean delay and standard deviation jitter, cut at 0.
    Normal,
}

/// Every packet is held for about `delay_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Delay {
    pub delay_ms: u64,
    pub jitter_ms: u64,
    #[serde(default)]
    pub distribution: Distribution,
}

/// A fraction of packets is sent twice.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Duplicate {
    pub probability: f64,
}

/// A fraction of packets is held `gap_ms` longer than the rest, so the packets sent after it
/// within that gap overtake it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reorder {
    pub probability: f64,
    pub gap_ms: u64,
}

/// The shaping of one node's traffic to its peers; each part is independent and may be absent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Shaping {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<Delay>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate: Option<Duplicate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reorder: Option<Reorder>,
}

impl Shaping {
    /// Nothing is shaped: traffic need not go through the helper at all.
    pub fn is_none(&self) -> bool {
        self.delay.is_none() && self.duplicate.is_none() && self.reorder.is_none()
    }

    /// The first value out of range, said for a person.
    pub fn validate(&self) -> Result<(), String> {
        let prob = |what: &str, p: f64| {
            if (0.0..=1.0).contains(&p) {
                Ok(())
            } else {
                Err(format!("{what} probability must be within 0..1, not {p}"))
            }
        };
        if let Some(d) = self.duplicate {
            prob("duplicate", d.probability)?;
        }
        if let Some(r) = self.reorder {
            prob("reorder", r.probability)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_omits_absent_parts_and_defaults_the_distribution() {
        let s: Shaping =
            serde_json::from_str(r#"{"delay":{"delay_ms":50,"jitter_ms":5}}"#).unwrap();
        assert_eq!(s.delay.unwrap().distribution, Distribution::Uniform);
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"delay":{"delay_ms":50,"jitter_ms":5,"distribution":"uniform"}}"#
        );
        assert!(Shaping::default().is_none() && !s.is_none());
        let bad = Shaping {
            duplicate: Some(Duplicate { probability: 1.5 }),
            ..Shaping::default()
        };
        assert!(bad.validate().unwrap_err().contains("1.5"));
    }
}

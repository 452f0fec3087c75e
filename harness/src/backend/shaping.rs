//! Delay, duplication and reordering are separate faults that may be in force together on the
//! same node; each sets one layer, and a node's traffic is shaped by the union of its layers (each
//! layer sets its own part of [`Shaping`]). Both backends keep one of these and apply the result.

use std::collections::BTreeMap;

use faultline_netq::Shaping;

/// Per-fault layers of shaping, and what they add up to on each node.
#[derive(Default)]
pub struct ShapingLayers {
    layers: BTreeMap<&'static str, (Vec<String>, Shaping)>,
}

impl ShapingLayers {
    /// Layer `layer` now shapes `nodes` as `shaping` says (an empty list lifts it). Returns every
    /// node's combined shaping; nodes absent from the map are not shaped at all.
    pub fn set(
        &mut self,
        layer: &'static str,
        nodes: &[String],
        shaping: Shaping,
    ) -> BTreeMap<String, Shaping> {
        if nodes.is_empty() || shaping.is_none() {
            self.layers.remove(layer);
        } else {
            self.layers.insert(layer, (nodes.to_vec(), shaping));
        }
        let mut per_node: BTreeMap<String, Shaping> = BTreeMap::new();
        for (nodes, part) in self.layers.values() {
            for n in nodes {
                let s = per_node.entry(n.clone()).or_default();
                s.delay = part.delay.or(s.delay);
                s.duplicate = part.duplicate.or(s.duplicate);
                s.reorder = part.reorder.or(s.reorder);
            }
        }
        per_node
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_netq::{Delay, Distribution, Duplicate};

    #[test]
    fn layers_combine_per_node_and_lift_independently() {
        let mut l = ShapingLayers::default();
        let delay = Shaping {
            delay: Some(Delay {
                delay_ms: 50,
                jitter_ms: 0,
                distribution: Distribution::Uniform,
            }),
            ..Shaping::default()
        };
        let dup = Shaping {
            duplicate: Some(Duplicate { probability: 0.1 }),
            ..Shaping::default()
        };
        let all = l.set("delay", &["n1".into(), "n2".into()], delay);
        assert_eq!(all.len(), 2);
        let all = l.set("duplicate", &["n2".into()], dup);
        assert_eq!(all["n1"], delay);
        assert_eq!(all["n2"].delay, delay.delay);
        assert_eq!(all["n2"].duplicate, dup.duplicate);
        let all = l.set("delay", &[], Shaping::default());
        assert_eq!(all.keys().collect::<Vec<_>>(), ["n2"]);
        assert!(l.set("duplicate", &[], Shaping::default()).is_empty());
    }
}

//! What the three packet-shaping faults (delay, duplicate, reorder) share: each is one layer of
//! the nodes' [`Shaping`] (see `backend::shaping`), put in force by its start action and lifted
//! by its stop, so they combine when their windows overlap.

use std::sync::Arc;

use faultline_netq::Shaping;
use faultline_targets::BoxFuture;

use super::FaultState;
use crate::backend::Cluster;
use crate::nemesis::action::Action;

/// Reads a start action's value: the nodes and this layer's shaping.
pub type ReadStart = fn(&Action) -> Result<(Vec<String>, Shaping), String>;

/// One shaping layer's state during a run.
pub struct Shaped {
    layer: &'static str,
    start: &'static str,
    stop: &'static str,
    read: ReadStart,
    on: bool,
}

impl Shaped {
    pub fn new(
        layer: &'static str,
        start: &'static str,
        stop: &'static str,
        read: ReadStart,
    ) -> Shaped {
        Shaped {
            layer,
            start,
            stop,
            read,
            on: false,
        }
    }
}

impl FaultState for Shaped {
    fn apply<'a>(
        &'a mut self,
        action: &'a Action,
        cluster: &'a Arc<dyn Cluster>,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let (nodes, shaping) = if action.f == self.start {
                (self.read)(action)?
            } else {
                (Vec::new(), Shaping::default())
            };
            // In force from the attempt on, so a half-applied start is still healed.
            self.on = !nodes.is_empty();
            cluster
                .set_shaping(self.layer, &nodes, shaping)
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn in_force(&self) -> Option<String> {
        self.on.then(|| format!("packet {}", self.layer))
    }

    fn heal(&self) -> Option<Action> {
        self.on.then(|| Action::bare(self.stop))
    }
}

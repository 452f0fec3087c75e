//! Plays a schedule against the cluster: each step at its time, each action recorded in the history
//! as a `nemesis` `info` event when it is in force (with the error, if it failed), and
//! [`Nemesis::heal`] undoing whatever is still active. Each action goes to the fault unit that owns
//! it (`faults`), which acts through the cluster's primitives.

use std::sync::Arc;
use std::time::{Duration, Instant};

use faultline_targets::{Roles, Target};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tokio::sync::watch;

use super::action::{Action, Step};
use super::aim;
use super::faults::{self, Fault, FaultState};
use crate::backend::Cluster;
use crate::results::history::Recorder;

/// The nemesis of one run.
pub struct Nemesis {
    cluster: Arc<dyn Cluster>,
    recorder: Recorder,
    /// Every fault of the list with its state, in list order.
    faults: Vec<(&'static dyn Fault, Box<dyn FaultState>)>,
    /// Milliseconds from each step's scheduled time to its fault being in force.
    pub lateness_ms: Vec<(String, f64)>,
    /// [`Nemesis::describe`] after every action, for whoever watches (the progress line).
    in_force: watch::Sender<String>,
    /// Who to ask for the nodes' roles when an aimed fault is applied; `None` knows no roles.
    target: Option<Arc<dyn Target>>,
    /// Picks among nodes when an aim leaves a choice (same seed, same picks for the same roles).
    rng: ChaCha8Rng,
}

impl Nemesis {
    pub fn new(cluster: Arc<dyn Cluster>, recorder: Recorder) -> Nemesis {
        Nemesis {
            cluster,
            recorder,
            faults: faults::ALL.iter().map(|f| (*f, f.state())).collect(),
            lateness_ms: Vec::new(),
            in_force: watch::Sender::new("none".to_string()),
            target: None,
            rng: ChaCha8Rng::seed_from_u64(0),
        }
    }

    /// Lets aimed faults ask `target` for the nodes' roles; `seed` fixes the choices an aim leaves.
    pub fn aiming(mut self, target: Arc<dyn Target>, seed: u64) -> Nemesis {
        self.target = Some(target);
        self.rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6169_6d65_6421);
        self
    }

    /// The roles every node reports now (none without a target). Takes no `&self` across the
    /// wait: the fault states are not `Sync`.
    async fn roles(target: Option<Arc<dyn Target>>, cluster: Arc<dyn Cluster>) -> Roles {
        match target {
            Some(target) => faultline_targets::role::roles(target.as_ref(), &cluster.spec()).await,
            None => Roles::new(),
        }
    }

    /// The action to apply for `action`: itself, or for an aimed one the concrete action on the
    /// nodes its aim picks now (a start) or on the nodes its start hit (an end), recorded with the
    /// aim and the roles seen.
    async fn resolve(&mut self, action: &Action) -> Result<Action, String> {
        let Some(aim) = aim::of(action)? else {
            return Ok(action.clone());
        };
        let Some(index) = self.faults.iter().position(|(f, _)| f.owns(&action.f)) else {
            return Ok(action.clone());
        };
        let fault = self.faults[index].0;
        let all: Vec<String> = self
            .cluster
            .spec()
            .nodes
            .iter()
            .map(|n| n.name.clone())
            .collect();
        if !fault.starts().contains(&action.f.as_str()) {
            // An end heals what its start put in force, whichever nodes that turned out to be.
            let heal = match self.faults[index].1.heal() {
                Some(heal) => heal,
                None => fault.aim_at(action, &[], &all)?,
            };
            return Ok(aim::record(heal, aim, None, None));
        }
        let roles = Self::roles(self.target.clone(), self.cluster.clone()).await;
        let (nodes, hit) = aim::pick(aim, &roles, &all, &mut self.rng);
        let concrete = fault.aim_at(action, &nodes, &all)?;
        Ok(aim::record(concrete, aim, Some(&roles), Some(hit)))
    }

    /// The faults in force, updated after every action (`none`, `partition halves, killed n2`).
    pub fn faults_in_force(&self) -> watch::Receiver<String> {
        self.in_force.subscribe()
    }

    /// The faults in force in a few words (`partition halves, killed n1`), or `none`.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .faults
            .iter()
            .filter_map(|(_, s)| s.in_force())
            .collect();
        if parts.is_empty() {
            "none".into()
        } else {
            parts.join(", ")
        }
    }

    /// Plays `steps` with times relative to `t0`, until the schedule ends or `stop` turns true.
    pub async fn run(&mut self, steps: &[Step], t0: Instant, mut stop: watch::Receiver<bool>) {
        for step in steps {
            let due = t0 + Duration::from_secs_f64(step.at.max(0.0));
            tokio::select! {
                _ = tokio::time::sleep_until(due.into()) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
            if *stop.borrow() {
                return;
            }
            self.perform(&step.action).await;
            self.lateness_ms.push((
                step.action.name().to_string(),
                due.elapsed().as_secs_f64() * 1000.0,
            ));
        }
    }

    /// Applies `action` and records it; a failure is recorded and printed, not fatal.
    pub async fn perform(&mut self, action: &Action) {
        let (action, result) = match self.resolve(action).await {
            Ok(action) => {
                let cluster = &self.cluster;
                let result = match self.faults.iter_mut().find(|(f, _)| f.owns(&action.f)) {
                    Some((_, state)) => state.apply(&action, cluster).await,
                    None => faults::check(&action),
                };
                (action, result)
            }
            Err(e) => (action.clone(), Err(e)),
        };
        if let Err(e) = &result {
            eprintln!("faultline: nemesis {} failed: {e}", action.name());
        }
        self.recorder
            .nemesis(action.name(), action.value(), result.err());
        self.in_force.send_replace(self.describe());
    }

    /// Undoes every active fault, in list order, recording each heal. Safe to call twice.
    pub async fn heal(&mut self) {
        let ends: Vec<Action> = self.faults.iter().filter_map(|(_, s)| s.heal()).collect();
        for action in ends {
            self.perform(&action).await;
        }
    }

    /// Whether anything is still broken.
    pub fn is_healed(&self) -> bool {
        self.faults.iter().all(|(_, s)| s.heal().is_none())
    }

    /// The median and largest lateness of the steps that put a fault in force, ms.
    pub fn start_lateness(&self) -> (f64, f64) {
        let mut late: Vec<f64> = self
            .lateness_ms
            .iter()
            .filter(|(f, _)| faults::is_start(f))
            .map(|(_, ms)| *ms)
            .collect();
        late.sort_by(f64::total_cmp);
        let median = if late.is_empty() {
            0.0
        } else {
            late[late.len() / 2]
        };
        (median, late.last().copied().unwrap_or(0.0))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use faultline_targets::{BoxFuture, ClusterSpec, NodeSpec, Target};

    use super::*;
    use crate::backend::{BackendError, Grudge, NodeLog};

    /// A cluster that only notes which primitive was called with what.
    struct Recording {
        spec: Arc<ClusterSpec>,
        calls: Mutex<Vec<String>>,
    }

    impl Recording {
        fn note(&self, call: String) -> BoxFuture<'_, Result<(), BackendError>> {
            self.calls.lock().unwrap().push(call);
            Box::pin(async { Ok(()) })
        }
    }

    impl Cluster for Recording {
        fn spec(&self) -> Arc<ClusterSpec> {
            self.spec.clone()
        }
        fn wait_healthy<'a>(
            &'a self,
            _: &'a dyn Target,
            _: Duration,
        ) -> BoxFuture<'a, Result<Duration, String>> {
            Box::pin(async { Ok(Duration::ZERO) })
        }
        fn logs(&self) -> BoxFuture<'_, Vec<NodeLog>> {
            Box::pin(async { Vec::new() })
        }
        fn set_grudge<'a>(&'a self, g: &'a Grudge) -> BoxFuture<'a, Result<(), BackendError>> {
            self.note(format!("grudge {}", g.len()))
        }
        fn set_loss<'a>(
            &'a self,
            n: &'a [String],
            p: f64,
        ) -> BoxFuture<'a, Result<(), BackendError>> {
            self.note(format!("loss {n:?} {p}"))
        }
        fn shaping_support(&self) -> BoxFuture<'_, Result<(), String>> {
            Box::pin(async { Ok(()) })
        }
        fn set_shaping<'a>(
            &'a self,
            layer: &'static str,
            n: &'a [String],
            _: faultline_netq::Shaping,
        ) -> BoxFuture<'a, Result<(), BackendError>> {
            self.note(format!("{layer} {n:?}"))
        }
        fn kill<'a>(&'a self, n: &'a [String]) -> BoxFuture<'a, Result<(), BackendError>> {
            self.note(format!("kill {n:?}"))
        }
        fn restart<'a>(&'a self, n: &'a [String]) -> BoxFuture<'a, Result<(), BackendError>> {
            self.note(format!("restart {n:?}"))
        }
        fn pause<'a>(&'a self, n: &'a [String]) -> BoxFuture<'a, Result<(), BackendError>> {
            self.note(format!("pause {n:?}"))
        }
        fn resume<'a>(&'a self, n: &'a [String]) -> BoxFuture<'a, Result<(), BackendError>> {
            self.note(format!("resume {n:?}"))
        }
        fn set_clock_offsets<'a>(
            &'a self,
            o: &'a [(String, f64)],
        ) -> BoxFuture<'a, Result<(), BackendError>> {
            self.note(format!("clock {o:?}"))
        }
    }

    #[tokio::test]
    async fn each_action_reaches_its_fault_and_heal_undoes_everything_in_list_order() {
        let spec = Arc::new(ClusterSpec {
            nodes: (1..=3)
                .map(|i| NodeSpec {
                    name: format!("n{i}"),
                    ip: std::net::Ipv4Addr::new(10, 0, 0, i),
                })
                .collect(),
            mode: None,
            bug: None,
            options: BTreeMap::new(),
        });
        let cluster = Arc::new(Recording {
            spec,
            calls: Mutex::new(Vec::new()),
        });
        let recorder = Recorder::in_memory(Instant::now());
        let mut nemesis = Nemesis::new(cluster.clone(), recorder.clone());
        assert_eq!(nemesis.describe(), "none");
        let grudge = Grudge::from([("n1".to_string(), vec!["n2".to_string()])]);
        nemesis.perform(&faults::partition("halves", grudge)).await;
        nemesis
            .perform(&faults::kill(vec!["n2".into(), "n1".into()]))
            .await;
        nemesis
            .perform(&faults::bump(BTreeMap::from([("n3".to_string(), 2.0)])))
            .await;
        nemesis
            .perform(&faults::bump(BTreeMap::from([("n3".to_string(), 1.5)])))
            .await;
        assert_eq!(
            nemesis.describe(),
            "partition halves, killed n1,n2, clock skew"
        );
        assert!(!nemesis.is_healed());
        nemesis.heal().await;
        assert!(nemesis.is_healed());
        assert_eq!(nemesis.describe(), "none");
        let calls = cluster.calls.lock().unwrap().clone();
        assert_eq!(
            calls,
            [
                "grudge 1",
                r#"kill ["n2", "n1"]"#,
                r#"clock [("n3", 2.0)]"#,
                r#"clock [("n3", 3.5)]"#,
                "grudge 0",
                r#"restart ["n1", "n2"]"#,
                r#"clock [("n1", 0.0), ("n2", 0.0), ("n3", 0.0)]"#,
            ]
        );
        let (events, _) = recorder.snapshot();
        let names: Vec<&str> = events.iter().map(|e| e.f.as_str()).collect();
        assert_eq!(
            names,
            [
                "partition-start",
                "kill",
                "clock-bump",
                "clock-bump",
                "partition-stop",
                "restart",
                "clock-reset"
            ]
        );
        // An action no fault owns is recorded with the reason, not applied.
        nemesis.perform(&Action::bare("melt")).await;
        let (events, _) = recorder.snapshot();
        assert!(events.last().unwrap().error.is_some());
    }
}

//! Fault windows from the history's nemesis events: when each fault was in force, for shading the
//! plots. faultline records one `info` event when a fault starts and one when it is healed
//! (`partition-start` … `partition-stop`, `kill` … `restart`, `pause` … `resume`, `clock-*` …
//! `clock-reset`, `loss-start` … `loss-stop`, `delay-start` … `delay-stop`); Jepsen histories
//! use `start` … `stop` with an `info` for both the request and its completion. Other nemesis
//! events (the `final-reads` marker, unknown ones) are instants.

use faultline_checkers::{Op, Value};

use super::markup::short_json;

/// A fault in force from `start` to `end` (report clock).
#[derive(Clone, Debug, PartialEq)]
pub struct FaultWindow {
    /// The fault family: `partition`, `kill`, `pause`, `clock`, `loss`, `delay`, `start`...
    pub kind: String,
    /// What the start event said (e.g. `partition-start one: n1 | n2 n3`).
    pub label: String,
    pub start: u64,
    pub end: u64,
    /// No healing event followed: the window runs to the end of the history.
    pub unhealed: bool,
    /// The nemesis reported an error for the start.
    pub error: Option<String>,
}

/// A nemesis event that opens or closes nothing.
#[derive(Clone, Debug, PartialEq)]
pub struct Instant {
    pub time: u64,
    pub label: String,
}

/// What the nemesis did over a history.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    pub windows: Vec<FaultWindow>,
    pub instants: Vec<Instant>,
}

enum Role {
    Start(&'static str),
    Stop(&'static str),
    /// A start of a family with its own name (`X-start`) or a stop (`X-stop`).
    StartNamed(String),
    StopNamed(String),
    Instant,
}

/// faultline's own events go by the fault list (which fault owns `f`, and whether it starts or
/// heals it); Jepsen's `start`/`stop`, and other tools' `X-start`/`X-stop`, by name.
fn role(f: &str) -> Role {
    if let Some(fault) = crate::nemesis::faults::owner(f) {
        return if fault.stop() == f {
            Role::Stop(fault.family())
        } else {
            Role::Start(fault.family())
        };
    }
    match f {
        "start" => Role::Start("start"),
        "stop" => Role::Stop("start"),
        f => {
            if let Some(kind) = f.strip_suffix("-start") {
                Role::StartNamed(kind.to_string())
            } else if let Some(kind) = f.strip_suffix("-stop") {
                Role::StopNamed(kind.to_string())
            } else {
                Role::Instant
            }
        }
    }
}

/// A short description of a nemesis event: its `f` and the gist of its value.
pub fn describe(op: &Op) -> String {
    let detail = match &op.value {
        Value::Null => String::new(),
        Value::Object(map) => {
            // partition: its kind and grudge; kill/pause: the nodes; clock: offsets.
            let mut parts = Vec::new();
            if let Some(kind) = map.get("kind") {
                parts.push(short_json(kind, 20));
            }
            for (name, value) in map.iter().filter(|(k, _)| k.as_str() != "kind") {
                parts.push(format!("{name} {}", short_json(value, 60)));
            }
            parts.join(", ")
        }
        v => short_json(v, 60),
    };
    if detail.is_empty() {
        op.f.clone()
    } else {
        format!("{} {detail}", op.f)
    }
}

/// Pairs the nemesis events (in history order, `time` on the report clock) into windows.
/// `end` is the history's last time: where unhealed windows stop.
pub fn windows(nemesis: &[Op], end: u64) -> Faults {
    let mut faults = Faults::default();
    // Open windows by family, in `faults.windows`.
    let mut open: Vec<(String, usize)> = Vec::new();
    for op in nemesis {
        let (family, starting) = match role(&op.f) {
            Role::Start(k) => (k.to_string(), true),
            Role::StartNamed(k) => (k, true),
            Role::Stop(k) => (k.to_string(), false),
            Role::StopNamed(k) => (k, false),
            Role::Instant => {
                faults.instants.push(Instant {
                    time: op.time,
                    label: describe(op),
                });
                continue;
            }
        };
        let position = open.iter().position(|(k, _)| *k == family);
        match (starting, position) {
            (true, Some(p)) => {
                // Already in force (a second kill, a clock bump on an offset, Jepsen's
                // completion of the start): one window, its label extended once.
                let w = &mut faults.windows[open[p].1];
                let more = describe(op);
                if w.label.len() < 120 && !w.label.ends_with(&more) {
                    w.label = format!("{}; {more}", w.label);
                }
            }
            (true, None) => {
                open.push((family.clone(), faults.windows.len()));
                faults.windows.push(FaultWindow {
                    kind: family,
                    label: describe(op),
                    start: op.time,
                    end,
                    unhealed: true,
                    error: op.error.as_ref().map(|e| short_json(e, 200)),
                });
            }
            (false, Some(p)) => {
                let (_, w) = open.remove(p);
                let w = &mut faults.windows[w];
                w.end = op.time.max(w.start);
                w.unhealed = false;
            }
            (false, None) => {
                // A heal with nothing in force: Jepsen's completion of a stop, or the final heal
                // of faults that were never started. Extend a window that just closed.
                if let Some(w) = faults
                    .windows
                    .iter_mut()
                    .rev()
                    .find(|w| w.kind == family && !w.unhealed)
                {
                    if op.time >= w.end && op.time - w.end <= (w.end - w.start).max(1) {
                        w.end = op.time;
                    }
                }
            }
        }
    }
    faults
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_checkers::{OpType, Process};
    use serde_json::json;

    fn nem(index: u64, time: u64, f: &str, value: Value) -> Op {
        let mut op = Op::new(index, 0, OpType::Info, f, value).with_time(time);
        op.process = Process::Nemesis;
        op
    }

    #[test]
    fn starts_pair_with_their_heals() {
        let ops = vec![
            nem(
                0,
                10,
                "partition-start",
                json!({"kind": "one", "grudge": {"n1": ["n2"]}}),
            ),
            nem(1, 15, "kill", json!({"nodes": ["n3"]})),
            nem(2, 20, "partition-stop", Value::Null),
            nem(3, 30, "clock-offset", json!({"offsets": {"n1": 1.5}})),
            nem(4, 35, "clock-bump", json!({"deltas": {"n1": 1}})),
            nem(5, 40, "clock-reset", Value::Null),
            nem(6, 45, "final-reads", Value::Null),
        ];
        let f = windows(&ops, 100);
        let spans: Vec<(&str, u64, u64, bool)> = f
            .windows
            .iter()
            .map(|w| (w.kind.as_str(), w.start, w.end, w.unhealed))
            .collect();
        assert_eq!(
            spans,
            vec![
                ("partition", 10, 20, false),
                ("kill", 15, 100, true),
                ("clock", 30, 40, false)
            ]
        );
        assert!(f.windows[0].label.contains("one"), "{}", f.windows[0].label);
        assert!(f.windows[2].label.contains("clock-bump"));
        assert_eq!(f.instants.len(), 1);
        assert_eq!(f.instants[0].label, "final-reads");
    }

    #[test]
    fn jepsen_start_stop_pairs_become_one_window() {
        let ops = vec![
            nem(0, 10, "start", Value::Null),
            nem(1, 12, "start", json!("Cut off {n1 #{n2}}")),
            nem(2, 50, "stop", Value::Null),
            nem(3, 52, "stop", json!("fully connected")),
        ];
        let f = windows(&ops, 100);
        assert_eq!(f.windows.len(), 1);
        assert_eq!((f.windows[0].start, f.windows[0].end), (10, 52));
    }
}

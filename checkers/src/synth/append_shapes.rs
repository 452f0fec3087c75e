//! List-append histories of named *shapes* (how many clients, how many keys live at once and for
//! how long, how long transactions are), written straight to JSON Lines so that a million
//! transactions never sit in memory as [`crate::Op`]s.
//!
//! The generator is its own simulation, independent of [`super::elle`], so that the checker's
//! benchmarks are not tuned to one generator's habits. Clients run against a simulated
//! strict-serializable database: each transaction takes effect atomically at one moment between
//! its invocation and its completion. Some transactions fail before taking effect; some end
//! `info`, having taken effect or not (their process is then replaced by a fresh one, as Jepsen's
//! clients are). Elements are unique per key — either a per-key counter from 1 (Elle's own
//! generator does this) or one counter over all keys.
//!
//! Anomalies can be planted in the middle of the history, on keys of their own, so a test knows
//! exactly what the checker must find however large the history around them is.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::SplitMix;

/// How a list-append history is shaped.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AppendShape {
    pub name: &'static str,
    /// What the shape stands for, in a few words.
    pub about: &'static str,
    /// Clients running at once (each one process, until it ends `info`).
    pub clients: usize,
    /// Keys in use at once.
    pub active_keys: usize,
    /// Appends after which a key is retired and replaced by a fresh one.
    pub appends_per_key: usize,
    /// Micro-ops per transaction, uniform in `min_ops..=max_ops`.
    pub min_ops: usize,
    pub max_ops: usize,
    /// Probability that a micro-op is a read (otherwise an append).
    pub read_fraction: f64,
    /// Probability that a transaction fails (never takes effect).
    pub fail_rate: f64,
    /// Probability that a transaction ends `info` (half of them after taking effect).
    pub info_rate: f64,
    /// Elements from one counter over all keys (`true`) or a counter per key from 1 (`false`).
    pub global_elements: bool,
}

/// The shapes `faultline bench` measures (DESIGN.md section 9: "every history shape").
pub const SHAPES: &[AppendShape] = &[
    AppendShape {
        name: "rotating",
        about: "10 clients, 100 keys retired after 100 appends, 1-4 ops, all ok",
        clients: 10,
        active_keys: 100,
        appends_per_key: 100,
        min_ops: 1,
        max_ops: 4,
        read_fraction: 0.5,
        fail_rate: 0.0,
        info_rate: 0.0,
        global_elements: false,
    },
    AppendShape {
        name: "short-keys",
        about: "1000 keys retired after 5 appends",
        clients: 10,
        active_keys: 1000,
        appends_per_key: 5,
        min_ops: 1,
        max_ops: 4,
        read_fraction: 0.5,
        fail_rate: 0.01,
        info_rate: 0.01,
        global_elements: false,
    },
    AppendShape {
        name: "long-keys",
        about: "8 keys retired after 1000 appends, 5% reads",
        clients: 10,
        active_keys: 8,
        appends_per_key: 1000,
        min_ops: 1,
        max_ops: 4,
        // Each read returns up to 1000 elements: more reads than this and a million
        // transactions are gigabytes of JSON.
        read_fraction: 0.05,
        fail_rate: 0.01,
        info_rate: 0.01,
        global_elements: true,
    },
    AppendShape {
        name: "long-txns",
        about: "8-16 ops a transaction, 1000 keys retired after 20 appends",
        clients: 10,
        active_keys: 1000,
        appends_per_key: 20,
        min_ops: 8,
        max_ops: 16,
        read_fraction: 0.25,
        fail_rate: 0.01,
        info_rate: 0.01,
        global_elements: false,
    },
    AppendShape {
        name: "many-processes",
        about: "100 clients, 5% info (each a new process)",
        clients: 100,
        active_keys: 100,
        appends_per_key: 100,
        min_ops: 1,
        max_ops: 4,
        read_fraction: 0.5,
        fail_rate: 0.01,
        info_rate: 0.05,
        global_elements: false,
    },
];

/// The shape called `name`.
pub fn shape(name: &str) -> Option<&'static AppendShape> {
    SHAPES.iter().find(|s| s.name == name)
}

/// An anomaly that can be planted, with the name the checker reports it under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Planted {
    /// Read skew: T2 sees T1's append to one key but not its append to another (one
    /// anti-dependency in the cycle).
    GSingle,
    /// Circular information flow: two transactions each read the other's append.
    G1c,
}

impl Planted {
    pub const ALL: &'static [Planted] = &[Planted::GSingle, Planted::G1c];

    /// The anomaly's name in the checker's report (Elle's), without the `-process` /
    /// `-realtime` suffix the cycle may also need.
    pub fn name(self) -> &'static str {
        match self {
            Planted::GSingle => "G-single-item",
            Planted::G1c => "G1c",
        }
    }
}

/// What was written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Written {
    pub events: u64,
    pub ok: u64,
    pub fail: u64,
    pub info: u64,
    /// Distinct keys used.
    pub keys: u64,
    /// Distinct processes used.
    pub processes: u64,
}

enum Client {
    Idle,
    /// Invoked; `invoke` is the invocation's value (reads as `null`).
    Invoked {
        ops: Vec<Mop>,
        invoke: String,
    },
    /// Taken effect; `result` is the completed value.
    Applied {
        invoke: String,
        result: String,
    },
}

#[derive(Clone, Copy)]
enum Mop {
    Read(u64),
    Append(u64, u64),
}

/// The simulated database and the event writer.
struct Sim<W: Write> {
    out: W,
    line: String,
    index: u64,
    /// Committed elements per key id.
    lists: Vec<Vec<u64>>,
    /// Elements handed out per key (per-key counters).
    handed: Vec<u64>,
    next_element: u64,
    written: Written,
}

impl<W: Write> Sim<W> {
    fn emit(&mut self, process: u64, kind: &str, value: &str) -> io::Result<()> {
        self.line.clear();
        let i = self.index;
        let _ = writeln!(
            self.line,
            r#"{{"index":{i},"time":{},"process":{process},"type":"{kind}","f":"txn","value":{value}}}"#,
            i * 1000
        );
        self.index += 1;
        self.written.events += 1;
        match kind {
            "ok" => self.written.ok += 1,
            "fail" => self.written.fail += 1,
            "info" => self.written.info += 1,
            _ => {}
        }
        self.out.write_all(self.line.as_bytes())
    }

    fn new_key(&mut self) -> u64 {
        self.lists.push(Vec::new());
        self.handed.push(0);
        self.written.keys += 1;
        (self.lists.len() - 1) as u64
    }

    fn element_for(&mut self, key: u64, global: bool) -> u64 {
        self.handed[key as usize] += 1;
        if global {
            self.next_element += 1;
            self.next_element
        } else {
            self.handed[key as usize]
        }
    }

    /// Applies a transaction atomically and returns its completed value.
    fn apply(&mut self, ops: &[Mop]) -> String {
        let mut s = String::from("[");
        for (i, op) in ops.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            match *op {
                Mop::Read(k) => {
                    let _ = write!(s, r#"["r",{k},["#);
                    for (j, e) in self.lists[k as usize].iter().enumerate() {
                        if j > 0 {
                            s.push(',');
                        }
                        let _ = write!(s, "{e}");
                    }
                    s.push_str("]]");
                }
                Mop::Append(k, e) => {
                    self.lists[k as usize].push(e);
                    let _ = write!(s, r#"["append",{k},{e}]"#);
                }
            }
        }
        s.push(']');
        s
    }

    /// The transactions of one anomaly, on keys of their own, by processes of their own.
    fn plant(&mut self, what: Planted, next_process: &mut u64) -> io::Result<()> {
        let (a, b) = (self.new_key(), self.new_key());
        let (p, q) = (*next_process, *next_process + 1);
        *next_process += 2;
        self.written.processes += 2;
        match what {
            Planted::GSingle => {
                let setup = format!(r#"[["append",{a},1],["append",{b},1]]"#);
                self.emit(p, "invoke", &setup)?;
                self.emit(p, "ok", &setup)?;
                let writes = format!(r#"[["append",{a},2],["append",{b},2]]"#);
                self.emit(p, "invoke", &writes)?;
                self.emit(q, "invoke", &format!(r#"[["r",{a},null],["r",{b},null]]"#))?;
                self.emit(p, "ok", &writes)?;
                self.emit(q, "ok", &format!(r#"[["r",{a},[1,2]],["r",{b},[1]]]"#))?;
            }
            Planted::G1c => {
                self.emit(
                    p,
                    "invoke",
                    &format!(r#"[["append",{a},1],["r",{b},null]]"#),
                )?;
                self.emit(
                    q,
                    "invoke",
                    &format!(r#"[["append",{b},1],["r",{a},null]]"#),
                )?;
                self.emit(p, "ok", &format!(r#"[["append",{a},1],["r",{b},[1]]]"#))?;
                self.emit(q, "ok", &format!(r#"[["append",{b},1],["r",{a},[1]]]"#))?;
            }
        }
        Ok(())
    }
}

fn invoke_value(ops: &[Mop]) -> String {
    let parts: Vec<String> = ops
        .iter()
        .map(|op| match *op {
            Mop::Read(k) => format!(r#"["r",{k},null]"#),
            Mop::Append(k, e) => format!(r#"["append",{k},{e}]"#),
        })
        .collect();
    format!("[{}]", parts.join(","))
}

/// Writes a history of `txns` transactions of `shape` (plus those of the planted anomalies,
/// invoked halfway through) as JSON Lines. The same seed gives the same bytes.
pub fn write_history<W: Write>(
    shape: &AppendShape,
    txns: usize,
    seed: u64,
    plant: &[Planted],
    out: W,
) -> io::Result<Written> {
    let mut rng = SplitMix::new(seed ^ 0xa99e_d5ea_5e5e_ed00);
    let mut sim = Sim {
        out: io::BufWriter::with_capacity(1 << 20, out),
        line: String::with_capacity(256),
        index: 0,
        lists: Vec::new(),
        handed: Vec::new(),
        next_element: 0,
        written: Written::default(),
    };
    let mut active: Vec<u64> = (0..shape.active_keys.max(1))
        .map(|_| sim.new_key())
        .collect();
    let clients_n = shape.clients.max(1);
    let mut clients: Vec<(u64, Client)> =
        (0..clients_n as u64).map(|p| (p, Client::Idle)).collect();
    let mut next_process = clients_n as u64;
    sim.written.processes = clients_n as u64;
    let (mut invoked, mut open) = (0usize, 0usize);
    let mut planted = plant.is_empty();
    while invoked < txns || open > 0 {
        if !planted && invoked >= txns / 2 {
            planted = true;
            for &what in plant {
                sim.plant(what, &mut next_process)?;
            }
        }
        let c = rng.below(clients_n as u64) as usize;
        let (process, state) = &mut clients[c];
        match std::mem::replace(state, Client::Idle) {
            Client::Idle => {
                if invoked >= txns {
                    continue;
                }
                let span = shape.max_ops.saturating_sub(shape.min_ops) as u64 + 1;
                let n = (shape.min_ops as u64 + rng.below(span)).max(1);
                let mut ops = Vec::with_capacity(n as usize);
                for _ in 0..n {
                    let slot = rng.below(active.len() as u64) as usize;
                    let key = active[slot];
                    if rng.chance(shape.read_fraction) {
                        ops.push(Mop::Read(key));
                    } else {
                        let e = sim.element_for(key, shape.global_elements);
                        ops.push(Mop::Append(key, e));
                        if sim.handed[key as usize] >= shape.appends_per_key as u64 {
                            active[slot] = sim.new_key();
                        }
                    }
                }
                let invoke = invoke_value(&ops);
                sim.emit(*process, "invoke", &invoke)?;
                invoked += 1;
                open += 1;
                *state = Client::Invoked { ops, invoke };
            }
            Client::Invoked { ops, invoke } => {
                if rng.chance(shape.fail_rate) {
                    sim.emit(*process, "fail", &invoke)?;
                    open -= 1;
                } else if rng.chance(shape.info_rate / 2.0) {
                    // Lost on its way to the database: never takes effect.
                    sim.emit(*process, "info", &invoke)?;
                    open -= 1;
                    *process = next_process;
                    next_process += 1;
                    sim.written.processes += 1;
                } else {
                    let result = sim.apply(&ops);
                    *state = Client::Applied { invoke, result };
                }
            }
            Client::Applied { invoke, result } => {
                if rng.chance(shape.info_rate / 2.0) {
                    // Took effect, but the answer was lost.
                    sim.emit(*process, "info", &invoke)?;
                    *process = next_process;
                    next_process += 1;
                    sim.written.processes += 1;
                } else {
                    sim.emit(*process, "ok", &result)?;
                }
                open -= 1;
            }
        }
    }
    if !planted {
        for &what in plant {
            sim.plant(what, &mut next_process)?;
        }
    }
    sim.out.flush()?;
    Ok(sim.written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::formats::{read_path, Format};
    use crate::History;

    fn history(shape: &AppendShape, txns: usize, plant: &[Planted]) -> (History, Written) {
        let mut bytes = Vec::new();
        let w = write_history(shape, txns, 3, plant, &mut bytes).unwrap();
        let dir = std::env::temp_dir().join(format!("append-shapes-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{}-{}.jsonl", shape.name, plant.len()));
        std::fs::write(&path, &bytes).unwrap();
        let h = read_path(&path, Format::Jsonl).unwrap();
        std::fs::remove_file(&path).unwrap();
        let _ = std::fs::remove_dir(&dir);
        (h, w)
    }

    #[test]
    fn every_shape_writes_paired_readable_histories_with_its_outcomes() {
        for shape in SHAPES {
            let (h, w) = history(shape, 2000, &[]);
            assert_eq!(h.pairs().len(), 2000, "{}", shape.name);
            assert_eq!(w.events as usize, h.len());
            assert_eq!(w.ok + w.fail + w.info, 2000);
            if shape.fail_rate > 0.0 {
                assert!(w.fail > 0 && w.info > 0, "{}: {w:?}", shape.name);
            } else {
                assert_eq!(w.ok, 2000);
            }
            if shape.appends_per_key <= 20 {
                assert!(
                    w.keys > shape.active_keys as u64,
                    "{}: no key retired",
                    shape.name
                );
            }
        }
        assert!(shape("rotating").is_some() && shape("nothing").is_none());
    }

    #[test]
    fn same_seed_same_bytes_and_planting_adds_its_transactions() {
        let s = shape("many-processes").unwrap();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        write_history(s, 500, 9, &[], &mut a).unwrap();
        write_history(s, 500, 9, &[], &mut b).unwrap();
        assert_eq!(a, b);
        let (h, w) = history(s, 500, Planted::ALL);
        // G-single: three transactions; G1c: two.
        assert_eq!(h.pairs().len(), 505);
        assert_eq!(w.ok + w.fail + w.info, 505);
    }
}

//! Random small histories: a real (atomic) object driven by concurrent clients whose operations
//! take effect at a random moment between invocation and completion — so the history is
//! linearizable — and then, sometimes, clients that lie about a result, which usually makes it not.
//! `info` operations may take effect before their completion, after it, or never; refused
//! operations (a compare-and-set that did not match, acquiring a held lock) end `fail`.

use rand::{Rng, RngCore};
use serde_json::json;

use crate::{History, Op, OpType, Value};

/// A sequential object to simulate.
pub trait Sim {
    fn initial(&self) -> Value;
    /// A random operation to invoke: `f` and the invocation's value.
    fn random_op(&self, rng: &mut dyn RngCore) -> (&'static str, Value);
    /// Applies the operation to the real object: the completion value, or `None` if refused.
    fn apply(&self, state: &mut Value, f: &str, value: &Value) -> Option<Value>;
    /// A false `ok` completion value for an operation whose true outcome was `truth` (`None`:
    /// refused), or `None` if this operation cannot lie.
    fn lie(
        &self,
        rng: &mut dyn RngCore,
        f: &str,
        value: &Value,
        truth: Option<&Value>,
    ) -> Option<Value>;
}

struct InFlight {
    pid: u64,
    f: &'static str,
    value: Value,
    applied: Option<Option<Value>>,
}

/// A random history of at most `max_ops` operations over `procs` concurrent clients. `lie_rate`
/// is the chance that an `ok` completion reports a wrong result.
pub fn random_history(
    sim: &dyn Sim,
    rng: &mut dyn RngCore,
    max_ops: usize,
    procs: usize,
    lie_rate: f64,
) -> History {
    let mut state = sim.initial();
    let mut events: Vec<Op> = Vec::new();
    let mut slots: Vec<Option<InFlight>> = (0..procs).map(|_| None).collect();
    let mut pids: Vec<u64> = (0..procs as u64).collect();
    let mut next_pid = procs as u64;
    let mut zombies: Vec<(&'static str, Value)> = Vec::new();
    let mut remaining = max_ops;
    let push = |events: &mut Vec<Op>, pid: u64, kind: OpType, f: &str, v: Value| {
        let i = events.len() as u64;
        events.push(Op::new(i, pid, kind, f, v));
    };
    loop {
        let busy: Vec<usize> = (0..procs).filter(|&s| slots[s].is_some()).collect();
        let idle: Vec<usize> = (0..procs).filter(|&s| slots[s].is_none()).collect();
        if busy.is_empty() && (remaining == 0) {
            break;
        }
        // A late `info` operation may take effect at any time.
        if !zombies.is_empty() && rng.random_bool(0.2) {
            let (f, v) = zombies.swap_remove(rng.random_range(0..zombies.len()));
            sim.apply(&mut state, f, &v);
            continue;
        }
        if remaining > 0 && !idle.is_empty() && (busy.is_empty() || rng.random_bool(0.5)) {
            let s = idle[rng.random_range(0..idle.len())];
            let (f, value) = sim.random_op(rng);
            push(&mut events, pids[s], OpType::Invoke, f, value.clone());
            slots[s] = Some(InFlight {
                pid: pids[s],
                f,
                value,
                applied: None,
            });
            remaining -= 1;
            continue;
        }
        let s = busy[rng.random_range(0..busy.len())];
        let op = slots[s].as_mut().expect("busy slot");
        match &op.applied {
            None if rng.random_bool(0.8) => {
                op.applied = Some(sim.apply(&mut state, op.f, &op.value));
            }
            None => {
                // Times out before taking effect; may still take effect later, or never.
                if rng.random_bool(0.5) {
                    zombies.push((op.f, op.value.clone()));
                }
                push(&mut events, op.pid, OpType::Info, op.f, op.value.clone());
                slots[s] = None;
                pids[s] = next_pid;
                next_pid += 1;
            }
            Some(result) => {
                let result = result.clone();
                let (pid, f, value) = (op.pid, op.f, op.value.clone());
                slots[s] = None;
                if rng.random_bool(0.15) {
                    push(&mut events, pid, OpType::Info, f, value);
                    pids[s] = next_pid;
                    next_pid += 1;
                    continue;
                }
                let lie = if rng.random_bool(lie_rate) {
                    sim.lie(rng, f, &value, result.as_ref())
                } else {
                    None
                };
                match (lie, result) {
                    (Some(v), _) => push(&mut events, pid, OpType::Ok, f, v),
                    (None, Some(v)) => push(&mut events, pid, OpType::Ok, f, v),
                    (None, None) => push(&mut events, pid, OpType::Fail, f, value),
                }
            }
        }
    }
    History::new(events).expect("simulated history is well-formed")
}

fn small(rng: &mut dyn RngCore, n: u64) -> Value {
    json!(rng.random_range(0..n))
}

/// Registers, with compare-and-set or without; initial value 0.
pub struct RegisterSim {
    pub cas: bool,
}

impl Sim for RegisterSim {
    fn initial(&self) -> Value {
        json!(0)
    }
    fn random_op(&self, rng: &mut dyn RngCore) -> (&'static str, Value) {
        match rng.random_range(0..if self.cas { 3 } else { 2 }) {
            0 => ("read", Value::Null),
            1 => ("write", small(rng, 3)),
            _ => ("cas", json!([small(rng, 3), small(rng, 3)])),
        }
    }
    fn apply(&self, state: &mut Value, f: &str, value: &Value) -> Option<Value> {
        match f {
            "read" => Some(state.clone()),
            "write" => {
                *state = value.clone();
                Some(value.clone())
            }
            _ => {
                if *state == value[0] {
                    *state = value[1].clone();
                    Some(value.clone())
                } else {
                    None
                }
            }
        }
    }
    fn lie(
        &self,
        rng: &mut dyn RngCore,
        f: &str,
        value: &Value,
        truth: Option<&Value>,
    ) -> Option<Value> {
        match (f, truth) {
            ("read", _) => Some(small(rng, 4)),
            ("cas", None) => Some(value.clone()),
            _ => None,
        }
    }
}

/// A register whose every write (and compare-and-set) writes a new value, as careful workloads
/// do; initial value 0. Compare-and-sets mostly expect one of the last values invoked, so some
/// succeed and some are refused; a lying read may return a value not written yet.
#[derive(Default)]
pub struct DistinctRegisterSim {
    /// Values written or expected so far, newest last.
    invoked: std::cell::RefCell<Vec<u64>>,
}

impl DistinctRegisterSim {
    fn fresh(&self) -> u64 {
        let mut invoked = self.invoked.borrow_mut();
        let v = invoked.len() as u64 + 1;
        invoked.push(v);
        v
    }
}

impl Sim for DistinctRegisterSim {
    fn initial(&self) -> Value {
        json!(0)
    }
    fn random_op(&self, rng: &mut dyn RngCore) -> (&'static str, Value) {
        match rng.random_range(0..3) {
            0 => ("read", Value::Null),
            1 => ("write", json!(self.fresh())),
            _ => {
                let old = {
                    let invoked = self.invoked.borrow();
                    let back = rng.random_range(0..3).min(invoked.len());
                    if back == 0 {
                        0
                    } else {
                        invoked[invoked.len() - back]
                    }
                };
                ("cas", json!([old, self.fresh()]))
            }
        }
    }
    fn apply(&self, state: &mut Value, f: &str, value: &Value) -> Option<Value> {
        RegisterSim { cas: true }.apply(state, f, value)
    }
    fn lie(
        &self,
        rng: &mut dyn RngCore,
        f: &str,
        value: &Value,
        truth: Option<&Value>,
    ) -> Option<Value> {
        match (f, truth) {
            // Any value written so far, or the next one (not yet invoked).
            ("read", _) => Some(json!(
                rng.random_range(0..=self.invoked.borrow().len() as u64 + 1)
            )),
            ("cas", None) => Some(value.clone()),
            _ => None,
        }
    }
}

/// A lock, initially free.
pub struct MutexSim;

impl Sim for MutexSim {
    fn initial(&self) -> Value {
        json!(false)
    }
    fn random_op(&self, rng: &mut dyn RngCore) -> (&'static str, Value) {
        (
            if rng.random_bool(0.5) {
                "acquire"
            } else {
                "release"
            },
            Value::Null,
        )
    }
    fn apply(&self, state: &mut Value, f: &str, _value: &Value) -> Option<Value> {
        let held = *state == json!(true);
        if (f == "acquire") == held {
            return None;
        }
        *state = json!(!held);
        Some(Value::Null)
    }
    fn lie(
        &self,
        _rng: &mut dyn RngCore,
        _f: &str,
        _v: &Value,
        truth: Option<&Value>,
    ) -> Option<Value> {
        truth.is_none().then_some(Value::Null)
    }
}

/// A set of small integers, read whole.
pub struct SetSim;

impl Sim for SetSim {
    fn initial(&self) -> Value {
        json!([])
    }
    fn random_op(&self, rng: &mut dyn RngCore) -> (&'static str, Value) {
        if rng.random_bool(0.5) {
            ("read", Value::Null)
        } else {
            ("add", small(rng, 4))
        }
    }
    fn apply(&self, state: &mut Value, f: &str, value: &Value) -> Option<Value> {
        let items = state.as_array_mut().expect("set state");
        if f == "add" {
            if !items.contains(value) {
                items.push(value.clone());
                items.sort_by_key(|v| v.as_u64());
            }
            return Some(value.clone());
        }
        Some(Value::Array(items.clone()))
    }
    fn lie(
        &self,
        rng: &mut dyn RngCore,
        f: &str,
        _v: &Value,
        truth: Option<&Value>,
    ) -> Option<Value> {
        if f != "read" {
            return None;
        }
        let mut items = truth?.as_array()?.clone();
        let e = small(rng, 4);
        match items.iter().position(|x| *x == e) {
            Some(at) => {
                items.remove(at);
            }
            None => items.push(e),
        }
        Some(Value::Array(items))
    }
}

/// A queue of small integers (duplicates possible); dequeue on empty returns null. The simulated
/// queue is FIFO, which is also a valid behaviour of an unordered queue.
pub struct QueueSim;

impl Sim for QueueSim {
    fn initial(&self) -> Value {
        json!([])
    }
    fn random_op(&self, rng: &mut dyn RngCore) -> (&'static str, Value) {
        if rng.random_bool(0.5) {
            ("dequeue", Value::Null)
        } else {
            ("enqueue", small(rng, 4))
        }
    }
    fn apply(&self, state: &mut Value, f: &str, value: &Value) -> Option<Value> {
        let items = state.as_array_mut().expect("queue state");
        if f == "enqueue" {
            items.push(value.clone());
            return Some(value.clone());
        }
        if items.is_empty() {
            return Some(Value::Null);
        }
        Some(items.remove(0))
    }
    fn lie(
        &self,
        rng: &mut dyn RngCore,
        f: &str,
        _v: &Value,
        _truth: Option<&Value>,
    ) -> Option<Value> {
        (f == "dequeue").then(|| {
            if rng.random_bool(0.2) {
                Value::Null
            } else {
                small(rng, 4)
            }
        })
    }
}

/// Registers `x` and `y`, read and written by transactions of one or two micro-operations.
pub struct MultiRegisterSim;

impl Sim for MultiRegisterSim {
    fn initial(&self) -> Value {
        json!({"x": 0, "y": 0})
    }
    fn random_op(&self, rng: &mut dyn RngCore) -> (&'static str, Value) {
        let n = rng.random_range(1..=2);
        let micros: Vec<Value> = (0..n)
            .map(|_| {
                let key = if rng.random_bool(0.5) { "x" } else { "y" };
                if rng.random_bool(0.5) {
                    json!(["read", key, null])
                } else {
                    json!(["write", key, small(rng, 3)])
                }
            })
            .collect();
        ("txn", Value::Array(micros))
    }
    fn apply(&self, state: &mut Value, _f: &str, value: &Value) -> Option<Value> {
        let mut out = Vec::new();
        for m in value.as_array().expect("txn") {
            let key = m[1].as_str().expect("key");
            if m[0] == "read" {
                out.push(json!(["read", key, state[key].clone()]));
            } else {
                state[key] = m[2].clone();
                out.push(m.clone());
            }
        }
        Some(Value::Array(out))
    }
    fn lie(
        &self,
        rng: &mut dyn RngCore,
        _f: &str,
        _v: &Value,
        truth: Option<&Value>,
    ) -> Option<Value> {
        let mut micros = truth?.as_array()?.clone();
        let reads: Vec<usize> = (0..micros.len())
            .filter(|&i| micros[i][0] == "read")
            .collect();
        let &i = reads.get(rng.random_range(0..reads.len().max(1)))?;
        micros[i][2] = small(rng, 4);
        Some(Value::Array(micros))
    }
}

/// A string key-value store on one key (Porcupine's kv): get, put, append; initial `""`. Values
/// are short so that appends collide and reads of a wrong concatenation are easy to draw.
pub struct KvSim;

const KV_WORDS: [&str; 3] = ["a", "b", "ab"];

impl Sim for KvSim {
    fn initial(&self) -> Value {
        json!("")
    }
    fn random_op(&self, rng: &mut dyn RngCore) -> (&'static str, Value) {
        let word = json!(KV_WORDS[rng.random_range(0..KV_WORDS.len())]);
        match rng.random_range(0..3) {
            0 => ("get", Value::Null),
            1 => ("put", word),
            _ => ("append", word),
        }
    }
    fn apply(&self, state: &mut Value, f: &str, value: &Value) -> Option<Value> {
        let now = state.as_str().unwrap_or_default().to_string();
        match f {
            "get" => Some(json!(now)),
            "put" => {
                *state = value.clone();
                Some(value.clone())
            }
            _ => {
                *state = json!(now + value.as_str().unwrap_or_default());
                Some(value.clone())
            }
        }
    }
    fn lie(
        &self,
        rng: &mut dyn RngCore,
        f: &str,
        _value: &Value,
        _truth: Option<&Value>,
    ) -> Option<Value> {
        // Only a get can report a wrong result: a string the key may or may not have held.
        let lies = ["", "a", "ab", "ba", "aab", "abab"];
        (f == "get").then(|| json!(lies[rng.random_range(0..lies.len())]))
    }
}

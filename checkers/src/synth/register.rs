//! Register histories (read / write / compare-and-set), the workload of Jepsen's etcd and
//! Knossos's cas-register tests, at any size: one hot key or many keys, with `info` operations
//! that may take effect before their timeout, after it, or never.

use serde_json::json;

use super::SplitMix;
use crate::{History, Op, OpType, Value};

/// Which values writes use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Values {
    /// Drawn from `0..n`, as Jepsen's register workloads do (hard: reads cannot tell writes apart).
    Small(u64),
    /// Every write a new value (what a careful workload does, so reads pin writes).
    Unique,
}

/// Parameters of a simulated register workload. The object is atomic: every operation takes
/// effect at one moment between its invocation and its completion (or, for `info`, at any moment
/// after its invocation, or never), so the history is linearizable unless an anomaly is planted.
#[derive(Clone, Debug)]
pub struct RegisterWorkload {
    pub seed: u64,
    pub clients: usize,
    /// Operations in total (each is an invocation and a completion).
    pub ops: usize,
    /// Number of keys; with more than one, events carry `key` `"k0"`, `"k1"`, ...
    pub keys: usize,
    /// Fraction of operations that end `info`.
    pub info_rate: f64,
    /// Generate compare-and-set operations (else only reads and writes).
    pub cas: bool,
    pub values: Values,
}

impl RegisterWorkload {
    /// Like a Jepsen etcd run: one key, 5 clients, ~85 operations, ~15% `info`, values 0..5.
    pub fn etcd_like(seed: u64) -> Self {
        RegisterWorkload {
            seed,
            clients: 5,
            ops: 85,
            keys: 1,
            info_rate: 0.15,
            cas: true,
            values: Values::Small(5),
        }
    }

    /// One hot key hammered by `clients` clients.
    pub fn hot_key(seed: u64, ops: usize, clients: usize) -> Self {
        RegisterWorkload {
            seed,
            clients,
            ops,
            keys: 1,
            info_rate: 0.01,
            cas: true,
            values: Values::Small(5),
        }
    }

    /// `ops` operations spread over `keys` keys.
    pub fn many_keys(seed: u64, ops: usize, keys: usize) -> Self {
        RegisterWorkload {
            seed,
            clients: 10,
            ops,
            keys,
            info_rate: 0.01,
            cas: true,
            values: Values::Small(5),
        }
    }

    /// A tenth of operations indeterminate, unique values (see [`plant_stale_read`]).
    pub fn indeterminate(seed: u64, ops: usize, info_rate: f64) -> Self {
        RegisterWorkload {
            seed,
            clients: 10,
            ops,
            keys: 1,
            info_rate,
            cas: true,
            values: Values::Unique,
        }
    }

    /// The simulated history. The registers start `null`.
    pub fn generate(&self) -> History {
        let mut rng = SplitMix::new(self.seed);
        let mut registers: Vec<Value> = vec![Value::Null; self.keys];
        let mut next_value: u64 = 1;
        let mut events: Vec<Op> = Vec::with_capacity(self.ops * 2);
        let mut clients: Vec<Option<Flight>> = (0..self.clients).map(|_| None).collect();
        let mut pids: Vec<u64> = (0..self.clients as u64).collect();
        let mut next_pid = self.clients as u64;
        let mut late: Vec<Flight> = Vec::new();
        let mut invoked = 0;
        let mut busy = 0;
        while invoked < self.ops || busy > 0 {
            // An `info` operation that timed out may still take effect.
            if !late.is_empty() && rng.chance(0.05) {
                let at = rng.below(late.len() as u64) as usize;
                let flight = late.swap_remove(at);
                apply(&mut registers[flight.key], &flight);
                continue;
            }
            let c = rng.below(self.clients as u64) as usize;
            match clients[c].take() {
                None if invoked < self.ops => {
                    let key = rng.below(self.keys as u64) as usize;
                    let mut value = |rng: &mut SplitMix| match self.values {
                        Values::Small(n) => json!(rng.below(n)),
                        Values::Unique => {
                            next_value += 1;
                            json!(next_value - 1)
                        }
                    };
                    let (f, v) = match rng.below(if self.cas { 3 } else { 2 }) {
                        0 => ("read", Value::Null),
                        1 => ("write", value(&mut rng)),
                        _ => {
                            let new = value(&mut rng);
                            // Mostly expect the current value, so many succeed.
                            let old = match (&self.values, rng.chance(0.6)) {
                                (Values::Unique, true) => registers[key].clone(),
                                (Values::Small(n), false) => json!(rng.below(*n)),
                                _ => registers[key].clone(),
                            };
                            ("cas", json!([old, new]))
                        }
                    };
                    let info = rng.chance(self.info_rate);
                    let flight = Flight {
                        pid: pids[c],
                        key,
                        f,
                        value: v,
                        info,
                        result: None,
                    };
                    events.push(self.event(&events, &flight, OpType::Invoke, flight.value.clone()));
                    clients[c] = Some(flight);
                    invoked += 1;
                    busy += 1;
                }
                None => {}
                Some(mut flight) if flight.result.is_none() => {
                    if flight.info && rng.chance(0.5) {
                        // Times out before taking effect: maybe later, maybe never.
                        events.push(self.event(
                            &events,
                            &flight,
                            OpType::Info,
                            flight.value.clone(),
                        ));
                        if rng.chance(0.5) {
                            late.push(flight);
                        }
                        pids[c] = next_pid;
                        next_pid += 1;
                        busy -= 1;
                    } else {
                        flight.result = Some(apply(&mut registers[flight.key], &flight));
                        clients[c] = Some(flight);
                    }
                }
                Some(flight) => {
                    let (kind, value) = match flight.result.clone().expect("applied") {
                        _ if flight.info => (OpType::Info, flight.value.clone()),
                        Some(v) => (OpType::Ok, v),
                        None => (OpType::Fail, flight.value.clone()),
                    };
                    events.push(self.event(&events, &flight, kind, value));
                    if flight.info {
                        pids[c] = next_pid;
                        next_pid += 1;
                    }
                    busy -= 1;
                }
            }
        }
        History::new(events).expect("generated history is well-formed")
    }

    fn event(&self, events: &[Op], flight: &Flight, kind: OpType, value: Value) -> Op {
        let index = events.len() as u64;
        let op = Op::new(index, flight.pid, kind, flight.f, value).with_time(index * 1000);
        if self.keys > 1 {
            op.with_key(json!(format!("k{}", flight.key)))
        } else {
            op
        }
    }
}

struct Flight {
    pid: u64,
    key: usize,
    f: &'static str,
    value: Value,
    info: bool,
    /// `Some(Some(v))`: took effect, completion value `v`; `Some(None)`: refused.
    result: Option<Option<Value>>,
}

fn apply(register: &mut Value, flight: &Flight) -> Option<Value> {
    match flight.f {
        "read" => Some(register.clone()),
        "write" => {
            *register = flight.value.clone();
            Some(flight.value.clone())
        }
        _ if *register == flight.value[0] => {
            *register = flight.value[1].clone();
            Some(flight.value.clone())
        }
        _ => None,
    }
}

/// Plants one impossible read in a history of [`Values::Unique`] writes: an `ok` read about 90%
/// of the way through is made to return the value of the first acknowledged write, which later
/// acknowledged writes had overwritten before the read began. Returns the read's completion
/// event index, or `None` if the history has no suitable read.
pub fn plant_stale_read(history: &History) -> Option<(History, u64)> {
    let ops = history.ops();
    let pairs = history.pairs();
    let first_write = pairs
        .iter()
        .find(|p| p.outcome == OpType::Ok && history.invocation(p).f == "write")?;
    let stale = history.value(first_write).clone();
    let done = first_write.complete?;
    // A later acknowledged write that began after the first one completed.
    let overwrite = pairs.iter().find(|p| {
        p.outcome == OpType::Ok
            && p.invoke > done
            && history.invocation(p).f == "write"
            && history.value(p) != &stale
    })?;
    let after = overwrite.complete?;
    let start = (pairs.len() * 9 / 10).max(1);
    let read = pairs[start..]
        .iter()
        .chain(pairs[..start].iter().rev())
        .find(|p| {
            p.outcome == OpType::Ok && p.invoke > after && history.invocation(p).f == "read"
        })?;
    let at = read.complete?;
    let mut events = ops.to_vec();
    let key = events[at].key.clone();
    events[at].value = stale;
    events[at].key = key;
    let index = events[at].index;
    Some((History::new(events).ok()?, index))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_the_requested_shape() {
        let h = RegisterWorkload::etcd_like(3).generate();
        assert_eq!(h.pairs().len(), 85);
        let info = h
            .pairs()
            .iter()
            .filter(|p| p.outcome == OpType::Info)
            .count();
        assert!((3..=30).contains(&info), "{info} info ops");
        let keyed = RegisterWorkload::many_keys(1, 500, 10).generate();
        assert!(keyed.ops().iter().all(|o| o.key.is_some()));
        assert_eq!(
            RegisterWorkload::etcd_like(3).generate().ops(),
            h.ops(),
            "same seed, same history"
        );
    }

    #[test]
    fn planted_read_returns_an_overwritten_value() {
        let h = RegisterWorkload::indeterminate(5, 300, 0.05).generate();
        let (bad, index) = plant_stale_read(&h).expect("a read to plant");
        let event = &bad.ops()[index as usize];
        assert_eq!(event.f, "read");
        assert_eq!(event.kind, OpType::Ok);
        assert_ne!(&h.ops()[index as usize].value, &event.value);
    }
}

//! Raft mode in an in-memory cluster: survives leader kills, partitions and whole-cluster crashes
//! with no lost acknowledged append and no stale read; each planted raft bug produces its anomaly,
//! and the same scenario without the bug does not.

mod sim;

use std::collections::HashMap;

use faultline_checkers::Validity;
use faultline_refnode::bugs::{Bug, Bugs};
use faultline_refnode::modes::raft::RaftMode;
use faultline_refnode::protocol::{OpKind, Outcome};
use serde_json::{json, Value};
use sim::{checks, Sim};

fn cluster(seed: u64, bugs: Bugs) -> Sim<RaftMode> {
    Sim::new(
        3,
        seed,
        bugs,
        Box::new(|ctx| RaftMode::new(ctx).expect("memory journal")),
    )
}

fn leader(sim: &Sim<RaftMode>) -> Option<usize> {
    (0..sim.len())
        .filter(|&i| sim.node(i).is_some_and(|m| m.node().is_leader()))
        .max_by_key(|&i| sim.node(i).map(|m| m.node().term()))
}

fn wait_for_leader(sim: &mut Sim<RaftMode>, max_ms: u64) -> usize {
    for _ in 0..max_ms {
        if let Some(l) = leader(sim) {
            return l;
        }
        sim.step();
    }
    panic!("no leader within {max_ms} ms");
}

/// Reads every key in one transaction through the current leader, retrying until it answers.
fn final_lists(
    sim: &mut Sim<RaftMode>,
    keys: &[&str],
    process: u64,
) -> HashMap<String, Vec<Value>> {
    for attempt in 0..50 {
        let l = wait_for_leader(sim, 5_000);
        let mops: Vec<Value> = keys.iter().map(|k| json!(["r", k, null])).collect();
        let answer = sim.call(process + attempt, l, OpKind::Txn, None, Value::Array(mops));
        if answer.outcome == Outcome::Ok {
            return answer
                .value
                .as_array()
                .expect("txn answer")
                .iter()
                .map(|m| {
                    (
                        m[1].as_str().expect("key").to_string(),
                        m[2].as_array().cloned().unwrap_or_default(),
                    )
                })
                .collect();
        }
        sim.run_for(100);
    }
    panic!("the cluster never answered the final read");
}

/// Clients: each idle process sends a random list-append transaction to the node it believes
/// leads (the simulation's current leader, else a random node). A process whose last answer was
/// `info` is retired and replaced (Jepsen's rule).
struct Clients {
    slots: Vec<u64>,
    next_process: u64,
    next_value: u64,
}

impl Clients {
    fn new(count: usize) -> Clients {
        Clients {
            slots: (0..count as u64).collect(),
            next_process: count as u64,
            next_value: 1,
        }
    }

    fn drive(&mut self, sim: &mut Sim<RaftMode>, keys: &[&str]) {
        for slot in 0..self.slots.len() {
            let p = self.slots[slot];
            if !sim.idle(p) {
                continue;
            }
            if sim
                .answers
                .get(&p)
                .is_some_and(|a| a.outcome == Outcome::Info)
            {
                self.slots[slot] = self.next_process;
                self.next_process += 1;
                continue;
            }
            let node = leader(sim).unwrap_or_else(|| sim.random(sim.len() as u64) as usize);
            let len = 1 + sim.random(3);
            let mut mops = Vec::new();
            for _ in 0..len {
                let k = keys[sim.random(keys.len() as u64) as usize];
                if sim.random(2) == 0 {
                    mops.push(json!(["append", k, self.next_value]));
                    self.next_value += 1;
                } else {
                    mops.push(json!(["r", k, null]));
                }
            }
            sim.invoke(p, node, OpKind::Txn, None, Value::Array(mops));
        }
    }
}

#[test]
fn a_three_node_cluster_elects_a_leader_within_a_second() {
    for seed in 0..10 {
        let mut sim = cluster(seed, Bugs::none());
        wait_for_leader(&mut sim, 1_000);
    }
}

#[test]
fn raft_loses_no_acknowledged_append_and_serves_no_stale_read_under_kills_and_partitions() {
    let keys = ["a", "b", "c"];
    for seed in 1..=4 {
        let mut sim = cluster(seed, Bugs::none());
        let mut clients = Clients::new(6);
        wait_for_leader(&mut sim, 1_000);
        let mut killed = None;
        let mut faults_seen = 0;
        for t in 0..6_000u64 {
            match t {
                1_000 => {
                    killed = leader(&sim);
                    sim.crash(killed.expect("a leader"));
                    faults_seen += 1;
                }
                1_600 => sim.restart(killed.take().expect("killed")),
                2_500 => {
                    let l = leader(&sim).expect("a leader after the kill");
                    let rest: Vec<usize> = (0..3).filter(|&i| i != l).collect();
                    sim.partition(&[&[l], &rest]);
                    faults_seen += 1;
                }
                3_800 => sim.heal(),
                4_500 => {
                    // Every node at once (a power cut): only fsynced state survives.
                    for i in 0..3 {
                        sim.crash(i);
                    }
                    faults_seen += 1;
                }
                4_600 => {
                    for i in 0..3 {
                        sim.restart(i);
                    }
                }
                _ => {}
            }
            clients.drive(&mut sim, &keys);
            sim.step();
        }
        sim.settle(10_000);
        let finals = final_lists(&mut sim, &keys, 1_000_000);
        let anomalies = checks::list_append(sim.history(), &finals);
        assert!(anomalies.is_empty(), "seed {seed}: {anomalies:#?}");
        assert_eq!(
            checks::verdict("list-append", sim.history()),
            Validity::Valid,
            "seed {seed}: Elle"
        );
        let acked = sim
            .history()
            .iter()
            .filter(|o| o.kind == faultline_checkers::OpType::Ok)
            .count();
        assert!(
            acked > 300,
            "seed {seed}: only {acked} operations succeeded"
        );
        assert_eq!(faults_seen, 3);
        let total: usize = finals.values().map(Vec::len).sum();
        assert!(
            total > 100,
            "seed {seed}: final lists hold only {total} elements"
        );
    }
}

/// Read/write/cas on two registers under a leader kill, a partition and a leader pause; the verdict of the
/// `cas-register` linearizability checker.
fn register_run(seed: u64, bugs: Bugs) -> Validity {
    let mut sim = cluster(seed, bugs);
    sim.client_timeout_ms = 300;
    wait_for_leader(&mut sim, 1_000);
    // Half the clients follow the leader, half stay bound to one node each (as a harness
    // client bound to a container does), so a deposed leader still gets requests.
    let mut slots: Vec<u64> = (0..8).collect();
    let mut next_process = 8;
    let mut killed = None;
    let mut paused = None;
    for t in 0..5_000u64 {
        match t {
            800 => {
                killed = leader(&sim);
                sim.crash(killed.expect("a leader"));
            }
            1_400 => sim.restart(killed.take().expect("killed")),
            2_000 => {
                let l = leader(&sim).expect("a leader");
                let rest: Vec<usize> = (0..3).filter(|&i| i != l).collect();
                sim.partition(&[&[l], &rest]);
            }
            3_000 => sim.heal(),
            3_500 => {
                paused = leader(&sim);
                sim.pause(paused.expect("a leader"));
            }
            4_300 => sim.resume(paused.take().expect("paused")),
            _ => {}
        }
        for (i, slot) in slots.iter_mut().enumerate() {
            if !sim.idle(*slot) {
                continue;
            }
            if sim
                .answers
                .get(slot)
                .is_some_and(|a| a.outcome == Outcome::Info)
            {
                *slot = next_process;
                next_process += 1;
            }
            let node = match i % 2 {
                0 => i / 2 % 3,
                _ => leader(&sim).unwrap_or_else(|| sim.random(3) as usize),
            };
            let key = Some(json!(format!("r{}", sim.random(2))));
            let (op, value) = match sim.random(3) {
                0 => (OpKind::Read, Value::Null),
                1 => (OpKind::Write, json!(sim.random(5))),
                _ => (OpKind::Cas, json!([sim.random(5), sim.random(5)])),
            };
            sim.invoke(*slot, node, op, key, value);
        }
        sim.step();
    }
    sim.settle(10_000);
    let oks = sim
        .history()
        .iter()
        .filter(|o| o.kind == faultline_checkers::OpType::Ok)
        .count();
    assert!(oks > 200, "seed {seed}: only {oks} operations succeeded");
    checks::verdict("cas-register", sim.history())
}

#[test]
fn raft_registers_stay_linearizable_under_kills_and_partitions() {
    for seed in 20..23 {
        assert_eq!(
            register_run(seed, Bugs::none()),
            Validity::Valid,
            "seed {seed}"
        );
    }
    // The same run with leader reads unconfirmed is caught.
    assert_eq!(
        register_run(20, Bugs::none().with(Bug::StaleRead)),
        Validity::Invalid
    );
}

/// Writes 1 through the leader, cuts the leader off, writes 2 through the new leader, then reads
/// through the old leader. Returns the anomalies found and the old leader's answer.
fn deposed_leader_read(bugs: Bugs) -> (Vec<String>, Outcome, Validity) {
    let mut sim = cluster(7, bugs);
    let old = wait_for_leader(&mut sim, 1_000);
    let x = Some(json!("x"));
    assert_eq!(
        sim.call(0, old, OpKind::Write, x.clone(), json!(1)).outcome,
        Outcome::Ok
    );
    let rest: Vec<usize> = (0..3).filter(|&i| i != old).collect();
    sim.partition(&[&[old], &rest]);
    let mut new = None;
    for _ in 0..2_000 {
        sim.step();
        new = rest
            .iter()
            .copied()
            .find(|&i| sim.node(i).is_some_and(|m| m.node().is_leader()));
        if new.is_some() {
            break;
        }
    }
    let new = new.expect("the majority elects a new leader");
    assert_eq!(
        sim.call(1, new, OpKind::Write, x.clone(), json!(2)).outcome,
        Outcome::Ok
    );
    let answer = sim.call(2, old, OpKind::Read, x, Value::Null);
    (
        checks::register_stale_reads(sim.history(), &HashMap::new()),
        answer.outcome,
        checks::verdict("cas-register", sim.history()),
    )
}

#[test]
fn stale_read_bug_lets_a_deposed_leader_answer_an_old_value() {
    let (anomalies, outcome, verdict) = deposed_leader_read(Bugs::none().with(Bug::StaleRead));
    assert_eq!(outcome, Outcome::Ok);
    assert_eq!(
        verdict,
        Validity::Invalid,
        "the linearizability checker catches it"
    );
    assert!(
        anomalies.iter().any(|a| a.starts_with("stale")),
        "{anomalies:?}"
    );
    let (clean, outcome, verdict) = deposed_leader_read(Bugs::none());
    assert!(clean.is_empty(), "{clean:?}");
    assert_eq!(verdict, Validity::Valid);
    assert_ne!(
        outcome,
        Outcome::Ok,
        "a correct deposed leader cannot confirm a read"
    );
}

/// Cuts the leader off, then writes 2 through it; after the heal, reads the final value.
fn write_to_isolated_leader(bugs: Bugs) -> (Vec<String>, Outcome, Validity) {
    let mut sim = cluster(11, bugs);
    let old = wait_for_leader(&mut sim, 1_000);
    let x = Some(json!("x"));
    assert_eq!(
        sim.call(0, old, OpKind::Write, x.clone(), json!(1)).outcome,
        Outcome::Ok
    );
    let rest: Vec<usize> = (0..3).filter(|&i| i != old).collect();
    sim.partition(&[&[old], &rest]);
    let outcome = sim.call(1, old, OpKind::Write, x.clone(), json!(2)).outcome;
    sim.run_for(1_000);
    sim.heal();
    sim.run_for(1_000);
    let l = wait_for_leader(&mut sim, 2_000);
    let fin = sim.call(2, l, OpKind::Read, x, Value::Null);
    assert_eq!(fin.outcome, Outcome::Ok);
    let finals = HashMap::from([("x".to_string(), fin.value.as_i64().unwrap_or(0))]);
    (
        checks::register_stale_reads(sim.history(), &finals),
        outcome,
        checks::verdict("cas-register", sim.history()),
    )
}

#[test]
fn early_ack_bug_loses_an_acknowledged_write() {
    let (anomalies, outcome, verdict) = write_to_isolated_leader(Bugs::none().with(Bug::EarlyAck));
    assert_eq!(
        verdict,
        Validity::Invalid,
        "the linearizability checker catches it"
    );
    assert_eq!(
        outcome,
        Outcome::Ok,
        "early-ack acknowledges without a quorum"
    );
    assert!(
        anomalies.iter().any(|a| a.starts_with("lost")),
        "{anomalies:?}"
    );
    let (clean, outcome, verdict) = write_to_isolated_leader(Bugs::none());
    assert_ne!(outcome, Outcome::Ok);
    assert!(clean.is_empty(), "{clean:?}");
    assert_eq!(verdict, Validity::Valid);
}

/// Writers append one element to both `a` and `b` in one transaction; readers read both, in
/// either order (so a non-atomic implementation cannot hide behind a lockstep pipeline).
fn two_key_transactions(bugs: Bugs) -> (Vec<String>, Validity) {
    let mut sim = cluster(5, bugs);
    let l = wait_for_leader(&mut sim, 1_000);
    let mut value = 0;
    for _ in 0..1_500 {
        for p in 0..8u64 {
            if sim.idle(p) {
                let txn = match p % 4 {
                    0 | 2 => {
                        value += 1;
                        json!([["append", "a", value], ["append", "b", value]])
                    }
                    1 => json!([["r", "a", null], ["r", "b", null]]),
                    _ => json!([["r", "b", null], ["r", "a", null]]),
                };
                sim.invoke(p, l, OpKind::Txn, None, txn);
            }
        }
        sim.step();
    }
    sim.settle(5_000);
    let finals = final_lists(&mut sim, &["a", "b"], 100);
    (
        checks::list_append(sim.history(), &finals),
        checks::verdict("list-append", sim.history()),
    )
}

#[test]
fn non_atomic_txn_bug_shows_half_applied_transactions() {
    let (anomalies, verdict) = two_key_transactions(Bugs::none().with(Bug::NonAtomicTxn));
    assert!(
        anomalies.iter().any(|a| a.starts_with("fractured")),
        "{anomalies:?}"
    );
    assert_eq!(verdict, Validity::Invalid, "Elle catches it");
    let (clean, verdict) = two_key_transactions(Bugs::none());
    assert!(clean.is_empty(), "{clean:?}");
    assert_eq!(verdict, Validity::Valid, "Elle accepts the atomic run");
}

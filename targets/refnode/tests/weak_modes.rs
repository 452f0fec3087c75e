//! The weak modes in an in-memory cluster: each shows the anomaly its pattern is known for, and a
//! control run (the safe setting of the same mode) shows none.

mod sim;

use std::collections::HashMap;

use faultline_checkers::Validity;
use faultline_refnode::bugs::{Bug, Bugs};
use faultline_refnode::modes::crdt::{CrdtMode, CrdtOptions};
use faultline_refnode::modes::lww::{LwwMode, LwwOptions};
use faultline_refnode::modes::primary_backup::{PbOptions, PrimaryBackupMode};
use faultline_refnode::modes::quorum::{QuorumMode, QuorumOptions, Resolve};
use faultline_refnode::modes::Mode;
use faultline_refnode::protocol::{OpKind, Outcome};
use serde_json::{json, Value};
use sim::{checks, Sim};

fn set_key() -> Option<Value> {
    Some(json!("s"))
}

/// Adds 1..=10 through the primary, cuts it off, adds 11..=20 through it, waits for failover,
/// heals, and reads the set through the new primary. Returns (lost adds, split brain seen).
fn primary_backup_failover(sync: bool, bugs: Bugs) -> (Vec<String>, bool, Validity) {
    let options = PbOptions {
        sync,
        ..PbOptions::default()
    };
    let mut sim: Sim<PrimaryBackupMode> = Sim::new(
        3,
        3,
        bugs,
        Box::new(move |ctx| PrimaryBackupMode::new(ctx, options.clone()).expect("journal")),
    );
    sim.run_for(300);
    for v in 1..=10 {
        let a = sim.call(0, 0, OpKind::SetAdd, set_key(), json!(v));
        assert_eq!(a.outcome, Outcome::Ok, "{a:?}");
    }
    sim.run_for(50); // replicated before the cut
    sim.partition(&[&[0], &[1, 2]]);
    for v in 11..=20 {
        // In sync mode these cannot be acknowledged; the process is retired after its info.
        sim.call(v, 0, OpKind::SetAdd, set_key(), json!(v));
    }
    sim.run_for(2_500);
    let primaries = (0..3).filter(|&i| role(&sim, i) == "primary").count();
    sim.heal();
    sim.run_for(1_000);
    let read = sim.call(100, 1, OpKind::SetRead, set_key(), Value::Null);
    assert_eq!(
        read.outcome,
        Outcome::Ok,
        "n2 is the primary after failover: {read:?}"
    );
    let final_set = read.value.as_array().cloned().unwrap_or_default();
    (
        checks::lost_adds(sim.history(), "s", &final_set),
        primaries > 1,
        checks::verdict("set", sim.history()),
    )
}

fn role<M: Mode>(sim: &Sim<M>, i: usize) -> String {
    sim.node(i).map(|m| m.status().role).unwrap_or_default()
}

#[test]
fn async_primary_backup_loses_acknowledged_writes_after_failover() {
    let (lost, split_brain, verdict) = primary_backup_failover(false, Bugs::none());
    assert_eq!(lost.len(), 10, "{lost:?}");
    assert_eq!(verdict, Validity::Invalid, "the set checker catches it");
    assert!(
        split_brain,
        "old and new primary both claim the role during the partition"
    );
    let (clean, _, _) = primary_backup_failover(true, Bugs::none());
    assert!(
        clean.is_empty(),
        "sync replication acknowledges nothing it could lose: {clean:?}"
    );
}

/// Writes 1 through n1, then (after it is acknowledged) 2 through n2, waits, and reads every
/// node. `skew` puts n1's clock that far ahead.
fn lww_sequential_writes(skew_nanos: i64) -> (Vec<String>, Vec<Value>, Validity) {
    let mut sim: Sim<LwwMode> = Sim::new(
        3,
        1,
        Bugs::none(),
        Box::new(|ctx| LwwMode::new(ctx, LwwOptions::default()).expect("journal")),
    );
    sim.set_clock_offset(0, skew_nanos);
    let x = Some(json!("x"));
    assert_eq!(
        sim.call(0, 0, OpKind::Write, x.clone(), json!(1)).outcome,
        Outcome::Ok
    );
    sim.run_for(100);
    assert_eq!(
        sim.call(1, 1, OpKind::Write, x.clone(), json!(2)).outcome,
        Outcome::Ok
    );
    sim.run_for(2_000);
    let reads: Vec<Value> = (0..3)
        .map(|i| {
            sim.call(10 + i as u64, i, OpKind::Read, x.clone(), Value::Null)
                .value
        })
        .collect();
    let finals = HashMap::from([("x".to_string(), reads[1].as_i64().unwrap_or(0))]);
    (
        checks::register_stale_reads(sim.history(), &finals),
        reads,
        checks::verdict("register", sim.history()),
    )
}

#[test]
fn lww_loses_an_update_under_clock_skew_and_still_converges() {
    let (anomalies, reads, verdict) = lww_sequential_writes(5_000_000_000);
    assert_eq!(
        verdict,
        Validity::Invalid,
        "the linearizability checker catches it"
    );
    assert!(
        reads.iter().all(|r| *r == reads[0]),
        "replicas converge: {reads:?}"
    );
    assert!(
        anomalies.iter().any(|a| a.starts_with("lost")),
        "{anomalies:?}"
    );
    let (clean, reads, verdict) = lww_sequential_writes(0);
    assert!(clean.is_empty(), "{clean:?}");
    assert_eq!(verdict, Validity::Valid);
    assert_eq!(reads, vec![json!(2); 3]);
}

/// One writer writes 1, 2, 3, ... through n1 while readers read through n2 and n3.
fn quorum_register_run(r: usize, w: usize) -> (Vec<String>, Validity) {
    let options = QuorumOptions {
        r,
        w,
        ..QuorumOptions::default()
    };
    let mut sim: Sim<QuorumMode> = Sim::new(
        3,
        2,
        Bugs::none(),
        Box::new(move |ctx| QuorumMode::new(ctx, options.clone()).expect("journal")),
    );
    sim.latency_ms = (1, 20);
    let x = Some(json!("x"));
    let mut next = 1;
    for _ in 0..3_000 {
        if sim.idle(0) {
            sim.invoke(0, 0, OpKind::Write, x.clone(), json!(next));
            next += 1;
        }
        for p in 1..=4u64 {
            if sim.idle(p) {
                sim.invoke(
                    p,
                    1 + (p as usize % 2),
                    OpKind::Read,
                    x.clone(),
                    Value::Null,
                );
            }
        }
        sim.step();
    }
    sim.settle(3_000);
    (
        checks::register_stale_reads(sim.history(), &HashMap::new()),
        checks::verdict("register", sim.history()),
    )
}

#[test]
fn quorum_with_r_w_one_reads_stale_and_with_overlapping_quorums_does_not() {
    let (stale, verdict) = quorum_register_run(1, 1);
    assert!(stale.iter().any(|a| a.starts_with("stale")), "{stale:?}");
    assert_eq!(
        verdict,
        Validity::Invalid,
        "the linearizability checker catches it"
    );
    let (clean, _) = quorum_register_run(2, 2);
    // Only "no stale read" is promised: a Dynamo quorum is not linearizable even without faults
    // (a read concurrent with a write may see it, a later read may not), so no verdict here.
    assert!(clean.is_empty(), "{clean:?}");
}

/// Three processes add distinct elements concurrently through different coordinators.
fn quorum_concurrent_adds(bugs: Bugs, resolve: Resolve) -> Vec<String> {
    let options = QuorumOptions {
        resolve,
        ..QuorumOptions::default()
    };
    let mut sim: Sim<QuorumMode> = Sim::new(
        3,
        4,
        bugs,
        Box::new(move |ctx| QuorumMode::new(ctx, options.clone()).expect("journal")),
    );
    let mut next = 1;
    // Two clients per coordinator: concurrent writes coordinated by the same node are the case
    // plain vector clocks get wrong (the later counter hides the earlier add).
    for _ in 0..2_000 {
        for p in 0..6u64 {
            if sim.idle(p) {
                sim.invoke(p, (p % 3) as usize, OpKind::SetAdd, set_key(), json!(next));
                next += 1;
            }
        }
        sim.step();
    }
    sim.settle(3_000);
    sim.run_for(500);
    let read = sim.call(10, 0, OpKind::SetRead, set_key(), Value::Null);
    assert_eq!(read.outcome, Outcome::Ok);
    checks::lost_adds(sim.history(), "s", read.value.as_array().expect("set"))
}

#[test]
fn quorum_keeps_concurrent_adds_as_siblings_unless_the_lost_sibling_bug_drops_them() {
    let clean = quorum_concurrent_adds(Bugs::none(), Resolve::VectorClock);
    assert!(clean.is_empty(), "{clean:?}");
    let lost = quorum_concurrent_adds(Bugs::none().with(Bug::LostSibling), Resolve::VectorClock);
    assert!(
        !lost.is_empty(),
        "the lost-sibling bug must lose concurrent adds"
    );
}

#[test]
fn crdt_converges_after_heal_with_no_lost_adds_and_exact_counters() {
    let mut sim: Sim<CrdtMode> = Sim::new(
        3,
        5,
        Bugs::none(),
        Box::new(|ctx| CrdtMode::new(ctx, CrdtOptions::default()).expect("journal")),
    );
    let c = Some(json!("c"));
    let mut expected_counter = 0;
    sim.partition(&[&[0], &[1, 2]]);
    for v in 0..60i64 {
        let node = (v % 3) as usize;
        assert_eq!(
            sim.call(0, node, OpKind::SetAdd, set_key(), json!(v))
                .outcome,
            Outcome::Ok
        );
        let delta = if v % 4 == 0 { -2 } else { 3 };
        assert_eq!(
            sim.call(1, node, OpKind::CounterAdd, c.clone(), json!(delta))
                .outcome,
            Outcome::Ok
        );
        expected_counter += delta;
        if v == 30 {
            // A crash loses nothing acknowledged: adds are journaled before they are answered.
            sim.crash(2);
            sim.restart(2);
        }
        sim.run_for(10);
    }
    let split = sim.call(2, 0, OpKind::SetRead, set_key(), Value::Null);
    assert!(
        split.value.as_array().expect("set").len() < 60,
        "the partition keeps n1 apart"
    );
    sim.heal();
    sim.run_for(1_000);
    let sets: Vec<Value> = (0..3)
        .map(|i| {
            sim.call(3, i, OpKind::SetRead, set_key(), Value::Null)
                .value
        })
        .collect();
    let counters: Vec<Value> = (0..3)
        .map(|i| {
            sim.call(4, i, OpKind::CounterRead, c.clone(), Value::Null)
                .value
        })
        .collect();
    assert!(
        sets.iter().all(|s| *s == sets[0]),
        "replicas converge: {sets:?}"
    );
    assert_eq!(counters, vec![json!(expected_counter); 3]);
    let lost = checks::lost_adds(sim.history(), "s", sets[0].as_array().expect("set"));
    assert!(lost.is_empty(), "{lost:?}");
}

#[test]
fn quorum_with_lww_resolution_loses_concurrent_adds() {
    let lost = quorum_concurrent_adds(Bugs::none(), Resolve::Lww);
    assert!(
        !lost.is_empty(),
        "last-writer-wins keeps one of two concurrent sets"
    );
}

#[test]
fn early_ack_makes_sync_primary_backup_lose_writes_like_async() {
    let (lost, _, verdict) = primary_backup_failover(true, Bugs::none().with(Bug::EarlyAck));
    assert_eq!(lost.len(), 10, "{lost:?}");
    assert_eq!(verdict, Validity::Invalid);
}

/// Writes `x = 1` through n1, cuts the power of every node, restarts them and reads `x` through
/// every node: journals must keep whatever was acknowledged.
fn survives_power_cut<M: Mode>(factory: sim::Factory<M>, op: OpKind, read: OpKind) -> Vec<Value> {
    let mut sim = Sim::new(3, 9, Bugs::none(), factory);
    sim.run_for(300);
    let x = Some(json!("x"));
    assert_eq!(sim.call(0, 0, op, x.clone(), json!(1)).outcome, Outcome::Ok);
    sim.run_for(100);
    for i in 0..3 {
        sim.crash(i);
    }
    for i in 0..3 {
        sim.restart(i);
    }
    sim.run_for(300);
    (0..3)
        .map(|i| {
            sim.call(10 + i as u64, i, read, x.clone(), Value::Null)
                .value
        })
        .collect()
}

#[test]
fn weak_modes_keep_what_they_acknowledged_across_a_power_cut() {
    let lww = survives_power_cut(
        Box::new(|ctx| LwwMode::new(ctx, LwwOptions::default()).expect("journal")),
        OpKind::Write,
        OpKind::Read,
    );
    assert_eq!(lww, vec![json!(1); 3]);
    let quorum = survives_power_cut(
        Box::new(|ctx| QuorumMode::new(ctx, QuorumOptions::default()).expect("journal")),
        OpKind::Write,
        OpKind::Read,
    );
    assert_eq!(quorum, vec![json!(1); 3]);
    let pb = survives_power_cut(
        Box::new(|ctx| PrimaryBackupMode::new(ctx, PbOptions::default()).expect("journal")),
        OpKind::SetAdd,
        OpKind::SetRead,
    );
    assert_eq!(pb[0], json!([1]), "the primary kept its add");
    let crdt = survives_power_cut(
        Box::new(|ctx| CrdtMode::new(ctx, CrdtOptions::default()).expect("journal")),
        OpKind::SetAdd,
        OpKind::SetRead,
    );
    assert_eq!(crdt, vec![json!([1]); 3]);
}

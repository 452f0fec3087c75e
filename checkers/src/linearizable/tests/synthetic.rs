//! Larger generated histories whose verdict is known by construction: a simulated atomic
//! register is linearizable whatever the `info` rate, and a planted stale read never is. They
//! exercise the pruning rules (twins, deferral, dominance) at sizes brute force cannot reach.

use crate::options::CheckOptions;
use crate::registry::check;
use crate::synth::register::plant_stale_read;
use crate::synth::RegisterWorkload;
use crate::Validity;

#[test]
fn simulated_registers_are_linearizable_at_any_info_rate() {
    for (seed, info) in [(1, 0.0), (2, 0.05), (3, 0.15), (4, 0.3)] {
        let mut small = RegisterWorkload::hot_key(seed, 2_000, 10);
        small.info_rate = info;
        let mut unique = RegisterWorkload::indeterminate(seed, 2_000, info);
        unique.keys = 3;
        for h in [small.generate(), unique.generate()] {
            let report = check("cas-register", &h, &CheckOptions::default()).unwrap();
            assert_eq!(
                report.valid,
                Validity::Valid,
                "seed {seed}, info {info}: {report:#?}"
            );
        }
    }
}

#[test]
fn a_planted_stale_read_is_found_and_named() {
    for seed in 0..5 {
        let h = RegisterWorkload::indeterminate(seed, 3_000, 0.05).generate();
        let (bad, index) = plant_stale_read(&h).expect("a read to plant");
        let report = check("cas-register", &bad, &CheckOptions::default()).unwrap();
        assert_eq!(report.valid, Validity::Invalid, "seed {seed}");
        // The blocked operation is the planted read, or one that no order can get past because
        // of it; either way it is not before the planted read's invocation by much.
        let blocked = report.anomalies[0].detail_json()["op"].as_u64().unwrap();
        let planted_invoke = bad
            .pairs()
            .iter()
            .find(|p| p.complete.map(|c| bad.ops()[c].index) == Some(index))
            .map(|p| bad.invocation(p).index)
            .unwrap();
        assert_eq!(
            blocked, planted_invoke,
            "seed {seed}: {}",
            report.anomalies[0].explanation
        );
    }
}

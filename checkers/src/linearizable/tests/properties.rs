//! Property tests: on thousands of small random histories per model (valid ones from a simulated
//! atomic object, and ones where a client lied), the checker agrees with brute force, and every
//! counterexample it gives is a real linearizable prefix that stops before the blocked operation.

use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::brute::brute_force;
use super::sim::*;
use crate::linearizable::{model::Model, models::*};
use crate::options::CheckOptions;
use crate::registry::check as check_model;
use crate::{History, Validity};

fn agree<M: Model>(
    model: &M,
    sim: &dyn Sim,
    seed: u64,
    lie_rate: f64,
) -> Result<(), TestCaseError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let procs = 2 + (seed % 3) as usize;
    let history: History = random_history(sim, &mut rng, 8, procs, lie_rate);
    let initial = sim.initial();
    let options = CheckOptions {
        initial: Some(initial.clone()),
        ..CheckOptions::default()
    };
    let report = check_model(model.name(), &history, &options).expect("check runs");
    let expected = brute_force(model, &history, Some(&initial));
    let got = report.valid;
    prop_assert_ne!(got, Validity::Unknown);
    prop_assert_eq!(
        got == Validity::Valid,
        expected,
        "{} disagrees with brute force on {:#?}\nreport: {:#?}",
        model.name(),
        history.ops(),
        report
    );
    for anomaly in &report.anomalies {
        let detail = anomaly.detail_json();
        let prefix = detail["prefix"].as_array().expect("prefix");
        let op = anomaly.detail_json()["op"].as_u64().expect("op");
        prop_assert!(!prefix.iter().any(|p| p.as_u64() == Some(op)));
        prop_assert!(anomaly.explanation.contains("cannot be placed"));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn register_agrees_with_brute_force(seed in any::<u64>(), lie in 0.0..0.4f64) {
        agree(&Register { cas: false, null_read_unknown: true }, &RegisterSim { cas: false }, seed, lie)?;
    }

    #[test]
    fn cas_register_agrees_with_brute_force(seed in any::<u64>(), lie in 0.0..0.4f64) {
        agree(&Register { cas: true, null_read_unknown: true }, &RegisterSim { cas: true }, seed, lie)?;
    }

    #[test]
    fn multi_register_agrees_with_brute_force(seed in any::<u64>(), lie in 0.0..0.4f64) {
        agree(&MultiRegister, &MultiRegisterSim, seed, lie)?;
    }

    #[test]
    fn set_agrees_with_brute_force(seed in any::<u64>(), lie in 0.0..0.4f64) {
        agree(&Set, &SetSim, seed, lie)?;
    }

    #[test]
    fn queue_agrees_with_brute_force(seed in any::<u64>(), lie in 0.0..0.4f64) {
        agree(&Queue { fifo: false }, &QueueSim, seed, lie)?;
    }

    #[test]
    fn fifo_queue_agrees_with_brute_force(seed in any::<u64>(), lie in 0.0..0.4f64) {
        agree(&Queue { fifo: true }, &QueueSim, seed, lie)?;
    }

    #[test]
    fn kv_agrees_with_brute_force(seed in any::<u64>(), lie in 0.0..0.4f64) {
        agree(&kv::Kv, &KvSim, seed, lie)?;
    }

    #[test]
    fn mutex_agrees_with_brute_force(seed in any::<u64>(), lie in 0.0..0.4f64) {
        agree(&Mutex, &MutexSim, seed, lie)?;
    }
}

/// The generators must produce both verdicts often, or the properties above prove little.
#[test]
fn random_histories_are_both_valid_and_invalid() {
    let sims: [(&dyn Sim, &str); 4] = [
        (&RegisterSim { cas: true }, "cas-register"),
        (&KvSim, "kv"),
        (&QueueSim, "fifo-queue"),
        (&MutexSim, "mutex"),
    ];
    for (sim, name) in sims {
        let (mut valid, mut invalid) = (0, 0);
        for seed in 0..300 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let h = random_history(sim, &mut rng, 8, 3, 0.3);
            let options = CheckOptions {
                initial: Some(sim.initial()),
                ..CheckOptions::default()
            };
            match check_model(name, &h, &options).unwrap().valid {
                Validity::Valid => valid += 1,
                _ => invalid += 1,
            }
        }
        assert!(
            valid > 50 && invalid > 50,
            "{name}: {valid} valid, {invalid} invalid"
        );
    }
}

//! The fault schedule: computed up front from the seed (same seed, same schedule), or read from a
//! schedule file. Sans-IO: a list of [`Step`]s the executor plays against the cluster.

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::action::Step;
use super::faults;

/// How faults are spaced in time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pacing {
    /// Quiet for `interval`, fault for `interval`, and so on (Jepsen's default rhythm).
    Interval,
    /// Quiet and fault periods drawn uniformly from [interval/2, 3·interval/2].
    Random,
}

/// What shapes the generated schedule.
#[derive(Clone, Debug)]
pub struct ScheduleSpec {
    pub kinds: Vec<String>,
    pub nodes: Vec<String>,
    pub interval_secs: f64,
    pub time_limit_secs: f64,
    pub pacing: Pacing,
    /// Largest clock offset or jump, seconds.
    pub max_clock_skew_secs: f64,
    pub loss_probability: f64,
    /// Packet delay (and the reorder gap), ms.
    pub delay_ms: u64,
    pub jitter_ms: u64,
    pub duplicate_probability: f64,
    pub reorder_probability: f64,
}

/// Checks `--nemesis` names; `none` or an empty list means no faults.
pub fn parse_kinds(list: &str) -> Result<Vec<String>, String> {
    let mut kinds = Vec::new();
    for k in list.split(',').map(str::trim).filter(|k| !k.is_empty()) {
        if k == "none" {
            continue;
        }
        if faults::by_word(k).is_none() {
            return Err(format!(
                "unknown nemesis {k:?}; known: none, {}",
                faults::words().collect::<Vec<_>>().join(", ")
            ));
        }
        if !kinds.iter().any(|x| x == k) {
            kinds.push(k.to_string());
        }
    }
    Ok(kinds)
}

/// The schedule for `spec` from `seed`. Every fault that starts also ends before the time limit.
pub fn generate(spec: &ScheduleSpec, seed: u64) -> Vec<Step> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6e65_6d65_7369_7321);
    let mut steps = Vec::new();
    if spec.kinds.is_empty() || spec.interval_secs <= 0.0 {
        return steps;
    }
    let span = |rng: &mut ChaCha8Rng| match spec.pacing {
        Pacing::Interval => spec.interval_secs,
        Pacing::Random => rng.random_range(spec.interval_secs * 0.5..=spec.interval_secs * 1.5),
    };
    let round = |t: f64| (t * 1000.0).round() / 1000.0;
    let mut t = span(&mut rng);
    while t < spec.time_limit_secs {
        let kind = spec.kinds.choose(&mut rng).expect("non-empty").clone();
        let fault = faults::by_word(&kind).expect("kinds come from parse_kinds");
        let (start, end) = fault.draw(&kind, spec, &mut rng);
        let end_at = (t + span(&mut rng)).min(spec.time_limit_secs);
        steps.push(Step {
            at: round(t),
            action: start,
        });
        steps.push(Step {
            at: round(end_at),
            action: end,
        });
        t = end_at + span(&mut rng);
    }
    steps
}

/// Reads a schedule file: a JSON array of steps, or one step per line. Every action must be one
/// a fault of the list owns, with a value that fault accepts.
pub fn parse_file(text: &str, path: &str) -> Result<Vec<Step>, String> {
    let steps: Vec<Step> = if text.trim_start().starts_with('[') {
        let steps: Vec<Step> = serde_json::from_str(text).map_err(|e| format!("{path}: {e}"))?;
        for (i, step) in steps.iter().enumerate() {
            faults::check(&step.action).map_err(|e| format!("{path}: step {}: {e}", i + 1))?;
        }
        steps
    } else {
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                let step: Step =
                    serde_json::from_str(l).map_err(|e| format!("{path}:{}: {e}", i + 1))?;
                faults::check(&step.action).map_err(|e| format!("{path}:{}: {e}", i + 1))?;
                Ok(step)
            })
            .collect::<Result<_, String>>()?
    };
    if let Some(w) = steps.windows(2).find(|w| w[1].at < w[0].at) {
        return Err(format!(
            "{path}: steps must be in time order, but {} s comes after {} s",
            w[1].at, w[0].at
        ));
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kinds: &[&str], pacing: Pacing) -> ScheduleSpec {
        ScheduleSpec {
            kinds: kinds.iter().map(|s| s.to_string()).collect(),
            nodes: vec!["n1".into(), "n2".into(), "n3".into()],
            interval_secs: 2.0,
            time_limit_secs: 20.0,
            pacing,
            max_clock_skew_secs: 5.0,
            loss_probability: 0.2,
            delay_ms: 50,
            jitter_ms: 10,
            duplicate_probability: 0.1,
            reorder_probability: 0.1,
        }
    }

    #[test]
    fn same_seed_same_schedule_and_different_seed_differs() {
        let s = spec(&["partition", "kill", "clock"], Pacing::Random);
        assert_eq!(generate(&s, 7), generate(&s, 7));
        assert_ne!(generate(&s, 7), generate(&s, 8));
    }

    #[test]
    fn faults_alternate_start_end_within_the_time_limit() {
        let steps = generate(&spec(&["partition", "kill", "pause"], Pacing::Interval), 1);
        assert_eq!(steps.len(), 10);
        assert_eq!(steps[0].at, 2.0);
        assert_eq!(steps[1].at, 4.0);
        for pair in steps.chunks(2) {
            let end = match pair[0].action.f.as_str() {
                "partition-start" => "partition-stop".to_string(),
                "kill" => "restart".to_string(),
                "pause" => "resume".to_string(),
                other => panic!("unexpected {other:?}"),
            };
            assert_eq!(pair[1].action.f, end);
            if end != "partition-stop" {
                assert_eq!(pair[1].action.value, pair[0].action.value);
            }
            assert!(pair[1].at <= 20.0);
        }
        assert!(steps.windows(2).all(|w| w[0].at <= w[1].at));
    }

    #[test]
    fn kinds_are_checked() {
        assert_eq!(
            parse_kinds("partition,kill,partition").unwrap(),
            ["partition", "kill"]
        );
        assert!(parse_kinds("none").unwrap().is_empty());
        let err = parse_kinds("partition,earthquake").unwrap_err();
        assert!(err.contains("earthquake") && err.contains("clock-strobe"));
        assert!(generate(&spec(&[], Pacing::Interval), 1).is_empty());
    }

    #[test]
    fn schedule_files_parse_in_both_shapes_and_need_time_order() {
        let lines = "{\"at\":1,\"f\":\"kill\",\"value\":{\"nodes\":[\"n1\"]}}\n\n{\"at\":2,\"f\":\"restart\",\"value\":{\"nodes\":[\"n1\"]}}\n";
        let steps = parse_file(lines, "s.jsonl").unwrap();
        assert_eq!(steps.len(), 2);
        let array = serde_json::to_string(&steps).unwrap();
        assert_eq!(parse_file(&array, "s.json").unwrap(), steps);
        let backwards = "{\"at\":3,\"f\":\"partition-stop\"}\n{\"at\":1,\"f\":\"partition-stop\"}";
        assert!(parse_file(backwards, "b")
            .unwrap_err()
            .contains("time order"));
        assert!(parse_file("{\"at\":1,\"f\":\"melt\"}", "m")
            .unwrap_err()
            .starts_with("m:1:"));
        let bad_value = "[{\"at\":1,\"f\":\"kill\",\"value\":{\"nodes\":3}}]";
        assert!(parse_file(bad_value, "k")
            .unwrap_err()
            .starts_with("k: step 1: kill"));
    }
}

//! The packet-shaping faults on this machine: how close the delay a node's packets get is to the
//! one asked (added round-trip p50/p99 through the NFQUEUE helper, between two Docker nodes), how
//! many packets a second the helper passes, and the scheduler core's own rate. Needs Docker; a
//! case that cannot start its nodes reports `unknown`.

use std::time::{Duration, Instant};

use faultline_checkers::Validity;
use faultline_netq::{Delay, Distribution, Scheduler, Shaping};

use super::{Case, Outcome, Suite};
use crate::backend::docker::probe::{helper_stats, ping, start_echo, start_nodes};
use crate::backend::docker::DockerCluster;
use crate::backend::Cluster;
use crate::docker::DockerClient;

pub const SUITE: Suite = Suite {
    name: "shaping",
    about: "packet delay accuracy (added RTT p50/p99 vs asked) and helper packets/s, through NFQUEUE between two Docker nodes",
    cases,
};

/// How far the added p50 may be from the delay asked and still meet the target.
const TOLERANCE_MS: f64 = 3.0;

fn cases(quick: bool) -> Vec<Case> {
    let probes = if quick { 200 } else { 1000 };
    let flood = if quick { 20_000 } else { 100_000 };
    let mut cases = vec![Case {
        name: format!("scheduler core, {flood} packets, 50±10 ms"),
        target: "the helper's sans-IO core alone (packets/s)",
        limit: None,
        expected: Validity::Valid,
        setup: Box::new(move || Box::new(move || scheduler_core(flood))),
    }];
    for (delay_ms, jitter_ms) in [(10, 0), (50, 0), (50, 10)] {
        cases.push(Case {
            name: format!("delay {delay_ms}±{jitter_ms} ms, {probes} probes"),
            target: "added RTT p50 within 3 ms of the delay asked",
            limit: None,
            expected: Validity::Valid,
            setup: Box::new(move || {
                Box::new(move || {
                    in_docker(async |pair: &Pair| accuracy(pair, delay_ms, jitter_ms, probes).await)
                })
            }),
        });
    }
    cases.push(Case {
        name: format!("helper throughput, {flood}-datagram flood"),
        target: "packets/s one node's helper passes (fail-open lets the rest by)",
        limit: None,
        expected: Validity::Valid,
        setup: Box::new(move || {
            Box::new(move || in_docker(async |pair: &Pair| throughput(pair, flood).await))
        }),
    });
    cases
}

/// The core's rate: every packet in, every packet out, on a simulated clock.
fn scheduler_core(packets: u64) -> Outcome {
    let shaping = Shaping {
        delay: Some(Delay {
            delay_ms: 50,
            jitter_ms: 10,
            distribution: Distribution::Uniform,
        }),
        ..Shaping::default()
    };
    let mut s: Scheduler<u64> = Scheduler::new(shaping, 1);
    let started = Instant::now();
    let mut out = 0;
    for p in 0..packets {
        // 100k packets/s of simulated traffic.
        let now = p * 10_000;
        s.arrive(now, p);
        out += s.release(now).len();
    }
    out += s.drain().len();
    let rate = packets as f64 / started.elapsed().as_secs_f64();
    Outcome {
        ops: packets as usize,
        verdict: if out as u64 == packets {
            Validity::Valid
        } else {
            Validity::Invalid
        },
        search_bytes: 0,
        note: Some(format!("{rate:.0} packets/s")),
    }
}

/// Two nodes with the helper copied in and an echo in n2, for the length of one case.
struct Pair {
    docker: DockerClient,
    cluster: DockerCluster,
}

/// Runs `measure` against a fresh pair; anything that fails is an `unknown` with the reason.
fn in_docker(measure: impl AsyncFnOnce(&Pair) -> Result<Outcome, String>) -> Outcome {
    let rt = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let run_id = format!("bench-shaping-{}", std::process::id());
    let _guard = crate::docker::CleanupGuard::new(&run_id);
    let result = rt.block_on(async {
        let docker = DockerClient::connect().await.map_err(|e| e.to_string())?;
        let cluster = start_nodes(&docker, &run_id, 2)
            .await
            .map_err(|e| e.to_string())?;
        let pair = Pair { docker, cluster };
        let measured = async {
            pair.cluster.shaping_support().await?;
            start_echo(&pair.docker, &pair.cluster.nodes[1])
                .await
                .map_err(|e| e.to_string())?;
            measure(&pair).await
        }
        .await;
        let _ = pair.docker.remove_run(&run_id).await;
        measured
    });
    result.unwrap_or_else(|why| Outcome {
        ops: 0,
        verdict: Validity::Unknown,
        search_bytes: 0,
        note: Some(why),
    })
}

/// Added RTT from n1 (shaped) to n2 (not), against a baseline probe without shaping.
async fn accuracy(
    pair: &Pair,
    delay_ms: u64,
    jitter_ms: u64,
    probes: u64,
) -> Result<Outcome, String> {
    let (n1, n2) = (&pair.cluster.nodes[0], &pair.cluster.nodes[1]);
    let base = ping(&pair.docker, n1, n2, probes.min(200), 2.0)
        .await
        .map_err(|e| e.to_string())?;
    let shaping = Shaping {
        delay: Some(Delay {
            delay_ms,
            jitter_ms,
            distribution: Distribution::Uniform,
        }),
        ..Shaping::default()
    };
    pair.cluster
        .set_shaping("delay", &["n1".to_string()], shaping)
        .await
        .map_err(|e| e.to_string())?;
    // Let the helper's first packets (ARP, the echo's first answers) pass before measuring.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let shaped = ping(&pair.docker, n1, n2, probes, 2.0)
        .await
        .map_err(|e| e.to_string())?;
    pair.cluster
        .set_shaping("delay", &[], Shaping::default())
        .await
        .map_err(|e| e.to_string())?;
    let p50 = shaped.rtt_ms_p50 - base.rtt_ms_p50;
    let p99 = shaped.rtt_ms_p99 - base.rtt_ms_p50;
    let met = shaped.received == probes && (p50 - delay_ms as f64).abs() <= TOLERANCE_MS;
    Ok(Outcome {
        ops: shaped.received as usize,
        verdict: if met {
            Validity::Valid
        } else {
            Validity::Invalid
        },
        search_bytes: 0,
        note: Some(format!(
            "asked {delay_ms}±{jitter_ms} ms: added p50 {p50:.2} ms, p99 {p99:.2} ms (base RTT p50 {:.3} ms; {} of {probes} back)",
            base.rtt_ms_p50, shaped.received
        )),
    })
}

/// A flood through a helper that holds nothing (delay 0): the helper's own count over its own
/// busy span is its rate; what it could not take passed unshaped (fail-open).
async fn throughput(pair: &Pair, flood: u64) -> Result<Outcome, String> {
    let (n1, n2) = (&pair.cluster.nodes[0], &pair.cluster.nodes[1]);
    let pass = Shaping {
        delay: Some(Delay {
            delay_ms: 0,
            jitter_ms: 0,
            distribution: Distribution::Uniform,
        }),
        ..Shaping::default()
    };
    pair.cluster
        .set_shaping("delay", &["n1".to_string()], pass)
        .await
        .map_err(|e| e.to_string())?;
    let flooded = ping(&pair.docker, n1, n2, flood, 0.0)
        .await
        .map_err(|e| e.to_string())?;
    pair.cluster
        .set_shaping("delay", &[], Shaping::default())
        .await
        .map_err(|e| e.to_string())?;
    let stats = helper_stats(&pair.docker, n1)
        .await
        .pop()
        .ok_or("the helper printed no counts")?;
    let packets = stats["packets"].as_u64().unwrap_or(0);
    let seconds = stats["seconds"].as_f64().unwrap_or(0.0);
    let rate = packets as f64 / seconds.max(1e-9);
    Ok(Outcome {
        ops: packets as usize,
        verdict: if packets > 0 {
            Validity::Valid
        } else {
            Validity::Invalid
        },
        search_bytes: 0,
        note: Some(format!(
            "helper passed {packets} packets in {seconds:.3} s = {rate:.0} packets/s; {} of {flood} echoes back",
            flooded.received
        )),
    })
}

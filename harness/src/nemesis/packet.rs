//! Packet faults. Loss uses iptables' `statistic` match in the harness's `FAULTLINE-LOSS` chain, on
//! packets from peer nodes only (clients still reach every node). Delay, duplication and reordering
//! need netem, which this kernel lacks: [`probe_netem`] says so before a run relies on it.

use std::net::Ipv4Addr;

use crate::docker::{DockerClient, NodeContainers};

/// The loss rules of one node: drop `probability` of the packets from each peer.
pub fn loss_rules(peers: &[Ipv4Addr], probability: f64) -> Vec<String> {
    peers
        .iter()
        .map(|ip| {
            format!("-s {ip}/32 -m statistic --mode random --probability {probability:.4} -j DROP")
        })
        .collect()
}

/// Whether the kernel offers netem (needed for delay, duplication, reordering). `Err` says why not.
pub async fn probe_netem(docker: &DockerClient, node: &NodeContainers) -> Result<(), String> {
    let out = docker
        .exec(
            &node.infra,
            &[
                "sh",
                "-c",
                "tc qdisc add dev eth0 root netem delay 1ms && tc qdisc del dev eth0 root",
            ],
        )
        .await
        .map_err(|e| e.to_string())?;
    if out.exit_code == 0 {
        Ok(())
    } else {
        Err(format!(
            "packet delay, duplication and reordering need the kernel's netem qdisc, which this kernel does not have (`tc qdisc add ... netem` said: {}); loss works (iptables statistic), delay does not yet (it needs a user-space NFQUEUE path)",
            out.output.trim()
        ))
    }
}

/// The shell command that sets or clears (`None`) netem delay of (delay, jitter) ms on eth0.
pub fn delay_script(delay: Option<(u64, u64)>) -> String {
    match delay {
        Some((ms, jitter)) => {
            format!("tc qdisc replace dev eth0 root netem delay {ms}ms {jitter}ms")
        }
        None => "tc qdisc del dev eth0 root 2>/dev/null; true".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_rules_name_each_peer() {
        let rules = loss_rules(
            &[Ipv4Addr::new(10, 0, 0, 2), Ipv4Addr::new(10, 0, 0, 4)],
            0.2,
        );
        assert_eq!(rules.len(), 2);
        assert_eq!(
            rules[1],
            "-s 10.0.0.4/32 -m statistic --mode random --probability 0.2000 -j DROP"
        );
    }
}

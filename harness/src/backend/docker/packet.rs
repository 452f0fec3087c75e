//! Packet delay through netem, which this kernel lacks: [`probe_netem`] says so before a run relies
//! on it. (Loss is an iptables rule: see `rules`.)

use crate::docker::{DockerClient, NodeContainers};

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

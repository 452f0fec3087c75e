//! Packet delay, duplication and reordering without netem (this kernel has none): the node's
//! OUTPUT to its peers goes through an NFQUEUE rule in `FAULTLINE-NETQ` to the `faultline-netq`
//! helper, which the nemesis copies into the infra container on first use and starts with the
//! node's [`Shaping`]. A change restarts the helper: the queue rules are flushed first, the old
//! helper releases what it holds on SIGTERM, the new one is bound before rules send it packets.
//! The helper and the rules live in the infra container's namespace, so both go when it is
//! removed (`faultline clean` included); a dead helper lets traffic through (`--queue-bypass`).

use std::net::Ipv4Addr;
use std::path::PathBuf;

use bollard::query_parameters::UploadToContainerOptionsBuilder;
use faultline_netq::{Shaping, DUPLICATE_MARK, QUEUE, READY_LINE};

use super::rules::{queue_rules, restore_heredoc, restore_script, NETQ_CHAIN};
use crate::docker::{DockerClient, DockerError, NodeContainers};

/// The helper's binary name, in this workspace's target folder and in the infra container.
pub const HELPER: &str = "faultline-netq";
/// Where the helper goes in the infra container.
const HELPER_DIR: &str = "/usr/local/bin";
const PID_FILE: &str = "/run/faultline-netq.pid";
const LOG_FILE: &str = "/run/faultline-netq.log";

/// The helper binary on this machine.
pub fn helper_binary() -> Result<PathBuf, String> {
    faultline_targets::reference::find_workspace_binary(
        HELPER,
        "FAULTLINE_NETQ_BIN",
        "faultline-netq",
        None,
    )
    .map_err(|e| format!("the packet-shaping faults need their helper: {e}"))
}

/// Copies the helper into `node`'s infra container.
pub async fn upload_helper(
    docker: &DockerClient,
    node: &NodeContainers,
    binary: &[u8],
) -> Result<(), DockerError> {
    let mut header = tar::Header::new_gnu();
    header.set_size(binary.len() as u64);
    header.set_mode(0o755);
    header.set_mtime(0);
    header.set_cksum();
    let mut archive = tar::Builder::new(Vec::new());
    archive
        .append_data(&mut header, HELPER, binary)
        .and_then(|_| archive.finish())
        .map_err(|e| DockerError::Other(format!("packing {HELPER}: {e}")))?;
    let tar = archive
        .into_inner()
        .map_err(|e| DockerError::Other(format!("packing {HELPER}: {e}")))?;
    docker
        .docker
        .upload_to_container(
            &node.infra,
            Some(
                UploadToContainerOptionsBuilder::new()
                    .path(HELPER_DIR)
                    .build(),
            ),
            bollard::body_full(tar.into()),
        )
        .await
        .map_err(DockerError::api(format!(
            "copying {HELPER} into {}",
            node.infra
        )))
}

/// Binds and unbinds the queue in the node's namespace: NFQUEUE works there.
pub fn check_script() -> String {
    format!("{HELPER_DIR}/{HELPER} check --queue {QUEUE}")
}

/// The script that makes a node's traffic to `peers` shaped as `shaping` (`None`: not at all).
/// `seed` seeds the helper's draws.
pub fn shaping_script(shaping: Option<&Shaping>, peers: &[Ipv4Addr], seed: u64) -> String {
    let flush = restore_heredoc(&restore_script(NETQ_CHAIN, &[]));
    // SIGTERM makes the helper release what it holds; its log (with its counts) goes to the
    // infra container's output, which the run saves as the node's infra.log.
    let stop = format!(
        "if [ -f {PID_FILE} ]; then p=$(cat {PID_FILE}); kill -TERM $p 2>/dev/null; i=0; \
         while kill -0 $p 2>/dev/null && [ $i -lt 200 ]; do sleep 0.01; i=$((i+1)); done; \
         kill -KILL $p 2>/dev/null; cat {LOG_FILE} >/proc/1/fd/2 2>/dev/null; rm -f {PID_FILE}; fi; true"
    );
    let Some(shaping) = shaping else {
        return format!("{flush}\n{stop}");
    };
    let json = serde_json::to_string(shaping).expect("shaping serialises");
    // `setsid -f` forks, so the helper is reparented to the container's init (which reaps it)
    // and outlives this shell.
    let start = format!(
        "setsid -f sh -c 'echo $$ > {PID_FILE}; exec {HELPER_DIR}/{HELPER} serve --queue {QUEUE} --seed {seed} --shaping \"$0\"' '{json}' </dev/null >/dev/null 2>{LOG_FILE}\n\
         i=0; until grep -q '{READY_LINE}' {LOG_FILE} 2>/dev/null; do \
         if [ $i -ge 500 ]; then echo \"{HELPER} did not bind queue {QUEUE} within 5 s:\"; cat {LOG_FILE}; exit 1; fi; \
         sleep 0.01; i=$((i+1)); done"
    );
    let rules = restore_heredoc(&restore_script(
        NETQ_CHAIN,
        &queue_rules(peers, QUEUE, DUPLICATE_MARK),
    ));
    format!("{flush}\n{stop}\n{start}\n{rules}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_netq::Duplicate;

    #[test]
    fn heal_flushes_then_stops_and_shaping_binds_before_the_rules() {
        let heal = shaping_script(None, &[], 0);
        assert!(heal.starts_with("iptables-restore --noflush"));
        assert!(heal.contains(":FAULTLINE-NETQ - [0:0]\nCOMMIT"));
        assert!(heal.contains("kill -TERM") && !heal.contains("serve"));
        let shaping = Shaping {
            duplicate: Some(Duplicate { probability: 0.5 }),
            ..Shaping::default()
        };
        let s = shaping_script(Some(&shaping), &[Ipv4Addr::new(10, 9, 0, 3)], 4);
        let (bound, rules) = (s.find(READY_LINE).unwrap(), s.find("-j NFQUEUE").unwrap());
        assert!(s.find("kill -TERM").unwrap() < s.find("serve").unwrap());
        assert!(bound < rules, "rules only once the helper is bound");
        assert!(s.contains(r#"'{"duplicate":{"probability":0.5}}'"#));
        assert!(s.contains("--seed 4"));
    }
}

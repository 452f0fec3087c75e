//! The iptables rules that enforce partitions and packet loss in a node's network namespace.
//!
//! Rules live in the harness's own chains `FAULTLINE-PART` and `FAULTLINE-LOSS`, jumped to from
//! INPUT, and `FAULTLINE-NETQ` (packet shaping, see `packet`), jumped to from OUTPUT, inside each
//! node's network namespace (owned by the infra container, so a restarted service
//! keeps them). A node drops packets *from* the nodes it holds a grudge against; a symmetric
//! partition is two grudges. All of a node's rules go in one `iptables-restore --noflush` exec:
//! declaring the chain flushes it, and the new rules appear atomically.

use std::net::Ipv4Addr;

/// The partition chain.
pub const PART_CHAIN: &str = "FAULTLINE-PART";
/// The packet-loss chain.
pub const LOSS_CHAIN: &str = "FAULTLINE-LOSS";
/// The packet-shaping chain: what a node sends to its peers goes to the NFQUEUE helper.
pub const NETQ_CHAIN: &str = "FAULTLINE-NETQ";

/// The `iptables-restore --noflush` input that makes `chain` hold exactly `rules`.
pub fn restore_script(chain: &str, rules: &[String]) -> Vec<String> {
    let mut lines = vec!["*filter".to_string(), format!(":{chain} - [0:0]")];
    lines.extend(rules.iter().map(|r| format!("-A {chain} {r}")));
    lines.push("COMMIT".into());
    lines
}

/// DROP rules for the sources `node` holds a grudge against.
pub fn drop_rules(sources: &[Ipv4Addr]) -> Vec<String> {
    sources
        .iter()
        .map(|ip| format!("-s {ip}/32 -j DROP"))
        .collect()
}

/// The loss rules of one node: drop `probability` of the packets from each peer (iptables'
/// `statistic` match, on packets from peer nodes only, so clients still reach every node).
pub fn loss_rules(peers: &[Ipv4Addr], probability: f64) -> Vec<String> {
    peers
        .iter()
        .map(|ip| {
            format!("-s {ip}/32 -m statistic --mode random --probability {probability:.4} -j DROP")
        })
        .collect()
}

/// The shaping rules of one node: what it sends to each peer goes to queue `queue`, except the
/// duplicates the helper sends itself (marked `mark`). `--queue-bypass`: when no helper is bound
/// to the queue (it died, or was never started), packets pass as if the rule were absent, so a
/// dead helper never blackholes traffic.
pub fn queue_rules(peers: &[Ipv4Addr], queue: u16, mark: u32) -> Vec<String> {
    peers
        .iter()
        .map(|ip| {
            format!(
                "-d {ip}/32 -m mark ! --mark {mark:#x} -j NFQUEUE --queue-num {queue} --queue-bypass"
            )
        })
        .collect()
}

/// Creates the chains and jumps to them (INPUT for partitions and loss, OUTPUT for shaping); run
/// once when a node's infra starts.
pub fn install_script() -> Vec<String> {
    vec![
        "*filter".into(),
        format!(":{PART_CHAIN} - [0:0]"),
        format!(":{LOSS_CHAIN} - [0:0]"),
        format!(":{NETQ_CHAIN} - [0:0]"),
        format!("-I INPUT 1 -j {PART_CHAIN}"),
        format!("-I INPUT 1 -j {LOSS_CHAIN}"),
        format!("-I OUTPUT 1 -j {NETQ_CHAIN}"),
        "COMMIT".into(),
    ]
}

/// The exec command that feeds `lines` to `iptables-restore --noflush`.
pub fn restore_command(lines: &[String]) -> Vec<String> {
    let mut cmd = vec![
        "sh".to_string(),
        "-c".to_string(),
        "printf '%s\\n' \"$@\" | iptables-restore --noflush".to_string(),
        "sh".to_string(),
    ];
    cmd.extend(lines.iter().cloned());
    cmd
}

/// A shell command feeding `lines` to `iptables-restore --noflush` through a here-document (for
/// the node's long-lived shell).
pub fn restore_heredoc(lines: &[String]) -> String {
    format!(
        "iptables-restore --noflush <<'FAULTLINE_RULES'\n{}\nFAULTLINE_RULES",
        lines.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_declare_the_chain_so_restore_replaces_it() {
        let s = restore_script(PART_CHAIN, &drop_rules(&[Ipv4Addr::new(10, 0, 0, 3)]));
        assert_eq!(
            s,
            [
                "*filter",
                ":FAULTLINE-PART - [0:0]",
                "-A FAULTLINE-PART -s 10.0.0.3/32 -j DROP",
                "COMMIT"
            ]
        );
        let heredoc = restore_heredoc(&s);
        assert!(heredoc.starts_with("iptables-restore --noflush <<'FAULTLINE_RULES'\n*filter\n"));
        assert!(heredoc.ends_with("COMMIT\nFAULTLINE_RULES"));
        let cmd = restore_command(&s);
        assert_eq!(
            cmd[..4],
            [
                "sh",
                "-c",
                "printf '%s\\n' \"$@\" | iptables-restore --noflush",
                "sh"
            ]
        );
        assert_eq!(cmd.len(), 8);
    }

    #[test]
    fn queue_rules_skip_the_helpers_own_duplicates_and_bypass_a_dead_helper() {
        let rules = queue_rules(&[Ipv4Addr::new(10, 0, 0, 2)], 7, 0x0f17_0001);
        assert_eq!(
            rules,
            ["-d 10.0.0.2/32 -m mark ! --mark 0xf170001 -j NFQUEUE --queue-num 7 --queue-bypass"]
        );
        assert!(install_script().contains(&format!("-I OUTPUT 1 -j {NETQ_CHAIN}")));
    }

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

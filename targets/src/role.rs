//! Who leads: each node's role as the node itself reports it, so the nemesis can aim faults at the
//! leader (or at its followers) when it applies them, and the history can say what it saw.
//!
//! Asked during faults, so every question is bounded by a short timeout and a node that does not
//! answer in time (paused, killed, cut off) is [`Role::Unknown`] rather than a delay.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::target::{ClusterSpec, Target};

/// How long one node may take to say its role before it counts as unknown.
pub const ROLE_TIMEOUT: Duration = Duration::from_millis(300);

/// A node's part in replication, as far as the harness can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Believes it leads (raft leader, primary, etcd leader).
    Leader,
    /// Follows someone, or is trying to be elected: not the leader.
    Follower,
    /// Did not answer in time, or its system has no leader (leaderless modes).
    Unknown,
}

/// One node's role, with the term (raft term, primary epoch) it holds it in, where there is one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeRole {
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term: Option<u64>,
}

impl NodeRole {
    pub const UNKNOWN: NodeRole = NodeRole {
        role: Role::Unknown,
        term: None,
    };
}

/// Every node's role, by node name (`n1`...), as seen at one moment.
pub type Roles = BTreeMap<String, NodeRole>;

/// Asks every node of `cluster` for its role at once, each within [`ROLE_TIMEOUT`].
pub async fn roles(target: &dyn Target, cluster: &ClusterSpec) -> Roles {
    let asks = cluster
        .nodes
        .iter()
        .enumerate()
        .map(|(i, node)| async move {
            let role = tokio::time::timeout(ROLE_TIMEOUT, target.role(cluster, i))
                .await
                .unwrap_or(NodeRole::UNKNOWN);
            (node.name.clone(), role)
        });
    futures_util::future::join_all(asks)
        .await
        .into_iter()
        .collect()
}

/// The node that leads in the newest term: a deposed leader that still believes it leads holds an
/// older term than the one that replaced it. `None` when nobody claims to lead.
pub fn leader(roles: &Roles) -> Option<&str> {
    roles
        .iter()
        .filter(|(_, r)| r.role == Role::Leader)
        .max_by_key(|(name, r)| (r.term, std::cmp::Reverse(name.as_str())))
        .map(|(name, _)| name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(role: Role, term: Option<u64>) -> NodeRole {
        NodeRole { role, term }
    }

    #[test]
    fn the_leader_is_the_claimant_of_the_newest_term() {
        let mut roles = Roles::new();
        roles.insert("n1".into(), r(Role::Leader, Some(3)));
        roles.insert("n2".into(), r(Role::Leader, Some(5)));
        roles.insert("n3".into(), r(Role::Follower, Some(5)));
        assert_eq!(leader(&roles), Some("n2"));
        roles.insert("n2".into(), NodeRole::UNKNOWN);
        assert_eq!(leader(&roles), Some("n1"));
        roles.insert("n1".into(), r(Role::Follower, Some(5)));
        assert_eq!(leader(&roles), None);
    }

    #[test]
    fn roles_serialise_in_the_history_shape() {
        assert_eq!(
            serde_json::to_value(r(Role::Leader, Some(4))).unwrap(),
            serde_json::json!({"role": "leader", "term": 4})
        );
        assert_eq!(
            serde_json::to_value(NodeRole::UNKNOWN).unwrap(),
            serde_json::json!({"role": "unknown"})
        );
    }
}

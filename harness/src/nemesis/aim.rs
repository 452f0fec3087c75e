//! Aimed faults: a fault drawn ahead of time without nodes (`kill {"aim": "leader"}`) and pointed
//! at nodes only when it is applied, from the roles the nodes report at that moment. The schedule
//! is drawn from the seed before the cluster exists, and who leads at second 12 is not known at
//! second 0, so the nodes have to be chosen late.
//!
//! The history records the applied action with the nodes it hit, the aim, the roles seen when they
//! were chosen and whether the aim was met (`hit: false` when nobody claimed the role and a node
//! was picked at random instead): `{"nodes": ["n2"], "aim": "leader", "roles": {...}, "hit": true}`.

use faultline_targets::role::leader;
use faultline_targets::{Role, Roles};
use rand::seq::{IndexedRandom, SliceRandom};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::action::Action;

/// Which nodes an aimed fault picks when it is applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Aim {
    /// The node leading in the newest term (Jepsen's `:primaries`, without deposed leaders).
    Leader,
    /// The leader and random others, as many as a minority holds: `⌊(n-1)/2⌋` nodes.
    LeaderMinority,
    /// One node that is not the leader.
    Follower,
}

impl Aim {
    pub fn name(self) -> &'static str {
        match self {
            Aim::Leader => "leader",
            Aim::LeaderMinority => "leader-minority",
            Aim::Follower => "follower",
        }
    }
}

/// The aim of an action drawn without nodes; `None` for an ordinary action, `Err` for an `aim`
/// that is not one.
pub fn of(action: &Action) -> Result<Option<Aim>, String> {
    match action.value.get("aim") {
        None => Ok(None),
        Some(aim) => serde_json::from_value(aim.clone())
            .map(Some)
            .map_err(|e| format!("{}: aim: {e}", action.f)),
    }
}

/// `value` with `aim` set: how a fault draws an aimed action.
pub fn aimed(f: &str, aim: Aim, mut value: Value) -> Action {
    if !value.is_object() {
        value = Value::Object(Default::default());
    }
    value["aim"] = serde_json::json!(aim);
    Action {
        f: f.to_string(),
        value,
    }
}

/// The nodes `aim` picks among `nodes` given `roles`, and whether the roles allowed the aim (when
/// nobody claims to lead, a random node stands in).
pub fn pick(
    aim: Aim,
    roles: &Roles,
    nodes: &[String],
    rng: &mut ChaCha8Rng,
) -> (Vec<String>, bool) {
    let lead = leader(roles).map(str::to_string);
    let random_one = |rng: &mut ChaCha8Rng| nodes.choose(rng).cloned().into_iter().collect();
    let (mut picked, hit): (Vec<String>, bool) = match aim {
        Aim::Leader => match &lead {
            Some(l) => (vec![l.clone()], true),
            None => (random_one(rng), false),
        },
        Aim::LeaderMinority => {
            let size = nodes.len().saturating_sub(1) / 2;
            let (first, hit) = match &lead {
                Some(l) => (l.clone(), true),
                None => match nodes.choose(rng) {
                    Some(n) => (n.clone(), false),
                    None => return (Vec::new(), false),
                },
            };
            let mut others: Vec<String> = nodes.iter().filter(|n| **n != first).cloned().collect();
            others.shuffle(rng);
            others.truncate(size.saturating_sub(1));
            others.push(first);
            (others, hit)
        }
        Aim::Follower => {
            let followers: Vec<&String> = nodes
                .iter()
                .filter(|n| Some(n.as_str()) != lead.as_deref())
                .filter(|n| roles.get(*n).is_some_and(|r| r.role == Role::Follower))
                .collect();
            match followers.choose(rng) {
                Some(f) => (vec![(*f).clone()], true),
                None => {
                    let others: Vec<&String> = nodes
                        .iter()
                        .filter(|n| Some(n.as_str()) != lead.as_deref())
                        .collect();
                    (
                        others
                            .choose(rng)
                            .map(|n| (*n).clone())
                            .into_iter()
                            .collect(),
                        false,
                    )
                }
            }
        }
    };
    picked.sort();
    (picked, hit)
}

/// The applied action as the history records it: `concrete`'s value plus the aim, the roles seen
/// and whether the aim was met.
pub fn record(concrete: Action, aim: Aim, roles: Option<&Roles>, hit: Option<bool>) -> Action {
    let mut value = match concrete.value {
        Value::Object(map) => Value::Object(map),
        Value::Null => Value::Object(Default::default()),
        other => serde_json::json!({ "value": other }),
    };
    value["aim"] = serde_json::json!(aim);
    if let Some(roles) = roles {
        value["roles"] = serde_json::json!(roles);
    }
    if let Some(hit) = hit {
        value["hit"] = Value::Bool(hit);
    }
    Action {
        f: concrete.f,
        value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_targets::NodeRole;
    use rand::SeedableRng;

    fn nodes(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("n{i}")).collect()
    }

    fn roles(leaders: &[(&str, u64)], n: usize) -> Roles {
        let mut roles: Roles = nodes(n)
            .into_iter()
            .map(|name| {
                (
                    name,
                    NodeRole {
                        role: Role::Follower,
                        term: Some(1),
                    },
                )
            })
            .collect();
        for (name, term) in leaders {
            roles.insert(
                name.to_string(),
                NodeRole {
                    role: Role::Leader,
                    term: Some(*term),
                },
            );
        }
        roles
    }

    #[test]
    fn leader_aims_pick_the_newest_leader_and_followers_never_it() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let seen = roles(&[("n1", 2), ("n3", 4)], 5);
        assert_eq!(
            pick(Aim::Leader, &seen, &nodes(5), &mut rng),
            (vec!["n3".to_string()], true)
        );
        for _ in 0..20 {
            let (f, hit) = pick(Aim::Follower, &seen, &nodes(5), &mut rng);
            assert!(hit && f.len() == 1 && f[0] != "n3" && f[0] != "n1", "{f:?}");
            let (m, hit) = pick(Aim::LeaderMinority, &seen, &nodes(5), &mut rng);
            assert!(
                hit && m.len() == 2 && m.contains(&"n3".to_string()),
                "{m:?}"
            );
        }
        let three = roles(&[("n2", 1)], 3);
        assert_eq!(
            pick(Aim::LeaderMinority, &three, &nodes(3), &mut rng).0,
            ["n2"]
        );
    }

    #[test]
    fn without_a_leader_a_random_node_stands_in_and_says_so() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let none = roles(&[], 3);
        let (picked, hit) = pick(Aim::Leader, &none, &nodes(3), &mut rng);
        assert!(!hit && picked.len() == 1);
        let (picked, hit) = pick(Aim::Follower, &Roles::new(), &nodes(3), &mut rng);
        assert!(!hit && picked.len() == 1);
    }

    #[test]
    fn aims_round_trip_through_the_action_value() {
        let a = aimed("kill", Aim::Leader, Value::Null);
        assert_eq!(a.value, serde_json::json!({"aim": "leader"}));
        assert_eq!(of(&a).unwrap(), Some(Aim::Leader));
        assert_eq!(of(&Action::bare("kill")).unwrap(), None);
        let bad = Action::new("kill", serde_json::json!({"aim": "king"}));
        assert!(of(&bad).unwrap_err().contains("aim"));
        let seen = roles(&[("n1", 3)], 3);
        let done = record(
            Action::new("kill", serde_json::json!({"nodes": ["n1"]})),
            Aim::Leader,
            Some(&seen),
            Some(true),
        );
        assert_eq!(done.value["nodes"][0], "n1");
        assert_eq!(done.value["roles"]["n1"]["role"], "leader");
        assert_eq!(done.value["hit"], true);
    }
}

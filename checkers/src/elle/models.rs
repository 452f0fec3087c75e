//! The consistency-model lattice, as data: which models imply which, which anomalies each model
//! forbids directly, and which anomalies imply others. From these the checker says which models a
//! history rules out (and which are the weakest of those), and which it may still satisfy.
//!
//! Sources: Adya, "Weak Consistency" (thesis, 1999) for PL-1 / PL-2 / PL-2.99 / PL-SI / PL-3 / PL-SS;
//! Bailis et al., "Highly Available Transactions" (VLDB 2014) for read atomic, monotonic atomic
//! view, and lost update under cursor stability / repeatable read; Cerone, Bernardi, Gotsman (CONCUR
//! 2015) for read atomic and causal transactional models; Daudjee & Salem (ICDE 2004, VLDB 2006)
//! for the strong-session and strong variants; Kingsbury & Alvaro, "Elle" (VLDB 2020) for
//! G-nonadjacent, the process / real-time variants and the non-cycle anomalies.

use std::collections::BTreeSet;

/// One consistency model: the models it implies (a history satisfying it satisfies those), and
/// the anomalies it forbids in addition to those its implied models forbid.
pub struct Model {
    pub name: &'static str,
    pub implies: &'static [&'static str],
    pub forbids: &'static [&'static str],
}

/// The lattice. Strongest models first.
pub const MODELS: &[Model] = &[
    Model {
        name: "strict-serializable",
        implies: &[
            "serializable",
            "strong-snapshot-isolation",
            "strong-session-serializable",
        ],
        forbids: &["G1c-realtime", "G2-realtime"],
    },
    Model {
        name: "strong-session-serializable",
        implies: &["serializable", "strong-session-snapshot-isolation"],
        forbids: &["G1-process", "G2-process"],
    },
    Model {
        name: "serializable",
        implies: &["repeatable-read", "snapshot-isolation"],
        forbids: &["internal", "G1", "G2"],
    },
    Model {
        name: "strong-snapshot-isolation",
        implies: &["strong-session-snapshot-isolation", "strong-read-committed"],
        forbids: &["G1-realtime", "G-nonadjacent-realtime"],
    },
    Model {
        name: "strong-session-snapshot-isolation",
        implies: &["snapshot-isolation", "strong-session-read-committed"],
        forbids: &["G1-process", "G-nonadjacent-process"],
    },
    Model {
        name: "snapshot-isolation",
        implies: &["cursor-stability", "monotonic-atomic-view", "causal"],
        forbids: &["internal", "G1", "G-single", "G-nonadjacent"],
    },
    Model {
        name: "repeatable-read",
        implies: &["cursor-stability", "monotonic-atomic-view"],
        forbids: &["G1", "G2-item", "lost-update"],
    },
    Model {
        name: "causal",
        implies: &["read-atomic"],
        forbids: &["internal", "G1a"],
    },
    Model {
        name: "read-atomic",
        implies: &["monotonic-atomic-view"],
        forbids: &["internal", "G1a", "future-read"],
    },
    Model {
        name: "monotonic-atomic-view",
        implies: &["read-committed"],
        forbids: &[],
    },
    Model {
        name: "cursor-stability",
        implies: &["read-committed"],
        forbids: &["G1", "lost-update"],
    },
    Model {
        name: "strong-read-committed",
        implies: &["strong-session-read-committed", "strong-read-uncommitted"],
        forbids: &["G1c-realtime"],
    },
    Model {
        name: "strong-session-read-committed",
        implies: &["read-committed", "strong-session-read-uncommitted"],
        forbids: &["G1c-process"],
    },
    Model {
        name: "read-committed",
        implies: &["read-uncommitted"],
        forbids: &["G1"],
    },
    Model {
        name: "strong-read-uncommitted",
        implies: &["strong-session-read-uncommitted"],
        forbids: &["G0-realtime"],
    },
    Model {
        name: "strong-session-read-uncommitted",
        implies: &["read-uncommitted"],
        forbids: &["G0-process"],
    },
    Model {
        name: "read-uncommitted",
        implies: &[],
        forbids: &["G0", "duplicate-elements", "cyclic-versions"],
    },
];

/// Other names users know models by (Adya's PL levels, "strong serializable").
const ALIASES: &[(&str, &str)] = &[
    ("strong-serializable", "strict-serializable"),
    ("PL-SS", "strict-serializable"),
    ("PL-3", "serializable"),
    ("conflict-serializable", "serializable"),
    ("PL-SI", "snapshot-isolation"),
    ("PL-2.99", "repeatable-read"),
    ("PL-CS", "cursor-stability"),
    ("PL-2", "read-committed"),
    ("PL-1", "read-uncommitted"),
];

/// "Anomaly A present means anomaly B present", so a model forbidding B is ruled out by A. A
/// cycle is trivially also its process and real-time variant; Adya's G1 is G1a ∪ G1b ∪ G1c; a
/// write cycle is a circular information flow; an `-item` cycle (rw edges over items only, the
/// only kind this checker reports) is a case of its family, and G-nonadjacent-item is G2-item
/// (Elle's `implied-anomalies`).
pub const IMPLIES: &[(&str, &[&str])] = &[
    ("G0", &["G1c", "G0-process"]),
    ("G0-process", &["G1c-process", "G0-realtime"]),
    ("G0-realtime", &["G1c-realtime"]),
    ("G1a", &["G1"]),
    ("G1b", &["G1"]),
    ("G1c", &["G1", "G1c-process"]),
    ("G1c-process", &["G1-process", "G1c-realtime"]),
    ("G1c-realtime", &["G1-realtime"]),
    ("G1", &["G1-process"]),
    ("G1-process", &["G1-realtime"]),
    (
        "G-single-item",
        &["G-single", "G-single-item-process", "G-nonadjacent-item"],
    ),
    (
        "G-single-item-process",
        &[
            "G-single-process",
            "G-single-item-realtime",
            "G-nonadjacent-item-process",
        ],
    ),
    (
        "G-single-item-realtime",
        &["G-single-realtime", "G-nonadjacent-item-realtime"],
    ),
    (
        "G-nonadjacent-item",
        &["G-nonadjacent", "G2-item", "G-nonadjacent-item-process"],
    ),
    (
        "G-nonadjacent-item-process",
        &[
            "G-nonadjacent-process",
            "G2-item-process",
            "G-nonadjacent-item-realtime",
        ],
    ),
    (
        "G-nonadjacent-item-realtime",
        &["G-nonadjacent-realtime", "G2-item-realtime"],
    ),
    ("G-single", &["G-nonadjacent", "G-single-process"]),
    (
        "G-single-process",
        &["G-nonadjacent-process", "G-single-realtime"],
    ),
    ("G-single-realtime", &["G-nonadjacent-realtime"]),
    ("G-nonadjacent", &["G2", "G-nonadjacent-process"]),
    (
        "G-nonadjacent-process",
        &["G2-process", "G-nonadjacent-realtime"],
    ),
    ("G-nonadjacent-realtime", &["G2-realtime"]),
    ("G2-item", &["G2", "G2-item-process"]),
    ("G2-item-process", &["G2-process", "G2-item-realtime"]),
    ("G2-item-realtime", &["G2-realtime"]),
    ("G2", &["G2-process"]),
    ("G2-process", &["G2-realtime"]),
    // Elle: two incompatible committed read orders mean some read saw uncommitted state; a write
    // on top of an aborted one is a dirty update, treated like a dirty read; a future read is a
    // trivial information-flow cycle; a lost update is an item anti-dependency cycle.
    ("incompatible-order", &["G1a"]),
    ("dirty-update", &["G1a"]),
    ("future-read", &["G1c"]),
    ("lost-update", &["G2-item"]),
];

/// Resolves a user-given model name (or alias); the error lists the known names.
pub fn canonical(name: &str) -> Result<&'static str, String> {
    if let Some(m) = MODELS.iter().find(|m| m.name == name) {
        return Ok(m.name);
    }
    if let Some(&(_, to)) = ALIASES.iter().find(|(a, _)| *a == name) {
        return Ok(to);
    }
    let known: Vec<&str> = MODELS.iter().map(|m| m.name).collect();
    Err(format!(
        "unknown consistency model {name:?}; known models: {}",
        known.join(", ")
    ))
}

fn model(name: &str) -> &'static Model {
    MODELS
        .iter()
        .find(|m| m.name == name)
        .expect("the lattice only names its own models")
}

/// `name` and every model it implies.
pub fn implied_models(name: &str) -> BTreeSet<&'static str> {
    let mut out = BTreeSet::new();
    let mut todo = vec![canonical(name).unwrap_or("read-uncommitted")];
    while let Some(m) = todo.pop() {
        if out.insert(m) {
            todo.extend(model(m).implies.iter().copied());
        }
    }
    out
}

/// The anomalies present given `found`, closed under [`IMPLIES`].
pub fn implied_anomalies<'a>(found: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut todo: Vec<String> = found.into_iter().map(str::to_string).collect();
    while let Some(a) = todo.pop() {
        if let Some((_, next)) = IMPLIES.iter().find(|(k, _)| *k == a) {
            todo.extend(next.iter().map(|s| s.to_string()));
        }
        out.insert(a);
    }
    out
}

/// Every anomaly `model` forbids (directly or through the models it implies), closed upward:
/// an anomaly that implies a forbidden one is forbidden too.
pub fn forbidden_by(model_name: &str) -> BTreeSet<String> {
    let direct: BTreeSet<&str> = implied_models(model_name)
        .into_iter()
        .flat_map(|m| model(m).forbids.iter().copied())
        .collect();
    IMPLIES
        .iter()
        .map(|(a, _)| *a)
        .chain(direct.iter().copied())
        .filter(|a| {
            implied_anomalies([*a])
                .iter()
                .any(|x| direct.contains(x.as_str()))
        })
        .map(str::to_string)
        .collect()
}

/// What a set of anomalies says about the models.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Boundary {
    /// The weakest models ruled out (every other ruled-out model implies one of these).
    pub not: Vec<&'static str>,
    /// The other ruled-out models.
    pub also_not: Vec<&'static str>,
    /// Models the history may still satisfy.
    pub possible: Vec<&'static str>,
}

/// The models `anomalies` rule out and those still possible.
pub fn boundary<'a>(anomalies: impl IntoIterator<Item = &'a str>) -> Boundary {
    let present = implied_anomalies(anomalies);
    let impossible: BTreeSet<&'static str> = MODELS
        .iter()
        .filter(|m| {
            implied_models(m.name)
                .iter()
                .any(|i| model(i).forbids.iter().any(|a| present.contains(*a)))
        })
        .map(|m| m.name)
        .collect();
    let mut b = Boundary::default();
    for m in MODELS {
        if !impossible.contains(m.name) {
            b.possible.push(m.name);
            continue;
        }
        // Weakest: no other impossible model is implied by it.
        let weaker_impossible = implied_models(m.name)
            .iter()
            .any(|i| *i != m.name && impossible.contains(i));
        if weaker_impossible {
            b.also_not.push(m.name);
        } else {
            b.not.push(m.name);
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_in_the_lattice_is_a_model() {
        for m in MODELS {
            for i in m.implies {
                assert!(
                    MODELS.iter().any(|x| x.name == *i),
                    "{} implies unknown {i}",
                    m.name
                );
            }
        }
        assert_eq!(canonical("PL-3"), Ok("serializable"));
        assert!(canonical("frob")
            .unwrap_err()
            .contains("strict-serializable"));
    }

    #[test]
    fn strict_serializable_implies_everything() {
        assert_eq!(implied_models("strict-serializable").len(), MODELS.len());
    }

    #[test]
    fn g_single_rules_out_snapshot_isolation_but_not_read_committed() {
        let b = boundary(["G-single-item"]);
        assert!(b.not.contains(&"snapshot-isolation"), "{b:?}");
        assert!(b.not.contains(&"repeatable-read"), "{b:?}");
        assert!(b.also_not.contains(&"serializable"));
        assert!(b.also_not.contains(&"strict-serializable"));
        assert!(b.possible.contains(&"read-committed"));
        assert!(b.possible.contains(&"causal"));
        // Over a predicate (not an item), G-single is no G2-item: repeatable read stays possible.
        assert!(boundary(["G-single"]).possible.contains(&"repeatable-read"));
    }

    #[test]
    fn realtime_cycle_rules_out_only_strict_models() {
        let b = boundary(["G-single-item-realtime"]);
        assert_eq!(b.not, vec!["strong-snapshot-isolation"]);
        assert_eq!(b.also_not, vec!["strict-serializable"]);
        assert!(b.possible.contains(&"serializable"));
    }

    #[test]
    fn g0_rules_out_everything() {
        let b = boundary(["G0"]);
        assert_eq!(b.not, vec!["read-uncommitted"]);
        assert!(b.possible.is_empty());
    }

    #[test]
    fn forbidden_sets_follow_the_lattice() {
        let ser = forbidden_by("serializable");
        assert!(ser.contains("G-single") && ser.contains("G1a") && ser.contains("lost-update"));
        assert!(!ser.contains("G-single-realtime"));
        assert!(forbidden_by("strict-serializable").contains("G-single-realtime"));
        // The item forms this checker reports are forbidden wherever their families are.
        assert!(ser.contains("G-single-item") && ser.contains("G-nonadjacent-item"));
        assert!(!ser.contains("G-single-item-realtime"));
        assert!(forbidden_by("strict-serializable").contains("G-single-item-realtime"));
        let si = forbidden_by("snapshot-isolation");
        assert!(si.contains("G-nonadjacent-item") && !si.contains("G2-item"));
        assert!(forbidden_by("repeatable-read").contains("G-single-item"));
        let rc = forbidden_by("read-committed");
        assert!(rc.contains("G1b") && rc.contains("G0") && rc.contains("dirty-update"));
        assert!(!rc.contains("G-single") && !rc.contains("lost-update"));
        assert!(!rc.contains("G-single-item"));
    }
}

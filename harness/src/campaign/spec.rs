//! The campaign file: a TOML document with an optional `[defaults]` table and one or more
//! `[[matrix]]` blocks. Every key of a block is either an axis of the matrix (a list: `modes`,
//! `workloads`, `nemeses`, `seeds`, `target-options`) or a setting of each run, named exactly as the
//! `faultline run` flag it becomes (`time-limit`, `concurrency`, ...). A block inherits every key it
//! does not set from `[defaults]`.
//!
//! Loading checks each field on its own and names it (`FILE: matrix[2].target-options[1]: ...`),
//! so a typo is found before any run starts; what only a whole run can tell (a nemesis the target
//! cannot take) is checked by the runner with [`crate::run::prepare`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::error::CampaignError;
use crate::nemesis::schedule::parse_kinds;
use crate::run::RunSettings;

/// The file as written. Every field is optional so that `[defaults]` and `[[matrix]]` share one
/// shape; [`load`] decides what is required.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct CampaignFile {
    /// Folder name under `results/campaigns/`; default: the file's stem.
    name: Option<String>,
    description: Option<String>,
    defaults: Option<Settings>,
    #[serde(default)]
    matrix: Vec<Settings>,
}

/// One `[[matrix]]` block, or `[defaults]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Settings {
    /// A label for the block, shown when it is reported (matrix blocks only).
    label: Option<String>,
    target: Option<String>,
    /// A target spec file, relative to the campaign file; instead of `target`.
    target_spec: Option<PathBuf>,
    modes: Option<Vec<String>>,
    /// Option sets: each table is one run's `--target-option NAME=VALUE`s.
    target_options: Option<Vec<BTreeMap<String, toml::Value>>>,
    bug: Option<String>,
    workloads: Option<Vec<String>>,
    workload_options: Option<BTreeMap<String, toml::Value>>,
    /// Each entry is one run's `--nemesis` (`"partition,kill"`, `"none"`).
    nemeses: Option<Vec<String>>,
    seeds: Option<Vec<u64>>,
    /// A schedule file, relative to the campaign file; replaces the generated fault schedule.
    schedule: Option<PathBuf>,
    nodes: Option<u64>,
    time_limit: Option<f64>,
    concurrency: Option<u64>,
    rate: Option<f64>,
    nemesis_interval: Option<f64>,
    nemesis_pacing: Option<String>,
    op_timeout_ms: Option<u64>,
    recovery: Option<f64>,
    health_timeout: Option<f64>,
    final_read_timeout: Option<f64>,
    max_clock_skew: Option<f64>,
    loss_probability: Option<f64>,
    delay_ms: Option<u64>,
    jitter_ms: Option<u64>,
    duplicate_probability: Option<f64>,
    reorder_probability: Option<f64>,
    check_budget: Option<f64>,
}

/// A loaded, checked campaign.
#[derive(Clone, Debug)]
pub struct Campaign {
    pub name: String,
    pub description: Option<String>,
    pub file: PathBuf,
    pub blocks: Vec<Block>,
}

/// One `[[matrix]]` block with `[defaults]` applied and every field checked.
#[derive(Clone, Debug)]
pub struct Block {
    /// Position in the file (`matrix[index]`).
    pub index: usize,
    pub label: Option<String>,
    pub target: String,
    /// `None` only for a target without modes.
    pub modes: Vec<Option<String>>,
    pub option_sets: Vec<BTreeMap<String, String>>,
    pub bug: Option<String>,
    pub workloads: Vec<String>,
    /// `NAME=VALUE`, as `--workload-option` takes them.
    pub workload_options: Vec<String>,
    pub nemeses: Vec<String>,
    pub seeds: Vec<u64>,
    pub schedule: Option<PathBuf>,
    /// `None`: the target's own default.
    pub nodes: Option<usize>,
    /// `faultline run`'s settings with those the block or `[defaults]` gives.
    pub settings: RunSettings,
}

/// Reads one of the seconds-valued settings of a block.
type SecondsField = fn(&Settings) -> &Option<f64>;

/// A bad-input error that names the file and the field.
fn bad(file: &Path, field: &str, message: impl std::fmt::Display) -> CampaignError {
    CampaignError::Field {
        file: file.to_path_buf(),
        field: field.to_string(),
        message: message.to_string(),
    }
}

/// Reads and checks a campaign file.
pub fn load(path: &Path) -> Result<Campaign, CampaignError> {
    let text = std::fs::read_to_string(path).map_err(|source| CampaignError::Unreadable {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, path)
}

/// Parses and checks campaign text; `path` names the file in errors and anchors `schedule` paths.
pub fn parse(text: &str, path: &Path) -> Result<Campaign, CampaignError> {
    let file: CampaignFile = toml::from_str(text).map_err(|source| CampaignError::Toml {
        path: path.to_path_buf(),
        source,
    })?;
    let name = match &file.name {
        Some(n) => n.clone(),
        None => path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    if name.is_empty() || name.contains('/') || name.starts_with('.') {
        return Err(bad(
            path,
            "name",
            format!("{name:?} must be a plain folder name"),
        ));
    }
    if file.matrix.is_empty() {
        return Err(bad(
            path,
            "matrix",
            "no [[matrix]] blocks; a campaign needs at least one",
        ));
    }
    let defaults = file.defaults.unwrap_or_default();
    if defaults.label.is_some() {
        return Err(bad(
            path,
            "defaults.label",
            "labels belong to [[matrix]] blocks",
        ));
    }
    let base = path.parent().unwrap_or(Path::new(""));
    let blocks = file
        .matrix
        .iter()
        .enumerate()
        .map(|(i, block)| resolve(path, base, i, block, &defaults))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Campaign {
        name,
        description: file.description,
        file: path.to_path_buf(),
        blocks,
    })
}

/// A field's value from the block, else from `[defaults]`, with the path that names it in errors.
fn pick<'a, T>(
    index: usize,
    block: &'a Settings,
    defaults: &'a Settings,
    field: fn(&Settings) -> &Option<T>,
    key: &str,
) -> Option<(&'a T, String)> {
    if let Some(v) = field(block) {
        return Some((v, format!("matrix[{index}].{key}")));
    }
    field(defaults)
        .as_ref()
        .map(|v| (v, format!("defaults.{key}")))
}

/// A TOML scalar as the text a command-line flag would take.
fn scalar_text(value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(n) => Some(n.to_string()),
        toml::Value::Float(x) => Some(x.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The block's target as `faultline_targets::by_name` takes it, with the field that names it:
/// `target`, or `target-spec` (a spec file relative to the campaign file, as `spec:PATH`). The
/// block's choice wins over `[defaults]`; one table giving both is an error.
fn target_of(
    file: &Path,
    base: &Path,
    i: usize,
    block: &Settings,
    defaults: &Settings,
) -> Result<(String, String), CampaignError> {
    let spec_target = |path: &Path| {
        format!(
            "{}{}",
            faultline_targets::SPEC_PREFIX,
            base.join(path).display()
        )
    };
    for (table, at) in [
        (block, format!("matrix[{i}]")),
        (defaults, "defaults".to_string()),
    ] {
        match (&table.target, &table.target_spec) {
            (Some(_), Some(_)) => {
                return Err(bad(
                    file,
                    &format!("{at}.target-spec"),
                    "give target or target-spec, not both",
                ))
            }
            (Some(name), None) => return Ok((name.clone(), format!("{at}.target"))),
            (None, Some(path)) => return Ok((spec_target(path), format!("{at}.target-spec"))),
            (None, None) => {}
        }
    }
    Ok(("reference".to_string(), format!("matrix[{i}].target")))
}

fn resolve(
    file: &Path,
    base: &Path,
    i: usize,
    block: &Settings,
    defaults: &Settings,
) -> Result<Block, CampaignError> {
    let target_name = target_of(file, base, i, block, defaults)?;
    let target =
        faultline_targets::by_name(&target_name.0).map_err(|e| bad(file, &target_name.1, e))?;
    let spec = |mode: Option<String>, options: BTreeMap<String, String>, bug: Option<String>| {
        faultline_targets::ClusterSpec {
            nodes: Vec::new(),
            mode,
            bug,
            options,
        }
    };
    // A list axis must not be empty: an empty list would silently make the block run nothing.
    let list = |key: &str, v: Option<(&Vec<String>, String)>| -> Result<_, CampaignError> {
        match v {
            Some((items, field)) if items.is_empty() => Err(bad(
                file,
                &field,
                format!("empty list; leave {key} out for the default"),
            )),
            Some((items, field)) => Ok(Some((items.clone(), field))),
            None => Ok(None),
        }
    };

    let modes = match list("modes", pick(i, block, defaults, |s| &s.modes, "modes"))? {
        Some((modes, field)) => {
            for (j, mode) in modes.iter().enumerate() {
                faultline_targets::validate_cluster(
                    target.as_ref(),
                    &spec(Some(mode.clone()), BTreeMap::new(), None),
                )
                .map_err(|e| bad(file, &format!("{field}[{j}]"), e))?;
            }
            modes.into_iter().map(Some).collect()
        }
        // The target's default mode, named, so tables and commands say which mode ran.
        None => vec![target.modes().first().map(|m| m.to_string())],
    };

    let option_sets = match pick(i, block, defaults, |s| &s.target_options, "target-options") {
        Some((sets, field)) if sets.is_empty() => {
            return Err(bad(
                file,
                &field,
                "empty list; use [{}] for a run without options",
            ))
        }
        Some((sets, field)) => {
            let mut out = Vec::new();
            for (k, set) in sets.iter().enumerate() {
                let mut options = BTreeMap::new();
                for (name, value) in set {
                    let text = scalar_text(value).ok_or_else(|| {
                        bad(
                            file,
                            &format!("{field}[{k}].{name}"),
                            "expected a string, number or boolean",
                        )
                    })?;
                    options.insert(name.clone(), text);
                }
                faultline_targets::validate_cluster(
                    target.as_ref(),
                    &spec(None, options.clone(), None),
                )
                .map_err(|e| bad(file, &format!("{field}[{k}]"), e))?;
                out.push(options);
            }
            out
        }
        None => vec![BTreeMap::new()],
    };

    let bug = pick(i, block, defaults, |s| &s.bug, "bug").map(|(b, _)| b.clone());

    let workload_options = match pick(
        i,
        block,
        defaults,
        |s| &s.workload_options,
        "workload-options",
    ) {
        Some((table, field)) => {
            let mut out = Vec::new();
            for (name, value) in table {
                let text = scalar_text(value).ok_or_else(|| {
                    bad(
                        file,
                        &format!("{field}.{name}"),
                        "expected a string, number or boolean",
                    )
                })?;
                let pair = format!("{name}={text}");
                faultline_workloads::WorkloadOptions::default()
                    .set_pair(&pair)
                    .map_err(|e| bad(file, &format!("{field}.{name}"), e))?;
                out.push(pair);
            }
            out
        }
        None => Vec::new(),
    };

    let workloads = match list(
        "workloads",
        pick(i, block, defaults, |s| &s.workloads, "workloads"),
    )? {
        Some((names, field)) => {
            for (j, name) in names.iter().enumerate() {
                // Options are checked above; here only the name can be wrong.
                faultline_workloads::by_name(
                    name,
                    &faultline_workloads::WorkloadOptions::default(),
                )
                .map_err(|e| bad(file, &format!("{field}[{j}]"), e))?;
            }
            names
        }
        None => vec!["register".to_string()],
    };

    let nemeses = match list(
        "nemeses",
        pick(i, block, defaults, |s| &s.nemeses, "nemeses"),
    )? {
        Some((kinds, field)) => {
            for (j, k) in kinds.iter().enumerate() {
                parse_kinds(k).map_err(|e| bad(file, &format!("{field}[{j}]"), e))?;
            }
            kinds
        }
        // The same default as `faultline run`, so a campaign run repeats as its printed command.
        None => vec![crate::run::plan::DEFAULT_NEMESIS.to_string()],
    };

    let seeds = match pick(i, block, defaults, |s| &s.seeds, "seeds") {
        Some((seeds, field)) if seeds.is_empty() => {
            return Err(bad(file, &field, "empty list; leave seeds out for [1]"))
        }
        Some((seeds, _)) => seeds.clone(),
        // A fixed seed, so the same campaign file replays the same runs.
        None => vec![1],
    };

    let schedule = match pick(i, block, defaults, |s| &s.schedule, "schedule") {
        Some((p, field)) => {
            let resolved = base.join(p);
            if !resolved.is_file() {
                return Err(bad(
                    file,
                    &field,
                    format!("schedule file {} does not exist", resolved.display()),
                ));
            }
            Some(resolved)
        }
        None => None,
    };

    let mut settings = RunSettings::DEFAULT;
    let count = |key: &'static str, f: fn(&Settings) -> &Option<u64>| match pick(
        i, block, defaults, f, key,
    ) {
        Some((0, field)) => Err(bad(file, &field, "must be at least 1")),
        Some((v, field)) => Ok(Some((*v, field))),
        None => Ok(None),
    };
    let too_big = |field: &str| bad(file, field, "is too large");
    let nodes = match count("nodes", |s| &s.nodes)? {
        Some((v, field)) => Some(usize::try_from(v).map_err(|_| too_big(&field))?),
        None => None,
    };
    if let Some((v, field)) = count("concurrency", |s| &s.concurrency)? {
        settings.concurrency = u32::try_from(v).map_err(|_| too_big(&field))?;
    }
    if let Some((v, _)) = count("op-timeout-ms", |s| &s.op_timeout_ms)? {
        settings.op_timeout_ms = v;
    }
    // Zero is a fine delay or jitter (the other shaping faults alone), so not `count`.
    if let Some((v, _)) = pick(i, block, defaults, |s| &s.delay_ms, "delay-ms") {
        settings.delay_ms = *v;
    }
    if let Some((v, _)) = pick(i, block, defaults, |s| &s.jitter_ms, "jitter-ms") {
        settings.jitter_ms = *v;
    }
    // Seconds: `positive` ones must be above zero, the others may be zero.
    type Slot = fn(&mut RunSettings) -> &mut f64;
    let seconds: [(&'static str, SecondsField, bool, Slot); 10] = [
        (
            "time-limit",
            |s| &s.time_limit,
            true,
            |r| &mut r.time_limit_secs,
        ),
        (
            "nemesis-interval",
            |s| &s.nemesis_interval,
            true,
            |r| &mut r.nemesis_interval_secs,
        ),
        ("recovery", |s| &s.recovery, false, |r| &mut r.recovery_secs),
        (
            "health-timeout",
            |s| &s.health_timeout,
            true,
            |r| &mut r.health_timeout_secs,
        ),
        (
            "final-read-timeout",
            |s| &s.final_read_timeout,
            true,
            |r| &mut r.final_read_timeout_secs,
        ),
        (
            "max-clock-skew",
            |s| &s.max_clock_skew,
            false,
            |r| &mut r.max_clock_skew_secs,
        ),
        (
            "loss-probability",
            |s| &s.loss_probability,
            false,
            |r| &mut r.loss_probability,
        ),
        (
            "duplicate-probability",
            |s| &s.duplicate_probability,
            false,
            |r| &mut r.duplicate_probability,
        ),
        (
            "reorder-probability",
            |s| &s.reorder_probability,
            false,
            |r| &mut r.reorder_probability,
        ),
        (
            "check-budget",
            |s| &s.check_budget,
            true,
            |r| &mut r.check_budget_secs,
        ),
    ];
    let checked = |key: &str, f: SecondsField, positive: bool| -> Result<_, CampaignError> {
        let Some((v, field)) = pick(i, block, defaults, f, key) else {
            return Ok(None);
        };
        let ok = v.is_finite() && if positive { *v > 0.0 } else { *v >= 0.0 };
        if !ok {
            let expected = if positive { "above 0" } else { "0 or more" };
            return Err(bad(file, &field, format!("must be {expected}, not {v}")));
        }
        if key.ends_with("-probability") && *v > 1.0 {
            return Err(bad(file, &field, format!("must be within 0..1, not {v}")));
        }
        Ok(Some(*v))
    };
    for (key, f, positive, slot) in seconds {
        if let Some(v) = checked(key, f, positive)? {
            *slot(&mut settings) = v;
        }
    }
    settings.rate = checked("rate", |s| &s.rate, true)?;
    if let Some((p, field)) = pick(i, block, defaults, |s| &s.nemesis_pacing, "nemesis-pacing") {
        settings.nemesis_pacing = p.parse().map_err(|e| bad(file, &field, e))?;
    }

    Ok(Block {
        index: i,
        label: block.label.clone(),
        target: target_name.0,
        modes,
        option_sets,
        bug,
        workloads,
        workload_options,
        nemeses,
        seeds,
        schedule,
        nodes,
        settings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<Campaign, String> {
        parse(text, Path::new("campaigns/test.toml")).map_err(|e| {
            assert!(
                matches!(e, CampaignError::Field { .. } | CampaignError::Toml { .. }),
                "a file error, not a run's: {e:?}"
            );
            e.to_string()
        })
    }

    fn error(text: &str) -> String {
        parse_str(text).expect_err("should be refused")
    }

    #[test]
    fn a_full_block_with_defaults_resolves() {
        let c = parse_str(
            r#"
            name = "demo"
            [defaults]
            time-limit = 10
            recovery = 1.5
            seeds = [1, 2]
            [[matrix]]
            label = "quorum settings"
            modes = ["quorum"]
            target-options = [{ w = 3, r = 1 }, { w = 1, r = 1, read-repair = false }]
            workloads = ["register", "kv"]
            workload-options = { key-count = 4 }
            nemeses = ["partition", "partition,kill"]
            time-limit = 5
            "#,
        )
        .unwrap();
        assert_eq!(c.name, "demo");
        let b = &c.blocks[0];
        assert_eq!(b.target, "reference");
        assert_eq!(b.modes, vec![Some("quorum".to_string())]);
        assert_eq!(b.option_sets[1]["read-repair"], "false");
        assert_eq!(b.option_sets[0]["w"], "3");
        assert_eq!(b.workload_options, vec!["key-count=4".to_string()]);
        assert_eq!(b.seeds, vec![1, 2]);
        // The block's own time-limit wins over the default; recovery comes from [defaults].
        assert_eq!(b.settings.time_limit_secs, 5.0);
        assert_eq!(b.settings.recovery_secs, 1.5);
        assert_eq!(b.settings.concurrency, RunSettings::DEFAULT.concurrency);
    }

    #[test]
    fn defaults_fill_what_a_file_leaves_out() {
        let c = parse_str("[[matrix]]\n").unwrap();
        assert_eq!(c.name, "test", "name defaults to the file stem");
        let b = &c.blocks[0];
        assert_eq!(
            b.modes,
            vec![Some("raft".to_string())],
            "the target's first mode"
        );
        assert_eq!(b.workloads, vec!["register"]);
        assert_eq!(b.nemeses, vec!["partition-leader"]);
        assert_eq!(b.seeds, vec![1]);
        assert_eq!(b.option_sets, vec![BTreeMap::new()]);
        assert_eq!(b.settings, RunSettings::DEFAULT);
        assert_eq!(b.nodes, None);
    }

    #[test]
    fn errors_name_the_file_and_the_field() {
        let cases = [
            (
                "[[matrix]]\nmodes = [\"raft\", \"paxos\"]\n",
                "matrix[0].modes[1]",
            ),
            (
                "[[matrix]]\n[[matrix]]\ntarget-options = [{ w = 2 }, { quorum = 3 }]\n",
                "matrix[1].target-options[1]",
            ),
            (
                "[[matrix]]\ntarget-options = [{ replication = \"eventual\" }]\n",
                "matrix[0].target-options[0]",
            ),
            (
                "[[matrix]]\ntarget-options = [{ w = [1] }]\n",
                "matrix[0].target-options[0].w",
            ),
            (
                "[[matrix]]\nworkloads = [\"regster\"]\n",
                "matrix[0].workloads[0]",
            ),
            (
                "[[matrix]]\nworkload-options = { key-cont = 3 }\n",
                "matrix[0].workload-options.key-cont",
            ),
            (
                "[[matrix]]\nnemeses = [\"partition,crash\"]\n",
                "matrix[0].nemeses[0]",
            ),
            (
                "[defaults]\ntarget = \"mongo\"\n[[matrix]]\n",
                "defaults.target",
            ),
            ("[[matrix]]\nseeds = []\n", "matrix[0].seeds"),
            ("[[matrix]]\nworkloads = []\n", "matrix[0].workloads"),
            ("[[matrix]]\ntime-limit = 0\n", "matrix[0].time-limit"),
            ("[[matrix]]\nrecovery = -1\n", "matrix[0].recovery"),
            ("[[matrix]]\nconcurrency = 0\n", "matrix[0].concurrency"),
            (
                "[[matrix]]\nnemesis-pacing = \"poisson\"\n",
                "matrix[0].nemesis-pacing",
            ),
            (
                "[[matrix]]\nschedule = \"no-such-file.json\"\n",
                "matrix[0].schedule",
            ),
            ("name = \"a/b\"\n[[matrix]]\n", "name"),
            ("name = \"x\"\n", "matrix"),
            ("[defaults]\nlabel = \"x\"\n[[matrix]]\n", "defaults.label"),
        ];
        for (text, field) in cases {
            let e = error(text);
            assert!(
                e.starts_with(&format!("campaigns/test.toml: {field}:")),
                "{text:?} → {e}"
            );
        }
        // The second nemesis entry is the bad one; say which.
        let e = error("[[matrix]]\nnemeses = [\"partition\", \"partition,crash\"]\n");
        assert!(e.contains("nemeses[1]") && e.contains("crash"), "{e}");
    }

    #[test]
    fn a_target_spec_is_relative_to_the_campaign_file() {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../campaigns/spec.toml");
        let c = parse(
            "[defaults]\ntarget-spec = \"../examples/refnode-adapter/raft.toml\"\n[[matrix]]\nworkloads = [\"set\"]\n[[matrix]]\ntarget = \"etcd\"\n",
            &file,
        )
        .unwrap();
        let spec = c.blocks[0]
            .target
            .strip_prefix("spec:")
            .expect("a spec target");
        assert!(Path::new(spec).is_file(), "{spec}");
        assert_eq!(c.blocks[0].modes, vec![None], "a spec target has no modes");
        assert_eq!(c.blocks[1].target, "etcd", "the block's target wins");
        let both = "[[matrix]]\ntarget = \"etcd\"\ntarget-spec = \"x.toml\"\n";
        assert!(
            error(both).starts_with(
                "campaigns/test.toml: matrix[0].target-spec: give target or target-spec, not both"
            ),
            "{}",
            error(both)
        );
        let e = error("[[matrix]]\ntarget-spec = \"no-such.toml\"\n");
        assert!(
            e.starts_with("campaigns/test.toml: matrix[0].target-spec: cannot read target spec campaigns/no-such.toml"),
            "{e}"
        );
    }

    #[test]
    fn toml_errors_say_line_and_key() {
        let e = error("[[matrix]]\nworkload = \"register\"\n");
        assert!(e.starts_with("campaigns/test.toml: "), "{e}");
        assert!(e.contains("line 2") && e.contains("workload"), "{e}");
        let e = error("[[matrix]]\nseeds = [\"one\"]\n");
        assert!(e.contains("line 2") && e.contains("seeds"), "{e}");
        let e = error("[[matrix]\n");
        assert!(e.contains("line 1"), "{e}");
    }
}

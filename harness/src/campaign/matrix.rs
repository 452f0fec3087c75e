//! Expanding the blocks of a campaign into the runs it stands for: each block is the product
//! modes × option sets × workloads × nemeses × seeds, blocks one after another.
//!
//! Each run is built as a [`RunPlan`] directly, resolved and checked the way `faultline run`
//! resolves its command line (one [`RunRequest`] → [`RunPlan`] path for both), so a bad entry
//! anywhere in the file stops the campaign before its first run, and the summary prints the
//! command that repeats any row from the plan itself.

use std::collections::BTreeMap;
use std::path::Path;

use super::error::CampaignError;
use super::spec::{Block, Campaign};
use crate::run::{RunPlan, RunRequest};

/// Where a run sits in the campaign: its block and matrix coordinates as the file gives them
/// (the summary's columns).
#[derive(Clone, Debug, PartialEq)]
pub struct MatrixPoint {
    /// 1-based position in the campaign.
    pub index: usize,
    /// The `[[matrix]]` block it came from (0-based, as errors name it).
    pub block: usize,
    pub label: Option<String>,
    pub target: String,
    pub mode: Option<String>,
    pub options: BTreeMap<String, String>,
    pub bug: Option<String>,
    pub workload: String,
    pub nemesis: String,
    pub seed: u64,
}

/// One run of the campaign: where it sits, and its plan.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedRun {
    pub point: MatrixPoint,
    /// What runs, writing under the campaign's results directory.
    pub plan: RunPlan,
}

/// The summary reads a run's coordinates as fields of the run.
impl std::ops::Deref for PlannedRun {
    type Target = MatrixPoint;

    fn deref(&self) -> &MatrixPoint {
        &self.point
    }
}

/// Every run of the campaign, in order, each planned and checked; the first bad one is an error
/// naming the file, the run and the block.
pub fn expand(campaign: &Campaign, results_dir: &Path) -> Result<Vec<PlannedRun>, CampaignError> {
    let mut runs = Vec::new();
    for block in &campaign.blocks {
        for mode in &block.modes {
            for options in &block.option_sets {
                for workload in &block.workloads {
                    for nemesis in &block.nemeses {
                        for &seed in &block.seeds {
                            let at = Coordinates {
                                index: runs.len() + 1,
                                mode,
                                options,
                                workload,
                                nemesis,
                                seed,
                            };
                            runs.push(plan(campaign, block, at, results_dir)?);
                        }
                    }
                }
            }
        }
    }
    Ok(runs)
}

/// One point of a block's matrix.
struct Coordinates<'a> {
    index: usize,
    mode: &'a Option<String>,
    options: &'a BTreeMap<String, String>,
    workload: &'a str,
    nemesis: &'a str,
    seed: u64,
}

fn plan(
    campaign: &Campaign,
    block: &Block,
    at: Coordinates,
    results_dir: &Path,
) -> Result<PlannedRun, CampaignError> {
    let point = MatrixPoint {
        index: at.index,
        block: block.index,
        label: block.label.clone(),
        target: block.target.clone(),
        mode: at.mode.clone(),
        options: at.options.clone(),
        bug: block.bug.clone(),
        workload: at.workload.to_string(),
        nemesis: at.nemesis.to_string(),
        seed: at.seed,
    };
    let request = RunRequest {
        backend: Default::default(),
        target: point.target.clone(),
        mode: point.mode.clone(),
        bug: point.bug.clone(),
        target_options: point.options.clone(),
        workload: point.workload.clone(),
        workload_options: block.workload_options.clone(),
        nemesis: point.nemesis.clone(),
        schedule_file: block.schedule.clone(),
        nodes: block.nodes,
        settings: block.settings,
        seed: Some(point.seed),
        test_name: None,
        results_dir: results_dir.to_path_buf(),
    };
    let plan = RunPlan::resolve(request).map_err(|source| CampaignError::Run {
        file: campaign.file.clone(),
        index: point.index,
        run: point.describe(),
        source,
    })?;
    Ok(PlannedRun { point, plan })
}

impl MatrixPoint {
    /// Target options and the planted bug, as one column: `w=1 r=1`, `bug=stale-read`.
    pub fn options_text(&self) -> String {
        let mut parts: Vec<String> = self
            .options
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if let Some(b) = &self.bug {
            parts.push(format!("bug={b}"));
        }
        if parts.is_empty() {
            "-".into()
        } else {
            parts.join(" ")
        }
    }

    /// A one-line description: `matrix[1] reference quorum r=1 w=1, register, nemesis partition,
    /// seed 1`.
    pub fn describe(&self) -> String {
        let mut setup = vec![self.target.clone()];
        setup.extend(self.mode.clone());
        if !self.options.is_empty() || self.bug.is_some() {
            setup.push(self.options_text());
        }
        format!(
            "matrix[{}] {}, {}, nemesis {}, seed {}",
            self.block,
            setup.join(" "),
            self.workload,
            self.nemesis,
            self.seed
        )
    }
}

impl PlannedRun {
    /// The `faultline run` command that repeats this run on its own.
    pub fn command(&self) -> String {
        self.plan.command()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::spec::parse;

    fn campaign(text: &str) -> Campaign {
        parse(text, Path::new("c.toml")).unwrap()
    }

    #[test]
    fn each_block_is_the_product_of_its_axes() {
        let c = campaign(
            r#"
            [defaults]
            seeds = [1, 2, 3]
            [[matrix]]
            modes = ["raft", "lww"]
            workloads = ["register", "kv"]
            nemeses = ["partition", "kill"]
            [[matrix]]
            modes = ["quorum"]
            target-options = [{ w = 3, r = 1 }, { w = 2, r = 2 }, { w = 1, r = 1 }]
            seeds = [7]
            "#,
        );
        let runs = expand(&c, Path::new("results")).unwrap();
        // 2 modes × 2 workloads × 2 nemeses × 3 seeds, then 3 option sets × 1 × 1 × 1.
        assert_eq!(runs.len(), 2 * 2 * 2 * 3 + 3);
        assert_eq!(
            runs.iter().map(|r| r.index).collect::<Vec<_>>(),
            (1..=27).collect::<Vec<_>>()
        );
        assert_eq!(runs.iter().filter(|r| r.block == 0).count(), 24);
        // Seeds vary fastest, then nemeses.
        assert_eq!(
            runs[..4]
                .iter()
                .map(|r| (r.nemesis.as_str(), r.seed))
                .collect::<Vec<_>>(),
            [
                ("partition", 1),
                ("partition", 2),
                ("partition", 3),
                ("kill", 1)
            ]
        );
        let last = &runs[26];
        assert_eq!(last.mode.as_deref(), Some("quorum"));
        assert_eq!(last.options_text(), "r=1 w=1");
        assert_eq!(last.seed, 7);
        // Every combination appears once.
        let mut keys: Vec<_> = runs
            .iter()
            .map(|r| {
                (
                    r.mode.clone(),
                    r.options_text(),
                    r.workload.clone(),
                    r.nemesis.clone(),
                    r.seed,
                )
            })
            .collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 27);
    }

    #[test]
    fn a_planned_run_becomes_the_same_plan_as_its_command_line() {
        let c = campaign(
            r#"
            [[matrix]]
            modes = ["quorum"]
            target-options = [{ w = 1, r = 1 }]
            bug = "lost-sibling"
            workloads = ["set"]
            workload-options = { read-fraction = 0.2 }
            nemeses = ["partition,kill"]
            seeds = [42]
            time-limit = 7.5
            recovery = 1
            concurrency = 4
            "#,
        );
        let run = &expand(&c, Path::new("/tmp/r")).unwrap()[0];
        let o = &run.plan;
        assert_eq!(o.mode.as_deref(), Some("quorum"));
        assert_eq!(o.target_options["w"], "1");
        assert_eq!(o.target_options["r"], "1");
        assert_eq!(o.bug.as_deref(), Some("lost-sibling"));
        assert_eq!(o.workload.name(), "set");
        assert_eq!(o.workload_options.read_fraction, Some(0.2));
        assert_eq!(o.workload_options.concurrency, 4);
        assert_eq!(o.nemesis, vec!["partition", "kill"]);
        assert_eq!(o.seed, 42);
        assert_eq!(o.settings.time_limit_secs, 7.5);
        assert_eq!(o.settings.recovery_secs, 1.0);
        assert_eq!(o.settings.concurrency, 4);
        assert_eq!(o.results_dir, Path::new("/tmp/r"));
        assert_eq!(o.test_name, "reference-quorum-set");
        assert_eq!(
            run.command(),
            "faultline run --target reference --mode quorum --target-option r=1 \
             --target-option w=1 --bug lost-sibling --workload set --workload-option \
             read-fraction=0.2 --nemesis partition,kill --seed 42 --concurrency 4 \
             --time-limit 7.5 --recovery 1 --results-dir /tmp/r"
        );
    }

    #[test]
    fn the_default_mode_is_the_targets_first() {
        let c = campaign("[[matrix]]\n");
        let runs = expand(&c, Path::new("results")).unwrap();
        assert_eq!(runs[0].plan.mode.as_deref(), Some("raft"));
        // The default results folder is not repeated in the command.
        assert!(!runs[0].command().contains("--results-dir"));
    }

    #[test]
    fn a_bad_run_is_found_before_any_runs_and_named() {
        // 300 nodes passes the field check (at least 1) but not the run's own limit, which only
        // planning the run applies.
        let c = parse(
            "[[matrix]]\nmodes = [\"raft\", \"lww\"]\n[[matrix]]\nnodes = 300\n",
            Path::new("camp.toml"),
        )
        .unwrap();
        let e = expand(&c, Path::new("results")).expect_err("300 nodes is refused");
        assert!(matches!(e, CampaignError::Run { index: 3, .. }), "{e:?}");
        let msg = e.to_string();
        assert!(
            msg.starts_with("camp.toml: run 3 (matrix[1] reference raft, register, nemesis partition-leader, seed 1): "),
            "{msg}"
        );
        assert!(msg.contains("--nodes must be between 1 and 200"), "{msg}");
    }

    #[test]
    fn good_runs_are_planned_with_their_options() {
        let c = campaign(
            "[[matrix]]\nmodes = [\"quorum\"]\ntarget-options = [{ w = 3, r = 1 }]\nnemeses = [\"partition\", \"clock\"]\n",
        );
        let runs = expand(&c, Path::new("out")).unwrap();
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[1].plan.nemesis, vec!["clock"]);
        assert_eq!(runs[1].plan.results_dir, Path::new("out"));
    }
}

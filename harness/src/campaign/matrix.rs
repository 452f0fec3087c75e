//! Expanding the blocks of a campaign into the runs it stands for: each block is the product
//! modes × option sets × workloads × nemeses × seeds, blocks one after another.
//!
//! A planned run is kept as the `faultline run` command line it is equivalent to and parsed by
//! the same [`RunArgs`], so a campaign run and a hand-typed run cannot drift apart in defaults,
//! and the summary can print the command that reproduces any row.

use std::collections::BTreeMap;
use std::path::Path;

use clap::Parser;

use super::spec::{Block, Campaign};
use crate::cli::run::RunArgs;
use crate::exit::FaultlineError;
use crate::run::RunOptions;

/// One run of the campaign.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedRun {
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
    /// The `faultline run` arguments, without `--results-dir`.
    pub args: Vec<String>,
}

/// Every run of the campaign, in order.
pub fn expand(campaign: &Campaign) -> Vec<PlannedRun> {
    let mut runs = Vec::new();
    for block in &campaign.blocks {
        for mode in &block.modes {
            for options in &block.option_sets {
                for workload in &block.workloads {
                    for nemesis in &block.nemeses {
                        for &seed in &block.seeds {
                            runs.push(plan(
                                runs.len() + 1,
                                block,
                                mode,
                                options,
                                workload,
                                nemesis,
                                seed,
                            ));
                        }
                    }
                }
            }
        }
    }
    runs
}

fn plan(
    index: usize,
    block: &Block,
    mode: &Option<String>,
    options: &BTreeMap<String, String>,
    workload: &str,
    nemesis: &str,
    seed: u64,
) -> PlannedRun {
    let mut args = vec!["--target".to_string(), block.target.clone()];
    let mut flag = |name: &str, value: &str| {
        args.push(format!("--{name}"));
        args.push(value.to_string());
    };
    if let Some(m) = mode {
        flag("mode", m);
    }
    for (name, value) in options {
        flag("target-option", &format!("{name}={value}"));
    }
    if let Some(b) = &block.bug {
        flag("bug", b);
    }
    flag("workload", workload);
    for pair in &block.workload_options {
        flag("workload-option", pair);
    }
    flag("nemesis", nemesis);
    flag("seed", &seed.to_string());
    if let Some(s) = &block.schedule {
        flag("schedule", &s.display().to_string());
    }
    for (name, value) in &block.settings {
        flag(name, value);
    }
    PlannedRun {
        index,
        block: block.index,
        label: block.label.clone(),
        target: block.target.clone(),
        mode: mode.clone(),
        options: options.clone(),
        bug: block.bug.clone(),
        workload: workload.to_string(),
        nemesis: nemesis.to_string(),
        seed,
        args,
    }
}

/// `faultline run`'s options parsed from a planned run's arguments.
#[derive(Debug, Parser)]
#[command(no_binary_name = true)]
struct RunCommand {
    #[command(flatten)]
    args: RunArgs,
}

impl PlannedRun {
    /// The run's options, writing under `results_dir`.
    pub fn run_options(&self, results_dir: &Path) -> Result<RunOptions, FaultlineError> {
        let mut args = self.args.clone();
        args.push("--results-dir".into());
        args.push(results_dir.display().to_string());
        let parsed = RunCommand::try_parse_from(&args).map_err(|e| {
            FaultlineError::BadInput(format!("{}: {}", self.describe(), e.render()))
        })?;
        parsed.args.options()
    }

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

    /// The `faultline run` command that repeats this run on its own.
    pub fn command(&self) -> String {
        let quoted = self.args.iter().map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_=.,/:+".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        });
        std::iter::once("faultline run".to_string())
            .chain(quoted)
            .collect::<Vec<_>>()
            .join(" ")
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
        let runs = expand(&c);
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
    fn a_planned_run_becomes_the_same_options_as_its_command_line() {
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
        let run = &expand(&c)[0];
        let o = run.run_options(Path::new("/tmp/r")).unwrap();
        assert_eq!(o.mode.as_deref(), Some("quorum"));
        assert_eq!(o.target_options["w"], "1");
        assert_eq!(o.target_options["r"], "1");
        assert_eq!(o.bug.as_deref(), Some("lost-sibling"));
        assert_eq!(o.workload, "set");
        assert_eq!(o.workload_settings, vec!["read-fraction=0.2".to_string()]);
        assert_eq!(o.nemesis, vec!["partition", "kill"]);
        assert_eq!(o.seed, 42);
        assert_eq!(o.time_limit_secs, 7.5);
        assert_eq!(o.recovery_secs, 1.0);
        assert_eq!(o.concurrency, 4);
        assert_eq!(o.results_dir, Path::new("/tmp/r"));
        assert_eq!(o.test_name, "reference-quorum-set");
        assert_eq!(
            run.command(),
            "faultline run --target reference --mode quorum --target-option r=1 \
             --target-option w=1 --bug lost-sibling --workload set --workload-option \
             read-fraction=0.2 --nemesis partition,kill --seed 42 --concurrency 4 \
             --time-limit 7.5 --recovery 1"
                .replace("  ", " ")
        );
    }

    #[test]
    fn the_default_mode_is_the_targets_first() {
        let c = campaign("[[matrix]]\n");
        let o = expand(&c)[0].run_options(Path::new("r")).unwrap();
        assert_eq!(o.mode.as_deref(), Some("raft"));
    }
}

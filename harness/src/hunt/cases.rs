//! What a hunt runs: each planted bug of the reference nodes in the mode and workload that must
//! catch it, and as controls the same modes and workloads with no bug, where any anomaly is a
//! false alarm.

use faultline_refnode::bugs::Bug;
use serde::Serialize;

/// One line of the hunt's table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Case {
    /// The bug's name, or `control <mode> <workload>`.
    pub name: String,
    pub bug: Option<String>,
    pub mode: String,
    pub workload: String,
}

impl Case {
    pub fn is_control(&self) -> bool {
        self.bug.is_none()
    }
}

/// Every planted bug (or those named in `only`), then one control per distinct mode and workload
/// among them. `Err` names a bug that does not exist.
pub fn cases(only: &[String]) -> Result<Vec<Case>, String> {
    let bugs: Vec<Bug> = if only.is_empty() {
        Bug::ALL.to_vec()
    } else {
        only.iter()
            .map(|b| b.parse::<Bug>())
            .collect::<Result<_, _>>()?
    };
    let mut out: Vec<Case> = bugs
        .iter()
        .map(|b| {
            let (mode, workload) = b.shown_by();
            Case {
                name: b.name().into(),
                bug: Some(b.name().into()),
                mode: mode.into(),
                workload: workload.into(),
            }
        })
        .collect();
    let mut controls: Vec<Case> = Vec::new();
    for b in &bugs {
        let (mode, workload) = b.shown_by();
        if !controls
            .iter()
            .any(|c| c.mode == mode && c.workload == workload)
        {
            controls.push(Case {
                name: format!("control {mode} {workload}"),
                bug: None,
                mode: mode.into(),
                workload: workload.into(),
            });
        }
    }
    out.extend(controls);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bug_gets_a_case_and_each_setup_one_control() {
        let all = cases(&[]).unwrap();
        let bugs: Vec<&str> = all.iter().filter_map(|c| c.bug.as_deref()).collect();
        assert_eq!(bugs.len(), Bug::ALL.len());
        let controls: Vec<&Case> = all.iter().filter(|c| c.is_control()).collect();
        assert!(controls
            .iter()
            .any(|c| c.mode == "raft" && c.workload == "register"));
        assert!(controls
            .iter()
            .any(|c| c.mode == "quorum" && c.workload == "set"));
        // stale-read and early-ack share raft/register: one control for both.
        assert_eq!(
            controls
                .iter()
                .filter(|c| c.mode == "raft" && c.workload == "register")
                .count(),
            1
        );
        let one = cases(&["stale-read".into()]).unwrap();
        assert_eq!(one.len(), 2);
        assert!(cases(&["typo".into()]).unwrap_err().contains("stale-read"));
    }
}

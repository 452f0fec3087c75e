//! The rule that no checker gives a verdict over nothing, as a leaf: it needs only what one checker
//! judges, so the streaming readers inside checkers can apply it without importing the registry
//! (which imports them). The registry adds, for the error, which other checkers judge the kinds
//! found ([`crate::registry::screen`]).

use std::collections::BTreeMap;

use crate::options::CheckError;
use crate::verdict::SkippedOps;

/// The operations of `found` (kind → count of invocations) that `checker`, judging the kinds
/// `judges`, does not judge — or [`CheckError::NothingJudged`] (with `judged_by` left empty) when
/// there are operations but none of a kind it judges. A history whose judged operations all failed
/// still gets a verdict: Knossos calls such histories valid (they are in the corpus), since a
/// failed operation is a definite statement that it did not happen. An empty history is not
/// "nothing judged": there was nothing to judge.
pub fn screen(
    checker: &str,
    judges: &[&str],
    found: &BTreeMap<String, u64>,
) -> Result<Vec<SkippedOps>, CheckError> {
    let judged = |f: &str| judges.contains(&f);
    if !found.is_empty() && !found.keys().any(|f| judged(f)) {
        return Err(CheckError::NothingJudged {
            checker: checker.to_string(),
            found: found.iter().map(|(f, n)| (f.clone(), *n)).collect(),
            judged_by: Vec::new(),
        });
    }
    Ok(found
        .iter()
        .filter(|(f, _)| !judged(f))
        .map(|(f, &count)| SkippedOps {
            f: f.clone(),
            count,
        })
        .collect())
}

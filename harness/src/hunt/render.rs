//! The hunt's table: text for people (one line per case) and JSON for tools.

use serde_json::{json, Value};

use super::tally::{Finding, Row};

/// `case  mode  workload  caught  median first anomaly  unknown  errors`, controls saying
/// `false alarms` instead of `caught`.
pub fn text(rows: &[Row]) -> String {
    let mut out = format!(
        "{:<28} {:<8} {:<12} {:<18} {:>13} {:>7} {:>6}  {}\n",
        "case", "mode", "workload", "result", "first anomaly", "unknown", "errors", "bar"
    );
    for r in rows {
        let result = if r.case.is_control() {
            format!("{}/{} false alarms", r.invalid, r.runs)
        } else {
            format!("{}/{} caught", r.invalid, r.runs)
        };
        let first = r
            .median_first_anomaly_secs
            .map(|s| format!("{s:.1} s"))
            .unwrap_or_else(|| "-".into());
        out.push_str(&format!(
            "{:<28} {:<8} {:<12} {:<18} {:>13} {:>7} {:>6}  {}\n",
            r.case.name,
            r.case.mode,
            r.case.workload,
            result,
            first,
            r.unknown,
            r.errors,
            if r.meets_bar() { "ok" } else { "MISSED" }
        ));
    }
    out
}

/// `{"rows": [...], "runs": [...], "meets_bar": bool}`.
pub fn json(rows: &[Row], findings: &[Finding]) -> Value {
    json!({
        "rows": rows.iter().map(|r| {
            let mut v = serde_json::to_value(r).expect("rows serialise");
            v["meets_bar"] = json!(r.meets_bar());
            v
        }).collect::<Vec<_>>(),
        "runs": findings,
        "meets_bar": rows.iter().all(Row::meets_bar),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hunt::cases::cases;

    #[test]
    fn the_text_has_a_line_per_case_and_says_which_miss_the_bar() {
        let cases = cases(&["early-ack".into()]).unwrap();
        let rows: Vec<Row> = cases
            .iter()
            .map(|c| Row {
                case: c.clone(),
                runs: 10,
                invalid: if c.is_control() { 0 } else { 7 },
                unknown: 0,
                errors: 0,
                median_first_anomaly_secs: (!c.is_control()).then_some(6.25),
            })
            .collect();
        let table = text(&rows);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[1].contains("early-ack") && lines[1].contains("7/10 caught"));
        assert!(lines[1].contains("6.2 s") && lines[1].ends_with("MISSED"));
        assert!(lines[2].contains("0/10 false alarms") && lines[2].ends_with("ok"));
        let j = json(&rows, &[]);
        assert_eq!(j["meets_bar"], false);
        assert_eq!(j["rows"][0]["case"]["bug"], "early-ack");
    }
}

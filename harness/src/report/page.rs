//! `report.html`: one self-contained page (inline CSS, a few lines of inline JS, no fetches, no
//! fonts) with the run's options and verdict, latency and throughput over time with fault windows
//! shaded, timeline windows, the anomalies with their drawings, and links to the node logs.

use std::fmt::Write;

use super::anomalies::{self, verdict};
use super::digest::{Digest, Outcome};
use super::faults::{self, Faults};
use super::folder::RunFolder;
use super::markup::{bytes, clip, duration, escape, short_json, truncate};
use super::sample;
use super::svg::{self, Clock};
use super::windows;

/// Throughput buckets, at most.
const BUCKETS: usize = 240;

const CSS: &str = r#"
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1100px;padding:0 16px 48px;color:#1b1f24}
h1{font-size:22px;margin:20px 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
h3{font-size:16px;margin:18px 0 6px}h4{margin:12px 0 4px}
nav a{margin-right:12px}table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}pre{background:#f6f8fa;padding:8px;overflow-x:auto;white-space:pre-wrap;word-break:break-word;font-size:12.5px}
.verdict{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:13px;font-weight:600}
.verdict.valid{background:#1a7f37}.verdict.invalid{background:#cf222e}.verdict.unknown{background:#9a6700}.verdict.skipped{background:#6e7781}
.note,.reason{color:#57606a}svg{display:block;max-width:100%;height:auto;font-size:11px}svg.defs{position:absolute}
.axis line{stroke:#8c959f;stroke-width:1}.axis .grid{stroke:#eaeef2}.axis text{fill:#57606a}
.points{fill:none;stroke-width:3.2;stroke-linecap:round}.points.ok{stroke:#2da44e;stroke-opacity:.55}.points.fail{stroke:#cf222e}.points.info{stroke:#e16f24}
.bars.ok,.op.ok{fill:#2da44e}.bars.fail,.op.fail{fill:#cf222e}.bars.info,.op.info{fill:#e16f24}.op.open{fill:#8c959f}
.op.hl{stroke:#0550ae;stroke-width:2}
.fault{fill:#cf222e;fill-opacity:.08}
.fault-label{fill:#57606a;font-size:10px}.instant{stroke:#57606a;stroke-dasharray:3 3}
.edge path{fill:none;stroke-width:1.6}.edge text{font-size:11px}
.edge-ww path,marker.edge-ww path{stroke:#1f77b4;fill:#1f77b4}.edge-ww text{fill:#1f77b4}
.edge-wr path,marker.edge-wr path{stroke:#2ca02c;fill:#2ca02c}.edge-wr text{fill:#2ca02c}
.edge-rw path,marker.edge-rw path{stroke:#d62728;fill:#d62728}.edge-rw text{fill:#d62728}
.edge-process path,marker.edge-process path{stroke:#7f7f7f;fill:#7f7f7f}.edge-process text{fill:#7f7f7f}
.edge-realtime path,marker.edge-realtime path{stroke:#9467bd;fill:#9467bd}.edge-realtime text{fill:#9467bd}
.edge-session path,marker.edge-session path{stroke:#17becf;fill:#17becf}.edge-session text{fill:#138d9a}
.edge-arbitration path,marker.edge-arbitration path{stroke:#bcbd22;fill:#bcbd22}.edge-arbitration text{fill:#8c8d18}
.edge-version path,marker.edge-version path{stroke:#8c564b;fill:#8c564b}.edge-version text{fill:#8c564b}
.edge-other path,marker.edge-other path{stroke:#333;fill:#333}
.edge path[marker-end]{fill:none}
.node rect{fill:#fff;stroke:#24292f}.node text{font-family:ui-monospace,monospace;font-size:12px}
.bar rect{stroke:#24292f;stroke-width:.5}.bar text{font-family:ui-monospace,monospace;font-size:11px}
.bar.prefix rect,.key.prefix{fill:#9ecae1;background:#9ecae1}.bar.blocked rect,.key.blocked{fill:#ff8182;background:#ff8182}
.bar.concurrent rect,.key.concurrent{fill:#fdae6b;background:#fdae6b}.bar.open rect{stroke-dasharray:4 2}
.key{display:inline-block;width:12px;height:12px;margin:0 4px 0 10px;vertical-align:middle}
.anomaly{border-left:3px solid #cf222e;padding-left:10px;margin:12px 0}figure{margin:8px 0;overflow-x:auto}
.legend label{margin-right:14px}
.hide-ok .plot .ok,.hide-fail .plot .fail,.hide-info .plot .info{display:none}
"#;

/// Toggles outcomes in the plots, and marks the page as loaded (tests check the marker).
const JS: &str = r#"
document.querySelectorAll('input[data-hide]').forEach(function(box){
  box.addEventListener('change',function(){document.body.classList.toggle('hide-'+box.dataset.hide,!box.checked);});
});
document.documentElement.setAttribute('data-report-ready','yes');
"#;

/// The page for a run folder.
pub fn render(folder: &RunFolder, digest: &Digest) -> String {
    let clock = if digest.timed {
        Clock::Nanos
    } else {
        Clock::Events
    };
    let faults = faults::windows(&digest.nemesis, digest.end_time);
    let t0 = digest
        .spans
        .first()
        .map(|s| s.start)
        .into_iter()
        .chain(digest.nemesis.first().map(|o| o.time))
        .min()
        .unwrap_or(0);
    let t1 = digest.end_time.max(t0 + 1);
    let name = folder.test_name();
    let overall = verdict(folder.results.valid);

    let mut out = String::with_capacity(1 << 20);
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>faultline: {} {} — {overall}</title><style>{CSS}{}</style></head><body>",
        escape(&name),
        escape(&folder.stamp()),
        crate::nemesis::faults::shading_css()
    );
    out.push_str(&svg::cycle::marker_defs());
    let _ = write!(
        out,
        "<header><h1>{} <span class=\"verdict {overall}\" id=\"verdict\">{overall}</span></h1><p>{}</p></header>",
        escape(&name),
        escape(&summary(folder, digest, &faults, clock))
    );
    out.push_str("<nav><a href=\"#checkers\">verdict</a><a href=\"#options\">options</a><a href=\"#latency\">latency</a><a href=\"#throughput\">throughput</a><a href=\"#faults\">faults</a><a href=\"#timeline\">timeline</a><a href=\"#anomalies\">anomalies</a><a href=\"#logs\">node logs</a></nav>");

    out.push_str("<section id=\"checkers\"><h2>Verdict</h2>");
    out.push_str(&checker_table(folder));
    out.push_str("</section>");

    out.push_str("<section id=\"options\"><h2>Options</h2>");
    out.push_str(&options(folder));
    out.push_str("</section>");

    out.push_str("<p class=\"legend\">Show: <label><input type=\"checkbox\" checked data-hide=\"ok\"> ok</label><label><input type=\"checkbox\" checked data-hide=\"fail\"> fail</label><label><input type=\"checkbox\" checked data-hide=\"info\"> info (indeterminate)</label> Shaded: faults in force.</p>");
    let latency = sample::latency(&digest.spans, t0, t1);
    let _ = write!(
        out,
        "<section id=\"latency\"><h2>Latency</h2><p class=\"note\">{} of {} completed operations drawn at their invocation time: every fail and info while they number at most {}, else a stratified sample; at most {} ok per {}th of the time axis, plus the slowest of each.</p>",
        latency.points.len(),
        latency.total,
        sample::RARE_BUDGET,
        sample::OK_PER_COLUMN,
        sample::COLUMNS
    );
    out.push_str(&svg::latency::render(&latency, t0, t1, clock, &faults));
    out.push_str("</section>");

    let throughput = sample::throughput(&digest.spans, t0, t1, BUCKETS);
    out.push_str("<section id=\"throughput\"><h2>Throughput</h2>");
    out.push_str(&svg::throughput::render(&throughput, t1, clock, &faults));
    out.push_str("</section>");

    out.push_str("<section id=\"faults\"><h2>Faults</h2>");
    out.push_str(&fault_table(&faults, clock));
    out.push_str("</section>");

    out.push_str("<section id=\"timeline\"><h2>Timeline</h2>");
    out.push_str(&timeline(folder, digest, &faults, clock));
    out.push_str("</section>");

    out.push_str("<section id=\"anomalies\"><h2>Anomalies</h2>");
    out.push_str(&anomalies::render(folder, digest));
    out.push_str("</section>");

    out.push_str("<section id=\"logs\"><h2>Node logs</h2>");
    out.push_str(&logs(folder));
    out.push_str("</section>");

    if let Some(stats) = &folder.results.stats {
        let text = serde_json::to_string_pretty(stats).unwrap_or_default();
        let _ = write!(
            out,
            "<section id=\"stats\"><h2>Run statistics</h2><pre>{}</pre></section>",
            escape(&truncate(&text, 50_000))
        );
    }
    let _ = writeln!(
        out,
        "<footer class=\"note\"><p>faultline {} · results.json, junit.xml and history.jsonl are next to this page.{}</p></footer><script>{JS}</script></body></html>",
        env!("CARGO_PKG_VERSION"),
        if digest.skipped_lines > 0 {
            format!(
                " {} unreadable line(s) of history.jsonl were skipped.",
                digest.skipped_lines
            )
        } else {
            String::new()
        }
    );
    out
}

/// One line: events, operations by outcome, duration, faults.
fn summary(folder: &RunFolder, digest: &Digest, faults: &Faults, clock: Clock) -> String {
    if folder.history.is_none() {
        return format!("{}: no history.jsonl in this folder.", folder.stamp());
    }
    let count = |o: Outcome| digest.spans.iter().filter(|s| s.outcome == o).count();
    let span = match clock {
        Clock::Nanos => duration(digest.end_time as f64),
        Clock::Events => "untimed".to_string(),
    };
    format!(
        "{} · {} events, {} operations ({} ok, {} fail, {} info, {} never completed) over {span} · {} fault window(s)",
        folder.stamp(),
        digest.events,
        digest.spans.len(),
        count(Outcome::Ok),
        count(Outcome::Fail),
        count(Outcome::Info),
        count(Outcome::Open),
        faults.windows.len()
    )
}

fn checker_table(folder: &RunFolder) -> String {
    let mut out = String::from(
        "<table><tr><th>checker</th><th>verdict</th><th>anomalies</th><th>seconds</th></tr>",
    );
    for (i, c) in folder.checkers().iter().enumerate() {
        let v = verdict(c.valid);
        let types = c.anomaly_types();
        let secs = folder
            .results
            .seconds_of(&c.checker)
            .map_or(String::new(), |s| format!("{s:.3}"));
        let mut what = escape(&types.join(", "));
        if let Some(reason) = &c.unknown_reason {
            what = format!("{what} {}", escape(&truncate(reason, 300)));
        }
        let _ = write!(
            out,
            "<tr><td><a href=\"#checker-{i}\">{}</a></td><td><span class=\"verdict {v}\">{v}</span></td><td>{what}</td><td>{secs}</td></tr>",
            escape(&c.checker)
        );
    }
    for s in &folder.results.skipped_checkers {
        let _ = write!(
            out,
            "<tr><td>{}</td><td><span class=\"verdict skipped\">skipped</span></td><td>{}</td><td></td></tr>",
            escape(&s.checker),
            escape(&s.reason)
        );
    }
    out.push_str("</table>");
    out
}

fn options(folder: &RunFolder) -> String {
    let mut out = String::new();
    let Some(test) = &folder.test else {
        return "<p class=\"note\">No test.json in this folder.</p>".into();
    };
    let opts = &test.options.all;
    let mut rows = Vec::new();
    let seed = test.seed.map(|s| s.to_string());
    for (key, value) in [
        ("source", test.source.as_ref()),
        ("run_id", test.run_id.as_ref()),
        ("seed", seed.as_ref()),
    ] {
        if let Some(v) = value.filter(|_| !opts.contains_key(key)) {
            rows.push((key.to_string(), clip(v, 300)));
        }
    }
    for (k, v) in opts {
        let empty = match v {
            serde_json::Value::Null => true,
            serde_json::Value::Array(a) => a.is_empty(),
            serde_json::Value::Object(o) => o.is_empty(),
            _ => false,
        };
        if !empty {
            rows.push((k.clone(), short_json(v, 300)));
        }
    }
    if let Some(v) = &test.versions {
        let versions = [
            ("faultline", Some(&v.faultline)),
            ("docker_engine", v.docker_engine.as_ref()),
            ("docker_api", v.docker_api.as_ref()),
        ];
        for (k, v) in versions {
            if let Some(v) = v {
                rows.push((format!("version of {k}"), clip(v, 100)));
            }
        }
    }
    out.push_str("<table>");
    for (k, v) in rows {
        let _ = write!(
            out,
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(&k),
            escape(&v)
        );
    }
    out.push_str("</table>");
    let full = folder.test_text.as_deref().unwrap_or_default();
    let _ = write!(
        out,
        "<details><summary>test.json</summary><pre>{}</pre></details>",
        escape(&truncate(full, 50_000))
    );
    out
}

fn fault_table(faults: &Faults, clock: Clock) -> String {
    if faults.windows.is_empty() && faults.instants.is_empty() {
        return "<p>No nemesis events in the history.</p>".into();
    }
    let at = |t: u64| match clock {
        Clock::Nanos => format!("{:.3} s", t as f64 / 1e9),
        Clock::Events => format!("event {t}"),
    };
    let mut out = String::from(
        "<table><tr><th>fault</th><th>from</th><th>to</th><th>for</th><th>what</th></tr>",
    );
    for w in &faults.windows {
        let took = match clock {
            Clock::Nanos => duration((w.end - w.start) as f64),
            Clock::Events => format!("{} events", w.end - w.start),
        };
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}{}</td><td>{took}</td><td>{}{}</td></tr>",
            escape(&w.kind),
            at(w.start),
            at(w.end),
            if w.unhealed {
                " (not healed in the history)"
            } else {
                ""
            },
            escape(&w.label),
            w.error
                .as_ref()
                .map_or(String::new(), |e| format!(" — failed: {}", escape(e)))
        );
    }
    for i in &faults.instants {
        let _ = write!(
            out,
            "<tr><td>marker</td><td>{}</td><td></td><td></td><td>{}</td></tr>",
            at(i.time),
            escape(&i.label)
        );
    }
    out.push_str("</table>");
    out
}

fn timeline(folder: &RunFolder, digest: &Digest, faults: &Faults, clock: Clock) -> String {
    let events = anomalies::anomaly_events(folder);
    let chosen = windows::choose(&digest.spans, &events, faults);
    if chosen.is_empty() {
        return "<p>No client operations in the history.</p>".into();
    }
    let highlight = events
        .iter()
        .flat_map(|(_, ops)| ops.iter().copied())
        .collect();
    let mut out = format!(
        "<p class=\"note\">{} operations in all; {} window(s) of at most {} operations shown, one lane per client (processes that never overlap share a lane). Outlined: operations an anomaly involves. Hover for details.</p>",
        digest.spans.len(),
        chosen.len(),
        svg::timeline::MAX_OPS
    );
    for (k, w) in chosen.iter().enumerate() {
        let spans = &digest.spans[w.range.clone()];
        let (first, last) = (
            spans.first().expect("non-empty"),
            spans.last().expect("non-empty"),
        );
        let _ = write!(
            out,
            "<details{} class=\"window\"><summary>{} — operations {}–{} (events {}–{})</summary>{}</details>",
            if k == 0 { " open" } else { "" },
            escape(&w.title),
            w.range.start,
            w.range.end - 1,
            first.invoke_index,
            last.invoke_index,
            svg::timeline::render(
                &format!("timeline-{k}"),
                spans,
                &digest.fs,
                &highlight,
                clock,
                faults
            )
        );
    }
    out
}

fn logs(folder: &RunFolder) -> String {
    if folder.logs.is_empty() {
        return "<p class=\"note\">No node logs in this folder (an imported history has none).</p>"
            .into();
    }
    let mut out = String::from("<ul>");
    for l in &folder.logs {
        let _ = write!(
            out,
            "<li>{}: <a href=\"{}\">{}</a> ({})</li>",
            escape(&l.node),
            escape(&l.path),
            escape(&l.path),
            bytes(l.bytes)
        );
    }
    out.push_str("</ul>");
    out
}

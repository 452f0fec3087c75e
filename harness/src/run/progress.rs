//! The progress line of the client phase: one line on stderr, redrawn four times a second, with
//! elapsed and total time, operations so far and their rate, and the faults in force —
//! `[3/24] 7.2/10 s  8123 ops  1128 ops/s  faults: partition halves`.
//!
//! Drawn by `indicatif`, which owns the terminal side (width, erasing, redraw rate); this file only
//! says what the line holds. Only on a terminal: redirected to a file or a CI log, redraws would
//! make noise, so stderr then gets only the run's one-line phase messages.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::results::Recorder;

/// How often the line's text is refreshed (and at most redrawn).
const REFRESH: Duration = Duration::from_millis(250);

/// What the line shows at one moment.
#[derive(Clone, Debug)]
pub struct Status<'a> {
    /// `[3/24]` in a campaign.
    pub label: Option<&'a str>,
    pub elapsed: Duration,
    pub total: Duration,
    /// Client operations completed since the phase started.
    pub ops: u64,
    /// The faults in force, as the nemesis describes them.
    pub faults: &'a str,
}

/// The progress line's text; indicatif cuts it to the terminal's width.
pub fn format_line(s: &Status) -> String {
    let elapsed = s.elapsed.min(s.total).as_secs_f64();
    let rate = if elapsed > 0.0 {
        s.ops as f64 / elapsed
    } else {
        0.0
    };
    let mut line = String::new();
    if let Some(label) = s.label {
        line += label;
        line += " ";
    }
    line += &format!(
        "{elapsed:.1}/{} s  {} ops  {rate:.0} ops/s  faults: {}",
        trim_float(s.total.as_secs_f64()),
        s.ops,
        s.faults
    );
    line
}

/// `10` for 10.0, `7.5` for 7.5.
fn trim_float(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x}")
    }
}

/// Whether to draw the line: only on a terminal that understands the erase sequence.
/// `stderr_is_terminal` is `std::io::stderr().is_terminal()`; `term` is `$TERM`.
pub fn should_show(stderr_is_terminal: bool, term: Option<&str>) -> bool {
    stderr_is_terminal && term != Some("dumb")
}

/// The running line; dropping it stops the refreshes and erases the line, so messages that
/// follow start on a clean line (also when the run is cut short by an error or Ctrl-C).
pub struct Progress {
    task: Option<JoinHandle<()>>,
    bar: ProgressBar,
}

impl Progress {
    /// Starts drawing if `show` (see [`should_show`]); otherwise draws nothing.
    pub fn start(
        show: bool,
        label: Option<String>,
        total: Duration,
        recorder: Recorder,
        faults: watch::Receiver<String>,
    ) -> Progress {
        let target = if show {
            ProgressDrawTarget::stderr_with_hz(4)
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(None, target);
        bar.set_style(ProgressStyle::with_template("{wide_msg}").expect("a fixed template"));
        if !show {
            return Progress { task: None, bar };
        }
        let t0 = Instant::now();
        let ops_before = recorder.completed();
        let line = bar.clone();
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(REFRESH);
            loop {
                tick.tick().await;
                let faults = faults.borrow().clone();
                line.set_message(format_line(&Status {
                    label: label.as_deref(),
                    elapsed: t0.elapsed(),
                    total,
                    ops: recorder.completed() - ops_before,
                    faults: &faults,
                }));
            }
        });
        Progress {
            task: Some(task),
            bar,
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status<'a>(label: Option<&'a str>, elapsed: f64, ops: u64, faults: &'a str) -> Status<'a> {
        Status {
            label,
            elapsed: Duration::from_secs_f64(elapsed),
            total: Duration::from_secs(10),
            ops,
            faults,
        }
    }

    #[test]
    fn the_line_shows_time_ops_rate_and_faults() {
        assert_eq!(
            format_line(&status(None, 4.0, 4000, "partition halves")),
            "4.0/10 s  4000 ops  1000 ops/s  faults: partition halves"
        );
        assert_eq!(
            format_line(&status(Some("[3/24]"), 2.5, 100, "none")),
            "[3/24] 2.5/10 s  100 ops  40 ops/s  faults: none"
        );
        // Nothing divided by zero at the start; elapsed never shown past the total.
        assert_eq!(
            format_line(&status(None, 0.0, 0, "none")),
            "0.0/10 s  0 ops  0 ops/s  faults: none"
        );
        assert!(format_line(&status(None, 12.0, 1200, "none")).starts_with("10.0/10 s"));
        let mut s = status(None, 1.0, 5, "none");
        s.total = Duration::from_secs_f64(7.5);
        assert!(format_line(&s).starts_with("1.0/7.5 s"));
    }

    #[test]
    fn only_a_real_terminal_gets_the_line() {
        assert!(should_show(true, Some("xterm-256color")));
        assert!(should_show(true, None));
        assert!(
            !should_show(false, Some("xterm")),
            "redirected to a file or a CI log"
        );
        assert!(!should_show(true, Some("dumb")));
    }

    #[tokio::test]
    async fn a_hidden_progress_starts_no_task() {
        let recorder = Recorder::in_memory(Instant::now());
        let (_tx, rx) = watch::channel("none".to_string());
        let p = Progress::start(false, None, Duration::from_secs(1), recorder, rx);
        assert!(p.task.is_none());
        assert!(p.bar.is_hidden(), "nothing is drawn");
    }

    #[tokio::test]
    async fn a_shown_progress_keeps_its_line_current() {
        let recorder = Recorder::in_memory(Instant::now());
        let (tx, rx) = watch::channel("none".to_string());
        let p = Progress::start(
            true,
            Some("[1/2]".into()),
            Duration::from_secs(10),
            recorder,
            rx,
        );
        tx.send("partition halves".into()).unwrap();
        tokio::time::sleep(REFRESH * 2).await;
        let line = p.bar.message();
        assert!(
            line.starts_with("[1/2] ") && line.ends_with("0 ops/s  faults: partition halves"),
            "{line}"
        );
    }
}

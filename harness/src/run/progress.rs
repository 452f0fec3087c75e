//! The progress line of the client phase: one line on stderr, rewritten four times a second, with
//! elapsed and total time, operations so far and their rate, and the faults in force —
//! `[3/24] 7.2/10 s  8123 ops  1128 ops/s  faults: partition halves`.
//!
//! Only on a terminal: redirected to a file or a CI log, carriage returns would make noise, so
//! stderr then gets only the run's one-line phase messages.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::results::Recorder;

/// How often the line is redrawn.
const REFRESH: Duration = Duration::from_millis(250);
/// Erase the terminal's current line and return to its start.
const CLEAR: &str = "\r\x1b[2K";

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

/// The progress line, at most `width` characters (terminals wrap longer lines, and a wrapped line
/// cannot be erased with a carriage return).
pub fn format_line(s: &Status, width: usize) -> String {
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
    if line.chars().count() > width {
        line = line
            .chars()
            .take(width.saturating_sub(1))
            .collect::<String>()
            + "…";
    }
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

/// The terminal width from `$COLUMNS`, else 80.
fn width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|&w: &usize| w >= 20)
        .unwrap_or(80)
}

/// The running line; dropping it stops the redraws and erases the line, so messages that follow
/// start on a clean line (also when the run is cut short by an error or Ctrl-C).
pub struct Progress {
    task: Option<JoinHandle<()>>,
    /// Held while writing; `true` once stopped, so a redraw racing the drop cannot reappear.
    stopped: Arc<Mutex<bool>>,
}

impl Progress {
    /// Starts redrawing if `show` (see [`should_show`]); otherwise does nothing.
    pub fn start(
        show: bool,
        label: Option<String>,
        total: Duration,
        recorder: Recorder,
        faults: watch::Receiver<String>,
    ) -> Progress {
        let stopped = Arc::new(Mutex::new(false));
        if !show {
            return Progress {
                task: None,
                stopped,
            };
        }
        let t0 = Instant::now();
        let ops_before = recorder.completed();
        let width = width();
        let lock = stopped.clone();
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(REFRESH);
            loop {
                tick.tick().await;
                let faults = faults.borrow().clone();
                let line = format_line(
                    &Status {
                        label: label.as_deref(),
                        elapsed: t0.elapsed(),
                        total,
                        ops: recorder.completed() - ops_before,
                        faults: &faults,
                    },
                    width,
                );
                let stopped = lock.lock().unwrap_or_else(|p| p.into_inner());
                if *stopped {
                    return;
                }
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "{CLEAR}{line}");
                let _ = err.flush();
            }
        });
        Progress {
            task: Some(task),
            stopped,
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            let mut stopped = self.stopped.lock().unwrap_or_else(|p| p.into_inner());
            *stopped = true;
            task.abort();
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "{CLEAR}");
            let _ = err.flush();
        }
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
            format_line(&status(None, 4.0, 4000, "partition halves"), 80),
            "4.0/10 s  4000 ops  1000 ops/s  faults: partition halves"
        );
        assert_eq!(
            format_line(&status(Some("[3/24]"), 2.5, 100, "none"), 80),
            "[3/24] 2.5/10 s  100 ops  40 ops/s  faults: none"
        );
        // Nothing divided by zero at the start; elapsed never shown past the total.
        assert_eq!(
            format_line(&status(None, 0.0, 0, "none"), 80),
            "0.0/10 s  0 ops  0 ops/s  faults: none"
        );
        assert!(format_line(&status(None, 12.0, 1200, "none"), 80).starts_with("10.0/10 s"));
        let mut s = status(None, 1.0, 5, "none");
        s.total = Duration::from_secs_f64(7.5);
        assert!(format_line(&s, 80).starts_with("1.0/7.5 s"));
    }

    #[test]
    fn a_long_line_is_cut_to_the_terminal_width() {
        let faults = "partition random-halves, packet loss, clock skew, killed n1,n2,n3,n4";
        let line = format_line(&status(Some("[13/24]"), 4.0, 4000, faults), 40);
        assert_eq!(line.chars().count(), 40);
        assert!(line.ends_with('…') && line.starts_with("[13/24] 4.0/10 s"));
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
    }
}

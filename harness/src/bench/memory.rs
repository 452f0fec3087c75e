//! Peak resident memory of this process, from Linux's `/proc/self/status` (`VmHWM`). Writing `5`
//! to `/proc/self/clear_refs` resets the peak, so each case measures its own. Also the CPU time
//! the process has used, which on a machine shared with other work says more than wall time.

/// The peak resident set size in bytes, or `None` where `/proc` is not available.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Resets the peak to the current resident size (best effort; ignored where unsupported).
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// User plus system CPU seconds this process has used so far (all threads), from
/// `/proc/self/stat`, or `None` where it is not available. `/proc` counts in USER_HZ ticks,
/// which Linux fixes at 100 a second.
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) in parentheses; utime and stime are
    // fields 14 and 15 of the line, 12th and 13th after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_grows_with_work() {
        let Some(before) = cpu_seconds() else {
            assert!(!std::path::Path::new("/proc/self/stat").exists());
            return;
        };
        let start = std::time::Instant::now();
        let mut x = 0u64;
        while start.elapsed() < std::time::Duration::from_millis(300) {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
        let used = cpu_seconds().unwrap() - before;
        assert!(used > 0.0 && used < 5.0, "{used}");
    }

    #[test]
    fn reads_a_plausible_peak_on_linux() {
        if std::path::Path::new("/proc/self/status").exists() {
            let peak = peak_rss_bytes().expect("VmHWM");
            assert!(peak > 100 * 1024, "{peak}");
        }
    }
}

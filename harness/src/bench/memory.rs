//! Peak resident memory of this process, from Linux's `/proc/self/status` (`VmHWM`). Writing `5`
//! to `/proc/self/clear_refs` resets the peak, so each case measures its own.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_plausible_peak_on_linux() {
        if std::path::Path::new("/proc/self/status").exists() {
            let peak = peak_rss_bytes().expect("VmHWM");
            assert!(peak > 100 * 1024, "{peak}");
        }
    }
}

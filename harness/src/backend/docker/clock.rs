//! Clock faults without touching the host clock: each service runs with libfaketime preloaded and
//! reading a timestamp file on the node's volume (`FAKETIME_NO_CACHE=1`, so a rewrite takes effect
//! on the next call). Only the wall clock moves (`FAKETIME_DONT_FAKE_MONOTONIC=1`). The file is
//! written through the infra container, which is always running. Never SYS_TIME, never `date -s`.

use crate::docker::containers::CLOCK_FILE;

/// libfaketime's relative-offset syntax: `+2.500` or `-0.250` seconds.
pub fn offset_text(secs: f64) -> String {
    format!("{}{:.3}", if secs < 0.0 { "-" } else { "+" }, secs.abs())
}

/// The shell command that sets a node's offset (write, then rename: libfaketime never reads a
/// half-written file).
pub fn offset_script(secs: f64) -> String {
    format!(
        "printf '%s' '{}' > {CLOCK_FILE}.tmp && mv {CLOCK_FILE}.tmp {CLOCK_FILE}",
        offset_text(secs)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_use_libfaketime_syntax() {
        assert_eq!(offset_text(2.5), "+2.500");
        assert_eq!(offset_text(-0.25), "-0.250");
        assert_eq!(offset_text(0.0), "+0.000");
    }
}

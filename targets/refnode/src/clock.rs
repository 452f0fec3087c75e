//! Clocks. Two kinds, kept apart on purpose:
//!
//! - **Wall clock** ([`WallClock`]): only `lww` timestamps (and quorum's LWW resolution) read it. The
//!   system implementation calls `SystemTime::now()`, which on Linux/glibc is a call to the libc
//!   symbol `clock_gettime(CLOCK_REALTIME)`; `LD_PRELOAD=libfaketime.so.1` interposes that symbol, so
//!   the harness's per-node clock skew reaches exactly these timestamps (DESIGN.md section 10).
//! - **Monotonic clock**: election timeouts, heartbeats, failover and request timeouts. The sans-IO
//!   cores take it as a plain millisecond count (`now_ms`) from their driver (`Instant` in the
//!   runtime, a simulated counter in tests), so skewing the wall clock never breaks liveness; run
//!   libfaketime with `FAKETIME_DONT_FAKE_MONOTONIC=1`.
//!
//! Tests inject a per-node offset with [`OffsetClock`] to reproduce skew in-process.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of wall-clock time in nanoseconds since the Unix epoch.
pub trait WallClock: Send + Sync {
    fn now_nanos(&self) -> u64;
}

/// The machine's clock (through libc, so libfaketime can skew it).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl WallClock for SystemClock {
    fn now_nanos(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0)
    }
}

/// The machine's clock plus an offset that can be changed while the node runs: the in-process
/// stand-in for libfaketime's timestamp file (the harness's in-process backend).
#[derive(Debug, Default)]
pub struct SkewedClock {
    offset_nanos: AtomicI64,
}

impl SkewedClock {
    pub fn set_offset_secs(&self, secs: f64) {
        self.offset_nanos
            .store((secs * 1e9).round() as i64, Ordering::SeqCst);
    }
}

impl WallClock for SkewedClock {
    fn now_nanos(&self) -> u64 {
        let now = SystemClock.now_nanos() as i64;
        (now + self.offset_nanos.load(Ordering::SeqCst)).max(0) as u64
    }
}

/// A clock driven by hand plus a signed per-node offset: the in-process stand-in for libfaketime.
#[derive(Debug, Default)]
pub struct OffsetClock {
    base: Arc<AtomicU64>,
    offset_nanos: AtomicI64,
}

impl OffsetClock {
    /// A clock reading `base` (shared by all nodes of a simulation) plus `offset_nanos`.
    pub fn new(base: Arc<AtomicU64>, offset_nanos: i64) -> OffsetClock {
        OffsetClock {
            base,
            offset_nanos: AtomicI64::new(offset_nanos),
        }
    }

    pub fn set_offset(&self, offset_nanos: i64) {
        self.offset_nanos.store(offset_nanos, Ordering::SeqCst);
    }
}

impl WallClock for OffsetClock {
    fn now_nanos(&self) -> u64 {
        let base = self.base.load(Ordering::SeqCst) as i64;
        (base + self.offset_nanos.load(Ordering::SeqCst)).max(0) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_clock_adds_its_offset_to_the_shared_base() {
        let base = Arc::new(AtomicU64::new(1_000));
        let ahead = OffsetClock::new(base.clone(), 500);
        let behind = OffsetClock::new(base.clone(), -300);
        assert_eq!(ahead.now_nanos(), 1_500);
        assert_eq!(behind.now_nanos(), 700);
        base.store(2_000, Ordering::SeqCst);
        assert_eq!(ahead.now_nanos(), 2_500);
    }

    #[test]
    fn skewed_clock_follows_the_system_clock_plus_its_offset() {
        let clock = SkewedClock::default();
        clock.set_offset_secs(100.0);
        let ahead = clock.now_nanos() as i64 - SystemClock.now_nanos() as i64;
        assert!(
            (99_000_000_000..101_000_000_000).contains(&ahead),
            "{ahead}"
        );
        clock.set_offset_secs(-2.5);
        let behind = clock.now_nanos() as i64 - SystemClock.now_nanos() as i64;
        assert!(
            (-3_000_000_000..-2_000_000_000).contains(&behind),
            "{behind}"
        );
    }

    #[test]
    fn system_clock_reads_a_plausible_time() {
        // After 2020-01-01 in nanoseconds.
        assert!(SystemClock.now_nanos() > 1_577_836_800_000_000_000);
    }
}

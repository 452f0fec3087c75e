//! The time and memory budget that turns an undecidable search into `unknown` instead of a hang or
//! an out-of-memory kill (DESIGN.md section 4).

use std::time::{Duration, Instant};

/// Limits for one checker run. Searches poll [`Budget::exhausted`] at a coarse interval (every few
/// thousand steps) and report the returned reason as `unknown`.
#[derive(Clone, Debug)]
pub struct Budget {
    deadline: Option<Instant>,
    time_limit: Option<Duration>,
    /// Upper bound on the bytes a search may hold in its own tables (memo caches, graphs). Searches
    /// estimate their own usage; this is not a process-wide allocator limit.
    pub max_memory_bytes: usize,
}

/// Default memory budget for a single checker's search structures.
pub const DEFAULT_MAX_MEMORY: usize = 4 << 30;

impl Default for Budget {
    fn default() -> Self {
        Budget::unlimited_time()
    }
}

impl Budget {
    /// No time limit, the default memory limit.
    pub fn unlimited_time() -> Self {
        Budget {
            deadline: None,
            time_limit: None,
            max_memory_bytes: DEFAULT_MAX_MEMORY,
        }
    }

    /// A budget that ends `limit` from now.
    pub fn with_time_limit(limit: Duration) -> Self {
        Budget {
            deadline: Some(Instant::now() + limit),
            time_limit: Some(limit),
            max_memory_bytes: DEFAULT_MAX_MEMORY,
        }
    }

    pub fn with_max_memory(mut self, bytes: usize) -> Self {
        self.max_memory_bytes = bytes;
        self
    }

    /// The time limit this budget was made with, if any.
    pub fn time_limit(&self) -> Option<Duration> {
        self.time_limit
    }

    /// `Some(reason)` once the search must stop. `used_bytes` is the caller's estimate of what its
    /// own structures hold.
    pub fn exhausted(&self, used_bytes: usize) -> Option<String> {
        if let Some(deadline) = self.deadline {
            if Instant::now() >= deadline {
                return Some(format!(
                    "time limit of {:.1} s reached",
                    self.time_limit.unwrap_or_default().as_secs_f64()
                ));
            }
        }
        if used_bytes > self.max_memory_bytes {
            return Some(format!(
                "memory budget of {} MiB reached",
                self.max_memory_bytes >> 20
            ));
        }
        None
    }
}

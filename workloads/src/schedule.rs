//! Pacing: `--rate` is operations per second over all clients, so each of `concurrency` slots
//! waits on average `concurrency / rate` seconds before each operation, with uniform jitter
//! around that mean (Jepsen's `stagger` is jitter 1: uniform in [0, 2 × mean]). The delays come
//! from the slot's own stream of the run seed: same seed, same pacing.

use std::time::Duration;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::rng::{slot_rng, Stream};

/// The delays one slot applies before each of its operations.
#[derive(Clone, Debug)]
pub struct DelaySchedule {
    rng: Option<ChaCha8Rng>,
    mean_nanos: f64,
    jitter: f64,
}

impl DelaySchedule {
    /// No waiting: operations back to back.
    pub fn unpaced() -> Self {
        DelaySchedule {
            rng: None,
            mean_nanos: 0.0,
            jitter: 0.0,
        }
    }

    /// `rate` operations per second over `concurrency` slots, jitter in [0, 1].
    pub fn paced(rate: f64, jitter: f64, slot: u32, concurrency: u32, seed: u64) -> Self {
        DelaySchedule {
            rng: Some(slot_rng(seed, slot, Stream::Delays)),
            mean_nanos: 1e9 * f64::from(concurrency.max(1)) / rate,
            jitter: jitter.clamp(0.0, 1.0),
        }
    }

    /// The wait before the next operation.
    pub fn next_delay(&mut self) -> Duration {
        let Some(rng) = &mut self.rng else {
            return Duration::ZERO;
        };
        let factor = if self.jitter > 0.0 {
            rng.random_range(1.0 - self.jitter..=1.0 + self.jitter)
        } else {
            1.0
        };
        Duration::from_nanos((self.mean_nanos * factor) as u64)
    }

    /// The mean wait.
    pub fn mean(&self) -> Duration {
        Duration::from_nanos(self.mean_nanos as u64)
    }
}

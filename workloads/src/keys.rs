//! Key choice: which shared key an operation targets (uniform, zipfian, one hot key), whether it
//! targets a key private to its slot instead (the conflict rate), and, for transactional
//! workloads, key rotation.
//!
//! Key ids are integers, as in Jepsen's independent keys and Elle's histories. Each generation
//! of the key space holds `shared` keys followed by one private key per slot.

use rand::Rng;

use crate::options::{KeyDistribution, WorkloadOptions};

/// Picks key ids for one slot.
#[derive(Clone, Debug)]
pub struct KeyPicker {
    shared: usize,
    slots: usize,
    slot: usize,
    conflict_rate: f64,
    distribution: KeyDistribution,
    /// Cumulative weights for zipfian.
    cdf: Vec<f64>,
}

impl KeyPicker {
    /// The picker of `slot` of `concurrency` (which should be `options.concurrency`, the number
    /// the final reads assume; slots must be below it).
    pub fn new(options: &WorkloadOptions, shared: usize, slot: u32, concurrency: u32) -> Self {
        let cdf = match options.key_distribution {
            KeyDistribution::Zipfian { exponent } => {
                let mut acc = 0.0;
                (0..shared)
                    .map(|i| {
                        acc += 1.0 / ((i + 1) as f64).powf(exponent);
                        acc
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        KeyPicker {
            shared: shared.max(1),
            slots: concurrency.max(1) as usize,
            slot: slot as usize,
            conflict_rate: options.conflict_rate,
            distribution: options.key_distribution,
            cdf,
        }
    }

    /// Keys in one generation: the shared ones and one private key per slot.
    pub fn generation_size(&self) -> usize {
        self.shared + self.slots
    }

    /// A key of generation 0.
    pub fn pick<R: Rng>(&self, rng: &mut R) -> u64 {
        self.pick_in(rng, 0)
    }

    /// A key of `generation`.
    pub fn pick_in<R: Rng>(&self, rng: &mut R, generation: u64) -> u64 {
        let base = generation * self.generation_size() as u64;
        if self.conflict_rate < 1.0 && !rng.random_bool(self.conflict_rate) {
            return base + (self.shared + self.slot) as u64;
        }
        base + self.shared_index(rng) as u64
    }

    fn shared_index<R: Rng>(&self, rng: &mut R) -> usize {
        match self.distribution {
            KeyDistribution::Uniform => rng.random_range(0..self.shared),
            KeyDistribution::Hot { fraction } => {
                if self.shared == 1 || rng.random_bool(fraction) {
                    0
                } else {
                    rng.random_range(1..self.shared)
                }
            }
            KeyDistribution::Zipfian { .. } => {
                let total = *self.cdf.last().unwrap_or(&1.0);
                let x = rng.random_range(0.0..total);
                self.cdf.partition_point(|&c| c <= x).min(self.shared - 1)
            }
        }
    }

    /// Every key of generation 0 an operation may touch: the shared keys, plus the private ones
    /// when some operations avoid conflicts.
    pub fn all_keys(&self) -> Vec<u64> {
        let n = if self.conflict_rate < 1.0 {
            self.generation_size()
        } else {
            self.shared
        };
        (0..n as u64).collect()
    }
}

/// Values unique across slots: slot `s` of `n` writes `k·n + s + 1` for its k-th value, so no
/// two clients ever write the same value (0 stays free for initial states).
#[derive(Clone, Debug)]
pub struct UniqueValues {
    next: u64,
    stride: u64,
    offset: u64,
}

impl UniqueValues {
    pub fn new(slot: u32, concurrency: u32) -> Self {
        UniqueValues {
            next: 0,
            stride: u64::from(concurrency.max(1)),
            offset: u64::from(slot) + 1,
        }
    }

    pub fn next_value(&mut self) -> u64 {
        let v = self.next * self.stride + self.offset;
        self.next += 1;
        v
    }

    /// How many values this slot has drawn.
    pub fn drawn(&self) -> u64 {
        self.next
    }

    /// The `k`-th value of `slot` (for guessing other clients' recent writes).
    pub fn value_of(&self, k: u64, slot: u64) -> u64 {
        k * self.stride + slot + 1
    }

    pub fn slots(&self) -> u64 {
        self.stride
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{slot_rng, Stream};

    #[test]
    fn parses_distributions() {
        assert_eq!(
            "uniform".parse::<KeyDistribution>().unwrap(),
            KeyDistribution::Uniform
        );
        assert_eq!(
            "zipfian:1.5".parse::<KeyDistribution>().unwrap(),
            KeyDistribution::Zipfian { exponent: 1.5 }
        );
        assert_eq!(
            "hot".parse::<KeyDistribution>().unwrap(),
            KeyDistribution::Hot { fraction: 0.9 }
        );
        assert!("hot:2".parse::<KeyDistribution>().is_err());
        assert!("gaussian".parse::<KeyDistribution>().is_err());
    }

    fn counts(options: &WorkloadOptions, shared: usize) -> Vec<usize> {
        let picker = KeyPicker::new(options, shared, 0, options.concurrency);
        let mut rng = slot_rng(1, 0, Stream::Ops);
        let mut c = vec![0; picker.generation_size()];
        for _ in 0..10_000 {
            c[picker.pick(&mut rng) as usize] += 1;
        }
        c
    }

    #[test]
    fn distributions_skew_as_asked() {
        let mut o = WorkloadOptions::default();
        let uniform = counts(&o, 4);
        assert!(
            uniform[..4].iter().all(|&c| (2000..3000).contains(&c)),
            "{uniform:?}"
        );
        o.key_distribution = KeyDistribution::Hot { fraction: 0.9 };
        let hot = counts(&o, 4);
        assert!(hot[0] > 8500 && hot[1] > 0, "{hot:?}");
        o.key_distribution = KeyDistribution::Zipfian { exponent: 1.0 };
        let z = counts(&o, 4);
        assert!(z[0] > z[1] && z[1] > z[2] && z[2] > z[3], "{z:?}");
    }

    #[test]
    fn conflict_rate_sends_the_rest_to_the_private_key() {
        let o = WorkloadOptions {
            conflict_rate: 0.25,
            concurrency: 2,
            ..Default::default()
        };
        let c = counts(&o, 4);
        // slot 0's private key is 4; slot 1's (5) is never used by slot 0.
        assert!((7000..8000).contains(&c[4]), "{c:?}");
        assert_eq!(c[5], 0);
    }

    #[test]
    fn unique_values_never_collide_across_slots() {
        let mut seen = std::collections::HashSet::new();
        for slot in 0..3 {
            let mut u = UniqueValues::new(slot, 3);
            for _ in 0..100 {
                assert!(seen.insert(u.next_value()));
            }
        }
        assert!(!seen.contains(&0));
    }
}

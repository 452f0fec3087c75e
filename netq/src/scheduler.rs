//! The sans-IO core of the helper: a packet in at time t → when it leaves, and whether a copy
//! follows it. Times are nanoseconds on any monotonic clock the caller chooses. Releases may come
//! out of arrival order (NFQUEUE takes verdicts in any order); packets due at the same instant
//! leave in arrival order.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::shaping::{Distribution, Shaping};

const MS: u64 = 1_000_000;

/// A packet that is due now.
#[derive(Debug, PartialEq)]
pub struct Release<P> {
    pub packet: P,
    /// Send a copy of it too.
    pub duplicate: bool,
}

/// What the scheduler did so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Stats {
    pub packets: u64,
    pub duplicated: u64,
    /// Packets given the reorder gap.
    pub reordered: u64,
}

struct Held<P> {
    due: u64,
    seq: u64,
    duplicate: bool,
    packet: P,
}

impl<P> PartialEq for Held<P> {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.seq) == (other.due, other.seq)
    }
}
impl<P> Eq for Held<P> {}
impl<P> PartialOrd for Held<P> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<P> Ord for Held<P> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.due, self.seq).cmp(&(other.due, other.seq))
    }
}

/// Holds packets until they are due.
pub struct Scheduler<P> {
    shaping: Shaping,
    rng: ChaCha8Rng,
    held: BinaryHeap<Reverse<Held<P>>>,
    seq: u64,
    stats: Stats,
}

impl<P> Scheduler<P> {
    /// Draws come from `seed`: the same arrivals give the same releases.
    pub fn new(shaping: Shaping, seed: u64) -> Scheduler<P> {
        Scheduler {
            shaping,
            rng: ChaCha8Rng::seed_from_u64(seed),
            held: BinaryHeap::new(),
            seq: 0,
            stats: Stats::default(),
        }
    }

    pub fn shaping(&self) -> &Shaping {
        &self.shaping
    }

    /// New shaping for packets that arrive from now on; held ones keep their due time.
    pub fn reshape(&mut self, shaping: Shaping) {
        self.shaping = shaping;
    }

    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// How many packets are held.
    pub fn len(&self) -> usize {
        self.held.len()
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// Packet `packet` arrived at `now`: decides when it leaves.
    pub fn arrive(&mut self, now: u64, packet: P) {
        let mut hold = self.draw_delay();
        if let Some(r) = self.shaping.reorder {
            if self.rng.random::<f64>() < r.probability {
                hold += r.gap_ms * MS;
                self.stats.reordered += 1;
            }
        }
        let duplicate = self
            .shaping
            .duplicate
            .is_some_and(|d| self.rng.random::<f64>() < d.probability);
        self.stats.packets += 1;
        self.stats.duplicated += u64::from(duplicate);
        self.seq += 1;
        self.held.push(Reverse(Held {
            due: now + hold,
            seq: self.seq,
            duplicate,
            packet,
        }));
    }

    /// The hold of one packet, in ns.
    fn draw_delay(&mut self) -> u64 {
        let Some(d) = self.shaping.delay else {
            return 0;
        };
        let mean = (d.delay_ms * MS) as f64;
        let spread = (d.jitter_ms * MS) as f64;
        let ns = match d.distribution {
            _ if d.jitter_ms == 0 => mean,
            Distribution::Uniform => self.rng.random_range(mean - spread..=mean + spread),
            Distribution::Normal => {
                // Box–Muller: one standard normal from two uniforms in (0, 1].
                let u1: f64 = 1.0 - self.rng.random::<f64>();
                let u2: f64 = self.rng.random::<f64>();
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                mean + spread * z
            }
        };
        ns.max(0.0) as u64
    }

    /// When the next held packet is due.
    pub fn next_due(&self) -> Option<u64> {
        self.held.peek().map(|Reverse(h)| h.due)
    }

    /// Every packet due at or before `now`, earliest first.
    pub fn release(&mut self, now: u64) -> Vec<Release<P>> {
        let mut out = Vec::new();
        while self.next_due().is_some_and(|due| due <= now) {
            out.push(self.pop());
        }
        out
    }

    /// Every held packet, earliest first (on heal: nothing is held back any longer).
    pub fn drain(&mut self) -> Vec<Release<P>> {
        let mut out = Vec::with_capacity(self.held.len());
        while !self.held.is_empty() {
            out.push(self.pop());
        }
        out
    }

    fn pop(&mut self) -> Release<P> {
        let Reverse(h) = self.held.pop().expect("non-empty");
        Release {
            packet: h.packet,
            duplicate: h.duplicate,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shaping::{Delay, Duplicate, Reorder};

    fn delay(ms: u64, jitter: u64, distribution: Distribution) -> Shaping {
        Shaping {
            delay: Some(Delay {
                delay_ms: ms,
                jitter_ms: jitter,
                distribution,
            }),
            ..Shaping::default()
        }
    }

    /// Arrivals every `step` ns; returns (packet, leave time) as releases are polled every 100 µs.
    fn run(s: &mut Scheduler<u64>, packets: u64, step: u64) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let mut now = 0;
        let mut next = 0;
        while out.len() < packets as usize {
            while next < packets && next * step <= now {
                s.arrive(next * step, next);
                next += 1;
            }
            for r in s.release(now) {
                out.push((r.packet, now));
            }
            now += 100_000;
        }
        out
    }

    #[test]
    fn no_shaping_passes_at_once_in_order() {
        let mut s = Scheduler::new(Shaping::default(), 1);
        s.arrive(5, "a");
        s.arrive(5, "b");
        assert_eq!(s.next_due(), Some(5));
        let r = s.release(5);
        assert_eq!(
            r,
            [
                Release {
                    packet: "a",
                    duplicate: false
                },
                Release {
                    packet: "b",
                    duplicate: false
                }
            ]
        );
        assert!(s.is_empty() && s.next_due().is_none());
    }

    #[test]
    fn a_fixed_delay_holds_every_packet_exactly_that_long_in_order() {
        let mut s = Scheduler::new(delay(50, 0, Distribution::Uniform), 1);
        s.arrive(0, 1);
        s.arrive(MS, 2);
        assert!(s.release(50 * MS - 1).is_empty());
        assert_eq!(s.release(50 * MS).len(), 1);
        assert_eq!(s.next_due(), Some(51 * MS));
        assert_eq!(s.release(51 * MS)[0].packet, 2);
        assert_eq!(s.stats().packets, 2);
    }

    #[test]
    fn uniform_jitter_stays_within_bounds_and_centres_on_the_delay() {
        let mut s = Scheduler::new(delay(40, 10, Distribution::Uniform), 7);
        let out = run(&mut s, 2000, MS);
        let holds: Vec<f64> = out
            .iter()
            .map(|(p, t)| (t - p * MS) as f64 / MS as f64)
            .collect();
        assert!(holds.iter().all(|h| (30.0..=50.1).contains(h)), "{holds:?}");
        let mean = holds.iter().sum::<f64>() / holds.len() as f64;
        assert!((mean - 40.0).abs() < 1.0, "mean {mean}");
        // Jitter larger than the spacing of packets reorders them, as netem's does.
        assert!(out.windows(2).any(|w| w[1].0 < w[0].0));
    }

    #[test]
    fn normal_jitter_has_the_asked_spread_and_never_goes_negative() {
        let mut s = Scheduler::new(delay(20, 10, Distribution::Normal), 3);
        let out = run(&mut s, 4000, MS / 2);
        let holds: Vec<f64> = out
            .iter()
            .map(|(p, t)| (t - p * MS / 2) as f64 / MS as f64)
            .collect();
        let mean = holds.iter().sum::<f64>() / holds.len() as f64;
        let sd =
            (holds.iter().map(|h| (h - mean).powi(2)).sum::<f64>() / holds.len() as f64).sqrt();
        assert!((mean - 20.0).abs() < 1.0, "mean {mean}");
        assert!((8.0..11.0).contains(&sd), "sd {sd}");
        // Draws below zero are cut at 0, not wrapped round to a huge hold.
        assert!(holds.iter().all(|h| *h <= 80.0));
    }

    #[test]
    fn duplicates_and_reorders_hit_the_asked_fraction() {
        let shaping = Shaping {
            delay: None,
            duplicate: Some(Duplicate { probability: 0.25 }),
            reorder: Some(Reorder {
                probability: 0.1,
                gap_ms: 5,
            }),
        };
        let mut s = Scheduler::new(shaping, 11);
        let out = run(&mut s, 4000, MS / 10);
        let stats = s.stats();
        assert_eq!(stats.packets, 4000);
        assert!((900..1100).contains(&stats.duplicated), "{stats:?}");
        assert!((320..480).contains(&stats.reordered), "{stats:?}");
        // A packet given the gap leaves after packets that arrived later.
        let overtaken = out.windows(2).filter(|w| w[1].0 < w[0].0).count();
        assert!(overtaken >= 300, "{overtaken}");
        // Without reorder, no delay and no jitter, order is kept.
        let mut plain = Scheduler::new(
            Shaping {
                duplicate: shaping.duplicate,
                ..Shaping::default()
            },
            11,
        );
        let out = run(&mut plain, 500, MS / 10);
        assert!(out.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn drain_gives_back_every_held_packet_earliest_first() {
        let mut s = Scheduler::new(delay(1000, 0, Distribution::Uniform), 1);
        for i in 0..5 {
            s.arrive(i, i);
        }
        let all: Vec<u64> = s.drain().into_iter().map(|r| r.packet).collect();
        assert_eq!(all, [0, 1, 2, 3, 4]);
        assert!(s.is_empty());
    }

    #[test]
    fn the_same_seed_gives_the_same_releases() {
        let shaping = delay(10, 8, Distribution::Normal);
        let a = run(&mut Scheduler::new(shaping, 5), 300, MS);
        let b = run(&mut Scheduler::new(shaping, 5), 300, MS);
        let c = run(&mut Scheduler::new(shaping, 6), 300, MS);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}

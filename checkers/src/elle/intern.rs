//! Keys and values turned into dense integers up front, so that version orders are `Vec<u32>` and
//! every later table is indexed or hashed by small integers.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::Value;

pub type FastMap<K, V> = HashMap<K, V, crate::fxhash::FxBuild>;

pub fn fast_map<K, V>() -> FastMap<K, V> {
    FastMap::default()
}

/// Packs two ids into one hash key (use it in a [`PairMap`], not a [`FastMap`]).
pub fn pair(a: u32, b: u32) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
}

/// A table keyed by [`pair`]s. FxHash's multiply leaves the low bits of the hash depending only
/// on the low bits of the key, and the hash table picks a bucket by those low bits: every
/// `(key, element)` with the same element would start at the same bucket. With elements counted
/// per key from 1 (as Jepsen's generators do) and keys retired every few appends, a million
/// transactions put tens of thousands of pairs on one probe chain and the check became
/// quadratic. This hasher mixes the whole word into every bit.
pub type PairMap<V> = HashMap<u64, V, BuildHasherDefault<PairHasher>>;

pub fn pair_map<V>() -> PairMap<V> {
    PairMap::default()
}

/// See [`PairMap`]: the SplitMix64 finaliser of the one `u64` written.
#[derive(Clone, Copy, Default)]
pub struct PairHasher(u64);

impl Hasher for PairHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    #[inline]
    fn write_u64(&mut self, x: u64) {
        self.0 = crate::fxhash::splitmix64(self.0 ^ x);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// An empty slot of [`Interner::dense`].
const NO_ID: u32 = u32::MAX;
/// [`Interner::dense`] grows over an integer below this many times the number of values (plus
/// the floor), and by doubling (so integers that moved to the hash table are moved back a
/// logarithmic number of times): its size stays within twice that.
const DENSE_SLACK: usize = 4;
const DENSE_FLOOR: usize = 1 << 12;

/// Assigns each distinct JSON value an id, and remembers the value for explanations.
#[derive(Default)]
pub struct Interner {
    /// Ids of the integers `0..dense.len()` ([`NO_ID`]: not seen), indexed directly: list-append
    /// elements are counters, and on a million transactions the hash probes of this table
    /// were a sixth of the check. Grows to cover a new integer only while it stays within a few
    /// times the number of values, so a few huge integers do not make it huge.
    dense: Vec<u32>,
    /// Every other integer.
    ints: FastMap<i64, u32>,
    texts: HashMap<String, u32>,
    /// Anything else (floats, arrays, maps), by its canonical JSON text.
    others: HashMap<String, u32>,
    values: Vec<Value>,
}

impl Interner {
    pub fn intern(&mut self, value: &Value) -> u32 {
        let next = self.values.len() as u32;
        let id = match value {
            Value::Number(n) if n.as_i64().is_some() => {
                return self.intern_i64(n.as_i64().unwrap_or_default());
            }
            Value::String(s) => match self.texts.get(s.as_str()) {
                Some(&id) => id,
                None => {
                    self.texts.insert(s.clone(), next);
                    next
                }
            },
            other => *self.others.entry(other.to_string()).or_insert(next),
        };
        if id == next {
            self.values.push(value.clone());
        }
        id
    }

    /// Like [`Interner::intern`] for an integer, without building a JSON value first.
    pub fn intern_i64(&mut self, n: i64) -> u32 {
        let next = self.values.len() as u32;
        let id = match self.dense_slot(n) {
            Some(slot) => {
                let slot = &mut self.dense[slot];
                if *slot == NO_ID {
                    *slot = next;
                }
                *slot
            }
            None => *self.ints.entry(n).or_insert(next),
        };
        if id == next {
            self.values.push(Value::from(n));
        }
        id
    }

    /// Where `n`'s id is in [`Interner::dense`], growing it to cover `n` when `n` is small
    /// enough; `None`: `n` lives in [`Interner::ints`].
    fn dense_slot(&mut self, n: i64) -> Option<usize> {
        let i = usize::try_from(n).ok()?;
        if i < self.dense.len() {
            return Some(i);
        }
        if i >= DENSE_SLACK * (self.values.len() + DENSE_FLOOR) {
            return None;
        }
        let len = (i + 1).max(2 * self.dense.len()).max(DENSE_FLOOR);
        self.dense.resize(len, NO_ID);
        // Integers that were too large for the table before and are covered now move into it.
        if !self.ints.is_empty() {
            let dense = &mut self.dense;
            self.ints.retain(|&k, &mut id| match usize::try_from(k) {
                Ok(k) if k < dense.len() => {
                    dense[k] = id;
                    false
                }
                _ => true,
            });
        }
        Some(i)
    }

    /// Like [`Interner::intern`] for a string.
    pub fn intern_str(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.texts.get(s) {
            return id;
        }
        let next = self.values.len() as u32;
        self.texts.insert(s.to_string(), next);
        self.values.push(Value::String(s.to_string()));
        next
    }

    /// The value an id stands for.
    pub fn value(&self, id: u32) -> &Value {
        &self.values[id as usize]
    }

    /// The value as a user wrote it: strings without quotes, everything else as JSON.
    pub fn show(&self, id: u32) -> String {
        show_value(self.value(id))
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// A JSON value as a database engineer would write it: `x` rather than `"x"`, lists as `[1 2]`.
pub fn show_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "nil".to_string(),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(show_value).collect();
            format!("[{}]", inner.join(" "))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::hash::BuildHasher;

    #[test]
    fn pairs_that_differ_only_in_their_first_id_spread_over_the_buckets() {
        // A table of 4096 buckets picks one by the low 12 bits of the hash.
        let low = |h: u64| h & 4095;
        let spread = |hash: &dyn Fn(u64) -> u64| {
            let buckets: std::collections::HashSet<u64> =
                (0..4096u32).map(|k| low(hash(pair(k, 7)))).collect();
            buckets.len()
        };
        let pairs = BuildHasherDefault::<PairHasher>::default();
        let fx = crate::fxhash::FxBuild::default();
        // Fx puts all of them in one bucket (what made the check quadratic); ours, about 63%
        // of the buckets, as a random function would.
        assert_eq!(spread(&|x| fx.hash_one(x)), 1);
        assert!(spread(&|x| pairs.hash_one(x)) > 2400);
        let mut m: PairMap<u32> = pair_map();
        m.insert(pair(1, 2), 3);
        assert_eq!(m.get(&pair(1, 2)), Some(&3));
        assert_eq!(m.get(&pair(2, 1)), None);
    }

    /// Small integers are indexed directly, others hashed, and an integer first hashed moves
    /// when the direct table grows over it: every integer keeps the id it was first given.
    #[test]
    fn integers_keep_their_first_id_wherever_they_are_kept() {
        let mut rng = crate::synth::SplitMix::new(5);
        let mut i = Interner::default();
        let mut want: HashMap<i64, u32> = HashMap::new();
        for round in 0..60_000u64 {
            let n = match rng.next_u64() % 5 {
                0 => -((rng.next_u64() % 50) as i64),
                1 => (rng.next_u64() % (1 << 40)) as i64,
                2 => i64::MAX - (rng.next_u64() % 3) as i64,
                _ => (rng.next_u64() % (round + 100)) as i64 * 3,
            };
            let next = want.len() as u32;
            let expected = *want.entry(n).or_insert(next);
            let got = if round % 2 == 0 {
                i.intern_i64(n)
            } else {
                i.intern(&json!(n))
            };
            assert_eq!(got, expected, "{n} at round {round}");
            assert_eq!(i.value(got), &json!(n));
        }
        assert_eq!(i.len(), want.len());
        assert!(!i.dense.is_empty() && !i.ints.is_empty());
        assert!(i.dense.len() <= 2 * DENSE_SLACK * (i.len() + DENSE_FLOOR));
        for (&n, &id) in &want {
            assert_eq!(i.intern_i64(n), id);
        }
    }

    #[test]
    fn equal_values_share_an_id_and_different_kinds_do_not_collide() {
        let mut i = Interner::default();
        let a = i.intern(&json!(1));
        let b = i.intern(&json!("1"));
        let c = i.intern(&json!([1]));
        assert_eq!(i.intern(&json!(1)), a);
        assert_eq!(i.intern(&json!("1")), b);
        assert_eq!(i.intern(&json!([1])), c);
        assert_eq!(i.len(), 3);
        assert_eq!(i.show(c), "[1]");
        assert_eq!(i.show(b), "1");
    }
}

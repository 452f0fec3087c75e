//! Keys and values turned into dense integers up front, so that version orders are `Vec<u32>` and
//! every later table is indexed or hashed by small integers.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::Value;

/// A multiply-rotate hasher (the Firefox / rustc "Fx" scheme) for integer keys we made ourselves:
/// no attacker chooses them, so SipHash's flooding resistance buys nothing and costs 3–5x.
#[derive(Default, Clone, Copy)]
pub struct FastHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        // The product's high bits depend on every input bit, its low bits only on the low input
        // bits; hash tables index by the low bits, so bring the high ones down (as rustc-hash 2
        // does). Without this, (key, element) pairs with equal elements all collide.
        self.0.rotate_left(26)
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(SEED);
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }
}

pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

pub fn fast_map<K, V>() -> FastMap<K, V> {
    FastMap::default()
}

/// Packs two ids into one hash key.
pub fn pair(a: u32, b: u32) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
}

/// Assigns each distinct JSON value an id, and remembers the value for explanations.
#[derive(Default)]
pub struct Interner {
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
            Value::Number(n) if n.as_i64().is_some() => *self
                .ints
                .entry(n.as_i64().unwrap_or_default())
                .or_insert(next),
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
        let id = *self.ints.entry(n).or_insert(next);
        if id == next {
            self.values.push(Value::from(n));
        }
        id
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

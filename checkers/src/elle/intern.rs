//! Keys and values turned into dense integers up front, so that version orders are `Vec<u32>` and
//! every later table is indexed or hashed by small integers.

use std::collections::HashMap;

use crate::Value;

pub type FastMap<K, V> = HashMap<K, V, crate::fxhash::FxBuild>;

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

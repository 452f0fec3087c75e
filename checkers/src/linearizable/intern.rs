//! Interning of JSON values into small integers, done once before a search so that the search
//! compares and hashes `u32`s and never touches `serde_json::Value`.

use crate::fxhash::FxHashMap;
use crate::Value;

/// A value's interned id. Ids are dense, starting at 0, in first-seen order.
pub type ValueId = u32;

/// The id of JSON `null`: every interner starts with it, so models can name "no value" without
/// looking it up.
pub const NULL_ID: ValueId = 0;

/// Maps values to dense ids and back.
///
/// Integers and strings, the values histories are mostly made of, are looked up without
/// allocating; other values by their compact JSON text.
#[derive(Debug)]
pub struct Interner {
    ints: FxHashMap<i64, ValueId>,
    strings: FxHashMap<String, ValueId>,
    others: FxHashMap<String, ValueId>,
    values: Vec<Value>,
}

impl Default for Interner {
    fn default() -> Self {
        let mut interner = Interner {
            ints: FxHashMap::default(),
            strings: FxHashMap::default(),
            others: FxHashMap::default(),
            values: Vec::new(),
        };
        interner.id(&Value::Null);
        interner
    }
}

impl Interner {
    /// An interner that knows only `null` (as [`NULL_ID`]).
    pub fn new() -> Self {
        Interner::default()
    }

    /// The id of `value`, creating one if it is new. Two values get the same id exactly when their
    /// compact JSON text is equal (so `1` and `1.0` differ, as they do in the history).
    pub fn id(&mut self, value: &Value) -> ValueId {
        let next = self.values.len() as ValueId;
        let id = match value {
            Value::Number(n) if n.is_i64() => {
                *self.ints.entry(n.as_i64().expect("i64")).or_insert(next)
            }
            Value::String(s) => match self.strings.get(s.as_str()) {
                Some(&id) => id,
                None => *self.strings.entry(s.clone()).or_insert(next),
            },
            other => *self.others.entry(other.to_string()).or_insert(next),
        };
        if id == next {
            self.values.push(value.clone());
        }
        id
    }

    /// The value behind an id this interner gave out.
    pub fn value(&self, id: ValueId) -> &Value {
        &self.values[id as usize]
    }

    /// How many distinct values were seen (`null` included).
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Never true: `null` is always interned.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn equal_values_share_an_id_and_round_trip() {
        let mut i = Interner::new();
        let a = i.id(&json!(1));
        let b = i.id(&json!("x"));
        assert_ne!(a, b);
        assert_eq!(i.id(&json!(1)), a);
        assert_eq!(i.value(b), &json!("x"));
        assert_eq!(i.len(), 3);
        assert_eq!(i.id(&Value::Null), NULL_ID);
    }
}

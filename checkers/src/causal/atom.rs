//! Hashable stand-ins for JSON keys and values, so that writes can be looked up by `(key, value)`.
//!
//! `serde_json::Value` is neither `Hash` nor `Eq`; the causal checker only needs identity (two
//! values are the same write iff they print the same), so integers stay integers and everything
//! else is kept as its canonical JSON text.

use std::collections::HashMap;
use std::fmt;

use crate::fxhash::FxBuild;
use crate::Value;

/// A JSON value reduced to its identity.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Atom {
    Int(i64),
    /// The value's JSON text (strings keep their quotes, so `"1"` and `1` differ).
    Json(String),
}

impl Atom {
    pub fn of(value: &Value) -> Atom {
        match value.as_i64() {
            Some(i) => Atom::Int(i),
            None => Atom::Json(value.to_string()),
        }
    }

    /// The JSON value back, for machine-readable anomaly details.
    pub fn to_value(&self) -> Value {
        match self {
            Atom::Int(i) => Value::from(*i),
            Atom::Json(text) => serde_json::from_str(text).unwrap_or(Value::Null),
        }
    }
}

impl fmt::Display for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Atom::Int(i) => write!(f, "{i}"),
            Atom::Json(text) => f.write_str(text),
        }
    }
}

/// Dense ids for keys, so per-key tables are vectors.
#[derive(Debug, Default)]
pub struct Interner {
    ids: HashMap<Atom, u32, FxBuild>,
    names: Vec<Atom>,
}

impl Interner {
    pub fn intern(&mut self, atom: Atom) -> u32 {
        if let Some(&id) = self.ids.get(&atom) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(atom.clone());
        self.ids.insert(atom, id);
        id
    }

    pub fn name(&self, id: u32) -> &Atom {
        &self.names[id as usize]
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integers_and_strings_are_different_atoms() {
        assert_ne!(Atom::of(&json!(1)), Atom::of(&json!("1")));
        assert_eq!(Atom::of(&json!("x")).to_string(), "\"x\"");
        assert_eq!(Atom::of(&json!([1, 2])).to_value(), json!([1, 2]));
    }

    #[test]
    fn interning_gives_stable_dense_ids() {
        let mut keys = Interner::default();
        let x = keys.intern(Atom::of(&json!("x")));
        let y = keys.intern(Atom::of(&json!("y")));
        assert_eq!((x, y), (0, 1));
        assert_eq!(keys.intern(Atom::of(&json!("x"))), 0);
        assert_eq!(keys.name(1), &Atom::of(&json!("y")));
    }
}

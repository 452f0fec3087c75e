//! A string key-value store, key by key (Porcupine's `kv` model): `get` reads the key's string,
//! `put` replaces it, `append` concatenates to it. Every key starts as the same string: `""`
//! unless `--initial` gives another. Operations carry their key in `key` (or, with
//! `--independent`, as Jepsen's `[key value]` tuple), so each key is checked on its own.
//!
//! A `get` reads the string in its completion's `value`; `null` there is read as `""`, the string
//! of a key never written, as Porcupine's model does. An `info` `get` constrains nothing and is left
//! out; an `info` `put` or `append` may or may not have taken effect.

use std::sync::Arc;

use super::super::intern::Interner;
use super::super::model::{Model, Outcome, Parsed};
use super::super::unit::LinearizableChecker;
use crate::Value;

/// One operation on one key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KvOp {
    /// A read that returned this string.
    Get(Arc<str>),
    Put(Arc<str>),
    Append(Arc<str>),
}

/// The key's string.
#[derive(Clone, Copy, Debug)]
pub struct Kv;

/// `--model kv`.
pub static KV: LinearizableChecker<Kv> = LinearizableChecker {
    name: "kv",
    about: "linearizable string key-value store (per key): get, put, append (concatenation); \
            keys start \"\" unless --initial (Porcupine's kv)",
    judges: &["get", "put", "append"],
    model: |_| Kv,
};

fn string(value: &Value, what: &str) -> Result<Arc<str>, String> {
    match value {
        Value::String(s) => Ok(Arc::from(s.as_str())),
        Value::Null if what == "get" => Ok(Arc::from("")),
        other => Err(format!(
            "expected a string as the {what} value, found {other}"
        )),
    }
}

impl Model for Kv {
    type State = Arc<str>;
    type Op = KvOp;

    fn name(&self) -> &'static str {
        "kv"
    }

    /// Default: `""`. `--initial` takes a string, the start of every key.
    fn initial(&self, initial: Option<&Value>, _values: &mut Interner) -> Result<Arc<str>, String> {
        match initial {
            None | Some(Value::Null) => Ok(Arc::from("")),
            Some(Value::String(s)) => Ok(Arc::from(s.as_str())),
            Some(other) => Err(format!(
                "a kv key starts as a string (default \"\"), not {other}"
            )),
        }
    }

    fn parse(
        &self,
        f: &str,
        value: &Value,
        outcome: Outcome,
        _values: &mut Interner,
    ) -> Result<Parsed<KvOp>, String> {
        Ok(Parsed::Op(match f {
            "get" if outcome == Outcome::Info => return Ok(Parsed::Ignore),
            "get" => KvOp::Get(string(value, "get")?),
            "put" => KvOp::Put(string(value, "put")?),
            "append" => KvOp::Append(string(value, "append")?),
            other => {
                return Err(format!(
                    "unknown function {other:?} for kv; expected get, put or append"
                ))
            }
        }))
    }

    fn step(&self, state: &Arc<str>, op: &KvOp, _choice: usize) -> Option<Arc<str>> {
        match op {
            KvOp::Get(seen) => (seen == state).then(|| state.clone()),
            KvOp::Put(v) => Some(v.clone()),
            KvOp::Append(v) if v.is_empty() => Some(state.clone()),
            KvOp::Append(v) => {
                let mut next = String::with_capacity(state.len() + v.len());
                next.push_str(state);
                next.push_str(v);
                Some(Arc::from(next))
            }
        }
    }

    // No `blind_result`: a put is blind, but the search places a blind `info` operation only right
    // before an operation that needs exactly the state it leaves, and an append after an `info`
    // put builds on it without needing it (put "a", append "b", get "ab"). Found by the property
    // test against brute force.

    fn required_state(&self, op: &KvOp) -> Option<Arc<str>> {
        match op {
            KvOp::Get(v) => Some(v.clone()),
            _ => None,
        }
    }

    fn describe_op(&self, op: &KvOp, _values: &Interner) -> String {
        match op {
            KvOp::Get(v) => format!("get {}", Value::from(&**v)),
            KvOp::Put(v) => format!("put {}", Value::from(&**v)),
            KvOp::Append(v) => format!("append {}", Value::from(&**v)),
        }
    }

    fn state_json(&self, state: &Arc<str>, _values: &Interner) -> Value {
        Value::from(&**state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_concatenates_and_get_must_match() {
        let s: Arc<str> = Arc::from("x");
        let a = Kv.step(&s, &KvOp::Append(Arc::from("y")), 0).unwrap();
        assert_eq!(&*a, "xy");
        assert!(Kv.step(&a, &KvOp::Get(Arc::from("x")), 0).is_none());
        assert_eq!(&*Kv.step(&a, &KvOp::Get(Arc::from("xy")), 0).unwrap(), "xy");
        assert_eq!(&*Kv.step(&a, &KvOp::Put(Arc::from("z")), 0).unwrap(), "z");
    }

    #[test]
    fn parse_reads_porcupine_values() {
        let mut values = Interner::new();
        let get_nil = Kv.parse("get", &Value::Null, Outcome::Ok, &mut values);
        assert_eq!(get_nil, Ok(Parsed::Op(KvOp::Get(Arc::from("")))));
        let info_get = Kv.parse("get", &Value::Null, Outcome::Info, &mut values);
        assert_eq!(info_get, Ok(Parsed::Ignore));
        assert!(Kv
            .parse("put", &Value::Null, Outcome::Ok, &mut values)
            .unwrap_err()
            .contains("string"));
        assert!(Kv
            .parse("read", &Value::Null, Outcome::Ok, &mut values)
            .unwrap_err()
            .contains("get, put or append"));
        assert!(Kv.initial(Some(&Value::from(3)), &mut values).is_err());
        assert_eq!(
            &*Kv.initial(Some(&Value::from("ab")), &mut values).unwrap(),
            "ab"
        );
    }

    /// Porcupine's kv format (one EDN map per line, no `:index` or `:time`: line order is real
    /// time), hand-built, each with the verdict it must get.
    #[test]
    fn porcupine_format_fixtures() {
        use crate::history::formats::{read_str, Format};
        use crate::{registry, CheckOptions, Validity};
        let cases = [
            (
                "one-key-sequential",
                include_str!("../../../tests/fixtures/kv/one-key-sequential.edn"),
                Validity::Valid,
            ),
            (
                "three-keys-concurrent",
                include_str!("../../../tests/fixtures/kv/three-keys-concurrent.edn"),
                Validity::Valid,
            ),
            (
                "stale-get",
                include_str!("../../../tests/fixtures/kv/stale-get.edn"),
                Validity::Invalid,
            ),
            (
                "info-append-seen-later",
                include_str!("../../../tests/fixtures/kv/info-append-seen-later.edn"),
                Validity::Valid,
            ),
            (
                "info-cannot-explain",
                include_str!("../../../tests/fixtures/kv/info-cannot-explain.edn"),
                Validity::Invalid,
            ),
        ];
        for (name, text, want) in cases {
            let history = read_str(text, name, Format::Auto).unwrap();
            let report = registry::check("kv", &history, &CheckOptions::default()).unwrap();
            assert_eq!(report.valid, want, "{name}: {report:#?}");
            if want == Validity::Invalid {
                assert_eq!(report.anomaly_types(), ["nonlinearizable"], "{name}");
            }
        }
        // Only key "0" of stale-get is wrong: the anomaly names it, not key "1".
        let stale = read_str(cases[2].1, "stale-get", Format::Edn).unwrap();
        let report = registry::check("kv", &stale, &CheckOptions::default()).unwrap();
        assert_eq!(report.anomalies.len(), 1);
        assert!(
            report.anomalies[0].explanation.contains("\"0\""),
            "{report:#?}"
        );
        // A settable initial value: with "z" every key starts "z", so "ab" cannot be read.
        let one = read_str(cases[0].1, "one", Format::Edn).unwrap();
        let put_first = CheckOptions {
            initial: Some(Value::from("z")),
            ..CheckOptions::default()
        };
        assert_eq!(
            registry::check("kv", &one, &put_first).unwrap().valid,
            Validity::Valid
        );
        let info = read_str(cases[3].1, "info", Format::Edn).unwrap();
        assert_eq!(
            registry::check("kv", &info, &put_first).unwrap().valid,
            Validity::Invalid
        );
    }
}

//! Generator controls shared by every workload (`faultline run` flags). Every choice they drive
//! is drawn from the run seed, so a run can be replayed.

use std::str::FromStr;

use thiserror::Error;

/// How operations pick among the shared keys.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum KeyDistribution {
    /// Every key equally likely.
    Uniform,
    /// Key `i` (0-based) with weight `1 / (i + 1)^exponent` (YCSB's skew; exponent ~1).
    Zipfian { exponent: f64 },
    /// Key 0 takes `fraction` of the operations, the rest spread uniformly.
    Hot { fraction: f64 },
}

impl FromStr for KeyDistribution {
    type Err = WorkloadError;

    /// `uniform`, `zipfian`, `zipfian:1.2`, `hot`, `hot:0.9`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, param) = match s.split_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (s, None),
        };
        let bad = || WorkloadError::BadOption {
            option: "key distribution".into(),
            message: format!("expected uniform, zipfian[:EXPONENT] or hot[:FRACTION], found {s:?}"),
        };
        let number = |default: f64| -> Result<f64, WorkloadError> {
            param.map_or(Ok(default), |p| p.parse::<f64>().map_err(|_| bad()))
        };
        match name {
            "uniform" if param.is_none() => Ok(KeyDistribution::Uniform),
            "zipfian" => match number(1.0)? {
                e if e > 0.0 && e.is_finite() => Ok(KeyDistribution::Zipfian { exponent: e }),
                _ => Err(bad()),
            },
            "hot" => match number(0.9)? {
                f if (0.0..=1.0).contains(&f) => Ok(KeyDistribution::Hot { fraction: f }),
                _ => Err(bad()),
            },
            _ => Err(bad()),
        }
    }
}

impl std::fmt::Display for KeyDistribution {
    /// The text [`FromStr`] reads back to the same value.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyDistribution::Uniform => write!(f, "uniform"),
            KeyDistribution::Zipfian { exponent } => write!(f, "zipfian:{exponent}"),
            KeyDistribution::Hot { fraction } => write!(f, "hot:{fraction}"),
        }
    }
}

/// The controls. `None` fields take the workload's own default (listed in its docs).
#[derive(Clone, Debug, PartialEq)]
pub struct WorkloadOptions {
    /// Client slots.
    pub concurrency: u32,
    /// Operations per second over all clients; `None` is as fast as the store answers.
    pub rate: Option<f64>,
    /// Pacing jitter in [0, 1]: each delay is uniform in mean × [1 − jitter, 1 + jitter].
    pub jitter: f64,
    /// Shared keys (accounts for bank, active keys per generation for transactions).
    pub key_count: Option<usize>,
    pub key_distribution: KeyDistribution,
    /// Fraction of operations (micro-operations for transactions) that read.
    pub read_fraction: Option<f64>,
    /// Fraction of operations on the shared keys; the rest go to a key private to the slot,
    /// where no other client contends.
    pub conflict_rate: f64,
    /// Transactions: micro-operations per transaction, 1..=max.
    pub max_txn_length: usize,
    /// Transactions: writes a key takes (across clients, approximately) before it is retired
    /// for a fresh one, as Elle's generators do, so version orders stay short.
    pub max_writes_per_key: usize,
    /// Bank: the total money, spread over the accounts at setup.
    pub bank_total: i64,
    /// Bank: the largest amount one transfer moves.
    pub max_transfer: i64,
}

impl Default for WorkloadOptions {
    fn default() -> Self {
        WorkloadOptions {
            concurrency: 5,
            rate: None,
            jitter: 1.0,
            key_count: None,
            key_distribution: KeyDistribution::Uniform,
            read_fraction: None,
            conflict_rate: 1.0,
            max_txn_length: 4,
            max_writes_per_key: 32,
            bank_total: 100,
            max_transfer: 5,
        }
    }
}

impl WorkloadOptions {
    /// Errors naming the first control out of range.
    pub fn validate(&self) -> Result<(), WorkloadError> {
        let bad = |option: &str, message: String| {
            Err(WorkloadError::BadOption {
                option: option.into(),
                message,
            })
        };
        if self.concurrency == 0 {
            return bad("concurrency", "must be at least 1".into());
        }
        if let Some(r) = self.rate {
            if r.is_nan() || r <= 0.0 {
                return bad(
                    "rate",
                    format!("must be a positive number of operations per second, found {r}"),
                );
            }
        }
        if !(0.0..=1.0).contains(&self.jitter) {
            return bad(
                "jitter",
                format!("must be within [0, 1], found {}", self.jitter),
            );
        }
        if self.key_count == Some(0) {
            return bad("key count", "must be at least 1".into());
        }
        if let Some(f) = self.read_fraction {
            if !(0.0..=1.0).contains(&f) {
                return bad("read fraction", format!("must be within [0, 1], found {f}"));
            }
        }
        if !(0.0..=1.0).contains(&self.conflict_rate) {
            return bad(
                "conflict rate",
                format!("must be within [0, 1], found {}", self.conflict_rate),
            );
        }
        if self.max_txn_length == 0 || self.max_writes_per_key == 0 {
            return bad(
                "transaction length / writes per key",
                "must be at least 1".into(),
            );
        }
        if self.bank_total < 0 || self.max_transfer < 1 {
            return bad(
                "bank",
                "the total must be non-negative and transfers at least 1".into(),
            );
        }
        Ok(())
    }

    pub fn key_count_or(&self, default: usize) -> usize {
        self.key_count.unwrap_or(default)
    }

    pub fn read_fraction_or(&self, default: f64) -> f64 {
        self.read_fraction.unwrap_or(default)
    }
}

/// The controls a command line can set by name (`--workload-option NAME=VALUE`), with one line
/// of help each. `concurrency` and `rate` are left to the run's own flags.
pub const SETTINGS: &[(&str, &str)] = &[
    ("jitter", "pacing jitter in [0, 1] around the mean delay (default 1)"),
    ("key-count", "shared keys; accounts for bank; active keys for transactions; group size for long-fork"),
    ("key-distribution", "uniform | zipfian[:EXPONENT] | hot[:FRACTION] (default uniform)"),
    ("read-fraction", "fraction of operations that read, in [0, 1] (default per workload)"),
    ("conflict-rate", "fraction of operations on shared keys; the rest use a key private to the client (default 1)"),
    ("max-txn-length", "micro-operations per transaction, at most (default 4)"),
    ("max-writes-per-key", "writes a transactional key takes before it is retired (default 32)"),
    ("bank-total", "money spread over the bank accounts at setup (default 100)"),
    ("max-transfer", "largest amount one bank transfer moves (default 5)"),
];

impl WorkloadOptions {
    /// Sets the control `name` (from [`SETTINGS`]) from its text; the error names the control
    /// and what was expected.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), WorkloadError> {
        fn parse<T: FromStr>(name: &str, value: &str, what: &str) -> Result<T, WorkloadError> {
            value.trim().parse().map_err(|_| WorkloadError::BadOption {
                option: name.to_string(),
                message: format!("expected {what}, found {value:?}"),
            })
        }
        match name {
            "jitter" => self.jitter = parse(name, value, "a number in [0, 1]")?,
            "key-count" => self.key_count = Some(parse(name, value, "a positive integer")?),
            "key-distribution" => self.key_distribution = value.parse()?,
            "read-fraction" => self.read_fraction = Some(parse(name, value, "a number in [0, 1]")?),
            "conflict-rate" => self.conflict_rate = parse(name, value, "a number in [0, 1]")?,
            "max-txn-length" => self.max_txn_length = parse(name, value, "a positive integer")?,
            "max-writes-per-key" => {
                self.max_writes_per_key = parse(name, value, "a positive integer")?
            }
            "bank-total" => self.bank_total = parse(name, value, "an integer")?,
            "max-transfer" => self.max_transfer = parse(name, value, "a positive integer")?,
            _ => {
                return Err(WorkloadError::BadOption {
                    option: name.to_string(),
                    message: format!(
                        "unknown workload option; known: {}",
                        SETTINGS
                            .iter()
                            .map(|(n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                })
            }
        }
        Ok(())
    }

    /// The controls that differ from the defaults, as `(NAME, VALUE)` in [`SETTINGS`] order: what
    /// `--workload-option` must be given to rebuild these options ([`WorkloadOptions::set`] reads
    /// each value back to the same one). `concurrency` and `rate` are not among them.
    pub fn settings(&self) -> Vec<(&'static str, String)> {
        let d = WorkloadOptions::default();
        let changed = |differs: bool, value: String| differs.then_some(value);
        let values = [
            changed(self.jitter != d.jitter, self.jitter.to_string()),
            self.key_count.map(|n| n.to_string()),
            changed(
                self.key_distribution != d.key_distribution,
                self.key_distribution.to_string(),
            ),
            self.read_fraction.map(|f| f.to_string()),
            changed(
                self.conflict_rate != d.conflict_rate,
                self.conflict_rate.to_string(),
            ),
            changed(
                self.max_txn_length != d.max_txn_length,
                self.max_txn_length.to_string(),
            ),
            changed(
                self.max_writes_per_key != d.max_writes_per_key,
                self.max_writes_per_key.to_string(),
            ),
            changed(self.bank_total != d.bank_total, self.bank_total.to_string()),
            changed(
                self.max_transfer != d.max_transfer,
                self.max_transfer.to_string(),
            ),
        ];
        SETTINGS
            .iter()
            .zip(values)
            .filter_map(|((name, _), value)| value.map(|v| (*name, v)))
            .collect()
    }

    /// Sets a control from `NAME=VALUE`.
    pub fn set_pair(&mut self, pair: &str) -> Result<(), WorkloadError> {
        match pair.split_once('=') {
            Some((name, value)) => self.set(name.trim(), value),
            None => Err(WorkloadError::BadOption {
                option: pair.to_string(),
                message: "expected NAME=VALUE".into(),
            }),
        }
    }
}

/// A workload that cannot be built.
#[derive(Debug, Error)]
pub enum WorkloadError {
    #[error("unknown workload {name:?}; known workloads: {known}")]
    UnknownWorkload { name: String, known: String },
    #[error("bad {option}: {message}")]
    BadOption { option: String, message: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_name_what_differs_and_read_back_to_the_same_options() {
        assert!(WorkloadOptions::default().settings().is_empty());
        let mut o = WorkloadOptions::default();
        for pair in [
            "key-distribution=zipfian:1.25",
            "read-fraction=0.1",
            "max-transfer=9",
            "key-count=7",
            "jitter=0.3",
        ] {
            o.set_pair(pair).unwrap();
        }
        let settings = o.settings();
        // In SETTINGS order, whatever order they were given in.
        assert_eq!(
            settings
                .iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect::<Vec<_>>(),
            [
                "jitter=0.3",
                "key-count=7",
                "key-distribution=zipfian:1.25",
                "read-fraction=0.1",
                "max-transfer=9"
            ]
        );
        let mut back = WorkloadOptions::default();
        for (name, value) in &settings {
            back.set(name, value).unwrap();
        }
        assert_eq!(back, o);
        for d in ["uniform", "hot:0.75", "zipfian:2"] {
            let parsed: KeyDistribution = d.parse().unwrap();
            assert_eq!(
                parsed.to_string().parse::<KeyDistribution>().unwrap(),
                parsed
            );
        }
    }
}

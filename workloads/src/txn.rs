//! The transaction generator shared by `list-append` and `rw-register`, after Elle's: each
//! transaction has 1..=max micro-operations on a small pool of active keys; a key is retired
//! after about `max_writes_per_key` writes and replaced by a fresh one, so every key's version
//! order stays short enough to infer, and written values are unique per key.
//!
//! Rotation without coordination: clients never talk to each other, so the active pool is a
//! function of the slot's own transaction count — generation `g = n / per_generation` uses keys
//! `g·size .. g·size + size`. Clients running at similar rates move through generations
//! together, and `per_generation` is chosen so that all clients together write each key about
//! `max_writes_per_key` times.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

use faultline_checkers::history::txn::{txn_value, MicroKind, MicroOp};

use crate::keys::{KeyPicker, UniqueValues};
use crate::options::WorkloadOptions;
use crate::rng::{slot_rng, Stream};
use crate::workload::{Invocation, OpGenerator};

pub struct TxnGenerator {
    rng: ChaCha8Rng,
    keys: KeyPicker,
    values: UniqueValues,
    write_kind: MicroKind,
    read_fraction: f64,
    max_len: usize,
    per_generation: u64,
    count: u64,
}

impl TxnGenerator {
    /// `write_kind` is `Append` for list-append, `Write` for rw-register.
    pub fn new(
        options: &WorkloadOptions,
        write_kind: MicroKind,
        slot: u32,
        concurrency: u32,
        seed: u64,
    ) -> Self {
        let key_count = options.key_count_or(DEFAULT_ACTIVE_KEYS);
        let read_fraction = options.read_fraction_or(0.5);
        let max_len = options.max_txn_length;
        let writes_per_txn = ((1 + max_len) as f64 / 2.0 * (1.0 - read_fraction)).max(0.01);
        let per_generation = (options.max_writes_per_key as f64 * key_count as f64
            / (f64::from(concurrency.max(1)) * writes_per_txn))
            .round()
            .max(1.0) as u64;
        TxnGenerator {
            rng: slot_rng(seed, slot, Stream::Ops),
            keys: KeyPicker::new(options, key_count, slot, concurrency),
            values: UniqueValues::new(slot, concurrency),
            write_kind,
            read_fraction,
            max_len,
            per_generation,
            count: 0,
        }
    }

    /// Transactions per key generation (for tests and the docs).
    pub fn per_generation(&self) -> u64 {
        self.per_generation
    }
}

/// Active keys per generation unless `--key-count` says otherwise.
pub const DEFAULT_ACTIVE_KEYS: usize = 5;

impl OpGenerator for TxnGenerator {
    fn next_op(&mut self) -> Invocation {
        let generation = self.count / self.per_generation;
        self.count += 1;
        let len = self.rng.random_range(1..=self.max_len);
        let micro: Vec<MicroOp> = (0..len)
            .map(|_| {
                let key = json!(self.keys.pick_in(&mut self.rng, generation));
                if self.rng.random_bool(self.read_fraction) {
                    MicroOp {
                        kind: MicroKind::Read,
                        key,
                        value: Value::Null,
                    }
                } else {
                    MicroOp {
                        kind: self.write_kind,
                        key,
                        value: json!(self.values.next_value()),
                    }
                }
            })
            .collect();
        Invocation::new("txn", None, txn_value(&micro))
    }
}

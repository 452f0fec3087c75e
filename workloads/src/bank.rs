//! `bank`: accounts `0..n` (default 8) holding `bank_total` (default 100) between them, opened
//! at setup with `write`s of their balances (the total spread evenly, the remainder in account
//! 0). Clients `transfer` `{"from", "to", "amount"}` (distinct accounts, 1..=max_transfer) and
//! `read` every balance (value `null`; the completion's value is the map account → balance).
//! Judged by `bank`: every read sums to the total, no negative balance. Default read fraction
//! 1/2.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

use crate::options::WorkloadOptions;
use crate::registers::pacing;
use crate::rng::{slot_rng, Stream};
use crate::workload::{DelaySchedule, Invocation, OpGenerator, Workload};
use faultline_checkers::safety;
use faultline_checkers::Checker;

pub struct Bank {
    options: WorkloadOptions,
    accounts: u64,
}

impl Bank {
    pub const ABOUT: &'static str =
        "transfers between accounts and reads of every balance; the total must be conserved";

    pub fn new(options: &WorkloadOptions) -> Self {
        Bank {
            options: options.clone(),
            accounts: options.key_count_or(8).max(2) as u64,
        }
    }

    /// The opening balance of each account.
    pub fn opening_balances(&self) -> Vec<i64> {
        let n = self.accounts as i64;
        let total = self.options.bank_total;
        (0..n)
            .map(|a| total / n + if a == 0 { total % n } else { 0 })
            .collect()
    }
}

struct BankGenerator {
    rng: ChaCha8Rng,
    accounts: u64,
    max_transfer: i64,
    read_fraction: f64,
}

impl OpGenerator for BankGenerator {
    fn next_op(&mut self) -> Invocation {
        if self.rng.random_bool(self.read_fraction) {
            return Invocation::new("read", None, Value::Null);
        }
        let from = self.rng.random_range(0..self.accounts);
        let to = (from + self.rng.random_range(1..self.accounts)) % self.accounts;
        let amount = self.rng.random_range(1..=self.max_transfer);
        Invocation::new(
            "transfer",
            None,
            json!({"from": from, "to": to, "amount": amount}),
        )
    }
}

impl Workload for Bank {
    fn name(&self) -> &'static str {
        "bank"
    }

    fn generator(&self, slot: u32, _concurrency: u32, seed: u64) -> Box<dyn OpGenerator> {
        Box::new(BankGenerator {
            rng: slot_rng(seed, slot, Stream::Ops),
            accounts: self.accounts,
            max_transfer: self.options.max_transfer,
            read_fraction: self.options.read_fraction_or(0.5),
        })
    }

    fn final_reads(&self) -> Vec<Invocation> {
        vec![Invocation::new("read", None, Value::Null)]
    }

    fn checkers(&self) -> Vec<&'static dyn Checker> {
        vec![&safety::bank::Bank]
    }

    fn delay_schedule(&self, slot: u32, concurrency: u32, seed: u64) -> DelaySchedule {
        pacing(&self.options, slot, concurrency, seed)
    }

    fn setup_ops(&self) -> Vec<Invocation> {
        self.opening_balances()
            .into_iter()
            .enumerate()
            .map(|(a, b)| Invocation::new("write", Some(json!(a)), json!(b)))
            .collect()
    }

    fn checker_initial(&self, model: &str) -> Option<Value> {
        (model == "bank").then(|| {
            json!({"total": self.options.bank_total,
                   "accounts": (0..self.accounts).collect::<Vec<_>>()})
        })
    }
}

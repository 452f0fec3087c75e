//! The SQL every workload runs, and how a workload operation becomes statements. Kept free of the
//! connection so the mapping is tested without a server.
//!
//! Every operation is one explicit transaction, `BEGIN ISOLATION LEVEL ...` to `COMMIT`, so the
//! level chosen with `--isolation` governs all of it. Keys and values are the workloads' integers
//! (`bigint`).

use faultline_checkers::history::txn::{parse_txn, MicroKind};
use faultline_checkers::Value;
use faultline_workloads::Invocation;

/// The tables, created in the image at build time.
pub const SCHEMA: &str = "\
-- list-append: one list per key; appends extend it, reads return it whole.
CREATE TABLE lists (k bigint PRIMARY KEY, v bigint[] NOT NULL);
-- rw-register: one value per key.
CREATE TABLE registers (k bigint PRIMARY KEY, v bigint);
-- bank: opened by the workload's setup writes.
CREATE TABLE accounts (id bigint PRIMARY KEY, balance bigint NOT NULL);
-- counter: a missing row counts as 0.
CREATE TABLE counters (k bigint PRIMARY KEY, v bigint NOT NULL);
-- set: one row per element of each set.
CREATE TABLE sets (k bigint NOT NULL, e bigint NOT NULL, PRIMARY KEY (k, e));
";

/// The tables the probe expects before it calls a node healthy.
pub const TABLES: &[&str] = &["lists", "registers", "accounts", "counters", "sets"];

/// The SQL transaction isolation levels `--isolation` chooses from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isolation {
    Serializable,
    RepeatableRead,
    ReadCommitted,
}

impl Isolation {
    /// The option's values, the default first.
    pub const NAMES: &'static [&'static str] =
        &["serializable", "repeatable-read", "read-committed"];

    /// The level named `name` (one of [`Isolation::NAMES`]).
    pub fn parse(name: &str) -> Option<Isolation> {
        match name {
            "serializable" => Some(Isolation::Serializable),
            "repeatable-read" => Some(Isolation::RepeatableRead),
            "read-committed" => Some(Isolation::ReadCommitted),
            _ => None,
        }
    }

    /// The statement that opens a transaction at this level.
    pub fn begin(self) -> &'static str {
        match self {
            Isolation::Serializable => "BEGIN ISOLATION LEVEL SERIALIZABLE",
            Isolation::RepeatableRead => "BEGIN ISOLATION LEVEL REPEATABLE READ",
            Isolation::ReadCommitted => "BEGIN ISOLATION LEVEL READ COMMITTED",
        }
    }
}

/// A prepared statement the clients use; every parameter is a `bigint`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stmt {
    /// `$1` key, `$2` value: append, creating the list when the key is new.
    ListAppend,
    /// `$1` key: the list, no row when never appended to.
    ListRead,
    /// `$1` key, `$2` value.
    RegisterWrite,
    /// `$1` key: the value, no row when never written.
    RegisterRead,
    /// `$1` account, `$2` balance: opening an account (setup) or setting a balance (transfer).
    AccountWrite,
    /// `$1` account: its balance.
    AccountRead,
    /// `$1` account, `$2` its new balance (a transfer's write).
    AccountSet,
    /// Every account and balance.
    AccountsRead,
    /// `$1` key, `$2` increment.
    CounterAdd,
    /// `$1` key: the count, no row when never added to.
    CounterRead,
    /// `$1` key, `$2` expected value, `$3` new value: a row back when the register held `$2`.
    RegisterCas,
    /// `$1` key, `$2` value: a `cas` from nothing; a row back when the key was new.
    RegisterCreate,
    /// `$1` key, `$2` element.
    SetAdd,
    /// `$1` key: every element, in order (the empty array for a set never added to).
    SetRead,
}

impl Stmt {
    pub const ALL: [Stmt; 14] = [
        Stmt::ListAppend,
        Stmt::ListRead,
        Stmt::RegisterWrite,
        Stmt::RegisterRead,
        Stmt::AccountWrite,
        Stmt::AccountRead,
        Stmt::AccountSet,
        Stmt::AccountsRead,
        Stmt::CounterAdd,
        Stmt::CounterRead,
        Stmt::RegisterCas,
        Stmt::RegisterCreate,
        Stmt::SetAdd,
        Stmt::SetRead,
    ];

    /// Whether the statement only reads: a transaction of reads alone may run on a replica.
    pub fn reads_only(self) -> bool {
        matches!(
            self,
            Stmt::ListRead
                | Stmt::RegisterRead
                | Stmt::AccountRead
                | Stmt::AccountsRead
                | Stmt::CounterRead
                | Stmt::SetRead
        )
    }

    /// Whether the statement is a compare-and-set that did nothing when it returned no row.
    pub fn is_cas(self) -> bool {
        matches!(self, Stmt::RegisterCas | Stmt::RegisterCreate)
    }

    pub fn sql(self) -> &'static str {
        match self {
            // An upsert: under READ COMMITTED a concurrent append is re-read before ours is added
            // (never lost); under the stronger levels the conflict aborts one transaction.
            Stmt::ListAppend => {
                "INSERT INTO lists AS l (k, v) VALUES ($1, ARRAY[$2::bigint]) \
                 ON CONFLICT (k) DO UPDATE SET v = l.v || $2::bigint"
            }
            Stmt::ListRead => "SELECT v FROM lists WHERE k = $1",
            Stmt::RegisterWrite => {
                "INSERT INTO registers (k, v) VALUES ($1, $2) \
                 ON CONFLICT (k) DO UPDATE SET v = excluded.v"
            }
            Stmt::RegisterRead => "SELECT v FROM registers WHERE k = $1",
            Stmt::AccountWrite => {
                "INSERT INTO accounts (id, balance) VALUES ($1, $2) \
                 ON CONFLICT (id) DO UPDATE SET balance = excluded.balance"
            }
            Stmt::AccountRead => "SELECT balance FROM accounts WHERE id = $1",
            Stmt::AccountSet => "UPDATE accounts SET balance = $2 WHERE id = $1",
            Stmt::AccountsRead => "SELECT id, balance FROM accounts ORDER BY id",
            Stmt::CounterAdd => {
                "INSERT INTO counters AS c (k, v) VALUES ($1, $2) \
                 ON CONFLICT (k) DO UPDATE SET v = c.v + excluded.v"
            }
            Stmt::CounterRead => "SELECT v FROM counters WHERE k = $1",
            Stmt::RegisterCas => {
                "UPDATE registers SET v = $3 WHERE k = $1 AND v = $2 RETURNING k"
            }
            Stmt::RegisterCreate => {
                "INSERT INTO registers (k, v) VALUES ($1, $2) ON CONFLICT (k) DO NOTHING RETURNING k"
            }
            // Elements are unique per run; DO NOTHING keeps a repeated add harmless.
            Stmt::SetAdd => "INSERT INTO sets (k, e) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            Stmt::SetRead => {
                "SELECT coalesce(array_agg(e ORDER BY e), '{}'::bigint[]) FROM sets WHERE k = $1"
            }
        }
    }
}

/// One statement of an operation with its parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub stmt: Stmt,
    pub params: Vec<i64>,
}

impl Step {
    fn new(stmt: Stmt, params: &[i64]) -> Step {
        Step {
            stmt,
            params: params.to_vec(),
        }
    }
}

/// A bank transfer as the client carries it out: read both balances, refuse an overdraft, write
/// both new balances. Reading then writing (instead of `SET balance = balance - x`) lets the
/// isolation level show: READ COMMITTED can lose a concurrent transfer, which the bank checker
/// sees as a wrong total.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transfer {
    pub from: i64,
    pub to: i64,
    pub amount: i64,
}

impl Transfer {
    /// The new balances of `from` and `to`, or why the transfer is refused.
    pub fn new_balances(&self, from_balance: i64, to_balance: i64) -> Result<(i64, i64), String> {
        if from_balance < self.amount {
            return Err(format!(
                "insufficient-funds: account {} holds {from_balance}, transfer of {}",
                self.from, self.amount
            ));
        }
        Ok((from_balance - self.amount, to_balance + self.amount))
    }

    /// The reads that come first: the balance of `from`, then of `to`.
    pub fn reads(&self) -> [Step; 2] {
        [
            Step::new(Stmt::AccountRead, &[self.from]),
            Step::new(Stmt::AccountRead, &[self.to]),
        ]
    }

    /// The writes of the new balances.
    pub fn writes(&self, from_balance: i64, to_balance: i64) -> [Step; 2] {
        [
            Step::new(Stmt::AccountSet, &[self.from, from_balance]),
            Step::new(Stmt::AccountSet, &[self.to, to_balance]),
        ]
    }
}

/// What an operation does, in statements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Statements run in order; reads fill the completion value (see [`Plan::Steps`]'s caller).
    /// For a transaction, one step per micro-op, in the micro-ops' order.
    Steps(Vec<Step>),
    /// A bank transfer (its writes depend on what it reads).
    Transfer(Transfer),
}

impl Plan {
    /// Whether the operation only reads (so a replica can serve it).
    pub fn reads_only(&self) -> bool {
        match self {
            Plan::Steps(steps) => steps.iter().all(|s| s.stmt.reads_only()),
            Plan::Transfer(_) => false,
        }
    }
}

/// Which workloads the target has a client for.
pub const WORKLOADS: &[&str] = &[
    "list-append",
    "rw-register",
    "bank",
    "counter",
    "register",
    "set",
];

/// The statements a client of `workload` prepares when it connects.
pub fn statements(workload: &str) -> &'static [Stmt] {
    match workload {
        "list-append" => &[Stmt::ListAppend, Stmt::ListRead],
        "rw-register" => &[Stmt::RegisterWrite, Stmt::RegisterRead],
        "bank" => &[
            Stmt::AccountWrite,
            Stmt::AccountRead,
            Stmt::AccountSet,
            Stmt::AccountsRead,
        ],
        "counter" => &[Stmt::CounterAdd, Stmt::CounterRead],
        "register" => &[
            Stmt::RegisterRead,
            Stmt::RegisterWrite,
            Stmt::RegisterCas,
            Stmt::RegisterCreate,
        ],
        "set" => &[Stmt::SetAdd, Stmt::SetRead],
        _ => &[],
    }
}

/// The value an `ok` completion of `op` carries, given what each step read (`None` for a step
/// that read nothing): a transaction with its reads filled in, the read value of a read, and the
/// invocation's own value otherwise.
pub fn completion_value(op: &Invocation, reads: Vec<Option<Value>>) -> Value {
    match (op.f.as_str(), &op.value) {
        ("txn", Value::Array(micro)) => Value::Array(
            micro
                .iter()
                .zip(reads)
                .map(|(m, read)| match (m, read) {
                    (Value::Array(parts), Some(v)) if parts.len() == 3 => {
                        Value::Array(vec![parts[0].clone(), parts[1].clone(), v])
                    }
                    (m, _) => m.clone(),
                })
                .collect(),
        ),
        ("read", _) => reads.into_iter().flatten().next().unwrap_or(Value::Null),
        _ => op.value.clone(),
    }
}

/// The statements of `op` in `workload`, or why the target cannot carry it out (nothing is sent
/// then, so the operation fails).
pub fn plan(workload: &str, op: &Invocation) -> Result<Plan, String> {
    let key = || -> Result<i64, String> {
        let k = op
            .key
            .as_ref()
            .ok_or_else(|| format!("{workload} {} without a key", op.f))?;
        integer(k, "key")
    };
    let value = || integer(&op.value, "value");
    let steps = match (workload, op.f.as_str()) {
        ("list-append" | "rw-register", "txn") => {
            let micro = parse_txn(&op.value)?;
            micro
                .iter()
                .map(|m| {
                    let k = integer(&m.key, "key")?;
                    Ok(match (workload, m.kind) {
                        (_, MicroKind::Read) if workload == "list-append" => {
                            Step::new(Stmt::ListRead, &[k])
                        }
                        (_, MicroKind::Read) => Step::new(Stmt::RegisterRead, &[k]),
                        ("list-append", MicroKind::Append) => {
                            Step::new(Stmt::ListAppend, &[k, integer(&m.value, "value")?])
                        }
                        ("rw-register", MicroKind::Write) => {
                            Step::new(Stmt::RegisterWrite, &[k, integer(&m.value, "value")?])
                        }
                        (_, kind) => {
                            return Err(format!("{workload} has no micro-op {:?}", kind.as_str()))
                        }
                    })
                })
                .collect::<Result<Vec<_>, String>>()?
        }
        ("bank", "write") => vec![Step::new(Stmt::AccountWrite, &[key()?, value()?])],
        ("bank", "read") => vec![Step::new(Stmt::AccountsRead, &[])],
        ("bank", "transfer") => {
            let field = |name: &str| {
                op.value
                    .get(name)
                    .ok_or_else(|| format!("transfer {} has no {name:?}", op.value))
                    .and_then(|v| integer(v, name))
            };
            return Ok(Plan::Transfer(Transfer {
                from: field("from")?,
                to: field("to")?,
                amount: field("amount")?,
            }));
        }
        ("counter", "add") => vec![Step::new(Stmt::CounterAdd, &[key()?, value()?])],
        ("counter", "read") => vec![Step::new(Stmt::CounterRead, &[key()?])],
        ("register", "read") => vec![Step::new(Stmt::RegisterRead, &[key()?])],
        ("register", "write") => vec![Step::new(Stmt::RegisterWrite, &[key()?, value()?])],
        ("register", "cas") => {
            let pair = op
                .value
                .as_array()
                .filter(|p| p.len() == 2)
                .ok_or_else(|| format!("cas value {} is not [old, new]", op.value))?;
            let new = integer(&pair[1], "new value")?;
            match &pair[0] {
                Value::Null => vec![Step::new(Stmt::RegisterCreate, &[key()?, new])],
                old => vec![Step::new(
                    Stmt::RegisterCas,
                    &[key()?, integer(old, "old value")?, new],
                )],
            }
        }
        ("set", "add") => vec![Step::new(Stmt::SetAdd, &[key()?, value()?])],
        ("set", "read") => vec![Step::new(Stmt::SetRead, &[key()?])],
        (w, f) if WORKLOADS.contains(&w) => {
            return Err(format!("the postgres client has no operation {f:?} in {w}"))
        }
        (w, _) => {
            return Err(format!(
                "the postgres target has no client for workload {w}; it has {}",
                WORKLOADS.join(", ")
            ))
        }
    };
    Ok(Plan::Steps(steps))
}

/// `v` as a `bigint`, or what was wrong with it.
fn integer(v: &Value, what: &str) -> Result<i64, String> {
    v.as_i64()
        .ok_or_else(|| format!("{what} {v} is not an integer the postgres tables can hold"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn op(f: &str, key: Option<Value>, value: Value) -> Invocation {
        Invocation::new(f, key, value)
    }

    fn steps(workload: &str, o: &Invocation) -> Vec<(Stmt, Vec<i64>)> {
        match plan(workload, o).unwrap() {
            Plan::Steps(s) => s.into_iter().map(|s| (s.stmt, s.params)).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn list_append_txn_is_one_statement_per_micro_op_in_order() {
        let txn = op(
            "txn",
            None,
            json!([["append", 3, 7], ["r", 3, null], ["append", 4, 8]]),
        );
        assert_eq!(
            steps("list-append", &txn),
            [
                (Stmt::ListAppend, vec![3, 7]),
                (Stmt::ListRead, vec![3]),
                (Stmt::ListAppend, vec![4, 8])
            ]
        );
    }

    #[test]
    fn rw_register_txn_writes_and_reads_registers() {
        let txn = op("txn", None, json!([["w", 1, 10], ["r", 2, null]]));
        assert_eq!(
            steps("rw-register", &txn),
            [
                (Stmt::RegisterWrite, vec![1, 10]),
                (Stmt::RegisterRead, vec![2])
            ]
        );
        // An append is not a register operation, and is refused before anything is sent.
        let wrong = op("txn", None, json!([["append", 1, 10]]));
        assert!(plan("rw-register", &wrong)
            .unwrap_err()
            .contains("no micro-op \"append\""));
    }

    #[test]
    fn bank_and_counter_ops_map_to_their_tables() {
        assert_eq!(
            steps("bank", &op("write", Some(json!(2)), json!(12))),
            [(Stmt::AccountWrite, vec![2, 12])]
        );
        assert_eq!(
            steps("bank", &op("read", None, Value::Null)),
            [(Stmt::AccountsRead, vec![])]
        );
        assert_eq!(
            plan(
                "bank",
                &op("transfer", None, json!({"from": 1, "to": 4, "amount": 3}))
            )
            .unwrap(),
            Plan::Transfer(Transfer {
                from: 1,
                to: 4,
                amount: 3
            })
        );
        assert_eq!(
            steps("counter", &op("add", Some(json!(0)), json!(5))),
            [(Stmt::CounterAdd, vec![0, 5])]
        );
        assert_eq!(
            steps("counter", &op("read", Some(json!(0)), Value::Null)),
            [(Stmt::CounterRead, vec![0])]
        );
    }

    #[test]
    fn register_cas_and_set_ops_map_to_their_statements() {
        assert_eq!(
            steps("register", &op("cas", Some(json!(0)), json!([3, 4]))),
            [(Stmt::RegisterCas, vec![0, 3, 4])]
        );
        // A cas from nothing succeeds only when the key is new.
        assert_eq!(
            steps("register", &op("cas", Some(json!(0)), json!([null, 4]))),
            [(Stmt::RegisterCreate, vec![0, 4])]
        );
        assert!(plan("register", &op("cas", Some(json!(0)), json!(4)))
            .unwrap_err()
            .contains("not [old, new]"));
        assert_eq!(
            steps("register", &op("write", Some(json!(0)), json!(9))),
            [(Stmt::RegisterWrite, vec![0, 9])]
        );
        assert_eq!(
            steps("set", &op("add", Some(json!(1)), json!(12))),
            [(Stmt::SetAdd, vec![1, 12])]
        );
        let read = plan("set", &op("read", Some(json!(1)), Value::Null)).unwrap();
        assert!(read.reads_only());
        assert!(!plan("set", &op("add", Some(json!(1)), json!(2)))
            .unwrap()
            .reads_only());
        let txn = op("txn", None, json!([["r", 3, null], ["append", 3, 1]]));
        assert!(!plan("list-append", &txn).unwrap().reads_only());
        let txn = op("txn", None, json!([["r", 3, null], ["r", 4, null]]));
        assert!(plan("list-append", &txn).unwrap().reads_only());
        let transfer = json!({"from": 1, "to": 4, "amount": 3});
        assert!(!plan("bank", &op("transfer", None, transfer))
            .unwrap()
            .reads_only());
        assert!(Stmt::RegisterCas.is_cas() && !Stmt::RegisterWrite.is_cas());
    }

    #[test]
    fn unsupported_workloads_and_values_are_refused_by_name() {
        let e = plan("kv", &op("read", Some(json!(1)), Value::Null)).unwrap_err();
        assert!(e.contains("no client for workload kv"), "{e}");
        let e = plan("counter", &op("add", Some(json!("x")), json!(1))).unwrap_err();
        assert!(e.contains("key \"x\" is not an integer"), "{e}");
        let e = plan(
            "bank",
            &op("transfer", None, json!({"from": 1, "amount": 3})),
        )
        .unwrap_err();
        assert!(e.contains("no \"to\""), "{e}");
    }

    #[test]
    fn transfers_refuse_overdrafts_and_conserve_money() {
        let t = Transfer {
            from: 0,
            to: 1,
            amount: 5,
        };
        let stmts = |s: [Step; 2]| s.map(|s| (s.stmt, s.params));
        assert_eq!(
            stmts(t.reads()),
            [(Stmt::AccountRead, vec![0]), (Stmt::AccountRead, vec![1])]
        );
        assert_eq!(
            stmts(t.writes(4, 6)),
            [
                (Stmt::AccountSet, vec![0, 4]),
                (Stmt::AccountSet, vec![1, 6])
            ]
        );
        assert_eq!(t.new_balances(9, 1), Ok((4, 6)));
        assert_eq!(t.new_balances(5, 0), Ok((0, 5)));
        assert!(t
            .new_balances(4, 0)
            .unwrap_err()
            .starts_with("insufficient-funds"));
    }

    #[test]
    fn completions_carry_what_was_read() {
        let txn = op(
            "txn",
            None,
            json!([["append", 3, 7], ["r", 3, null], ["r", 4, null]]),
        );
        assert_eq!(
            completion_value(&txn, vec![None, Some(json!([1, 7])), Some(Value::Null)]),
            json!([["append", 3, 7], ["r", 3, [1, 7]], ["r", 4, null]])
        );
        let read = op("read", None, Value::Null);
        assert_eq!(
            completion_value(&read, vec![Some(json!({"0": 5}))]),
            json!({"0": 5})
        );
        let add = op("add", Some(json!(0)), json!(3));
        assert_eq!(completion_value(&add, vec![None]), json!(3));
        for w in WORKLOADS {
            assert!(!statements(w).is_empty(), "{w}");
        }
    }

    #[test]
    fn statements_name_their_tables_and_isolation_levels_parse() {
        for s in Stmt::ALL {
            let table = match s {
                Stmt::ListAppend | Stmt::ListRead => "lists",
                Stmt::RegisterWrite
                | Stmt::RegisterRead
                | Stmt::RegisterCas
                | Stmt::RegisterCreate => "registers",
                Stmt::SetAdd | Stmt::SetRead => "sets",
                Stmt::AccountWrite | Stmt::AccountRead | Stmt::AccountSet | Stmt::AccountsRead => {
                    "accounts"
                }
                Stmt::CounterAdd | Stmt::CounterRead => "counters",
            };
            assert!(s.sql().contains(table), "{s:?}: {}", s.sql());
            assert!(SCHEMA.contains(&format!("CREATE TABLE {table} ")));
        }
        assert!(Stmt::ListAppend.sql().contains("v = l.v || $2::bigint"));
        for name in Isolation::NAMES {
            let level = Isolation::parse(name).unwrap();
            assert!(level.begin().starts_with("BEGIN ISOLATION LEVEL "));
        }
        assert_eq!(
            Isolation::parse("read-committed").unwrap().begin(),
            "BEGIN ISOLATION LEVEL READ COMMITTED"
        );
        assert_eq!(Isolation::parse("snapshot"), None);
        assert_eq!(Isolation::NAMES[0], "serializable");
    }
}

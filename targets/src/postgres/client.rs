//! The client every workload uses: one connection (opened lazily, reopened after it breaks), the
//! workload's statements prepared on it, and every operation run as one transaction at the chosen
//! isolation level. [`super::sql`] says which statements an operation runs; [`super::errors`] how a
//! failure completes it.

use std::collections::BTreeMap;
use std::time::Duration;

use faultline_checkers::{OpType, Value};
use faultline_workloads::Invocation;
use serde_json::{json, Map};
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row, Statement};

use super::errors::{error_text, outcome, PgFailure, Phase};
use super::sql::{self, Isolation, Plan, Step, Stmt};
use crate::target::{BoxFuture, Client, Completion};

/// How long opening a connection (and preparing the statements) may take. Shorter than the
/// harness's default operation timeout (1 s), so a paused server makes operations `fail` (nothing
/// was sent) instead of `info`.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
/// How long a client waits after a failed connection attempt before reporting the failure. Without
/// it ten clients retry thousands of times a second while a killed server is down or recovering;
/// each attempt costs the postmaster a fork, and that storm kept crash recovery from finishing.
pub const CONNECT_BACKOFF: Duration = Duration::from_millis(100);
/// How long the ROLLBACK after a failed statement may take before the connection is dropped.
const ROLLBACK_TIMEOUT: Duration = Duration::from_millis(500);

/// An open connection and its prepared statements.
pub struct Session {
    pub client: tokio_postgres::Client,
    statements: BTreeMap<Stmt, Statement>,
    connection: tokio::task::JoinHandle<()>,
}

impl Drop for Session {
    /// Closes the socket now, even when the server is paused and would never read a goodbye; the
    /// server then rolls back whatever transaction was open.
    fn drop(&mut self) {
        self.connection.abort();
    }
}

impl Session {
    /// Connects and prepares `statements`, within [`CONNECT_TIMEOUT`].
    pub async fn open(
        config: &tokio_postgres::Config,
        statements: &[Stmt],
    ) -> Result<Session, PgFailure> {
        let open = async {
            let (client, connection) = config
                .connect(NoTls)
                .await
                .map_err(|e| PgFailure::from_error(&e))?;
            let connection = tokio::spawn(async move {
                let _ = connection.await;
            });
            let mut session = Session {
                client,
                statements: BTreeMap::new(),
                connection,
            };
            for stmt in statements {
                let prepared = session
                    .client
                    .prepare(stmt.sql())
                    .await
                    .map_err(|e| PgFailure::from_error(&e))?;
                session.statements.insert(*stmt, prepared);
            }
            Ok(session)
        };
        tokio::time::timeout(CONNECT_TIMEOUT, open)
            .await
            .unwrap_or_else(|_| {
                Err(PgFailure::client(format!(
                    "no connection within {} ms",
                    CONNECT_TIMEOUT.as_millis()
                )))
            })
    }

    async fn rows(&self, step: &Step) -> Result<Vec<Row>, PgFailure> {
        let statement = self.statements.get(&step.stmt).ok_or_else(|| {
            PgFailure::client(format!("statement {:?} was not prepared", step.stmt))
        })?;
        let params: Vec<&(dyn ToSql + Sync)> = step
            .params
            .iter()
            .map(|p| p as &(dyn ToSql + Sync))
            .collect();
        self.client
            .query(statement, &params)
            .await
            .map_err(|e| PgFailure::from_error(&e))
    }

    /// Runs `step`; returns what it read (`None` for a write).
    async fn step(&self, step: &Step) -> Result<Option<Value>, PgFailure> {
        let rows = self.rows(step).await?;
        let decode = |e: tokio_postgres::Error| PgFailure::client(format!("unreadable row: {e}"));
        let first = rows.first();
        Ok(match step.stmt {
            Stmt::ListRead => Some(match first {
                Some(row) => json!(row.try_get::<_, Vec<i64>>(0).map_err(decode)?),
                // Never appended to: the empty list, which the checker reads `null` as.
                None => Value::Null,
            }),
            Stmt::RegisterRead => Some(match first {
                Some(row) => json!(row.try_get::<_, Option<i64>>(0).map_err(decode)?),
                None => Value::Null,
            }),
            Stmt::CounterRead => Some(match first {
                Some(row) => json!(row.try_get::<_, i64>(0).map_err(decode)?),
                None => json!(0),
            }),
            Stmt::SetRead => Some(match first {
                Some(row) => json!(row.try_get::<_, Vec<i64>>(0).map_err(decode)?),
                None => json!([]),
            }),
            // No row back: the register did not hold the expected value (or the key existed), so
            // nothing was written; the transaction is rolled back and the operation fails.
            Stmt::RegisterCas | Stmt::RegisterCreate if first.is_none() => {
                return Err(PgFailure::client("cas-mismatch"))
            }
            Stmt::AccountRead => match first {
                Some(row) => Some(json!(row.try_get::<_, i64>(0).map_err(decode)?)),
                None => None,
            },
            Stmt::AccountsRead => {
                let mut balances = Map::new();
                for row in &rows {
                    let id: i64 = row.try_get(0).map_err(decode)?;
                    let balance: i64 = row.try_get(1).map_err(decode)?;
                    balances.insert(id.to_string(), json!(balance));
                }
                Some(Value::Object(balances))
            }
            Stmt::ListAppend
            | Stmt::RegisterWrite
            | Stmt::AccountWrite
            | Stmt::AccountSet
            | Stmt::CounterAdd
            | Stmt::RegisterCas
            | Stmt::RegisterCreate
            | Stmt::SetAdd => None,
        })
    }

    /// The body of the transaction: what each step read.
    async fn body(&self, plan: &Plan) -> Result<Vec<Option<Value>>, PgFailure> {
        match plan {
            Plan::Steps(steps) => {
                let mut reads = Vec::with_capacity(steps.len());
                for step in steps {
                    reads.push(self.step(step).await?);
                }
                Ok(reads)
            }
            Plan::Transfer(t) => {
                let mut balances = Vec::new();
                for (read, account) in t.reads().iter().zip([t.from, t.to]) {
                    match self.step(read).await? {
                        Some(Value::Number(n)) => balances.push(n.as_i64().unwrap_or(0)),
                        _ => {
                            return Err(PgFailure::client(format!(
                                "no-account: account {account} does not exist"
                            )))
                        }
                    }
                }
                let (from, to) = t
                    .new_balances(balances[0], balances[1])
                    .map_err(PgFailure::client)?;
                for write in t.writes(from, to) {
                    self.step(&write).await?;
                }
                Ok(Vec::new())
            }
        }
    }
}

/// A client process's connection to one node.
pub struct PgClient {
    pub config: tokio_postgres::Config,
    /// The node that answers (recorded with every completion).
    pub node: String,
    pub workload: String,
    pub isolation: Isolation,
    pub session: Option<Session>,
    /// When `config` names several hosts (libpq-style failover), each node's address and name:
    /// after connecting the client asks the server its address and records that node as `node`.
    /// Empty for a single host.
    pub addresses: Vec<(String, String)>,
}

impl PgClient {
    fn complete(&self, kind: OpType, value: Value, error: Option<String>) -> Completion {
        Completion {
            kind,
            value,
            error: error.map(Value::String),
            node: Some(self.node.clone()),
        }
    }

    fn failed(&self, op: &Invocation, phase: Phase, failure: &PgFailure) -> Completion {
        self.complete(
            outcome(phase, failure),
            op.value.clone(),
            Some(error_text(phase, failure)),
        )
    }

    /// With several hosts to choose from, which one `session` reached (its server address).
    async fn learn_node(&mut self, session: &Session) -> Result<(), PgFailure> {
        if self.addresses.is_empty() {
            return Ok(());
        }
        let ask = session
            .client
            .query_one("SELECT host(inet_server_addr())", &[]);
        let row = tokio::time::timeout(CONNECT_TIMEOUT, ask)
            .await
            .map_err(|_| PgFailure::client("the server did not say its address in time"))?
            .map_err(|e| PgFailure::from_error(&e))?;
        let ip: Option<String> = row
            .try_get(0)
            .map_err(|e| PgFailure::client(format!("unreadable server address: {e}")))?;
        let ip = ip.unwrap_or_default();
        self.node = self
            .addresses
            .iter()
            .find(|(addr, _)| *addr == ip)
            .map(|(_, name)| name.clone())
            .unwrap_or(ip);
        Ok(())
    }

    /// Performs `op` as one transaction (the [`Client`] entry point, callable by clients that
    /// route between several connections).
    pub async fn perform(&mut self, op: &Invocation) -> Completion {
        let plan = match sql::plan(&self.workload, op) {
            Ok(plan) => plan,
            // Refused before anything was sent.
            Err(e) => return self.complete(OpType::Fail, op.value.clone(), Some(e)),
        };
        if self.session.is_none() {
            match Session::open(&self.config, sql::statements(&self.workload)).await {
                Ok(s) => {
                    if let Err(e) = self.learn_node(&s).await {
                        return self.failed(op, Phase::Connect, &e);
                    }
                    self.session = Some(s)
                }
                Err(e) => {
                    tokio::time::sleep(CONNECT_BACKOFF).await;
                    return self.failed(op, Phase::Connect, &e);
                }
            }
        }
        let session = self.session.as_ref().expect("opened above");
        let body = async {
            session
                .client
                .batch_execute(self.isolation.begin())
                .await
                .map_err(|e| PgFailure::from_error(&e))?;
            session.body(&plan).await
        };
        let reads = match body.await {
            Ok(reads) => reads,
            Err(failure) => {
                // No COMMIT was sent: roll back, or drop the connection if that does not work.
                let rolled_back = !session.client.is_closed()
                    && matches!(
                        tokio::time::timeout(
                            ROLLBACK_TIMEOUT,
                            session.client.batch_execute("ROLLBACK")
                        )
                        .await,
                        Ok(Ok(()))
                    );
                let done = self.failed(op, Phase::BeforeCommit, &failure);
                if !rolled_back {
                    self.session = None;
                }
                return done;
            }
        };
        match session.client.batch_execute("COMMIT").await {
            Ok(()) => self.complete(OpType::Ok, sql::completion_value(op, reads), None),
            Err(e) => {
                let failure = PgFailure::from_error(&e);
                let done = self.failed(op, Phase::Commit, &failure);
                if !failure.from_server() {
                    self.session = None;
                }
                done
            }
        }
    }
}

impl Client for PgClient {
    fn invoke<'a>(&'a mut self, op: &'a Invocation) -> BoxFuture<'a, Completion> {
        Box::pin(self.perform(op))
    }
}

//! How a PostgreSQL error completes an operation (DESIGN.md section 2: `fail` only when the
//! operation certainly did not take effect, `info` when it may have).
//!
//! Every operation is one explicit transaction, so the line is COMMIT:
//! - before COMMIT is sent (connecting, BEGIN, the statements): any error is `fail`. Without
//!   COMMIT the transaction cannot commit — an error aborts it, a lost connection makes the server
//!   roll it back — and the client rolls back or drops the connection before going on.
//! - at COMMIT: the server refusing the commit with a transaction-rollback error (class 40:
//!   serialization failure 40001, deadlock 40P01, integrity 40002) or an integrity violation
//!   (class 23, a deferred constraint) is `fail`: it says the transaction rolled back. Anything else
//!   — a lost connection, a shutdown (57P01), an internal error, an unreadable answer — leaves the
//!   outcome unknown: `info`. A timeout (applied by the harness) is `info` as well.

use faultline_checkers::OpType;

/// Where the operation was when the error came.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Opening the connection and preparing statements: nothing of the operation was sent.
    Connect,
    /// BEGIN and the operation's statements: sent, but never committed.
    BeforeCommit,
    /// COMMIT was sent.
    Commit,
}

impl Phase {
    fn describe(self) -> &'static str {
        match self {
            Phase::Connect => "connecting",
            Phase::BeforeCommit => "before commit",
            Phase::Commit => "at commit",
        }
    }
}

/// What went wrong, as far as the mapping cares (built from a `tokio_postgres::Error`, or made
/// directly in tests).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PgFailure {
    /// The SQLSTATE when the server answered with an error.
    pub sqlstate: Option<String>,
    pub message: String,
}

impl PgFailure {
    pub fn from_error(e: &tokio_postgres::Error) -> PgFailure {
        match e.as_db_error() {
            Some(db) => PgFailure {
                sqlstate: Some(db.code().code().to_string()),
                message: db.message().to_string(),
            },
            None => PgFailure {
                sqlstate: None,
                message: if e.is_closed() {
                    "connection closed".to_string()
                } else {
                    e.to_string()
                },
            },
        }
    }

    /// A failure of the client itself (a timeout, a refused transfer), with no SQLSTATE.
    pub fn client(message: impl Into<String>) -> PgFailure {
        PgFailure {
            sqlstate: None,
            message: message.into(),
        }
    }

    /// The server answered (the connection still works).
    pub fn from_server(&self) -> bool {
        self.sqlstate.is_some()
    }
}

/// Whether a failure in `phase` means the transaction did not commit (`Fail`) or might have
/// (`Info`).
pub fn outcome(phase: Phase, failure: &PgFailure) -> OpType {
    match phase {
        Phase::Connect | Phase::BeforeCommit => OpType::Fail,
        Phase::Commit => match failure.sqlstate.as_deref() {
            // 40003 is "statement completion unknown": the server itself does not know.
            Some("40003") => OpType::Info,
            Some(code) if code.starts_with("40") || code.starts_with("23") => OpType::Fail,
            _ => OpType::Info,
        },
    }
}

/// A short name for the SQLSTATEs the workloads meet, as Jepsen's clients name them.
pub fn sqlstate_name(code: &str) -> Option<&'static str> {
    Some(match code {
        "40001" => "serialization-failure",
        "40P01" => "deadlock-detected",
        "40002" => "transaction-integrity-constraint-violation",
        "40003" => "statement-completion-unknown",
        "23505" => "unique-violation",
        "25P02" => "in-failed-transaction",
        "57P01" => "admin-shutdown",
        "57P03" => "cannot-connect-now",
        "53300" => "too-many-connections",
        _ => return None,
    })
}

/// The error recorded with the completion: `"<phase>: <name> <SQLSTATE>: <message>"`.
pub fn error_text(phase: Phase, failure: &PgFailure) -> String {
    match failure.sqlstate.as_deref() {
        Some(code) => format!(
            "{}: {}{code}: {}",
            phase.describe(),
            sqlstate_name(code)
                .map(|n| format!("{n} "))
                .unwrap_or_default(),
            failure.message
        ),
        None => format!("{}: {}", phase.describe(), failure.message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(code: &str) -> PgFailure {
        PgFailure {
            sqlstate: Some(code.into()),
            message: "m".into(),
        }
    }

    fn lost() -> PgFailure {
        PgFailure::client("connection closed")
    }

    #[test]
    fn anything_before_commit_fails() {
        for f in [db("40001"), db("40P01"), db("57P01"), db("XX000"), lost()] {
            assert_eq!(outcome(Phase::Connect, &f), OpType::Fail, "{f:?}");
            assert_eq!(outcome(Phase::BeforeCommit, &f), OpType::Fail, "{f:?}");
        }
    }

    #[test]
    fn a_refused_commit_fails_and_an_unanswered_one_is_info() {
        assert_eq!(outcome(Phase::Commit, &db("40001")), OpType::Fail);
        assert_eq!(outcome(Phase::Commit, &db("40P01")), OpType::Fail);
        assert_eq!(outcome(Phase::Commit, &db("23505")), OpType::Fail);
        assert_eq!(outcome(Phase::Commit, &db("40003")), OpType::Info);
        assert_eq!(outcome(Phase::Commit, &db("57P01")), OpType::Info);
        assert_eq!(outcome(Phase::Commit, &db("XX000")), OpType::Info);
        assert_eq!(outcome(Phase::Commit, &lost()), OpType::Info);
        assert_eq!(
            outcome(Phase::Commit, &PgFailure::client("timeout")),
            OpType::Info
        );
    }

    #[test]
    fn error_text_names_the_phase_and_the_sqlstate() {
        assert_eq!(
            error_text(Phase::Commit, &db("40001")),
            "at commit: serialization-failure 40001: m"
        );
        assert_eq!(
            error_text(Phase::BeforeCommit, &db("42P01")),
            "before commit: 42P01: m"
        );
        assert_eq!(
            error_text(Phase::Connect, &PgFailure::client("connection refused")),
            "connecting: connection refused"
        );
        assert!(db("40001").from_server() && !lost().from_server());
    }
}

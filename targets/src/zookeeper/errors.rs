//! Which ZooKeeper failures are `fail` (the operation certainly had no effect) and which `info`
//! (it may have). The rule follows ZooKeeper's own client contract:
//!
//! - A session that could not be established sent nothing: `fail`.
//! - A read, a `sync`, or the read step of a read-then-write operation changes nothing: `fail`
//!   whatever went wrong.
//! - A write the server refused by its condition (`BadVersion`, `NodeExists`, `NoNode`...) was
//!   not applied: `fail`.
//! - A write that ended in `ConnectionLoss` may have been sent and committed before the connection
//!   broke (ZooKeeper does not say), and one that ended in `SessionExpired` may have been
//!   committed before the session expired: `info`. So is any other answer that does not prove
//!   the write was refused (a broken socket, an unreadable reply).

use faultline_checkers::OpType;
use thiserror::Error;
use zookeeper_client as zk;

/// Why an operation did not complete normally, keeping ZooKeeper's error.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum ZkError {
    /// No session to the node: nothing was sent.
    #[error("connect to {node}: {source}")]
    Connect { node: String, source: zk::Error },
    /// No session within the client's connect bound: nothing was sent.
    #[error("connect to {node}: no session within {ms} ms")]
    ConnectTimeout { node: String, ms: u128 },
    /// A request that cannot change anything (read, `sync`, a read step) failed.
    #[error("{step}: {source}")]
    Read {
        step: &'static str,
        source: zk::Error,
    },
    /// A request that changes data if it is applied (`setData`, `create`) failed.
    #[error("{step}: {source}")]
    Write {
        step: &'static str,
        source: zk::Error,
    },
    /// A znode held something that is not this workload's value.
    #[error("{0}")]
    Unreadable(String),
}

impl ZkError {
    /// `fail` when the operation certainly had no effect, otherwise `info`.
    pub fn kind(&self) -> OpType {
        match self {
            ZkError::Write { source, .. } if !refused(source) => OpType::Info,
            _ => OpType::Fail,
        }
    }

    /// Whether the session is over (expired, closed), so the next operation needs a new one.
    pub fn ends_session(&self) -> bool {
        let source = match self {
            ZkError::Connect { .. } | ZkError::ConnectTimeout { .. } => return true,
            ZkError::Read { source, .. } | ZkError::Write { source, .. } => source,
            ZkError::Unreadable(_) => return false,
        };
        matches!(
            source,
            zk::Error::SessionExpired
                | zk::Error::ClientClosed
                | zk::Error::NoHosts
                | zk::Error::AuthFailed
                | zk::Error::SessionMoved
        )
    }
}

/// Errors with which the server refuses a write without applying it: its condition did not
/// hold, or the request was not acceptable. (`SessionMoved`: the server rejects a request from a
/// session that has moved to another server before applying it.)
fn refused(error: &zk::Error) -> bool {
    matches!(
        error,
        zk::Error::NoNode
            | zk::Error::NodeExists
            | zk::Error::BadVersion
            | zk::Error::NotEmpty
            | zk::Error::NoChildrenForEphemerals
            | zk::Error::NoAuth
            | zk::Error::InvalidAcl
            | zk::Error::BadArguments(_)
            | zk::Error::NotReadOnly
            | zk::Error::QuotaExceeded
            | zk::Error::Throttled
            | zk::Error::MarshallingError
            | zk::Error::Unimplemented
            | zk::Error::SessionMoved
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(source: zk::Error) -> ZkError {
        ZkError::Write {
            step: "setData",
            source,
        }
    }

    #[test]
    fn lost_or_expired_writes_are_info_and_refused_ones_fail() {
        assert_eq!(write(zk::Error::ConnectionLoss).kind(), OpType::Info);
        assert_eq!(write(zk::Error::SessionExpired).kind(), OpType::Info);
        assert_eq!(write(zk::Error::Timeout).kind(), OpType::Info);
        assert_eq!(write(zk::Error::BadVersion).kind(), OpType::Fail);
        assert_eq!(write(zk::Error::NodeExists).kind(), OpType::Fail);
        assert_eq!(write(zk::Error::Throttled).kind(), OpType::Fail);
    }

    #[test]
    fn reads_and_unsent_requests_always_fail() {
        let read = ZkError::Read {
            step: "getData",
            source: zk::Error::ConnectionLoss,
        };
        assert_eq!(read.kind(), OpType::Fail);
        let connect = ZkError::Connect {
            node: "n1".into(),
            source: zk::Error::NoHosts,
        };
        assert_eq!(connect.kind(), OpType::Fail);
        assert!(connect.ends_session());
        assert!(connect.to_string().contains("n1"), "{connect}");
    }

    #[test]
    fn only_a_finished_session_is_replaced() {
        assert!(write(zk::Error::SessionExpired).ends_session());
        assert!(write(zk::Error::ClientClosed).ends_session());
        // The client reconnects the same session after a connection loss by itself.
        assert!(!write(zk::Error::ConnectionLoss).ends_session());
        assert!(!write(zk::Error::BadVersion).ends_session());
    }
}

//! ZooKeeper's `srvr` four-letter word: the health probe and the role. Sent on the client port as
//! the whole request; the server answers a few `Name: value` lines and closes the connection.
//!
//! ```text
//! Zookeeper version: 3.8.0-...
//! Zxid: 0x300000004
//! Mode: leader
//! ```
//!
//! A member that is not serving (looking for a leader, or syncing with one) answers `This ZooKeeper
//! instance is not currently serving requests` instead.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::role::{NodeRole, Role};

/// How long one `srvr` exchange may take.
pub const TIMEOUT: Duration = Duration::from_secs(2);

/// What a member's `srvr` answer says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Serving clients in this mode (`leader`, `follower`, `standalone`, `observer`), at this
    /// zxid.
    Serving { mode: String, zxid: Option<u64> },
    /// Up, but not serving: no quorum or still syncing.
    NotServing,
}

impl Status {
    /// Parses an answer; an answer with neither a `Mode:` line nor the not-serving sentence is an
    /// error quoting it.
    pub fn parse(answer: &str) -> Result<Status, String> {
        if answer.contains("not currently serving requests") {
            return Ok(Status::NotServing);
        }
        let field = |name: &str| {
            answer
                .lines()
                .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()))
        };
        let Some(mode) = field("Mode:") else {
            return Err(format!("srvr answered without a Mode line: {answer:?}"));
        };
        let zxid =
            field("Zxid:").and_then(|z| u64::from_str_radix(z.trim_start_matches("0x"), 16).ok());
        Ok(Status::Serving { mode, zxid })
    }

    /// The role this status reports. The term is the zxid's epoch (its high 32 bits), which every
    /// new leader raises: a deposed leader still claiming to lead holds an older one.
    pub fn role(&self) -> NodeRole {
        match self {
            Status::Serving { mode, zxid } => NodeRole {
                role: match mode.as_str() {
                    "leader" | "standalone" => Role::Leader,
                    "follower" | "observer" => Role::Follower,
                    _ => Role::Unknown,
                },
                term: zxid.map(|z| z >> 32),
            },
            Status::NotServing => NodeRole {
                role: Role::Follower,
                term: None,
            },
        }
    }
}

/// Asks `addr` for `srvr`, within [`TIMEOUT`].
pub async fn ask(addr: SocketAddr) -> Result<Status, String> {
    let exchange = async {
        let mut stream = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect {addr}: {e}"))?;
        stream
            .write_all(b"srvr")
            .await
            .map_err(|e| format!("send srvr: {e}"))?;
        let mut answer = String::new();
        stream
            .read_to_string(&mut answer)
            .await
            .map_err(|e| format!("read srvr answer: {e}"))?;
        Status::parse(&answer)
    };
    tokio::time::timeout(TIMEOUT, exchange)
        .await
        .map_err(|_| format!("srvr: no answer from {addr} within {TIMEOUT:?}"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_mode_and_epoch_and_the_not_serving_sentence() {
        let leader = "Zookeeper version: 3.8.0-11, built on 2023\nLatency min/avg/max: 0/0.0/0\nZxid: 0x300000004\nMode: leader\nNode count: 5\n";
        let s = Status::parse(leader).unwrap();
        assert_eq!(
            s,
            Status::Serving {
                mode: "leader".into(),
                zxid: Some(0x3_0000_0004)
            }
        );
        assert_eq!(
            s.role(),
            NodeRole {
                role: Role::Leader,
                term: Some(3)
            }
        );
        let follower = Status::parse("Zxid: 0x200000000\nMode: follower\n").unwrap();
        assert_eq!(follower.role().role, Role::Follower);
        assert_eq!(follower.role().term, Some(2));
        let down =
            Status::parse("This ZooKeeper instance is not currently serving requests\n").unwrap();
        assert_eq!(down, Status::NotServing);
        assert_eq!(down.role().role, Role::Follower);
        let err =
            Status::parse("srvr is not executed because it is not in the whitelist.").unwrap_err();
        assert!(err.contains("whitelist"), "{err}");
    }
}

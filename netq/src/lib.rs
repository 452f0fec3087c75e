//! faultline-netq: packet delay, duplication and reordering in user space, for kernels without
//! netem. The nemesis sends what a node transmits to its peers through an NFQUEUE (iptables rule
//! with `--queue-bypass`, in a chain faultline owns) to the `faultline-netq` binary running in the
//! node's infra container, which holds each packet as [`Shaping`] says and then accepts it.
//!
//! The library is sans-IO: [`Scheduler`] decides, for a packet that arrived at time t, when it
//! leaves and whether a copy follows it; [`ProbeTally`] counts what a probe saw. The binary does the
//! netlink and socket work around them, and the in-process network reuses the same scheduler on
//! the JSON lines it relays, so both backends shape traffic the same way.

mod probe;
mod scheduler;
mod shaping;

pub use probe::{ProbeReport, ProbeTally};
pub use scheduler::{Release, Scheduler, Stats};
pub use shaping::{Delay, Distribution, Duplicate, Reorder, Shaping};

/// The queue number the nemesis binds in every node (queues are per network namespace).
pub const QUEUE: u16 = 7;
/// The firewall mark the helper puts on the duplicates it sends, so the queue rule skips them.
pub const DUPLICATE_MARK: u32 = 0x0f17_0001;
/// What the helper prints on stderr once it is bound, so the nemesis knows rules may go in.
pub const READY_LINE: &str = "faultline-netq: bound";

//! The simulated network between in-process nodes. Every node dials each peer through a relay of
//! its own (one per ordered pair), which forwards the peer protocol's JSON lines and drops the ones
//! the fault rules say the receiver would not get: its grudge names the sender (partitions, one-way
//! included), or a loss draw. Peer links are one-directional (each node dials every peer and only
//! writes), so a relay from A to B carries exactly A → B traffic, as an iptables rule on B's INPUT
//! sees it. Clients reach nodes directly, as in Docker, where only traffic between nodes is cut.
//! Packet shaping (delay, duplication, reordering) acts on what the sender sends, as the NFQUEUE
//! helper does on a Docker node's OUTPUT: each relayed connection passes its lines through the
//! helper's own [`Scheduler`], which holds, repeats and reorders them.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use faultline_netq::{Scheduler, Shaping};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::backend::Grudge;

/// How long a relay waits for the receiving node to accept.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);

/// Lines delivered and dropped on one link.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkCounts {
    pub delivered: u64,
    pub dropped: u64,
    /// Lines that were held by the shaping scheduler.
    pub shaped: u64,
    /// Extra copies delivered.
    pub duplicated: u64,
}

struct Rules {
    grudge: Grudge,
    /// Receiver → the fraction of its peers' lines it loses.
    loss: BTreeMap<String, f64>,
    /// Sender → how what it sends is shaped.
    shaping: BTreeMap<String, Shaping>,
    rng: ChaCha8Rng,
    counts: BTreeMap<(String, String), LinkCounts>,
}

/// The fault rules every relay consults, and what they did.
pub struct Network {
    rules: Mutex<Rules>,
}

impl Network {
    /// A network without faults; loss draws come from `seed`.
    pub fn new(seed: u64) -> Network {
        Network {
            rules: Mutex::new(Rules {
                grudge: Grudge::new(),
                loss: BTreeMap::new(),
                shaping: BTreeMap::new(),
                rng: ChaCha8Rng::seed_from_u64(seed ^ 0x6e65_7477_6f72_6b21),
                counts: BTreeMap::new(),
            }),
        }
    }

    fn rules(&self) -> std::sync::MutexGuard<'_, Rules> {
        self.rules.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn set_grudge(&self, grudge: &Grudge) {
        self.rules().grudge = grudge.clone();
    }

    pub fn set_loss(&self, loss: BTreeMap<String, f64>) {
        self.rules().loss = loss;
    }

    pub fn set_shaping(&self, shaping: BTreeMap<String, Shaping>) {
        self.rules().shaping = shaping;
    }

    /// How what `from` sends is shaped now.
    pub fn shaping(&self, from: &str) -> Shaping {
        self.rules().shaping.get(from).copied().unwrap_or_default()
    }

    /// A seed for one relayed connection's scheduler, drawn from the run's seed.
    fn pipe_seed(&self) -> u64 {
        self.rules().rng.random()
    }

    fn count_shaped(&self, from: &str, to: &str, shaped: u64, duplicated: u64) {
        let mut rules = self.rules();
        let counts = rules
            .counts
            .entry((from.to_string(), to.to_string()))
            .or_default();
        counts.shaped += shaped;
        counts.duplicated += duplicated;
    }

    /// Whether `to` gets a line `from` sent; counts the decision.
    pub fn delivers(&self, from: &str, to: &str) -> bool {
        let mut rules = self.rules();
        let cut = rules
            .grudge
            .get(to)
            .is_some_and(|dropped| dropped.iter().any(|n| n == from));
        let lost = !cut
            && match rules.loss.get(to).copied() {
                Some(p) => rules.rng.random::<f64>() < p,
                None => false,
            };
        let counts = rules
            .counts
            .entry((from.to_string(), to.to_string()))
            .or_default();
        if cut || lost {
            counts.dropped += 1;
        } else {
            counts.delivered += 1;
        }
        !(cut || lost)
    }

    /// Lines delivered and dropped so far on the link `from` → `to`.
    pub fn counts(&self, from: &str, to: &str) -> LinkCounts {
        self.rules()
            .counts
            .get(&(from.to_string(), to.to_string()))
            .copied()
            .unwrap_or_default()
    }
}

/// Relays every connection `listener` accepts to `dest`, line by line through `network`'s rules
/// for `from` → `to`. Aborting the task closes every connection it relays.
pub async fn relay(
    listener: TcpListener,
    from: String,
    to: String,
    dest: SocketAddr,
    network: Arc<Network>,
) {
    let mut pipes = JoinSet::new();
    loop {
        let Ok((inbound, _)) = listener.accept().await else {
            continue;
        };
        while pipes.try_join_next().is_some() {}
        let _ = inbound.set_nodelay(true);
        pipes.spawn(pipe(
            inbound,
            from.clone(),
            to.clone(),
            dest,
            network.clone(),
        ));
    }
}

/// One relayed connection. The first line (the peer protocol's hello) always passes: the rules
/// drop messages, not the connection, as a firewall that drops packets leaves both ends waiting.
async fn pipe(
    mut inbound: TcpStream,
    from: String,
    to: String,
    dest: SocketAddr,
    network: Arc<Network>,
) {
    // A node that is down refuses; closing the inbound side makes the sender redial later.
    let Ok(Ok(mut outbound)) =
        tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(dest)).await
    else {
        return;
    };
    let _ = outbound.set_nodelay(true);
    let mut pending = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let mut hello = true;
    let began = tokio::time::Instant::now();
    let now = || began.elapsed().as_nanos() as u64;
    let mut sched: Scheduler<Vec<u8>> = Scheduler::new(Shaping::default(), network.pipe_seed());
    loop {
        let due = sched.next_due().map(|ns| began + Duration::from_nanos(ns));
        let n = tokio::select! {
            read = inbound.read(&mut chunk) => match read {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            },
            // The receiver went away (killed): drop the sender's connection too.
            _ = outbound.readable() => {
                let mut probe = [0u8; 1];
                match outbound.try_read(&mut probe) {
                    Ok(_) => return,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                    Err(_) => return,
                }
            }
            // A held line is due.
            _ = tokio::time::sleep_until(due.unwrap_or(began)), if due.is_some() => 0,
        };
        pending.extend_from_slice(&chunk[..n]);
        let mut out = Vec::new();
        let mut start = 0;
        let mut shaped = 0;
        while let Some(pos) = pending[start..].iter().position(|b| *b == b'\n') {
            let line = &pending[start..start + pos + 1];
            if hello {
                out.extend_from_slice(line);
            } else if network.delivers(&from, &to) {
                let shaping = network.shaping(&from);
                if shaping.is_none() && sched.is_empty() {
                    out.extend_from_slice(line);
                } else {
                    if *sched.shaping() != shaping {
                        sched.reshape(shaping);
                    }
                    sched.arrive(now(), line.to_vec());
                    shaped += 1;
                }
            }
            hello = false;
            start += pos + 1;
        }
        pending.drain(..start);
        let mut duplicated = 0;
        for r in sched.release(now()) {
            out.extend_from_slice(&r.packet);
            if r.duplicate {
                out.extend_from_slice(&r.packet);
                duplicated += 1;
            }
        }
        if shaped + duplicated > 0 {
            network.count_shaped(&from, &to, shaped, duplicated);
        }
        if !out.is_empty() && outbound.write_all(&out).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grudges_cut_one_direction_and_loss_drops_a_fraction() {
        let net = Network::new(1);
        net.set_grudge(&Grudge::from([("n2".into(), vec!["n1".into()])]));
        assert!(!net.delivers("n1", "n2"));
        assert!(net.delivers("n2", "n1"));
        assert!(net.delivers("n3", "n2"));
        net.set_grudge(&Grudge::new());
        assert!(net.delivers("n1", "n2"));
        assert_eq!(
            net.counts("n1", "n2"),
            LinkCounts {
                delivered: 1,
                dropped: 1,
                ..LinkCounts::default()
            }
        );
        net.set_loss(BTreeMap::from([("n3".into(), 0.25)]));
        let kept = (0..4000).filter(|_| net.delivers("n1", "n3")).count();
        assert!((2700..3300).contains(&kept), "{kept} of 4000 kept");
        assert!((0..100).all(|_| net.delivers("n3", "n1")));
    }
}

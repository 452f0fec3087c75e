//! The runtime that drives one [`Mode`] with real sockets and time: a single actor task owns the
//! mode and receives every event (client request, peer message, tick) on one channel. It handles
//! a whole batch of queued events, then calls [`Mode::flush`] — one fsync for the batch (group
//! commit) — and only then sends the batch's messages and answers.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use crate::modes::{Effects, Mode, Token};
use crate::net::{accept_peers, PeerLinks};
use crate::protocol::{Request, Response};
use crate::server::accept_clients;

/// How often modes get a tick.
pub const TICK: Duration = Duration::from_millis(10);
/// Most events handled before a flush.
const MAX_BATCH: usize = 8192;

/// What reaches the actor.
pub enum Event<M> {
    Connected {
        conn: u64,
        answers: mpsc::UnboundedSender<Response>,
    },
    Disconnected {
        conn: u64,
    },
    Client {
        conn: u64,
        req: Request,
    },
    Peer {
        from: String,
        msg: M,
    },
}

/// Every task a node spawned, so [`RunningNode::kill`] can stop them all at once (the in-process
/// stand-in for SIGKILL: sockets close, unsynced state is gone).
#[derive(Clone, Default)]
pub struct Tasks(Arc<Mutex<Vec<AbortHandle>>>);

impl Tasks {
    pub fn spawn<F>(&self, fut: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        let handle = tokio::spawn(fut);
        let mut list = self.0.lock().expect("task list");
        list.retain(|h| !h.is_finished());
        list.push(handle.abort_handle());
    }

    /// Aborts every task; returns their handles, which say when each is really gone.
    fn abort_all(&self) -> Vec<AbortHandle> {
        let handles: Vec<AbortHandle> = self.0.lock().expect("task list").drain(..).collect();
        for h in &handles {
            h.abort();
        }
        handles
    }
}

/// Where a node listens and who its peers are.
pub struct Listeners {
    pub client: TcpListener,
    pub peer: TcpListener,
}

/// A node running on the current tokio runtime.
pub struct RunningNode {
    pub client_addr: SocketAddr,
    pub peer_addr: SocketAddr,
    tasks: Tasks,
    done: tokio::sync::oneshot::Receiver<std::io::Error>,
    paused: tokio::sync::watch::Sender<bool>,
}

impl RunningNode {
    /// Freezes (`true`) or thaws the node, as SIGSTOP/SIGCONT would: while frozen its actor handles
    /// nothing (no requests, messages or ticks); what arrives meanwhile waits in its queue, as in a
    /// stopped process's socket buffers.
    pub fn pause(&self, paused: bool) {
        self.paused.send_replace(paused);
    }

    /// Stops every task of the node abruptly.
    pub fn kill(self) {
        self.tasks.abort_all();
    }

    /// Stops every task of the node abruptly and returns once each is gone. An aborted task is
    /// dropped only when the runtime next reaches it, and until then its listener still takes
    /// connections into the kernel's backlog: a node "killed" without waiting can accept a client
    /// on a busy machine. Waits at most `max`.
    pub async fn kill_and_wait(self, max: std::time::Duration) {
        let handles = self.tasks.abort_all();
        let deadline = tokio::time::Instant::now() + max;
        while handles.iter().any(|h| !h.is_finished()) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    }

    /// Waits until the node stops on its own (it only does when it cannot persist its state).
    pub async fn wait(self) -> std::io::Error {
        match self.done.await {
            Ok(e) => e,
            Err(_) => std::io::Error::other("node stopped"),
        }
    }
}

/// Starts `mode` on the given listeners; `peers` maps every node id to its peer address.
pub fn start<M: Mode>(
    mode: M,
    id: &str,
    peers: &HashMap<String, SocketAddr>,
    listeners: Listeners,
) -> std::io::Result<RunningNode> {
    let client_addr = listeners.client.local_addr()?;
    let peer_addr = listeners.peer.local_addr()?;
    let tasks = Tasks::default();
    let (events_tx, events_rx) = mpsc::unbounded_channel::<Event<M::Msg>>();
    let links = PeerLinks::start(id, peers, &tasks);
    tasks.spawn(accept_clients(
        listeners.client,
        events_tx.clone(),
        tasks.clone(),
    ));
    tasks.spawn(accept_peers(listeners.peer, events_tx, tasks.clone()));
    let (done_tx, done) = tokio::sync::oneshot::channel();
    let (paused, paused_rx) = tokio::sync::watch::channel(false);
    tasks.spawn(async move {
        let err = run_actor(mode, events_rx, links, paused_rx).await;
        let _ = done_tx.send(err);
    });
    Ok(RunningNode {
        client_addr,
        peer_addr,
        tasks,
        done,
        paused,
    })
}

struct Actor<M: Mode> {
    mode: M,
    start: Instant,
    conns: HashMap<u64, mpsc::UnboundedSender<Response>>,
    /// Which connection waits for each token.
    waiting: HashMap<Token, u64>,
    next_token: Token,
    fx: Effects<M::Msg>,
}

impl<M: Mode> Actor<M> {
    fn now_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    fn handle(&mut self, event: Event<M::Msg>) {
        let now = self.now_ms();
        match event {
            Event::Connected { conn, answers } => {
                self.conns.insert(conn, answers);
            }
            Event::Disconnected { conn } => {
                self.conns.remove(&conn);
            }
            Event::Client { conn, req } => {
                self.next_token += 1;
                let token = self.next_token;
                self.waiting.insert(token, conn);
                self.mode.on_client(token, req, now, &mut self.fx);
            }
            Event::Peer { from, msg } => self.mode.on_peer(&from, msg, now, &mut self.fx),
        }
    }

    fn dispatch(&mut self, links: &PeerLinks) {
        for (to, msg) in self.fx.messages.drain(..) {
            links.send(&to, serde_json::to_vec(&msg).expect("messages serialise"));
        }
        for (token, answer) in self.fx.replies.drain(..) {
            if let Some(conn) = self.waiting.remove(&token) {
                if let Some(tx) = self.conns.get(&conn) {
                    let _ = tx.send(answer);
                }
            }
        }
    }
}

async fn run_actor<M: Mode>(
    mode: M,
    mut events: mpsc::UnboundedReceiver<Event<M::Msg>>,
    links: PeerLinks,
    mut paused: tokio::sync::watch::Receiver<bool>,
) -> std::io::Error {
    let mut actor = Actor {
        mode,
        start: Instant::now(),
        conns: HashMap::new(),
        waiting: HashMap::new(),
        next_token: 0,
        fx: Effects::default(),
    };
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        if *paused.borrow() && paused.wait_for(|p| !*p).await.is_err() {
            return std::io::Error::other("pause control dropped");
        }
        tokio::select! {
            biased;
            // A pause that lands while the actor waits here must still hold the next event:
            // wake up and go back to the check above.
            Ok(()) = paused.changed() => continue,
            event = events.recv() => match event {
                Some(event) => actor.handle(event),
                None => return std::io::Error::other("event channel closed"),
            },
            _ = ticker.tick() => {
                let now = actor.now_ms();
                actor.mode.on_tick(now, &mut actor.fx);
            }
        }
        let mut handled = 1;
        while handled < MAX_BATCH && !*paused.borrow() {
            match events.try_recv() {
                Ok(event) => actor.handle(event),
                Err(_) => break,
            }
            handled += 1;
        }
        let now = actor.now_ms();
        // fsync blocks this worker for the batch; on a multi-threaded runtime other tasks move to
        // the other workers meanwhile.
        let multi = tokio::runtime::Handle::current().runtime_flavor()
            == tokio::runtime::RuntimeFlavor::MultiThread;
        let flushed = if multi {
            tokio::task::block_in_place(|| actor.mode.flush(now, &mut actor.fx))
        } else {
            actor.mode.flush(now, &mut actor.fx)
        };
        if let Err(e) = flushed {
            tracing::error!("cannot persist state, stopping: {e}");
            return e;
        }
        actor.dispatch(&links);
    }
}

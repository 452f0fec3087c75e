//! An async client for `PROTOCOL.md`: one TCP connection, many requests in flight (pipelined and
//! matched by `id`), a timeout per request. Cloning a [`Client`] shares the connection.
//!
//! It never guesses an outcome: a request that was sent but not answered in time, or whose
//! connection broke, comes back as `info` (it may have happened, DESIGN.md section 2); one that
//! could not even be sent comes back as `fail` with error `not-connected`.
//!
//! A connection never reconnects by itself: once [`Client::is_connected`] is false (the node died,
//! or a partition held data unacknowledged for 1.5 s — `TCP_USER_TIMEOUT`), connect again.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use faultline_refnode::client::Client;
//! use faultline_refnode::protocol::OpKind;
//! use serde_json::json;
//! let client = Client::connect("127.0.0.1:7000".parse().unwrap()).await?;
//! let answer = client.call(OpKind::Write, Some(json!("x")), json!(1)).await;
//! println!("{:?} {}", answer.outcome, answer.value);
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};

use crate::protocol::{errors, OpKind, Outcome, Request, Response, Status};

/// Default time a request may take before the caller records `info`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Error string of a request whose connection broke after it was sent.
pub const CONNECTION_LOST: &str = "connection-lost";
/// Error string of a request that could not be sent (nothing happened).
pub const NOT_CONNECTED: &str = "not-connected";

type Waiters = Arc<Mutex<HashMap<u64, oneshot::Sender<Response>>>>;

#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    lines: mpsc::UnboundedSender<Vec<u8>>,
    waiters: Waiters,
    next_id: AtomicU64,
    alive: Arc<AtomicBool>,
    timeout: Duration,
}

impl Client {
    /// Connects with the default per-request timeout.
    pub async fn connect(addr: SocketAddr) -> std::io::Result<Client> {
        Client::connect_with_timeout(addr, DEFAULT_TIMEOUT).await
    }

    pub async fn connect_with_timeout(
        addr: SocketAddr,
        timeout: Duration,
    ) -> std::io::Result<Client> {
        let stream = tokio::time::timeout(timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("connecting to {addr} timed out"),
                )
            })??;
        crate::net::tune_socket(&stream);
        let (read, mut write) = stream.into_split();
        let waiters: Waiters = Arc::default();
        let alive = Arc::new(AtomicBool::new(true));
        let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
        let writer_alive = alive.clone();
        tokio::spawn(async move {
            let mut buf = Vec::new();
            while let Some(line) = rx.recv().await {
                buf.extend_from_slice(&line);
                while let Ok(more) = rx.try_recv() {
                    buf.extend_from_slice(&more);
                }
                if write.write_all(&buf).await.is_err() {
                    break;
                }
                buf.clear();
            }
            writer_alive.store(false, Ordering::SeqCst);
        });
        let reader_waiters = waiters.clone();
        let reader_alive = alive.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(read).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Ok(answer) = serde_json::from_str::<Response>(&line) {
                    let waiter = reader_waiters.lock().expect("waiters").remove(&answer.id);
                    if let Some(w) = waiter {
                        let _ = w.send(answer);
                    }
                }
            }
            reader_alive.store(false, Ordering::SeqCst);
            // Every request still waiting learns the connection is gone (dropping its sender).
            reader_waiters.lock().expect("waiters").clear();
        });
        Ok(Client {
            inner: Arc::new(Inner {
                lines: tx,
                waiters,
                next_id: AtomicU64::new(1),
                alive,
                timeout,
            }),
        })
    }

    /// Whether the connection is still up.
    pub fn is_connected(&self) -> bool {
        self.inner.alive.load(Ordering::SeqCst)
    }

    /// Sends one request (its `id` is assigned here) and waits for the answer or the timeout.
    pub async fn call(&self, op: OpKind, key: Option<Value>, value: Value) -> Response {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        self.send(Request::new(id, op, key, value)).await
    }

    /// Asks the node for its [`Status`]; the answer itself when it is not `ok` or not a status.
    pub async fn status(&self) -> Result<Status, Response> {
        let answer = self.call(OpKind::Status, None, Value::Null).await;
        if answer.outcome != Outcome::Ok {
            return Err(answer);
        }
        serde_json::from_value(answer.value.clone()).map_err(|_| answer)
    }

    /// Sends a prepared request; its `id` must be unique on this connection (use [`Client::call`]
    /// unless you need to choose ids).
    pub async fn send(&self, req: Request) -> Response {
        let id = req.id;
        if !self.is_connected() {
            return Response::fail(id, NOT_CONNECTED);
        }
        let (tx, rx) = oneshot::channel();
        self.inner.waiters.lock().expect("waiters").insert(id, tx);
        let mut line = serde_json::to_vec(&req).expect("requests serialise");
        line.push(b'\n');
        if self.inner.lines.send(line).is_err() {
            self.inner.waiters.lock().expect("waiters").remove(&id);
            return Response::fail(id, NOT_CONNECTED);
        }
        match tokio::time::timeout(self.inner.timeout, rx).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => Response::info(id, CONNECTION_LOST),
            Err(_) => {
                self.inner.waiters.lock().expect("waiters").remove(&id);
                Response::info(id, errors::TIMEOUT)
            }
        }
    }
}

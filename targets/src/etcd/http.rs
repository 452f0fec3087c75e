//! The HTTP/1.1 connection behind the etcd JSON gateway: `POST` a JSON body on a kept-alive
//! connection, one request at a time, and read the answer.
//!
//! The protocol work (framing, chunked bodies, keep-alive) is hyper's, already in the tree through
//! bollard. What this module adds is the one thing the error mapping needs and hyper exposes only
//! through `try_send_request`: *where* a request failed. Before any byte reached the server the
//! operation cannot have happened (`fail`); once the request was written it may have (`info`).
//! [`HttpError`] keeps that distinction.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{CONNECTION, CONTENT_TYPE, HOST};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// How long a connection attempt may take; a node that is down or partitioned away answers with
/// a refusal or not at all, and neither should hold a client for the whole operation timeout.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// Largest answer accepted (a set read of every element is the largest the workloads make).
const MAX_BODY: usize = 64 << 20;

/// Where a request failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HttpError {
    /// Nothing (or not a whole request) reached the server: connection refused or timed out, or
    /// the connection was already unusable. The request cannot have been processed.
    NotSent(String),
    /// The request was written, but the answer was lost or unreadable: it may have been processed.
    Lost(String),
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::NotSent(e) => write!(f, "not sent: {e}"),
            HttpError::Lost(e) => write!(f, "sent, answer lost: {e}"),
        }
    }
}

/// An HTTP answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
    /// The server asked to close the connection after this answer (the caller drops it).
    pub close: bool,
}

/// One kept-alive connection to one server. The connection's I/O runs on its own task, which
/// ends when this value (and so the request sender) is dropped.
pub struct HttpConnection {
    addr: SocketAddr,
    sender: SendRequest<Full<Bytes>>,
}

impl HttpConnection {
    pub async fn open(addr: SocketAddr) -> Result<HttpConnection, HttpError> {
        let stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr))
            .await
            .map_err(|_| HttpError::NotSent(format!("connect to {addr} timed out")))?
            .map_err(|e| HttpError::NotSent(format!("connect to {addr}: {e}")))?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| HttpError::NotSent(format!("HTTP handshake with {addr}: {e}")))?;
        // The connection task ends on its own when the server closes or the sender is dropped;
        // its error, if any, reaches the caller through the pending request.
        tokio::spawn(connection);
        Ok(HttpConnection { addr, sender })
    }

    /// `POST path` with a JSON body; the connection stays usable unless the answer says `close`
    /// (the caller then drops it) or an error is returned (the caller must drop it).
    pub async fn post(&mut self, path: &str, body: &[u8]) -> Result<Response, HttpError> {
        let addr = self.addr;
        let request = Request::post(path)
            .header(HOST, addr.to_string())
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::copy_from_slice(body)))
            .map_err(|e| HttpError::NotSent(format!("building the request for {addr}: {e}")))?;
        self.send(request).await
    }

    /// `GET path` (Patroni's REST API is read this way); the same rules as [`Self::post`].
    pub async fn get(&mut self, path: &str) -> Result<Response, HttpError> {
        let addr = self.addr;
        let request = Request::get(path)
            .header(HOST, addr.to_string())
            .body(Full::new(Bytes::new()))
            .map_err(|e| HttpError::NotSent(format!("building the request for {addr}: {e}")))?;
        self.send(request).await
    }

    async fn send(&mut self, request: Request<Full<Bytes>>) -> Result<Response, HttpError> {
        let addr = self.addr;
        // A connection the server has closed is found here, before anything is written.
        self.sender
            .ready()
            .await
            .map_err(|e| HttpError::NotSent(format!("connection to {addr}: {e}")))?;
        let answer = match self.sender.try_send_request(request).await {
            Ok(answer) => answer,
            Err(mut e) => {
                let error = format!("{addr}: {}", e.error());
                // hyper hands the request back only when none of it was written.
                return Err(match e.take_message() {
                    Some(_) => HttpError::NotSent(error),
                    None => HttpError::Lost(error),
                });
            }
        };
        let status = answer.status().as_u16();
        let close = answer
            .headers()
            .get(CONNECTION)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
        let body = Limited::new(answer.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(|e| HttpError::Lost(format!("reading the answer from {addr}: {e}")))?
            .to_bytes()
            .to_vec();
        Ok(Response {
            status,
            body,
            close,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// A loopback server that answers each request with the given bytes, in small pieces, and
    /// returns what it received.
    async fn serve(answers: Vec<Vec<u8>>) -> (SocketAddr, tokio::task::JoinHandle<Vec<u8>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut received = Vec::new();
            for answer in answers {
                let mut buf = vec![0u8; 4096];
                let n = sock.read(&mut buf).await.unwrap();
                received.extend_from_slice(&buf[..n]);
                for piece in answer.chunks(7) {
                    sock.write_all(piece).await.unwrap();
                    sock.flush().await.unwrap();
                    tokio::task::yield_now().await;
                }
            }
            // Read the next request, then close without answering: its answer is lost.
            let mut buf = vec![0u8; 4096];
            let n = sock.read(&mut buf).await.unwrap_or(0);
            received.extend_from_slice(&buf[..n]);
            received
        });
        (addr, server)
    }

    #[tokio::test]
    async fn keeps_the_connection_across_answers_and_reports_losses_after_sending() {
        let (addr, server) = serve(vec![
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}".to_vec(),
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n3\r\n\":1\r\n1\r\n}\r\n0\r\n\r\n"
                .to_vec(),
        ])
        .await;
        let mut conn = HttpConnection::open(addr).await.unwrap();
        let first = conn.post("/a", b"{}").await.unwrap();
        assert_eq!((first.status, first.body.as_slice()), (200, &b"{}"[..]));
        assert!(!first.close);
        let second = conn.post("/b", b"{\"k\":1}").await.unwrap();
        assert_eq!(second.body, b"{\"a\":1}");
        match conn.post("/c", b"{}").await {
            Err(HttpError::Lost(_)) => {}
            other => panic!("the third request was written, its answer lost: {other:?}"),
        }
        let received = String::from_utf8(server.await.unwrap()).unwrap();
        assert!(received.starts_with("POST /a HTTP/1.1\r\n"), "{received}");
        assert!(
            received.contains(&format!("host: {addr}\r\n")),
            "{received}"
        );
        assert!(received.contains("content-type: application/json\r\n"));
        assert!(received.contains("content-length: 7\r\n\r\n{\"k\":1}"));
        assert!(received.contains("POST /c HTTP/1.1\r\n"), "{received}");
    }

    #[tokio::test]
    async fn an_answer_that_asks_to_close_says_so() {
        let (addr, _server) = serve(vec![
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 7\r\nConnection: close\r\n\r\n{\"e\":1}"
                .to_vec(),
        ])
        .await;
        let mut conn = HttpConnection::open(addr).await.unwrap();
        let answer = conn.get("/a").await.unwrap();
        assert_eq!((answer.status, answer.close), (503, true));
        assert_eq!(answer.body, b"{\"e\":1}");
    }

    #[tokio::test]
    async fn a_closed_connection_is_not_sent() {
        // The server answers once with close and hangs up: the next request never leaves.
        let (addr, server) = serve(vec![
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}".to_vec(),
        ])
        .await;
        let mut conn = HttpConnection::open(addr).await.unwrap();
        conn.post("/a", b"{}").await.unwrap();
        let _ = server.await;
        match conn.post("/b", b"{}").await {
            Err(HttpError::NotSent(_)) => {}
            other => panic!("expected NotSent on a closed connection, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_refused_connection_is_not_sent() {
        // Bind and drop, so nothing listens on the port.
        let addr = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap()
            .local_addr()
            .unwrap();
        match HttpConnection::open(addr).await {
            Err(HttpError::NotSent(e)) => assert!(e.contains("connect"), "{e}"),
            Err(other) => panic!("expected NotSent, got {other:?}"),
            Ok(_) => panic!("nothing listens on {addr}"),
        }
    }
}

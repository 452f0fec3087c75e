//! A minimal HTTP/1.1 client for the etcd JSON gateway: `POST` a JSON body on a kept-alive
//! connection, one request at a time, and read the answer (`Content-Length` or chunked).
//!
//! Why not a crate: the gateway needs nothing beyond this, and the error mapping needs to know
//! exactly where a request failed — before any byte reached the server (it cannot have happened),
//! or after the request was written (it may have). [`HttpError`] keeps that distinction.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
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
    /// the write failed. The request cannot have been processed.
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
    /// The server asked to close the connection after this answer.
    pub close: bool,
}

/// One kept-alive connection to one server.
pub struct HttpConnection {
    addr: SocketAddr,
    stream: TcpStream,
    /// Bytes read past the previous answer (none with a well-behaved server, but kept anyway).
    buffer: Vec<u8>,
}

impl HttpConnection {
    pub async fn open(addr: SocketAddr) -> Result<HttpConnection, HttpError> {
        let stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr))
            .await
            .map_err(|_| HttpError::NotSent(format!("connect to {addr} timed out")))?
            .map_err(|e| HttpError::NotSent(format!("connect to {addr}: {e}")))?;
        let _ = stream.set_nodelay(true);
        Ok(HttpConnection {
            addr,
            stream,
            buffer: Vec::new(),
        })
    }

    /// `POST path` with a JSON body; the connection stays usable unless the answer says `close`
    /// (the caller then drops it) or an error is returned (the caller must drop it).
    pub async fn post(&mut self, path: &str, body: &[u8]) -> Result<Response, HttpError> {
        let request = encode_post(&self.addr.to_string(), path, body);
        self.stream.write_all(&request).await.map_err(|e| {
            HttpError::NotSent(format!("writing the request to {}: {e}", self.addr))
        })?;
        self.read_response()
            .await
            .map_err(|e| HttpError::Lost(format!("{} from {}", e, self.addr)))
    }

    async fn read_response(&mut self) -> Result<Response, String> {
        loop {
            if let Some((head_len, status, framing, close)) = parse_head(&self.buffer)? {
                self.buffer.drain(..head_len);
                let body = match framing {
                    Framing::Length(n) => {
                        if n > MAX_BODY {
                            return Err(format!("answer of {n} bytes is too large"));
                        }
                        self.fill(n).await?;
                        self.buffer.drain(..n).collect()
                    }
                    Framing::Chunked => self.read_chunked().await?,
                };
                return Ok(Response {
                    status,
                    body,
                    close,
                });
            }
            self.read_more().await?;
        }
    }

    /// Reads at least one more byte into the buffer.
    async fn read_more(&mut self) -> Result<(), String> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self
            .stream
            .read(&mut chunk)
            .await
            .map_err(|e| format!("reading the answer: {e}"))?;
        if n == 0 {
            return Err("connection closed before the answer was complete".into());
        }
        if self.buffer.len() + n > MAX_BODY + 64 * 1024 {
            return Err("answer too large".into());
        }
        self.buffer.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    async fn fill(&mut self, n: usize) -> Result<(), String> {
        while self.buffer.len() < n {
            self.read_more().await?;
        }
        Ok(())
    }

    async fn read_chunked(&mut self) -> Result<Vec<u8>, String> {
        let mut body = Vec::new();
        loop {
            match decode_chunk(&self.buffer)? {
                Chunk::Incomplete => self.read_more().await?,
                Chunk::Data { consumed, range } => {
                    body.extend_from_slice(&self.buffer[range]);
                    self.buffer.drain(..consumed);
                    if body.len() > MAX_BODY {
                        return Err("answer too large".into());
                    }
                }
                Chunk::End { consumed } => {
                    self.buffer.drain(..consumed);
                    return Ok(body);
                }
            }
        }
    }
}

/// The bytes of `POST path` with a JSON body.
pub fn encode_post(host: &str, path: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// How the body of an answer is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    Length(usize),
    Chunked,
}

/// The status line and headers, when complete: (head length, status, framing, close).
fn parse_head(buf: &[u8]) -> Result<Option<(usize, u16, Framing, bool)>, String> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut response = httparse::Response::new(&mut headers);
    let head_len = match response.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(format!("unreadable HTTP answer: {e}")),
    };
    let status = response.code.unwrap_or(0);
    let mut framing = Framing::Length(0);
    let mut close = false;
    for h in response.headers.iter() {
        let value = String::from_utf8_lossy(h.value);
        if h.name.eq_ignore_ascii_case("content-length") {
            let n = value
                .trim()
                .parse()
                .map_err(|_| format!("bad Content-Length {value:?}"))?;
            framing = Framing::Length(n);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding")
            && value.to_ascii_lowercase().contains("chunked")
        {
            framing = Framing::Chunked;
        } else if h.name.eq_ignore_ascii_case("connection") && value.eq_ignore_ascii_case("close") {
            close = true;
        }
    }
    Ok(Some((head_len, status, framing, close)))
}

/// One step of chunked decoding over the buffered bytes.
#[derive(Debug, PartialEq, Eq)]
enum Chunk {
    Incomplete,
    /// A data chunk: its bytes are `range`; `consumed` includes the size line and trailing CRLF.
    Data {
        consumed: usize,
        range: std::ops::Range<usize>,
    },
    /// The last (zero) chunk and its trailers.
    End {
        consumed: usize,
    },
}

fn decode_chunk(buf: &[u8]) -> Result<Chunk, String> {
    let Some(line_end) = find_crlf(buf, 0) else {
        return Ok(Chunk::Incomplete);
    };
    let line = String::from_utf8_lossy(&buf[..line_end]);
    let size_text = line.split(';').next().unwrap_or("").trim();
    let size = usize::from_str_radix(size_text, 16)
        .map_err(|_| format!("bad chunk size line {line:?}"))?;
    let start = line_end + 2;
    if size == 0 {
        // Trailers end with an empty line.
        let mut at = start;
        loop {
            let Some(end) = find_crlf(buf, at) else {
                return Ok(Chunk::Incomplete);
            };
            if end == at {
                return Ok(Chunk::End { consumed: end + 2 });
            }
            at = end + 2;
        }
    }
    if size > MAX_BODY {
        return Err(format!("chunk of {size} bytes is too large"));
    }
    if buf.len() < start + size + 2 {
        return Ok(Chunk::Incomplete);
    }
    if &buf[start + size..start + size + 2] != b"\r\n" {
        return Err("chunk not followed by CRLF".into());
    }
    Ok(Chunk::Data {
        consumed: start + size + 2,
        range: start..start + size,
    })
}

fn find_crlf(buf: &[u8], from: usize) -> Option<usize> {
    buf.get(from..)?
        .windows(2)
        .position(|w| w == b"\r\n")
        .map(|p| p + from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    #[test]
    fn post_request_carries_length_and_body() {
        let req = encode_post("10.0.0.2:2379", "/v3/kv/range", b"{\"key\":\"YQ==\"}");
        let text = String::from_utf8(req).unwrap();
        assert!(text.starts_with("POST /v3/kv/range HTTP/1.1\r\nHost: 10.0.0.2:2379\r\n"));
        assert!(text.contains("Content-Length: 14\r\n\r\n{\"key\":\"YQ==\"}"));
    }

    #[test]
    fn heads_are_parsed_only_when_complete() {
        assert_eq!(parse_head(b"HTTP/1.1 200 OK\r\nContent-Le").unwrap(), None);
        let head =
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 7\r\nConnection: close\r\n\r\n";
        let (len, status, framing, close) = parse_head(head).unwrap().unwrap();
        assert_eq!(
            (len, status, framing, close),
            (head.len(), 503, Framing::Length(7), true)
        );
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(parse_head(chunked).unwrap().unwrap().2, Framing::Chunked);
        assert!(parse_head(b"garbage\r\n\r\n").is_err());
    }

    #[test]
    fn chunks_decode_step_by_step() {
        assert_eq!(decode_chunk(b"5\r\nhel").unwrap(), Chunk::Incomplete);
        assert_eq!(
            decode_chunk(b"5\r\nhello\r\n0\r\n").unwrap(),
            Chunk::Data {
                consumed: 10,
                range: 3..8
            }
        );
        assert_eq!(decode_chunk(b"0\r\n").unwrap(), Chunk::Incomplete);
        assert_eq!(
            decode_chunk(b"0\r\n\r\n").unwrap(),
            Chunk::End { consumed: 5 }
        );
        assert_eq!(
            decode_chunk(b"0\r\nX-T: 1\r\n\r\n").unwrap(),
            Chunk::End { consumed: 13 }
        );
        assert!(decode_chunk(b"zz\r\n").is_err());
    }

    /// A loopback server that answers each request with the given bytes, in pieces.
    async fn serve(answers: Vec<Vec<u8>>) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            for answer in answers {
                let mut buf = vec![0u8; 4096];
                let _ = sock.read(&mut buf).await.unwrap();
                for piece in answer.chunks(7) {
                    sock.write_all(piece).await.unwrap();
                    sock.flush().await.unwrap();
                    tokio::task::yield_now().await;
                }
            }
            // Then close: the next request's answer is lost.
        });
        addr
    }

    #[tokio::test]
    async fn keeps_the_connection_across_answers_and_reports_losses_after_sending() {
        let addr = serve(vec![
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}".to_vec(),
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n3\r\n\":1\r\n1\r\n}\r\n0\r\n\r\n"
                .to_vec(),
        ])
        .await;
        let mut conn = HttpConnection::open(addr).await.unwrap();
        let first = conn.post("/a", b"{}").await.unwrap();
        assert_eq!((first.status, first.body.as_slice()), (200, &b"{}"[..]));
        let second = conn.post("/b", b"{}").await.unwrap();
        assert_eq!(second.body, b"{\"a\":1}");
        match conn.post("/c", b"{}").await {
            Err(HttpError::Lost(_)) | Err(HttpError::NotSent(_)) => {}
            other => panic!("expected an error, got {other:?}"),
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

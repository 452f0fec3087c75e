//! The client side of `PROTOCOL.md`: accept connections, parse request lines, hand them to the
//! node, and write the answers back (in whatever order they come — clients match on `id`).

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::node::{Event, Tasks};
use crate::protocol::{errors, Request, Response};

/// Accepts client connections forever.
pub async fn accept_clients<M: Send + 'static>(
    listener: TcpListener,
    events: mpsc::UnboundedSender<Event<M>>,
    tasks: Tasks,
) {
    let mut next_conn = 0u64;
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        crate::net::tune_socket(&stream);
        next_conn += 1;
        tasks.spawn(serve_connection(
            stream,
            next_conn,
            events.clone(),
            tasks.clone(),
        ));
    }
}

async fn serve_connection<M: Send + 'static>(
    stream: TcpStream,
    conn: u64,
    events: mpsc::UnboundedSender<Event<M>>,
    tasks: Tasks,
) {
    let (read, write) = stream.into_split();
    let (tx, rx) = mpsc::unbounded_channel::<Response>();
    if events
        .send(Event::Connected {
            conn,
            answers: tx.clone(),
        })
        .is_err()
    {
        return;
    }
    tasks.spawn(write_answers(write, rx));
    let mut lines = BufReader::new(read).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Request>(&line) {
            Ok(req) => {
                if events.send(Event::Client { conn, req }).is_err() {
                    break;
                }
            }
            Err(e) => {
                // Answer with the id when the line has one, so a pipelined client is not stuck.
                let id = serde_json::from_str::<Value>(&line)
                    .ok()
                    .and_then(|v| v.get("id").and_then(Value::as_u64))
                    .unwrap_or(0);
                let mut answer = Response::fail(id, errors::BAD_REQUEST);
                answer.value = Value::String(format!("cannot parse request: {e}"));
                let _ = tx.send(answer);
            }
        }
    }
    let _ = events.send(Event::Disconnected { conn });
}

async fn write_answers(
    mut write: tokio::net::tcp::OwnedWriteHalf,
    mut rx: mpsc::UnboundedReceiver<Response>,
) {
    let mut buf = Vec::new();
    while let Some(answer) = rx.recv().await {
        push_line(&mut buf, &answer);
        while let Ok(more) = rx.try_recv() {
            push_line(&mut buf, &more);
            if buf.len() > 1 << 20 {
                break;
            }
        }
        if write.write_all(&buf).await.is_err() {
            return;
        }
        buf.clear();
    }
}

fn push_line(buf: &mut Vec<u8>, answer: &Response) {
    serde_json::to_writer(&mut *buf, answer).expect("answers serialise");
    buf.push(b'\n');
}

//! Incoming peer connections: read the [`Hello`], then hand every message line to the node.

use serde::de::DeserializeOwned;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use super::Hello;
use crate::node::{Event, Tasks};

/// Accepts peer connections forever, one reading task per connection.
pub async fn accept_peers<M: DeserializeOwned + Send + 'static>(
    listener: TcpListener,
    events: mpsc::UnboundedSender<Event<M>>,
    tasks: Tasks,
) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        super::tune_socket(&stream);
        tasks.spawn(read_peer(stream, events.clone()));
    }
}

async fn read_peer<M: DeserializeOwned>(
    stream: TcpStream,
    events: mpsc::UnboundedSender<Event<M>>,
) {
    let mut lines = BufReader::new(stream).lines();
    let Ok(Some(first)) = lines.next_line().await else {
        return;
    };
    let Ok(hello) = serde_json::from_str::<Hello>(&first) else {
        tracing::warn!("peer connection without a hello line; closing it");
        return;
    };
    while let Ok(Some(line)) = lines.next_line().await {
        match serde_json::from_str::<M>(&line) {
            Ok(msg) => {
                let event = Event::Peer {
                    from: hello.from.clone(),
                    msg,
                };
                if events.send(event).is_err() {
                    return;
                }
            }
            Err(e) => tracing::warn!("bad message from {}: {e}", hello.from),
        }
    }
}

//! WebSocket clients for tests: `/graphql/ws` of a real server, over `graphql-transport-ws`
//! unless a test asks for another subprotocol.

use std::net::SocketAddr;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// A client connection.
pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens `/graphql/ws` asking for `protocol`.
pub async fn connect(addr: SocketAddr, protocol: &str) -> Ws {
    let mut req = format!("ws://{addr}/graphql/ws")
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("sec-websocket-protocol", protocol.parse().unwrap());
    let (ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    ws
}

/// Opens a `graphql-transport-ws` connection, sends `connection_init` (with `payload` when
/// given) and waits at most 5 s for its `connection_ack`.
pub async fn acked(addr: SocketAddr, payload: Option<Value>) -> Ws {
    let mut ws = connect(addr, "graphql-transport-ws").await;
    let mut init = json!({ "type": "connection_init" });
    if let Some(p) = payload {
        init["payload"] = p;
    }
    send(&mut ws, init).await;
    let ack = next_json(&mut ws, Duration::from_secs(5))
        .await
        .expect("a connection_ack within 5 s");
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    ws
}

/// Sends one JSON message.
pub async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::text(v.to_string())).await.unwrap();
}

/// The next JSON message (pings and pongs skipped), or None after `wait`.
pub async fn next_json(ws: &mut Ws, wait: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let msg = tokio::time::timeout(left, ws.next()).await.ok()??.ok()?;
        if let Message::Text(t) = msg {
            let v: Value = serde_json::from_str(&t).unwrap();
            if v["type"] == "ping" || v["type"] == "pong" {
                continue;
            }
            return Some(v);
        }
    }
}

//! `graphql-transport-ws` by its rules, with raw frames against a real server: the six close
//! codes with short reasons, pings answered, operations run and completed, request errors as
//! `error` messages, and the cap on operations per connection.

mod common;

use std::time::Duration;

use common::{backends, with_demo};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const LONG_RUNNING: &str = "subscription { disclosureChanged { dataset { id } } }";

/// The settings the tests run with: a short init wait, two operations per connection.
fn settings() -> inventory::config::WsSettings {
    inventory::config::WsSettings {
        init_wait: Duration::from_millis(400),
        keep_alive: Duration::from_secs(15),
        max_operations: 2,
        max_per_address: 1_000,
        max_per_token: 100,
    }
}

async fn start(
    db: &sea_orm::DatabaseConnection,
) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    start_with(db, settings()).await
}

async fn start_with(
    db: &sea_orm::DatabaseConnection,
    ws: inventory::config::WsSettings,
) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let config = inventory::config::Config {
        ws,
        ..Default::default()
    };
    common::serve(inventory::AppState::with_config(
        db.clone(),
        std::sync::Arc::new(inventory::clock::SystemClock),
        config,
    ))
    .await
}

async fn open(addr: std::net::SocketAddr) -> Ws {
    let mut req = format!("ws://{addr}/graphql/ws")
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (ws, resp) = tokio_tungstenite::connect_async(req).await.unwrap();
    assert_eq!(
        resp.headers()["sec-websocket-protocol"],
        "graphql-transport-ws"
    );
    ws
}

async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::text(v.to_string())).await.unwrap();
}

async fn init(ws: &mut Ws, payload: Value) {
    send(ws, json!({ "type": "connection_init", "payload": payload })).await;
}

/// What the server sends next: a JSON message or the close frame's (code, reason).
#[derive(Debug)]
enum Got {
    Json(Value),
    Closed(u16, String),
    Nothing,
}

async fn next(ws: &mut Ws, wait: Duration) -> Got {
    loop {
        match tokio::time::timeout(wait, ws.next()).await {
            Err(_) => return Got::Nothing,
            Ok(None) | Ok(Some(Err(_))) => return Got::Closed(1006, String::new()),
            Ok(Some(Ok(Message::Text(t)))) => {
                let v: Value = serde_json::from_str(&t).unwrap();
                if v["type"] == "ping" {
                    continue;
                }
                return Got::Json(v);
            }
            Ok(Some(Ok(Message::Close(f)))) => {
                return f.map_or(Got::Closed(1005, String::new()), |f| {
                    Got::Closed(u16::from(f.code), f.reason.to_string())
                });
            }
            Ok(Some(Ok(_))) => continue,
        }
    }
}

async fn closed_with(ws: &mut Ws) -> (u16, String) {
    match next(ws, Duration::from_secs(5)).await {
        Got::Closed(c, r) => {
            assert!(r.len() <= 123, "reason too long for a close frame: {r}");
            (c, r)
        }
        other => panic!("expected a close, got {other:?}"),
    }
}

async fn acked(addr: std::net::SocketAddr) -> Ws {
    let mut ws = open(addr).await;
    init(&mut ws, json!({})).await;
    match next(&mut ws, Duration::from_secs(5)).await {
        Got::Json(v) if v["type"] == "connection_ack" => ws,
        other => panic!("no ack: {other:?}"),
    }
}

#[tokio::test]
async fn every_close_code_of_the_protocol() {
    for b in backends().await {
        let t = with_demo(b, 0.001).await;
        let (addr, stop) = start(&t.db).await;

        // 4408: no connection_init within the wait.
        let mut ws = open(addr).await;
        assert_eq!(closed_with(&mut ws).await.0, 4408, "{b:?}");

        // 4401: subscribe before the acknowledgement.
        let mut ws = open(addr).await;
        send(
            &mut ws,
            json!({ "id": "1", "type": "subscribe", "payload": { "query": "{ __typename }" } }),
        )
        .await;
        assert_eq!(closed_with(&mut ws).await.0, 4401, "{b:?}");

        // 4400: not a message of the protocol; the reason stays short however long the error.
        for bad in [
            json!({ "type": "subscribe", "id": "1" }).to_string(),
            "not json at all".into(),
            json!({ "type": "nonsense", "payload": "x".repeat(500) }).to_string(),
        ] {
            let mut ws = acked(addr).await;
            ws.send(Message::text(bad.clone())).await.unwrap();
            let (code, reason) = closed_with(&mut ws).await;
            assert_eq!(code, 4400, "{b:?} {bad}: {reason}");
        }

        // 4403: a token that is not valid.
        let mut ws = open(addr).await;
        init(&mut ws, json!({ "token": "inv_not-a-real-token" })).await;
        assert_eq!(closed_with(&mut ws).await.0, 4403, "{b:?}");

        // 4409: a second operation with a running one's id.
        let mut ws = acked(addr).await;
        send(
            &mut ws,
            json!({ "id": "a", "type": "subscribe", "payload": { "query": LONG_RUNNING } }),
        )
        .await;
        send(
            &mut ws,
            json!({ "id": "a", "type": "subscribe", "payload": { "query": LONG_RUNNING } }),
        )
        .await;
        let (code, reason) = closed_with(&mut ws).await;
        assert_eq!(code, 4409, "{b:?}: {reason}");
        assert!(reason.contains('a'), "{reason}");

        // 4429: a second connection_init.
        let mut ws = acked(addr).await;
        init(&mut ws, json!({})).await;
        assert_eq!(closed_with(&mut ws).await.0, 4429, "{b:?}");

        let _ = stop.send(());
        t.cleanup().await;
    }
}

#[tokio::test]
async fn operations_run_complete_and_are_capped_per_connection() {
    for b in backends().await {
        let t = with_demo(b, 0.001).await;
        let (addr, stop) = start(&t.db).await;
        let mut ws = acked(addr).await;

        // A ping is answered with a pong.
        send(&mut ws, json!({ "type": "ping" })).await;
        match next(&mut ws, Duration::from_secs(5)).await {
            Got::Json(v) => assert_eq!(v["type"], "pong", "{v}"),
            other => panic!("{other:?}"),
        }

        // A query through subscribe: next, then complete.
        send(
            &mut ws,
            json!({ "id": "q", "type": "subscribe", "payload": { "query": "{ __typename }" } }),
        )
        .await;
        let Got::Json(v) = next(&mut ws, Duration::from_secs(5)).await else {
            panic!()
        };
        assert_eq!(
            (v["type"].as_str(), v["id"].as_str()),
            (Some("next"), Some("q")),
            "{v}"
        );
        assert_eq!(v["payload"]["data"]["__typename"], "Query", "{v}");
        let Got::Json(v) = next(&mut ws, Duration::from_secs(5)).await else {
            panic!()
        };
        assert_eq!(
            (v["type"].as_str(), v["id"].as_str()),
            (Some("complete"), Some("q")),
            "{v}"
        );

        // A document that does not validate: one `error` message, coded, and no complete.
        send(
            &mut ws,
            json!({ "id": "bad", "type": "subscribe", "payload": { "query": "{ noSuchField }" } }),
        )
        .await;
        let Got::Json(v) = next(&mut ws, Duration::from_secs(5)).await else {
            panic!()
        };
        assert_eq!(
            (v["type"].as_str(), v["id"].as_str()),
            (Some("error"), Some("bad")),
            "{v}"
        );
        assert_eq!(
            v["payload"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
            "{v}"
        );

        // Two running operations fill the cap; a third is refused, and the connection goes on.
        for id in ["s1", "s2"] {
            send(
                &mut ws,
                json!({ "id": id, "type": "subscribe", "payload": { "query": LONG_RUNNING } }),
            )
            .await;
        }
        send(
            &mut ws,
            json!({ "id": "s3", "type": "subscribe", "payload": { "query": LONG_RUNNING } }),
        )
        .await;
        let Got::Json(v) = next(&mut ws, Duration::from_secs(5)).await else {
            panic!()
        };
        assert_eq!(
            (v["type"].as_str(), v["id"].as_str()),
            (Some("error"), Some("s3")),
            "{v}"
        );
        assert_eq!(
            v["payload"][0]["extensions"]["code"], "TOO_MANY_REQUESTS",
            "{v}"
        );
        // Completing one frees a place: the id can be used again.
        send(&mut ws, json!({ "id": "s1", "type": "complete" })).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        send(
            &mut ws,
            json!({ "id": "s3", "type": "subscribe", "payload": { "query": LONG_RUNNING } }),
        )
        .await;
        assert!(matches!(
            next(&mut ws, Duration::from_millis(500)).await,
            Got::Nothing
        ));
        send(
            &mut ws,
            json!({ "id": "s1", "type": "subscribe", "payload": { "query": "{ __typename }" } }),
        )
        .await;
        let Got::Json(v) = next(&mut ws, Duration::from_secs(5)).await else {
            panic!()
        };
        assert_eq!(
            (v["type"].as_str(), v["id"].as_str()),
            (Some("error"), Some("s1")),
            "{v}"
        );

        let _ = stop.send(());
        t.cleanup().await;
    }
}

#[tokio::test]
async fn connections_are_capped_per_address_and_per_token() {
    for b in backends().await {
        let t = with_demo(b, 0.001).await;
        let caps = inventory::config::WsSettings {
            max_per_address: 3,
            max_per_token: 1,
            ..settings()
        };
        let (addr, stop) = start_with(&t.db, caps).await;
        let inst = common::count(&t.db, "SELECT MIN(id) FROM institution").await;
        let token = common::officer_token_of(&t.db, inst).await;

        // One connection per token: a second with the same token is closed with 1013.
        let mut first = open(addr).await;
        init(&mut first, json!({ "token": token })).await;
        match next(&mut first, Duration::from_secs(5)).await {
            Got::Json(v) => assert_eq!(v["type"], "connection_ack", "{v}"),
            other => panic!("{b:?}: {other:?}"),
        }
        let mut second = open(addr).await;
        init(&mut second, json!({ "token": token })).await;
        let (code, reason) = closed_with(&mut second).await;
        assert_eq!(code, 1013, "{b:?}: {reason}");
        drop(second);
        tokio::time::sleep(Duration::from_millis(300)).await;

        // Three per address: the fourth upgrade is refused with 429 and Retry-After.
        let _two = acked(addr).await;
        let third = acked(addr).await;
        let mut req = format!("ws://{addr}/graphql/ws")
            .into_client_request()
            .unwrap();
        req.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        match tokio_tungstenite::connect_async(req).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                assert_eq!(resp.status(), 429, "{b:?}");
                assert!(resp.headers().get("retry-after").is_some());
            }
            other => panic!("{b:?}: expected 429, got {other:?}"),
        }
        // A closed connection gives its place back.
        drop(third);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let _again = acked(addr).await;

        let _ = stop.send(());
        t.cleanup().await;
    }
}

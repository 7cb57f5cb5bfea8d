//! Subscriptions with a real WebSocket client against a real server: filters, nothing for
//! rolled-back transactions, resume after reconnect, revoked tokens, the legacy protocol, and
//! (on PostgreSQL) delivery across two separate server processes.

mod common;

use std::time::Duration;

use common::api::gid;
use common::{Backend, backends, with_fixture};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Connects with a subprotocol and sends `connection_init` with the token.
async fn connect(addr: std::net::SocketAddr, protocol: &str, token: Option<&str>) -> Ws {
    let mut req = format!("ws://{addr}/graphql/ws")
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("sec-websocket-protocol", protocol.parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let payload = match token {
        Some(t) => json!({ "Authorization": format!("Bearer {t}") }),
        None => json!({}),
    };
    ws.send(Message::text(
        json!({ "type": "connection_init", "payload": payload }).to_string(),
    ))
    .await
    .unwrap();
    let ack = next_json(&mut ws, Duration::from_secs(5))
        .await
        .expect("no connection_ack");
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    ws
}

async fn subscribe(ws: &mut Ws, protocol: &str, id: &str, query: &str, vars: Value) {
    let ty = if protocol == "graphql-ws" {
        "start"
    } else {
        "subscribe"
    };
    ws.send(Message::text(
        json!({ "id": id, "type": ty, "payload": { "query": query, "variables": vars } })
            .to_string(),
    ))
    .await
    .unwrap();
}

/// The next JSON message (skipping pings and keep-alives), or None after `wait`.
async fn next_json(ws: &mut Ws, wait: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let msg = tokio::time::timeout(left, ws.next()).await.ok()??.ok()?;
        if let Message::Text(t) = msg {
            let v: Value = serde_json::from_str(&t).unwrap();
            if v["type"] == "ka" || v["type"] == "ping" || v["type"] == "pong" {
                continue;
            }
            return Some(v);
        }
    }
}

/// A minimal HTTP/1.1 POST to /graphql (a real client over TCP).
async fn http_post(addr: std::net::SocketAddr, token: &str, query: &str, vars: Value) -> Value {
    let body = json!({ "query": query, "variables": vars }).to_string();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "POST /graphql HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    let body = out.split("\r\n\r\n").nth(1).unwrap_or_default();
    serde_json::from_str(body).unwrap_or_else(|_| panic!("bad response: {out}"))
}

/// The cursor before the first outbox event: subscribing "after" it replays everything committed
/// so far, so a test does not depend on how soon the server registers the subscription.
const START: &str = "eyJmIjowfQ"; // base64url of {"f":0}

const CHANGE: &str = "mutation($id: ID!, $v: Int!, $s: DisclosureStatus!) { changeDisclosure(input: { datasetId: $id, expectedVersion: $v, status: $s }) { disclosure { version } } }";
const SUB: &str = "subscription($codes: [String!], $after: String) { disclosureChanged(filter: { institutionCode: $codes }, after: $after) { cursor fromStatus toStatus dataset { portalKey } } }";

#[tokio::test]
async fn filters_commit_only_delivery_and_resume() {
    for b in backends().await {
        let t = with_fixture(b).await;
        let (addr, stop) = common::serve_db(&t.db).await;
        let jongno = common::officer_token(&t.db, "3010000").await;
        let seoul = common::officer_token(&t.db, "6110000").await;
        let mut ws = connect(addr, "graphql-transport-ws", None).await;
        subscribe(
            &mut ws,
            "graphql-transport-ws",
            "1",
            SUB,
            json!({ "codes": ["3010000"], "after": START }),
        )
        .await;

        // A rolled-back change never reaches subscribers.
        {
            use sea_orm::TransactionTrait;
            let txn = t.db.begin().await.unwrap();
            let change = inventory::domain::disclosure::Change {
                status: entity::enums::DisclosureStatus::UnderReview,
                ground: None,
                explanation: None,
                mitigation: vec![],
                planned_open_on: None,
                next_review_on: None,
            };
            inventory::domain::disclosure::apply(
                &txn,
                4,
                1,
                &change,
                "test",
                None,
                chrono::Utc::now(),
            )
            .await
            .unwrap();
            txn.rollback().await.unwrap();
        }
        // Dataset 1 belongs to 서울특별시 (filtered out); dataset 4 to 종로구.
        let v = http_post(
            addr,
            &seoul,
            CHANGE,
            json!({ "id": gid("Dataset", 1), "v": 1, "s": "UNDER_REVIEW" }),
        )
        .await;
        assert!(v["errors"].is_null(), "{v}");
        let v = http_post(
            addr,
            &jongno,
            CHANGE,
            json!({ "id": gid("Dataset", 4), "v": 1, "s": "OPEN" }),
        )
        .await;
        assert!(v["errors"].is_null(), "{v}");
        let got = next_json(&mut ws, Duration::from_secs(10))
            .await
            .expect("no event");
        assert_eq!(got["type"], "next", "{got}");
        let ev = &got["payload"]["data"]["disclosureChanged"];
        assert_eq!(ev["dataset"]["portalKey"], "15000003", "{b:?}: {got}");
        assert_eq!(
            (ev["fromStatus"].as_str(), ev["toStatus"].as_str()),
            (Some("WITHHELD"), Some("OPEN"))
        );
        let cursor = ev["cursor"].as_str().unwrap().to_string();
        assert!(
            next_json(&mut ws, Duration::from_millis(800))
                .await
                .is_none(),
            "{b:?}: only one event passes the filter"
        );
        ws.close(None).await.ok();

        // While disconnected, two more changes commit; resuming from the cursor gets both, in order.
        http_post(
            addr,
            &jongno,
            CHANGE,
            json!({ "id": gid("Dataset", 4), "v": 2, "s": "UNDER_REVIEW" }),
        )
        .await;
        http_post(
            addr,
            &jongno,
            CHANGE,
            json!({ "id": gid("Dataset", 4), "v": 3, "s": "OPEN" }),
        )
        .await;
        let mut ws = connect(addr, "graphql-transport-ws", None).await;
        subscribe(
            &mut ws,
            "graphql-transport-ws",
            "2",
            SUB,
            json!({ "codes": ["3010000"], "after": cursor }),
        )
        .await;
        let a = next_json(&mut ws, Duration::from_secs(10))
            .await
            .expect("missed event 1");
        let b2 = next_json(&mut ws, Duration::from_secs(10))
            .await
            .expect("missed event 2");
        assert_eq!(
            a["payload"]["data"]["disclosureChanged"]["toStatus"], "UNDER_REVIEW",
            "{a}"
        );
        assert_eq!(
            b2["payload"]["data"]["disclosureChanged"]["toStatus"], "OPEN",
            "{b2}"
        );
        // And live events keep coming after the replay.
        http_post(
            addr,
            &jongno,
            CHANGE,
            json!({ "id": gid("Dataset", 4), "v": 4, "s": "UNDER_REVIEW" }),
        )
        .await;
        let c = next_json(&mut ws, Duration::from_secs(10))
            .await
            .expect("no live event after replay");
        assert_eq!(
            c["payload"]["data"]["disclosureChanged"]["toStatus"],
            "UNDER_REVIEW"
        );
        let _ = stop.send(());
        t.cleanup().await;
    }
}

#[tokio::test]
async fn legacy_protocol_request_updates_and_revoked_tokens() {
    let t = with_fixture(Backend::Sqlite).await;
    let (addr, stop) = common::serve_db(&t.db).await;
    let officer = common::officer_token(&t.db, "3010000").await;
    let (_, citizen) = inventory::auth::create_account(
        &t.db,
        "watcher",
        None,
        entity::enums::Role::Citizen,
        None,
        "t",
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    // The legacy `graphql-ws` subprotocol, as a citizen who is not the requester.
    let mut ws = connect(addr, "graphql-ws", Some(&citizen)).await;
    let q = "subscription($id: ID!, $after: String) { requestUpdated(id: $id, after: $after) { state fromState request { state requester { displayName } } } }";
    subscribe(
        &mut ws,
        "graphql-ws",
        "1",
        q,
        json!({ "id": gid("DataRequest", 1), "after": START }),
    )
    .await;
    // The fixture's request 1 is past its decision deadline by now; the institution decides late.
    let v = http_post(
        addr,
        &officer,
        "mutation($id: ID!) { decideRequest(id: $id, decision: NOT_HELD) { state } }",
        json!({ "id": gid("DataRequest", 1) }),
    )
    .await;
    assert_eq!(v["data"]["decideRequest"]["state"], "NOT_HELD", "{v}");
    let got = next_json(&mut ws, Duration::from_secs(10))
        .await
        .expect("no request update");
    assert_eq!(got["type"], "data", "{got}");
    let u = &got["payload"]["data"]["requestUpdated"];
    assert_eq!(u["state"], "NOT_HELD");
    assert_eq!(u["fromState"], "RECEIVED");
    assert!(
        u["request"]["requester"].is_null(),
        "anonymized for this watcher: {u}"
    );

    // Revoking the watcher's token stops its stream at the next event.
    let prefix = inventory::auth::prefix_of(&citizen);
    let v = http_post(
        addr,
        &citizen,
        "mutation($p: String!) { revokeToken(prefix: $p) }",
        json!({ "p": prefix }),
    )
    .await;
    assert_eq!(v["data"]["revokeToken"], true, "{v}");
    // The requester (the fixture's first citizen) asks for reconsideration: an event for request 1.
    let requester = inventory::auth::issue_token(&t.db, 1, "t", chrono::Utc::now())
        .await
        .unwrap();
    let v = http_post(
        addr,
        &requester,
        "mutation($id: ID!) { askReconsideration(id: $id, reason: \"보유 확인 요청\") { state } }",
        json!({ "id": gid("DataRequest", 1) }),
    )
    .await;
    assert_eq!(
        v["data"]["askReconsideration"]["state"], "RECONSIDERATION",
        "{v}"
    );
    let got = next_json(&mut ws, Duration::from_secs(10))
        .await
        .expect("no error after revocation");
    assert!(got.to_string().contains("revoked"), "{got}");
    // A revoked token cannot connect again.
    let mut req = format!("ws://{addr}/graphql/ws")
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut ws2, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    ws2.send(Message::text(
        json!({ "type": "connection_init", "payload": { "token": citizen } }).to_string(),
    ))
    .await
    .unwrap();
    let refused = next_json(&mut ws2, Duration::from_secs(5)).await;
    assert!(
        refused
            .as_ref()
            .is_none_or(|v| v["type"] != "connection_ack"),
        "{refused:?}"
    );
    let _ = stop.send(());
    t.cleanup().await;
}

/// Two separate server processes on one PostgreSQL database: a change committed through one
/// reaches a live subscriber of the other. The servers' outbox polling is switched off
/// (`INVENTORY_OUTBOX_POLL_MS`), and the subscription replays nothing (no `after`), so only
/// `LISTEN`/`NOTIFY` can carry the change across.
#[tokio::test]
async fn cross_instance_delivery_on_postgres() {
    if !backends().await.contains(&Backend::Postgres) {
        return;
    }
    let t = with_fixture(Backend::Postgres).await;
    let officer = common::officer_token(&t.db, "3010000").await;
    let mut children = Vec::new();
    let mut addrs = Vec::new();
    for _ in 0..2 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_inventory"))
            .args(["serve", "--no-demo", "--bind", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", &t.url)
            .env("RUST_LOG", "warn")
            .env("INVENTORY_OUTBOX_POLL_MS", "3600000")
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        children.push(child);
        addrs.push(std::net::SocketAddr::from(([127, 0, 0, 1], port)));
    }
    // Wait for both to be ready (they listen from the start, and are ready once serving).
    for a in &addrs {
        let mut up = false;
        for _ in 0..100 {
            if let Ok(mut s) = tokio::net::TcpStream::connect(a).await {
                let _ = s
                    .write_all(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .await;
                let mut out = String::new();
                let _ = s.read_to_string(&mut out).await;
                if out.starts_with("HTTP/1.1 200") {
                    up = true;
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(up, "server {a} did not start");
    }
    let mut ws = connect(addrs[0], "graphql-transport-ws", None).await;
    subscribe(
        &mut ws,
        "graphql-transport-ws",
        "1",
        SUB,
        json!({ "codes": ["3010000"] }),
    )
    .await;
    // The subscription goes live a moment after `subscribe` is sent; a change committed before
    // that is (rightly) not delivered to a subscriber without `after`. So change back and forth
    // until one arrives, and time the one that does.
    let mut version = 1;
    let mut got = None;
    // Every change sent, with when: on a loaded machine an event can arrive after its one-second
    // wait, while the next change is on its way, so an event is matched to the change it reports.
    let mut sent: Vec<(i64, std::time::Instant)> = Vec::new();
    for attempt in 0..10 {
        let status = if attempt % 2 == 0 {
            "OPEN"
        } else {
            "UNDER_REVIEW"
        };
        let started = std::time::Instant::now();
        let v = http_post(
            addrs[1],
            &officer,
            CHANGE,
            json!({ "id": gid("Dataset", 4), "v": version, "s": status }),
        )
        .await;
        assert!(v["errors"].is_null(), "{v}");
        version = v["data"]["changeDisclosure"]["disclosure"]["version"]
            .as_i64()
            .unwrap();
        sent.push((version, started));
        if let Some(ev) = next_json(&mut ws, Duration::from_secs(1)).await {
            let changed = &ev["payload"]["data"]["disclosureChanged"];
            // Changes alternate OPEN (even attempts) and UNDER_REVIEW (odd ones), from version 2.
            let index = sent
                .iter()
                .rposition(|(v, _)| {
                    changed["toStatus"] == if v % 2 == 0 { "OPEN" } else { "UNDER_REVIEW" }
                })
                .unwrap_or_else(|| panic!("an event for no change that was made: {ev}"));
            println!(
                "cross-instance delivery in {} ms (change {} of {})",
                sent[index].1.elapsed().as_millis(),
                index + 1,
                attempt + 1
            );
            got = Some(ev);
            break;
        }
    }
    assert!(
        got.is_some(),
        "no change made through one instance reached the other's subscriber"
    );
    for mut c in children {
        let _ = c.kill().await;
    }
    t.cleanup().await;
}

/// A local commit wakes local subscribers at once: on one SQLite instance whose hub never polls
/// (an hour between looks), each change made over HTTP still reaches a WebSocket subscriber, and
/// is timed from the mutation's response to the event. Prints the medians (`--nocapture`).
#[tokio::test]
async fn local_delivery_latency_on_sqlite() {
    let t = with_fixture(Backend::Sqlite).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let config = inventory::config::Config {
        outbox_poll: Some(Duration::from_secs(3600)),
        ..Default::default()
    };
    let state = inventory::AppState::with_config(
        t.db.clone(),
        std::sync::Arc::new(inventory::clock::SystemClock),
        config,
    );
    tokio::spawn(inventory::run(listener, state, async {
        let _ = stopped.await;
    }));
    let officer = common::officer_token(&t.db, "3010000").await;
    let mut ws = connect(addr, "graphql-transport-ws", None).await;
    subscribe(
        &mut ws,
        "graphql-transport-ws",
        "1",
        SUB,
        json!({ "codes": ["3010000"] }),
    )
    .await;
    let mut version = 1;
    let change = |version: i64| {
        let status = if version % 2 == 1 {
            "OPEN"
        } else {
            "UNDER_REVIEW"
        };
        http_post(
            addr,
            &officer,
            CHANGE,
            json!({ "id": gid("Dataset", 4), "v": version, "s": status }),
        )
    };
    // The subscription goes live a moment after `subscribe`: change until one arrives.
    let mut live = false;
    for _ in 0..10 {
        let v = change(version).await;
        version = v["data"]["changeDisclosure"]["disclosure"]["version"]
            .as_i64()
            .unwrap_or_else(|| panic!("{v}"));
        if next_json(&mut ws, Duration::from_secs(1)).await.is_some() {
            live = true;
            break;
        }
    }
    assert!(live, "the subscription never went live");
    while next_json(&mut ws, Duration::from_millis(300))
        .await
        .is_some()
    {}
    let (mut from_send, mut from_commit) = (Vec::new(), Vec::new());
    for _ in 0..15 {
        let sent = std::time::Instant::now();
        let v = change(version).await;
        let committed = std::time::Instant::now();
        version = v["data"]["changeDisclosure"]["disclosure"]["version"]
            .as_i64()
            .unwrap_or_else(|| panic!("{v}"));
        let ev = next_json(&mut ws, Duration::from_secs(5))
            .await
            .expect("the change was not delivered");
        let to = if version % 2 == 0 {
            "OPEN"
        } else {
            "UNDER_REVIEW"
        };
        assert_eq!(
            ev["payload"]["data"]["disclosureChanged"]["toStatus"], to,
            "{ev}"
        );
        from_send.push(sent.elapsed().as_secs_f64() * 1000.0);
        from_commit.push(committed.elapsed().as_secs_f64() * 1000.0);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "sqlite delivery: median {:.1} ms after the mutation's response, {:.1} ms after sending it (max {:.1} ms)",
        median(&mut from_commit),
        median(&mut from_send),
        from_commit.last().unwrap()
    );
    let _ = stop.send(());
    t.cleanup().await;
}

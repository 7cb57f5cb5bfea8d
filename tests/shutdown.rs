//! Graceful shutdown: in process (a streamed export finishes, a subscription is closed with
//! 1001, a new upgrade is refused with 503, the server returns within its bound), and with the
//! real binary (SIGTERM mid-load exits 0 without cutting an answered request, and a subscriber
//! that resumes on a second process from its last cursor misses no change).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use common::backends;
use common::process;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const SUB: &str = "subscription($after: String) { disclosureChanged(after: $after) { cursor } }";
/// Before the first outbox event.
const START: &str = "eyJmIjowfQ";

fn ws_request(
    addr: std::net::SocketAddr,
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    let mut req = format!("ws://{addr}/graphql/ws")
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    req
}

/// A `graphql-transport-ws` subscription to disclosure changes after `after`.
async fn subscribe(addr: std::net::SocketAddr, after: &str) -> Ws {
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_request(addr))
        .await
        .unwrap();
    ws.send(Message::text(
        json!({ "type": "connection_init" }).to_string(),
    ))
    .await
    .unwrap();
    let ack = ws.next().await.unwrap().unwrap();
    assert!(ack.to_text().unwrap().contains("connection_ack"), "{ack}");
    ws.send(Message::text(
        json!({ "id": "1", "type": "subscribe", "payload": { "query": SUB, "variables": { "after": after } } })
            .to_string(),
    ))
    .await
    .unwrap();
    ws
}

/// What the subscriber saw: each event's outbox id in order, and the close code.
async fn follow(ws: &mut Ws, seen: &mut Vec<i64>, until: Option<i64>) -> Option<u16> {
    loop {
        let msg = match tokio::time::timeout(Duration::from_secs(30), ws.next()).await {
            Ok(Some(Ok(m))) => m,
            Ok(_) => return None,
            Err(_) => panic!("no event within 30 s after {seen:?}"),
        };
        match msg {
            Message::Text(t) => {
                let v: Value = serde_json::from_str(&t).unwrap();
                if v["type"] == "next" {
                    let cursor = v["payload"]["data"]["disclosureChanged"]["cursor"]
                        .as_str()
                        .unwrap_or_else(|| panic!("{v}"));
                    seen.push(outbox_id(cursor));
                    if until.is_some_and(|u| seen.last() >= Some(&u)) {
                        return None;
                    }
                }
            }
            Message::Close(f) => return f.map(|f| u16::from(f.code)),
            _ => {}
        }
    }
}

/// The outbox id a cursor stands for (`{"f":id}`, base64url).
fn outbox_id(cursor: &str) -> i64 {
    use base64::Engine;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .unwrap();
    let v: Value = serde_json::from_slice(&raw).unwrap();
    v["f"].as_i64().unwrap_or_else(|| panic!("{v}"))
}

fn cursor_of(id: i64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json!({ "f": id }).to_string())
}

/// Changes the disclosure of one dataset (a committed outbox event), straight in the database.
async fn change(db: &sea_orm::DatabaseConnection, dataset: i64, n: usize) {
    use entity::enums::{DisclosureStatus, WithholdingGround};
    let txn = inventory::db::begin_write(db).await.unwrap();
    let current = entity::disclosure::Entity::find_by_id(dataset)
        .one(&txn)
        .await
        .unwrap()
        .unwrap();
    let (status, ground) = if n.is_multiple_of(2) {
        (DisclosureStatus::UnderReview, None)
    } else {
        (
            DisclosureStatus::Withheld,
            Some(WithholdingGround::BusinessSecret),
        )
    };
    let c = inventory::domain::disclosure::Change {
        status,
        ground,
        explanation: ground.map(|_| "영업비밀".into()),
        mitigation: vec![],
        planned_open_on: None,
        next_review_on: None,
    };
    inventory::domain::disclosure::apply(
        &txn,
        dataset,
        current.version,
        &c,
        "test",
        None,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();
}

use sea_orm::EntityTrait;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_an_export_closes_websockets_with_1001_and_refuses_upgrades() {
    for b in backends().await {
        let t = common::with_demo(b, 0.01).await;
        let datasets = common::count(&t.db, "SELECT COUNT(*) FROM dataset").await;
        let grace = Duration::from_secs(10);
        let config = inventory::config::Config {
            shutdown: inventory::config::ShutdownSettings {
                grace,
                accept_for: Duration::from_millis(1500),
            },
            ..Default::default()
        };
        let state = inventory::AppState::with_config(
            t.db.clone(),
            Arc::new(inventory::clock::SystemClock),
            config,
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(inventory::run(listener, state, async {
            let _ = stopped.await;
        }));
        let mut ws = subscribe(addr, START).await;

        // A slow reader of the whole CSV: a small receive buffer keeps the server writing.
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let mut export = socket.connect(addr).await.unwrap();
        export
            .write_all(b"GET /export/datasets.csv HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut raw = vec![0u8; 2048];
        export.read_exact(&mut raw).await.unwrap();

        let signalled = Instant::now();
        stop.send(()).unwrap();

        // The subscription is closed with 1001 (going away).
        let mut seen = vec![];
        let code = follow(&mut ws, &mut seen, None).await;
        assert_eq!(code, Some(1001), "{b:?}");
        // A new upgrade is refused with 503 and Retry-After, and the instance is not ready.
        match tokio_tungstenite::connect_async(ws_request(addr)).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                assert_eq!(resp.status(), 503);
                assert!(resp.headers().contains_key("retry-after"));
            }
            other => panic!("upgrade during shutdown: {other:?}"),
        }
        let (status, _, body) = tokio::task::spawn_blocking(move || {
            process::try_http(addr, "GET", "/readyz", None, None).unwrap()
        })
        .await
        .unwrap();
        assert_eq!(status, 503);
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["checks"]["lifecycle"]["state"], "stopping", "{v}");

        // The export still completes, slowly read, every row in it.
        tokio::time::sleep(Duration::from_millis(300)).await;
        export.read_to_end(&mut raw).await.unwrap();
        let text = String::from_utf8_lossy(&raw).to_string();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        let body = dechunk(body.as_bytes());
        let csv_text = String::from_utf8(body).unwrap();
        let mut r = csv::Reader::from_reader(csv_text.trim_start_matches('\u{feff}').as_bytes());
        let rows = r.records().map(Result::unwrap).count();
        assert_eq!(rows as i64, datasets, "{b:?}: the export was cut");

        // The server returns within its bound.
        tokio::time::timeout(grace + Duration::from_secs(2), server)
            .await
            .expect("the server did not return within its bound")
            .unwrap()
            .unwrap();
        eprintln!(
            "{b:?}: shut down in {} ms (export of {datasets} rows finished, 1 WebSocket closed)",
            signalled.elapsed().as_millis()
        );
        assert!(signalled.elapsed() < grace);
        t.cleanup().await;
    }
}

/// A chunked body decoded; panics when it is cut.
fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = vec![];
    loop {
        let eol = rest.windows(2).position(|w| w == b"\r\n").expect("cut");
        let size =
            usize::from_str_radix(std::str::from_utf8(&rest[..eol]).unwrap().trim(), 16).unwrap();
        rest = &rest[eol + 2..];
        if size == 0 {
            return out;
        }
        assert!(rest.len() >= size + 2, "a chunk was cut");
        out.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

/// One request's fate under load.
#[derive(Debug)]
enum Outcome {
    /// No byte of an answer (refused, or reset before it was accepted).
    NoAnswer,
    /// A whole answer.
    Whole(u16),
    /// Part of an answer: what must never happen.
    Cut(String),
}

fn attempt(addr: std::net::SocketAddr, path: &str) -> Outcome {
    match process::try_http(addr, "GET", path, None, None) {
        Ok((status, _, _)) => Outcome::Whole(status),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Outcome::Cut(e.to_string()),
        Err(_) => Outcome::NoAnswer,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_mid_load_exits_0_cuts_nothing_and_a_resumed_subscriber_misses_nothing() {
    for b in backends().await {
        let t = common::fresh(b).await;
        let dir = tempfile::tempdir().unwrap();
        let url = t.url.clone();
        let log = dir.path().join("a.log");
        let mut a = tokio::task::spawn_blocking(move || {
            let a = process::start(&url, &log, &["--demo-scale", "0.002"], &[]);
            a.wait_ready();
            a
        })
        .await
        .unwrap();
        let addr = a.addr;
        let datasets: Vec<i64> = {
            use sea_orm::{ConnectionTrait, Statement};
            t.db.query_all_raw(Statement::from_string(
                t.db.get_database_backend(),
                "SELECT id FROM dataset ORDER BY id LIMIT 5",
            ))
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get_by_index::<i64>(0).unwrap())
            .collect()
        };
        let first_event = common::count(&t.db, "SELECT COALESCE(MAX(id), 0) FROM outbox").await;

        // Writes go on all along, whichever server runs (straight into the database).
        let writing = Arc::new(AtomicBool::new(true));
        let writer = tokio::spawn({
            let db = t.db.clone();
            let writing = writing.clone();
            async move {
                let mut n = 0;
                while writing.load(Ordering::Relaxed) {
                    change(&db, datasets[n % datasets.len()], n / datasets.len()).await;
                    n += 1;
                    tokio::time::sleep(Duration::from_millis(40)).await;
                }
                n
            }
        });

        let mut ws = subscribe(addr, &cursor_of(first_event)).await;
        let mut seen = vec![];
        let subscriber = tokio::spawn(async move {
            let code = follow(&mut ws, &mut seen, None).await;
            (code, seen)
        });

        // Load: readers of pages and exports until the server is gone.
        let loaders: Vec<_> = (0..4)
            .map(|i| {
                std::thread::spawn(move || {
                    let path = if i % 2 == 0 {
                        "/export/datasets.csv"
                    } else {
                        "/graphql?query=%7Bdatasets(first%3A50)%7Bnodes%7Bid%20title%7D%7D%7D"
                    };
                    let mut outcomes = vec![];
                    let mut misses = 0;
                    while misses < 5 {
                        let o = attempt(addr, path);
                        if matches!(o, Outcome::NoAnswer) {
                            misses += 1;
                            std::thread::sleep(Duration::from_millis(20));
                        }
                        outcomes.push(o);
                    }
                    outcomes
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let signalled = Instant::now();
        a.terminate();
        let (status, a) = tokio::task::spawn_blocking(move || {
            let s = a.wait_exit(Duration::from_secs(25));
            (s, a)
        })
        .await
        .unwrap();
        let took = signalled.elapsed();
        assert!(status.success(), "{b:?}: exit {status:?}\n{}", a.log_text());
        let mut whole = 0;
        for l in loaders {
            for o in l.join().unwrap() {
                match o {
                    Outcome::Whole(200) => whole += 1,
                    Outcome::Whole(s) => panic!("{b:?}: status {s} under load"),
                    Outcome::Cut(why) => panic!("{b:?}: an answered request was cut: {why}"),
                    Outcome::NoAnswer => {}
                }
            }
        }
        assert!(whole > 4, "{b:?}: only {whole} requests answered");
        let (code, mut seen) = subscriber.await.unwrap();
        assert_eq!(code, Some(1001), "{b:?}");
        assert!(!seen.is_empty(), "{b:?}: no event before the shutdown");
        eprintln!(
            "{b:?}: SIGTERM to exit 0 in {} ms under load ({whole} whole answers, none cut)",
            took.as_millis()
        );

        // Changes commit while no server runs; a second process serves the same database.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let url = t.url.clone();
        let log = dir.path().join("b.log");
        let bserver = tokio::task::spawn_blocking(move || {
            let s = process::start(&url, &log, &[], &[]);
            s.wait_ready();
            s
        })
        .await
        .unwrap();
        let last = *seen.last().unwrap();
        let mut ws = subscribe(bserver.addr, &cursor_of(last)).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        writing.store(false, Ordering::Relaxed);
        let written = writer.await.unwrap();
        let newest = common::count(&t.db, "SELECT MAX(id) FROM outbox").await;
        follow(&mut ws, &mut seen, Some(newest)).await;

        // Every change, once, in order: the outbox's disclosure events after the start.
        let expected: Vec<i64> = {
            use sea_orm::{ConnectionTrait, Statement};
            t.db.query_all_raw(Statement::from_string(
                t.db.get_database_backend(),
                format!(
                    "SELECT id FROM outbox WHERE topic = 'disclosure' AND id > {first_event} ORDER BY id"
                ),
            ))
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get_by_index::<i64>(0).unwrap())
            .collect()
        };
        assert_eq!(expected.len(), written, "{b:?}");
        assert_eq!(
            seen, expected,
            "{b:?}: a gap or a repeat across the restart"
        );
        drop(bserver);
        t.cleanup().await;
    }
}

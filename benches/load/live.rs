//! Live delivery over WebSocket (`graphql-transport-ws` at `/graphql/ws`): N subscribers to
//! `disclosureChanged`, one writer doing `changeDisclosure` as an officer; the latency from the
//! change's `committedAt` to its arrival at each subscriber (same machine, same clock), and the
//! writer's throughput. Optionally with many more **idle** subscribers held open meanwhile
//! (subscribed to a dataset that never changes), and the server's memory per idle subscriber.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::load::{Conn, Req, quantile_ms};

const SUBSCRIPTION: &str =
    "subscription { disclosureChanged { cursor committedAt datasetId toStatus } }";

/// What an idle subscriber asks: changes of a dataset that does not exist, so none ever come.
const IDLE_SUBSCRIPTION: &str = "subscription { disclosureChanged(filter: { datasetId: [\"RGF0YXNldDo5OTk5OTk5OTk5\"] }) { cursor } }";

const CHANGE: &str = "mutation Change($input: ChangeDisclosureInput!) { \
    changeDisclosure(input: $input) { id disclosure { status version } } }";

const STATES: &str = "query States($ids: [ID!]!) { nodes(ids: $ids) { \
    ... on Dataset { id disclosure { status version } } } }";

/// What one live run measured.
pub struct LiveFigures {
    /// Whether the subscribers were on another instance than the writer.
    pub across: bool,
    pub subscribers: usize,
    /// Idle subscribers held open meanwhile.
    pub idle: usize,
    /// The server's resident memory per idle subscriber, bytes.
    pub idle_bytes_each: Option<f64>,
    pub writes: u64,
    pub write_rps: f64,
    pub write_p50: f64,
    pub write_p99: f64,
    pub delivered: u64,
    pub expected: u64,
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
}

/// Counters shared by the subscribers and the writer.
#[derive(Default)]
struct Shared {
    /// Subscribers that have received at least one change (so are surely subscribed).
    ready: AtomicU64,
    /// Changes received that committed after timing started.
    received: AtomicU64,
    /// When timing started, microseconds since the epoch (0 before).
    start_us: AtomicI64,
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Connects, initialises and subscribes with `query`.
async fn subscribe(addr: SocketAddr, query: &str) -> anyhow::Result<Socket> {
    let mut req = format!("ws://{addr}/graphql/ws").into_client_request()?;
    req.headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await?;
    ws.send(Message::text(
        json!({ "type": "connection_init", "payload": {} }).to_string(),
    ))
    .await?;
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(&t)?;
                if v["type"] == "connection_ack" {
                    break;
                }
            }
            Some(Ok(_)) => {}
            other => bail!("no connection_ack: {other:?}"),
        }
    }
    ws.send(Message::text(
        json!({ "id": "1", "type": "subscribe", "payload": { "query": query } }).to_string(),
    ))
    .await?;
    Ok(ws)
}

/// An idle subscriber: subscribes to changes that never come and reads until `stop`, answering
/// the server's pings. Anything else is an error.
async fn idle_subscriber(
    addr: SocketAddr,
    opened: Arc<AtomicU64>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let mut ws = subscribe(addr, IDLE_SUBSCRIPTION).await?;
    opened.fetch_add(1, Ordering::Relaxed);
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            msg = ws.next() => match msg {
                // The protocol's keep-alive pings are answered, as a client library does.
                Some(Ok(Message::Text(t))) if t.contains(r#""type":"ping""#) => {
                    ws.send(Message::text(r#"{"type":"pong"}"#)).await?;
                }
                Some(Ok(Message::Text(t))) => bail!("an idle subscriber received {t}"),
                Some(Ok(_)) => {}
                other => bail!("an idle subscription ended: {other:?}"),
            },
        }
    }
    let _ = ws.close(None).await;
    Ok(())
}

/// One subscriber: connects, subscribes, then records the latency of every change committed
/// after timing started, until `stop`.
async fn subscriber(
    addr: SocketAddr,
    shared: Arc<Shared>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<Vec<u32>> {
    let mut ws = subscribe(addr, SUBSCRIPTION).await?;
    let mut lat = Vec::new();
    let mut first = true;
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            msg = ws.next() => {
                let Some(msg) = msg else { bail!("subscription closed") };
                let Message::Text(t) = msg? else { continue };
                let arrived = chrono::Utc::now();
                let v: Value = serde_json::from_str(&t)?;
                if v["type"] == "next" {
                    let at = v["payload"]["data"]["disclosureChanged"]["committedAt"]
                        .as_str()
                        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                        .with_context(|| format!("no committedAt in {v}"))?;
                    if first {
                        shared.ready.fetch_add(1, Ordering::Relaxed);
                        first = false;
                    }
                    let start = shared.start_us.load(Ordering::Relaxed);
                    if start > 0 && at.timestamp_micros() >= start {
                        shared.received.fetch_add(1, Ordering::Relaxed);
                        let us = (arrived - at.with_timezone(&chrono::Utc))
                            .num_microseconds()
                            .unwrap_or(0)
                            .max(0);
                        lat.push(us.min(u32::MAX as i64) as u32);
                    }
                } else if v["type"] == "error" {
                    bail!("subscription error: {v}");
                }
            }
        }
    }
    let _ = ws.close(None).await;
    Ok(lat)
}

/// The writer: toggles datasets between WITHHELD and UNDER_REVIEW, keeping their versions.
struct Writer {
    conn: Conn,
    auth: Arc<str>,
    states: Vec<(String, String, i64)>,
    next: usize,
}

impl Writer {
    async fn new(addr: SocketAddr, token: &str, ids: &[String]) -> anyhow::Result<Writer> {
        let mut conn = Conn::open(addr).await?;
        let auth: Arc<str> = Arc::from(format!("Bearer {token}"));
        let mut states = Vec::new();
        for chunk in ids.chunks(100) {
            let req = Req {
                path: "/graphql".into(),
                body: Bytes::from(
                    json!({ "query": STATES, "variables": { "ids": chunk } }).to_string(),
                ),
                auth: Some(auth.clone()),
            };
            let v = crate::shapes::ask(&mut conn, &req).await?;
            for n in v["data"]["nodes"].as_array().into_iter().flatten() {
                let d = &n["disclosure"];
                if let (Some(id), Some(status), Some(version)) = (
                    n["id"].as_str(),
                    d["status"].as_str(),
                    d["version"].as_i64(),
                ) {
                    states.push((id.to_string(), status.to_string(), version));
                }
            }
        }
        if states.is_empty() {
            bail!("no datasets to change");
        }
        Ok(Writer {
            conn,
            auth,
            states,
            next: 0,
        })
    }

    /// One change; returns its latency.
    async fn write(&mut self) -> anyhow::Result<Duration> {
        let k = self.next % self.states.len();
        self.next += 1;
        let (id, status, version) = &self.states[k];
        let input = if status == "WITHHELD" {
            json!({ "datasetId": id, "expectedVersion": version, "status": "UNDER_REVIEW" })
        } else {
            json!({ "datasetId": id, "expectedVersion": version, "status": "WITHHELD",
                    "ground": "PERSONAL_INFORMATION", "explanation": "load benchmark" })
        };
        let req = Req {
            path: "/graphql".into(),
            body: Bytes::from(
                json!({ "query": CHANGE, "variables": { "input": input } }).to_string(),
            ),
            auth: Some(self.auth.clone()),
        };
        let t = Instant::now();
        let v = crate::shapes::ask(&mut self.conn, &req).await?;
        let elapsed = t.elapsed();
        let d = &v["data"]["changeDisclosure"]["disclosure"];
        self.states[k].1 = d["status"].as_str().unwrap_or_default().to_string();
        self.states[k].2 = d["version"].as_i64().unwrap_or_default();
        Ok(elapsed)
    }
}

/// Spawns `n` tasks made by `task`, 100 at a time 20 ms apart (so the server is not flooded
/// with handshakes).
async fn spawn_paced<F, T>(n: usize, mut task: impl FnMut() -> F) -> Vec<tokio::task::JoinHandle<T>>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let mut handles = Vec::with_capacity(n);
    for k in 0..n {
        handles.push(tokio::spawn(task()));
        if k % 100 == 99 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    handles
}

/// Runs `n` subscribers while the writer changes one dataset every `every` for `duration`
/// (`every` zero: as fast as it can, one at a time).
///
/// Subscribers connect to `sub_addr`, the writer to `addr` (another instance on the same
/// PostgreSQL, or the same server). With `idle` > 0, that many idle subscribers are opened first and held until the end; the
/// server's resident memory (`memory`) is read before and after opening them.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    addr: SocketAddr,
    sub_addr: SocketAddr,
    token: &str,
    ids: &[String],
    n: usize,
    idle: usize,
    memory: &dyn Fn() -> u64,
    every: Duration,
    duration: Duration,
) -> anyhow::Result<LiveFigures> {
    let shared = Arc::new(Shared::default());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut idle_subs = Vec::new();
    let mut idle_bytes_each = None;
    if idle > 0 {
        let before = memory();
        let opened = Arc::new(AtomicU64::new(0));
        idle_subs = spawn_paced(idle, || {
            idle_subscriber(sub_addr, opened.clone(), stop_rx.clone())
        })
        .await;
        let waiting = Instant::now();
        while opened.load(Ordering::Relaxed) < idle as u64 {
            if let Some(k) = idle_subs.iter().position(|h| h.is_finished()) {
                let err = match idle_subs.swap_remove(k).await? {
                    Err(e) => e,
                    Ok(()) => anyhow::anyhow!("an idle subscriber stopped early"),
                };
                return Err(err.context("idle subscriber"));
            }
            if waiting.elapsed() > Duration::from_secs(120) {
                bail!(
                    "only {} of {idle} idle subscribers opened within 120 s",
                    opened.load(Ordering::Relaxed)
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // The subscribe message is answered by nothing: give the server a moment to take it.
        tokio::time::sleep(Duration::from_secs(1)).await;
        idle_bytes_each = Some((memory() as f64 - before as f64) / idle as f64);
    }
    let mut subs = spawn_paced(n, || subscriber(sub_addr, shared.clone(), stop_rx.clone())).await;
    let mut writer = Writer::new(addr, token, ids).await?;
    // Warm-up: changes until every subscriber has received one (subscribing has no answer).
    let ready = Instant::now();
    while shared.ready.load(Ordering::Relaxed) < n as u64 {
        if ready.elapsed() > Duration::from_secs(120) {
            bail!(
                "only {} of {n} subscribers received a change within 120 s",
                shared.ready.load(Ordering::Relaxed)
            );
        }
        if let Some(k) = subs.iter().position(|h| h.is_finished()) {
            let err = match subs.swap_remove(k).await? {
                Err(e) => e,
                Ok(_) => anyhow::anyhow!("a subscriber stopped early"),
            };
            return Err(err.context("subscriber"));
        }
        writer.write().await?;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    shared
        .start_us
        .store(chrono::Utc::now().timestamp_micros(), Ordering::Relaxed);
    let mut write_lat = Vec::new();
    let start = Instant::now();
    let mut tick = tokio::time::interval(every.max(Duration::from_micros(1)));
    while start.elapsed() < duration {
        if !every.is_zero() {
            tick.tick().await;
        }
        let d = writer.write().await?;
        write_lat.push(d.as_micros().min(u32::MAX as u128) as u32);
    }
    let write_time = start.elapsed();
    let writes = write_lat.len() as u64;
    // Let the last changes arrive.
    let settle = Instant::now();
    while shared.received.load(Ordering::Relaxed) < writes * n as u64
        && settle.elapsed() < Duration::from_secs(10)
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let held = idle_subs.iter().filter(|h| !h.is_finished()).count();
    let _ = stop_tx.send(true);
    let mut lat = Vec::new();
    for s in subs {
        lat.extend(s.await??);
    }
    for s in idle_subs {
        s.await??;
    }
    if held < idle {
        bail!("only {held} of {idle} idle subscribers were still open at the end");
    }
    lat.sort_unstable();
    write_lat.sort_unstable();
    Ok(LiveFigures {
        across: addr != sub_addr,
        subscribers: n,
        idle,
        idle_bytes_each,
        writes,
        write_rps: writes as f64 / write_time.as_secs_f64(),
        write_p50: quantile_ms(&write_lat, 0.5),
        write_p99: quantile_ms(&write_lat, 0.99),
        delivered: lat.len() as u64,
        expected: writes * n as u64,
        p50: quantile_ms(&lat, 0.5),
        p99: quantile_ms(&lat, 0.99),
        max: quantile_ms(&lat, 1.0),
    })
}

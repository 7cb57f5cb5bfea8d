//! `/metrics` scraped from a real server after real requests on each backend: operations counted
//! by transport, name and outcome (a named query, an anonymous one, a failing one, a
//! subscription over WebSocket), latency and SQL-per-request histograms with their buckets, SQL
//! statements by kind, the sampled gauges, the cap on distinct operation names, and the waits
//! for a pooled connection: a request kept waiting by a pool whose one connection a transaction
//! holds is seen waiting, its wait timed, and, held past the acquire time-out or the request's
//! time limit, its giving up counted.
//!
//! The recorder is the process's, shared by the tests of this binary: every assertion is on the
//! change between two scrapes, of series only that test touches (or, for the waits, on changes
//! the other tests could only add to). The waits are measured by a `tracing` layer, which the
//! server's `logging::init` installs and the tests of this binary install alone
//! ([`measure_pool_waits`]).

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{Backend, backends, gql, with_fixture};
use futures::SinkExt;
use sea_orm::TransactionTrait;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

/// One sample of the text format.
#[derive(Debug, Clone)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// A scrape: its samples and the `# TYPE` of each metric family.
#[derive(Debug, Default)]
struct Scrape {
    samples: Vec<Sample>,
    types: BTreeMap<String, String>,
}

impl Scrape {
    /// Parses the Prometheus text exposition format (version 0.0.4), strictly enough to fail on
    /// a malformed line.
    fn parse(text: &str) -> Scrape {
        let mut s = Scrape::default();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, ty) = rest.split_once(' ').expect("# TYPE name type");
                s.types.insert(name.into(), ty.into());
                continue;
            }
            if line.starts_with('#') {
                continue;
            }
            let (name, rest) = match line.find(['{', ' ']) {
                Some(i) => line.split_at(i),
                None => panic!("no value: {line}"),
            };
            let mut labels = BTreeMap::new();
            let rest = if let Some(body) = rest.strip_prefix('{') {
                let mut chars = body.char_indices().peekable();
                let mut end = None;
                loop {
                    // key
                    let mut key = String::new();
                    while let Some(&(i, c)) = chars.peek() {
                        if c == '=' || c == '}' {
                            if c == '}' {
                                end = Some(i);
                            }
                            break;
                        }
                        if c != ',' && c != ' ' {
                            key.push(c);
                        }
                        chars.next();
                    }
                    if end.is_some() {
                        break;
                    }
                    chars.next(); // '='
                    assert_eq!(chars.next().map(|c| c.1), Some('"'), "{line}");
                    let mut value = String::new();
                    loop {
                        match chars
                            .next()
                            .unwrap_or_else(|| panic!("unterminated: {line}"))
                            .1
                        {
                            '\\' => match chars.next().unwrap().1 {
                                'n' => value.push('\n'),
                                c => value.push(c),
                            },
                            '"' => break,
                            c => value.push(c),
                        }
                    }
                    labels.insert(key, value);
                }
                &body[end.unwrap() + 1..]
            } else {
                rest
            };
            let value = rest.split_whitespace().next().expect("a value");
            let value = match value {
                "+Inf" => f64::INFINITY,
                "-Inf" => f64::NEG_INFINITY,
                v => v.parse().unwrap_or_else(|e| panic!("{e}: {line}")),
            };
            s.samples.push(Sample {
                name: name.into(),
                labels,
                value,
            });
        }
        s
    }

    /// The sum of the samples of `name` that carry all of `labels`.
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.matching(name, labels).map(|s| s.value).sum()
    }

    fn has(&self, name: &str, labels: &[(&str, &str)]) -> bool {
        self.matching(name, labels).next().is_some()
    }

    fn matching<'a>(
        &'a self,
        name: &'a str,
        labels: &'a [(&'a str, &'a str)],
    ) -> impl Iterator<Item = &'a Sample> + 'a {
        self.samples.iter().filter(move |s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
    }
}

/// `GET /metrics` from a real server, over a plain HTTP/1.1 connection.
async fn scrape(addr: std::net::SocketAddr) -> Scrape {
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(b"GET /metrics HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).await.unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").expect("an HTTP answer");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/plain; version=0.0.4"),
        "{head}"
    );
    Scrape::parse(body)
}

const REQUESTS: &str = "inventory_graphql_requests_total";
const DURATION: &str = "inventory_graphql_request_duration_seconds";
const SQL: &str = "inventory_graphql_sql_statements";
const WAITING: &str = "inventory_db_pool_waiting";
const ACQUIRE: &str = "inventory_db_pool_acquire_seconds";

/// Installs the layer measuring waits for a pooled connection as the process's subscriber (as
/// `logging::init` does, without the log lines), once.
fn measure_pool_waits() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        tracing_subscriber::registry()
            .with(inventory::telemetry::pool::layer())
            .init();
    });
}

/// The labels of an HTTP operation's outcome.
fn http<'a>(operation: &'a str, outcome: &'a str) -> [(&'static str, &'a str); 3] {
    [
        ("transport", "http"),
        ("operation", operation),
        ("outcome", outcome),
    ]
}

/// The change of one series between two scrapes.
fn delta(before: &Scrape, after: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    after.get(name, labels) - before.get(name, labels)
}

/// A histogram's lines for one label set: `_bucket`s with `le` ascending and cumulative, the
/// `+Inf` bucket equal to `_count`, and `_sum`.
fn assert_histogram(s: &Scrape, name: &str, labels: &[(&str, &str)]) {
    assert_eq!(
        s.types.get(name).map(String::as_str),
        Some("histogram"),
        "{name} is a histogram"
    );
    let bucket = format!("{name}_bucket");
    let mut buckets: Vec<(f64, f64)> = s
        .matching(&bucket, labels)
        .map(|b| {
            let le = &b.labels["le"];
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().unwrap()
            };
            (le, b.value)
        })
        .collect();
    assert!(buckets.len() >= 5, "{bucket}{labels:?}: {buckets:?}");
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert!(buckets.windows(2).all(|w| w[0].1 <= w[1].1), "cumulative");
    let inf = buckets.last().unwrap();
    assert!(inf.0.is_infinite(), "a +Inf bucket");
    assert_eq!(
        inf.1,
        s.get(&format!("{name}_count"), labels),
        "+Inf = count"
    );
    assert!(s.has(&format!("{name}_sum"), labels), "{name}_sum");
}

/// Scrapes until `ready` holds, for at most 5 s.
async fn scrape_until(addr: std::net::SocketAddr, ready: impl Fn(&Scrape) -> bool) -> Scrape {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let s = scrape(addr).await;
        if ready(&s) || tokio::time::Instant::now() > deadline {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn operations_are_counted_timed_and_their_sql_measured() {
    measure_pool_waits();
    for backend in backends().await {
        let t = with_fixture(backend).await;
        let state = common::state(&t.db);
        let app = inventory::app(state.clone());
        let (addr, _stop) = common::serve(state).await;
        let b = match backend {
            Backend::Sqlite => "Sqlite",
            Backend::Postgres => "Postgres",
        };
        let named = format!("MetricsPage{b}");
        let broken = format!("MetricsBroken{b}");
        let watch = format!("MetricsWatch{b}");

        let before = scrape(addr).await;
        for _ in 0..2 {
            let r = gql(
                &app,
                &format!("query {named} {{ datasets(first: 3) {{ nodes {{ title }} }} }}"),
                json!({}),
            )
            .await;
            assert!(r["errors"].is_null(), "{r}");
            assert_eq!(r["data"]["datasets"]["nodes"].as_array().unwrap().len(), 3);
        }
        let r = gql(&app, "{ __typename }", json!({})).await;
        assert_eq!(r["data"]["__typename"], "Query");
        let r = gql(&app, &format!("query {broken} {{ nope }}"), json!({})).await;
        assert_eq!(
            r["errors"][0]["extensions"]["code"],
            "GRAPHQL_VALIDATION_FAILED"
        );
        inventory::telemetry::metrics::rate_limited("metrics_test");

        // A subscription over WebSocket: running while subscribed, counted once it ends.
        let mut ws = common::ws::acked(addr, None).await;
        let subscribe = json!({
            "id": "1",
            "type": "subscribe",
            "payload": { "query": format!("subscription {watch} {{ milestoneUpdated {{ cursor }} }}") }
        });
        ws.send(Message::text(subscribe.to_string())).await.unwrap();
        let during = scrape_until(addr, |s| {
            s.get("inventory_subscriptions_active", &[])
                > before.get("inventory_subscriptions_active", &[])
        })
        .await;
        assert!(
            during.get("inventory_subscriptions_active", &[])
                >= before.get("inventory_subscriptions_active", &[]) + 1.0,
            "the subscription runs"
        );
        assert!(during.get("inventory_websocket_connections", &[]) >= 1.0);
        let complete = json!({ "id": "1", "type": "complete" });
        ws.send(Message::text(complete.to_string())).await.unwrap();
        let ws_labels = [
            ("transport", "ws"),
            ("operation", watch.as_str()),
            ("outcome", "OK"),
        ];
        let after = scrape_until(addr, |s| delta(&before, s, REQUESTS, &ws_labels) >= 1.0).await;

        // Operations by transport, name and outcome.
        assert_eq!(delta(&before, &after, REQUESTS, &http(&named, "OK")), 2.0);
        assert_eq!(
            delta(&before, &after, REQUESTS, &http("anonymous", "OK")),
            1.0
        );
        assert_eq!(
            delta(
                &before,
                &after,
                REQUESTS,
                &http(&broken, "GRAPHQL_VALIDATION_FAILED")
            ),
            1.0
        );
        assert_eq!(delta(&before, &after, REQUESTS, &http(&broken, "OK")), 0.0);
        assert_eq!(delta(&before, &after, REQUESTS, &ws_labels), 1.0);
        assert_eq!(after.types[REQUESTS], "counter");
        assert_eq!(
            after.get("inventory_subscriptions_active", &[]),
            before.get("inventory_subscriptions_active", &[]),
            "no longer running"
        );

        // Latency and SQL per request: histograms with buckets.
        let page = [("transport", "http"), ("operation", named.as_str())];
        assert_histogram(&after, DURATION, &page);
        assert_histogram(&after, SQL, &page);
        let count = |m: &str, l: &[(&str, &str)]| delta(&before, &after, &format!("{m}_count"), l);
        let sum = |m: &str, l: &[(&str, &str)]| delta(&before, &after, &format!("{m}_sum"), l);
        assert_eq!(count(DURATION, &page), 2.0);
        assert!(sum(DURATION, &page) > 0.0);
        assert_eq!(count(SQL, &page), 2.0);
        let page_statements = sum(SQL, &page);
        assert!(
            page_statements >= 2.0,
            "a page of datasets reads the database: {page_statements}"
        );
        let anonymous = [("transport", "http"), ("operation", "anonymous")];
        assert_eq!(count(SQL, &anonymous), 1.0);
        assert_eq!(sum(SQL, &anonymous), 0.0, "`{{ __typename }}` runs no SQL");
        // Every statement of the page is among the pool's.
        let selects = delta(
            &before,
            &after,
            "inventory_sql_statements_total",
            &[("kind", "select")],
        );
        assert!(selects >= page_statements, "{selects} < {page_statements}");
        assert_histogram(&after, "inventory_sql_statement_duration_seconds", &[]);
        // Every statement outside a transaction took a connection from the pool, timed.
        let acquired = [("outcome", "acquired")];
        assert_histogram(&after, ACQUIRE, &acquired);
        let acquires = count(ACQUIRE, &acquired);
        assert!(
            acquires >= page_statements,
            "{acquires} acquires < {page_statements} statements"
        );
        let mean = sum(ACQUIRE, &acquired) / acquires;
        assert!(
            mean > 0.0 && mean < 0.5,
            "an idle pool hands out connections at once: {mean} s"
        );

        // Gauges sampled at the scrape, and the refusal counters.
        assert!(after.get("inventory_db_pool_max_connections", &[]) >= 1.0);
        assert!(after.has("inventory_db_pool_connections", &[("state", "idle")]));
        assert!(after.has("inventory_db_pool_connections", &[("state", "in_use")]));
        assert!(after.has(WAITING, &[]));
        assert_eq!(after.types[WAITING], "gauge");
        assert!(after.has("inventory_outbox_latest_id", &[]));
        assert_eq!(
            after.get("inventory_outbox_lag_events", &[("reader", "hub")]),
            0.0,
            "the hub is caught up"
        );
        assert!(after.has("inventory_outbox_lag_events", &[("reader", "catalog")]));
        assert!(after.has("inventory_heavy_work", &[("state", "waiting")]));
        assert_eq!(
            delta(
                &before,
                &after,
                "inventory_rate_limited_total",
                &[("limit", "metrics_test")]
            ),
            1.0
        );
        drop(ws);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn operation_names_past_the_cap_are_counted_as_other() {
    for backend in backends().await {
        let t = with_fixture(backend).await;
        let config = inventory::config::Config {
            metrics_max_operations: 2,
            ..Default::default()
        };
        let state = inventory::AppState::with_config(
            t.db.clone(),
            std::sync::Arc::new(inventory::clock::SystemClock),
            config,
        );
        let app = inventory::app(state.clone());
        let (addr, _stop) = common::serve(state).await;
        let b = format!("{backend:?}");
        let other = [
            ("transport", "http"),
            ("operation", "other"),
            ("outcome", "OK"),
        ];
        let before = scrape(addr).await;
        for op in ["CapA", "CapB", "CapC", "CapD", "CapA"] {
            let r = gql(&app, &format!("query {op}{b} {{ __typename }}"), json!({})).await;
            assert!(r["errors"].is_null(), "{r}");
        }
        let after = scrape(addr).await;
        let named = |op: &str| {
            delta(
                &before,
                &after,
                REQUESTS,
                &[("operation", &format!("{op}{b}")), ("outcome", "OK")],
            )
        };
        assert_eq!(named("CapA"), 2.0);
        assert_eq!(named("CapB"), 1.0);
        for op in ["CapC", "CapD"] {
            assert!(
                !after.has(REQUESTS, &[("operation", &format!("{op}{b}"))]),
                "{op} has no label of its own"
            );
        }
        assert_eq!(delta(&before, &after, REQUESTS, &other), 2.0);
        t.cleanup().await;
    }
}

/// The `_count` minus the `le` bucket of a histogram's series, changed between two scrapes: the
/// observations above `le`.
fn above(before: &Scrape, after: &Scrape, name: &str, outcome: &str, le: &str) -> f64 {
    let labels = [("outcome", outcome)];
    delta(before, after, &format!("{name}_count"), &labels)
        - delta(
            before,
            after,
            &format!("{name}_bucket"),
            &[("outcome", outcome), ("le", le)],
        )
}

#[tokio::test]
async fn a_request_kept_waiting_for_a_connection_is_seen_waiting_and_its_wait_timed() {
    measure_pool_waits();
    for backend in backends().await {
        let t = with_fixture(backend).await;
        // The scrapes go to a server on the fixture's pool; the request to one on a pool of one
        // connection, which a transaction holds.
        let (addr, _stop) = common::serve(common::state(&t.db)).await;
        let busy = inventory::db::connect_sized(&t.url, 1).await.unwrap();
        let app = inventory::app(common::state(&busy));
        // Named, so that the operation series of the other tests stay theirs.
        let query = format!(
            r#"query PoolWait{backend:?} {{ institution(code: "no-such-institution") {{ name }} }}"#
        );
        let query = query.as_str();
        let code = |r: &serde_json::Value| r["errors"][0]["extensions"]["code"].clone();

        let before = scrape(addr).await;
        let held = busy.begin().await.unwrap();
        let request = tokio::spawn({
            let app = app.clone();
            let query = query.to_string();
            async move { gql(&app, &query, json!({})).await }
        });
        let during = scrape_until(addr, |s| s.get(WAITING, &[]) >= 1.0).await;
        assert!(during.get(WAITING, &[]) >= 1.0, "the request waits");
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!request.is_finished(), "still waiting");
        held.rollback().await.unwrap();
        let r = request.await.unwrap();
        assert_eq!(
            code(&r),
            "NOT_FOUND",
            "it ran once the connection came back: {r}"
        );
        let after = scrape(addr).await;
        assert_histogram(&after, ACQUIRE, &[("outcome", "acquired")]);
        assert!(
            above(&before, &after, ACQUIRE, "acquired", "0.1") >= 1.0,
            "a wait of over 0.2 s is timed as such"
        );
        assert!(
            delta(
                &before,
                &after,
                &format!("{ACQUIRE}_sum"),
                &[("outcome", "acquired")]
            ) >= 0.2
        );

        // Held past the request's time limit: the request is dropped while it waits.
        let mut state = common::state(&busy);
        state.config = std::sync::Arc::new(inventory::config::Config {
            request_timeout: Duration::from_millis(300),
            ..Default::default()
        });
        let limited = inventory::app(state);
        let held = busy.begin().await.unwrap();
        let r = gql(&limited, query, json!({})).await;
        assert_eq!(code(&r), "TIMEOUT", "{r}");
        let abandoned = scrape(addr).await;
        assert_histogram(&abandoned, ACQUIRE, &[("outcome", "abandoned")]);
        assert!(
            above(&after, &abandoned, ACQUIRE, "abandoned", "0.1") >= 1.0,
            "given up after most of the 0.3 s"
        );

        // Held past the acquire time-out (2 s): the request is answered 503, the wait counted.
        let r = gql(&app, query, json!({})).await;
        assert_eq!(code(&r), "SERVICE_UNAVAILABLE", "{r}");
        held.rollback().await.unwrap();
        let last = scrape(addr).await;
        assert_histogram(&last, ACQUIRE, &[("outcome", "timeout")]);
        assert!(
            above(&abandoned, &last, ACQUIRE, "timeout", "1") >= 1.0,
            "given up at the time-out"
        );
        let timeouts = delta(
            &abandoned,
            &last,
            &format!("{ACQUIRE}_count"),
            &[("outcome", "timeout")],
        );
        assert!(timeouts >= 1.0);
        busy.close().await.unwrap();
        t.cleanup().await;
    }
}

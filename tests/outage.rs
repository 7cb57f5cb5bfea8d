//! The database goes away and comes back.
//!
//! - PostgreSQL: the test starts its own server from the machine's binaries on a spare port,
//!   stops it under a running API server and starts it again. While it is down every operation
//!   that needs it (writes included) fails within 3 s with `SERVICE_UNAVAILABLE`, `503` and
//!   `Retry-After`; reads the catalog answers go on, marked `extensions.stale`; `/readyz` is
//!   `503`; a subscriber stays connected and receives nothing. Once it is back, requests succeed
//!   without a restart, LISTEN is re-established and the subscriber gets every change committed
//!   after (checked against the outbox).
//! - SQLite: a full database (`PRAGMA max_page_count`) and a read-only one (`mode=ro`) refuse
//!   writes with a clear coded error and lose nothing acknowledged.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::api::{call, code, gid};
use common::process::try_http;
use common::ws::{Ws, next_json};
use serde_json::{Value, json};

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";
const RUNUSER: &str = "/usr/sbin/runuser";
/// How fast an operation must fail while the database is down.
const FAIL_FAST: Duration = Duration::from_secs(3);

const CHANGE: &str = "mutation($id: ID!, $v: Int!, $s: DisclosureStatus!) { changeDisclosure(input: { datasetId: $id, expectedVersion: $v, status: $s }) { disclosure { version } } }";
const SUB: &str = "subscription($after: String) { disclosureChanged(filter: { institutionCode: [\"3010000\"] }, after: $after) { cursor toStatus dataset { portalKey } } }";
/// The cursor before the first outbox event.
const START: &str = "eyJmIjowfQ";

/// A PostgreSQL server of this test's own: a data directory in a temporary directory owned by
/// `postgres`, on a spare port; stopped and removed when dropped (also when the test fails).
struct PgServer {
    dir: tempfile::TempDir,
    port: u16,
}

impl PgServer {
    /// None (the test says `SKIPPED`) when the binaries or `runuser` are missing.
    fn start() -> Option<PgServer> {
        if !Path::new(PG_BIN).join("pg_ctl").exists() || !Path::new(RUNUSER).exists() {
            eprintln!(
                "SKIPPED: the PostgreSQL outage test needs {PG_BIN}/{{initdb,pg_ctl}} and {RUNUSER}"
            );
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(ok.success(), "chown to postgres failed");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let server = PgServer { dir, port };
        server.as_postgres(&[
            &format!("{PG_BIN}/initdb"),
            "-D",
            &server.data().to_string_lossy(),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale-provider=icu",
            "--icu-locale=ko-KR",
            "--locale=C.UTF-8",
        ]);
        server.pg_ctl_start();
        Some(server)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn as_postgres(&self, args: &[&str]) {
        let out = Command::new(RUNUSER)
            .args(["-u", "postgres", "--"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn pg_ctl_start(&self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.path().display()
        );
        self.as_postgres(&[
            &format!("{PG_BIN}/pg_ctl"),
            "-D",
            &self.data().to_string_lossy(),
            "-l",
            &self.dir.path().join("server.log").to_string_lossy(),
            "-o",
            &opts,
            "-w",
            "start",
        ]);
    }

    fn stop(&self, mode: &str) {
        self.as_postgres(&[
            &format!("{PG_BIN}/pg_ctl"),
            "-D",
            &self.data().to_string_lossy(),
            "-m",
            mode,
            "-w",
            "stop",
        ]);
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = Command::new(RUNUSER)
            .args(["-u", "postgres", "--"])
            .arg(format!("{PG_BIN}/pg_ctl"))
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "stop"])
            .output();
    }
}

/// A request over real TCP: status, lower-cased head, JSON body, and how long it took.
async fn http(
    addr: std::net::SocketAddr,
    method: &'static str,
    path: &'static str,
    body: Option<String>,
    token: Option<String>,
) -> (u16, String, Value, Duration) {
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let (status, head, out) =
            try_http(addr, method, path, body.as_deref(), token.as_deref()).unwrap();
        let v = serde_json::from_slice(&out).unwrap_or(Value::Null);
        (status, head, v, started.elapsed())
    })
    .await
    .unwrap()
}

async fn graphql(
    addr: std::net::SocketAddr,
    token: Option<&str>,
    query: &str,
    vars: Value,
) -> (u16, String, Value, Duration) {
    let body = json!({ "query": query, "variables": vars }).to_string();
    http(
        addr,
        "POST",
        "/graphql",
        Some(body),
        token.map(String::from),
    )
    .await
}

/// A `graphql-transport-ws` subscription to the change feed from its start.
async fn subscribe(addr: std::net::SocketAddr) -> Ws {
    let mut ws = common::ws::acked(addr, Some(json!({}))).await;
    common::ws::send(
        &mut ws,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": SUB, "variables": { "after": START } } }),
    )
    .await;
    ws
}

/// The outbox id of a subscription cursor.
fn cursor_id(cursor: &str) -> i64 {
    use base64::Engine;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .unwrap();
    serde_json::from_slice::<Value>(&raw).unwrap()["f"]
        .as_i64()
        .unwrap()
}

/// Receives events until every id in `want` has come (panics after `wait`); returns the ids
/// received, in order.
async fn receive_all(ws: &mut Ws, want: &[i64], wait: Duration) -> Vec<i64> {
    let deadline = Instant::now() + wait;
    let mut got = Vec::new();
    while !want.iter().all(|w| got.contains(w)) {
        let left = deadline.saturating_duration_since(Instant::now());
        let Some(m) = next_json(ws, left).await else {
            panic!("only {got:?} of {want:?} arrived");
        };
        assert_eq!(m["type"], "next", "{m}");
        let c = m["payload"]["data"]["disclosureChanged"]["cursor"]
            .as_str()
            .unwrap();
        got.push(cursor_id(c));
    }
    got
}

async fn disclosure_ids(db: &sea_orm::DatabaseConnection, after: i64) -> Vec<i64> {
    use sea_orm::{ConnectionTrait, Statement};
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        format!("SELECT id FROM outbox WHERE topic = 'disclosure' AND id > {after} ORDER BY id"),
    ))
    .await
    .unwrap()
    .iter()
    .map(|r| r.try_get_by_index::<i64>(0).unwrap())
    .collect()
}

fn assert_unavailable(what: &str, status: u16, head: &str, v: &Value, took: Duration) {
    println!("{what}: {status} in {} ms", took.as_millis());
    assert_eq!(status, 503, "{what}: {v}");
    assert!(head.contains("retry-after: 1"), "{what}: {head}");
    assert_eq!(code(v), Some("SERVICE_UNAVAILABLE"), "{what}: {v}");
    assert!(took < FAIL_FAST, "{what} took {took:?}");
}

#[tokio::test]
async fn postgres_stops_and_returns_under_a_running_server() {
    let Some(pg) = PgServer::start() else {
        return;
    };
    let url = pg.url();
    let db = inventory::db::connect_and_migrate(&url).await.unwrap();
    common::fixture::load(&db).await;
    let officer = common::officer_token(&db, "3010000").await;
    // The hub never polls on its own (an hour): after the outage only LISTEN (and the catch-up
    // on reconnecting) can bring changes made elsewhere.
    let config = inventory::config::Config {
        database_url: Some(url.clone()),
        outbox_poll: Some(Duration::from_secs(3600)),
        ..Default::default()
    };
    let state = inventory::AppState::with_config(
        db.clone(),
        Arc::new(inventory::clock::SystemClock),
        config,
    );
    let (addr, _stop) = common::serve(state).await;
    let started = Instant::now();
    while http(addr, "GET", "/readyz", None, None).await.0 != 200 {
        assert!(started.elapsed() < Duration::from_secs(30), "never ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let before = disclosure_ids(&db, 0).await.last().copied().unwrap_or(0);

    let mut ws = subscribe(addr).await;
    let dataset = gid("Dataset", 4);
    let (status, _, v, _) = graphql(
        addr,
        Some(&officer),
        CHANGE,
        json!({ "id": dataset, "v": 1, "s": "OPEN" }),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let first = disclosure_ids(&db, before).await;
    assert_eq!(first.len(), 1);
    receive_all(&mut ws, &first, Duration::from_secs(10)).await;
    // Figures the catalog answers without SQL (`datasets` lists read their rows from the
    // database, even for `totalCount` alone).
    const FIGURES: &str = "{ stats { total byStatus { count } } }";
    let (_, _, v, _) = graphql(addr, None, FIGURES, json!({})).await;
    let total = v["data"]["stats"]["total"].as_i64().unwrap();
    assert!(v["extensions"]["stale"].is_null(), "{v}");

    // The database goes away.
    pg.stop("fast");
    let down_at = Instant::now();

    // Writes: a token-bearing one (its token cannot be checked) and an anonymous one.
    let (s, h, v, took) = graphql(
        addr,
        Some(&officer),
        CHANGE,
        json!({ "id": dataset, "v": 2, "s": "UNDER_REVIEW" }),
    )
    .await;
    assert_unavailable("mutation with a token", s, &h, &v, took);
    let (s, h, v, took) = graphql(
        addr,
        None,
        "mutation { signUp(displayName: \"누구\", contact: \"x@example.org\") { token } }",
        json!({}),
    )
    .await;
    assert_unavailable("anonymous mutation", s, &h, &v, took);
    // A read that needs the database.
    let (s, h, v, took) = graphql(
        addr,
        None,
        "query($id: ID!) { node(id: $id) { ... on Dataset { title } } }",
        json!({ "id": dataset }),
    )
    .await;
    assert_unavailable("read of a dataset", s, &h, &v, took);
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("database"),
        "{v}"
    );
    // Readiness: not ready, within its bound.
    let (s, _, v, took) = http(addr, "GET", "/readyz", None, None).await;
    println!("/readyz: {s} in {} ms", took.as_millis());
    assert_eq!(s, 503, "{v}");
    assert_eq!(v["checks"]["database"]["ok"], false, "{v}");
    assert!(took < FAIL_FAST, "/readyz took {took:?}");
    let (s, _, _, _) = http(addr, "GET", "/healthz", None, None).await;
    assert_eq!(s, 200);
    // Reads the catalog answers go on, marked stale once it notices (within about 3 s).
    let stale = loop {
        let (s, _, v, took) = graphql(addr, None, FIGURES, json!({})).await;
        assert_eq!(s, 200, "{v}");
        assert!(took < FAIL_FAST, "a catalog read took {took:?}");
        assert_eq!(v["data"]["stats"]["total"], total, "{v}");
        if !v["extensions"]["stale"].is_null() {
            println!(
                "catalog reads marked stale {} ms after the stop: {}",
                down_at.elapsed().as_millis(),
                v["extensions"]
            );
            break v["extensions"]["stale"].clone();
        }
        assert!(
            down_at.elapsed() < Duration::from_secs(10),
            "never marked stale"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(stale["position"], json!(first[0]), "{stale}");
    assert!(stale["since"].as_str().is_some(), "{stale}");
    // The subscriber stays connected and gets nothing (no error, no completion).
    assert!(
        next_json(&mut ws, Duration::from_secs(2)).await.is_none(),
        "a subscriber got something while the database was down"
    );

    // The database comes back, on the same port; the server was not restarted.
    pg.pg_ctl_start();
    let back = Instant::now();
    while http(addr, "GET", "/readyz", None, None).await.0 != 200 {
        assert!(
            back.elapsed() < Duration::from_secs(30),
            "not ready again after the database came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "ready again {} ms after the database came back",
        back.elapsed().as_millis()
    );
    // A change through this server right away.
    let (s, _, v, _) = graphql(
        addr,
        Some(&officer),
        CHANGE,
        json!({ "id": dataset, "v": 2, "s": "UNDER_REVIEW" }),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert!(v["errors"].is_null(), "{v}");
    // A change committed by another instance (its own pool; it does not wake this server's
    // hub): it reaches the subscriber through LISTEN, re-established.
    let other = inventory::db::connect(&url).await.unwrap();
    let other_app = inventory::app(common::state(&other));
    let v = call(
        &other_app,
        Some(&officer),
        CHANGE,
        json!({ "id": dataset, "v": 3, "s": "OPEN" }),
    )
    .await;
    assert!(v["errors"].is_null(), "{v}");
    let after = disclosure_ids(&db, first[0]).await;
    assert_eq!(after.len(), 2, "{after:?}");
    let got = receive_all(&mut ws, &after, Duration::from_secs(10)).await;
    assert_eq!(
        got, after,
        "every change committed after recovery, in order"
    );
    // Catalog reads are fresh again.
    let (s, _, v, _) = graphql(addr, None, FIGURES, json!({})).await;
    assert_eq!(s, 200, "{v}");
    assert!(v["extensions"]["stale"].is_null(), "{v}");
    let _ = other.close().await;
    let _ = db.close().await;
}

/// A change of dataset 4 through the router: the HTTP status and the JSON answer.
async fn post(app: &axum::Router, token: &str, vars: Value) -> (u16, Value) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let body = json!({ "query": CHANGE, "variables": vars });
    let resp = app
        .clone()
        .oneshot(
            axum::http::Request::post("/graphql")
                .header("content-type", "application/json")
                .header("authorization", format!("Bearer {token}"))
                .body(axum::body::Body::from(body.to_string()))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap())
}

/// A connection pool like the app's over `url` whose connections may not grow the file beyond
/// its size when they open (`PRAGMA max_page_count`; SQLite keeps it at least the current size).
async fn capped(url: &str) -> sea_orm::DatabaseConnection {
    let mut opts = sea_orm::ConnectOptions::new(url.to_string());
    opts.sqlx_logging(false)
        .max_connections(1)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(30))
                .pragma("max_page_count", "1")
        });
    sea_orm::Database::connect(opts).await.unwrap()
}

#[tokio::test]
async fn a_full_sqlite_database_refuses_writes_and_loses_nothing_acknowledged() {
    let t = common::with_fixture(common::Backend::Sqlite).await;
    let officer = common::officer_token(&t.db, "3010000").await;
    let history = |db: sea_orm::DatabaseConnection| async move {
        common::count(&db, "SELECT COUNT(*) FROM disclosure_event").await
    };
    let events_before = history(t.db.clone()).await;
    let full = capped(&t.url).await;
    let app = inventory::app(common::state(&full));
    // Changes until the file is full: each acknowledged one adds history and outbox rows.
    let mut version = 1;
    let mut refused = None;
    let mut last = json!({});
    for i in 0..5000 {
        let status = if i % 2 == 0 { "OPEN" } else { "UNDER_REVIEW" };
        last = json!({ "id": gid("Dataset", 4), "v": version, "s": status });
        let (http, v) = post(&app, &officer, last.clone()).await;
        if v["errors"].is_null() {
            assert_eq!(http, 200);
            version = v["data"]["changeDisclosure"]["disclosure"]["version"]
                .as_i64()
                .unwrap();
        } else {
            assert_eq!(http, 503, "{v}");
            refused = Some(v);
            break;
        }
    }
    let v = refused.expect("the database never filled up");
    let acknowledged = version - 1;
    println!("{acknowledged} changes acknowledged before the database was full: {v}");
    assert!(acknowledged > 0);
    assert_eq!(code(&v), Some("SERVICE_UNAVAILABLE"), "{v}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("database is full"),
        "{v}"
    );
    // It stays refused.
    let (http, v) = post(&app, &officer, last).await;
    assert_eq!(http, 503, "{v}");
    assert_eq!(code(&v), Some("SERVICE_UNAVAILABLE"), "{v}");
    // Reads still work, and everything acknowledged is there (read through another pool).
    let v = call(
        &app,
        None,
        "query($id: ID!) { node(id: $id) { ... on Dataset { disclosure { version } } } }",
        json!({ "id": gid("Dataset", 4) }),
    )
    .await;
    assert_eq!(v["data"]["node"]["disclosure"]["version"], version, "{v}");
    let _ = full.close().await;
    assert_eq!(
        history(t.db.clone()).await,
        events_before + acknowledged,
        "history rows: exactly the acknowledged changes"
    );
    assert_eq!(
        common::count(&t.db, "SELECT version FROM disclosure WHERE dataset_id = 4").await,
        version
    );
    t.cleanup().await;
}

#[tokio::test]
async fn a_read_only_sqlite_database_refuses_writes_and_answers_reads() {
    let t = common::with_fixture(common::Backend::Sqlite).await;
    let officer = common::officer_token(&t.db, "3010000").await;
    let path = t.sqlite_path().unwrap();
    let ro_url = format!("sqlite://{}?mode=ro", path.display());
    let ro = inventory::db::connect(&ro_url).await.unwrap();
    let app = inventory::app(common::state(&ro));
    let v = call(
        &app,
        Some(&officer),
        CHANGE,
        json!({ "id": gid("Dataset", 4), "v": 1, "s": "OPEN" }),
    )
    .await;
    assert_eq!(code(&v), Some("SERVICE_UNAVAILABLE"), "{v}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("read-only"),
        "{v}"
    );
    let v = call(
        &app,
        None,
        "query($id: ID!) { node(id: $id) { ... on Dataset { title disclosure { version } } } datasets { totalCount } }",
        json!({ "id": gid("Dataset", 4) }),
    )
    .await;
    assert!(v["errors"].is_null(), "{v}");
    assert_eq!(v["data"]["node"]["disclosure"]["version"], 1, "{v}");
    let _ = ro.close().await;
    // Nothing was written.
    assert_eq!(
        common::count(&t.db, "SELECT version FROM disclosure WHERE dataset_id = 4").await,
        1
    );
    t.cleanup().await;
}

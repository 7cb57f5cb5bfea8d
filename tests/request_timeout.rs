//! The per-request time limit on both databases: a request that runs past it is answered
//! `TIMEOUT` (HTTP 504) at the limit, and the work it left in the database is stopped there too,
//! so its connection comes back to the pool (PostgreSQL's `statement_timeout`; on SQLite the
//! progress handler's interrupt and the bounded wait for the write lock).

mod common;

use std::time::{Duration, Instant};

use common::{Backend, api, backends};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};
use serde_json::json;

/// The limit the tests run under.
const LIMIT: Duration = Duration::from_millis(500);

/// Slack for a loaded machine (2 shared cores, tests in parallel).
const SLACK: Duration = Duration::from_secs(3);

async fn select_one(db: &DatabaseConnection) -> Duration {
    let started = Instant::now();
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT 1".to_string(),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get_by_index::<i32>(0).unwrap(), 1);
    started.elapsed()
}

/// Connections of the pool, and idle ones.
fn pool_figures(db: &DatabaseConnection) -> (u32, usize) {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let p = db.get_postgres_connection_pool();
            (p.size(), p.num_idle())
        }
        _ => {
            let p = db.get_sqlite_connection_pool();
            (p.size(), p.num_idle())
        }
    }
}

/// A statement that runs for minutes: counting to ten billion (SQLite), sleeping (PostgreSQL).
fn slow_statement(backend: DbBackend) -> Statement {
    let sql = match backend {
        DbBackend::Postgres => "SELECT 1 FROM pg_sleep(600)",
        _ => {
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000000000) \
             SELECT count(*) FROM c"
        }
    };
    Statement::from_string(backend, sql.to_string())
}

/// The serving pool stops a slow statement in the database at its bound (a little over the
/// request limit), on every connection at once, whether its caller waits for it or gives up first (as a timed-out request does), and
/// right after the pool serves a simple query at once.
#[tokio::test]
async fn a_slow_statement_is_stopped_in_the_database_at_the_limit() {
    for b in backends().await {
        let t = common::fresh(b).await;
        let db = inventory::db::connect_serving(&t.url, LIMIT).await.unwrap();
        let backend = db.get_database_backend();
        // More slow statements than the pool has connections: every one is stopped.
        let pool = match b {
            Backend::Sqlite => inventory::db::sqlite_pool(),
            Backend::Postgres => inventory::db::POSTGRES_POOL,
        };
        let started = Instant::now();
        let runs = (0..pool as usize).map(|_| db.query_one_raw(slow_statement(backend)));
        for r in futures::future::join_all(runs).await {
            let e = r.expect_err("stopped by the database");
            let m = e.to_string();
            assert!(
                m.contains("interrupt") || m.contains("statement timeout"),
                "{b:?}: {m}"
            );
        }
        let bound = inventory::db::database_bound(LIMIT);
        assert!(
            started.elapsed() >= bound && started.elapsed() < bound + SLACK,
            "{b:?}: {:?}",
            started.elapsed()
        );
        assert!(select_one(&db).await < Duration::from_millis(500), "{b:?}");

        // The callers give up first (their futures dropped mid-statement): the statements still
        // stop at the limit and the connections come back.
        let started = Instant::now();
        let runs = (0..pool as usize).map(|_| {
            tokio::time::timeout(
                Duration::from_millis(50),
                db.query_one_raw(slow_statement(backend)),
            )
        });
        for r in futures::future::join_all(runs).await {
            assert!(r.is_err(), "{b:?}: gave up");
        }
        // Every connection was busy: all are back in the pool, idle, once the database stopped
        // their statements.
        let back = loop {
            let (size, idle) = pool_figures(&db);
            if size == pool && idle == pool as usize {
                break started.elapsed();
            }
            assert!(
                started.elapsed() < bound + SLACK,
                "{b:?}: {idle} of {size} connections back after {:?}",
                started.elapsed()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        eprintln!("{b:?}: every connection back {back:?} after the slow statements started");
        assert!(select_one(&db).await < Duration::from_millis(500), "{b:?}");
        let _ = db.close().await;
        t.cleanup().await;
    }
}

const SIGN_UP: &str = "mutation { signUp(displayName: \"느린 요청\") { prefix } }";

/// A request that waits on a lock held elsewhere is answered TIMEOUT at the limit (504, the
/// limit and the time run in the message); the database gives its connection back while the
/// lock is still held, and the pool serves a simple query at once.
#[tokio::test]
async fn a_request_past_the_time_limit_is_answered_timeout_and_frees_its_connection() {
    for b in backends().await {
        let t = common::fresh(b).await;
        let db = inventory::db::connect_serving(&t.url, LIMIT).await.unwrap();
        let config = inventory::config::Config {
            request_timeout: LIMIT,
            ..Default::default()
        };
        let state = inventory::AppState::with_config(
            db.clone(),
            std::sync::Arc::new(inventory::clock::SystemClock),
            config,
        );
        let (addr, stop) = common::serve(state).await;
        // Someone else holds the lock the sign-up needs: the write lock (SQLite), the table
        // (PostgreSQL).
        let holder = inventory::db::connect(&t.url).await.unwrap();
        let txn = inventory::db::begin_write(&holder).await.unwrap();
        if b == Backend::Postgres {
            txn.execute_unprepared("LOCK TABLE signup_attempt IN ACCESS EXCLUSIVE MODE")
                .await
                .unwrap();
        }

        let started = Instant::now();
        let (status, _, v) = api::post_http(addr, &[], SIGN_UP, json!({})).await;
        let took = started.elapsed();
        assert_eq!(status, 504, "{b:?}: {v}");
        assert_eq!(api::code(&v), Some("TIMEOUT"), "{b:?}: {v}");
        assert!(v.get("data").is_none(), "{b:?}: {v}");
        let m = v["errors"][0]["message"].as_str().unwrap();
        assert!(
            m.starts_with("the request ran longer than the limit of 500 ms (stopped after "),
            "{b:?}: {m}"
        );
        assert!(took >= LIMIT && took < LIMIT + SLACK, "{b:?}: {took:?}");

        // The lock is still held, yet nothing of the request is left waiting in the database.
        if b == Backend::Postgres {
            let waiting = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                           AND wait_event_type = 'Lock'";
            let deadline = Instant::now() + LIMIT + SLACK;
            while common::count(&holder, waiting).await > 0 {
                assert!(
                    Instant::now() < deadline,
                    "the blocked statement still waits"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        // Every connection of the serving pool is back (SQLite: the wait for the write lock
        // ended at the limit) while the lock is still held.
        let deadline = Instant::now() + LIMIT + SLACK;
        let runs = (0..4).map(|_| db.begin());
        let txns: Vec<_> = futures::future::join_all(runs)
            .await
            .into_iter()
            .map(|r| r.unwrap())
            .collect();
        assert!(
            Instant::now() < deadline,
            "{b:?}: connections came back late"
        );
        drop(txns);
        assert!(select_one(&db).await < Duration::from_millis(500), "{b:?}");
        txn.rollback().await.unwrap();

        // Without the lock the same request goes through.
        let (status, _, v) = api::post_http(addr, &[], SIGN_UP, json!({})).await;
        assert_eq!(status, 200, "{b:?}: {v}");
        assert!(v["data"]["signUp"]["prefix"].is_string(), "{b:?}: {v}");
        let _ = stop.send(());
        let _ = holder.close().await;
        t.cleanup().await;
    }
}

/// Over `graphql-transport-ws` a mutation past the limit ends with an `error` message coded
/// TIMEOUT, and the connection goes on serving.
#[tokio::test]
async fn a_websocket_operation_past_the_time_limit_ends_with_timeout() {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;

    let t = common::fresh(Backend::Sqlite).await;
    let db = inventory::db::connect_serving(&t.url, LIMIT).await.unwrap();
    let config = inventory::config::Config {
        request_timeout: LIMIT,
        ..Default::default()
    };
    let state = inventory::AppState::with_config(
        db.clone(),
        std::sync::Arc::new(inventory::clock::SystemClock),
        config,
    );
    let (addr, stop) = common::serve(state).await;
    let holder = inventory::db::connect(&t.url).await.unwrap();
    let txn = inventory::db::begin_write(&holder).await.unwrap();

    let ws = common::ws::connect(addr, "graphql-transport-ws").await;
    let (mut tx, mut rx) = ws.split();
    let mut recv = async || loop {
        let m = tokio::time::timeout(LIMIT + SLACK, rx.next())
            .await
            .expect("an answer in time")
            .unwrap()
            .unwrap();
        if let Message::Text(t) = m {
            let v: serde_json::Value = serde_json::from_str(&t).unwrap();
            if v["type"] != "ping" {
                return v;
            }
        }
    };
    let msg = |v: serde_json::Value| Message::text(v.to_string());
    tx.send(msg(json!({ "type": "connection_init" })))
        .await
        .unwrap();
    assert_eq!(recv().await["type"], "connection_ack");
    let started = Instant::now();
    tx.send(msg(
        json!({ "type": "subscribe", "id": "1", "payload": { "query": SIGN_UP } }),
    ))
    .await
    .unwrap();
    let v = recv().await;
    assert_eq!(v["type"], "error", "{v}");
    assert_eq!(v["payload"][0]["extensions"]["code"], "TIMEOUT", "{v}");
    assert!(started.elapsed() >= LIMIT, "{:?}", started.elapsed());
    txn.rollback().await.unwrap();
    tx.send(msg(
        json!({ "type": "subscribe", "id": "2", "payload": { "query": "{ __typename }" } }),
    ))
    .await
    .unwrap();
    assert_eq!(recv().await["type"], "next");
    let _ = stop.send(());
    let _ = holder.close().await;
    t.cleanup().await;
}

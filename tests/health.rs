//! `/healthz` (alive, no database) and `/readyz` (serving, database, migrations, catalog), and
//! what the first `serve` answers while it builds the demo.

mod common;

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::api::get;
use common::process::{self, try_http};
use common::{backends, state};
use serde_json::Value;

/// `/readyz` of a real server: status and body.
async fn readyz(addr: std::net::SocketAddr) -> (u16, Value) {
    let (status, _, body) =
        tokio::task::spawn_blocking(move || try_http(addr, "GET", "/readyz", None, None).unwrap())
            .await
            .unwrap();
    (status, serde_json::from_slice(&body).unwrap())
}

#[tokio::test]
async fn readiness_checks_each_part_and_liveness_needs_no_database() {
    for b in backends().await {
        let t = common::fresh(b).await;

        // A state no server runs yet is starting: alive, not ready.
        let app = inventory::app(state(&t.db));
        let (status, _, _) = get(&app, "/healthz").await;
        assert_eq!(status, StatusCode::OK);
        let (status, _, body) = get(&app, "/readyz").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["checks"]["lifecycle"]["state"], "starting", "{v}");

        // A running server is ready, and says why.
        let (addr, stop) = common::serve_db(&t.db).await;
        let (status, v) = readyz(addr).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["status"], "ready");
        assert_eq!(v["checks"]["lifecycle"]["state"], "serving");
        assert_eq!(v["checks"]["database"]["state"], "up");
        assert_eq!(v["checks"]["migrations"]["state"], "current");
        assert_eq!(v["checks"]["catalog"]["state"], "caught_up");
        assert_eq!(
            v["checks"]["catalog"]["position"],
            v["checks"]["catalog"]["outbox"]
        );

        // A migration this binary knows but the database lacks: not ready, named.
        use migration::MigratorTrait;
        let last = migration::Migrator::migrations()
            .last()
            .unwrap()
            .name()
            .to_string();
        use sea_orm::ConnectionTrait;
        t.db.execute_unprepared(&format!(
            "DELETE FROM seaql_migrations WHERE version = '{last}'"
        ))
        .await
        .unwrap();
        let (status, v) = readyz(addr).await;
        assert_eq!(status, 503, "{v}");
        assert_eq!(v["checks"]["migrations"]["state"], "pending");
        assert_eq!(v["checks"]["migrations"]["pending"][0], last.as_str());
        drop(stop);

        // The database gone: still alive (an orchestrator must not restart it), not ready.
        let gone = inventory::db::connect(&t.url).await.unwrap();
        let s = state(&gone);
        s.lifecycle.serving();
        let app = inventory::app(s);
        gone.clone().close().await.unwrap();
        let (status, _, _) = get(&app, "/healthz").await;
        assert_eq!(status, StatusCode::OK);
        let started = Instant::now();
        let (status, _, body) = get(&app, "/readyz").await;
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["checks"]["database"]["ok"], false, "{v}");
        assert_eq!(v["checks"]["lifecycle"]["state"], "serving", "{v}");
        t.cleanup().await;
    }
}

/// The first `serve` on an empty database listens at once: `/healthz` answers and `/readyz`
/// says it is building the demo until it is up; the log shows the demo's phases.
#[test]
fn the_first_serve_answers_health_while_it_builds_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let url = inventory::config::sqlite_url(&dir.path().join("inventory.db"));
    let server = process::start(
        &url,
        &dir.path().join("server.log"),
        &["--demo-scale", "0.1"],
        &[],
    );
    let (status, _, body) = try_http(server.addr, "GET", "/healthz", None, None).unwrap();
    assert_eq!(status, 200);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["status"], "ok");
    let (status, _, body) = try_http(server.addr, "GET", "/readyz", None, None).unwrap();
    assert_eq!(status, 503, "built too fast to see");
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["checks"]["lifecycle"]["state"], "starting", "{v}");
    let (status, head, _) = try_http(
        server.addr,
        "GET",
        "/graphql?query={__typename}",
        None,
        None,
    )
    .unwrap();
    assert_eq!(status, 503);
    assert!(head.contains("retry-after"), "{head}");
    server.wait_ready();
    let v = process::graphql(
        server.addr,
        None,
        "{ datasets { totalCount } }",
        Value::Null,
    );
    assert!(
        v["data"]["datasets"]["totalCount"].as_i64().unwrap() > 1000,
        "{v}"
    );
    let log = server.log_text();
    for phase in [
        "demo 1/6",
        "demo 3/6",
        "demo 6/6",
        "built the demo inventory",
    ] {
        assert!(log.contains(phase), "no '{phase}' in\n{log}");
    }
}

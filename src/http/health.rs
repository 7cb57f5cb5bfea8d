//! Health for orchestrators and load balancers.
//!
//! - `GET /healthz` — liveness: `200 {"status":"ok","database":"sqlite"}` whenever the process
//!   serves HTTP. It does not touch the database: a database outage must not make an
//!   orchestrator restart every instance (restarts cannot fix the database, and they would drop
//!   every WebSocket). (Before, `/healthz` pinged the database and answered 503 without it; that
//!   check is now part of `/readyz`.)
//! - `GET /readyz` — readiness: `200` when every check passes, `503` otherwise, with each check's
//!   state in the body:
//!   - `lifecycle`: serving (not starting, not shutting down);
//!   - `database`: a ping answered within [`DB_BOUND`];
//!   - `migrations`: every migration this binary knows is applied (ones it does not know, applied
//!     by a newer instance during a rolling update, are listed but do not fail it);
//!   - `catalog`: the instance's in-memory catalog reaches the outbox's newest event within
//!     [`CATALOG_LAG`] (it follows the outbox; a catalog that stays behind answers stale totals).

use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};

use crate::AppState;
use crate::lifecycle::Phase;

/// How long the database may take to answer a readiness check.
pub const DB_BOUND: Duration = Duration::from_secs(2);
/// How long the catalog may take to reach the outbox's newest event.
pub const CATALOG_LAG: Duration = Duration::from_secs(2);

pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let backend = crate::db::backend_name(&state.db);
    (
        StatusCode::OK,
        Json(json!({ "status": "ok", "database": backend })),
    )
}

pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let lifecycle = match state.lifecycle.phase() {
        Phase::Serving => json!({ "ok": true, "state": "serving" }),
        Phase::Starting(what) => json!({ "ok": false, "state": "starting", "detail": what }),
        Phase::Stopping => json!({ "ok": false, "state": "stopping" }),
    };
    let database = database(&state.db).await;
    // Without the database the other checks cannot say anything.
    let (migrations, catalog) = if database["ok"] == true {
        (migrations(&state.db).await, catalog(&state).await)
    } else {
        let skipped =
            json!({ "ok": false, "state": "unknown", "detail": "the database does not answer" });
        (skipped.clone(), skipped)
    };
    let checks = json!({
        "lifecycle": lifecycle,
        "database": database,
        "migrations": migrations,
        "catalog": catalog,
    });
    let ready = checks
        .as_object()
        .is_some_and(|c| c.values().all(|v| v["ok"] == true));
    if !ready {
        tracing::debug!(%checks, "not ready");
    }
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({ "status": if ready { "ready" } else { "unavailable" }, "checks": checks });
    (status, Json(body))
}

async fn database(db: &DatabaseConnection) -> Value {
    let started = Instant::now();
    let ms = || started.elapsed().as_millis() as u64;
    match tokio::time::timeout(DB_BOUND, db.ping()).await {
        Ok(Ok(())) => json!({
            "ok": true,
            "state": "up",
            "backend": crate::db::backend_name(db),
            "ms": ms(),
        }),
        Ok(Err(e)) => json!({ "ok": false, "state": "down", "detail": e.to_string(), "ms": ms() }),
        Err(_) => json!({
            "ok": false,
            "state": "timeout",
            "detail": format!("no answer within {} ms", DB_BOUND.as_millis()),
        }),
    }
}

/// The migration names applied, in the order applied.
async fn applied(db: &DatabaseConnection) -> Result<Vec<String>, sea_orm::DbErr> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM seaql_migrations ORDER BY version",
        ))
        .await?;
    rows.iter()
        .map(|r| r.try_get_by_index::<String>(0))
        .collect()
}

async fn migrations(db: &DatabaseConnection) -> Value {
    use migration::MigratorTrait;
    let known: Vec<String> = migration::Migrator::migrations()
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    let applied = match tokio::time::timeout(DB_BOUND, applied(db)).await {
        Ok(Ok(a)) => a,
        Ok(Err(e)) => return json!({ "ok": false, "state": "unknown", "detail": e.to_string() }),
        Err(_) => return json!({ "ok": false, "state": "unknown", "detail": "timeout" }),
    };
    let pending: Vec<&String> = known.iter().filter(|k| !applied.contains(k)).collect();
    let newer: Vec<&String> = applied.iter().filter(|a| !known.contains(a)).collect();
    json!({
        "ok": pending.is_empty(),
        "state": if pending.is_empty() { "current" } else { "pending" },
        "applied": applied.len(),
        "known": known.len(),
        "pending": pending,
        "unknown_applied": newer,
    })
}

async fn catalog(state: &AppState) -> Value {
    let newest = match tokio::time::timeout(DB_BOUND, crate::catalog::load::position(&state.db))
        .await
    {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => return json!({ "ok": false, "state": "unknown", "detail": e.to_string() }),
        Err(_) => return json!({ "ok": false, "state": "unknown", "detail": "timeout" }),
    };
    let caught_up = state.catalog.wait_for(newest, CATALOG_LAG).await;
    let position = state.catalog.current().map(|s| s.position);
    json!({
        "ok": caught_up,
        "state": if caught_up { "caught_up" } else if position.is_none() { "not_loaded" } else { "behind" },
        "position": position,
        "outbox": newest,
    })
}

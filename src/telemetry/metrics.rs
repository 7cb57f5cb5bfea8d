//! The metrics registry and `/metrics`: one process-wide `metrics` recorder from
//! `metrics-exporter-prometheus`, installed on first use, rendered in the Prometheus text format
//! by [`scrape`] in the service's own router (the exporter runs no HTTP listener of its own).
//!
//! Histograms are true Prometheus histograms (`_bucket{le=…}`, `_sum`, `_count`) with the
//! buckets set here, never summaries. Counters and histograms are recorded where things happen
//! ([`super::operations`], [`super::sql`], the catalog's gate, the rate limiter); gauges of
//! state (pool, WebSocket connections, outbox positions, heavy work) are sampled at scrape time
//! from the [`AppState`]. The waits for a pooled connection are measured by the `tracing` layer
//! of [`super::pool`] (a gauge of tasks waiting, and a histogram of each wait by outcome).
//!
//! The metric names are the constants below; README's "Metrics and traces" lists them.

use std::sync::OnceLock;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::AppState;

/// GraphQL operations run, by `transport` (`http`, `ws`), `operation` (its name, `anonymous`,
/// or `other` past the cap) and `outcome` (`OK` or the first error's `extensions.code`).
pub const REQUESTS: &str = "inventory_graphql_requests_total";
/// Time to the (first) response of a query or mutation, seconds, by `transport` and `operation`.
pub const DURATION: &str = "inventory_graphql_request_duration_seconds";
/// SQL statements one query or mutation ran (its loaders included), by `transport` and
/// `operation`.
pub const SQL_PER_REQUEST: &str = "inventory_graphql_sql_statements";
/// SQL statements on the request pool, by `kind` (`select`, `insert`, `update`, `delete`,
/// `other`).
pub const SQL_STATEMENTS: &str = "inventory_sql_statements_total";
/// SQL statements that failed.
pub const SQL_FAILED: &str = "inventory_sql_statement_errors_total";
/// Duration of one SQL statement, seconds.
pub const SQL_DURATION: &str = "inventory_sql_statement_duration_seconds";
/// Connections of the request pool by `state` (`in_use`, `idle`), sampled at scrape time.
pub const POOL_CONNECTIONS: &str = "inventory_db_pool_connections";
/// The request pool's most connections.
pub const POOL_MAX: &str = "inventory_db_pool_max_connections";
/// Tasks waiting for a pooled connection now (exact, see [`super::pool`]).
pub const POOL_WAITING: &str = "inventory_db_pool_waiting";
/// Seconds a task waited for a pooled connection, by `outcome`: `acquired` (the request
/// pool's acquires, timed by sqlx), `timeout` (gave up at the acquire time-out, answered `503`)
/// or `abandoned` (gave up sooner: cancelled, or no connection could be opened). The rate of
/// the `_sum`s is the mean number waiting; `_count{outcome="timeout"}` counts the time-outs.
pub const POOL_ACQUIRE: &str = "inventory_db_pool_acquire_seconds";
/// WebSocket connections open on this instance.
pub const WS_CONNECTIONS: &str = "inventory_websocket_connections";
/// Subscriptions running on this instance (both WebSocket protocols).
pub const SUBSCRIPTIONS: &str = "inventory_subscriptions_active";
/// The outbox's last event id, sampled at scrape time.
pub const OUTBOX_LATEST: &str = "inventory_outbox_latest_id";
/// Events of the outbox not yet applied, by `reader` (`hub`: delivered to subscribers;
/// `catalog`: reflected in the in-memory dataset list).
pub const OUTBOX_LAG: &str = "inventory_outbox_lag_events";
/// Heavy computations running and waiting (`state`: `running`, `waiting`).
pub const HEAVY: &str = "inventory_heavy_work";
/// Heavy work refused (`503`), by `reason` (`queue_full`, `wait_timeout`).
pub const HEAVY_REFUSED: &str = "inventory_heavy_refused_total";
/// Requests refused by the rate limiter (`429`), by `limit` (the limit's name). Incremented
/// through [`rate_limited`].
pub const RATE_LIMITED: &str = "inventory_rate_limited_total";

/// Buckets of request durations, seconds.
const DURATION_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Buckets of SQL statements per request.
const SQL_COUNT_BUCKETS: [f64; 10] = [0.0, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 50.0, 100.0, 500.0];
/// Buckets of one statement's duration, seconds.
const SQL_DURATION_BUCKETS: [f64; 13] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0,
];

/// Buckets of the wait for a pooled connection, seconds: from a pooled connection handed out at
/// once to the acquire time-out (2 s).
const POOL_ACQUIRE_BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0,
];

/// How often histograms are drained and descriptions published between scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The process's recorder handle, installing the recorder on first use (so handles taken after
/// this call record into it). None when another recorder was installed first.
pub fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE.get_or_init(install).as_ref()
}

fn install() -> Option<PrometheusHandle> {
    let built = PrometheusBuilder::new()
        .set_buckets(&DURATION_BUCKETS)
        .and_then(|b| {
            b.set_buckets_for_metric(Matcher::Full(SQL_PER_REQUEST.into()), &SQL_COUNT_BUCKETS)
        })
        .and_then(|b| {
            b.set_buckets_for_metric(Matcher::Full(SQL_DURATION.into()), &SQL_DURATION_BUCKETS)
        })
        .and_then(|b| {
            b.set_buckets_for_metric(Matcher::Full(POOL_ACQUIRE.into()), &POOL_ACQUIRE_BUCKETS)
        })
        .and_then(PrometheusBuilder::install_recorder);
    match built {
        Ok(handle) => {
            describe();
            let h = handle.clone();
            let upkeep = std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(UPKEEP_EVERY);
                        h.run_upkeep();
                    }
                });
            if let Err(e) = upkeep {
                tracing::warn!(error = %e, "cannot start the metrics upkeep thread");
            }
            Some(handle)
        }
        Err(e) => {
            tracing::warn!(error = %e, "metrics are off: cannot install the recorder");
            None
        }
    }
}

/// The `# HELP` lines.
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        REQUESTS,
        "GraphQL operations by transport, operation name and outcome code"
    );
    describe_histogram!(DURATION, "Seconds to the response of a query or mutation");
    describe_histogram!(
        SQL_PER_REQUEST,
        "SQL statements run by one query or mutation"
    );
    describe_counter!(SQL_STATEMENTS, "SQL statements on the request pool by kind");
    describe_counter!(SQL_FAILED, "SQL statements that failed");
    describe_histogram!(SQL_DURATION, "Seconds one SQL statement took");
    describe_gauge!(POOL_CONNECTIONS, "Connections of the request pool by state");
    describe_gauge!(POOL_MAX, "Most connections of the request pool");
    describe_gauge!(
        POOL_WAITING,
        "Tasks waiting for a pooled database connection"
    );
    describe_histogram!(
        POOL_ACQUIRE,
        "Seconds waited for a pooled database connection, by outcome (acquired, timeout, abandoned)"
    );
    describe_gauge!(WS_CONNECTIONS, "WebSocket connections open");
    describe_gauge!(SUBSCRIPTIONS, "Subscriptions running");
    describe_gauge!(OUTBOX_LATEST, "The outbox's last event id");
    describe_gauge!(OUTBOX_LAG, "Outbox events not yet applied, by reader");
    describe_gauge!(HEAVY, "Heavy computations running and waiting");
    describe_counter!(HEAVY_REFUSED, "Heavy work refused with 503, by reason");
    describe_counter!(
        RATE_LIMITED,
        "Requests refused by the rate limiter, by limit"
    );
}

/// Counts one request refused by the rate limiter under `limit` (a fixed name such as
/// `"graphql"`, never a client's value).
pub fn rate_limited(limit: &'static str) {
    if handle().is_some() {
        metrics::counter!(RATE_LIMITED, "limit" => limit).increment(1);
    }
}

/// Counts heavy work refused because the queue was full (`queue_full`) or the wait ran out
/// (`wait_timeout`).
pub fn heavy_refused(reason: &'static str) {
    if handle().is_some() {
        metrics::counter!(HEAVY_REFUSED, "reason" => reason).increment(1);
    }
}

/// `GET /metrics`: the Prometheus text format, with the sampled gauges fresh.
pub async fn scrape(State(state): State<AppState>) -> Response {
    let Some(handle) = handle() else {
        return (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "metrics are off: another recorder was installed\n",
        )
            .into_response();
    };
    sample(&state).await;
    handle.run_upkeep();
    let mut r = handle.render().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Sets the gauges of what is, now.
async fn sample(state: &AppState) {
    use metrics::gauge;
    let (size, idle, max) = pool(&state.db);
    gauge!(POOL_CONNECTIONS, "state" => "in_use").set((size as usize).saturating_sub(idle) as f64);
    gauge!(POOL_CONNECTIONS, "state" => "idle").set(idle as f64);
    gauge!(POOL_MAX).set(max as f64);
    gauge!(POOL_WAITING).set(super::pool::waiting() as f64);
    gauge!(WS_CONNECTIONS).set(state.live.connections() as f64);
    let (running, waiting) = state.catalog.heavy_load();
    gauge!(HEAVY, "state" => "running").set(running as f64);
    gauge!(HEAVY, "state" => "waiting").set(waiting as f64);
    match crate::events::last_id(&state.db).await {
        Ok(latest) => {
            gauge!(OUTBOX_LATEST).set(latest as f64);
            if let Some(hub) = &state.hub {
                gauge!(OUTBOX_LAG, "reader" => "hub")
                    .set(latest.saturating_sub(hub.applied()).max(0) as f64);
            }
            if let Some(snap) = state.catalog.current() {
                gauge!(OUTBOX_LAG, "reader" => "catalog")
                    .set(latest.saturating_sub(snap.position).max(0) as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "metrics: cannot read the outbox's position"),
    }
}

/// The request pool's connections: open, idle, most.
fn pool(db: &sea_orm::DatabaseConnection) -> (u32, usize, u32) {
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            let p = db.get_postgres_connection_pool();
            (p.size(), p.num_idle(), p.options().get_max_connections())
        }
        sea_orm::DbBackend::Sqlite => {
            let p = db.get_sqlite_connection_pool();
            (p.size(), p.num_idle(), p.options().get_max_connections())
        }
        _ => (0, 0, 0),
    }
}

//! What the server answers while it starts (migrating, building the demo inventory, loading the
//! catalog), before the API is up: `/healthz` is `200` (the process is alive, an orchestrator
//! must not restart it), `/readyz` is `503` saying what start-up is doing, anything else `503`
//! with `Retry-After`.
//!
//! It serves a clone of the listening socket ([`clone_listener`]) that the real server then
//! serves too, so connections queued in between are answered by one or the other; it stops as
//! soon as the instance serves (or stops).

use std::future::IntoFuture;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use tokio::net::TcpListener;

use crate::lifecycle::{Lifecycle, Phase};

/// A second handle on the same listening socket.
pub fn clone_listener(listener: TcpListener) -> std::io::Result<(TcpListener, TcpListener)> {
    let std = listener.into_std()?;
    let other = std.try_clone()?;
    Ok((TcpListener::from_std(std)?, TcpListener::from_std(other)?))
}

/// Serves the start-up answers on `listener` until `lifecycle` leaves its starting phase
/// (the real server waits for it to stop, [`Lifecycle::early_stopped`]). `database` is the
/// backend's name, for `/healthz`.
pub async fn serve(
    listener: TcpListener,
    lifecycle: Lifecycle,
    database: &'static str,
) -> std::io::Result<()> {
    let watched = lifecycle.clone();
    let app = Router::new()
        .route(
            "/healthz",
            get(move || async move {
                Json(json!({ "status": "ok", "database": database, "phase": "starting" }))
            }),
        )
        .route("/readyz", get(readyz))
        .fallback(unavailable)
        .with_state(lifecycle.clone());
    lifecycle
        .track_early(
            axum::serve(listener, app)
                .with_graceful_shutdown(async move { watched.started().await })
                .into_future(),
        )
        .await
}

fn doing(lifecycle: &Lifecycle) -> String {
    match lifecycle.phase() {
        Phase::Starting(what) => what,
        Phase::Serving => "ready".into(),
        Phase::Stopping => "stopping".into(),
    }
}

async fn readyz(State(lifecycle): State<Lifecycle>) -> (StatusCode, Json<serde_json::Value>) {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({
            "status": "unavailable",
            "checks": { "lifecycle": { "ok": false, "state": "starting", "detail": doing(&lifecycle) } }
        })),
    )
}

async fn unavailable(State(lifecycle): State<Lifecycle>) -> Response {
    let body = json!({ "errors": [{
        "message": format!("the server is starting ({}); retry in a moment", doing(&lifecycle)),
        "extensions": { "code": crate::error::UNAVAILABLE }
    }]});
    let mut r = (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    r.headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
    r
}

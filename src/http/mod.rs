//! The HTTP surface: GraphQL (POST and GET), GraphiQL, its assets, and health.

mod export;
mod graphiql;
mod graphql;
mod health;
mod ws;

use std::net::SocketAddr;

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::get;
use tower_http::trace::TraceLayer;

use crate::AppState;

/// The router of the whole service.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(graphiql::page))
        .route("/assets/graphiql/{file}", get(graphiql::asset))
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphql/ws", get(ws::ws))
        .route("/healthz", get(health::healthz))
        .route("/export/datasets.csv", get(export::csv))
        .route("/export/catalog.jsonld", get(export::catalog))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// The client address for rate limits: the socket peer, or the first `X-Forwarded-For` hop when
/// configured to trust it (`TRUST_FORWARDED_FOR=1`, behind a load balancer that sets it).
fn client_address(state: &AppState, headers: &HeaderMap, peer: Option<SocketAddr>) -> String {
    if state.config.trust_forwarded_for
        && let Some(f) = headers.get("x-forwarded-for").and_then(|h| h.to_str().ok())
        && let Some(first) = f.split(',').next()
    {
        return first.trim().to_string();
    }
    peer.map(|p| p.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

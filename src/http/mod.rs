//! The HTTP surface: GraphQL (POST and GET), GraphiQL, its assets, exports and health; CORS
//! for pages on other origins, and compressed answers for clients that accept them;
//! validators and caching headers on GET queries and exports ([`cache`]), and automatic
//! persisted queries ([`persisted`]).

mod cache;
mod export;
mod graphiql;
mod graphql;
mod persisted;

pub use graphql::MAX_BODY_BYTES;
pub use live::{Live, Slot};
pub use persisted::Persisted;
mod health;
mod live;
pub mod starting;
pub mod time_limit;
mod transport_ws;
mod ws;

use std::net::SocketAddr;

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::routing::get;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;

use crate::AppState;

/// The router of the whole service.
pub fn router(state: AppState) -> Router {
    let cors = cors(state.config.cors_origins.as_deref());
    Router::new()
        .route("/", get(graphiql::page))
        .route("/assets/graphiql/{file}", get(graphiql::asset))
        .route("/graphql", get(graphql::serve).post(graphql::serve))
        .route("/graphql/ws", get(ws::ws))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(crate::telemetry::metrics::scrape))
        .route("/export/datasets.csv", get(export::csv))
        .route("/export/catalog.jsonld", get(export::catalog))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .layer(cors)
        .with_state(state)
}

/// Browsers may call the API from pages on other origins: any origin by default, or only the
/// listed ones. Credentials (cookies) are never allowed: a caller's rights travel in the
/// `Authorization` header, which a page only sends when it holds the token itself. Preflights
/// are cached for a day.
fn cors(origins: Option<&[String]>) -> CorsLayer {
    let allow = match origins {
        None => AllowOrigin::any(),
        Some(list) => AllowOrigin::list(list.iter().filter_map(|o| {
            HeaderValue::from_str(o)
                .inspect_err(|_| tracing::warn!(origin = %o, "ignoring an unusable CORS origin"))
                .ok()
        })),
    };
    CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::IF_NONE_MATCH,
        ])
        .expose_headers([
            header::RETRY_AFTER,
            header::ETAG,
            header::CONTENT_DISPOSITION,
        ])
        .max_age(Duration::from_secs(24 * 60 * 60))
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

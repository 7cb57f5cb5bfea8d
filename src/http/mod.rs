//! The HTTP surface: GraphQL (POST and GET), GraphiQL, its assets, and health.

mod export;
mod graphiql;
mod graphql;
mod health;
mod ws;

use axum::Router;
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

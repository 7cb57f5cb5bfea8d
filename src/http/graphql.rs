//! `/graphql`: POST for everything, GET for queries only.

use async_graphql::parser::types::OperationType;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use std::net::SocketAddr;

use axum::Extension;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::auth::{self, Viewer};
use crate::graphql::loaders::loaders;
use crate::graphql::mutation::ClientAddress;

/// Adds what resolvers need: the database, fresh loaders, the clock, the deadlines, the caller.
fn with_context(
    state: &AppState,
    req: async_graphql::Request,
    viewer: Viewer,
    address: String,
) -> async_graphql::Request {
    req.data(state.db.clone())
        .data(loaders(state.db.clone(), state.clock.today_seoul()))
        .data(state.clock.clone())
        .data(state.deadlines.as_ref().clone())
        .data(viewer)
        .data(ClientAddress(address))
}

/// The caller from the `Authorization` header, or the error response to send instead.
async fn viewer_of(state: &AppState, headers: &HeaderMap) -> Result<Viewer, Response> {
    let header = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok());
    auth::authenticate(&state.db, header).await.map_err(|e| {
        let mut resp = async_graphql::Response::from_errors(vec![async_graphql::ServerError::new(
            e.message(),
            None,
        )]);
        resp.errors[0]
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", e.code());
        (StatusCode::UNAUTHORIZED, GraphQLResponse::from(resp)).into_response()
    })
}

/// The client address for rate limits: the socket peer, or the first `X-Forwarded-For` hop when
/// configured to trust it (`TRUST_FORWARDED_FOR=1`, behind a load balancer that sets it).
fn address_of(trust_forwarded_for: bool, headers: &HeaderMap, peer: Option<SocketAddr>) -> String {
    if trust_forwarded_for
        && let Some(f) = headers.get("x-forwarded-for").and_then(|h| h.to_str().ok())
        && let Some(first) = f.split(',').next()
    {
        return first.trim().to_string();
    }
    peer.map(|p| p.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

pub async fn post(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    req: GraphQLRequest,
) -> Response {
    let viewer = match viewer_of(&state, &headers).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let address = address_of(
        state.config.trust_forwarded_for,
        &headers,
        peer.map(|p| p.0.0),
    );
    let req = with_context(&state, req.into_inner(), viewer, address);
    GraphQLResponse::from(state.schema.execute(req).await).into_response()
}

/// GET runs queries only: a mutation over GET is refused, so links and caches cannot write.
pub async fn get(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    req: GraphQLRequest,
) -> Response {
    let req = req.into_inner();
    if let Ok(doc) = async_graphql::parser::parse_query(&req.query) {
        let mutating = doc.operations.iter().any(|(name, op)| {
            let selected = match (&req.operation_name, name) {
                (Some(want), Some(n)) => want == n.as_str(),
                _ => true,
            };
            selected && op.node.ty != OperationType::Query
        });
        if mutating {
            let err = async_graphql::ServerError::new(
                "mutations and subscriptions are not allowed over GET; use POST",
                None,
            );
            let mut resp = async_graphql::Response::from_errors(vec![err]);
            resp.errors[0].extensions = Some({
                let mut e = async_graphql::ErrorExtensionValues::default();
                e.set("code", "METHOD_NOT_ALLOWED");
                e
            });
            return (StatusCode::METHOD_NOT_ALLOWED, GraphQLResponse::from(resp)).into_response();
        }
    }
    let viewer = match viewer_of(&state, &headers).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let address = address_of(
        state.config.trust_forwarded_for,
        &headers,
        peer.map(|p| p.0.0),
    );
    let req = with_context(&state, req, viewer, address);
    GraphQLResponse::from(state.schema.execute(req).await).into_response()
}

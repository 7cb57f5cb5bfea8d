//! `/graphql`: POST for everything, GET for queries only.

use async_graphql::parser::types::OperationType;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use std::net::SocketAddr;

use axum::Extension;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::client_address;
use crate::AppState;
use crate::auth::{self, Viewer};
use crate::graphql::context::{self, Lifetime};

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
    let address = client_address(&state, &headers, peer.map(|p| p.0.0));
    let mut req = req.into_inner();
    context::fill(
        &mut req.data,
        &state,
        viewer,
        Some(address),
        Lifetime::Request,
    );
    GraphQLResponse::from(state.schema.execute(req).await).into_response()
}

/// GET runs queries only: a mutation over GET is refused, so links and caches cannot write.
pub async fn get(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    req: GraphQLRequest,
) -> Response {
    let mut req = req.into_inner();
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
    let address = client_address(&state, &headers, peer.map(|p| p.0.0));
    context::fill(
        &mut req.data,
        &state,
        viewer,
        Some(address),
        Lifetime::Request,
    );
    GraphQLResponse::from(state.schema.execute(req).await).into_response()
}

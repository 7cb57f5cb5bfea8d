//! `/graphql`: POST for everything, GET for queries only.

use async_graphql::Executor;
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
    answer(state.schema.execute(req).await)
}

/// Seconds a client is asked to wait after an overload (`Retry-After`).
const RETRY_AFTER_SECS: &str = "1";

/// The HTTP answer of a GraphQL response: `503` with `Retry-After` when the server was too busy
/// to answer (an error coded [`crate::error::UNAVAILABLE`]), `200` otherwise.
fn answer(resp: async_graphql::Response) -> Response {
    let overloaded = resp.errors.iter().any(|e| {
        e.extensions
            .as_ref()
            .and_then(|x| x.get("code"))
            .is_some_and(|c| *c == async_graphql::Value::from(crate::error::UNAVAILABLE))
    });
    let body = GraphQLResponse::from(resp).into_response();
    if overloaded {
        let mut r = (StatusCode::SERVICE_UNAVAILABLE, body).into_response();
        r.headers_mut().insert(
            header::RETRY_AFTER,
            header::HeaderValue::from_static(RETRY_AFTER_SECS),
        );
        r
    } else {
        body
    }
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
    answer(state.schema.execute(req).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_overload_is_503_with_retry_after_and_anything_else_200() {
        let busy: async_graphql::Error = crate::error::ApiError::from(
            sea_orm::DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout),
        )
        .into();
        let resp = async_graphql::Response::from_errors(vec![
            busy.into_server_error(async_graphql::Pos::default()),
        ]);
        let r = answer(resp);
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()[header::RETRY_AFTER], RETRY_AFTER_SECS);
        let r = answer(async_graphql::Response::new(async_graphql::Value::Null));
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers().get(header::RETRY_AFTER).is_none());
    }
}

//! `/graphql`: POST for everything, GET for queries only.

use async_graphql::parser::types::OperationType;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::graphql::loaders::loaders;

fn with_context(state: &AppState, req: async_graphql::Request) -> async_graphql::Request {
    req.data(state.db.clone())
        .data(loaders(state.db.clone(), state.clock.today_seoul()))
        .data(state.clock.clone())
}

pub async fn post(State(state): State<AppState>, req: GraphQLRequest) -> GraphQLResponse {
    let req = with_context(&state, req.into_inner());
    state.schema.execute(req).await.into()
}

/// GET runs queries only: a mutation over GET is refused, so links and caches cannot write.
pub async fn get(State(state): State<AppState>, req: GraphQLRequest) -> Response {
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
    let req = with_context(&state, req);
    GraphQLResponse::from(state.schema.execute(req).await).into_response()
}

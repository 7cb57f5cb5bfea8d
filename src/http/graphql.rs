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
        .data(state.catalog.clone())
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
/// `TRUST_FORWARDED_FOR=1` (behind a load balancer that sets it).
fn address_of(headers: &HeaderMap, peer: Option<SocketAddr>) -> String {
    if std::env::var("TRUST_FORWARDED_FOR").is_ok_and(|v| v == "1")
        && let Some(f) = headers.get("x-forwarded-for").and_then(|h| h.to_str().ok())
        && let Some(first) = f.split(',').next()
    {
        return first.trim().to_string();
    }
    peer.map(|p| p.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Gives every error an `extensions.code`. Errors from our resolvers already carry one; the
/// rest come from async-graphql itself (parse, validation, limits, input coercion) or are
/// failures that slipped through without one, whose message is replaced so nothing internal
/// (such as SQL) reaches the client.
pub fn with_codes(mut resp: async_graphql::Response) -> async_graphql::Response {
    for e in &mut resp.errors {
        let has_code = e
            .extensions
            .as_ref()
            .is_some_and(|x| x.get("code").is_some());
        if has_code {
            continue;
        }
        let code = classify(&e.message, !e.path.is_empty());
        if code == "INTERNAL_SERVER_ERROR" {
            tracing::error!(message = %e.message, path = ?e.path, "resolver error without a code");
            e.message = "internal error; it has been logged".into();
        }
        e.extensions
            .get_or_insert_with(Default::default)
            .set("code", code);
    }
    resp
}

/// The code of an error that has none, from where it arose and its text.
///
/// An error with a path arose while resolving a field. The only such errors without a code that
/// the caller caused are async-graphql's own argument coercion and validator failures, whose
/// messages start with fixed phrases; anything else (a database error, say "too many SQL
/// variables") is `INTERNAL_SERVER_ERROR`, whatever its text. Only request-level errors (no path:
/// parsing, validation, depth and complexity limits) are told apart by their text.
pub fn classify(message: &str, in_field: bool) -> &'static str {
    let input_error = message.starts_with("Failed to parse")
        || message.starts_with("Invalid value")
        || message.starts_with("Expected input type");
    if in_field {
        return if input_error {
            "BAD_USER_INPUT"
        } else {
            "INTERNAL_SERVER_ERROR"
        };
    }
    if message.contains("nested too deep")
        || message.contains("too complex")
        || message.contains("too many")
    {
        "QUERY_TOO_COMPLEX"
    } else if input_error || message.contains("Variable") {
        "BAD_USER_INPUT"
    } else {
        "GRAPHQL_VALIDATION_FAILED"
    }
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
    let address = address_of(&headers, peer.map(|p| p.0.0));
    let req = req.into_inner();
    let mutating = is_mutation(&req);
    let req = with_context(&state, req, viewer, address);
    let resp = with_codes(state.schema.execute(req).await);
    if mutating {
        // Read your writes: the catalog reflects this mutation before the client hears back.
        if let Err(e) = state.catalog.sync().await {
            tracing::warn!(error = %e, "catalog: catching up after a mutation failed");
        }
    }
    GraphQLResponse::from(resp).into_response()
}

/// Whether the operation a request runs is not a query (a mutation or a subscription).
fn is_mutation(req: &async_graphql::Request) -> bool {
    async_graphql::parser::parse_query(&req.query).is_ok_and(|doc| {
        doc.operations.iter().any(|(name, op)| {
            let selected = match (&req.operation_name, name) {
                (Some(want), Some(n)) => want == n.as_str(),
                _ => true,
            };
            selected && op.node.ty != OperationType::Query
        })
    })
}

/// GET runs queries only: a mutation over GET is refused, so links and caches cannot write.
pub async fn get(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    req: GraphQLRequest,
) -> Response {
    let req = req.into_inner();
    {
        if is_mutation(&req) {
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
    let address = address_of(&headers, peer.map(|p| p.0.0));
    let req = with_context(&state, req, viewer, address);
    GraphQLResponse::from(with_codes(state.schema.execute(req).await)).into_response()
}

#[cfg(test)]
mod tests {
    use super::classify;

    #[test]
    fn resolver_errors_without_a_code_are_internal_whatever_their_text() {
        for m in [
            "Query Error: error returned from database: too many SQL variables",
            "Execution Error: query is too complex for the planner",
            "Variable $1 of statement nested too deep",
            "connection refused",
        ] {
            assert_eq!(classify(m, true), "INTERNAL_SERVER_ERROR", "{m}");
        }
        // async-graphql's own argument errors, raised while resolving, stay the caller's fault.
        assert_eq!(
            classify(
                r#"Failed to parse "Int": the value is 101, must be less than or equal to 100"#,
                true
            ),
            "BAD_USER_INPUT"
        );
        assert_eq!(
            classify(r#"Invalid value for argument "ids""#, true),
            "BAD_USER_INPUT"
        );
    }

    #[test]
    fn request_level_errors_are_classified_by_text() {
        assert_eq!(
            classify("Query is nested too deep.", false),
            "QUERY_TOO_COMPLEX"
        );
        assert_eq!(
            classify("Query is too complex.", false),
            "QUERY_TOO_COMPLEX"
        );
        assert_eq!(
            classify("Too many aliases: too many fields", false),
            "QUERY_TOO_COMPLEX"
        );
        assert_eq!(
            classify(r#"Variable "$x" is not defined"#, false),
            "BAD_USER_INPUT"
        );
        assert_eq!(
            classify(r#"Unknown field "nope" on type "Dataset""#, false),
            "GRAPHQL_VALIDATION_FAILED"
        );
    }
}

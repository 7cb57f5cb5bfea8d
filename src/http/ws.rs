//! `/graphql/ws`: subscriptions over WebSocket: `graphql-transport-ws` (served by
//! [`super::transport_ws`], with the protocol's close codes) and the legacy `graphql-ws`
//! (async-graphql's loop over [`transport_ws::Operations`], so both protocols charge, time
//! and refuse operations alike). The token goes in the connection-init payload
//! (`{"Authorization": "Bearer …"}` or `{"token": "…"}`); without one the connection is
//! anonymous, with a bad one it is refused (close 4403).

use std::net::SocketAddr;

use async_graphql::Data;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::http::WebSocketProtocols;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::Extension;
use axum::extract::{ConnectInfo, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use serde::Deserialize;

use super::{client_address, transport_ws};
use crate::AppState;
use crate::auth;
use crate::error::ApiError;
use crate::graphql::context::{self, Lifetime};

/// Read and write buffer of each WebSocket, bytes.
const WS_BUFFER: usize = 4 << 10;
/// Most a WebSocket may have waiting to be written (a client not reading), bytes; past it
/// writes fail and the connection ends.
const WS_MAX_WRITE_BUFFER: usize = 1 << 20;

pub async fn ws(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    legacy: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    // `GraphQLProtocol` has refused a request without a GraphQL subprotocol (400); this says
    // which one it is.
    let Some(protocol) = protocol_of(&headers) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    // Shutting down: the client should connect to another instance.
    if state.lifecycle.is_stopping() {
        return stopping();
    }
    let address = client_address(&state, &headers, peer.map(|p| p.0.0));
    // One client address holds at most so many connections; the place is kept while it lives.
    let max = state.config.ws.max_per_address;
    let Some(place) = state.live.take(format!("addr:{address}"), max) else {
        return too_many(format!(
            "this address has {max} WebSocket connections open, the most allowed; close one or retry later"
        ));
    };
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        // Subscription messages are small and a server holds thousands of sockets: 4 KiB
        // buffers, which grow for a larger message, instead of 128 KiB each.
        .read_buffer_size(WS_BUFFER)
        .write_buffer_size(WS_BUFFER)
        .max_write_buffer_size(WS_MAX_WRITE_BUFFER)
        .on_upgrade(move |stream| {
            let lifecycle = state.lifecycle.clone();
            lifecycle.track(async move {
                let _place = place;
                let stop = state.lifecycle.token();
                match protocol {
                    WebSocketProtocols::GraphQLWS => {
                        let settings = state.config.ws;
                        let init_state = state.clone();
                        let init: transport_ws::Init = Box::new(move |payload| {
                            Box::pin(async move {
                                connection_data(&init_state, payload, address)
                                    .await
                                    .map_err(|r| (r.close_code(), r.to_string()))
                            })
                        });
                        transport_ws::serve(stream, state, settings, init, stop).await
                    }
                    _ => {
                        // The legacy protocol's loop is async-graphql's: its input ends at shutdown,
                        // and then this closes with 1001.
                        let (mut sink, input) = stream.split();
                        let input = input.take_until(stop.cancelled_owned());
                        GraphQLWebSocket::new_with_pair(
                            &mut sink,
                            input,
                            transport_ws::Operations(state.clone()),
                            legacy,
                        )
                        .on_connection_init(move |payload| async move {
                            connection_data(&state, payload, address)
                                .await
                                .map_err(Refusal::into_graphql)
                        })
                        .serve()
                        .await;
                        let _ = sink.send(transport_ws::going_away()).await;
                        let _ = sink.close().await;
                    }
                }
            })
        })
        .into_response()
}

/// `503` with `Retry-After` for an upgrade during shutdown.
fn stopping() -> Response {
    let body = serde_json::json!({ "errors": [{
        "message": "this server is shutting down; connect again (to another instance)",
        "extensions": { "code": crate::error::UNAVAILABLE }
    }]});
    let mut r = (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
    r.headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    r
}

/// `429` with `Retry-After` and a coded JSON error.
fn too_many(message: String) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": "TOO_MANY_REQUESTS" } }]
    });
    let mut r = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
    r.headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
    r
}

/// The first GraphQL subprotocol the client offers.
fn protocol_of(headers: &HeaderMap) -> Option<WebSocketProtocols> {
    headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)?
        .to_str()
        .ok()?
        .split(',')
        .find_map(|p| p.trim().parse().ok())
}

/// Why a connection is refused at `connection_init`.
#[derive(Debug, thiserror::Error)]
enum Refusal {
    /// The payload is not understood.
    #[error("{0}")]
    BadPayload(String),
    /// The token is unknown or revoked (or it could not be checked).
    #[error("{}", .0.message())]
    Token(ApiError),
    /// This server runs no subscriptions.
    #[error("subscriptions are not running on this server")]
    NoHub,
    /// The token's account holds the most connections allowed.
    #[error("Too many connections for this token (at most {0})")]
    TooManyForToken(usize),
}

impl Refusal {
    /// The `graphql-transport-ws` close code.
    fn close_code(&self) -> u16 {
        match self {
            Refusal::BadPayload(_) => 4400,
            Refusal::Token(e) if matches!(e.code(), "UNAUTHENTICATED" | "FORBIDDEN") => 4403,
            Refusal::Token(_) => 1011,
            Refusal::NoHub => 1011,
            // Try again later: client libraries retry with a back-off.
            Refusal::TooManyForToken(_) => 1013,
        }
    }
}

impl Refusal {
    /// The error the legacy protocol sends (with its code).
    fn into_graphql(self) -> async_graphql::Error {
        match self {
            Refusal::Token(e) => e.into(),
            Refusal::BadPayload(m) => ApiError::bad_input(m).into(),
            Refusal::NoHub => async_graphql::Error::new(Refusal::NoHub.to_string()),
            Refusal::TooManyForToken(max) => {
                ApiError::TooManyRequests(Refusal::TooManyForToken(max).to_string()).into()
            }
        }
    }
}

/// The `connection_init` payload: the token as an `Authorization` header value (either
/// spelling of the key) or bare as `token`. Other keys are ignored; no payload is anonymous.
#[derive(Debug, Default, Deserialize)]
struct InitPayload {
    #[serde(rename = "Authorization")]
    authorization: Option<String>,
    #[serde(rename = "authorization")]
    authorization_lower: Option<String>,
    token: Option<String>,
}

impl InitPayload {
    fn parse(payload: serde_json::Value) -> Result<Self, Refusal> {
        if payload.is_null() {
            return Ok(InitPayload::default());
        }
        serde_json::from_value(payload).map_err(|e| {
            Refusal::BadPayload(format!(
                "the connection_init payload is not understood: {e}"
            ))
        })
    }

    /// The `Authorization` header it amounts to.
    fn header(self) -> Option<String> {
        self.authorization
            .or(self.authorization_lower)
            .or_else(|| self.token.map(|t| format!("Bearer {t}")))
    }
}

async fn connection_data(
    state: &AppState,
    payload: serde_json::Value,
    address: String,
) -> Result<Data, Refusal> {
    let token = InitPayload::parse(payload)?.header();
    let viewer = auth::authenticate(&state.db, token.as_deref())
        .await
        .map_err(Refusal::Token)?;
    if state.hub.is_none() {
        return Err(Refusal::NoHub);
    }
    let mut data = Data::default();
    // One account holds at most so many connections; the place is kept in the session.
    if let Some(actor) = viewer.actor() {
        let max = state.config.ws.max_per_token;
        let place = state
            .live
            .take(format!("account:{}", actor.account_id), max)
            .ok_or(Refusal::TooManyForToken(max))?;
        data.insert(place);
    }
    context::fill(
        &mut data,
        state,
        viewer,
        Some(address),
        Lifetime::Connection,
    );
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::InitPayload;
    use serde_json::json;

    fn header(v: serde_json::Value) -> Option<String> {
        InitPayload::parse(v).unwrap().header()
    }

    #[test]
    fn the_token_is_read_from_either_key_or_bare() {
        assert_eq!(
            header(json!({ "Authorization": "Bearer a" })).as_deref(),
            Some("Bearer a")
        );
        assert_eq!(
            header(json!({ "authorization": "Bearer b" })).as_deref(),
            Some("Bearer b")
        );
        assert_eq!(
            header(json!({ "token": "c", "other": 1 })).as_deref(),
            Some("Bearer c")
        );
        assert_eq!(
            header(json!({ "Authorization": "Bearer a", "token": "c" })).as_deref(),
            Some("Bearer a")
        );
        assert_eq!(header(json!({})), None);
        assert_eq!(header(serde_json::Value::Null), None);
        assert!(InitPayload::parse(json!({ "token": 5 })).is_err());
        assert!(InitPayload::parse(json!("Bearer x")).is_err());
    }
}

//! `/graphql/ws`: subscriptions over WebSocket, `graphql-transport-ws` and the legacy `graphql-ws`.
//! The token goes in the connection-init payload (`{"Authorization": "Bearer …"}` or
//! `{"token": "…"}`); without one the connection is anonymous, with a bad one it is refused.

use std::net::SocketAddr;

use async_graphql::Data;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::Extension;
use axum::extract::{ConnectInfo, State, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::client_address;
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
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let schema = state.schema.clone();
    let address = client_address(&state, &headers, peer.map(|p| p.0.0));
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        // Subscription messages are small and a server holds thousands of sockets: 4 KiB
        // buffers, which grow for a larger message, instead of 128 KiB each.
        .read_buffer_size(WS_BUFFER)
        .write_buffer_size(WS_BUFFER)
        .max_write_buffer_size(WS_MAX_WRITE_BUFFER)
        .on_upgrade(move |stream| {
            GraphQLWebSocket::new(stream, schema, protocol)
                .on_connection_init(move |payload| async move {
                    connection_data(&state, payload, address).await
                })
                .serve()
        })
        .into_response()
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
    fn parse(payload: serde_json::Value) -> async_graphql::Result<Self> {
        if payload.is_null() {
            return Ok(InitPayload::default());
        }
        serde_json::from_value(payload).map_err(|e| {
            ApiError::bad_input(format!(
                "the connection_init payload is not understood: {e}"
            ))
            .into()
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
) -> async_graphql::Result<Data> {
    let token = InitPayload::parse(payload)?.header();
    let viewer = auth::authenticate(&state.db, token.as_deref())
        .await
        .map_err(async_graphql::Error::from)?;
    if state.hub.is_none() {
        return Err(async_graphql::Error::new(
            "subscriptions are not running on this server",
        ));
    }
    let mut data = Data::default();
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

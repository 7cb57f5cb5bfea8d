//! `/graphql/ws`: subscriptions over WebSocket, `graphql-transport-ws` and the legacy `graphql-ws`.
//! The token goes in the connection-init payload (`{"Authorization": "Bearer …"}` or
//! `{"token": "…"}`); without one the connection is anonymous, with a bad one it is refused.

use async_graphql::Data;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::{State, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::auth;
use crate::graphql::loaders::loaders;

pub async fn ws(
    State(state): State<AppState>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let schema = state.schema.clone();
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |stream| {
            GraphQLWebSocket::new(stream, schema, protocol)
                .on_connection_init(
                    move |payload| async move { connection_data(&state, payload).await },
                )
                .serve()
        })
        .into_response()
}

async fn connection_data(
    state: &AppState,
    payload: serde_json::Value,
) -> async_graphql::Result<Data> {
    let token = ["Authorization", "authorization"]
        .iter()
        .find_map(|k| payload.get(*k).and_then(|v| v.as_str()).map(String::from))
        .or_else(|| {
            payload
                .get("token")
                .and_then(|v| v.as_str())
                .map(|t| format!("Bearer {t}"))
        });
    let viewer = auth::authenticate(&state.db, token.as_deref())
        .await
        .map_err(async_graphql::Error::from)?;
    let hub = state
        .hub
        .clone()
        .ok_or_else(|| async_graphql::Error::new("subscriptions are not running on this server"))?;
    // Long-lived connection: no loader cache, so every event is read fresh.
    let l = loaders(state.db.clone(), state.clock.today_seoul());
    l.enable_all_cache(false);
    let mut data = Data::default();
    data.insert(state.db.clone());
    data.insert(state.catalog.clone());
    data.insert(l);
    data.insert(state.clock.clone());
    data.insert(state.deadlines.as_ref().clone());
    data.insert(viewer);
    data.insert(hub);
    Ok(data)
}

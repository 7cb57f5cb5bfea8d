//! The `graphql-transport-ws` protocol, written out so that every rule of it holds, with the
//! close codes the `graphql-ws` client library decides on (whether to retry, whether to ask for
//! a new token):
//!
//! | close | when |
//! |---|---|
//! | 4400 | a message that is not JSON, of an unknown type or without its fields |
//! | 4401 | `subscribe` before the connection was acknowledged |
//! | 4403 | `connection_init` refused (a revoked or unknown token) |
//! | 4408 | no `connection_init` within the wait (`init_wait`) |
//! | 4409 | `subscribe` with the id of an operation still running |
//! | 4429 | a second `connection_init` |
//! | 1011 | the server cannot go on (subscriptions not running here) |
//! | 1001 | the server is shutting down (going away): reconnect and resume from the last cursor |
//!
//! Reasons are short (a close frame holds 123 bytes of them). The server pings every
//! `keep_alive` ([`crate::config::WsSettings`]) and answers pings with pongs. One connection
//! runs at most `max_operations` operations at once; one more is refused with an `error`
//! message coded `TOO_MANY_REQUESTS` (the others go on). Each operation runs as a task of its
//! own; `complete` from the client stops it, and its end sends `complete`.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{Data, Executor};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures::stream::BoxStream;
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::time_limit;
use crate::AppState;
use crate::config::WsSettings as Settings;
use crate::graphql::context::ClientAddress;

/// What arrived from the client.
enum Incoming {
    /// The client closed the connection (or it broke).
    Closed,
    /// Nothing to act on (WebSocket-level pings, answered by the WebSocket layer).
    Nothing,
    Message(ClientMessage),
}

/// A message from the client.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientMessage {
    ConnectionInit {
        #[serde(default)]
        payload: Option<Value>,
    },
    Ping {},
    Pong {},
    Subscribe {
        id: String,
        payload: SubscribePayload,
    },
    Complete {
        id: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SubscribePayload {
    query: String,
    #[serde(default)]
    operation_name: Option<String>,
    #[serde(default)]
    variables: Option<serde_json::Map<String, Value>>,
}

/// Why a connection is closed by the server.
struct Close(u16, String);

impl Close {
    fn frame(self) -> Message {
        // A close frame's reason holds at most 123 bytes: cut at a character boundary.
        let mut reason = self.1;
        if reason.len() > 123 {
            let mut end = 120;
            while !reason.is_char_boundary(end) {
                end -= 1;
            }
            reason.truncate(end);
            reason.push('…');
            while reason.len() > 123 {
                reason.pop();
            }
        }
        Message::Close(Some(CloseFrame {
            code: self.0,
            reason: Utf8Bytes::from(reason),
        }))
    }
}

/// What an operation's task sends back to the connection.
enum Outgoing {
    /// A message for the client.
    Send(Value),
    /// The operation `id` (the `n`th started) ended: its `complete` or `error` was sent.
    Ended(String, u64),
}

/// Builds the connection's session from the `connection_init` payload (the token), or says why
/// it is refused: `Err((code, message))`.
pub type Init = Box<
    dyn FnOnce(Value) -> futures::future::BoxFuture<'static, Result<Data, (u16, String)>> + Send,
>;

/// The reason of a 1001 close.
const GOING_AWAY: &str = "server shutting down; reconnect and resume";

/// The close frame sent when the server shuts down: 1001, going away.
pub fn going_away() -> Message {
    Close(1001, GOING_AWAY.into()).frame()
}

/// Serves one `graphql-transport-ws` connection until either side closes it, or `stop` is
/// cancelled (shutdown), which closes it with 1001.
pub async fn serve(
    socket: WebSocket,
    state: AppState,
    settings: Settings,
    init: Init,
    stop: tokio_util::sync::CancellationToken,
) {
    let (mut sink, mut stream) = socket.split();
    let result = run(&mut sink, &mut stream, state, settings, init, &stop).await;
    if let Err(close) = result {
        let _ = sink.send(close.frame()).await;
    }
    let _ = sink.close().await;
}

async fn run(
    sink: &mut futures::stream::SplitSink<WebSocket, Message>,
    stream: &mut futures::stream::SplitStream<WebSocket>,
    state: AppState,
    settings: Settings,
    init: Init,
    stop: &tokio_util::sync::CancellationToken,
) -> Result<(), Close> {
    let going_away = || Close(1001, GOING_AWAY.into());
    // Until `connection_init`: nothing else is allowed, and the wait is bounded.
    let session = {
        let deadline = tokio::time::sleep(settings.init_wait);
        tokio::pin!(deadline);
        loop {
            let msg = tokio::select! {
                _ = &mut deadline => {
                    return Err(Close(4408, "Connection initialisation timeout".into()));
                }
                _ = stop.cancelled() => return Err(going_away()),
                msg = stream.next() => msg,
            };
            match parse(msg)? {
                Incoming::Closed => return Ok(()),
                Incoming::Nothing => {}
                Incoming::Message(ClientMessage::ConnectionInit { payload }) => {
                    let data = init(payload.unwrap_or(Value::Null))
                        .await
                        .map_err(|(code, m)| Close(code, m))?;
                    send(sink, json!({ "type": "connection_ack" })).await?;
                    break Arc::new(data);
                }
                Incoming::Message(ClientMessage::Ping {}) => {
                    send(sink, json!({ "type": "pong" })).await?
                }
                Incoming::Message(ClientMessage::Pong {}) => {}
                Incoming::Message(ClientMessage::Subscribe { .. }) => {
                    return Err(Close(4401, "Unauthorized".into()));
                }
                Incoming::Message(ClientMessage::Complete { .. }) => {}
            }
        }
    };

    let (tx, mut rx) = mpsc::channel::<Outgoing>(64);
    // Running operations by id, each with its start number: a client may complete an id and
    // reuse it before the first task's end arrives, which must not end the second.
    let mut running: HashMap<String, (u64, tokio::task::AbortHandle)> = HashMap::new();
    let mut started = 0u64;
    let mut ping = tokio::time::interval(settings.keep_alive);
    ping.tick().await;
    let outcome = loop {
        tokio::select! {
            msg = stream.next() => {
                let msg = match parse(msg) {
                    Ok(Incoming::Message(m)) => m,
                    Ok(Incoming::Nothing) => continue,
                    Ok(Incoming::Closed) => break Ok(()),
                    Err(close) => break Err(close),
                };
                match msg {
                    ClientMessage::ConnectionInit { .. } => {
                        break Err(Close(4429, "Too many initialisation requests".into()));
                    }
                    ClientMessage::Ping {} => {
                        if let Err(c) = send(sink, json!({ "type": "pong" })).await {
                            break Err(c);
                        }
                    }
                    ClientMessage::Pong {} => {}
                    ClientMessage::Subscribe { id, payload } => {
                        if running.contains_key(&id) {
                            break Err(Close(4409, format!("Subscriber for {id} already exists")));
                        }
                        if running.len() >= settings.max_operations {
                            let refusal = json!({ "type": "error", "id": id, "payload": [{
                                "message": format!(
                                    "a connection runs at most {} operations at once; complete one first",
                                    settings.max_operations
                                ),
                                "extensions": { "code": "TOO_MANY_REQUESTS" }
                            }]});
                            if let Err(c) = send(sink, refusal).await {
                                break Err(c);
                            }
                            continue;
                        }
                        started += 1;
                        let handle =
                            start(&state, session.clone(), (id.clone(), started), payload, tx.clone());
                        running.insert(id, (started, handle));
                    }
                    ClientMessage::Complete { id } => {
                        if let Some((_, h)) = running.remove(&id) {
                            h.abort();
                        }
                    }
                }
            }
            out = rx.recv() => {
                match out {
                    Some(Outgoing::Send(v)) => {
                        if let Err(c) = send(sink, v).await {
                            break Err(c);
                        }
                    }
                    Some(Outgoing::Ended(id, n)) if running.get(&id).is_some_and(|(m, _)| *m == n) => {
                        running.remove(&id);
                    }
                    Some(Outgoing::Ended(..)) => {}
                    None => {}
                }
            }
            _ = stop.cancelled() => break Err(going_away()),
            _ = ping.tick() => {
                if let Err(c) = send(sink, json!({ "type": "ping" })).await {
                    break Err(c);
                }
            }
        }
    };
    for (_, (_, h)) in running {
        h.abort();
    }
    outcome
}

/// Runs one operation as a task: each result as `next` (or the request's errors as `error`),
/// then `complete`.
fn start(
    state: &AppState,
    session: Arc<Data>,
    (id, n): (String, u64),
    payload: SubscribePayload,
    tx: mpsc::Sender<Outgoing>,
) -> tokio::task::AbortHandle {
    let mut req = async_graphql::Request::new(payload.query);
    if let Some(vars) = payload.variables {
        req = req.variables(async_graphql::Variables::from_json(Value::Object(vars)));
    }
    if let Some(name) = payload.operation_name {
        req = req.operation_name(name);
    }
    let mut results = operation(state, session, req);
    tokio::spawn(async move {
        let mut ended_by_error = false;
        while let Some(resp) = results.next().await {
            let request_error = !resp.errors.is_empty()
                && resp.data == async_graphql::Value::Null
                && resp.errors.iter().all(|e| e.path.is_empty());
            let msg = if request_error {
                ended_by_error = true;
                json!({ "type": "error", "id": id, "payload": resp.errors })
            } else {
                json!({ "type": "next", "id": id, "payload": resp })
            };
            if tx.send(Outgoing::Send(msg)).await.is_err() {
                return;
            }
            if ended_by_error {
                break;
            }
        }
        if !ended_by_error {
            let _ = tx
                .send(Outgoing::Send(json!({ "type": "complete", "id": id })))
                .await;
        }
        let _ = tx.send(Outgoing::Ended(id, n)).await;
    })
    .abort_handle()
}

/// One operation over a WebSocket, in either protocol: parsed once and charged to the caller's
/// budget like a request over HTTP (a refusal is the stream's only answer); queries and mutations
/// stop at the request time limit and carry `extensions.rateLimit`, subscriptions run on.
pub(super) fn operation(
    state: &AppState,
    session: Arc<Data>,
    mut req: async_graphql::Request,
) -> BoxStream<'static, async_graphql::Response> {
    let (subscription, charged) = match prepare(state, &session, &mut req) {
        Err(refusal) => return futures::stream::once(async move { *refusal }).boxed(),
        Ok(prepared) => prepared,
    };
    let results = state.schema.execute_stream(req, Some(session));
    if subscription {
        return results;
    }
    let limit = state.config.request_timeout;
    let started = std::time::Instant::now();
    futures::stream::unfold(Some(results), move |results| async move {
        let mut results = results?;
        match tokio::time::timeout(limit, results.next()).await {
            Ok(None) => None,
            Ok(Some(resp)) => Some((crate::rate_limit::annotate(resp, charged), Some(results))),
            // Past the limit the operation is dropped, and the stream ends after saying so.
            Err(_) => Some((
                crate::rate_limit::annotate(
                    time_limit::timed_out(limit, started.elapsed()),
                    charged,
                ),
                None,
            )),
        }
    })
    .boxed()
}

/// The executor of the legacy `graphql-ws` protocol (async-graphql's loop): every operation goes
/// through [`operation`], as in `graphql-transport-ws`.
#[derive(Clone)]
pub(super) struct Operations(pub AppState);

impl Executor for Operations {
    async fn execute(&self, request: async_graphql::Request) -> async_graphql::Response {
        let session = Arc::new(Data::default());
        operation(&self.0, session, request)
            .next()
            .await
            .unwrap_or_default()
    }

    fn execute_stream(
        &self,
        request: async_graphql::Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, async_graphql::Response> {
        operation(&self.0, session_data.unwrap_or_default(), request)
    }
}

/// Prepares an operation ([`crate::graphql::codes::Coded::prepare`]) and charges it to the
/// connection's caller: whether it is a subscription and the caller's figures, or the answer
/// refusing it.
fn prepare(
    state: &AppState,
    session: &Data,
    req: &mut async_graphql::Request,
) -> Result<(bool, Option<crate::rate_limit::Status>), Box<async_graphql::Response>> {
    use async_graphql::parser::types::OperationType;
    let prepared = state.schema.prepare(req)?;
    let get = |id: std::any::TypeId| session.get(&id);
    let viewer = get(std::any::TypeId::of::<crate::auth::Viewer>())
        .and_then(|v| v.downcast_ref::<crate::auth::Viewer>())
        .cloned()
        .unwrap_or_default();
    let address = get(std::any::TypeId::of::<ClientAddress>())
        .and_then(|a| a.downcast_ref::<ClientAddress>())
        .map_or("unknown", |a| a.0.as_str());
    let charged = state
        .rate_limit
        .admit(&viewer, address, prepared.cost, &mut req.data)?;
    Ok((prepared.operation == OperationType::Subscription, charged))
}

/// Sends one JSON message; a failed write ends the connection.
async fn send(
    sink: &mut futures::stream::SplitSink<WebSocket, Message>,
    v: Value,
) -> Result<(), Close> {
    sink.send(Message::Text(Utf8Bytes::from(v.to_string())))
        .await
        .map_err(|_| Close(1011, "write failed".into()))
}

/// What the client sent; 4400 for anything that is not a message of the protocol.
fn parse(msg: Option<Result<Message, axum::Error>>) -> Result<Incoming, Close> {
    let text = match msg {
        None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return Ok(Incoming::Closed),
        Some(Ok(Message::Text(t))) => t,
        Some(Ok(Message::Binary(_))) => {
            return Err(Close(4400, "Binary messages are not supported".into()));
        }
        Some(Ok(Message::Ping(_) | Message::Pong(_))) => return Ok(Incoming::Nothing),
    };
    serde_json::from_str::<ClientMessage>(&text)
        .map(Incoming::Message)
        .map_err(|e| Close(4400, format!("Invalid message: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_fit_a_close_frame() {
        let long = "가".repeat(100);
        let Message::Close(Some(f)) = Close(4400, long).frame() else {
            panic!("not a close frame")
        };
        assert!(f.reason.len() <= 123, "{}", f.reason.len());
        assert!(f.reason.as_str().ends_with('…'));
    }

    #[test]
    fn messages_parse_by_type() {
        let m = |s: &str| parse(Some(Ok(Message::Text(Utf8Bytes::from(s.to_string())))));
        assert!(matches!(
            m(r#"{"type":"connection_init"}"#),
            Ok(Incoming::Message(ClientMessage::ConnectionInit {
                payload: None
            }))
        ));
        assert!(matches!(
            m(r#"{"type":"subscribe","id":"1","payload":{"query":"{ __typename }"}}"#),
            Ok(Incoming::Message(ClientMessage::Subscribe { .. }))
        ));
        for bad in [
            "not json",
            r#"{"type":"nope"}"#,
            r#"{"type":"subscribe","id":"1"}"#,
            r#"{"id":"1"}"#,
        ] {
            assert!(matches!(m(bad), Err(Close(4400, _))), "{bad}");
        }
    }
}

//! `/graphql` over HTTP, as the GraphQL-over-HTTP specification asks: POST for everything
//! (`Content-Type: application/json`), GET for queries only; the answer's media type negotiated
//! from `Accept` (`application/graphql-response+json` or `application/json`, the latter when
//! `Accept` is absent or `*/*`); every error, the transport's included, a JSON GraphQL error
//! with `extensions.code`.
//!
//! Statuses: a request that cannot be executed at all (a body that is not JSON, a document that
//! does not parse or validate, variables that do not fit) answers `400` under
//! `application/graphql-response+json` and `200` under `application/json` (the specification's
//! rule for legacy clients), and in both without a `data` entry; an overload `503` with
//! `Retry-After`; a request stopped at the time limit `504` ([`super::time_limit`]); one over
//! its caller's budget `429` with `Retry-After` ([`crate::rate_limit`], charged before it runs;
//! every answer carries the caller's figures in `extensions.rateLimit`); a bad token `401`;
//! anything executed `200`, partial results included.
//!
//! Caching: a successful GET query carries a validator and is revalidated to `304` without
//! running (nor being charged; [`super::cache`]); every other answer, POSTs and errors, is
//! `no-store`. Automatic persisted queries ([`super::persisted`]) resolve a hash into its
//! document before anything else looks at the request, so a GET by hash is validated like the
//! document itself.

use std::net::SocketAddr;

use async_graphql::Executor;
use async_graphql::parser::types::OperationType;
use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::persisted::{self, PersistedQuery};
use super::{cache, client_address};
use crate::AppState;
use crate::auth::{self, Viewer};
use crate::graphql::context::{self, Lifetime};

/// The largest request body accepted, in bytes (`413` beyond).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Seconds a client is asked to wait after an overload (`Retry-After`).
const RETRY_AFTER_SECS: &str = "1";

/// The media type of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    /// `application/graphql-response+json`: request errors are `400`.
    GraphqlResponse,
    /// `application/json`: every GraphQL answer is `200`.
    Json,
}

impl Media {
    const GRAPHQL_RESPONSE: &'static str = "application/graphql-response+json";
    const JSON: &'static str = "application/json";

    fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Media::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Media::Json => "application/json; charset=utf-8",
        })
    }

    /// The media type `Accept` asks for, by preference (`q`), `application/json` when it is
    /// absent or accepts anything; None when it accepts neither.
    pub fn negotiate(headers: &HeaderMap) -> Option<Media> {
        let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
            return Some(Media::Json);
        };
        if accept.trim().is_empty() {
            return Some(Media::Json);
        }
        let mut best: Option<(f32, Media)> = None;
        for item in accept.split(',') {
            let mut parts = item.split(';');
            let range = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let media = match range.as_str() {
                Self::GRAPHQL_RESPONSE => Media::GraphqlResponse,
                Self::JSON | "application/*" | "*/*" => Media::Json,
                _ => continue,
            };
            // On a tie the specification's own type wins over plain JSON.
            let better = match best {
                None => true,
                Some((bq, bm)) => {
                    q > bq || (q == bq && media == Media::GraphqlResponse && bm != media)
                }
            };
            if q > 0.0 && better {
                best = Some((q, media));
            }
        }
        best.map(|(_, m)| m)
    }
}

/// An error answered before any GraphQL runs: a JSON GraphQL error with a code.
fn transport_error(status: StatusCode, media: Media, code: &str, message: String) -> Response {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, media.content_type());
    r
}

/// Whether the request failed before execution (nothing ran, so there is no `data`): every
/// error is a request error, none belongs to a field.
fn is_request_error(resp: &async_graphql::Response) -> bool {
    !resp.errors.is_empty()
        && resp.data == async_graphql::Value::Null
        && resp.errors.iter().all(|e| e.path.is_empty())
}

/// The HTTP answer of a GraphQL response (see the module's statuses).
fn answer(resp: async_graphql::Response, media: Media) -> Response {
    let overloaded = resp.errors.iter().any(|e| {
        e.extensions
            .as_ref()
            .and_then(|x| x.get("code"))
            .is_some_and(|c| *c == async_graphql::Value::from(crate::error::UNAVAILABLE))
    });
    let timed_out = super::time_limit::is_timeout(&resp);
    let request_error = is_request_error(&resp);
    let body = if request_error {
        let mut v = json!({ "errors": resp.errors });
        if !resp.extensions.is_empty() {
            v["extensions"] = json!(resp.extensions);
        }
        v.to_string()
    } else {
        serde_json::to_string(&resp).unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot serialize a GraphQL response");
            r#"{"errors":[{"message":"internal error; it has been logged","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}"#.into()
        })
    };
    let rate_limited = resp.errors.iter().any(|e| {
        e.extensions
            .as_ref()
            .and_then(|x| x.get("code"))
            .is_some_and(|c| *c == async_graphql::Value::from(crate::rate_limit::RATE_LIMITED))
    });
    let status = if overloaded {
        StatusCode::SERVICE_UNAVAILABLE
    } else if rate_limited {
        StatusCode::TOO_MANY_REQUESTS
    } else if timed_out {
        StatusCode::GATEWAY_TIMEOUT
    } else if request_error && media == Media::GraphqlResponse {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let mut r = (status, body).into_response();
    let headers = r.headers_mut();
    headers.insert(header::CONTENT_TYPE, media.content_type());
    if overloaded {
        headers.insert(
            header::RETRY_AFTER,
            HeaderValue::from_static(RETRY_AFTER_SECS),
        );
    }
    headers.extend(resp.http_headers);
    r
}

/// The caller from the `Authorization` header, or the error response to send instead.
async fn viewer_of(
    state: &AppState,
    headers: &HeaderMap,
    media: Media,
) -> Result<Viewer, Response> {
    let header = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok());
    auth::authenticate(&state.db, header).await.map_err(|e| {
        // The token cannot be checked while the database is down: `503`, not `401`.
        if e.code() == crate::error::UNAVAILABLE {
            let mut r = transport_error(
                StatusCode::SERVICE_UNAVAILABLE,
                media,
                e.code(),
                e.message(),
            );
            r.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECS),
            );
            return r;
        }
        transport_error(StatusCode::UNAUTHORIZED, media, e.code(), e.message())
    })
}

/// Whether `Content-Type` is JSON (`application/json`, any parameters).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
}

/// Why a request is refused before any GraphQL runs: status, code, message.
struct Refused(StatusCode, &'static str, String);

impl Refused {
    fn answer(self, media: Media) -> Response {
        transport_error(self.0, media, self.1, self.2)
    }
}

/// The GraphQL request of a POST body and its persisted query, or why not.
fn request_of_body(
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(async_graphql::Request, Option<PersistedQuery>), Refused> {
    if !is_json(headers) {
        let given = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("none");
        return Err(Refused(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            format!("send the request as JSON with Content-Type: application/json (got {given})"),
        ));
    }
    let not_a_request = |e: &dyn std::fmt::Display| {
        Refused(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            format!(
                "the body is not a GraphQL request: {e} (expected JSON such as {{\"query\": \"{{ __typename }}\", \"variables\": {{}}}})"
            ),
        )
    };
    let p = serde_json::from_slice::<Params>(body).map_err(|e| not_a_request(&e))?;
    let pq = p.extensions.and_then(|x| x.persisted_query);
    let query = match (p.query, &pq) {
        (Some(q), _) => q,
        // A persisted query's hash stands for its document.
        (None, Some(_)) => String::new(),
        (None, None) => return Err(not_a_request(&"missing field `query`")),
    };
    let pq = pq
        .map(PersistedQuery::from_json)
        .transpose()
        .map_err(Refused::from)?;
    let mut req = async_graphql::Request::new(query);
    if let Some(vars) = p.variables {
        req = req.variables(async_graphql::Variables::from_json(
            serde_json::Value::Object(vars),
        ));
    }
    if let Some(name) = p.operation_name {
        req = req.operation_name(name);
    }
    Ok((req, pq))
}

/// A POST body's GraphQL request: `query` is required unless a persisted query stands for
/// it, `variables` an object or null; of `extensions` only `persistedQuery` is read.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Params {
    #[serde(default)]
    query: Option<String>,
    #[serde(default)]
    operation_name: Option<String>,
    #[serde(default)]
    variables: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    extensions: Option<BodyExtensions>,
}

/// The `extensions` of a POST body.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct BodyExtensions {
    #[serde(default)]
    persisted_query: Option<serde_json::Value>,
}

impl From<persisted::Refusal> for Refused {
    fn from(r: persisted::Refusal) -> Refused {
        Refused(r.status, r.code, r.message)
    }
}

/// The GraphQL request of a GET's query string and its persisted query, or why not.
fn request_of_query(
    uri: &Uri,
) -> Result<(async_graphql::Request, Option<PersistedQuery>), Refused> {
    let mut req = async_graphql::http::parse_query_string(uri.query().unwrap_or_default())
        .map_err(|e| {
            Refused(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                format!(
                    "the query string is not a GraphQL request: {e} (expected ?query=…&variables=…)"
                ),
            )
        })?;
    let pq = req
        .extensions
        .0
        .remove("persistedQuery")
        .map(|v| {
            v.into_json().map_err(|e| persisted::Refusal {
                status: StatusCode::BAD_REQUEST,
                code: "BAD_REQUEST",
                message: format!("extensions.persistedQuery is not JSON: {e}"),
            })
        })
        .transpose()
        .and_then(|v| v.map(PersistedQuery::from_json).transpose())
        .map_err(Refused::from)?;
    Ok((req, pq))
}

/// `/graphql`, GET or POST.
pub async fn serve(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(media) = Media::negotiate(&headers) else {
        return no_store(transport_error(
            StatusCode::NOT_ACCEPTABLE,
            Media::Json,
            "NOT_ACCEPTABLE",
            "answers are application/graphql-response+json or application/json; accept one of them"
                .into(),
        ));
    };
    let get = method == Method::GET;
    let parsed = if get {
        request_of_query(&uri)
    } else {
        let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
            Ok(b) => b,
            Err(_) => {
                return no_store(transport_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    media,
                    "PAYLOAD_TOO_LARGE",
                    format!("the request body is over the limit of {MAX_BODY_BYTES} bytes"),
                ));
            }
        };
        request_of_body(&headers, &body)
    };
    let (mut req, pq) = match parsed {
        Ok(r) => r,
        Err(refused) => return no_store(refused.answer(media)),
    };
    // Automatic persisted queries: the hash's document, or the document checked against it.
    let register = match state.persisted.resolve(&mut req.query, pq) {
        Ok(r) => r,
        Err(refused) => return no_store(Refused::from(refused).answer(media)),
    };
    if req.query.trim().is_empty() {
        return no_store(transport_error(
            StatusCode::BAD_REQUEST,
            media,
            "BAD_REQUEST",
            "the request has no query (send {\"query\": \"…\"}, or ?query=… with GET)".into(),
        ));
    }
    // Parsed once, and refused here when over a document limit or the complexity limit.
    let mut req = req;
    let prepared = match state.schema.prepare(&mut req) {
        Ok(p) => p,
        Err(refusal) => return answer(*refusal, media),
    };
    // GET runs queries only, so links and caches cannot write.
    if get && prepared.operation != OperationType::Query {
        let mut r = transport_error(
            StatusCode::METHOD_NOT_ALLOWED,
            media,
            "METHOD_NOT_ALLOWED",
            "mutations and subscriptions are not allowed over GET; use POST".into(),
        );
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return no_store(r);
    }
    let viewer = match viewer_of(&state, &headers, media).await {
        Ok(v) => v,
        Err(resp) => return no_store(resp),
    };
    // A GET query's validator, from what is known before anything runs (see `cache`).
    let etag = if get {
        match cache::Stamp::now(&state).await {
            Some(stamp) => {
                let tag = validator(&req, &viewer, media, &stamp);
                if cache::matches(&headers, &tag) {
                    return cache::not_modified(&headers, tag);
                }
                Some(tag)
            }
            None => None,
        }
    } else {
        None
    };
    let document = register.map(|h| (h, req.query.clone()));
    let address = client_address(&state, &headers, peer.map(|p| p.0.0));
    // Charged before it runs (429 over budget); the figures go into the answer.
    let charged = match state
        .rate_limit
        .admit(&viewer, &address, prepared.cost, &mut req.data)
    {
        Ok(c) => c,
        Err(refusal) => return answer(*refusal, media),
    };
    context::fill(
        &mut req.data,
        &state,
        viewer,
        Some(address),
        Lifetime::Request,
    );
    let limit = state.config.request_timeout;
    let resp = super::time_limit::within(limit, state.schema.execute(req)).await;
    let resp = crate::rate_limit::annotate(resp, charged);
    if let Some((hash, doc)) = document
        && !is_request_error(&resp)
    {
        state.persisted.register(hash, &doc);
    }
    let ok = resp.errors.is_empty();
    let mut r = answer(resp, media);
    match etag {
        Some(tag) if ok => cache::validated(r.headers_mut(), &headers, tag),
        _ => {
            r.headers_mut()
                .insert(header::CACHE_CONTROL, cache::no_store());
        }
    }
    r
}

/// `Cache-Control: no-store` on an answer.
fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, cache::no_store());
    r
}

/// The validator of a GET query: the document, the operation, the variables, the caller, the
/// media type and the data's stamp with the Seoul date.
fn validator(
    req: &async_graphql::Request,
    viewer: &Viewer,
    media: Media,
    stamp: &cache::Stamp,
) -> HeaderValue {
    let variables = serde_json::to_vec(&req.variables).unwrap_or_default();
    let caller = match viewer {
        Viewer::Anonymous => "anonymous".to_string(),
        Viewer::Account(a) => format!(
            "account:{}:{}:{}",
            a.account_id,
            crate::auth::role_name(&a.role),
            a.institution_id.unwrap_or(0)
        ),
    };
    cache::Tag::new("graphql")
        .part(req.query.as_bytes())
        .part(req.operation_name.as_deref().unwrap_or("").as_bytes())
        .part(&variables)
        .part(caller.as_bytes())
        .part(match media {
            Media::GraphqlResponse => b"graphql-response+json",
            Media::Json => b"json",
        })
        .stamp(stamp, true)
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn accept_chooses_the_media_type() {
        assert_eq!(Media::negotiate(&HeaderMap::new()), Some(Media::Json));
        assert_eq!(Media::negotiate(&accept("*/*")), Some(Media::Json));
        assert_eq!(
            Media::negotiate(&accept("application/json")),
            Some(Media::Json)
        );
        assert_eq!(
            Media::negotiate(&accept("application/graphql-response+json")),
            Some(Media::GraphqlResponse)
        );
        assert_eq!(
            Media::negotiate(&accept(
                "application/graphql-response+json, application/json;q=0.9"
            )),
            Some(Media::GraphqlResponse)
        );
        assert_eq!(
            Media::negotiate(&accept(
                "application/graphql-response+json;q=0.5, application/json"
            )),
            Some(Media::Json)
        );
        assert_eq!(
            Media::negotiate(&accept(
                "application/json, application/graphql-response+json"
            )),
            Some(Media::GraphqlResponse)
        );
        assert_eq!(Media::negotiate(&accept("text/html")), None);
        assert_eq!(Media::negotiate(&accept("application/json;q=0")), None);
    }

    #[test]
    fn an_overload_is_503_with_retry_after_and_anything_else_200() {
        let busy: async_graphql::Error = crate::error::ApiError::from(
            sea_orm::DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout),
        )
        .into();
        let resp = async_graphql::Response::from_errors(vec![
            busy.into_server_error(async_graphql::Pos::default()),
        ]);
        let r = answer(resp, Media::Json);
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()[header::RETRY_AFTER], RETRY_AFTER_SECS);
        let r = answer(
            async_graphql::Response::new(async_graphql::Value::Null),
            Media::Json,
        );
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers().get(header::RETRY_AFTER).is_none());
    }
}

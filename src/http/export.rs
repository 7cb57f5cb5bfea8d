//! `GET /export/datasets.csv` and `GET /export/catalog.jsonld`: any dataset list as CSV or as
//! DCAT-AP JSON-LD, taking the same `filter` (the GraphQL `DatasetFilter` as JSON), `search` and
//! `orderBy` as the `datasets` query.
//!
//! The CSV streams the whole list page by page; the catalog is served in pages (`first`, at most
//! 10,000, and `after`) linked by `hydra:next`. Both carry a validator over their parameters
//! and the data ([`super::cache`]): a repeated export whose data did not move is a `304`,
//! answered without reading a row. (A CSV that fails mid-stream is cut off, so no cache
//! keeps it under its tag.)

use async_graphql::InputType;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::json;

use super::cache;
use crate::AppState;
use crate::domain::datasets::{DatasetQuery, Position};
use crate::error::ApiError;
use crate::export::{self, PAGE_ROWS};
use crate::graphql::ids;
use crate::graphql::types::dataset_list::{
    DatasetFilter, DatasetOrder, check_institution_codes, parse_search,
};

/// Most datasets in one catalog page.
pub const MAX_CATALOG_PAGE: usize = 10_000;

/// Query parameters of both exports. Any other parameter is refused (a misspelt or GraphQL-style
/// `institutionCode=…` would otherwise export the whole inventory unfiltered).
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExportParams {
    /// `DatasetFilter` as JSON, e.g. `{"status":["WITHHELD"]}`.
    filter: Option<String>,
    search: Option<String>,
    order_by: Option<String>,
    /// Catalog page size.
    first: Option<usize>,
    /// Catalog cursor (`hydra:next` carries it).
    after: Option<String>,
}

/// An error response shaped like a GraphQL error, with `extensions.code`.
fn error_response(e: ApiError) -> Response {
    let status = match e.code() {
        "BAD_USER_INPUT" => StatusCode::BAD_REQUEST,
        "NOT_FOUND" => StatusCode::NOT_FOUND,
        crate::error::UNAVAILABLE => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if let ApiError::Internal(inner) = &e {
        tracing::error!(error = ?inner, "export failed");
    }
    let mut r = (
        status,
        axum::Json(
            json!({ "errors": [{ "message": e.message(), "extensions": { "code": e.code() } }] }),
        ),
    )
        .into_response();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    r
}

/// The parameters, or a `BAD_USER_INPUT` naming what was wrong.
fn params(q: Result<Query<ExportParams>, QueryRejection>) -> Result<ExportParams, ApiError> {
    q.map(|Query(p)| p).map_err(|rejection| {
        let detail = rejection.body_text();
        let detail = detail
            .strip_prefix("Failed to deserialize query string: ")
            .unwrap_or(&detail);
        ApiError::bad_input(format!(
            "{detail} (filters go in `filter` as a DatasetFilter in JSON, e.g. \
             filter={{\"institutionCode\":[\"3010000\"]}})"
        ))
    })
}

fn parse_query(p: &ExportParams) -> Result<DatasetQuery, ApiError> {
    let filter = match &p.filter {
        None => DatasetFilter::default(),
        Some(raw) => {
            let json: serde_json::Value = serde_json::from_str(raw)
                .map_err(|e| ApiError::bad_input(format!("filter is not JSON: {e}")))?;
            let value = async_graphql::Value::from_json(json)
                .map_err(|e| ApiError::bad_input(format!("filter is not a DatasetFilter: {e}")))?;
            DatasetFilter::parse(Some(value)).map_err(|e| {
                ApiError::bad_input(format!(
                    "filter is not a DatasetFilter: {}",
                    e.into_server_error(Default::default()).message
                ))
            })?
        }
    };
    let order = match &p.order_by {
        None => DatasetOrder::default(),
        Some(o) => DatasetOrder::parse(Some(async_graphql::Value::Enum(async_graphql::Name::new(
            o.trim(),
        ))))
        .map_err(|_| {
            ApiError::bad_input(format!(
                "orderBy '{o}' is not a DatasetOrder (e.g. ID, TITLE, RELEVANCE)"
            ))
        })?,
    };
    Ok(DatasetQuery {
        filter: filter.to_domain()?,
        search: parse_search(p.search.as_deref())?,
        order: order.into(),
    })
}

/// Refuses a filter naming institution codes that do not exist (as the GraphQL lists do).
async fn known_codes(state: &AppState, q: &DatasetQuery) -> Result<(), ApiError> {
    let snap = state.catalog.read().await?;
    check_institution_codes(&snap, &q.filter)
}

/// The validator of an export (see [`super::cache`]): its parameters as sent, the base URL its
/// links are written from (the catalog's), and the data's stamp; or the `304` when the
/// request's `If-None-Match` already holds it.
async fn validator(
    state: &AppState,
    kind: &str,
    uri: &Uri,
    base: &str,
    headers: &HeaderMap,
) -> Result<Option<HeaderValue>, Response> {
    let Some(stamp) = cache::Stamp::now(state).await else {
        return Ok(None);
    };
    let tag = cache::Tag::new(kind)
        .part(uri.query().unwrap_or("").as_bytes())
        .part(base.as_bytes())
        .stamp(&stamp, false)
        .finish();
    if cache::matches(headers, &tag) {
        return Err(cache::not_modified(headers, tag));
    }
    Ok(Some(tag))
}

/// An export's answer with its caching headers.
fn cacheable(mut r: Response, headers: &HeaderMap, tag: Option<HeaderValue>) -> Response {
    match tag {
        Some(tag) if r.status().is_success() => cache::validated(r.headers_mut(), headers, tag),
        _ => {
            r.headers_mut()
                .insert(header::CACHE_CONTROL, cache::no_store());
        }
    }
    r
}

/// `GET /export/datasets.csv`.
pub async fn csv(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    p: Result<Query<ExportParams>, QueryRejection>,
) -> Response {
    let q = match params(p).and_then(|p| parse_query(&p)) {
        Ok(q) => q,
        Err(e) => return cacheable(error_response(e), &headers, None),
    };
    let tag = match validator(&state, "datasets.csv", &uri, "", &headers).await {
        Ok(t) => t,
        Err(not_modified) => return not_modified,
    };
    if let Err(e) = known_codes(&state, &q).await {
        return cacheable(error_response(e), &headers, None);
    }
    let db = state.db.clone();
    let catalog = state.catalog.clone();
    let stream: futures::stream::BoxStream<'static, Result<Bytes, std::io::Error>> =
        Box::pin(async_stream::try_stream! {
            yield Bytes::from(export::csv::header());
            let mut after: Option<Position> = None;
            loop {
                let (rows, next) = export::next_page(&db, &catalog, &q, after.take(), PAGE_ROWS)
                    .await
                    .map_err(|e| std::io::Error::other(e.to_string()))?;
                yield Bytes::from(export::csv::rows(&rows));
                match next {
                    Some(p) => after = Some(p),
                    None => break,
                }
            }
        });
    let r = (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"datasets.csv\"",
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response();
    cacheable(r, &headers, tag)
}

fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let proto = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("http");
    format!("{proto}://{host}")
}

fn encode_param(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `GET /export/catalog.jsonld`: one page of the DCAT-AP catalog.
pub async fn catalog(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    p: Result<Query<ExportParams>, QueryRejection>,
) -> Response {
    let p = match params(p) {
        Ok(p) => p,
        Err(e) => return cacheable(error_response(e), &headers, None),
    };
    let base = base_url(&headers);
    let tag = match validator(&state, "catalog.jsonld", &uri, &base, &headers).await {
        Ok(t) => t,
        Err(not_modified) => return not_modified,
    };
    match catalog_inner(&state, &base, &p).await {
        Ok(r) => cacheable(r, &headers, tag),
        Err(e) => cacheable(error_response(e), &headers, None),
    }
}

async fn catalog_inner(
    state: &AppState,
    base: &str,
    p: &ExportParams,
) -> Result<Response, ApiError> {
    let q = parse_query(p)?;
    known_codes(state, &q).await?;
    let size = p.first.unwrap_or(PAGE_ROWS);
    if size == 0 || size > MAX_CATALOG_PAGE {
        return Err(ApiError::bad_input(format!(
            "first must be between 1 and {MAX_CATALOG_PAGE}, got {size}"
        )));
    }
    let after: Option<Position> = p.after.as_deref().map(ids::decode_cursor).transpose()?;
    let total = export::count(&state.catalog, &q).await?;
    let (rows, next) = export::next_page(&state.db, &state.catalog, &q, after, size)
        .await
        .map_err(ApiError::from)?;
    let mut common = Vec::new();
    for (k, v) in [
        ("filter", &p.filter),
        ("search", &p.search),
        ("orderBy", &p.order_by),
    ] {
        if let Some(v) = v {
            common.push(format!("{k}={}", encode_param(v)));
        }
    }
    common.push(format!("first={size}"));
    let mut self_params = common.clone();
    if let Some(a) = &p.after {
        self_params.push(format!("after={}", encode_param(a)));
    }
    let self_url = format!("{base}/export/catalog.jsonld?{}", self_params.join("&"));
    let next_url = next.map(|pos| {
        let mut n = common.clone();
        n.push(format!("after={}", ids::encode_cursor(&pos)));
        format!("{base}/export/catalog.jsonld?{}", n.join("&"))
    });
    let doc = export::dcat::catalog_page(base, &self_url, &rows, total, next_url);
    Ok((
        [(header::CONTENT_TYPE, "application/ld+json; charset=utf-8")],
        doc.to_string(),
    )
        .into_response())
}

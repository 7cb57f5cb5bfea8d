//! Talking to the service in tests: GraphQL calls with or without a token, plain GETs, global
//! ids, error codes, URL encoding.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// A GraphQL POST through the router, with `token` as the bearer if given.
pub async fn call(app: &axum::Router, token: Option<&str>, query: &str, vars: Value) -> Value {
    let mut req = Request::post("/graphql").header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let resp = app
        .clone()
        .oneshot(
            req.body(Body::from(
                json!({ "query": query, "variables": vars }).to_string(),
            ))
            .unwrap(),
        )
        .await
        .unwrap();
    serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap()
}

/// The `extensions.code` of a response's first error.
pub fn code(v: &Value) -> Option<&str> {
    v["errors"][0]["extensions"]["code"].as_str()
}

/// The global id of `kind` number `id` (base64url of `Kind:id`, as the API writes them).
pub fn gid(kind: &str, id: i64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{id}"))
}

/// A GET through the router: status, content type and body.
pub async fn get(app: &axum::Router, uri: &str) -> (StatusCode, String, Vec<u8>) {
    send_get(app, Request::get(uri)).await
}

/// A GET through the router with a `Host` header (exports write absolute links from it).
pub async fn get_from(app: &axum::Router, host: &str, uri: &str) -> (StatusCode, String, Vec<u8>) {
    send_get(app, Request::get(uri).header("host", host)).await
}

async fn send_get(
    app: &axum::Router,
    req: axum::http::request::Builder,
) -> (StatusCode, String, Vec<u8>) {
    let resp = app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let ctype = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, ctype, body)
}

/// Percent-encodes everything but the unreserved characters.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A minimal HTTP/1.1 POST of a GraphQL request to a real server at `addr` (one connection,
/// closed after the answer), with `headers` besides the content type: status, headers
/// (lower-case names) and the JSON body.
pub async fn post_http(
    addr: std::net::SocketAddr,
    headers: &[(&str, &str)],
    query: &str,
    vars: Value,
) -> (u16, Vec<(String, String)>, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = json!({ "query": query, "variables": vars }).to_string();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let extra: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    let req = format!(
        "POST /graphql HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status: {out}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let json = serde_json::from_str(body).unwrap_or_else(|_| panic!("bad response: {out}"));
    (status, headers, json)
}

/// The value of header `name` (lower case) among `headers`.
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

//! Caching over HTTP with the headers a browser sends, through the router, on both databases:
//! validators on GET queries and exports that revalidate to `304` without running anything,
//! that move with the data, the Seoul day and the caller (one caller's answer is never
//! revalidated for another), `Cache-Control` and `Vary`; and automatic persisted queries
//! (miss, register, hit by GET, `304` on repeat, a hash that is not the document's).

mod common;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use common::api::{call, gid, urlencode};
use common::backends;
use common::fixture::at;
use common::world::world;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tower::ServiceExt;

const VARY: &str = "Accept, Accept-Encoding, Authorization, Origin";
const LIST: &str = "{ datasets(first: 3) { totalCount nodes { title disclosure { status } } } }";
const CHANGE: &str = "mutation($id: ID!, $v: Int!) { changeDisclosure(input: { datasetId: $id, expectedVersion: $v, status: OPEN }) { disclosure { status version } } }";

/// Sends `req`: status, headers, body.
async fn send(app: &axum::Router, req: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes().to_vec();
    (parts.status, parts.headers, bytes)
}

/// A GET as a browser's `fetch` sends it from a dashboard on another origin, with `extra`
/// headers (e.g. `If-None-Match`, `Authorization`).
fn browser_get(uri: &str, extra: &[(&str, &str)]) -> Request<Body> {
    let mut r = Request::get(uri)
        .header(header::HOST, "inventory.test")
        .header(header::ORIGIN, "https://dashboard.example.org")
        .header(
            header::ACCEPT,
            "application/graphql-response+json, application/json;q=0.9",
        )
        .header(header::ACCEPT_ENCODING, "gzip, deflate")
        .header("sec-fetch-mode", "cors");
    for (k, v) in extra {
        r = r.header(*k, *v);
    }
    r.body(Body::empty()).unwrap()
}

fn query_uri(query: &str, variables: Option<&Value>) -> String {
    let mut uri = format!("/graphql?query={}", urlencode(query));
    if let Some(v) = variables {
        uri.push_str(&format!("&variables={}", urlencode(&v.to_string())));
    }
    uri
}

fn etag(h: &HeaderMap) -> String {
    h.get(header::ETAG)
        .unwrap_or_else(|| panic!("no ETag in {h:?}"))
        .to_str()
        .unwrap()
        .to_string()
}

fn cache_control(h: &HeaderMap) -> &str {
    h.get(header::CACHE_CONTROL)
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(bytes)))
}

/// The Vary values the answer names, over all its `Vary` lines.
fn vary(h: &HeaderMap) -> Vec<String> {
    h.get_all(header::VARY)
        .iter()
        .flat_map(|v| v.to_str().unwrap().split(','))
        .map(|s| s.trim().to_ascii_lowercase())
        .collect()
}

fn assert_cacheable(h: &HeaderMap, private: bool, what: &str) {
    assert!(etag(h).starts_with("W/\""), "{what}: weak tag");
    let want = if private {
        "private, no-cache"
    } else {
        "public, no-cache"
    };
    assert_eq!(cache_control(h), want, "{what}");
    assert!(
        h.get_all(header::VARY).iter().any(|v| v == VARY),
        "{what}: {h:?}"
    );
    for v in ["accept", "accept-encoding", "authorization", "origin"] {
        assert!(vary(h).contains(&v.to_string()), "{what}: Vary {v}");
    }
}

#[tokio::test]
async fn get_queries_revalidate_to_304_without_running() {
    for b in backends().await {
        let w = world(b, at(2026, 11, 2)).await;
        let uri = query_uri(LIST, None);
        let (s, h, body) = send(&w.app, browser_get(&uri, &[])).await;
        assert_eq!(s, StatusCode::OK, "{b:?}");
        assert_cacheable(&h, false, "first GET");
        let tag = etag(&h);
        let first = json_of(&crate::gunzip_if(&h, body));
        assert!(first["data"]["datasets"]["totalCount"].as_u64().unwrap() > 0);

        // The repeat: 304, the same headers, no body.
        let (s, h2, body) = send(&w.app, browser_get(&uri, &[("if-none-match", &tag)])).await;
        assert_eq!(s, StatusCode::NOT_MODIFIED, "{b:?}");
        assert!(body.is_empty(), "304 has no body");
        assert_eq!(etag(&h2), tag);
        assert_cacheable(&h2, false, "304");
        assert!(
            h2.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_some(),
            "CORS"
        );

        // Weak comparison: the strong form and lists match; other tags do not.
        let strong = tag.trim_start_matches("W/").to_string();
        for inm in [strong.clone(), format!("\"nope\", {tag}"), "*".to_string()] {
            let (s, _, _) = send(&w.app, browser_get(&uri, &[("if-none-match", &inm)])).await;
            assert_eq!(s, StatusCode::NOT_MODIFIED, "{b:?} {inm}");
        }
        let (s, _, _) = send(
            &w.app,
            browser_get(&uri, &[("if-none-match", "W/\"nope\"")]),
        )
        .await;
        assert_eq!(s, StatusCode::OK);

        // Nothing runs on a match: a query that fails when it runs is still a 304 under `*`,
        // and is no-store without a tag when it runs.
        let failing = query_uri("{ dataset(id: \"not-an-id\") { title } }", None);
        let (s, h, body) = send(&w.app, browser_get(&failing, &[])).await;
        assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        assert!(h.get(header::ETAG).is_none(), "errors get no validator");
        assert_eq!(cache_control(&h), "no-store");
        let (s, _, body) = send(&w.app, browser_get(&failing, &[("if-none-match", "*")])).await;
        assert_eq!((s, body.len()), (StatusCode::NOT_MODIFIED, 0));

        // The media type is part of the validator.
        let (_, h, _) = send(
            &w.app,
            Request::get(&uri)
                .header(header::ACCEPT, "application/json")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_ne!(etag(&h), tag, "application/json is another representation");
        // So are the variables.
        let vq = "query($n: Int!) { datasets(first: $n) { totalCount } }";
        let (_, h1, _) = send(
            &w.app,
            browser_get(&query_uri(vq, Some(&json!({"n": 1}))), &[]),
        )
        .await;
        let (_, h2, _) = send(
            &w.app,
            browser_get(&query_uri(vq, Some(&json!({"n": 2}))), &[]),
        )
        .await;
        assert_ne!(etag(&h1), etag(&h2));

        // POST answers are never stored.
        let (s, h, _) = send(
            &w.app,
            Request::post("/graphql")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::ORIGIN, "https://dashboard.example.org")
                .body(Body::from(json!({ "query": LIST }).to_string()))
                .unwrap(),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert!(h.get(header::ETAG).is_none());
        assert_eq!(cache_control(&h), "no-store");
        w.t.cleanup().await;
    }
}

/// The body, gunzipped when the answer says gzip.
fn gunzip_if(h: &HeaderMap, body: Vec<u8>) -> Vec<u8> {
    use std::io::Read;
    match h.get(header::CONTENT_ENCODING).map(|v| v.to_str().unwrap()) {
        Some("gzip") => {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&body[..])
                .read_to_end(&mut out)
                .unwrap();
            out
        }
        Some("br") => {
            panic!("brotli answer; the tests accept gzip first")
        }
        _ => body,
    }
}

#[tokio::test]
async fn the_validator_moves_with_the_data_and_the_seoul_day() {
    for b in backends().await {
        // 2026-11-02 10:00 in Seoul.
        let w = world(b, at(2026, 11, 2) + chrono::Duration::hours(1)).await;
        let ds = gid("Dataset", 4);
        let q = "query($id: ID!) { node(id: $id) { ... on Dataset { disclosure { status version } } } }";
        let uri = query_uri(q, Some(&json!({ "id": ds })));
        let get = |inm: Option<String>| {
            let app = w.app.clone();
            let uri = uri.clone();
            async move {
                let extra: Vec<(&str, &str)> = match &inm {
                    Some(t) => vec![("if-none-match", t.as_str())],
                    None => vec![],
                };
                let req = Request::get(&uri);
                let mut req = req.header(header::ORIGIN, "https://dashboard.example.org");
                for (k, v) in extra {
                    req = req.header(k, v);
                }
                send(&app, req.body(Body::empty()).unwrap()).await
            }
        };
        let (s, h, body) = get(None).await;
        assert_eq!(s, StatusCode::OK);
        let before = etag(&h);
        let v = json_of(&body);
        let version = v["data"]["node"]["disclosure"]["version"].as_i64().unwrap();
        assert_eq!(get(Some(before.clone())).await.0, StatusCode::NOT_MODIFIED);

        // A mutation moves it: the old tag gets the new answer.
        let m = call(
            &w.app,
            Some(&w.tokens["officer"]),
            CHANGE,
            json!({ "id": ds, "v": version }),
        )
        .await;
        assert_eq!(
            m["data"]["changeDisclosure"]["disclosure"]["status"], "OPEN",
            "{m}"
        );
        let (s, h, body) = get(Some(before.clone())).await;
        assert_eq!(s, StatusCode::OK, "{b:?}: the data changed");
        assert_eq!(
            json_of(&body)["data"]["node"]["disclosure"]["status"],
            "OPEN"
        );
        let after = etag(&h);
        assert_ne!(after, before);
        assert_eq!(get(Some(after.clone())).await.0, StatusCode::NOT_MODIFIED);

        // Within the Seoul day it holds; past Seoul midnight (15:00 UTC) it moves.
        w.clock
            .set(at(2026, 11, 2) + chrono::Duration::hours(14) + chrono::Duration::minutes(59));
        assert_eq!(get(Some(after.clone())).await.0, StatusCode::NOT_MODIFIED);
        w.clock.set(at(2026, 11, 2) + chrono::Duration::hours(15));
        let (s, h, _) = get(Some(after.clone())).await;
        assert_eq!(s, StatusCode::OK, "{b:?}: a new day in Seoul");
        assert_ne!(etag(&h), after);
        w.t.cleanup().await;
    }
}

#[tokio::test]
async fn one_callers_answer_is_never_revalidated_for_another() {
    for b in backends().await {
        let w = world(b, at(2026, 11, 2)).await;
        let q =
            "{ dataRequests(first: 5) { totalCount nodes { state requester { displayName } } } }";
        let uri = query_uri(q, None);
        let mut tags = Vec::new();
        for who in [
            None,
            Some("officer"),
            Some("other_officer"),
            Some("citizen"),
            Some("other_citizen"),
        ] {
            let auth = who.map(|w2| format!("Bearer {}", w.tokens[w2]));
            let extra: Vec<(&str, &str)> = auth
                .as_deref()
                .map(|a| vec![("authorization", a)])
                .unwrap_or_default();
            let (s, h, body) = send(&w.app, browser_get(&uri, &extra)).await;
            assert_eq!(
                s,
                StatusCode::OK,
                "{who:?}: {}",
                String::from_utf8_lossy(&body)
            );
            assert_cacheable(&h, who.is_some(), &format!("{b:?} {who:?}"));
            tags.push((who, auth, etag(&h)));
        }
        // Anonymous callers share one validator.
        let (_, h, _) = send(&w.app, browser_get(&uri, &[])).await;
        assert_eq!(etag(&h), tags[0].2);
        for (i, (who, auth, _)) in tags.iter().enumerate() {
            for (j, (other, _, tag)) in tags.iter().enumerate() {
                let mut extra = vec![("if-none-match", tag.as_str())];
                if let Some(a) = auth {
                    extra.push(("authorization", a.as_str()));
                }
                let (s, _, _) = send(&w.app, browser_get(&uri, &extra)).await;
                let want = if i == j {
                    StatusCode::NOT_MODIFIED
                } else {
                    StatusCode::OK
                };
                assert_eq!(s, want, "{b:?}: {who:?} with the tag of {other:?}");
            }
        }
        // A bad token is refused, never revalidated.
        let (s, h, _) = send(
            &w.app,
            browser_get(
                &uri,
                &[("authorization", "Bearer inv_nope"), ("if-none-match", "*")],
            ),
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_eq!(cache_control(&h), "no-store");
        w.t.cleanup().await;
    }
}

#[tokio::test]
async fn exports_revalidate_to_304_until_the_data_moves() {
    for b in backends().await {
        let w = world(b, at(2026, 11, 2)).await;
        let filter = urlencode(r#"{"status":["WITHHELD"]}"#);
        for uri in [
            "/export/datasets.csv".to_string(),
            format!("/export/datasets.csv?filter={filter}"),
            "/export/catalog.jsonld?first=2".to_string(),
        ] {
            let (s, h, body) = send(&w.app, browser_get(&uri, &[])).await;
            assert_eq!(s, StatusCode::OK, "{uri}");
            assert!(!body.is_empty());
            assert_cacheable(&h, false, &uri);
            let tag = etag(&h);
            let (s, h2, body) = send(&w.app, browser_get(&uri, &[("if-none-match", &tag)])).await;
            assert_eq!(
                (s, body.len()),
                (StatusCode::NOT_MODIFIED, 0),
                "{b:?} {uri}"
            );
            assert_cacheable(&h2, false, &uri);
            // With a token the answer is private (exports take no caller, so the tag holds).
            let (s, h3, _) = send(
                &w.app,
                browser_get(
                    &uri,
                    &[
                        ("if-none-match", &tag),
                        ("authorization", &format!("Bearer {}", w.tokens["citizen"])),
                    ],
                ),
            )
            .await;
            assert_eq!(s, StatusCode::NOT_MODIFIED);
            assert_cacheable(&h3, true, &uri);
        }
        let tag_of = |uri: &'static str, host: &'static str| {
            let app = w.app.clone();
            async move {
                let (_, h, _) = send(
                    &app,
                    Request::get(uri)
                        .header(header::HOST, host)
                        .body(Body::empty())
                        .unwrap(),
                )
                .await;
                etag(&h)
            }
        };
        // Parameters and the host the catalog's links are written from are part of it.
        let csv = tag_of("/export/datasets.csv", "a.test").await;
        assert_eq!(csv, tag_of("/export/datasets.csv", "b.test").await);
        assert_ne!(
            csv,
            tag_of("/export/datasets.csv?orderBy=TITLE", "a.test").await
        );
        let jsonld = tag_of("/export/catalog.jsonld", "a.test").await;
        assert_ne!(jsonld, tag_of("/export/catalog.jsonld", "b.test").await);

        // A disclosure change moves both.
        let v = call(
            &w.app,
            None,
            "query($id: ID!) { node(id: $id) { ... on Dataset { disclosure { version } } } }",
            json!({ "id": gid("Dataset", 4) }),
        )
        .await;
        let version = v["data"]["node"]["disclosure"]["version"].as_i64().unwrap();
        let m = call(
            &w.app,
            Some(&w.tokens["officer"]),
            CHANGE,
            json!({ "id": gid("Dataset", 4), "v": version }),
        )
        .await;
        assert!(m["errors"].is_null(), "{m}");
        for (uri, old) in [
            ("/export/datasets.csv", &csv),
            ("/export/catalog.jsonld", &jsonld),
        ] {
            let (s, h, _) = send(
                &w.app,
                Request::get(uri)
                    .header(header::HOST, "a.test")
                    .header(header::IF_NONE_MATCH, old.as_str())
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
            assert_eq!(s, StatusCode::OK, "{b:?} {uri}");
            assert_ne!(&etag(&h), old);
        }
        // A refused export is never stored.
        let (s, h, _) = send(
            &w.app,
            browser_get("/export/datasets.csv?institutionCode=1", &[]),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(h.get(header::ETAG).is_none());
        assert_eq!(cache_control(&h), "no-store");
        w.t.cleanup().await;
    }
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

fn pq(hash: &str, version: i64) -> Value {
    json!({ "persistedQuery": { "version": version, "sha256Hash": hash } })
}

fn apq_get(hash: &str, extra: &[(&str, &str)]) -> Request<Body> {
    browser_get(
        &format!(
            "/graphql?extensions={}",
            urlencode(&pq(hash, 1).to_string())
        ),
        extra,
    )
}

fn apq_post(body: Value) -> Request<Body> {
    Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(
            header::ACCEPT,
            "application/graphql-response+json, application/json;q=0.9",
        )
        .body(Body::from(body.to_string()))
        .unwrap()
}

#[tokio::test]
async fn automatic_persisted_queries_miss_register_hit_and_revalidate() {
    for b in backends().await {
        let w = world(b, at(2026, 11, 2)).await;
        let hash = sha256_hex(LIST);

        // Unknown hash: one error Apollo clients recognize, 200 under both media types.
        for accept in ["application/json", "application/graphql-response+json"] {
            let (s, h, body) = send(&w.app, apq_get(&hash, &[("accept", accept)])).await;
            let v = json_of(&gunzip_if(&h, body));
            assert_eq!(s, StatusCode::OK, "{b:?} {accept}: {v}");
            assert_eq!(v["errors"][0]["message"], "PersistedQueryNotFound");
            assert_eq!(
                v["errors"][0]["extensions"]["code"],
                "PERSISTED_QUERY_NOT_FOUND"
            );
            assert!(v.get("data").is_none(), "{v}");
            assert_eq!(cache_control(&h), "no-store");
            assert!(h.get(header::ETAG).is_none());
        }
        let (_, _, body) = send(&w.app, apq_post(json!({ "extensions": pq(&hash, 1) }))).await;
        assert_eq!(
            json_of(&body)["errors"][0]["extensions"]["code"],
            "PERSISTED_QUERY_NOT_FOUND"
        );

        // The document with its hash registers it (and runs).
        let (s, _, body) = send(
            &w.app,
            apq_post(json!({ "query": LIST, "extensions": pq(&hash, 1) })),
        )
        .await;
        let registered = json_of(&body);
        assert_eq!(s, StatusCode::OK, "{registered}");
        assert!(
            registered["data"]["datasets"]["totalCount"]
                .as_u64()
                .unwrap()
                > 0
        );

        // Now the hash alone runs it, by GET with a validator, and by POST.
        let (s, h, body) = send(&w.app, apq_get(&hash, &[])).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(json_of(&gunzip_if(&h, body))["data"], registered["data"]);
        assert_cacheable(&h, false, "APQ GET");
        let tag = etag(&h);
        let (s, _, body) = send(&w.app, apq_get(&hash, &[("if-none-match", &tag)])).await;
        assert_eq!((s, body.len()), (StatusCode::NOT_MODIFIED, 0), "{b:?}");
        let (_, _, body) = send(&w.app, apq_post(json!({ "extensions": pq(&hash, 1) }))).await;
        assert_eq!(json_of(&body)["data"], registered["data"]);

        // A hash that is not the document's.
        let (s, h, body) = send(
            &w.app,
            apq_post(json!({ "query": "{ __typename }", "extensions": pq(&hash, 1) })),
        )
        .await;
        let v = json_of(&body);
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(
            v["errors"][0]["extensions"]["code"],
            "PERSISTED_QUERY_HASH_MISMATCH"
        );
        assert_eq!(cache_control(&h), "no-store");
        // Another version, or no hash at all.
        let (s, _, body) = send(&w.app, apq_post(json!({ "extensions": pq(&hash, 2) }))).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert_eq!(
            json_of(&body)["errors"][0]["extensions"]["code"],
            "BAD_REQUEST"
        );
        let (s, _, body) = send(
            &w.app,
            apq_post(json!({ "extensions": { "persistedQuery": { "version": 1 } } })),
        )
        .await;
        assert_eq!(
            s,
            StatusCode::BAD_REQUEST,
            "{}",
            String::from_utf8_lossy(&body)
        );

        // A document that does not validate is never stored under its hash.
        let bad = "{ noSuchField }";
        let (s, _, _) = send(
            &w.app,
            apq_post(json!({ "query": bad, "extensions": pq(&sha256_hex(bad), 1) })),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let (_, _, body) = send(
            &w.app,
            apq_post(json!({ "extensions": pq(&sha256_hex(bad), 1) })),
        )
        .await;
        assert_eq!(
            json_of(&body)["errors"][0]["extensions"]["code"],
            "PERSISTED_QUERY_NOT_FOUND"
        );

        // A mutation by hash over GET is refused like any other.
        let m = "mutation { signUp(displayName: \"x\") { token } }";
        send(
            &w.app,
            apq_post(json!({ "query": m, "extensions": pq(&sha256_hex(m), 1) })),
        )
        .await;
        let (s, _, _) = send(&w.app, apq_get(&sha256_hex(m), &[])).await;
        assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);

        // A request without query or hash is still refused as before.
        let (s, _, body) = send(&w.app, apq_post(json!({ "variables": {} }))).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let v = json_of(&body);
        assert!(
            v["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("missing field `query`"),
            "{v}"
        );
        w.t.cleanup().await;
    }
}

/// One HTTP/1.1 exchange with a real server over TCP: status, headers (names in lower case),
/// body.
async fn http(addr: std::net::SocketAddr, head: &str, body: &str) -> (u16, HeaderMap, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "{head}\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let mut headers = HeaderMap::new();
    for l in lines {
        let (k, v) = l.split_once(':').unwrap();
        headers.append(
            header::HeaderName::from_bytes(k.trim().to_ascii_lowercase().as_bytes()).unwrap(),
            v.trim().parse().unwrap(),
        );
    }
    (status, headers, body.to_string())
}

#[tokio::test]
async fn a_real_server_revalidates_until_a_mutation_lands() {
    for b in backends().await {
        let t = common::with_fixture(b).await;
        let clock = std::sync::Arc::new(inventory::clock::ManualClock::new(at(2026, 11, 2)));
        let (addr, stop) = common::serve(inventory::AppState::new(t.db.clone(), clock)).await;
        let token = common::officer_token(&t.db, "3010000").await;
        let ds = gid("Dataset", 4);
        let q = "query($id: ID!) { node(id: $id) { ... on Dataset { disclosure { status version } } } }";
        let get = format!("GET {} HTTP/1.1", query_uri(q, Some(&json!({ "id": ds }))));
        let (s, h, body) = http(addr, &get, "").await;
        assert_eq!(s, 200, "{b:?}: {body}");
        let tag = etag(&h);
        let version = json_of(body.as_bytes())["data"]["node"]["disclosure"]["version"]
            .as_i64()
            .unwrap();
        let revalidate = format!("{get}\r\nIf-None-Match: {tag}");
        let (s, h, body) = http(addr, &revalidate, "").await;
        assert_eq!((s, body.as_str()), (304, ""), "{b:?}");
        assert_eq!(etag(&h), tag);

        let mutation = json!({ "query": CHANGE, "variables": { "id": ds, "v": version } });
        let (s, h, body) = http(
            addr,
            &format!(
                "POST /graphql HTTP/1.1\r\nContent-Type: application/json\r\nAuthorization: Bearer {token}"
            ),
            &mutation.to_string(),
        )
        .await;
        assert_eq!(s, 200, "{body}");
        assert_eq!(cache_control(&h), "no-store");
        // The mutation answered once this instance's catalog applied it: the old tag is stale.
        let (s, h, body) = http(addr, &revalidate, "").await;
        assert_eq!(s, 200, "{b:?}: {body}");
        assert_ne!(etag(&h), tag);
        assert_eq!(
            json_of(body.as_bytes())["data"]["node"]["disclosure"]["status"],
            "OPEN"
        );
        let _ = stop.send(());
        t.cleanup().await;
    }
}

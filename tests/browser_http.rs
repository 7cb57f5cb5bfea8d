//! What browsers and proxies rely on, through the router: CORS preflights and answers for pages
//! on other origins (any by default, or only the listed ones), and compressed answers for
//! clients that accept them.

mod common;

use std::io::Read;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{backends, with_demo};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

/// Sends `req` and returns the status, the headers and the body.
async fn send(
    app: &axum::Router,
    req: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes().to_vec();
    (parts.status, parts.headers, bytes)
}

fn preflight(origin: &str) -> Request<Body> {
    Request::options("/graphql")
        .header(header::ORIGIN, origin)
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            "authorization,content-type",
        )
        .body(Body::empty())
        .unwrap()
}

fn post_from(origin: &str) -> Request<Body> {
    Request::post("/graphql")
        .header(header::ORIGIN, origin)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({ "query": "{ __typename }" }).to_string()))
        .unwrap()
}

fn app_with_origins(
    db: &sea_orm::DatabaseConnection,
    origins: Option<Vec<String>>,
) -> axum::Router {
    let clock = std::sync::Arc::new(inventory::clock::ManualClock::new(
        inventory::demo::demo_now(),
    ));
    let config = inventory::config::Config {
        cors_origins: origins,
        ..Default::default()
    };
    inventory::app(inventory::AppState::with_config(db.clone(), clock, config))
}

#[tokio::test]
async fn any_origin_may_call_with_a_token_but_never_with_cookies() {
    for b in backends().await {
        let t = with_demo(b, 0.001).await;
        let app = app_with_origins(&t.db, None);
        let (status, h, _) = send(&app, preflight("http://localhost:5173")).await;
        assert!(status.is_success(), "{b:?}: preflight {status}");
        assert_eq!(h[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*", "{b:?}");
        let allowed = h[header::ACCESS_CONTROL_ALLOW_HEADERS]
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        for name in ["authorization", "content-type"] {
            assert!(allowed.contains(name), "{b:?}: {allowed}");
        }
        let methods = h[header::ACCESS_CONTROL_ALLOW_METHODS].to_str().unwrap();
        assert!(
            methods.contains("POST") && methods.contains("GET"),
            "{methods}"
        );
        assert!(h.get(header::ACCESS_CONTROL_MAX_AGE).is_some(), "{h:?}");
        assert!(
            h.get(header::ACCESS_CONTROL_ALLOW_CREDENTIALS).is_none(),
            "{h:?}"
        );

        let (status, h, body) = send(&app, post_from("https://news.example.org")).await;
        assert_eq!(status, StatusCode::OK, "{b:?}");
        assert_eq!(h[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*", "{b:?}");
        let exposed = h[header::ACCESS_CONTROL_EXPOSE_HEADERS]
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        assert!(exposed.contains("retry-after"), "{exposed}");
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["data"]["__typename"], "Query", "{v}");
        t.cleanup().await;
    }
}

#[tokio::test]
async fn listed_origins_only_when_configured() {
    for b in backends().await {
        let t = with_demo(b, 0.001).await;
        let app = app_with_origins(&t.db, Some(vec!["https://dashboard.example.org".into()]));

        let (_, h, _) = send(&app, preflight("https://dashboard.example.org")).await;
        assert_eq!(
            h[header::ACCESS_CONTROL_ALLOW_ORIGIN],
            "https://dashboard.example.org",
            "{b:?}"
        );
        let vary = h
            .get_all(header::VARY)
            .iter()
            .map(|v| v.to_str().unwrap().to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join(",");
        assert!(
            vary.contains("origin"),
            "{b:?}: a cache must not share it: {vary}"
        );

        // Another origin's page gets no permission: the browser withholds the answer.
        let (_, h, _) = send(&app, preflight("https://evil.example.net")).await;
        assert!(
            h.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none(),
            "{h:?}"
        );
        let (_, h, _) = send(&app, post_from("https://evil.example.net")).await;
        assert!(
            h.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none(),
            "{h:?}"
        );
        t.cleanup().await;
    }
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[tokio::test]
async fn answers_are_compressed_for_clients_that_accept_it() {
    for b in backends().await {
        let t = with_demo(b, 0.002).await;
        let app = app_with_origins(&t.db, None);
        let query =
            json!({ "query": "{ datasets(first: 50) { nodes { id title description } } }" });
        let plain = send(
            &app,
            Request::post("/graphql")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(query.to_string()))
                .unwrap(),
        )
        .await;
        assert!(plain.1.get(header::CONTENT_ENCODING).is_none(), "{b:?}");
        let zipped = send(
            &app,
            Request::post("/graphql")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::ACCEPT_ENCODING, "gzip")
                .body(Body::from(query.to_string()))
                .unwrap(),
        )
        .await;
        assert_eq!(zipped.1[header::CONTENT_ENCODING], "gzip", "{b:?}");
        assert!(zipped.2.len() < plain.2.len() / 2, "{b:?}");
        // The same answer (but for the caller's rate-limit figures, which moved on).
        let data = |bytes: &[u8]| {
            serde_json::from_slice::<serde_json::Value>(bytes).unwrap()["data"].clone()
        };
        assert_eq!(data(&gunzip(&zipped.2)), data(&plain.2), "{b:?}");

        // Exports and GraphiQL's assets too; brotli when preferred.
        for (uri, enc) in [
            ("/export/datasets.csv", "gzip"),
            ("/assets/graphiql/graphiql.min.js", "br"),
        ] {
            let (status, h, body) = send(
                &app,
                Request::get(uri)
                    .header(header::ACCEPT_ENCODING, enc)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{uri}");
            assert_eq!(h[header::CONTENT_ENCODING], enc, "{uri}");
            if enc == "gzip" {
                let csv = String::from_utf8(gunzip(&body)).unwrap();
                assert!(csv.lines().count() > 100, "{b:?}: {}", csv.len());
            }
        }
        t.cleanup().await;
    }
}
